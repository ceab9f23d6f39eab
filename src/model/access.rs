//! Roles, what each may do, and the scopes of API tokens.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, including users, tokens, content types and the audit log.
    Admin,
    /// All entries: write, publish, unpublish, delete. No users, types or tokens.
    Editor,
    /// Creates entries and edits their own working copies. Cannot publish.
    Author,
    /// Reads the admin API, writes nothing.
    Viewer,
}

/// Something a caller of the admin API may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read content types, entries and revisions.
    ReadContent,
    CreateEntry,
    /// Change or delete entries others created.
    EditAnyEntry,
    /// Change or delete entries one created.
    EditOwnEntry,
    Publish,
    ManageContentTypes,
    ManageUsers,
    ManageTokens,
    ReadAudit,
    /// Define webhooks and read their deliveries (their secrets sign what
    /// Quire sends).
    ManageWebhooks,
    /// Upload assets, and change or delete one's own.
    UploadMedia,
    /// Change or delete assets others uploaded.
    ManageMedia,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Author, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The lesser of two roles: what a credential may do when it acts for
    /// someone who may do less (`ALL` runs from most to least).
    pub fn at_most(self, other: Role) -> Role {
        let rank = |r: Role| {
            Role::ALL
                .iter()
                .position(|x| *x == r)
                .unwrap_or(Role::ALL.len())
        };
        if rank(self) >= rank(other) {
            self
        } else {
            other
        }
    }

    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Editor => matches!(
                p,
                ReadContent
                    | CreateEntry
                    | EditAnyEntry
                    | EditOwnEntry
                    | Publish
                    | UploadMedia
                    | ManageMedia
            ),
            Role::Author => matches!(p, ReadContent | CreateEntry | EditOwnEntry | UploadMedia),
            Role::Viewer => matches!(p, ReadContent),
        }
    }
}

/// What an API token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The public API, when `QUIRE_PUBLIC_ACCESS=token`.
    Read,
    /// The public API including working copies (`?preview=true`).
    Preview,
    /// The admin API, as an editor.
    Write,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Preview, Scope::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Preview => "preview",
            Scope::Write => "write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// May read working copies through the public API.
    pub fn previews(self) -> bool {
        matches!(self, Scope::Preview | Scope::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_takes_the_lesser_role() {
        assert_eq!(Role::Editor.at_most(Role::Admin), Role::Editor);
        assert_eq!(Role::Editor.at_most(Role::Viewer), Role::Viewer);
        assert_eq!(Role::Editor.at_most(Role::Author), Role::Author);
        assert_eq!(Role::Viewer.at_most(Role::Admin), Role::Viewer);
    }

    #[test]
    fn roles_nest() {
        for p in [
            Permission::ReadContent,
            Permission::CreateEntry,
            Permission::EditOwnEntry,
            Permission::EditAnyEntry,
            Permission::Publish,
            Permission::ManageContentTypes,
            Permission::ManageUsers,
            Permission::ManageTokens,
            Permission::ReadAudit,
            Permission::ManageWebhooks,
            Permission::UploadMedia,
            Permission::ManageMedia,
        ] {
            // Each role may do at most what the role above it may.
            assert!(!Role::Viewer.allows(p) || Role::Author.allows(p), "{p:?}");
            assert!(!Role::Author.allows(p) || Role::Editor.allows(p), "{p:?}");
            assert!(Role::Admin.allows(p));
        }
        assert!(!Role::Author.allows(Permission::Publish));
        assert!(!Role::Editor.allows(Permission::ManageUsers));
    }
}

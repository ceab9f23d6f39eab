//! What a principal may do: the one place roles become allow or deny.

use super::{Credential, Principal};
use crate::model::access::{Permission, Scope};

/// A refusal, with the reason in words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

impl Principal {
    /// API tokens of the read and preview scopes are for the public API only.
    pub fn require_admin_api(&self) -> Result<(), Forbidden> {
        match &self.credential {
            Credential::Token { scope, .. } if *scope != Scope::Write => Err(Forbidden(format!(
                "a `{}` token is for the public API; the admin API needs a session or a `write` token",
                scope.as_str()
            ))),
            _ => Ok(()),
        }
    }

    pub fn require(&self, p: Permission) -> Result<(), Forbidden> {
        self.require_admin_api()?;
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(Forbidden(format!(
                "the {} role may not {}",
                self.role.as_str(),
                describe(p)
            )))
        }
    }

    /// Users limited to some content types may touch only those.
    pub fn require_type(&self, api_id: &str) -> Result<(), Forbidden> {
        match &self.types {
            Some(types) if !types.iter().any(|t| t == api_id) => Err(Forbidden(format!(
                "this account may not work on `{api_id}`"
            ))),
            _ => Ok(()),
        }
    }

    /// May change or delete an entry made by `created_by`.
    pub fn require_edit(&self, created_by: Option<&str>) -> Result<(), Forbidden> {
        if self.role.allows(Permission::EditAnyEntry) {
            return self.require(Permission::EditAnyEntry);
        }
        self.require(Permission::EditOwnEntry)?;
        match (created_by, &self.actor.id) {
            (Some(owner), Some(me)) if owner == me => Ok(()),
            _ => Err(Forbidden(format!(
                "the {} role may change only entries it created",
                self.role.as_str()
            ))),
        }
    }

    /// The user id behind a session, for "my sessions" and password changes.
    pub fn session(&self) -> Option<&crate::store::users::Session> {
        match &self.credential {
            Credential::Session { session, .. } => Some(session),
            Credential::Token { .. } => None,
        }
    }
}

fn describe(p: Permission) -> &'static str {
    match p {
        Permission::ReadContent => "read content",
        Permission::CreateEntry => "create entries",
        Permission::EditAnyEntry => "change entries others created",
        Permission::EditOwnEntry => "change entries",
        Permission::Publish => "publish or unpublish",
        Permission::ManageContentTypes => "change content types",
        Permission::ManageUsers => "manage users",
        Permission::ManageTokens => "manage API tokens",
        Permission::ReadAudit => "read the audit log",
        Permission::ManageWebhooks => "manage webhooks",
        Permission::UploadMedia => "upload media",
        Permission::ManageMedia => "change media others uploaded",
    }
}

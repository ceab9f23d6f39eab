//! Request and response bodies of the admin API, kept apart from storage rows.

use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde_json::Value;

use super::schemas::{ContentTypeDefinition, Documented, Text};
use crate::clock;
use crate::model::content_type::ContentType;
use crate::model::entry::{Entry, ordered_data};
use crate::store::content_types::StoredType;
use crate::store::users::User;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: Text,
    pub password: Text,
}

#[derive(Debug, Object)]
pub struct UserOut {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// `admin`, `editor`, `author` or `viewer`.
    pub role: String,
    pub disabled: bool,
    /// The content types this user may work on; null for all.
    pub types: Option<Vec<String>>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role.clone(),
            disabled: u.disabled,
            types: u.types.as_ref().map(|t| t.0.clone()),
            created_at: clock::format(u.created_at),
            updated_at: clock::format(u.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct UserList {
    pub data: Vec<UserOut>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UserCreate {
    pub email: Text,
    /// At least 12 characters, not a common password.
    pub password: Text,
    pub display_name: Option<Text>,
    /// `admin`, `editor`, `author` or `viewer`.
    pub role: Text,
    /// Limit the user to these content types (omit for all).
    pub types: Option<Vec<Text>>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<Text>,
    pub role: Option<Text>,
    /// Disabling revokes the user's sessions at once.
    pub disabled: Option<bool>,
    /// A new password; revokes the user's sessions.
    pub password: Option<Text>,
    /// Limit to these content types; an empty list is refused, use
    /// `all_types` to lift the limit.
    pub types: Option<Vec<Text>>,
    /// Lift any limit to some content types.
    pub all_types: Option<bool>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: Text,
    pub new_password: Text,
}

#[derive(Debug, Object)]
pub struct SessionOut {
    pub id: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub client_ip: Option<String>,
    /// The session this request was made with.
    pub current: bool,
}

#[derive(Debug, Object)]
pub struct SessionList {
    pub data: Vec<SessionOut>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TokenCreate {
    pub name: Text,
    /// `read` (public API when closed), `preview` (public API with working
    /// copies, `?preview=true`) or `write` (admin API as an editor).
    pub scope: Text,
    /// RFC 3339; omit for a token that does not expire.
    pub expires_at: Option<Text>,
}

#[derive(Debug, Object)]
pub struct TokenOut {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub created_by: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl From<&crate::store::tokens::ApiToken> for TokenOut {
    fn from(t: &crate::store::tokens::ApiToken) -> Self {
        TokenOut {
            id: t.id.clone(),
            name: t.name.clone(),
            scope: t.scope.clone(),
            created_by: t.created_by.clone(),
            created_at: clock::format(t.created_at),
            expires_at: t.expires_at.map(clock::format),
            last_used_at: t.last_used_at.map(clock::format),
        }
    }
}

#[derive(Debug, Object)]
pub struct TokenCreated {
    /// Shown this once; only its hash is stored.
    pub token: String,
    #[oai(flatten)]
    pub info: TokenOut,
}

#[derive(Debug, Object)]
pub struct TokenList {
    pub data: Vec<TokenOut>,
}

#[derive(Debug, Object)]
pub struct AuditOut {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<String>,
    /// The user's email, `token:<name>`, or `system`.
    pub actor: String,
    pub client_ip: Option<String>,
    /// e.g. `entry.publish`, `content_type.update`, `user.create`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    /// Versions before and after, and what else the action touched.
    pub detail: Option<Value>,
}

#[derive(Debug, Object)]
pub struct AuditList {
    pub data: Vec<AuditOut>,
    pub meta: ListMeta,
}

#[derive(Debug, Object)]
pub struct LoginResponse {
    /// Shown once; send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
    pub user: UserOut,
}

#[derive(Debug, Object)]
pub struct ContentTypeOut {
    pub api_id: String,
    pub name: String,
    /// `collection`, `singleton` or `component`.
    pub kind: String,
    /// The whole definition, as accepted by POST and PUT.
    pub definition: Documented<ContentTypeDefinition>,
    /// Goes up by one with every change of the definition.
    pub schema_version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// On a change (`PUT`): what it did, or with `dry_run=true` would do, to
    /// the entries.
    #[oai(skip_serializing_if_is_none)]
    pub plan: Option<SchemaPlan>,
    /// `true` when nothing was changed: the answer to a dry run, showing the
    /// type as it still is.
    #[oai(skip_serializing_if_is_none)]
    pub dry_run: Option<bool>,
    /// The file in `content-types/` that defines the type, when one does:
    /// such a type changes with its file, and the API answers 409
    /// `folder_owned` to a change.
    #[oai(skip_serializing_if_is_none)]
    pub source_file: Option<String>,
}

/// One step of a schema change.
#[derive(Debug, Object)]
pub struct PlanStep {
    /// The field, by its new name.
    pub field: String,
    /// The old name (renamed) or old type (converted).
    pub from: Option<String>,
    pub detail: String,
    /// Entries the step touches.
    pub entries: i64,
}

/// What a schema change does to existing entries, step by step.
#[derive(Debug, Object)]
pub struct SchemaPlan {
    pub added: Vec<PlanStep>,
    pub renamed: Vec<PlanStep>,
    pub converted: Vec<PlanStep>,
    pub removed: Vec<PlanStep>,
    /// Existing fields that become required.
    pub required: Vec<PlanStep>,
}

impl From<&crate::model::schema_change::Plan> for SchemaPlan {
    fn from(p: &crate::model::schema_change::Plan) -> Self {
        let steps = |v: &[crate::model::schema_change::Step]| {
            v.iter()
                .map(|s| PlanStep {
                    field: s.field.clone(),
                    from: s.from.clone(),
                    detail: s.detail.clone(),
                    entries: s.entries,
                })
                .collect()
        };
        SchemaPlan {
            added: steps(&p.added),
            renamed: steps(&p.renamed),
            converted: steps(&p.converted),
            removed: steps(&p.removed),
            required: steps(&p.required),
        }
    }
}

impl From<&StoredType> for ContentTypeOut {
    fn from(t: &StoredType) -> Self {
        let def = &t.content_type.def;
        ContentTypeOut {
            api_id: def.api_id.clone(),
            name: def.name.clone(),
            kind: def.kind.as_str().to_string(),
            definition: Documented::new(serde_json::to_value(def).unwrap_or(Value::Null)),
            schema_version: t.schema_version,
            created_at: clock::format(t.created_at),
            updated_at: clock::format(t.updated_at),
            plan: None,
            dry_run: None,
            source_file: None,
        }
    }
}

#[derive(Debug, Object)]
pub struct ContentTypeList {
    pub data: Vec<ContentTypeOut>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EntryCreate {
    /// The entry's fields.
    pub data: Value,
    /// Defaults to the server's default locale.
    pub locale: Option<Text>,
    /// Publish it by itself at this time (RFC 3339, in the future; needs
    /// the right to publish).
    pub publish_at: Option<Text>,
    /// Unpublish it by itself at this time (RFC 3339, in the future).
    pub unpublish_at: Option<Text>,
}

/// A singleton's whole working copy.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EntryPut {
    /// Every field of the entry; a field left out is cleared.
    pub data: Value,
    /// The version this write is based on; needed once the entry exists
    /// (or `If-Match`), and a stale one is refused with 409.
    pub version: Option<i64>,
    /// Defaults to the server's default locale.
    pub locale: Option<Text>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EntryPatch {
    /// Only the fields to change; `null` clears a field.
    pub data: Value,
    /// The version this change is based on; a stale one is refused with 409.
    /// Left out only to start a translation (`?locale=` the entry has no
    /// translation in yet).
    pub version: Option<i64>,
    /// Publish this translation by itself at this time (RFC 3339, in the
    /// future; `null` clears it; needs the right to publish).
    pub publish_at: MaybeUndefined<Text>,
    /// Unpublish this translation by itself at this time; `null` clears it.
    pub unpublish_at: MaybeUndefined<Text>,
}

/// A translation's scheduled publish and unpublish: RFC 3339 times in the
/// future; `null` clears one, a key left out leaves it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ScheduleSet {
    pub publish_at: MaybeUndefined<Text>,
    pub unpublish_at: MaybeUndefined<Text>,
}

/// Where the type's site shows this working copy.
#[derive(Debug, Object)]
pub struct PreviewLinkOut {
    /// The type's `preview_url`, filled in.
    pub url: String,
    /// The preview token in it: reads this one entry (`?preview=true`).
    pub token: String,
    pub expires_at: String,
}

/// When a translation goes live or comes down by itself.
#[derive(Debug, Object)]
pub struct ScheduleOut {
    pub publish_at: Option<String>,
    pub unpublish_at: Option<String>,
    /// Why the last scheduled action could not run (say, a required field
    /// is empty); it is not retried until scheduled again.
    pub error: Option<String>,
}

/// One of an entry's translations.
#[derive(Debug, Object)]
pub struct TranslationOut {
    pub locale: String,
    /// `draft`, `published` or `changed`.
    pub status: String,
    pub version: i64,
    pub updated_at: String,
}

#[derive(Debug, Object)]
pub struct EntryOut {
    pub id: String,
    #[oai(rename = "type")]
    pub content_type: String,
    pub locale: String,
    /// Goes up by one with every write.
    pub version: i64,
    /// `draft`, `published` or `changed` (published, with unpublished edits).
    pub status: String,
    /// The working copy, every field present (null when unset).
    pub data: Value,
    /// The live copy, as the public API serves it; null when unpublished.
    pub published: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    /// Every translation the entry has (this one included), oldest first.
    pub translations: Vec<TranslationOut>,
    /// This translation's scheduled actions.
    pub schedule: ScheduleOut,
}

impl EntryOut {
    pub fn new(ct: &ContentType, e: &Entry) -> EntryOut {
        EntryOut {
            id: e.id.clone(),
            content_type: e.content_type.clone(),
            locale: e.locale.clone(),
            version: e.version,
            status: e.status.as_str().to_string(),
            data: Value::Object(ordered_data(ct, &e.draft)),
            published: e
                .published
                .as_ref()
                .map(|p| Value::Object(ordered_data(ct, p))),
            created_at: clock::format(e.created_at),
            updated_at: clock::format(e.updated_at),
            published_at: e.published_at.map(clock::format),
            created_by: e.created_by.clone(),
            updated_by: e.updated_by.clone(),
            translations: Vec::new(),
            schedule: ScheduleOut {
                publish_at: e.schedule.publish_at.map(clock::format),
                unpublish_at: e.schedule.unpublish_at.map(clock::format),
                error: e.schedule.error.clone(),
            },
        }
    }

    /// Lists the entry's translations.
    pub fn with_translations(mut self, list: &[crate::store::entries::Translation]) -> EntryOut {
        self.translations = list
            .iter()
            .map(|t| TranslationOut {
                locale: t.locale.clone(),
                status: t.status.clone(),
                version: t.version,
                updated_at: clock::format(t.updated_at),
            })
            .collect();
        self
    }
}

impl EntryOut {
    /// Keeps only the named content fields (`fields=a,b` on a list).
    pub fn narrow(mut self, fields: &[String]) -> EntryOut {
        let keep = |v: &mut Value| {
            if let Value::Object(map) = v {
                map.retain(|k, _| fields.iter().any(|f| f == k));
            }
        };
        keep(&mut self.data);
        if let Some(p) = self.published.as_mut() {
            keep(p);
        }
        self
    }
}

#[derive(Debug, Object)]
pub struct ListMeta {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Object)]
pub struct EntryList {
    pub data: Vec<EntryOut>,
    pub meta: ListMeta,
}

#[derive(Debug, Object)]
pub struct RevisionOut {
    pub id: i64,
    pub version: i64,
    /// `create`, `update`, `publish`, `unpublish`, `restore` or
    /// `nullify` (a deleted target's reference cleared).
    pub action: String,
    /// The working copy as it was saved.
    pub data: Value,
    pub author_id: Option<String>,
    pub created_at: String,
}

/// One field that differs between a revision and the one before it.
#[derive(Debug, Object)]
pub struct FieldDiffOut {
    pub field: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    /// The value before; absent when the field was unset.
    pub before: Option<Value>,
    /// The value after; absent when the field is unset.
    pub after: Option<Value>,
}

/// A revision whole, with what it changed.
#[derive(Debug, Object)]
pub struct RevisionDetail {
    pub revision: RevisionOut,
    /// The version of the revision before it; absent for the first.
    pub previous_version: Option<i64>,
    /// The fields that differ from the revision before (from an empty copy
    /// for the first).
    pub diff: Vec<FieldDiffOut>,
}

/// An entry that points at another through a relation field.
#[derive(Debug, Object)]
pub struct ReferenceOut {
    pub id: String,
    /// The translation holding the reference.
    pub locale: String,
    #[oai(rename = "type")]
    pub content_type: String,
    /// The relation field holding the reference.
    pub field: String,
    /// `draft` (the working copy) or `live` (the published copy).
    pub copy: String,
}

#[derive(Debug, Object)]
pub struct ReferenceList {
    pub data: Vec<ReferenceOut>,
}

#[derive(Debug, Object)]
pub struct RevisionList {
    pub data: Vec<RevisionOut>,
}

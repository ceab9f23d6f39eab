//! The admin API: one poem-openapi impl per resource, behind bearer tokens.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod content_types;
pub mod entries;
pub mod entry_revisions;
mod locales;
mod objects;
pub mod schemas;
pub mod search;
mod spec;
pub mod statuses;
pub mod strict_query;
pub mod tokens;
pub mod users;
pub mod webhooks;

use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::{OpenApiService, SecurityScheme, Tags};

use super::problem::ApiError;
use super::state::{AppState, client_ip};
use crate::auth::Principal;

#[derive(Tags)]
pub enum Tag {
    /// Sign in and out.
    Auth,
    /// Define the shape of content.
    ContentTypes,
    /// Write, publish and unpublish entries.
    Entries,
    /// Accounts and their roles (admins only).
    Users,
    /// API tokens for machines (admins only).
    Tokens,
    /// Who changed what (admins only).
    Audit,
    /// Full-text search over working copies.
    Search,
    /// Uploaded files: images, documents, video.
    Media,
    /// Where changes are posted, signed and retried (admins only).
    Webhooks,
}

/// A session token from `POST /admin/api/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_token")]
pub struct AdminAuth(pub Principal);

async fn check_token(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = req.data::<AppState>().ok_or_else(ApiError::internal)?;
    match crate::auth::authenticate(&state.db, &bearer.token, client_ip(req)).await {
        Ok(Some(principal)) => {
            principal.require_admin_api().map_err(ApiError::from)?;
            Ok(principal)
        }
        Ok(None) => Err(ApiError::unauthorized("the token is invalid, revoked or expired").into()),
        Err(e) => Err(ApiError::from(e).into()),
    }
}

/// `limit` (1 to 100, default 25) and `offset` (0 or more) of a listing.
fn page(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), ApiError> {
    use crate::model::query::{DEFAULT_LIMIT, MAX_LIMIT};
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_LIMIT).contains(&limit) || offset < 0 {
        return Err(ApiError::invalid_query(vec![
            crate::model::FieldError::new(
                if offset < 0 { "offset" } else { "limit" },
                "range",
                format!("limit is 1 to {MAX_LIMIT}, offset at least 0"),
            ),
        ]));
    }
    Ok((limit, offset))
}

pub type AdminApi = (
    auth::AuthApi,
    content_types::ContentTypesApi,
    entries::EntriesApi,
    entry_revisions::EntryRevisionsApi,
    users::UsersApi,
    tokens::TokensApi,
    audit::AuditApi,
    search::SearchApi,
    assets::AssetsApi,
    locales::LocalesApi,
    webhooks::WebhooksApi,
);

/// The admin API service, mounted at `/admin/api`.
pub fn service() -> OpenApiService<AdminApi, ()> {
    OpenApiService::new(
        (
            auth::AuthApi,
            content_types::ContentTypesApi,
            entries::EntriesApi,
            entry_revisions::EntryRevisionsApi,
            users::UsersApi,
            tokens::TokensApi,
            audit::AuditApi,
            search::SearchApi,
            assets::AssetsApi,
            locales::LocalesApi,
            webhooks::WebhooksApi,
        ),
        "Quire admin API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Define content types, write, publish and unpublish entries, manage users and API \
         tokens. Every operation but login needs `Authorization: Bearer <token>` (a session \
         token from login, or a `write` API token) and a role that allows it. Errors are \
         RFC 9457 problem documents (`application/problem+json`) with a stable `code`.",
    )
    .server("/admin/api")
}

/// The admin API's OpenAPI document, as committed in
/// `admin-api/openapi.json`: for any server, so `locale` is any string.
pub fn spec_json() -> String {
    let raw: serde_json::Value = serde_json::from_str(&service().spec()).unwrap_or_default();
    serde_json::to_string_pretty(&spec::finish(raw)).unwrap_or_default()
}

/// The admin API's OpenAPI document as a server with these locales serves
/// it: the committed one, `locale` naming them.
pub fn spec_json_for(locales: &crate::model::locale::Locales) -> String {
    let raw: serde_json::Value = serde_json::from_str(&service().spec()).unwrap_or_default();
    let spec = spec::with_locales(spec::finish(raw), locales);
    serde_json::to_string_pretty(&spec).unwrap_or_default()
}

//! The admin API: one poem-openapi impl per resource, behind bearer tokens.

pub mod auth;
pub mod content_types;
pub mod entries;
mod objects;

use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::{OpenApiService, SecurityScheme, Tags};

use super::problem::ApiError;
use super::state::AppState;
use crate::auth::Principal;

#[derive(Tags)]
pub enum Tag {
    /// Sign in and out.
    Auth,
    /// Define the shape of content.
    ContentTypes,
    /// Write, publish and unpublish entries.
    Entries,
}

/// A session token from `POST /admin/api/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_token")]
pub struct AdminAuth(pub Principal);

async fn check_token(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = req.data::<AppState>().ok_or_else(ApiError::internal)?;
    match crate::auth::authenticate(&state.db, &bearer.token).await {
        Ok(Some(principal)) => Ok(principal),
        Ok(None) => Err(ApiError::unauthorized("the token is invalid, revoked or expired").into()),
        Err(e) => Err(ApiError::from(e).into()),
    }
}

pub type AdminApi = (
    auth::AuthApi,
    content_types::ContentTypesApi,
    entries::EntriesApi,
);

/// The admin API service, mounted at `/admin/api`.
pub fn service() -> OpenApiService<AdminApi, ()> {
    OpenApiService::new(
        (
            auth::AuthApi,
            content_types::ContentTypesApi,
            entries::EntriesApi,
        ),
        "Quire admin API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Define content types, write, publish and unpublish entries. Every operation but \
         login needs `Authorization: Bearer <token>`. Errors are RFC 9457 problem documents \
         (`application/problem+json`) with a stable `code`.",
    )
    .server("/admin/api")
}

/// The admin API's OpenAPI document, as served and as committed in
/// `admin-api/openapi.json`.
pub fn spec_json() -> String {
    service().spec()
}

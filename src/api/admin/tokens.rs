//! `/tokens`: API tokens for machines, for admins. Shown once, stored hashed.

use super::statuses::*;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::objects::{TokenCreate, TokenCreated, TokenList, TokenOut};
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::auth::token;
use crate::model::FieldError;
use crate::model::access::{Permission, Scope};
use crate::{clock, store};

pub struct TokensApi;

#[derive(ApiResponse)]
pub enum Created {
    /// The token, shown this once.
    #[oai(status = 201)]
    Created(Json<TokenCreated>),
}

#[derive(ApiResponse)]
pub enum Revoked {
    /// The token no longer works, on any node.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(prefix_path = "/tokens", tag = "Tag::Tokens")]
impl TokensApi {
    /// All API tokens, without their secrets.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
    ) -> Result<Json<TokenList>, Problems<{ SIGNED_IN }>> {
        auth.0.require(Permission::ManageTokens)?;
        let tokens = store::tokens::list(&state.db).await?;
        Ok(Json(TokenList {
            data: tokens.iter().map(TokenOut::from).collect(),
        }))
    }

    /// Create a token: `{"name", "scope": "read"|"preview"|"write", "expires_at"?}`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        body: Json<TokenCreate>,
    ) -> Result<Created, Problems<{ SIGNED_IN | BODY }>> {
        auth.0.require(Permission::ManageTokens)?;
        let body = body.0;
        let mut errors = Vec::new();
        let name = body.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new("name", "length", "1 to 100 characters"));
        }
        let scope = Scope::parse(&body.scope);
        if scope.is_none() {
            errors.push(FieldError::new(
                "scope",
                "values",
                "must be one of: read, preview, write",
            ));
        }
        let expires_at = match body.expires_at.as_deref().map(clock::parse) {
            None => None,
            Some(Some(t)) if t > clock::now() => Some(t),
            Some(Some(_)) => {
                errors.push(FieldError::new(
                    "expires_at",
                    "future",
                    "must be in the future",
                ));
                None
            }
            Some(None) => {
                errors.push(FieldError::new(
                    "expires_at",
                    "type",
                    "must be an RFC 3339 date-time",
                ));
                None
            }
        };
        let Some(scope) = scope.filter(|_| errors.is_empty()) else {
            return Err(Problems::from(ApiError::validation(errors)));
        };
        let secret = token::generate(token::API_PREFIX);
        let stored = store::tokens::create(
            &state.db,
            name,
            scope.as_str(),
            &token::hash(&secret),
            expires_at,
            &auth.0.actor,
        )
        .await?;
        Ok(Created::Created(Json(TokenCreated {
            token: secret,
            info: TokenOut::from(&stored),
        })))
    }

    /// Revoke a token.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> Result<Revoked, Problems<{ ONE }>> {
        auth.0.require(Permission::ManageTokens)?;
        store::tokens::delete(&state.db, &id, &auth.0.actor).await?;
        state.content_changed();
        Ok(Revoked::Done)
    }
}

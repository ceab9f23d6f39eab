//! `/auth`: sign in, sign out, who am I.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::objects::{LoginRequest, LoginResponse, UserOut};
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::clock;

pub struct AuthApi;

#[derive(ApiResponse)]
pub enum LoggedOut {
    /// The session is revoked.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(prefix_path = "/auth", tag = "Tag::Auth")]
impl AuthApi {
    /// Sign in with email and password; returns a session token.
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        state: Data<&AppState>,
        body: Json<LoginRequest>,
    ) -> Result<Json<LoginResponse>, ApiError> {
        let (token, principal) = crate::auth::login(
            &state.db,
            &body.email,
            &body.password,
            state.config.session_ttl_secs,
        )
        .await?;
        Ok(Json(LoginResponse {
            token,
            expires_at: clock::format(principal.expires_at),
            user: UserOut::from(&principal.user),
        }))
    }

    /// Revoke the token this request carries.
    #[oai(path = "/logout", method = "post")]
    async fn logout(&self, state: Data<&AppState>, auth: AdminAuth) -> Result<LoggedOut, ApiError> {
        crate::store::users::delete_session(&state.db, &auth.0.token_hash).await?;
        Ok(LoggedOut::Done)
    }

    /// The signed-in user.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: AdminAuth) -> Result<Json<UserOut>, ApiError> {
        Ok(Json(UserOut::from(&auth.0.user)))
    }
}

//! `/auth`: sign in and out, who am I, my password, my sessions.

use super::statuses::*;
use crate::api::codes::Code;
use crate::auth::limiter::Outcome;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::objects::{
    LoginRequest, LoginResponse, PasswordChange, SessionList, SessionOut, UserOut,
};
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::{AppState, client_ip};
use crate::auth::{AuthError, Credential, normalize_email, password};
use crate::clock;
use crate::store::{self, users::UserChange};

pub struct AuthApi;

#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    Done,
}

fn session_user(auth: &AdminAuth) -> Result<&crate::store::users::User, ApiError> {
    match &auth.0.credential {
        Credential::Session { user, .. } => Ok(user),
        Credential::Token { .. } => Err(ApiError::forbidden(
            "an API token has no user session; sign in as the user",
        )),
    }
}

#[OpenApi(prefix_path = "/auth", tag = "Tag::Auth")]
impl AuthApi {
    /// Sign in with email and password; returns a session token. Failed
    /// attempts are limited per account and per client address (429).
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> Result<Json<LoginResponse>, Problems<{ S400 | S401 | S413 | S415 | S422 | S429 | S503 }>>
    {
        let ip = client_ip(req);
        let email = normalize_email(&body.email);
        let attempt = state
            .login_limiter
            .attempt(&state.db, &email, ip.as_deref())
            .await?
            .map_err(ApiError::too_many_requests)?;
        let result = crate::auth::login(
            &state.db,
            &email,
            &body.password,
            state.config.session_ttl_secs,
            ip.clone(),
        )
        .await;
        let outcome = match &result {
            Ok(_) => Outcome::Succeeded,
            Err(AuthError::BadCredentials) => Outcome::WrongCredentials,
            Err(_) => Outcome::Undecided,
        };
        state
            .login_limiter
            .settle(&state.db, attempt, outcome)
            .await;
        match result {
            Ok((token, principal)) => {
                let user = match &principal.credential {
                    Credential::Session { user, .. } => UserOut::from(user),
                    Credential::Token { .. } => return Err(Problems::from(ApiError::internal())),
                };
                let expires_at = principal
                    .session()
                    .map(|s| s.expires_at)
                    .unwrap_or_default();
                Ok(Json(LoginResponse {
                    token,
                    expires_at: clock::format(expires_at),
                    user,
                }))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Revoke the session token this request carries.
    #[oai(path = "/logout", method = "post")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
    ) -> Result<Done, Problems<{ SIGNED_IN }>> {
        let session = auth.0.session().ok_or_else(|| {
            ApiError::forbidden("an API token is revoked with DELETE /tokens/{id}")
        })?;
        store::users::delete_session(&state.db, &session.token_hash).await?;
        Ok(Done::Done)
    }

    /// The signed-in user.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: AdminAuth) -> Result<Json<UserOut>, Problems<{ SIGNED_IN }>> {
        Ok(Json(UserOut::from(session_user(&auth)?)))
    }

    /// Change one's own password; every other session of the user is revoked.
    #[oai(path = "/password", method = "post")]
    async fn password(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        body: Json<PasswordChange>,
    ) -> Result<Done, Problems<{ SIGNED_IN | BODY }>> {
        let user = session_user(&auth)?;
        let ok = password::verify(
            body.current_password.to_string(),
            user.password_hash.clone(),
        )
        .await?;
        if !ok {
            return Err(Problems::from(
                ApiError::new(
                    Code::ValidationFailed,
                    "current_password: the current password is wrong",
                )
                .with_errors(vec![crate::model::FieldError::new(
                    "current_password",
                    "match",
                    "the current password is wrong",
                )]),
            ));
        }
        password::check_strength(&body.new_password, &user.email).map_err(|m| {
            ApiError::validation(vec![crate::model::FieldError::new(
                "new_password",
                "strength",
                m,
            )])
        })?;
        let hash = password::hash(body.new_password.to_string()).await?;
        let change = UserChange {
            password_hash: Some(hash),
            keep_session: auth.0.session().map(|s| s.token_hash.clone()),
            ..UserChange::default()
        };
        store::users::update(&state.db, &user.id, change, &auth.0.actor).await?;
        Ok(Done::Done)
    }

    /// One's own live sessions.
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
    ) -> Result<Json<SessionList>, Problems<{ SIGNED_IN }>> {
        let user = session_user(&auth)?;
        let current = auth.0.session().map(|s| s.id.clone());
        let sessions = store::users::sessions_of(&state.db, &user.id).await?;
        Ok(Json(SessionList {
            data: sessions
                .into_iter()
                .map(|s| SessionOut {
                    current: current.as_deref() == Some(s.id.as_str()),
                    id: s.id,
                    created_at: clock::format(s.created_at),
                    expires_at: clock::format(s.expires_at),
                    last_used_at: s.last_used_at.map(clock::format),
                    client_ip: s.client_ip,
                })
                .collect(),
        }))
    }

    /// Revoke one of one's own sessions.
    #[oai(path = "/sessions/:id", method = "delete")]
    async fn revoke_session(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> Result<Done, Problems<{ ONE }>> {
        let user = session_user(&auth)?;
        store::users::delete_session_of(&state.db, &user.id, &id).await?;
        Ok(Done::Done)
    }
}

//! `/users`: accounts and their roles, for admins.

use super::schemas::Text;
use super::statuses::*;
use crate::api::codes::Code;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::objects::{UserCreate, UserList, UserOut, UserPatch};
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::auth::password;
use crate::model::FieldError;
use crate::model::access::{Permission, Role};
use crate::store::{self, users::UserChange};

pub struct UsersApi;

#[derive(ApiResponse)]
pub enum UserCreated {
    /// The user was created.
    #[oai(status = 201)]
    Created(Json<UserOut>),
}

#[derive(ApiResponse)]
pub enum UserDeleted {
    /// The user and their sessions are gone.
    #[oai(status = 204)]
    Done,
}

fn role(s: &str) -> Result<Role, ApiError> {
    Role::parse(s).ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(
            "role",
            "values",
            "must be one of: admin, editor, author, viewer",
        )])
    })
}

/// A list of content type api ids, each of which must exist.
fn types(state: &AppState, types: Option<Vec<String>>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(types) = types else {
        return Ok(None);
    };
    if types.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "types",
            "min_items",
            "name at least one content type, or omit the list for all",
        )]));
    }
    let unknown: Vec<FieldError> = types
        .iter()
        .filter(|t| state.types.get(t).is_none())
        .map(|t| FieldError::new("types", "unknown_type", format!("no content type `{t}`")))
        .collect();
    if unknown.is_empty() {
        Ok(Some(types))
    } else {
        Err(ApiError::validation(unknown))
    }
}

#[OpenApi(prefix_path = "/users", tag = "Tag::Users")]
impl UsersApi {
    /// All users.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
    ) -> Result<Json<UserList>, Problems<{ SIGNED_IN }>> {
        auth.0.require(Permission::ManageUsers)?;
        let users = store::users::list(&state.db).await?;
        Ok(Json(UserList {
            data: users.iter().map(UserOut::from).collect(),
        }))
    }

    /// Create a user with a role.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        body: Json<UserCreate>,
    ) -> Result<UserCreated, Problems<{ SIGNED_IN | S409 | BODY }>> {
        auth.0.require(Permission::ManageUsers)?;
        let body = body.0;
        let role = role(&body.role)?;
        let types = types(&state, body.types.map(Text::all))?;
        let user = crate::auth::create_user(
            &state.db,
            &body.email,
            &body.password,
            body.display_name.as_deref(),
            role,
            types,
            &auth.0.actor,
        )
        .await?;
        Ok(UserCreated::Created(Json(UserOut::from(&user))))
    }

    /// One user.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> Result<Json<UserOut>, Problems<{ ONE }>> {
        auth.0.require(Permission::ManageUsers)?;
        Ok(Json(UserOut::from(
            &store::users::get(&state.db, &id).await?,
        )))
    }

    /// Change a user's name, role, type limits, password or disabled flag.
    /// Disabling and a new password revoke the user's sessions at once. One's
    /// own password is changed with `POST /auth/password` only.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
        body: Json<UserPatch>,
    ) -> Result<Json<UserOut>, Problems<{ ONE | S409 | BODY }>> {
        auth.0.require(Permission::ManageUsers)?;
        let body = body.0;
        let user = store::users::get(&state.db, &id).await?;
        let password_hash = match body.password {
            // One's own password changes only with the current one in hand.
            Some(_) if auth.0.actor.id.as_deref() == Some(id.0.as_str()) => {
                return Err(Problems::from(ApiError::validation(vec![FieldError::new(
                    "password",
                    "own_password",
                    "change your own password with POST /auth/password, which asks for the current one",
                )])));
            }
            Some(p) => {
                password::check_strength(&p, &user.email).map_err(|m| {
                    ApiError::validation(vec![FieldError::new("password", "strength", m)])
                })?;
                Some(password::hash(p.into_inner()).await?)
            }
            None => None,
        };
        let types = match (body.all_types, body.types) {
            (Some(true), _) => Some(None),
            (_, Some(t)) => Some(types(&state, Some(Text::all(t)))?),
            _ => None,
        };
        let change = UserChange {
            display_name: body.display_name.map(Text::into_inner),
            role: body
                .role
                .as_deref()
                .map(role)
                .transpose()?
                .map(|r| r.as_str().to_string()),
            disabled: body.disabled,
            password_hash,
            types,
            keep_session: None,
        };
        let user = store::users::update(&state.db, &id, change, &auth.0.actor).await?;
        Ok(Json(UserOut::from(&user)))
    }

    /// Delete a user. One's own account and the last admin cannot be deleted.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> Result<UserDeleted, Problems<{ ONE | S409 }>> {
        auth.0.require(Permission::ManageUsers)?;
        if auth.0.actor.id.as_deref() == Some(id.0.as_str()) {
            return Err(Problems::from(ApiError::new(
                Code::OwnAccount,
                "you cannot delete your own account",
            )));
        }
        store::users::delete(&state.db, &id, &auth.0.actor).await?;
        Ok(UserDeleted::Done)
    }
}

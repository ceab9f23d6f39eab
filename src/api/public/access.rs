//! Who may read the public API: anyone, or `read` token holders when
//! `QUIRE_PUBLIC_ACCESS=token`; working copies (`?preview=true`) need a
//! `preview` or `write` token, or an admin session.

use poem::Request;
use poem::http::header;

use crate::api::problem::ApiError;
use crate::api::state::{AppState, client_ip};
use crate::auth::{Credential, Principal};
use crate::config::PublicAccess;
use crate::model::FieldError;
use crate::model::access::Permission;

pub enum Access {
    /// Live copies only.
    Published,
    /// Working copies, for the principal who asked.
    Preview(Box<Principal>),
}

impl Access {
    /// The one entry a preview link (from the editor's "Open preview") may
    /// read; it lists nothing.
    pub fn only_entry(&self) -> Option<&str> {
        match self {
            Access::Preview(p) => match &p.credential {
                Credential::Token { token, .. } => token.entry_id.as_deref(),
                Credential::Session { .. } => None,
            },
            Access::Published => None,
        }
    }

    /// Refuses a preview link where more than its entry would be read.
    pub fn not_a_link(&self) -> Result<(), ApiError> {
        match self.only_entry() {
            Some(_) => Err(ApiError::forbidden(
                "a preview link reads its one entry, by id or slug",
            )),
            None => Ok(()),
        }
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Takes `preview` out of the query and decides what the request may see.
pub async fn check_access(
    req: &Request,
    state: &AppState,
    pairs: &mut Vec<(String, String)>,
) -> Result<Access, ApiError> {
    let mut preview = false;
    let mut bad = None;
    pairs.retain(|(k, v)| {
        if k != "preview" {
            return true;
        }
        match v.as_str() {
            "true" => preview = true,
            "false" => preview = false,
            _ => bad = Some(v.clone()),
        }
        false
    });
    if let Some(v) = bad {
        return Err(ApiError::invalid_query(vec![FieldError::new(
            "preview",
            "type",
            format!("`{v}` is not true or false"),
        )]));
    }
    let principal = match bearer(req) {
        None => None,
        Some(token) => Some(
            crate::auth::authenticate(&state.db, token, client_ip(req))
                .await?
                .ok_or_else(|| {
                    ApiError::unauthorized("the token is invalid, revoked or expired")
                })?,
        ),
    };
    if preview {
        let p = principal.ok_or_else(|| {
            ApiError::unauthorized("?preview=true needs a preview token or an admin session")
        })?;
        let allowed = match &p.credential {
            Credential::Token { scope, .. } => scope.previews(),
            Credential::Session { .. } => p.role.allows(Permission::ReadContent),
        };
        if !allowed {
            return Err(ApiError::forbidden(
                "this token may read published content only; previews need a preview token",
            ));
        }
        return Ok(Access::Preview(Box::new(p)));
    }
    if state.config.public_access == PublicAccess::Token && principal.is_none() {
        return Err(ApiError::unauthorized(
            "this public API needs a token: send Authorization: Bearer <read token>",
        ));
    }
    Ok(Access::Published)
}

//! Authentication and authorization: argon2id passwords, opaque session and
//! API tokens, roles, and the login rate limit.

pub mod limiter;
pub mod password;
pub mod policy;
pub mod token;

use crate::model::access::{Role, Scope};
use crate::store::audit::Actor;
use crate::store::tokens::ApiToken;
use crate::store::users::{NewUser, Session, User};
use crate::store::{self, Db, StoreError};

/// How a caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    Session { session: Session, user: User },
    Token { token: ApiToken, scope: Scope },
}

/// Who is calling, with what role, limited to which content types.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    pub role: Role,
    /// `None`: every content type.
    pub types: Option<Vec<String>>,
    pub credential: Credential,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong email or password")]
    BadCredentials,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// Every hashing slot stayed taken for a while: come back shortly.
    #[error("too many sign-ins at once")]
    Busy,
}

/// Normalizes an email for lookup and uniqueness.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_email(email: &str) -> Result<(), AuthError> {
    let at = email.find('@');
    if email.len() > 254 || at.is_none_or(|i| i == 0 || i == email.len() - 1) {
        return Err(AuthError::Invalid(format!(
            "`{email}` is not an email address"
        )));
    }
    Ok(())
}

/// Creates a user with an argon2id-hashed password.
pub async fn create_user(
    db: &Db,
    email: &str,
    password: &str,
    display_name: Option<&str>,
    role: Role,
    types: Option<Vec<String>>,
    actor: &Actor,
) -> Result<User, AuthError> {
    let email = normalize_email(email);
    check_email(&email)?;
    password::check_strength(password, &email).map_err(AuthError::Invalid)?;
    let hash = password::hash(password.to_string()).await?;
    let display_name = display_name
        .map(str::to_string)
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
    let new = NewUser {
        email,
        display_name,
        role: role.as_str().to_string(),
        password_hash: hash,
        types,
    };
    Ok(store::users::create(db, new, actor).await?)
}

/// The principal a user's session stands for.
fn session_principal(user: User, session: Session, ip: Option<String>) -> Principal {
    Principal {
        actor: Actor {
            id: Some(user.id.clone()),
            label: user.email.clone(),
            ip,
        },
        // A role this build does not know grants the least.
        role: Role::parse(&user.role).unwrap_or(Role::Viewer),
        types: user.types.as_ref().map(|t| t.0.clone()),
        credential: Credential::Session { session, user },
    }
}

/// Checks credentials and opens a session; returns the token (shown once)
/// and the principal it stands for.
pub async fn login(
    db: &Db,
    email: &str,
    password: &str,
    ttl_secs: u64,
    ip: Option<String>,
) -> Result<(String, Principal), AuthError> {
    let user = store::users::find_by_email(db, &normalize_email(email)).await?;
    // An unknown email costs the same argon2 work as a wrong password, so
    // timing does not tell which emails have accounts.
    let (hash, user) = match user {
        Some(u) if !u.disabled => (u.password_hash.clone(), Some(u)),
        _ => (password::DUMMY_HASH.to_string(), None),
    };
    let ok = password::verify(password.to_string(), hash).await?;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => return Err(AuthError::BadCredentials),
    };
    let token = token::generate(token::SESSION_PREFIX);
    let token_hash = token::hash(&token);
    let ttl = i64::try_from(ttl_secs.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
    let now = crate::clock::now();
    let expires_at = now.saturating_add(ttl);
    let id =
        store::users::create_session(db, &token_hash, &user.id, expires_at, ip.as_deref()).await?;
    let session = Session {
        id,
        token_hash,
        user_id: user.id.clone(),
        created_at: now,
        expires_at,
        last_used_at: Some(now),
        client_ip: ip.clone(),
    };
    Ok((token, session_principal(user, session, ip)))
}

/// How often `last_used_at` is written for a session or token.
const TOUCH_EVERY_MICROS: i64 = 60_000_000;

fn stale(last_used_at: Option<i64>) -> bool {
    last_used_at.is_none_or(|t| crate::clock::now() - t > TOUCH_EVERY_MICROS)
}

/// The principal behind a bearer token — a session (`qs_…`) or an API token
/// (`qt_…`) — if it is live.
pub async fn authenticate(
    db: &Db,
    bearer: &str,
    ip: Option<String>,
) -> Result<Option<Principal>, AuthError> {
    let token_hash = token::hash(bearer);
    if bearer.starts_with(token::API_PREFIX) {
        let Some((t, owner)) = store::tokens::find(db, &token_hash).await? else {
            return Ok(None);
        };
        if stale(t.last_used_at) {
            store::tokens::touch(db, &t.id).await?;
        }
        return Ok(Scope::parse(&t.scope).map(|scope| token_principal(t, scope, owner, ip)));
    }
    let Some((user, session)) = store::users::session_user(db, &token_hash).await? else {
        return Ok(None);
    };
    if stale(session.last_used_at) {
        store::users::touch_session(db, &session.id).await?;
    }
    Ok(Some(session_principal(user, session, ip)))
}

/// An API token acts for the user who made it: as an editor (write scope)
/// or a viewer, never beyond that user's current role and type limits.
fn token_principal(
    token: ApiToken,
    scope: Scope,
    owner: store::tokens::TokenOwner,
    ip: Option<String>,
) -> Principal {
    let owner_role = Role::parse(&owner.role).unwrap_or(Role::Viewer);
    Principal {
        actor: Actor {
            id: token.created_by.clone(),
            label: format!("token:{}", token.name),
            ip,
        },
        role: match scope {
            Scope::Write => Role::Editor.at_most(owner_role),
            Scope::Read | Scope::Preview => Role::Viewer,
        },
        types: owner.types.map(|t| t.0),
        credential: Credential::Token { token, scope },
    }
}

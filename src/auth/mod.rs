//! Authentication: argon2id passwords and opaque session tokens.

pub mod password;
pub mod token;

use crate::store::{self, Db, StoreError};

/// Who is calling the admin API.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: store::users::User,
    pub token_hash: String,
    pub expires_at: i64,
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
}

/// Normalizes an email for lookup and uniqueness.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_new_user(email: &str, password: &str) -> Result<(), AuthError> {
    let at = email.find('@');
    if email.len() > 254 || at.is_none_or(|i| i == 0 || i == email.len() - 1) {
        return Err(AuthError::Invalid(format!(
            "`{email}` is not an email address"
        )));
    }
    password::check_strength(password).map_err(AuthError::Invalid)
}

/// Creates a user with an argon2id-hashed password.
pub async fn create_user(
    db: &Db,
    email: &str,
    password: &str,
    display_name: Option<&str>,
    role: &str,
) -> Result<store::users::User, AuthError> {
    let email = normalize_email(email);
    check_new_user(&email, password)?;
    let hash = password::hash(password.to_string()).await?;
    let name = display_name.unwrap_or_else(|| email.split('@').next().unwrap_or_default());
    Ok(store::users::create(db, &email, name, role, &hash).await?)
}

/// Checks credentials and opens a session; returns the token (shown once)
/// and the principal it stands for.
pub async fn login(
    db: &Db,
    email: &str,
    password: &str,
    ttl_secs: u64,
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
    let token = token::generate();
    let token_hash = token::hash(&token);
    let ttl = i64::try_from(ttl_secs.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
    let expires_at = crate::clock::now().saturating_add(ttl);
    store::users::create_session(db, &token_hash, &user.id, expires_at).await?;
    Ok((
        token,
        Principal {
            user,
            token_hash,
            expires_at,
        },
    ))
}

/// The principal behind a bearer token, if the session is live.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<Principal>, AuthError> {
    let token_hash = token::hash(token);
    Ok(store::users::session_user(db, &token_hash)
        .await?
        .map(|(user, expires_at)| Principal {
            user,
            token_hash,
            expires_at,
        }))
}

//! Password hashing with argon2id, off the async runtime's threads.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use std::sync::LazyLock;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use super::AuthError;

/// Hashes computed at once: each takes ~19 MiB and a core for a moment,
/// so a burst of sign-ins queues here instead of exhausting memory.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new(cores * 2)
});

/// How long a request waits for a turn before it is told to come back.
const HASHING_WAIT: Duration = Duration::from_secs(5);

async fn turn() -> Result<SemaphorePermit<'static>, AuthError> {
    match tokio::time::timeout(HASHING_WAIT, HASHING.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AuthError::Busy),
    }
}

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 1024;

/// A valid argon2id hash of a random password nobody knows, verified against
/// when an email is unknown so that both paths take the same time.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5fO3H0AZqoTZ7qXh2DyZpS29x2j8Pn8WPUg4k8U2Ndo";

/// Passwords people pick most often, of the length Quire accepts.
const COMMON: &str = include_str!("common_passwords.txt");

/// At least 12 characters (NIST SP 800-63B), not a well-known password, not
/// one character repeated, not the account's own email.
pub fn check_strength(password: &str, email: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LENGTH {
        return Err(format!("a password has at least {MIN_LENGTH} characters"));
    }
    if len > MAX_LENGTH {
        return Err(format!("a password has at most {MAX_LENGTH} characters"));
    }
    let lower = password.to_lowercase();
    let mut chars = lower.chars();
    let first = chars.next();
    if COMMON.lines().any(|p| p == lower)
        || chars.all(|c| Some(c) == first)
        || lower == email.to_lowercase()
    {
        return Err("this password is too common; choose another".into());
    }
    Ok(())
}

/// Hashes with argon2id at the default (OWASP-recommended) cost, with a fresh salt.
pub async fn hash(password: String) -> Result<String, AuthError> {
    let _turn = turn().await?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))?
}

/// True when `password` matches `hash`. A malformed stored hash never matches.
pub async fn verify(password: String, hash: String) -> Result<bool, AuthError> {
    let _turn = turn().await?;
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_by_salt() {
        let a = hash("correct horse battery".into()).await.unwrap();
        let b = hash("correct horse battery".into()).await.unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery".into(), a.clone())
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery".into(), a).await.unwrap());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short", "a@b.c").is_err());
        assert!(check_strength("Password1234", "a@b.c").is_err());
        assert!(check_strength("zzzzzzzzzzzzzz", "a@b.c").is_err());
        assert!(check_strength("me@example.com", "me@example.com").is_err());
        assert!(check_strength("plum tea at nine", "a@b.c").is_ok());
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}

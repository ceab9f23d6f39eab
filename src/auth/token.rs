//! Opaque bearer tokens: 256 random bits, stored only as a SHA-256 hash.
//! (A fast hash is right here: unlike passwords, tokens cannot be guessed.)

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Session tokens from `POST /auth/login`.
pub const SESSION_PREFIX: &str = "qs_";
/// API tokens from `POST /tokens`.
pub const API_PREFIX: &str = "qt_";

pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = super::generate(super::API_PREFIX);
        assert!(a.starts_with("qt_"));
        assert_ne!(a, super::generate(super::API_PREFIX));
        assert_eq!(super::hash(&a), super::hash(&a));
        assert_eq!(super::hash(&a).len(), 64);
    }
}

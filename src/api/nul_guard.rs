//! Refuses the NUL character (U+0000) in paths, queries and JSON bodies.
//!
//! PostgreSQL cannot store NUL in text, so such a request would fail deep in
//! the database with a server error, and SQLite would store it; refusing it
//! at the edge gives the same clear 400 on both.

use crate::api::codes::Code;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::problem::ApiError;
use crate::model::FieldError;

/// The problem for NUL found in `place` (`path`, `query`, `body`).
pub fn refused(place: &str) -> ApiError {
    ApiError::new(
        Code::BadRequest,
        format!("the {place} contains the NUL character (U+0000), which Quire does not store"),
    )
    .with_errors(vec![FieldError::new(
        place,
        "no_nul",
        "text may not contain the NUL character (U+0000)",
    )])
}

/// Whether percent-encoded text decodes to a NUL (`%00`, or a raw NUL).
fn encoded_has_nul(text: &str) -> bool {
    let b = text.as_bytes();
    b.contains(&0) || b.windows(3).any(|w| w == b"%00")
}

/// Whether JSON text holds a NUL in a string: a `\u0000` escape (raw NUL
/// bytes are not valid JSON, but are refused too).
pub fn json_has_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            0 => return true,
            b'\\' => {
                if json.get(i + 1..i + 6) == Some(b"u0000".as_slice()) {
                    return true;
                }
                i += 2; // the escaped character, whatever it is
            }
            _ => i += 1,
        }
    }
    false
}

/// The middleware for paths and queries, in front of every surface.
pub struct RefuseNul;

impl<E: Endpoint> Middleware<E> for RefuseNul {
    type Output = RefuseNulEndpoint<E>;
    fn transform(&self, inner: E) -> Self::Output {
        RefuseNulEndpoint(inner)
    }
}

pub struct RefuseNulEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RefuseNulEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if encoded_has_nul(req.uri().path()) {
            return Err(refused("path").into());
        }
        if req.uri().query().is_some_and(encoded_has_nul) {
            return Err(refused("query").into());
        }
        self.0.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_of_nul_are_found() {
        assert!(json_has_nul(br#"{"a": "x\u0000y"}"#));
        assert!(json_has_nul(br#"{"a\u0000": 1}"#));
        assert!(json_has_nul(b"{\"a\": \"\0\"}"));
    }

    #[test]
    fn an_escaped_backslash_is_not_a_nul() {
        assert!(!json_has_nul(br#"{"a": "x\\u0000y"}"#));
        assert!(!json_has_nul(br#"{"a": "\u0001 \" \\"}"#));
    }

    #[test]
    fn percent_encoded_nul_is_found() {
        assert!(encoded_has_nul("/api/articles/a%00b"));
        assert!(!encoded_has_nul("/api/articles/a%2500b"));
        assert!(!encoded_has_nul("/api/articles/a%20b"));
    }
}

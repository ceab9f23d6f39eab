//! Rendering and conditional responses for the public API.

use std::sync::Arc;

use bytes::Bytes;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Request, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::api::state::Cached;

/// Serializes a body once and derives its strong ETag from the bytes.
pub fn render(value: &Value) -> Cached {
    let body = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
    let digest = Sha256::digest(&body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Cached {
        body,
        etag: Arc::from(format!("\"{hex}\"")),
    }
}

/// True when `If-None-Match` names this ETag (or `*`). Weak validators
/// match too, as RFC 9110 asks for `If-None-Match`.
fn not_modified(req: &Request, etag: &str) -> bool {
    let Some(header) = req.headers().get(header::IF_NONE_MATCH) else {
        return false;
    };
    let Ok(text) = header.to_str() else {
        return false;
    };
    text.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

pub fn cached_response(req: &Request, cached: &Cached) -> Response {
    let etag = HeaderValue::from_str(&cached.etag).unwrap_or(HeaderValue::from_static("\"\""));
    if not_modified(req, &cached.etag) {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, etag)
            .finish();
    }
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
        .header(header::ETAG, etag)
        .body(cached.body.clone())
}

//! Rendering and conditional responses for the public API.

use std::sync::Arc;

use bytes::Bytes;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Request, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::content::cache::Cached;

/// `{"data": …}` (and `"meta"` when given), moving the values in: `json!`
/// would copy them value by value through serialization.
pub fn envelope(data: Value, meta: Option<Value>) -> Value {
    let mut out = serde_json::Map::with_capacity(2);
    out.insert("data".into(), data);
    if let Some(meta) = meta {
        out.insert("meta".into(), meta);
    }
    Value::Object(out)
}

/// Serializes a body once and derives its strong ETag from the bytes.
pub fn render(value: &Value) -> Cached {
    tagged(Bytes::from(serde_json::to_vec(value).unwrap_or_default()))
}

/// A body with its strong ETag, derived from the bytes.
pub fn tagged(body: Bytes) -> Cached {
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
    typed_response(req, cached, "application/json")
}

/// A tagged body of any media type, or a 304 when the client has it.
pub fn typed_response(req: &Request, cached: &Cached, content_type: &'static str) -> Response {
    let etag = HeaderValue::from_str(&cached.etag).unwrap_or(HeaderValue::from_static("\"\""));
    if not_modified(req, &cached.etag) {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, etag)
            .finish();
    }
    Response::builder()
        .header(header::CONTENT_TYPE, HeaderValue::from_static(content_type))
        .header(header::ETAG, etag)
        .body(cached.body.clone())
}

//! Rendering and conditional responses for the public API: each body is
//! rendered once with its validators (`ETag`, `Last-Modified`), caching
//! rules and surrogate keys, and compressed at most once per encoding.

use std::sync::Arc;

use bytes::Bytes;
use poem::http::{HeaderName, HeaderValue, StatusCode, header};
use poem::{Request, Response};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use crate::api::compress::{Encoding, MIN_COMPRESS, brotli, exact, gzip, negotiate};
use crate::content::cache::{Cached, Deps, Meta};
use crate::model::content_type::CachePolicy;
use crate::model::live_text::{Mark, Written};

/// Most bytes of surrogate keys on one response; beyond, a CDN purges the
/// response through its type's key.
const MAX_KEY_BYTES: usize = 8 * 1024;
const PRIVATE: &str = "private, no-store";
const HTTP_DATE: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);
static SURROGATE_KEY: HeaderName = HeaderName::from_static("surrogate-key");
static CACHE_TAG: HeaderName = HeaderName::from_static("cache-tag");

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

/// A live answer of no one type (search, sync): revalidated every time.
pub fn render(value: Value) -> Cached {
    render_for(Answer::Value(value), None, None, &mut Deps::default())
}

/// What a read computed: a value to render, or a body already written.
pub enum Answer {
    Value(Value),
    Written(Written),
}

/// A live answer of `content_type`'s routes, cached as its policy says,
/// with the type and every id in the body as surrogate keys; those ids
/// are added to what the answer depends on (`deps`).
pub fn render_for(
    answer: Answer,
    content_type: Option<&str>,
    policy: Option<&CachePolicy>,
    deps: &mut Deps,
) -> Cached {
    let (body, value, marks) = match answer {
        Answer::Value(v) => (
            serde_json::to_vec(&v).unwrap_or_default(),
            Some(v),
            Vec::new(),
        ),
        Answer::Written(w) => (w.body, None, w.marks),
    };
    let mut found = Found::default();
    if let Some(v) = &value {
        found.walk(v);
    }
    for mark in &marks {
        match mark {
            Mark::Entry { id, updated_at } => found.note(id, updated_at),
            Mark::Value(v) => found.walk(v),
        }
    }
    found.ids.iter().for_each(|id| deps.of_item(id));
    let mut keys: Vec<&str> = content_type.into_iter().collect();
    let mut size = keys.iter().map(|k| k.len() + 1).sum::<usize>();
    for id in &found.ids {
        if size + id.len() + 1 > MAX_KEY_BYTES {
            break;
        }
        size += id.len() + 1;
        keys.push(id);
    }
    let meta = Meta {
        cache_control: Bytes::from(CachePolicy::header(policy)),
        last_modified: found.latest.and_then(http_date),
        surrogate_keys: (!keys.is_empty()).then(|| Bytes::from(keys.join(" "))),
        cache_tags: (!keys.is_empty()).then(|| Bytes::from(keys.join(","))),
        ..Meta::default()
    };
    tagged_with(exact(body), meta)
}

/// A working copy (a preview): for this client only, never stored.
pub fn render_private(answer: Answer) -> Cached {
    let body = Bytes::from(match answer {
        Answer::Value(value) => serde_json::to_vec(&value).unwrap_or_default(),
        Answer::Written(w) => w.body,
    });
    tagged_with(
        body,
        Meta {
            cache_control: Bytes::from_static(PRIVATE.as_bytes()),
            ..Meta::default()
        },
    )
}

/// A body with its strong ETag, revalidated every time.
pub fn tagged(body: Bytes) -> Cached {
    let meta = Meta {
        cache_control: Bytes::from(CachePolicy::header(None)),
        ..Meta::default()
    };
    tagged_with(body, meta)
}

fn tagged_with(body: Bytes, meta: Meta) -> Cached {
    // A strong validator needs a hash that changes with the bytes, not one
    // that resists forgery: XXH3's 128 bits, some ten times SHA-256's speed
    // (which was 5 % of an uncached page).
    let hash = xxhash_rust::xxh3::xxh3_128(&body);
    Cached {
        body,
        etag: Arc::from(format!("\"{hash:032x}\"")),
        meta: Arc::new(meta),
    }
}

/// The ids (entries, embedded entries, assets) and the latest `updated_at`
/// in a body.
#[derive(Default)]
struct Found<'a> {
    ids: Vec<&'a str>,
    seen: std::collections::HashSet<&'a str>,
    latest: Option<&'a str>,
}

impl<'a> Found<'a> {
    /// An entry's id and `updated_at`, as [`Found::walk`] would note them.
    fn note(&mut self, id: &'a str, updated_at: &'a str) {
        if self.seen.insert(id) {
            self.ids.push(id);
        }
        if self.latest.is_none_or(|l| updated_at > l) {
            self.latest = Some(updated_at);
        }
    }

    fn walk(&mut self, v: &'a Value) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(id)) = map.get("id")
                    && self.seen.insert(id)
                {
                    self.ids.push(id);
                }
                // RFC 3339 in UTC with fixed precision: text order is time order.
                if let Some(Value::String(at)) = map.get("updated_at")
                    && self.latest.is_none_or(|l| at.as_str() > l)
                {
                    self.latest = Some(at);
                }
                map.values().for_each(|x| self.walk(x));
            }
            Value::Array(list) => list.iter().for_each(|x| self.walk(x)),
            _ => {}
        }
    }
}

fn http_date(rfc3339: &str) -> Option<(i64, Bytes)> {
    let at = OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).ok()?;
    let text = at.to_offset(time::UtcOffset::UTC).format(HTTP_DATE).ok()?;
    Some((at.unix_timestamp(), Bytes::from(text)))
}

/// The Unix second an `If-Modified-Since` names.
fn since(text: &str) -> Option<i64> {
    let at = time::PrimitiveDateTime::parse(text, HTTP_DATE).ok()?;
    Some(at.assume_utc().unix_timestamp())
}

/// The body in `encoding`, compressed once and kept with the answer.
fn encoded(cached: &Cached, encoding: Encoding) -> (Bytes, Option<&'static str>) {
    if cached.body.len() < MIN_COMPRESS {
        return (cached.body.clone(), None);
    }
    match encoding {
        Encoding::Identity => (cached.body.clone(), None),
        Encoding::Gzip => (
            cached.meta.gzip.get_or_init(|| gzip(&cached.body)).clone(),
            Some("gzip"),
        ),
        Encoding::Br => (
            cached.meta.br.get_or_init(|| brotli(&cached.body)).clone(),
            Some("br"),
        ),
    }
}

/// True when `tag` names this body: its ETag, or that of one of its
/// compressed forms (`"…-gzip"`, `"…-br"`); weak or strong.
fn same_body(tag: &str, etag: &str) -> bool {
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    if tag == "*" || tag == etag {
        return true;
    }
    let stem = etag.trim_end_matches('"');
    tag.strip_prefix(stem)
        .is_some_and(|rest| rest == "-gzip\"" || rest == "-br\"")
}

/// True when the client's validators say it has this answer: any ETag of
/// `If-None-Match`, or else an `If-Modified-Since` not before it changed.
fn not_modified(req: &Request, cached: &Cached) -> bool {
    if let Some(h) = req.headers().get(header::IF_NONE_MATCH) {
        let text = h.to_str().unwrap_or_default();
        return text.split(',').any(|t| same_body(t.trim(), &cached.etag));
    }
    let (Some((modified, _)), Some(since)) = (
        &cached.meta.last_modified,
        req.headers()
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|h| h.to_str().ok())
            .and_then(since),
    ) else {
        return false;
    };
    *modified <= since
}

pub fn cached_response(req: &Request, cached: &Cached) -> Response {
    typed_response(req, cached, "application/json")
}

fn value(bytes: &Bytes) -> Option<HeaderValue> {
    HeaderValue::from_maybe_shared(bytes.clone()).ok()
}

/// A tagged body of any media type in the encoding the client takes best,
/// or a 304 when the client has it.
pub fn typed_response(req: &Request, cached: &Cached, content_type: &'static str) -> Response {
    let encoding = negotiate(req);
    let (body, content_encoding) = if not_modified(req, cached) {
        (None, encoded_name(cached, encoding))
    } else {
        let (body, name) = encoded(cached, encoding);
        (Some(body), name)
    };
    let etag = match content_encoding {
        None => HeaderValue::from_str(&cached.etag),
        Some(name) => {
            HeaderValue::from_str(&format!("{}-{name}\"", cached.etag.trim_end_matches('"')))
        }
    }
    .unwrap_or(HeaderValue::from_static("\"\""));
    let meta = &cached.meta;
    let mut res = Response::builder()
        .header(header::ETAG, etag)
        .header(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(v) = value(&meta.cache_control) {
        res = res.header(header::CACHE_CONTROL, v);
    }
    if let Some(v) = meta.last_modified.as_ref().and_then(|(_, d)| value(d)) {
        res = res.header(header::LAST_MODIFIED, v);
    }
    if let Some(v) = meta.surrogate_keys.as_ref().and_then(value) {
        res = res.header(SURROGATE_KEY.clone(), v);
    }
    if let Some(v) = meta.cache_tags.as_ref().and_then(value) {
        res = res.header(CACHE_TAG.clone(), v);
    }
    let Some(body) = body else {
        return res.status(StatusCode::NOT_MODIFIED).finish();
    };
    if let Some(name) = content_encoding {
        res = res.header(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    res.header(header::CONTENT_TYPE, HeaderValue::from_static(content_type))
        .body(body)
}

/// The encoding a 200 would have used, for the ETag of a 304.
fn encoded_name(cached: &Cached, encoding: Encoding) -> Option<&'static str> {
    if cached.body.len() < MIN_COMPRESS {
        return None;
    }
    match encoding {
        Encoding::Identity => None,
        Encoding::Gzip => Some("gzip"),
        Encoding::Br => Some("br"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_last_modified_come_from_the_body() {
        let v = json!({"data": [
            {"id": "a1", "updated_at": "2026-01-02T03:04:05.000Z", "author": {"id": "p9", "updated_at": "2026-03-01T00:00:00.000Z"}},
            {"id": "a2", "updated_at": "2026-02-01T00:00:00.000Z", "cover": {"id": "m1", "url": "/media/m1/x.png"}},
        ]});
        let mut deps = Deps::default();
        let c = render_for(Answer::Value(v), Some("articles"), None, &mut deps);
        assert_eq!(deps.len(), 4, "the ids, each once");
        assert_eq!(
            c.meta.surrogate_keys.as_deref(),
            Some(&b"articles a1 p9 a2 m1"[..])
        );
        assert_eq!(
            c.meta.cache_tags.as_deref(),
            Some(&b"articles,a1,p9,a2,m1"[..])
        );
        let (secs, text) = c.meta.last_modified.clone().unwrap_or_default();
        assert_eq!(&text[..], b"Sun, 01 Mar 2026 00:00:00 GMT");
        assert_eq!(since("Sun, 01 Mar 2026 00:00:00 GMT"), Some(secs));
        assert_eq!(
            &c.meta.cache_control[..],
            b"public, max-age=0, must-revalidate"
        );
    }

    #[test]
    fn a_compressed_form_has_its_own_etag_that_still_validates() {
        assert!(same_body("\"abc\"", "\"abc\""));
        assert!(same_body("\"abc-gzip\"", "\"abc\""));
        assert!(same_body("W/\"abc-br\"", "\"abc\""));
        assert!(!same_body("\"abc-zstd\"", "\"abc\""));
        assert!(!same_body("\"abd\"", "\"abc\""));
    }

    #[test]
    fn compressed_forms_decompress_to_the_body() {
        use std::io::Read;
        let body = serde_json::to_vec(&json!({"data": vec!["Quire serves JSON"; 200]}))
            .unwrap_or_default();
        let gz = gzip(&body);
        assert!(gz.len() < body.len() / 4);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .ok();
        assert_eq!(out, body);
        let br = brotli(&body);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).ok();
        assert_eq!(out, body);
    }
}

//! `/admin`: the admin UI, built into the binary from `admin-ui/dist`.
//!
//! Hashed assets (`/admin/assets/…`) are cached for a year; every other
//! path gets `index.html`, uncached, so deep links load the app and a new
//! release is picked up on the next visit. Each file is compressed on its
//! first request that accepts it, and kept.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use bytes::Bytes;
use include_dir::{Dir, include_dir};
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Request, Response, handler};

use super::compress::{Encoding, MIN_COMPRESS, brotli, gzip, negotiate};

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/admin-ui/dist");

/// The app talks to its own origin only; nothing may frame it.
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; \
     style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The compressed forms of each file of the build, made when first asked for.
static COMPRESSED: LazyLock<HashMap<&'static str, [OnceLock<Bytes>; 2]>> = LazyLock::new(|| {
    let mut all = HashMap::new();
    let mut dirs = vec![&DIST];
    while let Some(dir) = dirs.pop() {
        for f in dir.files() {
            if let Some(p) = f.path().to_str() {
                all.insert(p, [OnceLock::new(), OnceLock::new()]);
            }
        }
        dirs.extend(dir.dirs());
    }
    all
});

/// A file's bytes in the best encoding the client takes.
fn encoded(req: &Request, path: &str, raw: &'static [u8]) -> (Bytes, Option<&'static str>) {
    let forms = COMPRESSED.get(path).filter(|_| raw.len() >= MIN_COMPRESS);
    match (negotiate(req), forms) {
        (Encoding::Br, Some([_, br])) => (br.get_or_init(|| brotli(raw)).clone(), Some("br")),
        (Encoding::Gzip, Some([gz, _])) => (gz.get_or_init(|| gzip(raw)).clone(), Some("gzip")),
        _ => (Bytes::from_static(raw), None),
    }
}

fn file(req: &Request, path: &str, cache: &'static str) -> Option<Response> {
    let f = DIST.get_file(path)?;
    let (body, encoding) = encoded(req, path, f.contents());
    let mut res = Response::builder()
        .header(header::CONTENT_TYPE, content_type(path))
        .header(header::CACHE_CONTROL, cache)
        .header(header::VARY, "Accept-Encoding")
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::X_FRAME_OPTIONS, "DENY");
    if let Some(e) = encoding {
        res = res.header(header::CONTENT_ENCODING, e);
    }
    Some(res.body(body))
}

fn index(req: &Request) -> Response {
    file(req, "index.html", "no-cache").unwrap_or_else(|| {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body("this build has no admin UI (admin-ui/dist is empty)")
    })
}

/// `GET /admin/` and any path under it that is not a file of the build.
#[handler]
pub fn app(req: &Request, path: Option<Path<String>>) -> Response {
    let path = path.map(|p| p.0).unwrap_or_default();
    if path.starts_with("assets/") {
        return file(req, &path, "public, max-age=31536000, immutable").unwrap_or_else(|| {
            Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body("no such asset")
        });
    }
    match path.as_str() {
        "" | "index.html" => index(req),
        other => file(req, other, "no-cache").unwrap_or_else(|| index(req)),
    }
}

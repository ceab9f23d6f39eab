//! `/admin`: the admin UI, built into the binary from `admin-ui/dist`.
//!
//! Hashed assets (`/admin/assets/…`) are cached for a year; every other
//! path gets `index.html`, uncached, so deep links load the app and a new
//! release is picked up on the next visit.

use include_dir::{Dir, include_dir};
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Response, handler};

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

fn file(path: &str, cache: &'static str) -> Option<Response> {
    let f = DIST.get_file(path)?;
    Some(
        Response::builder()
            .header(header::CONTENT_TYPE, content_type(path))
            .header(header::CACHE_CONTROL, cache)
            .header(header::CONTENT_SECURITY_POLICY, CSP)
            .header(header::X_FRAME_OPTIONS, "DENY")
            .body(f.contents()),
    )
}

fn index() -> Response {
    file("index.html", "no-cache").unwrap_or_else(|| {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body("this build has no admin UI (admin-ui/dist is empty)")
    })
}

/// `GET /admin/` and any path under it that is not a file of the build.
#[handler]
pub fn app(path: Option<Path<String>>) -> Response {
    let path = path.map(|p| p.0).unwrap_or_default();
    if path.starts_with("assets/") {
        return file(&path, "public, max-age=31536000, immutable").unwrap_or_else(|| {
            Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body("no such asset")
        });
    }
    match path.as_str() {
        "" | "index.html" => index(),
        other => file(other, "no-cache").unwrap_or_else(index),
    }
}

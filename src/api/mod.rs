//! HTTP: the admin API (poem-openapi), the public read API, health checks,
//! and the one place errors become problem documents.

pub mod admin;
pub mod admin_ui;
pub mod body_limit;
pub mod codes;
pub mod compress;
pub mod health;
pub mod media;
pub mod nul_guard;
pub mod observe;
pub mod problem;
pub mod public;
pub mod search;
pub mod state;

/// A request's query string, decoded into pairs, for the routes whose
/// parameters (`filter[field][op]`) are not a fixed list.
pub fn query_pairs(req: &poem::Request) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

//! `GET /api/sync`: every live entry and asset, then what changed since.

use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use serde_json::{Value, json};

use super::respond::{cached_response, envelope, render};
use super::{access, entry_type};
use crate::api::problem::ApiError;
use crate::api::query_pairs;
use crate::api::state::AppState;
use crate::model::FieldError;
use crate::model::sync::{Cursor, DEFAULT_SYNC_LIMIT, MAX_SYNC_LIMIT};
use crate::store;

/// What a sync request asks for.
struct SyncQuery {
    content_type: Option<String>,
    limit: i64,
    cursor: Option<Cursor>,
}

fn parse(state: &AppState, pairs: Vec<(String, String)>) -> Result<SyncQuery, Vec<FieldError>> {
    let mut q = SyncQuery {
        content_type: None,
        limit: DEFAULT_SYNC_LIMIT,
        cursor: None,
    };
    let mut errors = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "type" => match entry_type(state, &v) {
                Ok(t) => q.content_type = Some(t),
                Err(e) => errors.push(e),
            },
            "limit" => match v.parse::<i64>() {
                Ok(n) if (1..=MAX_SYNC_LIMIT).contains(&n) => q.limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    "range",
                    format!("`limit` must be a whole number from 1 to {MAX_SYNC_LIMIT}"),
                )),
            },
            "cursor" => match Cursor::decode(&v) {
                Ok(c) => q.cursor = Some(c),
                Err(e) => errors.push(e),
            },
            _ => errors.push(FieldError::new(
                k.clone(),
                "unknown_parameter",
                format!("`{k}` is not a query parameter here; use type, limit or cursor"),
            )),
        }
    }
    if let (Some(c), Some(t)) = (&q.cursor, &q.content_type)
        && c.content_type.as_ref() != Some(t)
    {
        errors.push(FieldError::new(
            "type",
            "cursor",
            "a cursor carries the type its sync began with; leave `type` out or send the same one",
        ));
    }
    if errors.is_empty() {
        Ok(q)
    } else {
        Err(errors)
    }
}

/// A page of the sync feed: without `cursor`, the full sync from the
/// start; with one, the page after it. `meta.next_cursor` is always there
/// to call next; `meta.has_more` says whether to call at once or later.
#[handler]
pub async fn sync(req: &Request, state: Data<&AppState>) -> Response {
    let state = *state;
    match page(req, state).await {
        Ok(value) => cached_response(req, &render(value)),
        Err(e) => e.into_response(),
    }
}

async fn page(req: &Request, state: &AppState) -> Result<Value, ApiError> {
    // Who may read (a closed API wants a read token); live copies only, so
    // `preview` is a parameter like any other the feed does not take.
    access(req, state).await?;
    let q = parse(state, query_pairs(req)).map_err(ApiError::invalid_query)?;
    let cursor = match q.cursor {
        Some(c) => c,
        None => Cursor::start(store::changes::last_seq(&state.db).await?, q.content_type),
    };
    let page = state.content.sync(cursor, q.limit).await?;
    let meta = json!({ "next_cursor": page.next.encode(), "has_more": page.more });
    Ok(envelope(Value::Array(page.items), Some(meta)))
}

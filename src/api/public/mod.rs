//! The public read API: published entries only, flat, cacheable.
//!
//! Plain poem handlers rather than poem-openapi operations: this is the hot
//! path, and the `filter[field][op]` query language does not fit a static
//! parameter list. Responses are rendered once per write generation and then
//! served from memory with a strong ETag.

mod respond;

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use serde_json::{Value, json};

use super::problem::ApiError;
use super::state::{AppState, Cached};
use crate::model::FieldError;
use crate::model::query::{ListQuery, Surface};
use crate::store::{self, StoreError};
use respond::{cached_response, render};

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn unknown_type(api_id: &str) -> ApiError {
    ApiError::not_found(format!("no content type `{api_id}`"))
}

/// Serves from the cache, or computes, caches and serves.
async fn cached<F>(req: &Request, state: &AppState, compute: F) -> Response
where
    F: AsyncFnOnce() -> Result<Value, ApiError>,
{
    let key = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_default();
    let generation = state.cache.generation();
    if let Some(hit) = state.cache.get(generation, key) {
        return cached_response(req, &hit);
    }
    match compute().await {
        Ok(value) => {
            let fresh: Cached = render(&value);
            state
                .cache
                .insert(generation, key.to_string(), fresh.clone());
            cached_response(req, &fresh)
        }
        Err(e) => poem::IntoResponse::into_response(e),
    }
}

/// `GET /api/{type}`: a page of published entries. A singleton type answers
/// with its one entry.
#[handler]
pub async fn list(req: &Request, Path(api_id): Path<String>, state: Data<&AppState>) -> Response {
    let state = *state;
    cached(req, state, async || {
        let ct = state
            .types
            .get(&api_id)
            .ok_or_else(|| unknown_type(&api_id))?;
        let pairs = query_pairs(req);
        let mut q =
            ListQuery::parse(&ct, &pairs, Surface::Public).map_err(ApiError::invalid_query)?;
        q.locale
            .get_or_insert_with(|| state.config.default_locale.clone());
        let fields = q.fields.clone();
        if ct.def.kind == crate::model::content_type::Kind::Singleton {
            q.limit = 1;
            let (entries, _) = store::entries::list(&state.db, &ct, &q, Surface::Public).await?;
            let entry = entries
                .first()
                .and_then(|e| e.to_public(&ct, fields.as_deref()))
                .ok_or_else(|| ApiError::not_found(format!("`{api_id}` has no published entry")))?;
            return Ok(json!({ "data": entry }));
        }
        let (entries, total) = store::entries::list(&state.db, &ct, &q, Surface::Public).await?;
        let data: Vec<Value> = entries
            .iter()
            .filter_map(|e| e.to_public(&ct, fields.as_deref()))
            .collect();
        Ok(json!({
            "data": data,
            "meta": { "total": total, "limit": q.limit, "offset": q.offset },
        }))
    })
    .await
}

/// `GET /api/{type}/{id_or_slug}`: one published entry.
#[handler]
pub async fn get(
    req: &Request,
    Path((api_id, key)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    let state = *state;
    cached(req, state, async || {
        let ct = state
            .types
            .get(&api_id)
            .ok_or_else(|| unknown_type(&api_id))?;
        let mut fields = None;
        let mut locale = None;
        let mut errors = Vec::new();
        for (k, v) in query_pairs(req) {
            // Reuse the list parser for the two parameters a single entry takes.
            match k.as_str() {
                "fields" | "locale" => {
                    match ListQuery::parse(&ct, &[(k.clone(), v)], Surface::Public) {
                        Ok(q) if k == "fields" => fields = q.fields,
                        Ok(q) => locale = q.locale,
                        Err(mut e) => errors.append(&mut e),
                    }
                }
                _ => errors.push(FieldError::new(
                    k.clone(),
                    "unknown_parameter",
                    format!("`{k}` is not a query parameter here; use fields or locale"),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid_query(errors));
        }
        let locale = locale.unwrap_or_else(|| state.config.default_locale.clone());
        let entry = match store::entries::get_public(&state.db, &api_id, &locale, &key).await {
            Err(StoreError::NotFound) => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no published {api_id} entry `{key}`"),
                ));
            }
            other => other?,
        };
        let data = entry
            .to_public(&ct, fields.as_deref())
            .ok_or_else(|| ApiError::not_found(format!("no published {api_id} entry `{key}`")))?;
        Ok(json!({ "data": data }))
    })
    .await
}

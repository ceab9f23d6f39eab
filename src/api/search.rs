//! Search over HTTP, shared by the public API (`GET /api/search`, live
//! copies) and the admin API (`GET /admin/api/search`, working copies):
//! the query parsed, the types the caller may search, the answer's
//! envelope. What is found is the content service's (`content::search`).

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::problem::ApiError;
use super::state::AppState;
use crate::auth::Principal;
use crate::content::search::{SearchAsk, SearchFailure};
use crate::model::FieldError;
use crate::model::content_type::ContentType;
use crate::model::query::{ListQuery, Surface};
use crate::search::query;

fn bad(field: &str, rule: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_query(vec![FieldError::new(field, rule, message)])
}

/// Runs a search from decoded query pairs. `principal` limits the types an
/// admin caller may search.
pub async fn run(
    state: &AppState,
    pairs: Vec<(String, String)>,
    surface: Surface,
    principal: Option<&Principal>,
) -> Result<Value, ApiError> {
    let started = Instant::now();
    let mut text = None;
    let mut type_name = None;
    let mut rest = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "q" => text = Some(v),
            "type" => type_name = Some(v),
            "sort" => {
                return Err(bad(
                    "sort",
                    "unsupported",
                    "search results are ordered by relevance",
                ));
            }
            _ => rest.push((k, v)),
        }
    }
    let text = text.ok_or_else(|| bad("q", "required", "`q` is required"))?;
    let user_query = query::parse(&text).map_err(|m| bad("q", "syntax", m))?;
    let allowed = |ct: &ContentType| principal.is_none_or(|p| p.require_type(ct.api_id()).is_ok());
    let types: Vec<Arc<ContentType>> = match &type_name {
        Some(t) => {
            let ct = state
                .types
                .get(t)
                .filter(|ct| allowed(ct))
                .ok_or_else(|| bad("type", "unknown_type", format!("no content type `{t}`")))?;
            if ct.searchable_fields().next().is_none() {
                return Err(bad(
                    "type",
                    "not_searchable",
                    format!("`{t}` has no searchable fields"),
                ));
            }
            vec![ct]
        }
        None => state
            .types
            .all()
            .into_iter()
            .filter(|ct| ct.searchable_fields().next().is_some() && allowed(ct))
            .collect(),
    };
    // Paging, locale and filters use the list language; filters need a type.
    let has_filters = rest.iter().any(|(k, _)| k.starts_with("filter["));
    if has_filters && types.len() != 1 {
        return Err(bad("filter", "needs_type", "filters need `type=`"));
    }
    let Some(first) = types.first() else {
        // Nothing to search, but the parameters are still checked, so a bad
        // one is refused whatever content the site has.
        let no_fields =
            ContentType::from_json(json!({"api_id": "none", "name": "none", "fields": []}))
                .map_err(ApiError::validation)?;
        let lq = ListQuery::parse(&no_fields, &rest, surface).map_err(ApiError::invalid_query)?;
        let meta = json!({"total": 0, "limit": lq.limit, "offset": lq.offset, "took_ms": 0});
        return Ok(json!({"data": [], "meta": meta}));
    };
    if types.len() > 1 && rest.iter().any(|(k, _)| k == "fields") {
        return Err(bad("fields", "needs_type", "`fields` needs `type=`"));
    }
    let list = ListQuery::parse(first, &rest, surface).map_err(ApiError::invalid_query)?;
    let ask = SearchAsk {
        query: user_query,
        types,
        list,
    };
    let page = state
        .content
        .search(&state.search, ask, surface)
        .await
        .map_err(|e| match e {
            SearchFailure::Invalid(errors) => ApiError::invalid_query(errors),
            SearchFailure::Store(e) => e.into(),
            SearchFailure::Index(e) => {
                tracing::error!(error = %e, "search failed");
                ApiError::internal()
            }
        })?;
    let meta = json!({
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "took_ms": started.elapsed().as_millis() as u64,
    });
    Ok(crate::api::public::respond::envelope(
        Value::Array(page.data),
        Some(meta),
    ))
}

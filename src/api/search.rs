//! Search over HTTP, shared by the public API (`GET /api/search`, live
//! copies) and the admin API (`GET /admin/api/search`, working copies).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::problem::ApiError;
use super::state::AppState;
use crate::auth::Principal;
use crate::model::FieldError;
use crate::model::content_type::ContentType;
use crate::model::query::{ListQuery, Surface, Translations, known_locale};
use crate::search::documents::plan;
use crate::search::highlight::{Matcher, highlight};
use crate::search::{Copy, query};
use crate::store;

/// How deep search pages go; filters apply within these best hits.
const MAX_HITS: usize = 1000;

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
    let mut lq = ListQuery::parse(first, &rest, surface).map_err(ApiError::invalid_query)?;
    if surface == Surface::Public {
        lq.locale
            .get_or_insert_with(|| state.config.default_locale.clone());
    }
    // Search finds translations in the locale asked for (every one with
    // `*` or, on the admin API, none), not along fallback chains.
    if lq.locale.as_deref() == Some("*") {
        lq.locale = None;
    }
    if let Some(l) = &lq.locale {
        known_locale(&state.config.locales, l).map_err(|e| ApiError::invalid_query(vec![e]))?;
        lq.translations = Translations::Best {
            order: vec![l.clone()],
            only: true,
        };
    }
    let (limit, offset) = (lq.limit as usize, lq.offset as usize);
    if offset + limit > MAX_HITS {
        return Err(bad(
            "offset",
            "range",
            format!("search pages reach the best {MAX_HITS} results"),
        ));
    }
    let copy = match surface {
        Surface::Public => Copy::Live,
        Surface::Admin => Copy::Draft,
    };
    let plans: Vec<_> = types.iter().map(|ct| plan(ct)).collect();
    let wanted = if has_filters {
        MAX_HITS
    } else {
        offset + limit
    };
    let search = state.search.clone();
    let locale = lq.locale.clone();
    let uq = user_query.clone();
    let result = tokio::task::spawn_blocking(move || {
        search.search(&uq, &plans, copy, locale.as_deref(), wanted)
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|e| {
        tracing::error!(error = %e, "search failed");
        ApiError::internal()
    })?;

    // The database has the last word: what is no longer visible is dropped.
    let by_type: HashMap<&str, &Arc<ContentType>> = types.iter().map(|t| (t.api_id(), t)).collect();
    let mut found = HashMap::new();
    for ct in &types {
        let ids: Vec<String> = result
            .hits
            .iter()
            .filter(|h| h.content_type == ct.api_id())
            .map(|h| h.entry_id.clone())
            .collect();
        for e in store::entries::among(&state.db, ct, &ids, &lq, surface).await? {
            found.insert(e.id.clone(), e);
        }
    }
    let visible: Vec<_> = result
        .hits
        .iter()
        .filter(|h| found.contains_key(&h.entry_id))
        .collect();
    let total = if has_filters {
        visible.len()
    } else {
        result.count
    };
    let matchers: HashMap<&str, Matcher> = types
        .iter()
        .map(|ct| {
            (
                ct.api_id(),
                Matcher::new(&user_query, ct.def.language.as_deref(), &result.expanded),
            )
        })
        .collect();
    let mut data = Vec::new();
    let mut types = Vec::new();
    for hit in visible.into_iter().skip(offset).take(limit) {
        let (Some(e), Some(ct)) = (
            found.get(&hit.entry_id),
            by_type.get(hit.content_type.as_str()),
        ) else {
            continue;
        };
        let copy = match surface {
            Surface::Public => e.published.as_ref(),
            Surface::Admin => Some(&e.draft),
        };
        let flat = match surface {
            Surface::Public => e.to_public(ct, lq.fields.as_deref()),
            Surface::Admin => e.to_preview(ct, lq.fields.as_deref()),
        };
        let (Some(copy), Some(Value::Object(flat))) = (copy, flat) else {
            continue;
        };
        let language = ct.def.language.as_deref();
        let Some(matcher) = matchers.get(ct.api_id()) else {
            continue;
        };
        let highlights: Map<String, Value> = ct
            .searchable_fields()
            .filter_map(|f| {
                let text = copy.get(&f.name)?.as_str()?;
                Some((
                    f.name.clone(),
                    Value::String(highlight(matcher, text, language)?),
                ))
            })
            .collect();
        let mut item = Map::new();
        item.insert("id".into(), Value::String(e.id.clone()));
        item.insert("type".into(), Value::String(e.content_type.clone()));
        item.insert("score".into(), json!(hit.score));
        item.insert("highlights".into(), Value::Object(highlights));
        if surface == Surface::Admin {
            item.insert("status".into(), Value::String(e.status.as_str().into()));
        }
        for (k, v) in flat {
            item.entry(k).or_insert(v);
        }
        data.push(Value::Object(item));
        types.push(ct);
    }
    let mut items: Vec<(&ContentType, &mut Value)> = types
        .into_iter()
        .map(|ct| ct.as_ref())
        .zip(data.iter_mut())
        .collect();
    crate::content::embed::embed(&state.db, &mut items).await?;
    let meta = json!({
        "total": total,
        "limit": limit,
        "offset": offset,
        "took_ms": started.elapsed().as_millis() as u64,
    });
    Ok(crate::api::public::respond::envelope(
        Value::Array(data),
        Some(meta),
    ))
}

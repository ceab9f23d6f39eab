//! Search: the index's best hits for a query, checked against the database
//! and shown with highlights. The public API searches live copies, the
//! admin API working copies; the handlers parse the query and decide which
//! types the caller may search, this decides what is found.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Content;
use crate::model::FieldError;
use crate::model::content_type::ContentType;
use crate::model::query::{ListQuery, Surface, Translations, known_locale};
use crate::search::documents::plan;
use crate::search::highlight::{Matcher, highlight};
use crate::search::query::UserQuery;
use crate::search::{Copy, SearchIndex};
use crate::store::{self, StoreError};

/// How deep search pages go; filters apply within these best hits.
pub const MAX_HITS: usize = 1000;

/// A search as the handler parsed and authorised it.
pub struct SearchAsk {
    pub query: UserQuery,
    /// The types to search: each has searchable fields and the caller may
    /// read it. Filters (in `list`) need exactly one.
    pub types: Vec<Arc<ContentType>>,
    /// Paging, locale, `fields` and filters, parsed against the first type.
    pub list: ListQuery,
}

/// One page of hits, best first.
pub struct SearchPage {
    pub data: Vec<Value>,
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchFailure {
    /// A parameter breaks a rule of search (a locale not served, a page
    /// beyond the hits searched).
    #[error("invalid search: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index could not answer.
    #[error("search index: {0}")]
    Index(String),
}

fn invalid(field: &str, rule: &str, message: String) -> SearchFailure {
    SearchFailure::Invalid(vec![FieldError::new(field, rule, message)])
}

impl Content {
    /// The page of hits `ask` asks for, on `surface`'s copies.
    pub async fn search(
        &self,
        index: &Arc<SearchIndex>,
        ask: SearchAsk,
        surface: Surface,
    ) -> Result<SearchPage, SearchFailure> {
        let SearchAsk {
            query,
            types,
            list: mut lq,
        } = ask;
        if surface == Surface::Public {
            lq.locale
                .get_or_insert_with(|| self.locales.default_locale().to_string());
        }
        // Search finds translations in the locale asked for (every one with
        // `*` or, on the admin API, none), not along fallback chains.
        if lq.locale.as_deref() == Some("*") {
            lq.locale = None;
        }
        if let Some(l) = &lq.locale {
            known_locale(&self.locales, l).map_err(|e| SearchFailure::Invalid(vec![e]))?;
            lq.translations = Translations::Best {
                order: vec![l.clone()],
                only: true,
            };
        }
        let (limit, offset) = (lq.limit as usize, lq.offset as usize);
        if offset + limit > MAX_HITS {
            return Err(invalid(
                "offset",
                "range",
                format!("search pages reach the best {MAX_HITS} results"),
            ));
        }
        let has_filters = !lq.filters.is_empty();
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
        let search = index.clone();
        let locale = lq.locale.clone();
        let uq = query.clone();
        let result = tokio::task::spawn_blocking(move || {
            search.search(&uq, &plans, copy, locale.as_deref(), wanted)
        })
        .await
        .map_err(|e| SearchFailure::Index(e.to_string()))?
        .map_err(|e| SearchFailure::Index(e.to_string()))?;

        // The database has the last word: what is no longer visible is dropped.
        let by_type: HashMap<&str, &Arc<ContentType>> =
            types.iter().map(|t| (t.api_id(), t)).collect();
        let mut found = HashMap::new();
        for ct in &types {
            let ids: Vec<String> = result
                .hits
                .iter()
                .filter(|h| h.content_type == ct.api_id())
                .map(|h| h.entry_id.clone())
                .collect();
            for e in store::entries::among(&self.db, ct, &ids, &lq, surface).await? {
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
                    Matcher::new(&query, ct.def.language.as_deref(), &result.expanded),
                )
            })
            .collect();
        let mut data = Vec::new();
        let mut shown = Vec::new();
        for hit in visible.into_iter().skip(offset).take(limit) {
            let (Some(e), Some(ct), Some(matcher)) = (
                found.get(&hit.entry_id),
                by_type.get(hit.content_type.as_str()),
                matchers.get(hit.content_type.as_str()),
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
            shown.push(ct.as_ref());
        }
        let mut items: Vec<(&ContentType, &mut Value)> =
            shown.into_iter().zip(data.iter_mut()).collect();
        super::embed::embed(&self.db, &mut items).await?;
        Ok(SearchPage {
            data,
            total,
            limit,
            offset,
        })
    }
}

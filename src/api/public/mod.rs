//! The public read API: published entries only (working copies with a
//! preview token), flat, cacheable.
//!
//! Plain poem handlers rather than poem-openapi operations: this is the hot
//! path, and the `filter[field][op]` query language does not fit a static
//! parameter list. Published responses are rendered once per write
//! generation and then served from memory with a strong ETag.

pub(crate) mod access;
pub mod contract;
pub mod docs;
pub mod events;
pub mod hits;
pub(crate) mod respond;
pub mod sync;

use std::sync::Arc;

use poem::http::header;
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};
use serde_json::{Value, json};

use super::problem::ApiError;
use super::query_pairs;
use super::state::AppState;
use crate::config::PublicAccess;
use crate::content::cache::{Cached, Deps};
use crate::content::reads::Read;
use crate::model::FieldError;
use crate::model::content_type::{ContentType, Kind};
use crate::model::entry::Entry;
use crate::model::populate::Populate;
use crate::model::query::{ListQuery, RichtextAs, Surface, known_locale};
use crate::store::StoreError;
use access::{Access, check_access};
use respond::{Answer, cached_response, envelope, render, render_for, render_private};

/// What a public request may see.
async fn access(req: &Request, state: &AppState) -> Result<Access, ApiError> {
    // The common read — open API, no credentials, no preview — needs no work
    // before the cache lookup.
    let anonymous = !req.headers().contains_key(header::AUTHORIZATION);
    let query = req.uri().query().unwrap_or_default();
    if anonymous && state.config.public_access == PublicAccess::Open && !query.contains("preview") {
        return Ok(Access::Published);
    }
    check_access(req, state, &mut query_pairs(req)).await
}

/// `type=` of the feed routes: a content type that has entries.
fn entry_type(state: &AppState, v: &str) -> Result<String, FieldError> {
    match state.types.get(v) {
        Some(ct) if ct.def.kind != Kind::Component => Ok(v.to_string()),
        _ => Err(FieldError::new(
            "type",
            "content_type",
            format!("no content type `{v}` has entries"),
        )),
    }
}

/// The query parameters, less `preview`, which `access` has already read.
fn pairs(req: &Request) -> Vec<(String, String)> {
    let mut pairs = query_pairs(req);
    pairs.retain(|(k, _)| k != "preview");
    pairs
}

fn surface(access: &Access) -> Surface {
    match access {
        Access::Published => Surface::Public,
        Access::Preview(_) => Surface::Admin,
    }
}

fn content_type(
    state: &AppState,
    access: &Access,
    api_id: &str,
) -> Result<std::sync::Arc<ContentType>, ApiError> {
    if let Access::Preview(principal) = access {
        principal.require_type(api_id)?;
    }
    // A component has no entries of its own: it is not a route.
    state
        .types
        .get(api_id)
        .filter(|ct| ct.def.kind != Kind::Component)
        .ok_or_else(|| ApiError::not_found(format!("no content type `{api_id}`")))
}

/// A preview token scoped to some types may populate only those.
fn check_populate(
    state: &AppState,
    access: &Access,
    ct: &ContentType,
    populate: &Populate,
) -> Result<(), ApiError> {
    let Access::Preview(principal) = access else {
        return Ok(());
    };
    for (field, sub) in &populate.fields {
        if let Some(to) = ct.field(field).and_then(|f| f.to.as_deref()) {
            principal.require_type(to)?;
            if let Some(target) = state.types.get(to) {
                check_populate(state, access, &target, sub)?;
            }
        }
    }
    Ok(())
}

/// The public shape of an entry: its live copy, or its working copy in a preview.
fn shape(access: &Access, ct: &ContentType, e: Entry, fields: Option<&[String]>) -> Option<Value> {
    match access {
        Access::Published => e.into_public(ct, fields),
        Access::Preview(_) => e.into_preview(ct, fields),
    }
}

/// A read entry's shape, with where its values came from (`meta`) when
/// read through a fallback chain.
fn shaped(access: &Access, ct: &ContentType, r: Read, fields: Option<&[String]>) -> Option<Value> {
    let meta = r.meta();
    let mut v = shape(access, ct, r.entry, fields)?;
    if let (Some(meta), Value::Object(map)) = (meta, &mut v) {
        map.insert("meta".into(), meta);
    }
    Some(v)
}

/// Public entries with their media fields shown as assets and the
/// relations `populate` names replaced by the entries they point at.
async fn with_media(
    state: &AppState,
    ct: &Arc<ContentType>,
    populate: &Populate,
    surface: Surface,
    chain: &[String],
    mut values: Vec<Value>,
) -> Result<Vec<Value>, ApiError> {
    let queries = state
        .content
        .populate(ct, &mut values, populate, surface, chain)
        .await?;
    state.metrics.populate_queries.inc_by(queries);
    let mut items: Vec<(&ContentType, &mut Value)> =
        values.iter_mut().map(|v| (&**ct, v)).collect();
    crate::content::embed::embed(&state.db, &mut items).await?;
    Ok(values)
}

/// What a cached answer shows beyond the entries and assets in its body.
enum Shows {
    /// One entry as stored: only the ids in its body matter.
    Entry,
    /// A list, a singleton or a populated entry: any write to its type, or
    /// to a type its relations reach (filters and `populate` read those).
    Type,
}

/// Answers a read of `api_id`'s routes: published responses from the
/// cache while nothing they show has changed, cached as the type says;
/// previews always fresh and private.
async fn respond<F>(
    req: &Request,
    state: &AppState,
    access: &Access,
    api_id: &str,
    shows: Shows,
    compute: F,
) -> Response
where
    F: AsyncFnOnce() -> Result<Answer, ApiError>,
{
    if matches!(access, Access::Preview(_)) {
        return match compute().await {
            Ok(answer) => cached_response(req, &render_private(answer)),
            Err(e) => e.into_response(),
        };
    }
    // The whole URL, as the router found it, so `hits` finds it too.
    let key = req
        .original_uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_default();
    if let Some(hit) = state.cache.peek(key) {
        return cached_response(req, &hit);
    }
    let _turn = state.cache.turn(key).await;
    if let Some(hit) = state.cache.peek(key) {
        // Computed by the caller whose turn came first.
        return cached_response(req, &hit);
    }
    state.cache.missed();
    let epoch = state.cache.epoch();
    match compute().await {
        Ok(answer) => {
            let ct = state.types.get(api_id);
            let policy = ct.as_ref().and_then(|ct| ct.def.cache);
            let mut deps = match (&shows, &ct) {
                (Shows::Type, Some(ct)) => state.content.type_deps(ct),
                _ => Deps::default(),
            };
            let fresh: Cached = render_for(answer, Some(api_id), policy.as_ref(), &mut deps);
            if state.cache.enabled() {
                state
                    .cache
                    .insert(key.to_string(), fresh.clone(), epoch, &deps);
            }
            cached_response(req, &fresh)
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /api/{type}`: a page of published entries. A singleton type answers
/// with its one entry.
#[handler]
pub async fn list(req: &Request, Path(api_id): Path<String>, state: Data<&AppState>) -> Response {
    list_of(req, api_id, &state).await
}

/// A type's list route (also reached through `/api/events` when a type of
/// that name predates the stream).
pub(crate) async fn list_of(req: &Request, api_id: String, state: &AppState) -> Response {
    let access = match access(req, state).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    respond(req, state, &access, &api_id, Shows::Type, async || {
        access.not_a_link()?;
        let ct = content_type(state, &access, &api_id)?;
        let surface = surface(&access);
        let mut q = ListQuery::parse_with(&ct, &pairs(req), surface, &*state.types)
            .map_err(ApiError::invalid_query)?;
        check_populate(state, &access, &ct, &q.populate)?;
        q.choose_translations(&state.config.locales, Surface::Public)
            .map_err(|e| ApiError::invalid_query(vec![e]))?;
        let chain = state
            .content
            .chain(q.locale.as_deref().filter(|l| *l != "*"));
        let fields = q.fields.clone();
        if ct.def.kind == Kind::Singleton {
            q.limit = 1;
            let (reads, _) = state.content.list_entries(&ct, &q, surface).await?;
            let entry = reads
                .into_iter()
                .next()
                .and_then(|r| shaped(&access, &ct, r, fields.as_deref()))
                .ok_or_else(|| ApiError::not_found(format!("`{api_id}` has no published entry")))?;
            let mut entry =
                with_media(state, &ct, &q.populate, surface, &chain, vec![entry]).await?;
            if q.richtext == RichtextAs::Html {
                crate::content::richtext::render_entries(
                    &ct,
                    &mut entry,
                    state.config.public_url.as_deref(),
                );
            }
            return Ok(Answer::Value(envelope(entry.swap_remove(0), None)));
        }
        if matches!(access, Access::Published)
            && let Some(page) = state.content.plain_page(&ct, &q, &chain).await?
        {
            state.metrics.pages_from_text.inc();
            state.metrics.populate_queries.inc_by(page.populate_queries);
            return Ok(Answer::Written(page.written));
        }
        let (reads, total) = state.content.list_entries(&ct, &q, surface).await?;
        // A full page may have a next one: its cursor continues after the
        // last entry shown, whatever is published before it meanwhile.
        let next = reads
            .last()
            .filter(|_| reads.len() as i64 == q.limit)
            .map(|r| crate::model::keyset::cursor_after(&q.sort_for(surface), &r.entry, surface));
        let data: Vec<Value> = reads
            .into_iter()
            .filter_map(|r| shaped(&access, &ct, r, fields.as_deref()))
            .collect();
        let mut data = with_media(state, &ct, &q.populate, surface, &chain, data).await?;
        if q.richtext == RichtextAs::Html {
            crate::content::richtext::render_entries(
                &ct,
                &mut data,
                state.config.public_url.as_deref(),
            );
        }
        let meta = json!({ "total": total, "limit": q.limit, "offset": q.offset, "next": next });
        Ok(Answer::Value(envelope(Value::Array(data), Some(meta))))
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
    let access = match access(req, state).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    // A populated entry shows its targets as they are now.
    let populated = req.uri().query().is_some_and(|q| q.contains("populate"));
    let shows = if populated { Shows::Type } else { Shows::Entry };
    respond(req, state, &access, &api_id, shows, async || {
        let ct = content_type(state, &access, &api_id)?;
        let mut fields = None;
        let mut locale = None;
        let mut populate = Populate::default();
        let mut richtext = RichtextAs::Markdown;
        let mut errors = Vec::new();
        for (k, v) in pairs(req) {
            // Reuse the list parser for the parameters a single entry takes.
            match k.as_str() {
                "fields" | "locale" | "populate" => {
                    let one = [(k.clone(), v)];
                    match ListQuery::parse_with(&ct, &one, Surface::Public, &*state.types) {
                        Ok(q) if k == "fields" => fields = q.fields,
                        Ok(q) if k == "locale" => locale = q.locale,
                        Ok(q) => populate = q.populate,
                        Err(mut e) => errors.append(&mut e),
                    }
                }
                "richtext" => match RichtextAs::parse(&v) {
                    Ok(r) => richtext = r,
                    Err(e) => errors.push(e),
                },
                _ => errors.push(FieldError::new(
                    k.clone(),
                    "unknown_parameter",
                    format!(
                        "`{k}` is not a query parameter here; use fields, locale, populate or richtext"
                    ),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid_query(errors));
        }
        check_populate(state, &access, &ct, &populate)?;
        if let Some(l) = &locale {
            if l == "*" {
                return Err(ApiError::invalid_query(vec![FieldError::new(
                    "locale",
                    "locale",
                    "one entry is read in one locale; `locale=*` lists every translation on the list route",
                )]));
            }
            known_locale(&state.config.locales, l).map_err(|e| ApiError::invalid_query(vec![e]))?;
        }
        let chain = state.content.chain(locale.as_deref());
        let surface = surface(&access);
        let missing = || ApiError::not_found(format!("no published {api_id} entry `{key}`"));
        let read = match state.content.read_entry(&ct, &chain, &key, surface).await {
            Err(StoreError::NotFound) => return Err(missing()),
            other => other?,
        };
        if access.only_entry().is_some_and(|only| only != read.entry.id) {
            return Err(missing());
        }
        let data = shaped(&access, &ct, read, fields.as_deref()).ok_or_else(missing)?;
        let mut data = with_media(state, &ct, &populate, surface, &chain, vec![data]).await?;
        if richtext == RichtextAs::Html {
            crate::content::richtext::render_entries(
                &ct,
                &mut data,
                state.config.public_url.as_deref(),
            );
        }
        Ok(Answer::Value(envelope(data.swap_remove(0), None)))
    })
    .await
}

/// `GET /api/search?q=…`: published entries ranked by relevance, with
/// highlights. Working copies with `?preview=true` and a preview token.
#[handler]
pub async fn search(req: &Request, state: Data<&AppState>) -> Response {
    let state = *state;
    let access = match access(req, state).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = access.not_a_link() {
        return e.into_response();
    }
    let principal = match &access {
        Access::Published => None,
        Access::Preview(p) => Some(p.as_ref()),
    };
    let surface = surface(&access);
    match crate::api::search::run(state, pairs(req), surface, principal).await {
        Ok(value) if principal.is_some() => {
            cached_response(req, &render_private(Answer::Value(value)))
        }
        Ok(value) => cached_response(req, &render(value)),
        Err(e) => e.into_response(),
    }
}

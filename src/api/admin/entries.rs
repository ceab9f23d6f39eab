//! `/entries/{type}`: write, publish, unpublish and delete entries.

use super::schemas::Text;
use super::statuses::*;
use crate::api::codes::Code;
use std::sync::Arc;

use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::{Map, Value};

use super::objects::{
    EntryCreate, EntryList, EntryOut, EntryPatch, EntryPut, ListMeta, PreviewLinkOut,
    ReferenceList, ReferenceOut, ScheduleSet,
};
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::clock;
use crate::content::schedule::ScheduleChange;
use crate::model::FieldError;
use crate::model::access::Permission;
use crate::model::content_type::{ContentType, Kind};
use crate::model::entry::Entry;
use crate::model::query::{ListQuery, Surface, known_locale};
use crate::store;
use poem_openapi::types::MaybeUndefined;

pub struct EntriesApi;

#[derive(ApiResponse)]
pub enum EntryResponse {
    /// The entry; its ETag is its version, for `If-Match`.
    #[oai(status = 200)]
    Ok(Json<EntryOut>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum EntryCreated {
    /// The entry was created as a draft.
    #[oai(status = 201)]
    Created(
        Json<EntryOut>,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

#[derive(ApiResponse)]
pub enum EntryWritten {
    /// The entry, or its translation in the locale named, was created as a
    /// draft.
    #[oai(status = 201)]
    Created(
        Json<EntryOut>,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
    /// The translation's working copy was changed.
    #[oai(status = 200)]
    Ok(Json<EntryOut>, #[oai(header = "ETag")] String),
}

impl EntryWritten {
    fn of(out: EntryOut, created: bool) -> EntryWritten {
        let etag = format!("\"{}\"", out.version);
        if created {
            let location = format!(
                "/admin/api/entries/{}/{}?locale={}",
                out.content_type, out.id, out.locale
            );
            EntryWritten::Created(Json(out), location, etag)
        } else {
            EntryWritten::Ok(Json(out), etag)
        }
    }
}

#[derive(ApiResponse)]
pub enum EntryDeleted {
    /// The entry and its revisions are gone.
    #[oai(status = 204)]
    Done,
}

/// A type that has entries: a component is used inside other types only.
fn content_type_of(state: &AppState, api_id: &str) -> Result<Arc<ContentType>, ApiError> {
    match state.types.get(api_id) {
        Some(ct) if ct.def.kind == Kind::Component => Err(ApiError::not_found(format!(
            "`{api_id}` is a component: it is used inside other types' fields and has no entries"
        ))),
        Some(ct) => Ok(ct),
        None => Err(ApiError::not_found(format!("no content type `{api_id}`"))),
    }
}

fn as_object(data: Value) -> Result<Map<String, Value>, ApiError> {
    match data {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::validation(vec![FieldError::new(
            "data",
            "type",
            "`data` must be an object of fields",
        )])),
    }
}

/// The locale a body names (one of the server's), or the default.
fn locale_of(given: Option<Text>, state: &AppState) -> Result<String, ApiError> {
    match given.map(Text::into_inner) {
        None => Ok(state.config.default_locale.clone()),
        Some(l) => known_locale(&state.config.locales, &l)
            .map(str::to_string)
            .map_err(|e| ApiError::validation(vec![e])),
    }
}

/// `?locale=`: one of the server's locales, or none.
pub(super) fn locale_param(
    given: Option<String>,
    state: &AppState,
) -> Result<Option<String>, ApiError> {
    given
        .map(|l| {
            known_locale(&state.config.locales, &l)
                .map(str::to_string)
                .map_err(|e| ApiError::invalid_query(vec![e]))
        })
        .transpose()
}

/// The entry as the admin API shows it, with its translations.
async fn out(state: &AppState, ct: &ContentType, e: &Entry) -> Result<EntryOut, ApiError> {
    let mut by_id = state
        .content
        .translations(std::slice::from_ref(&e.id))
        .await?;
    let list = by_id.remove(&e.id).unwrap_or_default();
    Ok(EntryOut::new(ct, e).with_translations(&list))
}

pub(super) async fn ok(
    state: &AppState,
    ct: &ContentType,
    e: &Entry,
) -> Result<EntryResponse, ApiError> {
    let etag = format!("\"{}\"", e.version);
    Ok(EntryResponse::Ok(Json(out(state, ct, e).await?), etag))
}

/// The type, if the caller may work on it with this permission.
pub(super) fn allowed_type(
    state: &AppState,
    auth: &AdminAuth,
    api_id: &str,
    permission: Permission,
) -> Result<Arc<ContentType>, ApiError> {
    auth.0.require(permission)?;
    auth.0.require_type(api_id)?;
    content_type_of(state, api_id)
}

/// The version a write is based on: `?version=N` or `If-Match: "N"`.
pub(super) fn expected_version(
    version: Option<i64>,
    if_match: Option<String>,
) -> Result<Option<i64>, ApiError> {
    let from_header = match if_match {
        None => None,
        Some(h) => {
            let tag = h.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
            Some(tag.parse::<i64>().map_err(|_| {
                ApiError::new(
                    Code::InvalidHeader,
                    "If-Match takes a version as an ETag, like \"3\"",
                )
            })?)
        }
    };
    match (version, from_header) {
        (Some(a), Some(b)) if a != b => Err(ApiError::new(
            Code::InvalidHeader,
            "?version and If-Match disagree",
        )),
        (v, h) => Ok(v.or(h)),
    }
}

#[OpenApi(prefix_path = "/entries", tag = "Tag::Entries")]
impl EntriesApi {
    /// List entries with their working copies. Takes the public API's query
    /// language: `limit`, `offset`, `sort=-updated_at,title`,
    /// `filter[field][op]=value` (ops: eq ne lt lte gt gte in contains
    /// starts_with null; also `filter[status][eq]=draft`), `fields`, `locale`.
    #[oai(path = "/:content_type", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&AppState>,
        req: &Request,
        auth: AdminAuth,
        content_type: Path<String>,
        /// Page size, 1 to 100 (default 25).
        #[oai(
            name = "limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        _limit: Query<Option<i64>>,
        /// Entries to skip.
        #[oai(name = "offset", validator(minimum(value = "0")))]
        _offset: Query<Option<i64>>,
        /// Comma-separated keys, `-` for descending (default `-updated_at`).
        #[oai(name = "sort")]
        _sort: Query<Option<String>>,
    ) -> Result<Json<EntryList>, Problems<{ ONE }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let pairs = crate::api::query_pairs(req);
        let mut q = ListQuery::parse_with(&ct, &pairs, Surface::Admin, &*state.types)
            .map_err(ApiError::invalid_query)?;
        q.choose_translations(&state.config.locales, Surface::Admin)
            .map_err(|e| ApiError::invalid_query(vec![e]))?;
        let (entries, total) = store::entries::list(&state.db, &ct, &q, Surface::Admin).await?;
        let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
        let translations = state.content.translations(&ids).await?;
        let mut data: Vec<EntryOut> = entries
            .iter()
            .map(|e| {
                let list = translations
                    .get(&e.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let out = EntryOut::new(&ct, e).with_translations(list);
                match &q.fields {
                    Some(fields) => out.narrow(fields),
                    None => out,
                }
            })
            .collect();
        if !q.populate.is_empty() {
            let mut copies: Vec<Value> = data.iter_mut().map(|e| e.data.take()).collect();
            let locale = q.locale.as_deref().filter(|l| *l != "*");
            let chain = state.content.chain(locale);
            let queries = state
                .content
                .populate(&ct, &mut copies, &q.populate, Surface::Admin, &chain)
                .await?;
            state.metrics.populate_queries.inc_by(queries);
            for (e, copy) in data.iter_mut().zip(copies) {
                e.data = copy;
            }
        }
        Ok(Json(EntryList {
            data,
            meta: ListMeta {
                total,
                limit: q.limit,
                offset: q.offset,
            },
        }))
    }

    /// Create an entry (a draft) from `{"data": {...fields}}`.
    #[oai(path = "/:content_type", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        body: Json<EntryCreate>,
    ) -> Result<EntryCreated, Problems<{ ONE | S409 | BODY }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::CreateEntry)?;
        let body = body.0;
        let locale = locale_of(body.locale, &state)?;
        let data = as_object(body.data)?;
        let given = |t: Option<Text>| t.map_or(MaybeUndefined::Undefined, MaybeUndefined::Value);
        let schedule = schedule_of(
            &state,
            &auth,
            given(body.publish_at),
            given(body.unpublish_at),
        )?;
        let mut entry = state
            .content
            .create_entry(&ct, &locale, &data, &auth.0.actor)
            .await?;
        if !schedule.is_empty() {
            entry = state
                .content
                .schedule_entry(&ct, &entry.id, Some(&locale), schedule, &auth.0.actor)
                .await?;
        }
        // A new entry's one translation is itself: no read to list it.
        let listed = [crate::store::entries::Translation::of(&entry)];
        Ok(EntryCreated::Created(
            Json(EntryOut::new(&ct, &entry).with_translations(&listed)),
            format!("/admin/api/entries/{}/{}", ct.api_id(), entry.id),
            format!("\"{}\"", entry.version),
        ))
    }

    /// Write the one entry of a singleton type: created by the first write
    /// (201), its working copy replaced after that (200; a field left out is
    /// cleared). Once it exists, send the `version` it is based on (or
    /// `If-Match`); without one the answer is 409 with `current_version`.
    #[oai(path = "/:content_type", method = "put")]
    async fn put_singleton(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<EntryPut>,
    ) -> Result<EntryWritten, Problems<{ ONE | S409 | BODY }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let body = body.0;
        let locale = locale_of(body.locale, &state)?;
        let expected = match body.version {
            Some(v) => Some(v),
            None => expected_version(None, if_match.0)?,
        };
        // Who may write depends on whether the entry exists yet (edit or
        // create); a collection type has none, and is refused by the
        // service once the caller may write at all.
        let existing = match ct.def.kind {
            Kind::Singleton => {
                let here = store::entries::Lookup::Exact(&locale);
                store::entries::singleton(&state.db, ct.api_id(), here).await?
            }
            // A component never gets here: it has no entry routes.
            Kind::Collection | Kind::Component => None,
        };
        match existing {
            Some(current) => auth.0.require_edit(current.created_by.as_deref())?,
            None => {
                allowed_type(&state, &auth, &content_type, Permission::CreateEntry)?;
            }
        }
        let data = as_object(body.data)?;
        let (entry, created) = state
            .content
            .put_singleton(&ct, &locale, data, expected, &auth.0.actor)
            .await?;
        Ok(EntryWritten::of(out(&state, &ct, &entry).await?, created))
    }

    /// One translation of an entry with its working copy: `?locale=`, or
    /// the default locale's (the entry's only one when it has no other).
    /// An entry without a translation in that locale is a 404
    /// `translation_missing`.
    #[oai(path = "/:content_type/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
    ) -> Result<EntryResponse, Problems<{ ONE }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let locale = locale_param(locale.0, &state)?;
        let entry = state.content.entry(&ct, &id, locale.as_deref()).await?;
        Ok(ok(&state, &ct, &entry).await?)
    }

    /// Change some fields of a translation's working copy:
    /// `{"data": {...}, "version": N}`, `?locale=` naming the translation
    /// (default: the default locale's). Shared fields change in every
    /// translation; a published one stays as it is on the public API until
    /// published again. With `?locale=` the entry has no translation in
    /// yet, and no version, the translation is started (201): shared
    /// fields it leaves out keep the entry's values, localized ones fall
    /// back until set.
    #[oai(path = "/:content_type/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
        body: Json<EntryPatch>,
    ) -> Result<EntryWritten, Problems<{ ONE | S409 | BODY }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let locale = locale_param(locale.0, &state)?;
        // Who may edit follows the entry: its first translation's author.
        let current = state.content.entry(&ct, &id, None).await?;
        auth.0.require_edit(current.created_by.as_deref())?;
        let body = body.0;
        let patch = as_object(body.data)?;
        let schedule = schedule_of(&state, &auth, body.publish_at, body.unpublish_at)?;
        let (mut entry, created) = state
            .content
            .update_entry(
                &ct,
                &id,
                locale.as_deref(),
                body.version,
                patch,
                &auth.0.actor,
            )
            .await?;
        if !schedule.is_empty() {
            entry = state
                .content
                .schedule_entry(&ct, &id, Some(&entry.locale), schedule, &auth.0.actor)
                .await?;
        }
        Ok(EntryWritten::of(out(&state, &ct, &entry).await?, created))
    }

    /// Delete an entry with every translation. `?version=N` or `If-Match`
    /// (the default locale's translation's version) guard against deleting
    /// a newer version than the one seen.
    #[oai(path = "/:content_type/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        version: Query<Option<i64>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> Result<EntryDeleted, Problems<{ ONE | S409 }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let current = state.content.entry(&ct, &id, None).await?;
        auth.0.require_edit(current.created_by.as_deref())?;
        let expected = expected_version(version.0, if_match.0)?;
        state
            .content
            .delete_entry(&ct, &id, expected, &auth.0.actor)
            .await?;
        Ok(EntryDeleted::Done)
    }

    /// Publish a translation (`?locale=`, default: the default locale's):
    /// its working copy becomes its live copy on the public API. Other
    /// translations stay as they are.
    #[oai(path = "/:content_type/:id/publish", method = "post")]
    #[allow(clippy::too_many_arguments)]
    async fn publish(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        version: Query<Option<i64>>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> Result<EntryResponse, Problems<{ ONE | S409 | S422 }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::Publish)?;
        let locale = locale_param(locale.0, &state)?;
        let expected = expected_version(version.0, if_match.0)?;
        let entry = state
            .content
            .publish_entry(&ct, &id, locale.as_deref(), expected, &auth.0.actor)
            .await?;
        Ok(ok(&state, &ct, &entry).await?)
    }

    /// A preview link for the editor's "Open preview": the type's
    /// `preview_url` filled from this translation's working copy, with a
    /// preview token that reads this one entry for 15 minutes. 404 when
    /// the type names no preview address.
    #[oai(path = "/:content_type/:id/preview-link", method = "post")]
    async fn preview_link(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
    ) -> Result<Json<PreviewLinkOut>, Problems<{ ONE }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let locale = locale_param(locale.0, &state)?;
        let link = state
            .content
            .preview_link(&ct, &id, locale.as_deref(), &auth.0.actor)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "`{}` names no preview_url, so its entries have no preview address",
                    ct.api_id()
                ))
            })?;
        Ok(Json(PreviewLinkOut {
            url: link.url,
            token: link.token,
            expires_at: clock::format(link.expires_at),
        }))
    }

    /// Schedule a translation (`?locale=`, default: the default locale's)
    /// to be published or unpublished by itself: `{"publish_at":
    /// "2030-01-01T09:00:00Z", "unpublish_at": …}`, times in the future,
    /// `null` to clear one. Published within about a second of the time,
    /// once, by whichever node sees it first; a publish that cannot run
    /// (say, a required field is empty) is noted in `schedule.error`.
    #[oai(path = "/:content_type/:id/schedule", method = "post")]
    async fn schedule(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
        body: Json<ScheduleSet>,
    ) -> Result<EntryResponse, Problems<{ ONE | BODY }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::Publish)?;
        let locale = locale_param(locale.0, &state)?;
        let body = body.0;
        let change = schedule_of(&state, &auth, body.publish_at, body.unpublish_at)?;
        let entry = state
            .content
            .schedule_entry(&ct, &id, locale.as_deref(), change, &auth.0.actor)
            .await?;
        Ok(ok(&state, &ct, &entry).await?)
    }

    /// Unpublish a translation (`?locale=`, default: the default
    /// locale's): it leaves the public API; its working copy stays.
    #[oai(path = "/:content_type/:id/unpublish", method = "post")]
    #[allow(clippy::too_many_arguments)]
    async fn unpublish(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        version: Query<Option<i64>>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> Result<EntryResponse, Problems<{ ONE | S409 }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::Publish)?;
        let locale = locale_param(locale.0, &state)?;
        let expected = expected_version(version.0, if_match.0)?;
        let entry = state
            .content
            .unpublish_entry(&ct, &id, locale.as_deref(), expected, &auth.0.actor)
            .await?;
        Ok(ok(&state, &ct, &entry).await?)
    }

    /// The entries whose relation fields point at this one (working or
    /// live copy), among the types the caller may read; at most 200.
    #[oai(path = "/:content_type/:id/references", method = "get")]
    async fn references(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
    ) -> Result<Json<ReferenceList>, Problems<{ ONE }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        state.content.entry(&ct, &id, None).await?;
        let refs = store::entries::references(&state.db, &id, 200).await?;
        Ok(Json(ReferenceList {
            data: refs
                .into_iter()
                .filter(|r| auth.0.require_type(&r.content_type).is_ok())
                .map(|r| ReferenceOut {
                    id: r.id,
                    locale: r.locale,
                    content_type: r.content_type,
                    field: r.field,
                    copy: r.copy,
                })
                .collect(),
        }))
    }
}

/// The schedule a body asks for, its times parsed and checked against the
/// clock; setting one needs the right to publish.
fn schedule_of(
    state: &AppState,
    auth: &AdminAuth,
    publish_at: MaybeUndefined<Text>,
    unpublish_at: MaybeUndefined<Text>,
) -> Result<ScheduleChange, ApiError> {
    let mut errors = Vec::new();
    let mut parse = |field: &str, v: MaybeUndefined<Text>| match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(t) => match clock::parse(&t.0) {
            Some(at) => Some(Some(at)),
            None => {
                errors.push(FieldError::new(
                    field,
                    "type",
                    "must be an RFC 3339 date-time like 2030-01-01T09:00:00Z",
                ));
                None
            }
        },
    };
    let change = ScheduleChange {
        publish_at: parse("publish_at", publish_at),
        unpublish_at: parse("unpublish_at", unpublish_at),
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if !change.is_empty() {
        auth.0.require(Permission::Publish)?;
        state.content.check_schedule(&change)?;
    }
    Ok(change)
}

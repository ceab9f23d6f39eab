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
    EntryCreate, EntryList, EntryOut, EntryPatch, EntryPut, ListMeta, ReferenceList, ReferenceOut,
    RevisionList, RevisionOut,
};
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::clock;
use crate::model::access::Permission;
use crate::model::content_type::{ContentType, Kind};
use crate::model::query::{ListQuery, Surface};
use crate::model::{FieldError, locale};
use crate::store;

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
pub enum SingletonWritten {
    /// The singleton's entry was created, as a draft.
    #[oai(status = 201)]
    Created(
        Json<EntryOut>,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
    /// The singleton's working copy was replaced.
    #[oai(status = 200)]
    Ok(Json<EntryOut>, #[oai(header = "ETag")] String),
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

/// The locale a write names, or the server's default.
fn locale_of(given: Option<Text>, state: &AppState) -> Result<String, ApiError> {
    let locale = given
        .map(Text::into_inner)
        .unwrap_or_else(|| state.config.default_locale.clone());
    if !locale::is_valid(&locale) {
        return Err(ApiError::validation(vec![FieldError::new(
            "locale",
            "locale",
            format!("`{locale}` is not a locale like en or pt-BR"),
        )]));
    }
    Ok(locale)
}

fn ok(ct: &ContentType, e: &crate::model::entry::Entry) -> EntryResponse {
    EntryResponse::Ok(Json(EntryOut::new(ct, e)), format!("\"{}\"", e.version))
}

/// The type, if the caller may work on it with this permission.
fn allowed_type(
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
        let q = ListQuery::parse_with(&ct, &pairs, Surface::Admin, &*state.types)
            .map_err(ApiError::invalid_query)?;
        let (entries, total) = store::entries::list(&state.db, &ct, &q, Surface::Admin).await?;
        let mut data: Vec<EntryOut> = entries
            .iter()
            .map(|e| {
                let out = EntryOut::new(&ct, e);
                match &q.fields {
                    Some(fields) => out.narrow(fields),
                    None => out,
                }
            })
            .collect();
        if !q.populate.is_empty() {
            let mut copies: Vec<Value> = data.iter_mut().map(|e| e.data.take()).collect();
            let queries = state
                .content
                .populate(&ct, &mut copies, &q.populate, Surface::Admin)
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
        let entry = state
            .content
            .create_entry(&ct, &locale, &data, &auth.0.actor)
            .await?;
        Ok(EntryCreated::Created(
            Json(EntryOut::new(&ct, &entry)),
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
    ) -> Result<SingletonWritten, Problems<{ ONE | S409 | BODY }>> {
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
            Kind::Singleton => store::entries::singleton(&state.db, ct.api_id(), &locale).await?,
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
        let etag = format!("\"{}\"", entry.version);
        Ok(if created {
            SingletonWritten::Created(
                Json(EntryOut::new(&ct, &entry)),
                format!("/admin/api/entries/{}/{}", ct.api_id(), entry.id),
                etag,
            )
        } else {
            SingletonWritten::Ok(Json(EntryOut::new(&ct, &entry)), etag)
        })
    }

    /// One entry with its working copy.
    #[oai(path = "/:content_type/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
    ) -> Result<EntryResponse, Problems<{ ONE }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let entry = store::entries::get(&state.db, ct.api_id(), &id).await?;
        Ok(ok(&ct, &entry))
    }

    /// Change some fields of the working copy: `{"data": {...}, "version": N}`.
    /// A published entry stays as it is on the public API until published again.
    #[oai(path = "/:content_type/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        body: Json<EntryPatch>,
    ) -> Result<EntryResponse, Problems<{ ONE | S409 | BODY }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let current = store::entries::get(&state.db, ct.api_id(), &id).await?;
        auth.0.require_edit(current.created_by.as_deref())?;
        let body = body.0;
        let patch = as_object(body.data)?;
        let entry = state
            .content
            .update_entry(&ct, &id, body.version, patch, &auth.0.actor)
            .await?;
        Ok(ok(&ct, &entry))
    }

    /// Delete an entry. `?version=N` or `If-Match` guard against deleting a
    /// newer version than the one seen.
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
        let current = store::entries::get(&state.db, ct.api_id(), &id).await?;
        auth.0.require_edit(current.created_by.as_deref())?;
        let expected = expected_version(version.0, if_match.0)?;
        state
            .content
            .delete_entry(&ct, &id, expected, &auth.0.actor)
            .await?;
        Ok(EntryDeleted::Done)
    }

    /// Publish: the working copy becomes the live copy on the public API.
    #[oai(path = "/:content_type/:id/publish", method = "post")]
    async fn publish(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        version: Query<Option<i64>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> Result<EntryResponse, Problems<{ ONE | S409 | S422 }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::Publish)?;
        let expected = expected_version(version.0, if_match.0)?;
        let entry = state
            .content
            .publish_entry(&ct, &id, expected, &auth.0.actor)
            .await?;
        Ok(ok(&ct, &entry))
    }

    /// Unpublish: take the entry off the public API; the working copy stays.
    #[oai(path = "/:content_type/:id/unpublish", method = "post")]
    async fn unpublish(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        version: Query<Option<i64>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> Result<EntryResponse, Problems<{ ONE | S409 }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::Publish)?;
        let expected = expected_version(version.0, if_match.0)?;
        let entry = state
            .content
            .unpublish_entry(&ct, &id, expected, &auth.0.actor)
            .await?;
        Ok(ok(&ct, &entry))
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
        store::entries::get(&state.db, ct.api_id(), &id).await?;
        let refs = store::entries::references(&state.db, &id, 200).await?;
        Ok(Json(ReferenceList {
            data: refs
                .into_iter()
                .filter(|r| auth.0.require_type(&r.content_type).is_ok())
                .map(|r| ReferenceOut {
                    id: r.id,
                    content_type: r.content_type,
                    field: r.field,
                    copy: r.copy,
                })
                .collect(),
        }))
    }

    /// Every saved state of an entry, newest first.
    #[oai(path = "/:content_type/:id/revisions", method = "get")]
    async fn revisions(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
    ) -> Result<Json<RevisionList>, Problems<{ ONE }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let revisions = store::entries::revisions(&state.db, ct.api_id(), &id).await?;
        Ok(Json(RevisionList {
            data: revisions
                .into_iter()
                .map(|r| RevisionOut {
                    id: r.id,
                    version: r.version,
                    action: r.action,
                    data: r.data.0,
                    author_id: r.author_id,
                    created_at: clock::format(r.created_at),
                })
                .collect(),
        }))
    }
}

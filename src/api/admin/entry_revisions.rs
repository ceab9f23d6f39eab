//! An entry's revisions: every saved state of a translation, one of them
//! with its diff against the one before, and restoring one. Same prefix
//! and tag as the rest of `/entries` (see `entries`).

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;

use super::entries::{EntryResponse, allowed_type, expected_version, locale_param, ok};
use super::objects::{FieldDiffOut, RevisionDetail, RevisionList, RevisionOut};
use super::statuses::*;
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::clock;
use crate::model::access::Permission;
use crate::model::content_type::ContentType;
use crate::store;

pub struct EntryRevisionsApi;

#[OpenApi(prefix_path = "/entries", tag = "Tag::Entries")]
impl EntryRevisionsApi {
    /// Every saved state of a translation (`?locale=`, default: the
    /// default locale's), newest first.
    #[oai(path = "/:content_type/:id/revisions", method = "get")]
    async fn revisions(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
    ) -> Result<Json<RevisionList>, Problems<{ ONE }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let locale = locale_param(locale.0, &state)?;
        let lookup = state.content.target(&id, locale.as_deref()).lookup;
        let revisions = store::entries::revisions(&state.db, ct.api_id(), &id, lookup).await?;
        Ok(Json(RevisionList {
            data: revisions.into_iter().map(revision_out).collect(),
        }))
    }

    /// One saved copy of a translation (`?locale=`), by its version, with
    /// a field-level diff against the copy saved before it.
    #[oai(path = "/:content_type/:id/revisions/:revision", method = "get")]
    async fn revision(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        /// The version the copy was saved as.
        revision: Path<i64>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
    ) -> Result<Json<RevisionDetail>, Problems<{ ONE }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let locale = locale_param(locale.0, &state)?;
        let (rev, changes, previous_version) =
            revision_of(&state, &ct, &id, locale.as_deref(), revision.0).await?;
        Ok(Json(RevisionDetail {
            revision: revision_out(rev),
            previous_version,
            diff: changes
                .into_iter()
                .map(|d| FieldDiffOut {
                    field: d.field,
                    change: d.change.as_str().into(),
                    before: d.before,
                    after: d.after,
                })
                .collect(),
        }))
    }

    /// Restore a saved copy: it becomes the translation's working copy as a
    /// new version (a `restore` revision). Fields the old copy lacks are
    /// cleared, not kept; it must be valid for the type as it is now. The
    /// live copy is untouched until the next publish. `?version=N` or
    /// `If-Match` must name the current version.
    #[oai(
        path = "/:content_type/:id/revisions/:revision/restore",
        method = "post"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn restore(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        content_type: Path<String>,
        id: Path<String>,
        /// The version the copy to restore was saved as.
        revision: Path<i64>,
        /// The translation's current version.
        version: Query<Option<i64>>,
        /// One of the server's locales (QUIRE_LOCALES).
        locale: Query<Option<String>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> Result<EntryResponse, Problems<{ ONE | S409 | S422 }>> {
        let ct = allowed_type(&state, &auth, &content_type, Permission::ReadContent)?;
        let locale = locale_param(locale.0, &state)?;
        let current = state.content.entry(&ct, &id, None).await?;
        auth.0.require_edit(current.created_by.as_deref())?;
        let expected = expected_version(version.0, if_match.0)?;
        revision_of(&state, &ct, &id, locale.as_deref(), revision.0).await?;
        let Some(expected) = expected else {
            let current = state.content.entry(&ct, &id, locale.as_deref()).await?;
            return Err(store::StoreError::VersionConflict {
                expected: 0,
                current: current.version,
            }
            .into());
        };
        let entry = state
            .content
            .restore_revision(
                &ct,
                &id,
                locale.as_deref(),
                revision.0,
                expected,
                &auth.0.actor,
            )
            .await?;
        Ok(ok(&state, &ct, &entry).await?)
    }
}

fn revision_out(r: store::entries::Revision) -> RevisionOut {
    RevisionOut {
        id: r.id,
        version: r.version,
        action: r.action,
        data: r.data.0,
        author_id: r.author_id,
        created_at: clock::format(r.created_at),
    }
}

/// A revision, or a 404 naming the version.
async fn revision_of(
    state: &AppState,
    ct: &ContentType,
    id: &str,
    locale: Option<&str>,
    version: i64,
) -> Result<
    (
        store::entries::Revision,
        Vec<crate::model::revision::FieldDiff>,
        Option<i64>,
    ),
    ApiError,
> {
    // The entry (and translation) first, so that its 404 says which is missing.
    state.content.entry(ct, id, locale).await?;
    match state.content.revision(ct, id, locale, version).await {
        Err(store::StoreError::NotFound) => Err(ApiError::not_found(format!(
            "the entry has no revision {version}"
        ))),
        other => Ok(other?),
    }
}

//! The statements that write one translation's row inside an entry write:
//! its insert, its working and live copies, its schedule claim, and the
//! locked read that checks the caller's version.

use serde_json::{Map, Value};
use sqlx::types::Json;

use crate::clock;
use crate::model::content_type::ContentType;
use crate::model::entry::{Entry, Status};
use crate::store::audit::Actor;
use crate::store::sql::Dialect;

pub(super) const INSERT_ENTRY: &str = "INSERT INTO entries (id, entry_id, type, locale, status, slug, \
     published_slug, draft, published, version, created_at, updated_at, published_at, \
     live_updated_at, created_by, updated_by) \
     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, NULL, 1, $8, $8, NULL, NULL, $9, $9)";
pub(super) const UPDATE_DRAFT: &str = "UPDATE entries SET draft = $1, slug = $2, status = $3, \
     version = version + 1, updated_at = $4, updated_by = $5 WHERE id = $6";
pub(super) const UPDATE_LIVE: &str = "UPDATE entries SET published = $1, published_slug = $2, status = $3, \
     published_at = $4, live_updated_at = $5, version = version + 1, updated_at = $6, \
     updated_by = $7, draft = $9 WHERE id = $8";

/// The statement that writes a translation's row, as `write_and_record!`
/// sends it: an update also removes the row's links (`link_media!` and
/// `link_entries!` then record the links the copies have now).
#[derive(Debug, Clone, Copy)]
pub(super) struct RowSql {
    statement: &'static str,
    /// The `$n` the row's id is bound as, when its links are removed.
    clears_links_of: Option<usize>,
}

impl RowSql {
    /// A new row: it has no links yet.
    pub(super) const INSERT: RowSql = RowSql {
        statement: INSERT_ENTRY,
        clears_links_of: None,
    };

    /// `update`, removing the links of the row bound as `$row`.
    pub(super) const fn clearing_links(update: &'static str, row: usize) -> RowSql {
        RowSql {
            statement: update,
            clears_links_of: Some(row),
        }
    }

    /// The removals as PostgreSQL CTEs (`name AS (…), …`), if any.
    pub(super) fn ctes(&self) -> Option<String> {
        self.clears_links_of.map(|row| {
            format!(
                "gone_assets AS (DELETE FROM asset_refs WHERE entry_id = ${row}), \
                 gone_links AS (DELETE FROM entry_refs WHERE source_id = ${row})"
            )
        })
    }

    /// The insert or update itself.
    pub(super) fn statement(&self) -> &'static str {
        self.statement
    }

    /// The whole write in one call: one hand-off to sqlx's worker thread
    /// on SQLite, one statement on PostgreSQL, instead of three.
    pub(super) fn text(&self, dialect: Dialect) -> String {
        match (dialect, self.clears_links_of) {
            (_, None) => self.statement.to_string(),
            (Dialect::Sqlite, Some(row)) => format!(
                "{}; DELETE FROM asset_refs WHERE entry_id = ${row}; \
                 DELETE FROM entry_refs WHERE source_id = ${row}",
                self.statement
            ),
            (Dialect::Postgres, Some(_)) => {
                format!(
                    "WITH {} {}",
                    self.ctes().unwrap_or_default(),
                    self.statement
                )
            }
        }
    }
}

/// What the `draft` column holds: JSON `null` while the working copy is the
/// live copy, so a published entry that nobody has edited since is stored
/// once (readers use `sql::WORKING_COPY`, and rows decode it back).
pub(super) fn draft_column<'a>(
    draft: &'a Map<String, Value>,
    published: Option<&Map<String, Value>>,
) -> Json<Option<&'a Map<String, Value>>> {
    Json((published != Some(draft)).then_some(draft))
}

/// Writes an entry's live copy and bookkeeping as they now stand, removes
/// its links (see `clearing_links`) and records the write
/// (`write_and_record!`).
macro_rules! write_live {
    ($tx:expr, $dialect:expr, $ct:expr, $entry:expr, $live_slug:expr, $action:expr, $actor:expr, $now:expr) => {{
        let update =
            super::translation_row::RowSql::clearing_links(super::translation_row::UPDATE_LIVE, 8);
        write_and_record!(
            $tx,
            $dialect,
            $ct,
            $entry,
            Some(&$entry.draft),
            $action,
            $actor,
            $now,
            update,
            [
                $entry.published.as_ref().map(Json),
                $live_slug,
                $entry.status.as_str(),
                $entry.published_at,
                $entry.live_updated_at,
                $entry.updated_at,
                &$entry.updated_by,
                &$entry.row,
                super::translation_row::draft_column(&$entry.draft, $entry.published.as_ref()),
            ]
        );
    }};
}

/// A publish or unpublish takes the action's schedule off the translation
/// (it has happened). Run by the scheduler, it claims the schedule due at
/// that time, and stops with `NotFound` when it is no longer there: another
/// node ran it, or an editor changed it.
pub(super) const CLAIM_PUBLISH: &str = "UPDATE entries SET scheduled_publish_at = NULL, schedule_error = NULL \
     WHERE id = $1 AND ($2 IS NULL OR scheduled_publish_at = $2)";
pub(super) const CLAIM_UNPUBLISH: &str = "UPDATE entries SET scheduled_unpublish_at = NULL, \
     schedule_error = NULL WHERE id = $1 AND ($2 IS NULL OR scheduled_unpublish_at = $2)";

/// `$pending` is the action's schedule as loaded: an editor's publish of a
/// translation with no schedule and no schedule error has nothing to take
/// off, and skips the statement.
macro_rules! claim {
    ($tx:expr, $sql:expr, $entry:expr, $target:expr, $pending:expr) => {{
        if $target.scheduled.is_some() || $pending.is_some() || $entry.schedule.error.is_some() {
            let claimed = sqlx::query($sql)
                .bind(&$entry.row)
                .bind($target.scheduled)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
            if $target.scheduled.is_some() && claimed == 0 {
                return Err(StoreError::NotFound);
            }
        }
    }};
}

/// Loads a translation inside a transaction that holds the entry's lock
/// (`lock_entry!`; SQLite's one writer) and checks the caller's version.
macro_rules! load_for_write {
    ($tx:expr, $type:expr, $id:expr, $lookup:expr, $expected:expr) => {{
        let lookup: Lookup<'_> = $lookup;
        let sql = super::lookup_sql(lookup);
        let row: Option<EntryRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind($type)
            .bind($id)
            .bind(lookup.locale())
            .fetch_optional(&mut *$tx)
            .await?;
        let Some(row) = row else {
            let any: Option<i32> = sqlx::query_scalar(AssertSqlSafe(super::exists_sql()))
                .bind($type)
                .bind($id)
                .fetch_optional(&mut *$tx)
                .await?;
            return Err(match (any, lookup) {
                (Some(_), Lookup::Exact(l)) => StoreError::TranslationMissing(l.to_string()),
                _ => StoreError::NotFound,
            });
        };
        let entry = Entry::try_from(row)?;
        if let Some(expected) = $expected
            && expected != entry.version
        {
            return Err(StoreError::VersionConflict {
                expected,
                current: entry.version,
            });
        }
        entry
    }};
}

/// Writes a new translation row, its links and its record
/// (`write_and_record!`).
macro_rules! insert_row {
    ($tx:expr, $dialect:expr, $ct:expr, $entry:expr, $now:expr, $actor:expr) => {
        write_and_record!(
            $tx,
            $dialect,
            $ct,
            $entry,
            None,
            "create",
            $actor,
            $now,
            super::translation_row::RowSql::INSERT,
            [
                &$entry.row,
                &$entry.id,
                &$entry.content_type,
                &$entry.locale,
                $entry.status.as_str(),
                super::unique::slug_of($ct, &$entry.draft),
                Json(&$entry.draft),
                $now,
                &$actor.id,
            ]
        )
    };
}

/// A new translation as a draft, version 1.
pub(super) fn new_row(
    ct: &ContentType,
    id: String,
    row: String,
    locale: &str,
    draft: Map<String, Value>,
    actor: &Actor,
    now: clock::Micros,
) -> Entry {
    Entry {
        id,
        row,
        content_type: ct.api_id().to_string(),
        locale: locale.to_string(),
        status: Status::Draft,
        draft,
        published: None,
        version: 1,
        created_at: now,
        updated_at: now,
        published_at: None,
        live_updated_at: None,
        created_by: actor.id.clone(),
        updated_by: actor.id.clone(),
        schedule: Default::default(),
    }
}

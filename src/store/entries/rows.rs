//! Entry rows as the database returns them, and the fetch of many: on a
//! SQLite file through [`DirectReads`], on the request's thread.

use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::super::sql::{Sql, bind_args};
use super::super::{Db, StoreError, StoreResult, on_pool};
use crate::model::entry::{Entry, Schedule, Status};
#[cfg(doc)]
use crate::store::direct::DirectReads;
use crate::store::direct::json_text;

#[derive(sqlx::FromRow)]
pub(super) struct EntryRow {
    id: String,
    entry_id: String,
    #[sqlx(rename = "type")]
    content_type: String,
    locale: String,
    status: String,
    draft: Option<Json<Value>>,
    published: Option<Json<Value>>,
    version: i64,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
    live_updated_at: Option<i64>,
    created_by: Option<String>,
    updated_by: Option<String>,
    scheduled_publish_at: Option<i64>,
    scheduled_unpublish_at: Option<i64>,
    schedule_error: Option<String>,
}

fn object(v: Option<Json<Value>>, id: &str) -> StoreResult<Option<Map<String, Value>>> {
    match v.map(|j| j.0) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(StoreError::Corrupt(format!(
            "entry {id} holds a non-object"
        ))),
    }
}

impl TryFrom<EntryRow> for Entry {
    type Error = StoreError;
    fn try_from(r: EntryRow) -> StoreResult<Entry> {
        let status = Status::parse(&r.status).ok_or_else(|| {
            StoreError::Corrupt(format!("entry {} has status {}", r.id, r.status))
        })?;
        let published = object(r.published, &r.id)?;
        let draft = match r.draft {
            // The working copy is the live copy, stored once.
            Some(Json(Value::Null)) => published.clone().ok_or_else(|| {
                StoreError::Corrupt(format!("entry {} has no working copy", r.id))
            })?,
            // `None`: a read that did not select it (the public API).
            draft => object(draft, &r.id)?.unwrap_or_default(),
        };
        Ok(Entry {
            draft,
            published,
            id: r.entry_id,
            row: r.id,
            content_type: r.content_type,
            locale: r.locale,
            status,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            published_at: r.published_at,
            live_updated_at: r.live_updated_at,
            created_by: r.created_by,
            updated_by: r.updated_by,
            schedule: Schedule {
                publish_at: r.scheduled_publish_at,
                unpublish_at: r.scheduled_unpublish_at,
                error: r.schedule_error,
            },
        })
    }
}

impl EntryRow {
    /// A row of `COLUMNS` as [`DirectReads`] reads it.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
        EntryRow::direct_with(r, json_text(r, 6)?.map(Json))
    }

    /// A row of `COLUMNS` with `published` as given.
    fn direct_with(
        r: &rusqlite::Row<'_>,
        published: Option<Json<Value>>,
    ) -> rusqlite::Result<EntryRow> {
        Ok(EntryRow {
            id: r.get(0)?,
            entry_id: r.get(1)?,
            content_type: r.get(2)?,
            locale: r.get(3)?,
            status: r.get(4)?,
            draft: json_text(r, 5)?.map(Json),
            published,
            version: r.get(7)?,
            created_at: r.get(8)?,
            updated_at: r.get(9)?,
            published_at: r.get(10)?,
            live_updated_at: r.get(11)?,
            created_by: r.get(12)?,
            updated_by: r.get(13)?,
            scheduled_publish_at: r.get(14)?,
            scheduled_unpublish_at: r.get(15)?,
            schedule_error: r.get(16)?,
        })
    }
}

/// A row of `COLUMNS` with its live copy as the text stored, unparsed.
pub(super) fn with_live_text(r: &rusqlite::Row<'_>) -> rusqlite::Result<(EntryRow, String)> {
    let text = r.get(6)?;
    Ok((EntryRow::direct_with(r, None)?, text))
}

/// The rows `sql` selects (the columns of `COLUMNS`, by those names), in
/// its order.
pub(super) async fn fetch_rows(db: &Db, sql: Sql) -> StoreResult<Vec<EntryRow>> {
    Ok(match db {
        Db::Sqlite(_, Some(direct)) => direct.rows(&sql, EntryRow::from_direct)?,
        _ => on_pool!(db, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql.text)), sql.args)
                .fetch_all(pool)
                .await?
        }),
    })
}

/// The entries `sql` selects, as [`fetch_rows`].
pub(super) async fn fetch_entries(db: &Db, sql: Sql) -> StoreResult<Vec<Entry>> {
    fetch_rows(db, sql)
        .await?
        .into_iter()
        .map(Entry::try_from)
        .collect()
}

/// The one integer `sql` selects (a count).
pub(super) async fn fetch_count(db: &Db, sql: Sql) -> StoreResult<i64> {
    Ok(match db {
        Db::Sqlite(_, Some(direct)) => direct.scalar(&sql)?,
        _ => on_pool!(db, pool => {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(sql.text)), sql.args)
                .fetch_one(pool)
                .await?
        }),
    })
}

/// The `(entry_id, locale)` pairs `sql` selects.
pub(super) async fn fetch_keys(db: &Db, sql: Sql) -> StoreResult<Vec<(String, String)>> {
    Ok(match db {
        Db::Sqlite(_, Some(direct)) => direct.rows(&sql, |r| Ok((r.get(0)?, r.get(1)?)))?,
        _ => on_pool!(db, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql.text)), sql.args)
                .fetch_all(pool)
                .await?
        }),
    })
}

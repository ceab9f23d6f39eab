//! Entry rows as the database returns them, and the fetch of many.

use serde::Deserialize;
use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::super::sql::{Sql, bind_args};
use super::super::{Db, StoreError, StoreResult};
use crate::model::entry::{Entry, Schedule, Status};

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
        Ok(Entry {
            draft: object(r.draft, &r.id)?.unwrap_or_default(),
            published: object(r.published, &r.id)?,
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

/// The columns of `COLUMNS`, each as a JSON value, for SQLite's packed
/// fetch.
const PACKED: &str = "id, entry_id, type, locale, status, json(draft), json(published), version, \
     created_at, updated_at, published_at, live_updated_at, created_by, updated_by, \
     scheduled_publish_at, scheduled_unpublish_at, schedule_error";

/// One row of a packed fetch: `PACKED`'s values in order.
#[derive(Deserialize)]
struct PackedRow(
    String,
    String,
    String,
    String,
    String,
    Option<Map<String, Value>>,
    Option<Map<String, Value>>,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

impl From<PackedRow> for EntryRow {
    fn from(r: PackedRow) -> EntryRow {
        EntryRow {
            id: r.0,
            entry_id: r.1,
            content_type: r.2,
            locale: r.3,
            status: r.4,
            draft: r.5.map(|m| Json(Value::Object(m))),
            published: r.6.map(|m| Json(Value::Object(m))),
            version: r.7,
            created_at: r.8,
            updated_at: r.9,
            published_at: r.10,
            live_updated_at: r.11,
            created_by: r.12,
            updated_by: r.13,
            scheduled_publish_at: r.14,
            scheduled_unpublish_at: r.15,
            schedule_error: r.16,
        }
    }
}

/// The entries `sql` selects (the columns of `COLUMNS`, by those names), in
/// its order. SQLite answers with one row holding them all as a JSON array:
/// sqlx hands every row from its SQLite worker thread to the task on its
/// own, and for a page of 20, or 60 related entries to embed, those
/// hand-offs cost more than the query. The array keeps the query's order,
/// as an aggregate reads a subquery's rows in the order it yields them.
pub(super) async fn fetch_entries(db: &Db, sql: Sql) -> StoreResult<Vec<Entry>> {
    let rows: Vec<EntryRow> = match db {
        Db::Sqlite(pool) => {
            let packed = format!(
                "SELECT json_group_array(json_array({PACKED})) FROM ({})",
                sql.text
            );
            let text: String = bind_args!(sqlx::query_scalar(AssertSqlSafe(packed)), sql.args)
                .fetch_one(pool)
                .await?;
            let rows: Vec<PackedRow> = serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("entry rows: {e}")))?;
            rows.into_iter().map(EntryRow::from).collect()
        }
        Db::Postgres(pool) => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql.text)), sql.args)
                .fetch_all(pool)
                .await?
        }
    };
    rows.into_iter().map(Entry::try_from).collect()
}

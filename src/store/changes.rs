//! The `changes` feed: an append-only log every derived thing follows.
//!
//! On PostgreSQL writers draw sequence numbers and commit side by side, so
//! a change can become visible after one with a higher number. Readers
//! therefore read only up to a horizon: the newest number drawn, taken
//! while the feed's lock is held alone, when every writer that drew a
//! number has finished (see [`crate::store::sql::Dialect::feed_lock`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use sqlx::{PgPool, Row};

use super::log_id::LogId;
use super::{Db, StoreResult, on_pool};

/// Takes the feed's lock alone (waiting for the writers that hold it to
/// finish; writers asking after it wait the moment it is held), and reads
/// the newest number drawn while it is held. One round trip: a simple
/// query runs its statements in one transaction.
const HORIZON: &str = "SELECT pg_advisory_xact_lock(7311996); \
     SELECT COALESCE(MAX(seq), 0) AS horizon FROM changes";

/// The last horizon taken for each database, and when its taking began.
type Taken = Arc<tokio::sync::Mutex<Option<(Instant, i64)>>>;
static HORIZONS: LazyLock<Mutex<HashMap<String, Taken>>> = LazyLock::new(Default::default);

/// The newest sequence number every change up to which is visible. Readers
/// asking together share one taking, as long as it began after they asked
/// (so a reader always sees the writes that finished before it asked).
async fn horizon(pool: &PgPool) -> StoreResult<i64> {
    let asked = Instant::now();
    let key = super::database_key(pool);
    let taken = HORIZONS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(key)
        .or_default()
        .clone();
    let mut last = taken.lock().await;
    if let Some((began, seq)) = *last
        && began >= asked
    {
        return Ok(seq);
    }
    let began = Instant::now();
    let rows = sqlx::raw_sql(HORIZON).fetch_all(pool).await?;
    let seq = match rows.last() {
        Some(row) => row.try_get::<i64, _>("horizon")?,
        None => 0,
    };
    *last = Some((began, seq));
    Ok(seq)
}

/// The newest sequence number a reader may follow up to, or 0 for an
/// empty feed.
pub async fn last_seq(db: &Db) -> StoreResult<i64> {
    match db {
        Db::Postgres(pool) => horizon(pool).await,
        Db::Sqlite(pool, _) => Ok(sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(seq) FROM changes",
        )
        .fetch_one(pool)
        .await?
        .unwrap_or(0)),
    }
}

/// How far a read of the feed may go: on SQLite, its end.
async fn read_limit(db: &Db) -> StoreResult<i64> {
    match db {
        Db::Postgres(pool) => horizon(pool).await,
        Db::Sqlite(..) => Ok(i64::MAX),
    }
}

/// One row of the feed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub seq: i64,
    pub entity: String,
    #[sqlx(try_from = "LogId<'static>")]
    pub entity_id: String,
    pub content_type: Option<String>,
    pub action: String,
    /// The translation an entry change touched (none before the sync
    /// feed existed: every translation).
    pub locale: Option<String>,
    /// When it was made (microseconds).
    pub at: i64,
}

/// The changes after `seq`, oldest first, at most `limit`.
pub async fn since(db: &Db, seq: i64, limit: i64) -> StoreResult<Vec<Change>> {
    let until = read_limit(db).await?;
    Ok(on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT seq, entity, entity_id, content_type, action, locale, at FROM changes \
             WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .bind(until)
        .fetch_all(pool)
        .await?
    }))
}

/// When the oldest change after `seq` was made (microseconds), if any: how
/// far behind a follower that has applied `seq` is.
pub async fn oldest_after(db: &Db, seq: i64) -> StoreResult<Option<i64>> {
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>("SELECT at FROM changes WHERE seq > $1 ORDER BY seq LIMIT 1")
            .bind(seq)
            .fetch_optional(pool)
            .await?
    }))
}

/// The changes after `seq` to entries of `content_type` and to that type
/// itself (its rows name it as their type too), oldest first, at most `limit`.
pub async fn since_of_type(
    db: &Db,
    seq: i64,
    content_type: &str,
    limit: i64,
) -> StoreResult<Vec<Change>> {
    let until = read_limit(db).await?;
    Ok(on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT seq, entity, entity_id, content_type, action, locale, at FROM changes \
             WHERE seq > $1 AND seq <= $4 AND content_type = $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(seq)
        .bind(content_type)
        .bind(limit)
        .bind(until)
        .fetch_all(pool)
        .await?
    }))
}

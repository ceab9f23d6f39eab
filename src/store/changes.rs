//! The `changes` feed: an append-only log every derived thing follows.

use super::log_id::LogId;
use super::{Db, StoreResult, on_pool};

/// The newest sequence number, or 0 for an empty feed.
pub async fn last_seq(db: &Db) -> StoreResult<i64> {
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM changes")
            .fetch_one(pool)
            .await?
            .unwrap_or(0)
    }))
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
    Ok(on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT seq, entity, entity_id, content_type, action, locale, at FROM changes \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
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
    Ok(on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT seq, entity, entity_id, content_type, action, locale, at FROM changes \
             WHERE seq > $1 AND content_type = $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(seq)
        .bind(content_type)
        .bind(limit)
        .fetch_all(pool)
        .await?
    }))
}

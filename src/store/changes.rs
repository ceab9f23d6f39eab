//! The `changes` feed: an append-only log every derived thing follows.

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

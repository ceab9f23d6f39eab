//! Sign-in attempts in the limiting window, shared by every node.

use std::sync::atomic::{AtomicI64, Ordering};

use super::{Db, StoreResult, WritePool, on_pool};
use crate::clock::{self, Micros};

/// When old attempts were last purged by this process.
static LAST_PURGE: AtomicI64 = AtomicI64::new(0);
const PURGE_EVERY: Micros = 60_000_000;

/// How long until an attempt is allowed under a key holding `count`
/// attempts in the window, the oldest at `oldest`; 0 when it is now.
fn over_limit(count: i64, oldest: Option<i64>, max: usize, window: Micros, now: Micros) -> Micros {
    match oldest {
        Some(oldest) if usize::try_from(count).unwrap_or(usize::MAX) >= max => {
            (oldest + window - now).max(1)
        }
        _ => 0,
    }
}

/// At most `max` attempts under `key` within the window.
pub struct Limit<'a> {
    pub key: &'a str,
    pub max: usize,
}

/// Records one attempt under each key, unless a key already holds its
/// maximum within `window`: then `Ok(Err(wait))`, how long until its oldest
/// attempt ages out. Check and record happen under one lock per key, so
/// parallel attempts on any number of nodes cannot all pass the check.
pub async fn attempt(
    db: &Db,
    limits: &[Limit<'_>],
    window: Micros,
) -> StoreResult<Result<String, Micros>> {
    let now = clock::now();
    let since = now - window;
    let id = uuid::Uuid::now_v7().to_string();
    let mut keys: Vec<&str> = limits.iter().map(|l| l.key).collect();
    // One order for every caller, so two attempts never wait on each other.
    keys.sort_unstable();
    // Refused attempts (a flood) are answered from a read: no write lock.
    let mut wait: Micros = 0;
    for limit in limits {
        let (count, oldest) = on_pool!(db, pool => {
            sqlx::query_as::<_, (i64, Option<i64>)>(
                "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE key = $1 AND at >= $2",
            )
            .bind(limit.key)
            .bind(since)
            .fetch_one(pool)
            .await?
        });
        wait = wait.max(over_limit(count, oldest, limit.max, window, now));
    }
    if wait > 0 {
        return Ok(Err(wait));
    }
    let dialect = db.dialect();
    let verdict = on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        if let Some(lock) = dialect.type_lock() {
            for key in &keys {
                sqlx::query(lock)
                    .bind(format!("login:{key}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut wait: Micros = 0;
        for limit in limits {
            sqlx::query("DELETE FROM login_attempts WHERE key = $1 AND at < $2")
                .bind(limit.key)
                .bind(since)
                .execute(&mut *tx)
                .await?;
            let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE key = $1",
            )
            .bind(limit.key)
            .fetch_one(&mut *tx)
            .await?;
            wait = wait.max(over_limit(count, oldest, limit.max, window, now));
        }
        if wait > 0 {
            tx.commit().await?;
            Err(wait)
        } else {
            for limit in limits {
                sqlx::query("INSERT INTO login_attempts (attempt_id, key, at) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(limit.key)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(id)
        }
    });
    // Keys nobody uses again (a spray of addresses) age out here, once a
    // minute per node at most.
    let last = LAST_PURGE.load(Ordering::Relaxed);
    if now - last < PURGE_EVERY
        || LAST_PURGE
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return Ok(verdict);
    }
    on_pool!(db, pool => {
        let purged = sqlx::query("DELETE FROM login_attempts WHERE at < $1")
            .bind(since)
            .execute(pool)
            .await;
        if let Err(e) = purged {
            tracing::debug!(error = %e, "old sign-in attempts not purged this time");
        }
    });
    Ok(verdict)
}

/// Takes back one attempt (under every key), and with `clear`, every
/// attempt under that key too.
pub async fn forget(db: &Db, attempt_id: &str, clear: Option<&str>) -> StoreResult<()> {
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query("DELETE FROM login_attempts WHERE attempt_id = $1")
            .bind(attempt_id)
            .execute(&mut *tx)
            .await?;
        if let Some(key) = clear {
            sqlx::query("DELETE FROM login_attempts WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

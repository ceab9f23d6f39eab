//! Webhooks and their outbox of deliveries.

use serde_json::{Value, json};
use sqlx::types::Json;

use super::audit::{Actor, audit};
use super::{Db, StoreError, StoreResult, WritePool, on_pool};
use crate::clock::{self, Micros};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Webhook {
    pub id: String,
    pub name: String,
    pub url: String,
    pub events: Json<Vec<String>>,
    /// `None`: every type.
    pub types: Option<Json<Vec<String>>>,
    pub secret: String,
    pub enabled: bool,
    pub version: i64,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl Webhook {
    /// Whether this webhook wants `event` about an entry of `content_type`
    /// (`None`: not about one type, such as an asset).
    pub fn wants(&self, event: &str, content_type: Option<&str>) -> bool {
        self.enabled
            && self.events.iter().any(|e| e == event)
            && match (&self.types, content_type) {
                (Some(types), Some(t)) => types.iter().any(|x| x == t),
                _ => true,
            }
    }
}

const COLUMNS: &str =
    "id, name, url, events, types, secret, enabled, version, created_at, updated_at";

/// What a write sets; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub types: Option<Option<Vec<String>>>,
    pub secret: Option<String>,
    pub enabled: Option<bool>,
}

pub async fn create(db: &Db, new: Webhook, actor: &Actor) -> StoreResult<Webhook> {
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhooks (id, name, url, events, types, secret, enabled, version, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&new.id)
        .bind(&new.name)
        .bind(&new.url)
        .bind(&new.events)
        .bind(&new.types)
        .bind(&new.secret)
        .bind(new.enabled)
        .bind(new.version)
        .bind(new.created_at)
        .bind(new.updated_at)
        .execute(&mut *tx)
        .await?;
        let detail = json!({"name": new.name, "url": new.url, "events": new.events.0});
        audit!(tx, actor, new.created_at, "webhook.create", "webhook", &new.id, Some(detail));
        tx.commit().await?;
        Ok(new)
    })
}

pub async fn list(db: &Db) -> StoreResult<Vec<Webhook>> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks ORDER BY created_at");
    Ok(on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
    }))
}

pub async fn get(db: &Db, id: &str) -> StoreResult<Webhook> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1");
    on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)
    })
}

/// Applies `change` when the webhook is still at `version`.
pub async fn update(
    db: &Db,
    id: &str,
    version: i64,
    change: WebhookChange,
    actor: &Actor,
) -> StoreResult<Webhook> {
    let now = clock::now();
    let select = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1");
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let mut hook: Webhook = sqlx::query_as(sqlx::AssertSqlSafe(select))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if hook.version != version {
            return Err(StoreError::VersionConflict { expected: version, current: hook.version });
        }
        let fields: Vec<&str> = [
            change.name.as_ref().map(|_| "name"),
            change.url.as_ref().map(|_| "url"),
            change.events.as_ref().map(|_| "events"),
            change.types.as_ref().map(|_| "types"),
            change.secret.as_ref().map(|_| "secret"),
            change.enabled.as_ref().map(|_| "enabled"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let detail = json!({"fields": fields, "before_version": hook.version});
        hook.name = change.name.unwrap_or(hook.name);
        hook.url = change.url.unwrap_or(hook.url);
        hook.events = change.events.map(Json).unwrap_or(hook.events);
        hook.types = change.types.map(|t| t.map(Json)).unwrap_or(hook.types);
        hook.secret = change.secret.unwrap_or(hook.secret);
        hook.enabled = change.enabled.unwrap_or(hook.enabled);
        hook.version += 1;
        hook.updated_at = now;
        sqlx::query(
            "UPDATE webhooks SET name = $1, url = $2, events = $3, types = $4, secret = $5, \
             enabled = $6, version = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(&hook.name)
        .bind(&hook.url)
        .bind(&hook.events)
        .bind(&hook.types)
        .bind(&hook.secret)
        .bind(hook.enabled)
        .bind(hook.version)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit!(tx, actor, now, "webhook.update", "webhook", id, Some(detail));
        tx.commit().await?;
        Ok(hook)
    })
}

/// Deletes a webhook and its delivery log.
pub async fn delete(db: &Db, id: &str, actor: &Actor) -> StoreResult<()> {
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        audit!(tx, actor, now, "webhook.delete", "webhook", id, None::<Value>);
        tx.commit().await?;
        Ok(())
    })
}

/// A delivery to queue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub webhook_id: String,
    pub event: String,
    pub seq: Option<i64>,
    pub body: String,
}

const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (id, webhook_id, event, seq, body, \
     status, attempts, next_try_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)";

/// How far the feed has been fanned out.
pub async fn outbox_seq(db: &Db) -> StoreResult<i64> {
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>("SELECT seq FROM webhook_outbox WHERE id = 1")
            .fetch_optional(pool)
            .await?
            .unwrap_or(0)
    }))
}

/// Queues `deliveries` for the changes after `from` up to `to`, if the
/// outbox still stands at `from`: whichever node moves it first queues
/// them, so each change is queued once however many nodes fan out.
/// Answers whether this call did.
pub async fn queue(db: &Db, from: i64, to: i64, deliveries: &[NewDelivery]) -> StoreResult<bool> {
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let moved = sqlx::query("UPDATE webhook_outbox SET seq = $1 WHERE id = 1 AND seq = $2")
            .bind(to)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if moved == 0 {
            return Ok(false);
        }
        for d in deliveries {
            sqlx::query(INSERT_DELIVERY)
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(&d.webhook_id)
                .bind(&d.event)
                .bind(d.seq)
                .bind(&d.body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// Records one delivery being attempted right now (a test delivery), held
/// from the worker until `lease_until`; answers its id.
pub async fn queue_one(db: &Db, d: &NewDelivery, lease_until: Micros) -> StoreResult<String> {
    let id = uuid::Uuid::now_v7().to_string();
    on_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, seq, body, status, attempts, \
             next_try_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 1, $6, $7)",
        )
        .bind(&id)
        .bind(&d.webhook_id)
        .bind(&d.event)
        .bind(d.seq)
        .bind(&d.body)
        .bind(lease_until)
        .bind(clock::now())
        .execute(pool)
        .await?;
    });
    Ok(id)
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub body: String,
    /// Counting this one.
    pub attempts: i64,
    pub created_at: Micros,
}

/// Claims up to `limit` due deliveries of enabled webhooks for an attempt:
/// each is pushed out to `lease_until`, so another node skips it, and a
/// node that dies before recording the outcome leaves it to be retried
/// then. On PostgreSQL rows another node is claiming are skipped, not
/// waited for.
pub async fn claim(
    db: &Db,
    now: Micros,
    lease_until: Micros,
    limit: i64,
) -> StoreResult<Vec<Claimed>> {
    let sql = format!(
        "UPDATE webhook_deliveries SET next_try_at = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM webhook_deliveries \
         WHERE status = 'pending' AND next_try_at <= $2 \
         AND webhook_id IN (SELECT id FROM webhooks WHERE enabled) \
         ORDER BY next_try_at LIMIT $3{}) \
         RETURNING id, webhook_id, event, body, attempts, created_at",
        db.dialect().skip_locked()
    );
    Ok(on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows
    }))
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: Micros,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub excerpt: Option<String>,
    /// `delivered`, `failed` (given up) or `pending` (tried again at
    /// `next_try_at`).
    pub status: &'static str,
    pub next_try_at: Option<Micros>,
}

pub async fn record(db: &Db, id: &str, a: &Attempt) -> StoreResult<()> {
    on_pool!(db, pool => {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_try_at = $2, last_attempt_at = $3, \
             last_status_code = $4, last_duration_ms = $5, last_error = $6, response_excerpt = $7 \
             WHERE id = $8",
        )
        .bind(a.status)
        .bind(a.next_try_at)
        .bind(a.at)
        .bind(a.status_code)
        .bind(a.duration_ms)
        .bind(&a.error)
        .bind(&a.excerpt)
        .bind(id)
        .execute(pool)
        .await?;
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub seq: Option<i64>,
    pub status: String,
    pub attempts: i64,
    pub next_try_at: Option<Micros>,
    pub created_at: Micros,
    pub last_attempt_at: Option<Micros>,
    pub last_status_code: Option<i64>,
    pub last_duration_ms: Option<i64>,
    pub last_error: Option<String>,
    pub response_excerpt: Option<String>,
    pub body: String,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event, seq, status, attempts, next_try_at, \
     created_at, last_attempt_at, last_status_code, last_duration_ms, last_error, \
     response_excerpt, body";

/// A webhook's deliveries, newest first, and how many it has.
pub async fn deliveries(
    db: &Db,
    webhook_id: &str,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Delivery>, i64)> {
    let filter = "webhook_id = $1 AND ($2 IS NULL OR status = $2)";
    let select = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE {filter} \
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
    );
    let count = format!("SELECT COUNT(*) FROM webhook_deliveries WHERE {filter}");
    Ok(on_pool!(db, pool => {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(select))
            .bind(webhook_id)
            .bind(status)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count))
            .bind(webhook_id)
            .bind(status)
            .fetch_one(pool)
            .await?;
        (rows, total)
    }))
}

/// One delivery of a webhook.
pub async fn delivery(db: &Db, webhook_id: &str, id: &str) -> StoreResult<Delivery> {
    let select = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2"
    );
    on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(select))
            .bind(id)
            .bind(webhook_id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)
    })
}

/// Tries a delivery again now (delivered, failed or waiting).
pub async fn retry(db: &Db, webhook_id: &str, id: &str) -> StoreResult<Delivery> {
    let now = clock::now();
    on_pool!(db, pool => {
        let moved = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_try_at = $1 \
             WHERE id = $2 AND webhook_id = $3",
        )
        .bind(now)
        .bind(id)
        .bind(webhook_id)
        .execute(pool)
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(StoreError::NotFound);
        }
    });
    delivery(db, webhook_id, id).await
}

//! API tokens for machines, stored only as hashes.

use serde_json::{Value, json};
use sqlx::types::Json;

use super::audit::{Actor, audit};
use super::log_id::LogId;
use super::{Db, StoreError, StoreResult, WritePool, lock_feed, on_pool};
use crate::clock::{self, Micros};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// A preview link's one entry: the token reads nothing else.
    pub entry_id: Option<String>,
}

const COLUMNS: &str = "id, name, scope, created_by, created_at, expires_at, last_used_at, entry_id";

const INSERT_CHANGE: &str = "INSERT INTO changes (entity, entity_id, content_type, action, at) \
     VALUES ('token', $1, NULL, $2, $3)";

pub async fn create(
    db: &Db,
    name: &str,
    scope: &str,
    token_hash: &str,
    expires_at: Option<Micros>,
    actor: &Actor,
) -> StoreResult<ApiToken> {
    create_for(db, name, scope, token_hash, expires_at, None, actor).await
}

/// Creates a token, limited to one entry when `entry_id` is given.
pub async fn create_for(
    db: &Db,
    name: &str,
    scope: &str,
    token_hash: &str,
    expires_at: Option<Micros>,
    entry_id: Option<&str>,
    actor: &Actor,
) -> StoreResult<ApiToken> {
    let now = clock::now();
    let token = ApiToken {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.to_string(),
        scope: scope.to_string(),
        created_by: actor.id.clone(),
        created_at: now,
        expires_at,
        last_used_at: None,
        entry_id: entry_id.map(str::to_string),
    };
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, scope, token_hash, created_by, created_at, \
             expires_at, entry_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&token.id)
        .bind(&token.name)
        .bind(&token.scope)
        .bind(token_hash)
        .bind(&token.created_by)
        .bind(now)
        .bind(expires_at)
        .bind(entry_id)
        .execute(&mut *tx)
        .await?;
        let detail = json!({"name": token.name, "scope": token.scope, "entry_id": entry_id});
        audit!(tx, actor, now, "token.create", "token", &token.id, Some(detail));
        tx.commit().await?;
        Ok(token)
    })
}

pub async fn list(db: &Db) -> StoreResult<Vec<ApiToken>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC");
    Ok(on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
    }))
}

/// Who a token acts for: its creator, as they are now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenOwner {
    pub role: String,
    pub types: Option<Json<Vec<String>>>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    #[sqlx(flatten)]
    token: ApiToken,
    #[sqlx(flatten)]
    owner: TokenOwner,
}

/// The live (unexpired) token with this hash and its creator, while the
/// creator exists and is enabled: a token dies with its creator's account.
pub async fn find(db: &Db, token_hash: &str) -> StoreResult<Option<(ApiToken, TokenOwner)>> {
    let sql = "SELECT t.id, t.name, t.scope, t.created_by, t.created_at, t.expires_at, \
               t.last_used_at, t.entry_id, u.role, u.types \
               FROM api_tokens t JOIN users u ON u.id = t.created_by \
               WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2) \
               AND NOT u.disabled";
    let row: Option<TokenRow> = on_pool!(db, pool => {
        sqlx::query_as(sql)
            .bind(token_hash)
            .bind(clock::now())
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|r| (r.token, r.owner)))
}

/// Notes that a token was used; callers do it at most once a minute.
pub async fn touch(db: &Db, id: &str) -> StoreResult<()> {
    on_pool!(db, pool => {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(clock::now())
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Revokes a token. The change feed carries the revocation to other nodes.
pub async fn delete(db: &Db, id: &str, actor: &Actor) -> StoreResult<()> {
    let dialect = db.dialect();
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        lock_feed!(tx, dialect);
        sqlx::query(INSERT_CHANGE)
            .bind(LogId::of(id))
            .bind("delete")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        audit!(tx, actor, now, "token.delete", "token", id, None::<Value>);
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(())
    })
}

/// Deletes preview links that have expired (they are minted per click).
pub async fn purge_expired_links(db: &Db) -> StoreResult<u64> {
    Ok(on_pool!(db, pool => {
        sqlx::query("DELETE FROM api_tokens WHERE entry_id IS NOT NULL AND expires_at <= $1")
            .bind(clock::now())
            .execute(pool)
            .await?
            .rows_affected()
    }))
}

//! Uploaded assets: their facts (the bytes live in the object store), and
//! which entries use them.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::AssertSqlSafe;

use super::audit::{Actor, audit};
use super::log_id::LogId;
use super::sql::{Arg, Sql, bind_args};
use super::{Db, StoreError, StoreResult, WritePool, lock_feed, on_pool};
use crate::clock;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Asset {
    pub id: String,
    pub object_key: String,
    pub filename: String,
    pub mime_type: String,
    pub size: i64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt: Option<String>,
    pub title: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub created_by: Option<String>,
}

const COLUMNS: &str = "id, object_key, filename, mime_type, size, sha256, width, height, alt, \
     title, version, created_at, updated_at, created_by";

const INSERT_CHANGE: &str = "INSERT INTO changes (entity, entity_id, content_type, action, at) \
     VALUES ('asset', $1, NULL, $2, $3)";

/// Records a stored upload.
pub async fn create(db: &Db, asset: &Asset, actor: &Actor) -> StoreResult<()> {
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(
            "INSERT INTO assets (id, object_key, filename, mime_type, size, sha256, width, \
             height, alt, title, version, created_at, updated_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&asset.id)
        .bind(&asset.object_key)
        .bind(&asset.filename)
        .bind(&asset.mime_type)
        .bind(asset.size)
        .bind(&asset.sha256)
        .bind(asset.width)
        .bind(asset.height)
        .bind(&asset.alt)
        .bind(&asset.title)
        .bind(asset.version)
        .bind(asset.created_at)
        .bind(asset.updated_at)
        .bind(&asset.created_by)
        .execute(&mut *tx)
        .await?;
        lock_feed!(tx, db.dialect());
        sqlx::query(INSERT_CHANGE).bind(LogId::of(&asset.id)).bind("create").bind(asset.created_at).execute(&mut *tx).await?;
        let detail = json!({"filename": asset.filename, "mime_type": asset.mime_type, "size": asset.size});
        audit!(tx, actor, asset.created_at, "asset.create", "asset", &asset.id, Some(detail));
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(())
    })
}

pub async fn get(db: &Db, id: &str) -> StoreResult<Option<Asset>> {
    let sql = format!("SELECT {COLUMNS} FROM assets WHERE id = $1");
    Ok(on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    }))
}

/// The assets with these ids, by id; unknown ids are left out.
pub async fn many(db: &Db, ids: &[String]) -> StoreResult<HashMap<String, Asset>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::default();
    sql.push(&format!("SELECT {COLUMNS} FROM assets WHERE id IN "))
        .list(ids.iter().map(|id| Arg::Text(id.clone())));
    let rows: Vec<Asset> = on_pool!(db, pool => {
        bind_args!(sqlx::query_as(AssertSqlSafe(sql.text.clone())), sql.args.clone())
            .fetch_all(pool)
            .await?
    });
    Ok(rows.into_iter().map(|a| (a.id.clone(), a)).collect())
}

/// Which of these ids have an asset record.
pub async fn existing_ids(
    db: &Db,
    ids: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut sql = Sql::default();
    sql.push("SELECT id FROM assets WHERE id IN ")
        .list(ids.iter().map(|id| Arg::Text(id.clone())));
    let found: Vec<String> = on_pool!(db, pool => {
        bind_args!(sqlx::query_scalar(AssertSqlSafe(sql.text.clone())), sql.args.clone())
            .fetch_all(pool)
            .await?
    });
    Ok(found.into_iter().collect())
}

/// Filters of the library listing.
#[derive(Debug, Default)]
pub struct AssetQuery {
    /// `image/png`, or a family such as `image/*`.
    pub mime_type: Option<String>,
    /// Part of the file name, any case.
    pub search: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The WHERE clause of a library listing.
fn filters(sql: &mut Sql, q: &AssetQuery) {
    sql.push(" WHERE 1 = 1");
    if let Some(mime) = &q.mime_type {
        match mime.strip_suffix("/*") {
            Some(family) => {
                sql.push(" AND mime_type LIKE ")
                    .arg(Arg::Text(format!("{}/%", escape_like(family))))
                    .push(" ESCAPE '\\'");
            }
            None => {
                sql.push(" AND mime_type = ").arg(Arg::Text(mime.clone()));
            }
        }
    }
    if let Some(s) = &q.search {
        sql.push(" AND LOWER(filename) LIKE ")
            .arg(Arg::Text(format!("%{}%", escape_like(&s.to_lowercase()))))
            .push(" ESCAPE '\\'");
    }
}

/// A page of the library, newest first, and how many match.
pub async fn list(db: &Db, q: &AssetQuery) -> StoreResult<(Vec<Asset>, i64)> {
    let mut page = Sql::default();
    page.push(&format!("SELECT {COLUMNS} FROM assets"));
    filters(&mut page, q);
    page.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .arg(Arg::Int(q.limit))
        .push(" OFFSET ")
        .arg(Arg::Int(q.offset));
    let mut count = Sql::default();
    count.push("SELECT COUNT(*) FROM assets");
    filters(&mut count, q);
    Ok(on_pool!(db, pool => {
        let rows: Vec<Asset> =
            bind_args!(sqlx::query_as(AssertSqlSafe(page.text.clone())), page.args.clone())
                .fetch_all(pool)
                .await?;
        let total: i64 =
            bind_args!(sqlx::query_scalar(AssertSqlSafe(count.text.clone())), count.args.clone())
                .fetch_one(pool)
                .await?;
        (rows, total)
    }))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Changes alt text and title (`Some(None)` clears one), when
/// `expected_version` is still current.
pub async fn update(
    db: &Db,
    id: &str,
    expected_version: Option<i64>,
    alt: Option<Option<String>>,
    title: Option<Option<String>>,
    actor: &Actor,
) -> StoreResult<Asset> {
    let dialect = db.dialect();
    let now = clock::now();
    let sql = format!("SELECT {COLUMNS} FROM assets WHERE id = $1");
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let current: Option<Asset> = sqlx::query_as(AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let mut asset = current.ok_or(StoreError::NotFound)?;
        if let Some(expected) = expected_version
            && expected != asset.version
        {
            return Err(StoreError::VersionConflict { expected, current: asset.version });
        }
        if let Some(alt) = alt {
            asset.alt = alt;
        }
        if let Some(title) = title {
            asset.title = title;
        }
        asset.version += 1;
        asset.updated_at = now;
        let updated = sqlx::query(
            "UPDATE assets SET alt = $1, title = $2, version = $3, updated_at = $4 \
             WHERE id = $5 AND version = $6",
        )
        .bind(&asset.alt)
        .bind(&asset.title)
        .bind(asset.version)
        .bind(now)
        .bind(id)
        .bind(asset.version - 1)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::VersionConflict {
                expected: asset.version - 1,
                current: asset.version,
            });
        }
        lock_feed!(tx, dialect);
        sqlx::query(INSERT_CHANGE).bind(LogId::of(id)).bind("update").bind(now).execute(&mut *tx).await?;
        let detail = json!({"alt": asset.alt, "title": asset.title, "after_version": asset.version});
        audit!(tx, actor, now, "asset.update", "asset", id, Some(detail));
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(asset)
    })
}

/// An entry that uses an asset.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub content_type: String,
}

const USERS: &str = "SELECT DISTINCT e.entry_id AS id, e.type AS content_type FROM asset_refs r \
     JOIN entries e ON e.id = r.entry_id WHERE r.asset_id = $1 ORDER BY id LIMIT 50";

/// Deletes an asset's record, unless entries use it; returns it so the
/// caller can remove its bytes. `Conflict` names the entries that use it.
pub async fn delete(
    db: &Db,
    id: &str,
    expected_version: Option<i64>,
    actor: &Actor,
) -> StoreResult<Result<Asset, Vec<User>>> {
    let dialect = db.dialect();
    let now = clock::now();
    // Locked so no entry starts using it while we look (PostgreSQL; SQLite
    // writers are serialized anyway).
    let sql = format!(
        "SELECT {COLUMNS} FROM assets WHERE id = $1{}",
        dialect.row_lock()
    );
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let current: Option<Asset> = sqlx::query_as(AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let asset = current.ok_or(StoreError::NotFound)?;
        if let Some(expected) = expected_version
            && expected != asset.version
        {
            return Err(StoreError::VersionConflict { expected, current: asset.version });
        }
        let users: Vec<User> = sqlx::query_as(USERS).bind(id).fetch_all(&mut *tx).await?;
        if !users.is_empty() {
            return Ok(Err(users));
        }
        sqlx::query("DELETE FROM assets WHERE id = $1").bind(id).execute(&mut *tx).await?;
        lock_feed!(tx, dialect);
        sqlx::query(INSERT_CHANGE).bind(LogId::of(id)).bind("delete").bind(now).execute(&mut *tx).await?;
        let detail = json!({"filename": asset.filename});
        audit!(tx, actor, now, "asset.delete", "asset", id, Some(detail));
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(Ok(asset))
    })
}

/// Asset ids held by `fields` of a document: a string, or a list of them.
pub fn ids_in<'a>(
    fields: impl Iterator<Item = &'a str>,
    data: &serde_json::Map<String, Value>,
) -> Vec<String> {
    let mut ids = Vec::new();
    for name in fields {
        match data.get(name) {
            Some(Value::String(id)) => ids.push(id.clone()),
            Some(Value::Array(list)) => {
                ids.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)))
            }
            _ => {}
        }
    }
    ids
}

/// Assets in id order after `after`, for a full sync a page at a time.
pub async fn after(db: &Db, after: &str, limit: i64) -> StoreResult<Vec<Asset>> {
    let sql = format!("SELECT {COLUMNS} FROM assets WHERE id > $1 ORDER BY id LIMIT $2");
    Ok(on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql)).bind(after).bind(limit).fetch_all(pool).await?
    }))
}

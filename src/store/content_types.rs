//! Content type definitions, and the data steps a definition change needs.

use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::audit::{Actor, audit};
use super::field_indexes::sync_field_indexes;
use super::field_rewrites::{has, renamed, with_value};
use super::log_id::LogId;
use super::{Conflict, Db, StoreError, StoreResult, WritePool, lock_feed, on_pool};
use crate::clock;
use crate::model::FieldError;
use crate::model::content_type::ContentType;
use crate::model::field::FieldType;
use crate::model::schema_change::Plan;
use crate::store::sql::{Dialect, WORKING_COPY, holds_copy};

/// A content type as stored, with its bookkeeping.
#[derive(Debug, Clone)]
pub struct StoredType {
    pub content_type: ContentType,
    pub schema_version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct TypeRow {
    api_id: String,
    definition: Json<Value>,
    schema_version: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<TypeRow> for StoredType {
    type Error = StoreError;
    fn try_from(r: TypeRow) -> StoreResult<StoredType> {
        let content_type = ContentType::from_json(r.definition.0).map_err(|e| {
            StoreError::Corrupt(format!("content type {} no longer parses: {e:?}", r.api_id))
        })?;
        Ok(StoredType {
            content_type,
            schema_version: r.schema_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const SELECT: &str =
    "SELECT api_id, definition, schema_version, created_at, updated_at FROM content_types";

pub async fn list(db: &Db) -> StoreResult<Vec<StoredType>> {
    let sql = format!("{SELECT} ORDER BY api_id");
    let rows: Vec<TypeRow> = on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await?
    });
    rows.into_iter().map(StoredType::try_from).collect()
}

pub async fn get(db: &Db, api_id: &str) -> StoreResult<StoredType> {
    let sql = format!("{SELECT} WHERE api_id = $1");
    let row: Option<TypeRow> = on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql)).bind(api_id).fetch_optional(pool).await?
    });
    row.ok_or(StoreError::NotFound)?.try_into()
}

const INSERT_CHANGE: &str = "INSERT INTO changes (entity, entity_id, content_type, action, at) \
     VALUES ('content_type', $1, $1, $2, $3)";

/// Records a new type inside `$tx`.
macro_rules! create_in {
    ($tx:ident, $dialect:expr, $now:expr, $ct:expr, $actor:expr) => {{
        let dialect: Dialect = $dialect;
        let now = $now;
        let ct: &ContentType = $ct;
        let actor = $actor;
        let exists = sqlx::query_scalar::<_, i32>("SELECT 1 FROM content_types WHERE api_id = $1")
            .bind(ct.api_id())
            .fetch_optional(&mut *$tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(
                Conflict::TypeExists,
                format!("a content type `{}` already exists", ct.api_id()),
            ));
        }
        sqlx::query(
            "INSERT INTO content_types (api_id, name, kind, definition, schema_version, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)",
        )
        .bind(ct.api_id())
        .bind(&ct.def.name)
        .bind(ct.def.kind.as_str())
        .bind(Json(&ct.def))
        .bind(now)
        .execute(&mut *$tx)
        .await?;
        sync_field_indexes!($tx, dialect, ct.api_id(), Some(ct));
        lock_feed!($tx, dialect);
        sqlx::query(INSERT_CHANGE)
            .bind(LogId::of(ct.api_id()))
            .bind("create")
            .bind(now)
            .execute(&mut *$tx)
            .await?;
        audit!(
            $tx,
            actor,
            now,
            "content_type.create",
            "content_type",
            ct.api_id(),
            None::<Value>
        );
    }};
}

pub async fn create(db: &Db, ct: &ContentType, actor: &Actor) -> StoreResult<StoredType> {
    let dialect = db.dialect();
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        create_in!(tx, dialect, now, ct, actor);
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(StoredType {
            content_type: ct.clone(),
            schema_version: 1,
            created_at: now,
            updated_at: now,
        })
    })
}

/// Carries out a planned change of a stored type inside `$tx` (see
/// [`update`]); evaluates to the schema version it replaced and the plan
/// with the entries each step touched.
macro_rules! update_in {
    ($tx:ident, $dialect:expr, $now:expr, $next:expr, $current:expr, $expected:expr, $plan:expr, $allow_data_loss:expr, $actor:expr) => {{
        let dialect: Dialect = $dialect;
        let now = $now;
        let next: &ContentType = $next;
        let current: &StoredType = $current;
        let expected: Option<i64> = $expected;
        let allow_data_loss: bool = $allow_data_loss;
        let actor = $actor;
        let mut plan: Plan = $plan;
        let kind_changed = plan.kind_changed();
        let dropped: Vec<String> = plan.removed.iter().map(|s| s.field.clone()).collect();
        // A field whose type changes to a non-convertible one loses its values too.
        let mut dropped = dropped;
        dropped.extend(
            plan.losses
                .iter()
                .filter(|l| l.rule == "type_changed")
                .map(|l| l.field.clone()),
        );
        let dropped_media = dropped.iter().any(|name| {
            current
                .content_type
                .field(name)
                .is_some_and(|f| f.field_type == FieldType::Media)
        });
        let newly_unique: Vec<_> = next
            .unique_fields()
            .filter(|f| {
                current
                    .content_type
                    .field(&f.name)
                    .is_none_or(|old| !old.unique || old.field_type != f.field_type)
            })
            .map(|f| {
                (
                    f.name.clone(),
                    dialect.json_field(WORKING_COPY, &f.name, f.field_type, false),
                )
            })
            .collect();
        if let Some(lock) = dialect.type_lock() {
            sqlx::query(lock).bind(next.api_id()).execute(&mut *$tx).await?;
        }
        let version: Option<i64> =
            sqlx::query_scalar("SELECT schema_version FROM content_types WHERE api_id = $1")
                .bind(next.api_id())
                .fetch_optional(&mut *$tx)
                .await?;
        let Some(version) = version else {
            return Err(StoreError::NotFound);
        };
        if let Some(expected) = expected
            && expected != version
        {
            return Err(StoreError::VersionConflict {
                expected,
                current: version,
            });
        }
        if version != current.schema_version {
            return Err(StoreError::VersionConflict {
                expected: current.schema_version,
                current: version,
            });
        }
        let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entries WHERE type = $1")
            .bind(next.api_id())
            .fetch_one(&mut *$tx)
            .await?;
        if entries > 0 && !plan.losses.is_empty() && (!allow_data_loss || kind_changed) {
            return Err(StoreError::DataLoss(plan.losses));
        }
        for step in plan.renamed.iter_mut() {
            let Some(old) = step.from.as_deref() else { continue };
            step.entries = rename_field!($tx, dialect, next.api_id(), old, &step.field);
        }
        for step in plan.converted.iter_mut() {
            let Some(field) = next.field(&step.field) else { continue };
            step.entries = convert_field!($tx, next.api_id(), field, allow_data_loss);
        }
        for step in plan.added.iter_mut().chain(plan.required.iter_mut()) {
            step.entries = fill_field!($tx, dialect, next.api_id(), step);
        }
        for step in plan.removed.iter_mut() {
            step.entries = count_with!($tx, dialect, next.api_id(), &step.field);
        }
        for field in &dropped {
            sqlx::query(
                "DELETE FROM entry_refs WHERE field = $2 \
                 AND source_id IN (SELECT id FROM entries WHERE type = $1)",
            )
            .bind(next.api_id())
            .bind(field)
            .execute(&mut *$tx)
            .await?;
            for doc in ["draft", "published"] {
                let sql = format!(
                    "UPDATE entries SET {doc} = {} WHERE type = $1 AND {}",
                    dialect.json_remove(doc, field),
                    holds_copy(doc)
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(next.api_id())
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        if dropped_media {
            // The assets those fields named are no longer used by them:
            // record again what each entry's remaining media fields use.
            sqlx::query(
                "DELETE FROM asset_refs WHERE entry_id IN (SELECT id FROM entries WHERE type = $1)",
            )
            .bind(next.api_id())
            .execute(&mut *$tx)
            .await?;
            let rows: Vec<EntryCopies> =
                sqlx::query_as("SELECT id, draft, published FROM entries WHERE type = $1")
                    .bind(next.api_id())
                    .fetch_all(&mut *$tx)
                    .await?;
            for (entry, draft, published) in rows {
                for asset in media_in(next, [draft, published]) {
                    sqlx::query(
                        "INSERT INTO asset_refs (asset_id, entry_id) \
                         SELECT id, $2 FROM assets WHERE id = $1",
                    )
                    .bind(&asset)
                    .bind(&entry)
                    .execute(&mut *$tx)
                    .await?;
                }
            }
        }
        let mut duplicates = Vec::new();
        for (name, expr) in &newly_unique {
            let sql = format!(
                "SELECT 1 FROM entries WHERE type = $1 AND {expr} IS NOT NULL \
                 GROUP BY locale, {expr} HAVING COUNT(*) > 1 LIMIT 1"
            );
            let dup = sqlx::query_scalar::<_, i32>(AssertSqlSafe(sql))
                .bind(next.api_id())
                .fetch_optional(&mut *$tx)
                .await?;
            if dup.is_some() {
                duplicates.push(FieldError::new(
                    name.clone(),
                    "unique",
                    format!("entries already share values of `{name}`; make them distinct first"),
                ));
            }
        }
        if !duplicates.is_empty() {
            return Err(StoreError::Unique(duplicates));
        }
        sqlx::query(
            "UPDATE content_types SET name = $1, kind = $2, definition = $3, \
             schema_version = schema_version + 1, updated_at = $4 WHERE api_id = $5",
        )
        .bind(&next.def.name)
        .bind(next.def.kind.as_str())
        .bind(Json(&next.def))
        .bind(now)
        .bind(next.api_id())
        .execute(&mut *$tx)
        .await?;
        lock_feed!($tx, dialect);
        sqlx::query(INSERT_CHANGE)
            .bind(LogId::of(next.api_id()))
            .bind("update")
            .bind(now)
            .execute(&mut *$tx)
            .await?;
        let detail = serde_json::json!({
            "before_version": version,
            "after_version": version + 1,
            "dropped_fields": dropped,
            "plan": &plan,
        });
        sync_field_indexes!($tx, dialect, next.api_id(), Some(next));
        audit!($tx, actor, now, "content_type.update", "content_type", next.api_id(), Some(detail));
        (version, plan)
    }};
}

/// Replaces a definition, carrying out `plan` on the type's entries in the
/// same transaction: renames move values (working, live and revision
/// copies, and relation links), conversions rewrite each value or name the
/// entries whose value does not convert, added or newly required fields
/// take their default, removed fields lose their values. A change that
/// would lose stored values is refused while the type has entries, unless
/// `allow_data_loss` (never for a change of kind). The plan comes back with
/// the number of entries each step touched; with `dry_run` nothing is kept.
/// A new `unique` rule is refused when working copies already share a value.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &Db,
    next: &ContentType,
    basis: &StoredType,
    expected: Option<i64>,
    plan: Plan,
    allow_data_loss: bool,
    dry_run: bool,
    actor: &Actor,
) -> StoreResult<(StoredType, Plan)> {
    let dialect = db.dialect();
    let now = clock::now();
    let current = basis;
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let (version, plan) = update_in!(tx, dialect, now, next, current, expected, plan, allow_data_loss, actor);
        if dry_run {
            tx.rollback().await?;
            return Ok((current.clone(), plan));
        }
        tx.commit().await?;
        crate::store::wake::recorded(db);
        let stored = StoredType {
            content_type: next.clone(),
            schema_version: version + 1,
            created_at: current.created_at,
            updated_at: now,
        };
        Ok((stored, plan))
    })
}

/// One change of a folder of types: a new type, or a stored one (`basis`)
/// replaced along its plan.
pub struct TypeChange {
    pub next: ContentType,
    pub basis: Option<StoredType>,
    pub plan: Plan,
}

/// Applies every change in one transaction: all of them, or (on the first
/// refusal or failure) none.
pub async fn apply_all(db: &Db, changes: &[TypeChange], actor: &Actor) -> StoreResult<()> {
    let dialect = db.dialect();
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        for c in changes {
            match &c.basis {
                None => create_in!(tx, dialect, now, &c.next, actor),
                Some(basis) => {
                    update_in!(tx, dialect, now, &c.next, basis, None, c.plan.clone(), false, actor);
                }
            }
        }
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(())
    })
}

/// Deletes a type. One with entries is refused unless `with_entries`, which
/// deletes them (and their revisions) in the same transaction.
pub async fn delete(db: &Db, api_id: &str, with_entries: bool, actor: &Actor) -> StoreResult<()> {
    let dialect = db.dialect();
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        if let Some(lock) = dialect.type_lock() {
            sqlx::query(lock).bind(api_id).execute(&mut *tx).await?;
        }
        let found = sqlx::query_scalar::<_, i32>("SELECT 1 FROM content_types WHERE api_id = $1")
            .bind(api_id)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entries WHERE type = $1")
            .bind(api_id)
            .fetch_one(&mut *tx)
            .await?;
        if entries > 0 && !with_entries {
            return Err(StoreError::Conflict(
                Conflict::TypeHasEntries,
                format!(
                    "`{api_id}` has {entries} entries; delete with ?delete_entries=true to remove them too"
                ),
            ));
        }
        let referenced: Vec<crate::store::entries::Reference> = sqlx::query_as(
            "SELECT e.entry_id AS id, e.locale AS locale, r.source_id AS source_row, \
             e.type AS type, r.field AS field, r.copy AS copy \
             FROM entry_refs r JOIN entries e ON e.id = r.source_id \
             JOIN entries t ON t.id = r.target_id \
             WHERE t.type = $1 AND e.type <> $1 ORDER BY e.type, r.source_id LIMIT 50",
        )
        .bind(api_id)
        .fetch_all(&mut *tx)
        .await?;
        if !referenced.is_empty() {
            return Err(StoreError::Referenced(referenced));
        }
        sqlx::query("DELETE FROM entries WHERE type = $1")
            .bind(api_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM content_types WHERE api_id = $1")
            .bind(api_id)
            .execute(&mut *tx)
            .await?;
        sync_field_indexes!(tx, dialect, api_id, None::<&ContentType>);
        lock_feed!(tx, dialect);
        sqlx::query(INSERT_CHANGE)
            .bind(LogId::of(api_id))
            .bind("delete")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "deleted_entries": entries });
        audit!(tx, actor, now, "content_type.delete", "content_type", api_id, Some(detail));
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(())
    })
}

/// An entry's id with its working and live copies.
type EntryCopies = (String, Option<Json<Value>>, Option<Json<Value>>);

/// The asset ids a type's media fields name in an entry's copies (at any
/// depth of components and blocks), once each.
fn media_in(ct: &ContentType, copies: [Option<Json<Value>>; 2]) -> Vec<String> {
    let mut ids: Vec<String> = copies
        .into_iter()
        .flatten()
        .filter_map(|copy| match copy.0 {
            Value::Object(map) => Some(
                crate::model::nested::ids_at(&ct.fields, &map, FieldType::Media)
                    .into_iter()
                    .map(|at| at.id)
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

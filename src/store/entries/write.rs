//! The transactional writes of entries.

use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::links::{Reference, without};
use super::media_links::{assets_sql, media_errors};
use super::record::INSERT_CHANGE;
use super::translation_row::{
    CLAIM_PUBLISH, CLAIM_UNPUBLISH, RowSql, UPDATE_DRAFT, draft_column, new_row,
};
use super::unique::{
    MAX_SLUG_SUFFIX, live_slug_taken, slug_candidate, slug_of, taken_error, taken_sql,
};
use super::{COLUMNS, EntryRow, Lookup};
use crate::clock;
use crate::model::FieldError;
use crate::model::content_type::ContentType;
use crate::model::entry::{Entry, Status, merge};
use crate::model::field::FieldType;
use crate::model::nested::ids_at;
use crate::model::validate::{Mode, Valid, validate_entry};
use crate::store::Conflict;
use crate::store::audit::{Actor, audit};
use crate::store::log_id::LogId;
use crate::store::sql::bind_args;
use crate::store::{Db, StoreError, StoreResult, WritePool, lock_feed, on_pool};

/// Does any row match? `sql` selects a constant, so no row decoding happens.
macro_rules! exists {
    ($tx:expr, $sql:expr) => {
        bind_args!(
            sqlx::query_scalar::<_, i32>(AssertSqlSafe($sql.text.clone())),
            $sql.args.clone()
        )
        .fetch_optional(&mut *$tx)
        .await?
        .is_some()
    };
}

/// Takes, where the database needs them, the locks a write of entry `$id`
/// holds to commit (see [`Dialect::entry_lock`]).
macro_rules! lock_entry {
    ($tx:expr, $dialect:expr, $type:expr, $id:expr) => {
        if let Some(lock) = $dialect.entry_lock() {
            sqlx::query(lock)
                .bind($type)
                .bind($id)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Copies the shared (not localized) fields of `$entry`'s working copy to
/// the working copies of the entry's other translations, each such change
/// a new version of that translation recorded like any edit.
macro_rules! sync_shared {
    ($tx:expr, $dialect:expr, $ct:expr, $entry:expr, $actor:expr, $now:expr) => {{
        let sql = format!(
            "SELECT {COLUMNS} FROM entries WHERE entry_id = $1 AND id <> $2 ORDER BY id{}",
            $dialect.row_lock()
        );
        let rows: Vec<EntryRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(&$entry.id)
            .bind(&$entry.row)
            .fetch_all(&mut *$tx)
            .await?;
        for row in rows {
            let mut other = Entry::try_from(row)?;
            let mut draft = other.draft.clone();
            for f in $ct.fields.iter().filter(|f| !f.localized) {
                match $entry.draft.get(&f.name) {
                    Some(v) => draft.insert(f.name.clone(), v.clone()),
                    None => draft.remove(&f.name),
                };
            }
            if draft == other.draft {
                continue;
            }
            let mut clashes = Vec::new();
            for f in $ct.fields.iter().filter(|f| !f.localized && f.is_unique()) {
                let (column, ty) = if f.field_type == FieldType::Slug {
                    ("slug", None)
                } else {
                    (f.name.as_str(), Some(f.field_type))
                };
                if let Some(v) = draft.get(&f.name)
                    && draft.get(&f.name) != other.draft.get(&f.name)
                    && is_taken!($tx, $dialect, $ct, &other.locale, &other.row, column, ty, v)
                {
                    clashes.push(FieldError::new(
                        f.name.clone(),
                        "unique",
                        format!("{v} is already used by another entry in {}", other.locale),
                    ));
                }
            }
            if !clashes.is_empty() {
                return Err(StoreError::Unique(clashes));
            }
            let before = std::mem::replace(&mut other.draft, draft);
            other.status = Status::of(&other.draft, other.published.as_ref());
            other.bump($now, $actor.id.clone());
            let update = RowSql::clearing_links(UPDATE_DRAFT, 6);
            write_and_record!(
                $tx,
                $dialect,
                $ct,
                other,
                Some(&before),
                "update",
                $actor,
                $now,
                update,
                [
                    draft_column(&other.draft, other.published.as_ref()),
                    slug_of($ct, &other.draft),
                    other.status.as_str(),
                    $now,
                    &$actor.id,
                    &other.row,
                ]
            );
        }
    }};
}

/// Which translation of which entry a write is about, and the default
/// locale (whose translation must be complete; others may leave their
/// localized fields to fall back).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub id: &'a str,
    pub lookup: Lookup<'a>,
    pub default_locale: &'a str,
    /// Set when the scheduler runs an action due at this time: the write
    /// claims it and does nothing if another node already did.
    pub scheduled: Option<clock::Micros>,
}

impl Target<'_> {
    fn mode(&self, locale: &str) -> Mode {
        if locale == self.default_locale {
            Mode::Update
        } else {
            Mode::Translation
        }
    }
}

/// Creates an entry, with its one translation in `locale`, from a validated
/// working copy.
pub async fn create(
    db: &Db,
    ct: &ContentType,
    locale: &str,
    mut valid: Valid,
    actor: &Actor,
) -> StoreResult<Entry> {
    let dialect = db.dialect();
    let id = uuid::Uuid::now_v7().to_string();
    let now = clock::now();
    on_pool!(db, pool => {
        let singleton = ct.def.kind == crate::model::content_type::Kind::Singleton;
        let mut tx = if singleton {
            pool.begin_write().await?
        } else {
            pool.begin_entry_write(ct.api_id(), &id).await?
        };
        // A singleton's one entry is looked for under the type's own lock,
        // so two first writes cannot both find none.
        if singleton && let Some(lock) = dialect.type_lock() {
            sqlx::query(lock).bind(ct.api_id()).execute(&mut *tx).await?;
        }
        if singleton {
            let taken = sqlx::query_scalar::<_, i32>(
                "SELECT 1 FROM entries WHERE type = $1 LIMIT 1",
            )
                .bind(ct.api_id())
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict(
                    Conflict::SingletonExists,
                    format!(
                    "{} is a singleton and already has its entry; write its {locale} translation with PUT",
                    ct.api_id()
                )));
            }
        }
        ensure_unique!(tx, dialect, ct, locale, &id, valid);
        let entry = new_row(ct, id.clone(), id, locale, valid.data, actor, now);
        insert_row!(tx, dialect, ct, entry, now, actor);
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(entry)
    })
}

/// Starts the `locale` translation of entry `id` from `data`: shared fields
/// it leaves out keep the values the entry's other translations share;
/// shared fields it sets are set for all of them.
pub async fn create_translation(
    db: &Db,
    ct: &ContentType,
    target: Target<'_>,
    locale: &str,
    data: Map<String, Value>,
    actor: &Actor,
) -> StoreResult<Entry> {
    let dialect = db.dialect();
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_entry_write(ct.api_id(), target.id).await?;
        let base = load_for_write!(tx, ct.api_id(), target.id, Lookup::Prefer(target.default_locale), None::<i64>);
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM entries WHERE entry_id = $1 AND locale = $2",
        )
        .bind(target.id)
        .bind(locale)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(current) = existing {
            return Err(StoreError::VersionConflict { expected: 0, current });
        }
        let mut input: Map<String, Value> = ct
            .fields
            .iter()
            .filter(|f| !f.localized)
            .filter_map(|f| Some((f.name.clone(), base.draft.get(&f.name)?.clone())))
            .collect();
        merge(&mut input, data);
        let mut valid = validate_entry(ct, &input, target.mode(locale)).map_err(StoreError::Invalid)?;
        let row = uuid::Uuid::now_v7().to_string();
        ensure_unique!(tx, dialect, ct, locale, &row, valid);
        let entry = new_row(ct, base.id.clone(), row, locale, valid.data, actor, now);
        insert_row!(tx, dialect, ct, entry, now, actor);
        sync_shared!(tx, dialect, ct, entry, actor, now);
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(entry)
    })
}

/// What an edit does to a working copy.
pub enum Edit {
    /// Sets the fields it names; a null clears one.
    Patch(Map<String, Value>),
    /// Makes the copy saved as this version the working copy again.
    Restore(i64),
}

/// Applies a partial change to a translation's working copy (`null` clears
/// a field), when `expected_version` is still current; shared fields
/// follow in the other translations.
pub async fn update(
    db: &Db,
    ct: &ContentType,
    target: Target<'_>,
    expected_version: i64,
    edit: Edit,
    actor: &Actor,
) -> StoreResult<Entry> {
    let dialect = db.dialect();
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_entry_write(ct.api_id(), target.id).await?;
        let mut entry = load_for_write!(tx, ct.api_id(), target.id, target.lookup, Some(expected_version));
        let (merged, action) = match edit {
            Edit::Patch(patch) => {
                let mut merged = entry.draft.clone();
                merge(&mut merged, patch);
                (merged, "update")
            }
            Edit::Restore(version) => {
                let newer: Vec<super::revisions::RevisionRow> =
                    sqlx::query_as(super::revisions::FROM_VERSION)
                        .bind(LogId::of(&entry.row))
                        .bind(version)
                        .fetch_all(&mut *tx)
                        .await?;
                let old = match super::revisions::rebuild(&entry.draft, newer)?.pop() {
                    Some(r) if r.version == version => r.data.0,
                    _ => return Err(StoreError::NotFound),
                };
                let Value::Object(old) = old else {
                    return Err(StoreError::Corrupt("a revision is not an object".into()));
                };
                // The old copy whole: what it lacks is cleared, and values
                // of fields the type no longer has are left behind.
                let restored = old.into_iter().filter(|(k, _)| ct.field(k).is_some()).collect();
                (restored, "restore")
            }
        };
        let mut valid = validate_entry(ct, &merged, target.mode(&entry.locale)).map_err(StoreError::Invalid)?;
        ensure_unique!(tx, dialect, ct, &entry.locale, &entry.row, valid);
        let before = std::mem::replace(&mut entry.draft, valid.data);
        entry.status = Status::of(&entry.draft, entry.published.as_ref());
        entry.bump(now, actor.id.clone());
        let update = RowSql::clearing_links(UPDATE_DRAFT, 6);
        write_and_record!(
            tx, dialect, ct, entry, Some(&before), action, actor, now,
            update,
            [
                draft_column(&entry.draft, entry.published.as_ref()),
                slug_of(ct, &entry.draft),
                entry.status.as_str(),
                now,
                &actor.id,
                &entry.row,
            ]
        );
        sync_shared!(tx, dialect, ct, entry, actor, now);
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(entry)
    })
}

/// Copies a translation's working copy to its live copy. The working copy
/// must satisfy the type as it is now, and its slug must be free among
/// live entries of its locale.
pub async fn publish(
    db: &Db,
    ct: &ContentType,
    target: Target<'_>,
    expected_version: Option<i64>,
    actor: &Actor,
) -> StoreResult<Entry> {
    let dialect = db.dialect();
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_entry_write(ct.api_id(), target.id).await?;
        let mut entry = load_for_write!(tx, ct.api_id(), target.id, target.lookup, expected_version);
        claim!(tx, CLAIM_PUBLISH, entry, target, entry.schedule.publish_at);
        entry.schedule.publish_at = None;
        validate_entry(ct, &entry.draft, target.mode(&entry.locale)).map_err(StoreError::Invalid)?;
        let live_slug = slug_of(ct, &entry.draft);
        // The live slugs' unique index is the check: the write stops on it
        // before any of it is done, and the refusal names the slug field.
        // Two at once on PostgreSQL: the second waits for the first's
        // commit, then stops on the index.
        let clash = match (ct.slug_field(), &live_slug) {
            (Some(sf), Some(slug)) => {
                let v = Value::String(slug.clone());
                Some(StoreError::Unique(vec![taken_error(&sf.name, &v)]))
            }
            _ => None,
        };
        entry.published = Some(entry.draft.clone());
        entry.status = Status::Published;
        entry.published_at = Some(entry.published_at.unwrap_or(now));
        entry.live_updated_at = Some(now);
        entry.bump(now, actor.id.clone());
        let written = async {
            write_live!(tx, dialect, ct, entry, live_slug, "publish", actor, now);
            Ok::<(), StoreError>(())
        }
        .await;
        match (written, clash) {
            (Err(e), Some(clash)) if live_slug_taken(&e) => return Err(clash),
            (written, _) => written?,
        }
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(entry)
    })
}

/// Takes a translation off the public API; its working copy stays.
pub async fn unpublish(
    db: &Db,
    ct: &ContentType,
    target: Target<'_>,
    expected_version: Option<i64>,
    actor: &Actor,
) -> StoreResult<Entry> {
    let dialect = db.dialect();
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_entry_write(ct.api_id(), target.id).await?;
        let mut entry = load_for_write!(tx, ct.api_id(), target.id, target.lookup, expected_version);
        claim!(tx, CLAIM_UNPUBLISH, entry, target, entry.schedule.unpublish_at);
        entry.schedule.unpublish_at = None;
        if entry.published.is_none() {
            // Already off the public API: nothing else to write.
            tx.commit().await?;
            return Ok(entry);
        }
        entry.published = None;
        entry.status = Status::Draft;
        entry.published_at = None;
        entry.live_updated_at = None;
        entry.bump(now, actor.id.clone());
        write_live!(tx, dialect, ct, entry, None::<String>, "unpublish", actor, now);
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(entry)
    })
}

/// Deletes an entry, every translation and their revisions; the change
/// feed keeps the deletion. `expected_version` is that of the translation
/// `target` names. Entries pointing at it make the delete a conflict
/// naming them, except through fields for which `nullify(type, field)`
/// holds: those lose the reference (a new version of each such
/// translation, recorded like any edit).
pub async fn delete(
    db: &Db,
    content_type: &str,
    target: Target<'_>,
    expected_version: Option<i64>,
    actor: &Actor,
    nullify: &(dyn Fn(&str, &str) -> bool + Sync),
) -> StoreResult<()> {
    let dialect = db.dialect();
    let now = clock::now();
    let id = target.id;
    on_pool!(db, pool => {
        let mut tx = pool.begin_entry_write(content_type, id).await?;
        let entry = load_for_write!(tx, content_type, id, target.lookup, expected_version);
        // Held to commit: a write that links to this entry waits, then
        // finds it gone; one that linked first is seen below.
        let lock = format!("SELECT 1 FROM entries WHERE entry_id = $1{}", dialect.row_lock());
        sqlx::query(AssertSqlSafe(lock)).bind(id).execute(&mut *tx).await?;
        let refs: Vec<Reference> = sqlx::query_as(super::links::REFERENCES)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let (cleared, kept): (Vec<Reference>, Vec<Reference>) = refs
            .into_iter()
            .partition(|r| nullify(&r.content_type, &r.field));
        if !kept.is_empty() {
            return Err(StoreError::Referenced(kept));
        }
        // Each entry that loses its reference is written as its own
        // writers write it, under its lock (the references come ordered by
        // type and entry: the same order for every delete).
        let mut locked: Option<(&str, &str)> = None;
        for r in &cleared {
            if locked != Some((&r.content_type, &r.id)) {
                lock_entry!(tx, dialect, &r.content_type, &r.id);
                locked = Some((&r.content_type, &r.id));
            }
        }
        let mut sources: Vec<&str> = cleared.iter().map(|r| r.source_row.as_str()).collect();
        sources.sort();
        sources.dedup();
        for source in sources {
            let sql = format!("SELECT {COLUMNS} FROM entries WHERE id = $1{}", dialect.row_lock());
            let row: Option<EntryRow> = sqlx::query_as(AssertSqlSafe(sql))
                .bind(source)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { continue };
            let mut other = Entry::try_from(row)?;
            let before = other.draft.clone();
            for r in cleared.iter().filter(|r| r.source_row == source) {
                without(&mut other.draft, &r.field, id);
                if let Some(live) = other.published.as_mut() {
                    without(live, &r.field, id);
                }
            }
            other.status = Status::of(&other.draft, other.published.as_ref());
            other.bump(now, actor.id.clone());
            sqlx::query(
                "UPDATE entries SET draft = $1, published = $2, status = $3, \
                 version = version + 1, updated_at = $4, updated_by = $5 WHERE id = $6",
            )
            .bind(draft_column(&other.draft, other.published.as_ref()))
            .bind(other.published.as_ref().map(Json))
            .bind(other.status.as_str())
            .bind(now)
            .bind(&actor.id)
            .bind(source)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM entry_refs WHERE source_id = $1 AND target_id = $2")
                .bind(source)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            record!(tx, dialect, other, Some(&before), "nullify", actor, now);
        }
        let locales: Vec<String> = sqlx::query_scalar("SELECT locale FROM entries WHERE entry_id = $1 ORDER BY locale")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM entries WHERE entry_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        lock_feed!(tx, dialect);
        // One change per translation, so that a sync names each one gone.
        for locale in &locales {
            sqlx::query(INSERT_CHANGE)
                .bind("entry")
                .bind(LogId::of(&entry.id))
                .bind(content_type)
                .bind("delete")
                .bind(now)
                .bind(locale)
                .execute(&mut *tx)
                .await?;
        }
        audit!(
            tx,
            actor,
            now,
            "entry.delete",
            "entry",
            &entry.id,
            Some(serde_json::json!({"type": content_type, "before_version": entry.version}))
        );
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(())
    })
}

/// Sets (`Some(Some(at))`) or clears (`Some(None)`) a translation's
/// scheduled publish and unpublish; `None` leaves one as it is. Clears a
/// past scheduling error. The working copy and its version are untouched:
/// a schedule is about the translation, not its content.
pub async fn schedule(
    db: &Db,
    ct: &ContentType,
    target: Target<'_>,
    publish_at: Option<Option<clock::Micros>>,
    unpublish_at: Option<Option<clock::Micros>>,
    actor: &Actor,
) -> StoreResult<Entry> {
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let mut entry = load_for_write!(tx, ct.api_id(), target.id, target.lookup, None::<i64>);
        if let Some(at) = publish_at {
            entry.schedule.publish_at = at;
        }
        if let Some(at) = unpublish_at {
            entry.schedule.unpublish_at = at;
        }
        entry.schedule.error = None;
        sqlx::query(
            "UPDATE entries SET scheduled_publish_at = $1, scheduled_unpublish_at = $2, \
             schedule_error = NULL WHERE id = $3",
        )
        .bind(entry.schedule.publish_at)
        .bind(entry.schedule.unpublish_at)
        .bind(&entry.row)
        .execute(&mut *tx)
        .await?;
        audit!(
            tx,
            actor,
            now,
            "entry.schedule",
            "entry",
            &entry.id,
            Some(serde_json::json!({
                "type": entry.content_type,
                "locale": entry.locale,
                "publish_at": entry.schedule.publish_at.map(clock::format),
                "unpublish_at": entry.schedule.unpublish_at.map(clock::format),
            }))
        );
        tx.commit().await?;
        crate::store::wake::recorded(db);
        Ok(entry)
    })
}

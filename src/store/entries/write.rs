//! The transactional writes of entries.

use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::links::{Reference, without};
use super::media_links::{assets_sql, media_errors};
use super::unique::{MAX_SLUG_SUFFIX, slug_candidate, slug_of, taken_error, taken_sql};
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
use crate::store::sql::{Dialect, bind_args};
use crate::store::{Db, StoreError, StoreResult, WritePool, lock_feed, on_pool};

const INSERT_ENTRY: &str = "INSERT INTO entries (id, entry_id, type, locale, status, slug, \
     published_slug, draft, published, version, created_at, updated_at, published_at, \
     live_updated_at, created_by, updated_by) \
     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, NULL, 1, $8, $8, NULL, NULL, $9, $9)";
const UPDATE_DRAFT: &str = "UPDATE entries SET draft = $1, slug = $2, status = $3, \
     version = version + 1, updated_at = $4, updated_by = $5 WHERE id = $6";
const UPDATE_LIVE: &str = "UPDATE entries SET published = $1, published_slug = $2, status = $3, \
     published_at = $4, live_updated_at = $5, version = version + 1, updated_at = $6, \
     updated_by = $7, draft = $9 WHERE id = $8";

/// `update` and, on SQLite, the removal of the links of the row bound as
/// `$row` in the same text: one hand-off to sqlx's worker thread instead of
/// three. Answers whether the links are gone (`link_media!` and
/// `link_entries!` remove them on PostgreSQL, one statement each).
fn clearing_links(dialect: Dialect, update: &str, row: usize) -> (String, bool) {
    match dialect {
        Dialect::Sqlite => (
            format!(
                "{update}; DELETE FROM asset_refs WHERE entry_id = ${row}; \
                 DELETE FROM entry_refs WHERE source_id = ${row}"
            ),
            true,
        ),
        Dialect::Postgres => (update.to_string(), false),
    }
}

/// What the `draft` column holds: JSON `null` while the working copy is the
/// live copy, so a published entry that nobody has edited since is stored
/// once (readers use `sql::WORKING_COPY`, and rows decode it back).
fn draft_column<'a>(
    draft: &'a Map<String, Value>,
    published: Option<&Map<String, Value>>,
) -> Json<Option<&'a Map<String, Value>>> {
    Json((published != Some(draft)).then_some(draft))
}

/// The revision that was newest becomes a patch (form 1,
/// `revisions::PATCH`) against the new one, whose copy is the working copy
/// (form 2, `revisions::CURRENT`: no data of its own). One statement on
/// PostgreSQL: the two rows differ, and it is one round trip.
const INSERT_REVISION: &str = "WITH previous AS (UPDATE revisions SET form = 1, data = $6 \
     WHERE entry_id = $1 AND form = 2 AND $6 IS NOT NULL) \
     INSERT INTO revisions (entry_id, version, action, data, form, author_id, created_at) \
     VALUES ($1, $2, $3, 'null', 2, $4, $5)";
const INSERT_CHANGE: &str = "INSERT INTO changes (entity, entity_id, content_type, action, at, \
     locale) VALUES ($1, $2, $3, $4, $5, $6)";

/// The rows `record!` writes, as one SQLite call: statements in one text
/// run in one hand-off to sqlx's worker thread, sharing the numbered
/// arguments (revisions $1–$6, audit $5–$11, change $12–$13).
const RECORD_SQLITE: &str = "UPDATE revisions SET form = 1, data = $4 \
     WHERE entry_id = $1 AND form = 2 AND $4 IS NOT NULL; \
     INSERT INTO revisions (entry_id, version, action, data, form, author_id, created_at) \
     VALUES ($1, $2, $3, 'null', 2, $5, $6); \
     INSERT INTO audit (at, actor_id, actor, client_ip, action, resource_type, resource_id, detail) \
     VALUES ($6, $5, $7, $8, $9, 'entry', $10, $11); \
     INSERT INTO changes (entity, entity_id, content_type, action, at, locale) \
     VALUES ('entry', $10, $12, $3, $6, $13)";

/// Records a revision of the working copy, a change in the feed, and an
/// audit row naming the versions before and after. `$before` is the
/// working copy before the write (none for a new translation): the
/// revision that was newest is kept as a patch against it.
macro_rules! record {
    ($tx:expr, $dialect:expr, $entry:expr, $before:expr, $action:expr, $actor:expr, $now:expr) => {{
        let before_copy: Option<&Map<String, Value>> = $before;
        let previous = before_copy.map(|older| Json(super::revisions::patch(&$entry.draft, older)));
        let before = ($entry.version > 1).then(|| $entry.version - 1);
        let detail = serde_json::json!({
            "type": $entry.content_type,
            "locale": $entry.locale,
            "before_version": before,
            "after_version": $entry.version,
        });
        if $dialect == Dialect::Sqlite {
            sqlx::query(RECORD_SQLITE)
                .bind(&$entry.row)
                .bind($entry.version)
                .bind($action)
                .bind(&previous)
                .bind(&$actor.id)
                .bind($now)
                .bind(&$actor.label)
                .bind(&$actor.ip)
                .bind(format!("entry.{}", $action))
                .bind(&$entry.id)
                .bind(Json(&detail))
                .bind(&$entry.content_type)
                .bind(&$entry.locale)
                .execute(&mut *$tx)
                .await?;
        } else {
            sqlx::query(INSERT_REVISION)
                .bind(&$entry.row)
                .bind($entry.version)
                .bind($action)
                .bind(&$actor.id)
                .bind($now)
                .bind(&previous)
                .execute(&mut *$tx)
                .await?;
            audit!(
                $tx,
                $actor,
                $now,
                format!("entry.{}", $action),
                "entry",
                &$entry.id,
                Some(detail)
            );
            lock_feed!($tx, $dialect);
            sqlx::query(INSERT_CHANGE)
                .bind("entry")
                .bind(&$entry.id)
                .bind(&$entry.content_type)
                .bind($action)
                .bind($now)
                .bind(&$entry.locale)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Runs a query of `(id, text)` rows into a map by id.
macro_rules! pairs {
    ($tx:expr, $sql:expr) => {{
        let sql = $sql;
        let rows: Vec<(String, String)> =
            bind_args!(sqlx::query_as(AssertSqlSafe(sql.text)), sql.args)
                .fetch_all(&mut *$tx)
                .await?;
        rows.into_iter()
            .collect::<std::collections::HashMap<String, String>>()
    }};
}

/// Checks the entries a working copy's relation fields name (each must
/// exist and be of the field's `to` type), then records what the working
/// and live copies point at, so that no target can be deleted from under
/// them (the link table's foreign key) and filters can reach through them.
/// `$cleared` as for `link_media!`.
macro_rules! link_entries {
    ($tx:expr, $dialect:expr, $ct:expr, $entry:expr, $cleared:expr) => {{
        if !$cleared {
            sqlx::query("DELETE FROM entry_refs WHERE source_id = $1")
                .bind(&$entry.row)
                .execute(&mut *$tx)
                .await?;
        }
        let mut links = super::links::links_in(&$ct.fields, "draft", &$entry.draft);
        if let Some(live) = &$entry.published {
            links.extend(super::links::links_in(&$ct.fields, "live", live));
        }
        if !links.is_empty() {
            let mut ids: Vec<String> = links.iter().map(|l| l.target.clone()).collect();
            ids.sort();
            ids.dedup();
            let found = pairs!($tx, super::links::targets_sql($dialect, &ids));
            let errors = super::links::missing_targets(&links, &found);
            if !errors.is_empty() {
                return Err(StoreError::Invalid(errors));
            }
            links.retain(|l| found.get(&l.target).is_some_and(|t| t == l.to));
            for sql in super::links::insert_sql(&$entry.row, &links) {
                bind_args!(sqlx::query(AssertSqlSafe(sql.text)), sql.args)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}

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

/// Takes the per-type write lock where the database needs one.
macro_rules! lock_type {
    ($tx:expr, $dialect:expr, $type:expr) => {
        if let Some(lock) = $dialect.type_lock() {
            sqlx::query(lock).bind($type).execute(&mut *$tx).await?;
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
                    && let Some(sql) =
                        taken_sql($dialect, $ct, &other.locale, &other.row, column, ty, v)
                    && exists!($tx, sql)
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
            let (update, cleared) = clearing_links($dialect, UPDATE_DRAFT, 6);
            sqlx::query(AssertSqlSafe(update))
                .bind(draft_column(&other.draft, other.published.as_ref()))
                .bind(slug_of($ct, &other.draft))
                .bind(other.status.as_str())
                .bind($now)
                .bind(&$actor.id)
                .bind(&other.row)
                .execute(&mut *$tx)
                .await?;
            link_media!($tx, $dialect, $ct, other, cleared);
            link_entries!($tx, $dialect, $ct, other, cleared);
            record!($tx, $dialect, other, Some(&before), "update", $actor, $now);
        }
    }};
}

/// Writes an entry's live copy and bookkeeping as they now stand; answers
/// whether its links were removed with it (see `clearing_links`).
macro_rules! write_live {
    ($tx:expr, $dialect:expr, $entry:expr, $live_slug:expr) => {{
        let (update, cleared) = clearing_links($dialect, UPDATE_LIVE, 8);
        sqlx::query(AssertSqlSafe(update))
            .bind($entry.published.as_ref().map(Json))
            .bind($live_slug)
            .bind($entry.status.as_str())
            .bind($entry.published_at)
            .bind($entry.live_updated_at)
            .bind($entry.updated_at)
            .bind(&$entry.updated_by)
            .bind(&$entry.row)
            .bind(draft_column(&$entry.draft, $entry.published.as_ref()))
            .execute(&mut *$tx)
            .await?;
        cleared
    }};
}

/// A publish or unpublish takes the action's schedule off the translation
/// (it has happened). Run by the scheduler, it claims the schedule due at
/// that time, and stops with `NotFound` when it is no longer there: another
/// node ran it, or an editor changed it.
const CLAIM_PUBLISH: &str = "UPDATE entries SET scheduled_publish_at = NULL, schedule_error = NULL \
     WHERE id = $1 AND ($2 IS NULL OR scheduled_publish_at = $2)";
const CLAIM_UNPUBLISH: &str = "UPDATE entries SET scheduled_unpublish_at = NULL, \
     schedule_error = NULL WHERE id = $1 AND ($2 IS NULL OR scheduled_unpublish_at = $2)";

macro_rules! claim {
    ($tx:expr, $sql:expr, $entry:expr, $target:expr) => {{
        let claimed = sqlx::query($sql)
            .bind(&$entry.row)
            .bind($target.scheduled)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if $target.scheduled.is_some() && claimed == 0 {
            return Err(StoreError::NotFound);
        }
    }};
}

/// Loads a translation inside a transaction (locked where the database
/// locks rows) and checks the caller's version.
macro_rules! load_for_write {
    ($tx:expr, $type:expr, $id:expr, $lookup:expr, $expected:expr) => {{
        let lookup: Lookup<'_> = $lookup;
        let sql = super::lookup_sql(lookup, "");
        let row: Option<EntryRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind($type)
            .bind($id)
            .bind(lookup.locale())
            .fetch_optional(&mut *$tx)
            .await?;
        let Some(row) = row else {
            let any: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM entries WHERE type = $1 AND entry_id = $2 LIMIT 1",
            )
            .bind($type)
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await?;
            return Err(match (any, lookup) {
                (Some(_), Lookup::Exact(l)) => StoreError::TranslationMissing(l.to_string()),
                _ => StoreError::NotFound,
            });
        };
        let entry = Entry::try_from(row)?;
        if let Some(expected) = $expected
            && expected != entry.version
        {
            return Err(StoreError::VersionConflict {
                expected,
                current: entry.version,
            });
        }
        entry
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

/// Writes a new translation row.
macro_rules! insert_row {
    ($tx:expr, $ct:expr, $entry:expr, $now:expr, $actor:expr) => {
        sqlx::query(INSERT_ENTRY)
            .bind(&$entry.row)
            .bind(&$entry.id)
            .bind(&$entry.content_type)
            .bind(&$entry.locale)
            .bind($entry.status.as_str())
            .bind(slug_of($ct, &$entry.draft))
            .bind(Json(&$entry.draft))
            .bind($now)
            .bind(&$actor.id)
            .execute(&mut *$tx)
            .await?
    };
}

/// A new translation as a draft, version 1.
fn new_row(
    ct: &ContentType,
    id: String,
    row: String,
    locale: &str,
    draft: Map<String, Value>,
    actor: &Actor,
    now: clock::Micros,
) -> Entry {
    Entry {
        id,
        row,
        content_type: ct.api_id().to_string(),
        locale: locale.to_string(),
        status: Status::Draft,
        draft,
        published: None,
        version: 1,
        created_at: now,
        updated_at: now,
        published_at: None,
        live_updated_at: None,
        created_by: actor.id.clone(),
        updated_by: actor.id.clone(),
        schedule: Default::default(),
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
        let mut tx = pool.begin_write().await?;
        lock_type!(tx, dialect, ct.api_id());
        if ct.def.kind == crate::model::content_type::Kind::Singleton {
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
        insert_row!(tx, ct, entry, now, actor);
        // A new row: no links to remove.
        link_media!(tx, dialect, ct, entry, true);
        link_entries!(tx, dialect, ct, entry, true);
        record!(tx, dialect, entry, None, "create", actor, now);
        tx.commit().await?;
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
        let mut tx = pool.begin_write().await?;
        lock_type!(tx, dialect, ct.api_id());
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
        insert_row!(tx, ct, entry, now, actor);
        // A new row: no links to remove.
        link_media!(tx, dialect, ct, entry, true);
        link_entries!(tx, dialect, ct, entry, true);
        record!(tx, dialect, entry, None, "create", actor, now);
        sync_shared!(tx, dialect, ct, entry, actor, now);
        tx.commit().await?;
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
        let mut tx = pool.begin_write().await?;
        lock_type!(tx, dialect, ct.api_id());
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
                        .bind(&entry.row)
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
        let (update, cleared) = clearing_links(dialect, UPDATE_DRAFT, 6);
        sqlx::query(AssertSqlSafe(update))
            .bind(draft_column(&entry.draft, entry.published.as_ref()))
            .bind(slug_of(ct, &entry.draft))
            .bind(entry.status.as_str())
            .bind(now)
            .bind(&actor.id)
            .bind(&entry.row)
            .execute(&mut *tx)
            .await?;
        link_media!(tx, dialect, ct, entry, cleared);
        link_entries!(tx, dialect, ct, entry, cleared);
        record!(tx, dialect, entry, Some(&before), action, actor, now);
        sync_shared!(tx, dialect, ct, entry, actor, now);
        tx.commit().await?;
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
        let mut tx = pool.begin_write().await?;
        lock_type!(tx, dialect, ct.api_id());
        let mut entry = load_for_write!(tx, ct.api_id(), target.id, target.lookup, expected_version);
        claim!(tx, CLAIM_PUBLISH, entry, target);
        entry.schedule.publish_at = None;
        validate_entry(ct, &entry.draft, target.mode(&entry.locale)).map_err(StoreError::Invalid)?;
        let live_slug = slug_of(ct, &entry.draft);
        if let (Some(sf), Some(slug)) = (ct.slug_field(), &live_slug) {
            let v = Value::String(slug.clone());
            if let Some(sql) = taken_sql(dialect, ct, &entry.locale, &entry.row, "published_slug", None, &v)
                && exists!(tx, sql)
            {
                return Err(StoreError::Unique(vec![taken_error(&sf.name, &v)]));
            }
        }
        entry.published = Some(entry.draft.clone());
        entry.status = Status::Published;
        entry.published_at = Some(entry.published_at.unwrap_or(now));
        entry.live_updated_at = Some(now);
        entry.bump(now, actor.id.clone());
        let cleared = write_live!(tx, dialect, entry, live_slug);
        link_media!(tx, dialect, ct, entry, cleared);
        link_entries!(tx, dialect, ct, entry, cleared);
        record!(tx, dialect, entry, Some(&entry.draft), "publish", actor, now);
        tx.commit().await?;
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
        let mut tx = pool.begin_write().await?;
        lock_type!(tx, dialect, ct.api_id());
        let mut entry = load_for_write!(tx, ct.api_id(), target.id, target.lookup, expected_version);
        claim!(tx, CLAIM_UNPUBLISH, entry, target);
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
        let cleared = write_live!(tx, dialect, entry, None::<String>);
        link_media!(tx, dialect, ct, entry, cleared);
        link_entries!(tx, dialect, ct, entry, cleared);
        record!(tx, dialect, entry, Some(&entry.draft), "unpublish", actor, now);
        tx.commit().await?;
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
        let mut tx = pool.begin_write().await?;
        lock_type!(tx, dialect, content_type);
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
                .bind(&entry.id)
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
        Ok(entry)
    })
}

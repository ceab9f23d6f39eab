//! Entries: reads for both APIs here; the transactional writes (save,
//! publish, unpublish, delete), each recording a revision, a change and an
//! audit row, in `write` (the row's statements in `translation_row`, the
//! revision, audit and change rows in `record`).

#[macro_use]
mod links;
#[macro_use]
mod media_links;
#[macro_use]
mod record;
mod revisions;
mod rows;
#[macro_use]
mod translation_row;
#[macro_use]
mod unique;
mod write;

pub use links::{Reference, references};
pub use revisions::{Revision, prune_revisions, revision, revisions};
pub use write::{
    Edit, Target, create, create_translation, delete, publish, schedule, unpublish, update,
};

use sqlx::AssertSqlSafe;

use super::sql::{Arg, Dialect, Sql, bind_args};
use super::{Db, StoreError, StoreResult, on_pool};
use crate::model::content_type::ContentType;
use crate::model::entry::Entry;
use crate::model::live_text::LiveText;
use crate::model::query::{ListQuery, Surface, Translations};
use rows::{EntryRow, fetch_count, fetch_entries, fetch_keys, fetch_rows};

const COLUMNS: &str = "id, entry_id, type, locale, status, draft, published, version, created_at, \
     updated_at, published_at, live_updated_at, created_by, updated_by, scheduled_publish_at, \
     scheduled_unpublish_at, schedule_error";

/// The columns to select: the public API never needs the working copy.
fn columns(dialect: Dialect, surface: Surface) -> String {
    match surface {
        Surface::Admin => COLUMNS.to_string(),
        Surface::Public => {
            COLUMNS.replacen("draft", &format!("{} AS draft", dialect.null_json()), 1)
        }
    }
}

/// `WHERE` for a list: the type, the locale, the surface's rule and filters.
fn list_where(dialect: Dialect, ct: &ContentType, q: &ListQuery, surface: Surface) -> Sql {
    scoped_where(dialect, ct, q, surface, "")
}

/// `list_where` with `suffix` appended to the type and locale columns: `|| ''`
/// keeps a planner from choosing the type index over a primary-key lookup
/// when rows are picked by id.
fn scoped_where(
    dialect: Dialect,
    ct: &ContentType,
    q: &ListQuery,
    surface: Surface,
    suffix: &str,
) -> Sql {
    let mut sql = Sql::default();
    sql.push(&format!(" WHERE type{suffix} = "))
        .arg(Arg::Text(ct.api_id().to_string()));
    translations_where(&mut sql, &q.translations, surface, suffix);
    if surface == Surface::Public {
        sql.push(" AND published IS NOT NULL");
    }
    dialect.filters(&mut sql, &q.filters, surface);
    sql
}

/// Keeps the translations a list shows: one locale's, or each entry's
/// first along an order: a row in the order's n-th locale is kept when the
/// entry has no translation in the locales before it (the public API only
/// counts live ones), each such check one lookup on `(entry_id, locale)`.
/// Without `only`, an entry with none of them shows in its oldest row.
fn translations_where(sql: &mut Sql, t: &Translations, surface: Surface, suffix: &str) {
    let Translations::Best { order, only } = t else {
        return;
    };
    if let ([one], true) = (&order[..], only) {
        sql.push(&format!(" AND locale{suffix} = "))
            .arg(Arg::Text(one.clone()));
        return;
    }
    let live = match surface {
        Surface::Public => " AND b.published IS NOT NULL",
        Surface::Admin => "",
    };
    let none_of = |sql: &mut Sql, locales: &[String]| {
        sql.push(&format!(
            "NOT EXISTS (SELECT 1 FROM entries b WHERE b.entry_id = entries.entry_id{live} AND b.locale IN "
        ))
        .list(locales.iter().map(|l| Arg::Text(l.clone())))
        .push(")");
    };
    if *only {
        // Lets the planner walk the public index one locale at a time.
        sql.push(" AND locale IN ")
            .list(order.iter().map(|l| Arg::Text(l.clone())));
    }
    sql.push(" AND (");
    for (i, locale) in order.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push("(locale = ").arg(Arg::Text(locale.clone()));
        if i > 0 {
            sql.push(" AND ");
            none_of(sql, &order[..i]);
        }
        sql.push(")");
    }
    if !only {
        // A locale not in the order: the entry has none of the order's, and
        // this is its oldest translation.
        sql.push(" OR (locale NOT IN ")
            .list(order.iter().map(|l| Arg::Text(l.clone())))
            .push(" AND ");
        none_of(sql, order);
        sql.push(
            " AND NOT EXISTS (SELECT 1 FROM entries b WHERE b.entry_id = entries.entry_id \
             AND b.id < entries.id))",
        );
    }
    sql.push(")");
}

/// One page of entries and the total that match.
pub async fn list(
    db: &Db,
    ct: &ContentType,
    q: &ListQuery,
    surface: Surface,
) -> StoreResult<(Vec<Entry>, i64)> {
    let (entries, total) = list_counted(db, ct, q, surface, None).await?;
    Ok((entries, total))
}

/// What decides a list's total (its `WHERE`, with the values bound), as
/// text: lists with equal keys have equal totals.
pub fn total_key(db: &Db, ct: &ContentType, q: &ListQuery, surface: Surface) -> String {
    let w = list_where(db.dialect(), ct, q, surface);
    format!("{}{:?}", w.text, w.args)
}

/// A page of entries with the list's total, counted unless `known_total`
/// already says it.
pub async fn list_counted(
    db: &Db,
    ct: &ContentType,
    q: &ListQuery,
    surface: Surface,
    known_total: Option<i64>,
) -> StoreResult<(Vec<Entry>, i64)> {
    let (select, w) = page_sql(db.dialect(), ct, q, surface);
    let entries = fetch_entries(db, select).await?;
    let total = total_unless_known(db, w, known_total).await?;
    Ok((entries, total))
}

/// As [`list_counted`] on the public surface, each entry with its live
/// copy as the JSON text stored (its `published` left empty), for pages
/// written without parsing it. `None` unless the database hands out that
/// text as it is (a SQLite file, read directly).
pub async fn live_text_page(
    db: &Db,
    ct: &ContentType,
    q: &ListQuery,
    known_total: Option<i64>,
) -> StoreResult<Option<(Vec<LiveText>, i64)>> {
    let Db::Sqlite(_, Some(direct)) = db else {
        return Ok(None);
    };
    let (select, w) = page_sql(db.dialect(), ct, q, Surface::Public);
    let page = live_texts(direct.rows(&select, rows::with_live_text)?)?;
    let total = total_unless_known(db, w, known_total).await?;
    Ok(Some((page, total)))
}

/// The `SELECT` of a list's page, and its `WHERE` (for the count).
fn page_sql(dialect: Dialect, ct: &ContentType, q: &ListQuery, surface: Surface) -> (Sql, Sql) {
    let mut select = Sql::default();
    select.push(&format!(
        "SELECT {} FROM entries",
        columns(dialect, surface)
    ));
    let w = list_where(dialect, ct, q, surface);
    select.text.push_str(&w.text);
    select.args.extend(w.args.iter().cloned());
    let sort = q.sort_for(surface);
    if let Some(after) = &q.after {
        dialect.after(&mut select, &sort, after, surface);
    }
    dialect.order_by(&mut select, &sort, surface);
    dialect.page(&mut select, q);
    (select, w)
}

/// `known`, or the count of the rows `w` selects.
async fn total_unless_known(db: &Db, w: Sql, known: Option<i64>) -> StoreResult<i64> {
    match known {
        Some(total) => Ok(total),
        None => {
            let count = Sql {
                text: format!("SELECT COUNT(*) FROM entries{}", w.text),
                args: w.args,
            };
            fetch_count(db, count).await
        }
    }
}

/// Which translation of an entry to read or write.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    /// This locale's, or none.
    Exact(&'a str),
    /// This locale's when the entry has one, else its first translation.
    Prefer(&'a str),
}

/// The translations of entry `$2`, read through the entry's own index
/// (`entries_translation`) whatever the planner's statistics say: on a
/// table that had grown since its last `ANALYZE` (a new site, an import),
/// PostgreSQL took `type = $1` for as selective as the id and ANDed in a
/// scan of the whole type, a read that grew with the type (0.3–1.2 ms at
/// 5,000 entries). Materialized, the entry's rows are read first and the
/// type is checked on them.
fn of_entry(columns: &str) -> String {
    format!(
        "WITH translations AS MATERIALIZED (SELECT {columns} FROM entries WHERE entry_id = $2) "
    )
}

/// `SELECT` of one translation of entry `$2` of type `$1`, the locale `$3`.
/// With the locale named, the unique index on (entry, locale) is the
/// plan's only choice.
fn lookup_sql(lookup: Lookup<'_>) -> String {
    match lookup {
        Lookup::Exact(_) => format!(
            "SELECT {COLUMNS} FROM entries WHERE type = $1 AND entry_id = $2 AND locale = $3"
        ),
        Lookup::Prefer(_) => format!(
            "{}SELECT {COLUMNS} FROM translations WHERE type = $1 \
             ORDER BY CASE WHEN locale = $3 THEN 0 ELSE 1 END, created_at, id LIMIT 1",
            of_entry(COLUMNS)
        ),
    }
}

/// Does entry `$2` have a translation of type `$1`?
fn exists_sql() -> String {
    format!(
        "{}SELECT 1 FROM translations WHERE type = $1 LIMIT 1",
        of_entry("type")
    )
}

impl Lookup<'_> {
    fn locale(&self) -> &str {
        match self {
            Lookup::Exact(l) | Lookup::Prefer(l) => l,
        }
    }
}

/// A translation of an entry with its working copy, for the admin API.
/// `TranslationMissing` when the entry exists without the locale asked for.
pub async fn get(db: &Db, content_type: &str, id: &str, lookup: Lookup<'_>) -> StoreResult<Entry> {
    let sql = lookup_sql(lookup);
    let row: Option<EntryRow> = on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(content_type)
            .bind(id)
            .bind(lookup.locale())
            .fetch_optional(pool)
            .await?
    });
    match row {
        Some(row) => row.try_into(),
        None => Err(missing(db, content_type, id, lookup).await?),
    }
}

/// Why a translation was not found: no such entry, or not in that locale.
async fn missing(
    db: &Db,
    content_type: &str,
    id: &str,
    lookup: Lookup<'_>,
) -> StoreResult<StoreError> {
    let Lookup::Exact(locale) = lookup else {
        return Ok(StoreError::NotFound);
    };
    let any: Option<i32> = on_pool!(db, pool => {
        sqlx::query_scalar(AssertSqlSafe(exists_sql()))
            .bind(content_type)
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    Ok(match any {
        Some(_) => StoreError::TranslationMissing(locale.to_string()),
        None => StoreError::NotFound,
    })
}

/// One translation of an entry as the admin API lists it beside the entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Translation {
    pub entry_id: String,
    pub locale: String,
    pub status: String,
    pub version: i64,
    pub updated_at: i64,
}

impl Translation {
    /// What a translation just written lists of itself.
    pub fn of(e: &Entry) -> Translation {
        Translation {
            entry_id: e.id.clone(),
            locale: e.locale.clone(),
            status: e.status.as_str().to_string(),
            version: e.version,
            updated_at: e.updated_at,
        }
    }
}

/// The translations of the given entries, oldest first.
pub async fn translations(db: &Db, ids: &[String]) -> StoreResult<Vec<Translation>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    sql.push(
        "SELECT entry_id, locale, status, version, updated_at FROM entries WHERE entry_id IN ",
    )
    .list(ids.iter().map(|id| Arg::Text(id.clone())))
    .push(" ORDER BY created_at, id");
    Ok(match db {
        // On the request's thread (see `store::direct`): every admin write
        // answers with the entry's translations.
        Db::Sqlite(_, Some(direct)) => direct.rows(&sql, |r| {
            Ok(Translation {
                entry_id: r.get(0)?,
                locale: r.get(1)?,
                status: r.get(2)?,
                version: r.get(3)?,
                updated_at: r.get(4)?,
            })
        })?,
        _ => on_pool!(db, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql.text)), sql.args)
                .fetch_all(pool)
                .await?
        }),
    })
}

/// An entry by id or slug as a surface sees it, in the locales of `chain`:
/// each translation it has among them (none: `NotFound`). The public API
/// finds only live translations, by their live slug; the admin surface
/// (for previews) any, by their working slug. A slug names the entry whose
/// translation holding it comes first along the chain.
pub async fn get_by_key(
    db: &Db,
    content_type: &str,
    chain: &[String],
    id_or_slug: &str,
    surface: Surface,
) -> StoreResult<Vec<Entry>> {
    let cols = columns(db.dialect(), surface);
    let (live, slug_column) = match surface {
        Surface::Public => (" AND published IS NOT NULL", "published_slug"),
        Surface::Admin => ("", "slug"),
    };
    let in_chain = |sql: &mut Sql| {
        sql.push(" AND locale IN ")
            .list(chain.iter().map(|l| Arg::Text(l.clone())));
    };
    // `type || ''`: the (entry, locale) key is the only index that fits, so
    // a planner without statistics (a fresh PostgreSQL database, or one with
    // autovacuum off) cannot walk the type's whole list index instead.
    let mut by_id = Sql::default();
    by_id
        .push(&format!("SELECT {cols} FROM entries WHERE entry_id = "))
        .arg(Arg::Text(id_or_slug.to_string()))
        .push(" AND type || '' = ")
        .arg(Arg::Text(content_type.to_string()))
        .push(live);
    in_chain(&mut by_id);
    let mut by_slug = Sql::default();
    by_slug
        .push("SELECT entry_id, locale FROM entries WHERE type = ")
        .arg(Arg::Text(content_type.to_string()))
        .push(&format!(" AND {slug_column} = "))
        .arg(Arg::Text(id_or_slug.to_string()));
    in_chain(&mut by_slug);
    // Ids are UUIDs; anything else can only be a slug. A UUID-shaped slug is
    // still found after the id lookup misses.
    let looks_like_id = uuid::Uuid::parse_str(id_or_slug).is_ok();
    let mut rows = Vec::new();
    if looks_like_id {
        rows = fetch_rows(db, by_id.clone()).await?;
    }
    if rows.is_empty() {
        let first = fetch_keys(db, by_slug)
            .await?
            .into_iter()
            .min_by_key(|(_, l)| chain.iter().position(|c| c == l));
        if let Some((entry_id, _)) = first {
            by_id.args[0] = Arg::Text(entry_id);
            rows = fetch_rows(db, by_id).await?;
        }
    }
    if rows.is_empty() {
        return Err(StoreError::NotFound);
    }
    rows.into_iter().map(Entry::try_from).collect()
}

/// The one entry of a singleton type, in a locale, if it has been written.
pub async fn singleton(
    db: &Db,
    content_type: &str,
    lookup: Lookup<'_>,
) -> StoreResult<Option<Entry>> {
    let sql = match lookup {
        Lookup::Exact(_) => {
            format!("SELECT {COLUMNS} FROM entries WHERE type = $1 AND locale = $2 LIMIT 1")
        }
        Lookup::Prefer(_) => format!(
            "SELECT {COLUMNS} FROM entries WHERE type = $1 \
             ORDER BY CASE WHEN locale = $2 THEN 0 ELSE 1 END, created_at, id LIMIT 1"
        ),
    };
    let row: Option<EntryRow> = on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(content_type)
            .bind(lookup.locale())
            .fetch_optional(pool)
            .await?
    });
    row.map(Entry::try_from).transpose()
}

/// The translations of the given entries in the locales of `chain` that a
/// surface sees, in one query (populating relations, filling fallbacks).
pub async fn in_locales(
    db: &Db,
    ids: &[String],
    chain: &[String],
    surface: Surface,
) -> StoreResult<Vec<Entry>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    fetch_entries(db, in_locales_sql(db.dialect(), ids, chain, surface)).await
}

/// As [`in_locales`] on the public surface, each with its live copy as the
/// text stored; `None` unless the database hands out that text as it is
/// (see [`live_text_page`]).
pub async fn live_text_in_locales(
    db: &Db,
    ids: &[String],
    chain: &[String],
) -> StoreResult<Option<Vec<LiveText>>> {
    let Db::Sqlite(_, Some(direct)) = db else {
        return Ok(None);
    };
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let sql = in_locales_sql(db.dialect(), ids, chain, Surface::Public);
    let rows = direct.rows(&sql, rows::with_live_text)?;
    live_texts(rows).map(Some)
}

/// Rows read with their live copy's text, as entries with that text.
fn live_texts(rows: Vec<(EntryRow, String)>) -> StoreResult<Vec<LiveText>> {
    rows.into_iter()
        .map(|(row, text)| {
            Ok(LiveText {
                entry: Entry::try_from(row)?,
                text,
            })
        })
        .collect()
}

/// The `SELECT` of [`in_locales`].
fn in_locales_sql(dialect: Dialect, ids: &[String], chain: &[String], surface: Surface) -> Sql {
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT {} FROM entries WHERE entry_id IN ",
        columns(dialect, surface)
    ))
    .list(ids.iter().map(|id| Arg::Text(id.clone())));
    if let [one] = chain {
        sql.push(" AND locale = ").arg(Arg::Text(one.clone()));
    } else {
        sql.push(" AND locale IN ")
            .list(chain.iter().map(|l| Arg::Text(l.clone())));
    }
    if surface == Surface::Public {
        sql.push(" AND published IS NOT NULL");
    }
    sql
}

/// Entries of a type in id order after `after`, for rebuilding derived data
/// a page at a time.
pub async fn page_of_type(
    db: &Db,
    content_type: &str,
    after: &str,
    limit: i64,
) -> StoreResult<Vec<Entry>> {
    let mut sql = Sql::default();
    sql.push(&format!("SELECT {COLUMNS} FROM entries WHERE type = "))
        .arg(Arg::Text(content_type.to_string()))
        .push(" AND id > ")
        .arg(Arg::Text(after.to_string()))
        .push(" ORDER BY id")
        .limit(limit);
    fetch_entries(db, sql).await
}

/// The entries among `ids` that a surface sees and that pass `filters`
/// (search results); in no particular order.
pub async fn among(
    db: &Db,
    ct: &ContentType,
    ids: &[String],
    q: &ListQuery,
    surface: Surface,
) -> StoreResult<Vec<Entry>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let dialect = db.dialect();
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT {} FROM entries",
        columns(dialect, surface)
    ));
    let w = scoped_where(dialect, ct, q, surface, " || ''");
    sql.text.push_str(&w.text);
    sql.args.extend(w.args);
    sql.push(" AND entry_id IN ")
        .list(ids.iter().map(|id| Arg::Text(id.clone())));
    fetch_entries(db, sql).await
}

/// How many entries a type has, in any state.
pub async fn count(db: &Db, content_type: &str) -> StoreResult<i64> {
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM entries WHERE type = $1")
            .bind(content_type)
            .fetch_one(pool)
            .await?
    }))
}

/// Live translations in row order after `after` (of one type, or of every
/// type), for a full sync a page at a time; their working copies are not
/// read.
pub async fn published_after(
    db: &Db,
    content_type: Option<&str>,
    after: &str,
    limit: i64,
) -> StoreResult<Vec<Entry>> {
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT {} FROM entries WHERE published IS NOT NULL AND id > ",
        columns(db.dialect(), Surface::Public)
    ))
    .arg(Arg::Text(after.to_string()));
    if let Some(t) = content_type {
        sql.push(" AND type = ").arg(Arg::Text(t.to_string()));
    }
    sql.push(" ORDER BY id").limit(limit);
    fetch_entries(db, sql).await
}

/// Every translation of the given entries, whatever their types, in one
/// query of one text whatever their number; none of a deleted entry.
pub async fn all_translations(db: &Db, ids: &[String]) -> StoreResult<Vec<Entry>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    sql.push(&format!("SELECT {COLUMNS} FROM entries WHERE entry_id"))
        .in_texts(db.dialect(), ids);
    fetch_entries(db, sql).await
}

/// A scheduled action that is due.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    /// The translation's own key.
    pub row: String,
    pub entry_id: String,
    pub content_type: String,
    pub locale: String,
    /// `publish` or `unpublish`.
    pub action: String,
    pub at: i64,
}

/// Scheduled actions due at `now`, oldest first, at most `limit`; those
/// that failed before wait for an editor.
pub async fn due(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<Due>> {
    let sql = "SELECT id AS row, entry_id, type AS content_type, locale, 'publish' AS action, \
               scheduled_publish_at AS at FROM entries \
               WHERE scheduled_publish_at <= $1 AND schedule_error IS NULL \
               UNION ALL \
               SELECT id AS row, entry_id, type AS content_type, locale, 'unpublish' AS action, \
               scheduled_unpublish_at AS at FROM entries \
               WHERE scheduled_unpublish_at <= $1 AND schedule_error IS NULL \
               ORDER BY at LIMIT $2";
    Ok(on_pool!(db, pool => {
        sqlx::query_as(sql).bind(now).bind(limit).fetch_all(pool).await?
    }))
}

/// Notes why a scheduled action could not run, so it is not tried again
/// until an editor schedules anew.
pub async fn schedule_failed(db: &Db, row: &str, message: &str) -> StoreResult<()> {
    on_pool!(db, pool => {
        sqlx::query("UPDATE entries SET schedule_error = $1 WHERE id = $2")
            .bind(message)
            .bind(row)
            .execute(pool)
            .await?;
    });
    Ok(())
}

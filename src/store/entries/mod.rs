//! Entries: reads for both APIs here; the transactional writes (save,
//! publish, unpublish, delete), each recording a revision, a change and an
//! audit row, in `write`.

mod links;
mod write;

pub use links::{Reference, references, visible};
pub use write::{create, delete, publish, unpublish, update};

use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::sql::{Arg, Dialect, Sql, bind_args};
use super::{Db, StoreError, StoreResult, on_pool};
use crate::model::content_type::ContentType;
use crate::model::entry::{Entry, Status};
use crate::model::query::{Column, ListQuery, Sort, Surface};

const COLUMNS: &str = "id, type, locale, status, draft, published, version, created_at, \
     updated_at, published_at, live_updated_at, created_by, updated_by";

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    #[sqlx(rename = "type")]
    content_type: String,
    locale: String,
    status: String,
    draft: Option<Json<Value>>,
    published: Option<Json<Value>>,
    version: i64,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
    live_updated_at: Option<i64>,
    created_by: Option<String>,
    updated_by: Option<String>,
}

fn object(v: Option<Json<Value>>, id: &str) -> StoreResult<Option<Map<String, Value>>> {
    match v.map(|j| j.0) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(StoreError::Corrupt(format!(
            "entry {id} holds a non-object"
        ))),
    }
}

impl TryFrom<EntryRow> for Entry {
    type Error = StoreError;
    fn try_from(r: EntryRow) -> StoreResult<Entry> {
        let status = Status::parse(&r.status).ok_or_else(|| {
            StoreError::Corrupt(format!("entry {} has status {}", r.id, r.status))
        })?;
        Ok(Entry {
            draft: object(r.draft, &r.id)?.unwrap_or_default(),
            published: object(r.published, &r.id)?,
            id: r.id,
            content_type: r.content_type,
            locale: r.locale,
            status,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            published_at: r.published_at,
            live_updated_at: r.live_updated_at,
            created_by: r.created_by,
            updated_by: r.updated_by,
        })
    }
}

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
    if let Some(locale) = &q.locale {
        sql.push(&format!(" AND locale{suffix} = "))
            .arg(Arg::Text(locale.clone()));
    }
    if surface == Surface::Public {
        sql.push(" AND published IS NOT NULL");
    }
    dialect.filters(&mut sql, &q.filters, surface);
    sql
}

/// One page of entries and the total that match.
pub async fn list(
    db: &Db,
    ct: &ContentType,
    q: &ListQuery,
    surface: Surface,
) -> StoreResult<(Vec<Entry>, i64)> {
    let dialect = db.dialect();
    let mut select = Sql::default();
    select.push(&format!(
        "SELECT {} FROM entries",
        columns(dialect, surface)
    ));
    let w = list_where(dialect, ct, q, surface);
    select.text.push_str(&w.text);
    select.args.extend(w.args.iter().cloned());
    let default_sort = [Sort {
        column: match surface {
            Surface::Public => Column::PublishedAt,
            Surface::Admin => Column::UpdatedAt,
        },
        desc: true,
    }];
    let sort = if q.sort.is_empty() {
        &default_sort[..]
    } else {
        &q.sort
    };
    dialect.order_by(&mut select, sort, surface);
    dialect.page(&mut select, q);
    let count_sql = format!("SELECT COUNT(*) FROM entries{}", w.text);
    let (rows, total) = on_pool!(db, pool => {
        let rows: Vec<EntryRow> =
            bind_args!(sqlx::query_as(AssertSqlSafe(select.text)), select.args)
                .fetch_all(pool)
                .await?;
        let total: i64 = bind_args!(sqlx::query_scalar(AssertSqlSafe(count_sql)), w.args)
            .fetch_one(pool)
            .await?;
        (rows, total)
    });
    let entries = rows
        .into_iter()
        .map(Entry::try_from)
        .collect::<StoreResult<_>>()?;
    Ok((entries, total))
}

/// An entry with its working copy, for the admin API.
pub async fn get(db: &Db, content_type: &str, id: &str) -> StoreResult<Entry> {
    let sql = format!("SELECT {COLUMNS} FROM entries WHERE type = $1 AND id = $2");
    let row: Option<EntryRow> = on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql)).bind(content_type).bind(id).fetch_optional(pool).await?
    });
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// An entry by id or slug in `locale`, as a surface sees it: the public API
/// finds only published entries by their live slug; the admin surface (for
/// previews) finds any entry by its working slug.
pub async fn get_by_key(
    db: &Db,
    content_type: &str,
    locale: &str,
    id_or_slug: &str,
    surface: Surface,
) -> StoreResult<Entry> {
    let cols = columns(db.dialect(), surface);
    let (live, slug_column) = match surface {
        Surface::Public => (" AND published IS NOT NULL", "published_slug"),
        Surface::Admin => ("", "slug"),
    };
    let by_id = format!("SELECT {cols} FROM entries WHERE id = $1 AND type = $2{live}");
    let by_slug = format!(
        "SELECT {cols} FROM entries WHERE type = $1 AND locale = $2 AND {slug_column} = $3"
    );
    // Ids are UUIDs; anything else can only be a slug. A UUID-shaped slug is
    // still found after the id lookup misses.
    let looks_like_id = uuid::Uuid::parse_str(id_or_slug).is_ok();
    let row: Option<EntryRow> = on_pool!(db, pool => {
        let mut row = None;
        if looks_like_id {
            row = sqlx::query_as(AssertSqlSafe(by_id))
                .bind(id_or_slug)
                .bind(content_type)
                .fetch_optional(pool)
                .await?;
        }
        if row.is_none() {
            row = sqlx::query_as(AssertSqlSafe(by_slug))
                .bind(content_type)
                .bind(locale)
                .bind(id_or_slug)
                .fetch_optional(pool)
                .await?;
        }
        row
    });
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// The one entry of a singleton type in `locale`, if it has been written.
pub async fn singleton(db: &Db, content_type: &str, locale: &str) -> StoreResult<Option<Entry>> {
    let sql = format!("SELECT {COLUMNS} FROM entries WHERE type = $1 AND locale = $2 LIMIT 1");
    let row: Option<EntryRow> = on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(content_type)
            .bind(locale)
            .fetch_optional(pool)
            .await?
    });
    row.map(Entry::try_from).transpose()
}

/// An entry by id, whatever its type; `None` once deleted.
pub async fn find(db: &Db, id: &str) -> StoreResult<Option<Entry>> {
    let sql = format!("SELECT {COLUMNS} FROM entries WHERE id = $1");
    let row: Option<EntryRow> = on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    row.map(Entry::try_from).transpose()
}

/// Entries of a type in id order after `after`, for rebuilding derived data
/// a page at a time.
pub async fn page_of_type(
    db: &Db,
    content_type: &str,
    after: &str,
    limit: i64,
) -> StoreResult<Vec<Entry>> {
    let sql =
        format!("SELECT {COLUMNS} FROM entries WHERE type = $1 AND id > $2 ORDER BY id LIMIT $3");
    let rows: Vec<EntryRow> = on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(content_type)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(Entry::try_from).collect()
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
    sql.push(" AND id IN ")
        .list(ids.iter().map(|id| Arg::Text(id.clone())));
    let rows: Vec<EntryRow> = on_pool!(db, pool => {
        bind_args!(sqlx::query_as(AssertSqlSafe(sql.text)), sql.args)
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(Entry::try_from).collect()
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

/// One saved state of an entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Revision {
    pub id: i64,
    pub version: i64,
    pub action: String,
    pub data: Json<Value>,
    pub author_id: Option<String>,
    pub created_at: i64,
}

/// An entry's revisions, newest first.
pub async fn revisions(db: &Db, content_type: &str, id: &str) -> StoreResult<Vec<Revision>> {
    get(db, content_type, id).await?;
    Ok(on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT id, version, action, data, author_id, created_at FROM revisions \
             WHERE entry_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
    }))
}

//! Relations in the store: the `entry_refs` rows a write keeps in step with
//! an entry's relation fields, and the reads that follow them.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;

use crate::model::FieldError;
use crate::model::content_type::Field;
use crate::model::field::FieldType;
use crate::model::nested::ids_at;
use crate::store::sql::{Arg, Dialect, Sql};
use crate::store::{Db, StoreResult, on_pool};

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

/// Does either copy of `entry` point at another entry (`link_entries!`
/// has work)?
pub(super) fn has_links(fields: &[Field], entry: &crate::model::entry::Entry) -> bool {
    let names = |data| !ids_at(fields, data, FieldType::Relation).is_empty();
    names(&entry.draft) || entry.published.as_ref().is_some_and(names)
}

/// Checks the entries a working copy's relation fields name (each must
/// exist and be of the field's `to` type), then records what the working
/// and live copies point at, so that no target can be deleted from under
/// them (the link table's foreign key) and filters can reach through them.
/// The old links are gone already, as for `link_media!`.
macro_rules! link_entries {
    ($tx:expr, $dialect:expr, $ct:expr, $entry:expr) => {{
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

/// One entry a copy of another points at through one field.
#[derive(Debug, Clone)]
pub(super) struct Link<'a> {
    pub copy: &'static str,
    /// The field's place without positions (`author`, `body.author`).
    pub field: String,
    /// Where the id is, for errors (`body[2].author`).
    pub path: String,
    pub to: &'a str,
    pub target: String,
}

/// What the relation fields of one copy point at, at any depth.
pub(super) fn links_in<'a>(
    fields: &'a [Field],
    copy: &'static str,
    data: &Map<String, Value>,
) -> Vec<Link<'a>> {
    ids_at(fields, data, FieldType::Relation)
        .into_iter()
        .filter_map(|at| {
            Some(Link {
                copy,
                to: at.field.to.as_deref()?,
                field: at.link,
                path: at.path,
                target: at.id,
            })
        })
        .collect()
}

/// Selects id and type of the given entries (a row per translation),
/// keeping them from being deleted until commit.
pub(super) fn targets_sql(dialect: Dialect, ids: &[String]) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT entry_id, type FROM entries WHERE entry_id IN ")
        .list(ids.iter().map(|id| Arg::Text(id.clone())))
        .push(dialect.key_share_lock());
    sql
}

/// Links of a working copy to an entry that is not there, or of another type.
pub(super) fn missing_targets(
    links: &[Link<'_>],
    found: &HashMap<String, String>,
) -> Vec<FieldError> {
    links
        .iter()
        .filter(|l| l.copy == "draft" && found.get(&l.target).is_none_or(|t| t != l.to))
        .map(|l| {
            FieldError::new(
                l.path.clone(),
                "exists",
                format!("no {} entry has the id {}", l.to, l.target),
            )
        })
        .collect()
}

/// Rows per INSERT: four parameters each, well under SQLite's limit.
const INSERT_CHUNK: usize = 500;

/// The INSERTs recording `links` of `source`.
pub(super) fn insert_sql(source: &str, links: &[Link<'_>]) -> Vec<Sql> {
    let mut out = Vec::new();
    for chunk in links.chunks(INSERT_CHUNK) {
        let mut sql = Sql::default();
        sql.push("INSERT INTO entry_refs (source_id, copy, field, target_id) VALUES ");
        for (i, l) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.list([
                Arg::Text(source.to_string()),
                Arg::Text(l.copy.to_string()),
                Arg::Text(l.field.clone()),
                Arg::Text(l.target.clone()),
            ]);
        }
        // The same target twice in one list is refused by validation; a
        // working and live copy naming it are distinct rows.
        sql.push(" ON CONFLICT DO NOTHING");
        out.push(sql);
    }
    out
}

/// An entry that points at another, through which field of which copy of
/// which of its translations.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Reference {
    pub id: String,
    pub locale: String,
    /// The translation's own key.
    pub source_row: String,
    #[sqlx(rename = "type")]
    pub content_type: String,
    pub field: String,
    pub copy: String,
}

pub(super) const REFERENCES: &str = "SELECT e.entry_id AS id, e.locale AS locale, \
     r.source_id AS source_row, e.type AS type, r.field AS field, r.copy AS copy \
     FROM entry_refs r JOIN entries e ON e.id = r.source_id \
     WHERE r.target_id = $1 AND e.entry_id <> $1 \
     ORDER BY e.type, e.entry_id, e.locale, r.field, r.copy";

/// What points at entry `id` (its own translations aside), at most `limit` links.
pub async fn references(db: &Db, id: &str, limit: i64) -> StoreResult<Vec<Reference>> {
    let sql = format!("{REFERENCES} LIMIT $2");
    Ok(on_pool!(db, pool => {
        sqlx::query_as(AssertSqlSafe(sql)).bind(id).bind(limit).fetch_all(pool).await?
    }))
}

/// `copy` with `target` taken out of `field` (one id or a list).
pub(super) fn without(copy: &mut Map<String, Value>, field: &str, target: &str) {
    match copy.get_mut(field) {
        Some(Value::String(id)) if id == target => {
            copy.remove(field);
        }
        Some(Value::Array(list)) => list.retain(|v| v.as_str() != Some(target)),
        _ => {}
    }
}

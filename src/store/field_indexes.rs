//! Database indexes on the fields a type marks `index`.
//!
//! Each is an index on the live copy's value, written with the very
//! expression the public filters compare (`Dialect::json_field`), so the
//! planner matches the two: `filter[reading_minutes][eq]=7` reads the
//! matching rows, already in publication order, instead of every live
//! entry of the type. Names are `ix_<type>_<field>`, each part a hash
//! (`ix_1a2b3c4d_5e6f7a8b`): a type's indexes are found by its prefix, and
//! a renamed field or a field of another type gets a new one.

use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use super::sql::Dialect;
use super::{Db, StoreResult, WritePool, on_pool};
use crate::model::content_type::ContentType;
use crate::model::field::FieldType;

/// The first four bytes of the SHA-256 of `parts`, as hex.
fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What every index name of `api_id` starts with.
pub fn prefix(api_id: &str) -> String {
    format!("ix_{}_", short_hash(&[api_id]))
}

/// The index of one field; the field's type is part of the name, since
/// the expression (its cast on PostgreSQL) follows it.
pub fn index_name(api_id: &str, field: &str, ty: FieldType) -> String {
    format!("{}{}", prefix(api_id), short_hash(&[field, ty.as_str()]))
}

/// `CREATE INDEX` for one field: the type, the locale, the value, then
/// publication order, over live copies. On PostgreSQL the index holds
/// only the type's rows, so its cast never meets another type's value
/// under the same name; SQLite's `->>` never fails, and a partial index
/// there would not match a query that binds the type as a parameter.
/// `api_id` and `field` are checked snake_case names, safe in a literal.
fn create_sql(dialect: Dialect, api_id: &str, field: &str, ty: FieldType) -> String {
    let value = dialect.json_field("published", field, ty, false);
    let name = index_name(api_id, field, ty);
    match dialect {
        Dialect::Sqlite => format!(
            "CREATE INDEX IF NOT EXISTS \"{name}\" ON entries \
             (type, locale, {value}, published_at, id) WHERE published IS NOT NULL"
        ),
        Dialect::Postgres => format!(
            "CREATE INDEX IF NOT EXISTS \"{name}\" ON entries \
             (type, locale, {value}, published_at, id) \
             WHERE published IS NOT NULL AND type = '{api_id}'"
        ),
    }
}

/// The indexes `ct` asks for, by name, each with its `CREATE INDEX`.
pub(crate) fn wanted(dialect: Dialect, ct: Option<&ContentType>) -> Vec<(String, String)> {
    let Some(ct) = ct else {
        return Vec::new();
    };
    ct.fields
        .iter()
        .filter(|f| f.index)
        .map(|f| {
            (
                index_name(ct.api_id(), &f.name, f.field_type),
                create_sql(dialect, ct.api_id(), &f.name, f.field_type),
            )
        })
        .collect()
}

/// The names of the field indexes whose names start with `$1`.
pub(crate) fn names_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' \
             AND substr(name, 1, length($1)) = $1 ORDER BY name"
        }
        Dialect::Postgres => {
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename = 'entries' AND substr(indexname, 1, length($1)) = $1 ORDER BY indexname"
        }
    }
}

/// Makes the field indexes of type `$api_id` what `$ct` (an
/// `Option<&ContentType>`; `None` once the type is gone) asks for, inside
/// the transaction `$tx`: drops those no field asks for any more, creates
/// the missing ones.
macro_rules! sync_field_indexes {
    ($tx:expr, $dialect:expr, $api_id:expr, $ct:expr) => {{
        let wanted = $crate::store::field_indexes::wanted($dialect, $ct);
        let have: Vec<String> =
            sqlx::query_scalar($crate::store::field_indexes::names_sql($dialect))
                .bind($crate::store::field_indexes::prefix($api_id))
                .fetch_all(&mut *$tx)
                .await?;
        for old in have.iter().filter(|h| !wanted.iter().any(|(w, _)| w == *h)) {
            // A name read from the catalog under our prefix: hex and `_`.
            let drop = format!("DROP INDEX IF EXISTS \"{old}\"");
            sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&mut *$tx)
                .await?;
        }
        for (_, create) in wanted.iter().filter(|(w, _)| !have.contains(w)) {
            sqlx::query(sqlx::AssertSqlSafe(create.clone()))
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use sync_field_indexes;

/// Gives every type the field indexes it asks for: at start, and after an
/// import, which writes definitions without building their indexes.
pub async fn sync_all(db: &Db, types: &[ContentType]) -> StoreResult<()> {
    let dialect = db.dialect();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        for ct in types {
            sync_field_indexes!(tx, dialect, ct.api_id(), Some(ct));
        }
        tx.commit().await?;
        Ok(())
    })
}

/// The names of the field indexes type `api_id` has.
pub async fn of_type(db: &Db, api_id: &str) -> StoreResult<Vec<String>> {
    let sql = names_sql(db.dialect());
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(prefix(api_id))
            .fetch_all(pool)
            .await?
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_type_field_and_field_type() {
        let a = index_name("articles", "views", FieldType::Integer);
        assert!(a.starts_with(&prefix("articles")), "{a}");
        assert_eq!(a.len(), "ix_12345678_12345678".len());
        assert_eq!(a, index_name("articles", "views", FieldType::Integer));
        assert_ne!(a, index_name("articles", "views", FieldType::String));
        assert_ne!(a, index_name("articles", "clicks", FieldType::Integer));
        assert!(!index_name("pages", "views", FieldType::Integer).starts_with(&prefix("articles")));
    }

    #[test]
    fn the_index_holds_the_filter_expression() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let sql = create_sql(dialect, "articles", "views", FieldType::Integer);
            let filter = dialect.json_field("published", "views", FieldType::Integer, false);
            assert!(sql.contains(&filter), "{sql}");
        }
    }
}

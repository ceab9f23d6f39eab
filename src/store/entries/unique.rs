//! Unique values of a working copy, checked inside the write transaction:
//! the slug (a generated one takes the first free suffix) and the fields a
//! type marks `unique`, each within the type and locale.

use serde_json::{Map, Value};

use crate::model::FieldError;
use crate::model::content_type::ContentType;
use crate::model::field::FieldType;
use crate::store::sql::{Arg, Dialect, Sql, WORKING_COPY};

/// A query that finds another entry of the same type and locale holding
/// `value` in `column` (`slug`, `published_slug`, or a unique field);
/// `row` is the translation asking.
pub(super) fn taken_sql(
    dialect: Dialect,
    ct: &ContentType,
    locale: &str,
    row: &str,
    column: &str,
    field_type: Option<FieldType>,
    value: &Value,
) -> Option<Sql> {
    let arg = match value {
        Value::String(s) => Arg::Text(s.clone()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Arg::Int(i),
            None => Arg::Float(n.as_f64()?),
        },
        _ => return None,
    };
    let expr = match field_type {
        Some(ty) => dialect.json_field(WORKING_COPY, column, ty, false),
        None => column.to_string(),
    };
    let mut sql = Sql::default();
    sql.push("SELECT 1 FROM entries WHERE type = ")
        .arg(Arg::Text(ct.api_id().to_string()))
        .push(" AND locale = ")
        .arg(Arg::Text(locale.to_string()))
        .push(" AND id <> ")
        .arg(Arg::Text(row.to_string()))
        .push(&format!(" AND {expr} = "))
        .arg(arg)
        .push(" LIMIT 1");
    Some(sql)
}

/// The text a unique value is locked by (see `Dialect::value_lock`):
/// numbers in one form, so that `1` and `1.0`, equal to the check, are one
/// value to the lock too.
pub(super) fn value_key(column: &str, value: &Value) -> String {
    match value {
        Value::String(s) => format!("{column}:{s}"),
        Value::Number(n) => format!("{column}:{}", n.as_f64().unwrap_or_default()),
        other => format!("{column}:{other}"),
    }
}

/// Is `value` of `column` held by another translation of the type and
/// locale? The value is locked first where the database needs it, and
/// stays locked to commit. Writers lock their values in one order (the
/// slug, its suffixed candidates, then unique fields in the type's order),
/// so two of them never wait on each other.
macro_rules! is_taken {
    ($tx:expr, $dialect:expr, $ct:expr, $locale:expr, $row:expr, $column:expr, $ty:expr, $value:expr) => {{
        let value: &Value = $value;
        match taken_sql($dialect, $ct, $locale, $row, $column, $ty, value) {
            Some(sql) => {
                if let Some(lock) = $dialect.value_lock() {
                    sqlx::query(lock)
                        .bind($ct.api_id())
                        .bind(super::unique::value_key($column, value))
                        .execute(&mut *$tx)
                        .await?;
                }
                exists!($tx, sql)
            }
            None => false,
        }
    }};
}

/// Did a write stop on the index that keeps live slugs unique within a
/// type and locale (`entries_published_slug`)?
pub(super) fn live_slug_taken(e: &crate::store::StoreError) -> bool {
    match e {
        crate::store::StoreError::Database(sqlx::Error::Database(db)) => {
            let names = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
            db.is_unique_violation() && names.contains("published_slug")
        }
        _ => false,
    }
}

pub(super) fn taken_error(field: &str, value: &Value) -> FieldError {
    FieldError::new(
        field,
        "unique",
        format!("{value} is already used by another entry"),
    )
}

/// Slug candidates for a generated slug: `base`, `base-2`, `base-3`, …
pub(super) fn slug_candidate(base: &str, n: u32) -> String {
    if n == 1 {
        base.to_string()
    } else {
        format!("{base}-{n}")
    }
}

pub(super) const MAX_SLUG_SUFFIX: u32 = 100;

/// Makes the working copy's unique values unique, inside the write
/// transaction: a generated slug takes the first free suffix; a clash on a
/// given slug or unique field is an error naming the field.
macro_rules! ensure_unique {
    ($tx:expr, $dialect:expr, $ct:expr, $locale:expr, $id:expr, $valid:expr) => {{
        let mut clashes = Vec::new();
        if let Some(sf) = $ct.slug_field()
            && let Some(Value::String(base)) = $valid.data.get(&sf.name).cloned()
        {
            let tries = if $valid.slug_generated {
                MAX_SLUG_SUFFIX
            } else {
                1
            };
            let mut free = None;
            for n in 1..=tries {
                let candidate = Value::String(slug_candidate(&base, n));
                if !is_taken!($tx, $dialect, $ct, $locale, $id, "slug", None, &candidate) {
                    free = Some(candidate);
                    break;
                }
            }
            match free {
                Some(slug) => {
                    $valid.data.insert(sf.name.clone(), slug);
                }
                None => clashes.push(taken_error(&sf.name, &Value::String(base))),
            }
        }
        for f in $ct.unique_fields() {
            if let Some(v) = $valid.data.get(&f.name)
                && is_taken!(
                    $tx,
                    $dialect,
                    $ct,
                    $locale,
                    $id,
                    &f.name,
                    Some(f.field_type),
                    v
                )
            {
                clashes.push(taken_error(&f.name, v));
            }
        }
        if !clashes.is_empty() {
            return Err(StoreError::Unique(clashes));
        }
    }};
}

pub(super) fn slug_of(ct: &ContentType, data: &Map<String, Value>) -> Option<String> {
    let sf = ct.slug_field()?;
    data.get(&sf.name)?.as_str().map(str::to_string)
}

//! The entries a field's change carries along, in SQL over their JSON
//! copies: a rename moves the value to the new key, a new required field
//! is filled with its default, a changed type converts the stored values.
//! Each is run inside the type change's transaction by `content_types`.

use crate::store::sql::Dialect;

/// `doc` has a value under `name` (a checked snake_case field name).
pub(super) fn has(dialect: Dialect, doc: &str, name: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("json_type({doc}, '$.{name}') IS NOT NULL"),
        Dialect::Postgres => format!("({doc} -> '{name}') IS NOT NULL"),
    }
}

/// `doc` with the value under `old` moved to `new`.
pub(super) fn renamed(dialect: Dialect, doc: &str, old: &str, new: &str) -> String {
    match dialect {
        Dialect::Sqlite => {
            format!("json_set(json_remove({doc}, '$.{old}'), '$.{new}', json({doc} -> '$.{old}'))")
        }
        Dialect::Postgres => {
            format!("(({doc} - '{old}') || jsonb_build_object('{new}', {doc} -> '{old}'))")
        }
    }
}

/// `doc` with `name` set to the JSON text bound as `$2`.
pub(super) fn with_value(dialect: Dialect, doc: &str, name: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("json_set({doc}, '$.{name}', json($2))"),
        Dialect::Postgres => format!("({doc} || jsonb_build_object('{name}', $2::jsonb))"),
    }
}

/// Entries of `$type` with a value under `field` in either copy.
macro_rules! count_with {
    ($tx:expr, $dialect:expr, $type:expr, $field:expr) => {{
        let sql = format!(
            "SELECT COUNT(*) FROM entries WHERE type = $1 AND ({} OR (published IS NOT NULL AND {}))",
            has($dialect, "draft", $field),
            has($dialect, "published", $field)
        );
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind($type)
            .fetch_one(&mut *$tx)
            .await?;
        n
    }};
}

/// Moves `old`'s values to `new` in the working, live and revision copies
/// of `$type`'s entries, and its relation links; answers how many entries.
macro_rules! rename_field {
    ($tx:expr, $dialect:expr, $type:expr, $old:expr, $new:expr) => {{
        let touched = count_with!($tx, $dialect, $type, $old);
        for doc in ["draft", "published"] {
            let sql = format!(
                "UPDATE entries SET {doc} = {} WHERE type = $1 AND {} AND {}",
                renamed($dialect, doc, $old, $new),
                holds_copy(doc),
                has($dialect, doc, $old)
            );
            sqlx::query(AssertSqlSafe(sql)).bind($type).execute(&mut *$tx).await?;
        }
        let sql = format!(
            "UPDATE revisions SET data = {} WHERE entry_id IN (SELECT {} FROM entries WHERE type = $1) AND {}",
            renamed($dialect, "data", $old, $new),
            $dialect.log_id("id"),
            has($dialect, "data", $old)
        );
        sqlx::query(AssertSqlSafe(sql)).bind($type).execute(&mut *$tx).await?;
        sqlx::query(
            "UPDATE entry_refs SET field = $2 WHERE field = $3 \
             AND source_id IN (SELECT id FROM entries WHERE type = $1)",
        )
        .bind($type)
        .bind($new)
        .bind($old)
        .execute(&mut *$tx)
        .await?;
        touched
    }};
}

/// Gives entries that lack `$step.field` its default (working and live
/// copies); without a default, a required field that entries lack is an
/// error naming how many. Answers how many entries were filled.
macro_rules! fill_field {
    ($tx:expr, $dialect:expr, $type:expr, $step:expr) => {{
        let name = $step.field.as_str();
        let lacking_sql = format!(
            "SELECT COUNT(*) FROM entries WHERE type = $1 AND NOT ({})",
            has($dialect, WORKING_COPY, name)
        );
        let lacking: i64 = sqlx::query_scalar(AssertSqlSafe(lacking_sql))
            .bind($type)
            .fetch_one(&mut *$tx)
            .await?;
        match &$step.default {
            Some(default) if lacking > 0 => {
                let text = default.to_string();
                for doc in ["draft", "published"] {
                    let sql = format!(
                        "UPDATE entries SET {doc} = {} WHERE type = $1 AND {} AND NOT ({})",
                        with_value($dialect, doc, name),
                        holds_copy(doc),
                        has($dialect, doc, name)
                    );
                    sqlx::query(AssertSqlSafe(sql))
                        .bind($type)
                        .bind(&text)
                        .execute(&mut *$tx)
                        .await?;
                }
                lacking
            }
            None if $step.required && lacking > 0 => {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    name,
                    "required_without_default",
                    format!(
                        "{lacking} entries have no `{name}`; give it a `default` to fill them, or make it optional"
                    ),
                )]));
            }
            _ => 0,
        }
    }};
}

/// Rewrites `$field`'s values as its new type in both copies of every
/// entry; values that do not convert are an error naming their entries
/// (or, with `$allow_loss`, are removed). Answers how many entries hold it.
macro_rules! convert_field {
    ($tx:expr, $type:expr, $field:expr, $allow_loss:expr) => {{
        let rows: Vec<EntryCopies> =
            sqlx::query_as("SELECT id, draft, published FROM entries WHERE type = $1 ORDER BY id")
                .bind($type)
                .fetch_all(&mut *$tx)
                .await?;
        let name = $field.name.as_str();
        let mut holding = 0;
        let mut failed: Vec<String> = Vec::new();
        let mut changed = Vec::new();
        for (id, draft, published) in rows {
            let mut copies = [draft.map(|j| j.0), published.map(|j| j.0)];
            let mut held = false;
            let mut touched = false;
            for copy in copies.iter_mut().flatten() {
                let Some(map) = copy.as_object_mut() else { continue };
                let Some(v) = map.get(name) else { continue };
                held = true;
                match crate::model::schema_change::convert(v, $field) {
                    Some(c) if &c == v => {}
                    Some(c) => {
                        map.insert(name.to_string(), c);
                        touched = true;
                    }
                    None => {
                        if !failed.contains(&id) {
                            failed.push(id.clone());
                        }
                        map.remove(name);
                        touched = true;
                    }
                }
            }
            holding += i64::from(held);
            if touched {
                changed.push((id, copies));
            }
        }
        if !failed.is_empty() && !$allow_loss {
            let shown: Vec<&str> = failed.iter().take(10).map(String::as_str).collect();
            return Err(StoreError::Invalid(vec![FieldError::new(
                name,
                "conversion",
                format!(
                    "{} entries hold values of `{name}` that are not a valid {}: {}{}; change them first, or pass ?allow_data_loss=true to drop those values",
                    failed.len(),
                    $field.field_type.as_str(),
                    shown.join(", "),
                    if failed.len() > shown.len() { ", …" } else { "" }
                ),
            )]));
        }
        for (id, [draft, published]) in changed {
            sqlx::query("UPDATE entries SET draft = $1, published = $2 WHERE id = $3")
                .bind(Json(draft.unwrap_or_default()))
                .bind(published.map(Json))
                .bind(&id)
                .execute(&mut *$tx)
                .await?;
        }
        holding
    }};
}

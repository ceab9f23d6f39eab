//! What every entry write records beside the row: a revision of the
//! working copy, an audit row, and a change in the feed, in the write's
//! transaction.

use super::translation_row::RowSql;
use crate::store::sql::Dialect;

pub(super) const INSERT_CHANGE: &str = "INSERT INTO changes (entity, entity_id, content_type, action, at, \
     locale) VALUES ($1, $2, $3, $4, $5, $6)";

/// The rows `record!` writes, in one call sharing the numbered arguments
/// (revisions $1–$6, audit $5–$11, change $12–$13): the revision that was
/// newest becomes a patch (form 1, `revisions::PATCH`) against the new one,
/// whose copy is the working copy (form 2, `revisions::CURRENT`: no data of
/// its own); then the audit row and the change. On SQLite, statements in
/// one text run in one hand-off to sqlx's worker thread.
const RECORD_SQLITE: &str = "UPDATE revisions SET form = 1, data = $4 \
     WHERE entry_id = $1 AND form = 2 AND $4 IS NOT NULL; \
     INSERT INTO revisions (entry_id, version, action, data, form, author_id, created_at) \
     VALUES ($1, $2, $3, 'null', 2, $5, $6); \
     INSERT INTO audit (at, actor_id, actor, client_ip, action, resource_type, resource_id, detail) \
     VALUES ($6, $5, $7, $8, $9, 'entry', $10, $11); \
     INSERT INTO changes (entity, entity_id, content_type, action, at, locale) \
     VALUES ('entry', $10, $12, $3, $6, $13)";

/// The same rows on PostgreSQL, as CTEs of one statement whose last part
/// (`RECORD_POSTGRES_CHANGE`) inserts the change from the row of `feed`,
/// which takes the change-feed lock (`Dialect::feed_lock`, shared), so that
/// its sequence number is drawn under the lock.
const RECORD_POSTGRES_CTES: &str = "previous AS (UPDATE revisions SET form = 1, data = $4 \
     WHERE entry_id = $1 AND form = 2 AND $4 IS NOT NULL), \
     revision AS (INSERT INTO revisions (entry_id, version, action, data, form, author_id, created_at) \
     VALUES ($1, $2, $3, 'null', 2, $5, $6)), \
     logged AS (INSERT INTO audit (at, actor_id, actor, client_ip, action, resource_type, resource_id, detail) \
     VALUES ($6, $5, $7, $8, $9, 'entry', $10, $11))";
const RECORD_POSTGRES_CHANGE: &str = "INSERT INTO changes (entity, entity_id, content_type, action, at, \
     locale) SELECT 'entry', $10, $12, $3, $6, $13 FROM feed";
const FEED_LOCK: &str = "pg_advisory_xact_lock_shared(7311996)";

pub(super) fn record_sql(dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => RECORD_SQLITE.to_string(),
        Dialect::Postgres => format!(
            "WITH {RECORD_POSTGRES_CTES}, feed AS (SELECT {FEED_LOCK}) {RECORD_POSTGRES_CHANGE}"
        ),
    }
}

/// How many arguments `record!` binds: a statement sent with it numbers
/// its own from here on (see [`row_and_record`]).
const RECORD_ARGS: usize = 13;

/// A translation row's statement (`$1`… renumbered after the record's) and
/// the record's, for one call. On SQLite the statements follow each other
/// in one hand-off to sqlx's worker thread; on PostgreSQL they are one
/// statement, the row's a CTE that the feed lock's reads from, so the row
/// is written (and its unique indexes waited on) before the lock is taken,
/// in the order separate statements had.
pub(super) fn row_and_record(dialect: Dialect, row: &RowSql) -> String {
    match dialect {
        Dialect::Sqlite => format!(
            "{}; {RECORD_SQLITE}",
            after_record(&row.text(Dialect::Sqlite))
        ),
        Dialect::Postgres => {
            let ctes = row
                .ctes()
                .map(|c| format!("{}, ", after_record(&c)))
                .unwrap_or_default();
            format!(
                "WITH {ctes}row AS ({} RETURNING 1), {RECORD_POSTGRES_CTES}, \
                 feed AS (SELECT {FEED_LOCK} FROM row) {RECORD_POSTGRES_CHANGE}",
                after_record(row.statement())
            )
        }
    }
}

/// `sql` with its arguments `$1`… numbered after the record's.
fn after_record(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + RECORD_ARGS).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// `$query` with the arguments of the record of `$entry` bound as
/// `$1`–`$13` (see `RECORD_SQLITE`).
macro_rules! bind_record {
    ($query:expr, $entry:expr, $before:expr, $action:expr, $actor:expr, $now:expr) => {{
        let before_copy: Option<&Map<String, Value>> = $before;
        let previous = before_copy.map(|older| Json(super::revisions::patch(&$entry.draft, older)));
        let before = ($entry.version > 1).then(|| $entry.version - 1);
        let detail = serde_json::json!({
            "type": $entry.content_type,
            "locale": $entry.locale,
            "before_version": before,
            "after_version": $entry.version,
        });
        use $crate::store::log_id::LogId;
        $query
            .bind(LogId::of(&$entry.row))
            .bind($entry.version)
            .bind($action)
            .bind(previous)
            .bind(LogId::of_opt($actor.id.as_ref()))
            .bind($now)
            .bind(&$actor.label)
            .bind(&$actor.ip)
            .bind(format!("entry.{}", $action))
            .bind(LogId::of(&$entry.id))
            .bind(Json(detail))
            .bind(&$entry.content_type)
            .bind(&$entry.locale)
    }};
}

/// Records a revision of the working copy, a change in the feed, and an
/// audit row naming the versions before and after. `$before` is the
/// working copy before the write (none for a new translation): the
/// revision that was newest is kept as a patch against it.
macro_rules! record {
    ($tx:expr, $dialect:expr, $entry:expr, $before:expr, $action:expr, $actor:expr, $now:expr) => {{
        bind_record!(
            sqlx::query(AssertSqlSafe(super::record::record_sql($dialect))),
            $entry,
            $before,
            $action,
            $actor,
            $now
        )
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Writes a translation's row with `$row_sql` (a `RowSql`) and `$binds`,
/// its media and entry links, and its record (`record!`). Without links to
/// write, the row's statement and the record go in one call; with them,
/// on SQLite the links follow that call (they point at the row), and on
/// PostgreSQL they come between the row and the record, as the record
/// takes the change feed's lock, held to commit.
macro_rules! write_and_record {
    ($tx:expr, $dialect:expr, $ct:expr, $entry:expr, $before:expr, $action:expr, $actor:expr, $now:expr,
     $row_sql:expr, [$($bind:expr),* $(,)?]) => {{
        let row_sql: super::translation_row::RowSql = $row_sql;
        let links = super::media_links::has_media(&$ct.fields, &$entry)
            || super::links::has_links(&$ct.fields, &$entry);
        if $dialect == $crate::store::sql::Dialect::Sqlite || !links {
            let text = super::record::row_and_record($dialect, &row_sql);
            bind_record!(sqlx::query(AssertSqlSafe(text)), $entry, $before, $action, $actor, $now)
                $(.bind($bind))*
                .execute(&mut *$tx)
                .await?;
            if links {
                link_media!($tx, $dialect, $ct, $entry);
                link_entries!($tx, $dialect, $ct, $entry);
            }
        } else {
            sqlx::query(AssertSqlSafe(row_sql.text($dialect)))
                $(.bind($bind))*
                .execute(&mut *$tx)
                .await?;
            link_media!($tx, $dialect, $ct, $entry);
            link_entries!($tx, $dialect, $ct, $entry);
            record!($tx, $dialect, $entry, $before, $action, $actor, $now);
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_statement_numbers_its_arguments_after_the_records() {
        let text = row_and_record(
            Dialect::Sqlite,
            &RowSql::clearing_links("UPDATE entries SET a = $1, b = $12 WHERE id = $2", 2),
        );
        assert!(text.starts_with(
            "UPDATE entries SET a = $14, b = $25 WHERE id = $15; \
             DELETE FROM asset_refs WHERE entry_id = $15; "
        ));
        assert!(text.ends_with(RECORD_SQLITE));
    }

    #[test]
    fn on_postgres_the_feed_lock_is_taken_after_the_row_is_written() {
        let text = row_and_record(
            Dialect::Postgres,
            &RowSql::clearing_links("UPDATE entries SET a = $1 WHERE id = $2", 2),
        );
        assert!(text.starts_with(
            "WITH gone_assets AS (DELETE FROM asset_refs WHERE entry_id = $15), \
             gone_links AS (DELETE FROM entry_refs WHERE source_id = $15), \
             row AS (UPDATE entries SET a = $14 WHERE id = $15 RETURNING 1), previous AS ("
        ));
        assert!(text.contains("feed AS (SELECT pg_advisory_xact_lock_shared(7311996) FROM row)"));
        assert!(text.ends_with("FROM feed"));
        let alone = row_and_record(Dialect::Postgres, &RowSql::INSERT);
        assert!(alone.starts_with("WITH row AS (INSERT INTO entries"));
    }
}

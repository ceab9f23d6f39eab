//! What every entry write records beside the row: a revision of the
//! working copy, an audit row, and a change in the feed, in the write's
//! transaction.

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

/// The same rows as one PostgreSQL statement (one round trip, one
/// execution where four were): the change is inserted from the row of
/// `feed`, which takes the change-feed lock (`Dialect::feed_lock`), so its
/// sequence number is drawn under the lock.
const RECORD_POSTGRES: &str = "WITH previous AS (UPDATE revisions SET form = 1, data = $4 \
     WHERE entry_id = $1 AND form = 2 AND $4 IS NOT NULL), \
     revision AS (INSERT INTO revisions (entry_id, version, action, data, form, author_id, created_at) \
     VALUES ($1, $2, $3, 'null', 2, $5, $6)), \
     logged AS (INSERT INTO audit (at, actor_id, actor, client_ip, action, resource_type, resource_id, detail) \
     VALUES ($6, $5, $7, $8, $9, 'entry', $10, $11)), \
     feed AS (SELECT pg_advisory_xact_lock(7311996)) \
     INSERT INTO changes (entity, entity_id, content_type, action, at, locale) \
     SELECT 'entry', $10, $12, $3, $6, $13 FROM feed";

pub(super) fn record_sql(dialect: crate::store::sql::Dialect) -> &'static str {
    match dialect {
        crate::store::sql::Dialect::Sqlite => RECORD_SQLITE,
        crate::store::sql::Dialect::Postgres => RECORD_POSTGRES,
    }
}

/// How many arguments `record!` binds: a statement sent with it numbers
/// its own from here on (see [`row_then_record_sqlite`]).
const RECORD_ARGS: usize = 13;

/// On SQLite, a translation row's statement (`$1`… renumbered after the
/// record's) followed by the record's, for one call: one hand-off to
/// sqlx's worker thread where there were two.
pub(super) fn row_then_record_sqlite(row_sql: &str) -> String {
    let mut out = String::with_capacity(row_sql.len() + RECORD_SQLITE.len() + 8);
    let mut rest = row_sql;
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
    out.push_str("; ");
    out.push_str(RECORD_SQLITE);
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
            sqlx::query(super::record::record_sql($dialect)),
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

/// Writes a translation's row with `$row_sql` and `$binds`, its media and
/// entry links, and its record (`record!`). On SQLite the row's statement
/// and the record go in one call, the links after them (they point at the
/// row); on PostgreSQL the record comes last, as it takes the change
/// feed's lock, held to commit.
macro_rules! write_and_record {
    ($tx:expr, $dialect:expr, $ct:expr, $entry:expr, $before:expr, $action:expr, $actor:expr, $now:expr,
     $row_sql:expr, [$($bind:expr),* $(,)?]) => {{
        let row_sql: &str = $row_sql;
        if $dialect == $crate::store::sql::Dialect::Sqlite {
            let text = super::record::row_then_record_sqlite(row_sql);
            bind_record!(sqlx::query(AssertSqlSafe(text)), $entry, $before, $action, $actor, $now)
                $(.bind($bind))*
                .execute(&mut *$tx)
                .await?;
            link_media!($tx, $dialect, $ct, $entry);
            link_entries!($tx, $dialect, $ct, $entry);
        } else {
            sqlx::query(AssertSqlSafe(row_sql.to_string()))
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
        let text = row_then_record_sqlite(
            "UPDATE entries SET a = $1, b = $12 WHERE id = $2; DELETE FROM x WHERE id = $2",
        );
        assert!(text.starts_with(
            "UPDATE entries SET a = $14, b = $25 WHERE id = $15; DELETE FROM x WHERE id = $15; "
        ));
        assert!(text.ends_with(RECORD_SQLITE));
    }
}

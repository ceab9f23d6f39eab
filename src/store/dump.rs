//! Every table that holds what Quire knows, as plain rows: read in one
//! consistent snapshot for `quire export`, written back in one transaction
//! for `quire import`. Values are typed the same on both databases
//! (integers, booleans, text, and JSON as JSON with its keys sorted), so
//! an export of a database and of its copy on the other database are the
//! same bytes.
//!
//! Sessions and sign-in attempts are left out: they are moments, not
//! content; everyone signs in again after a move.

use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use sqlx::{AssertSqlSafe, Row};

use super::log_id::LogId;
use super::{Db, StoreError, StoreResult};

/// How a column's values travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Text that names a row by id in a log column (stored packed on
    /// SQLite: `super::log_id`); exported as its text.
    Id,
    Int,
    Bool,
    Json,
    /// JSON in a column that is never SQL `NULL`, so a null read or
    /// written is JSON `null` (a working copy kept as the live copy, a
    /// revision whose copy is the working copy).
    Doc,
}

/// A table, its columns in export order, and its key (the row order).
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    pub key: &'static [&'static str],
    /// A column PostgreSQL numbers from a sequence, set past the rows
    /// imported so that new rows continue after them.
    pub serial: Option<&'static str>,
}

use Kind::{Bool, Doc, Id, Int, Json, Text};

/// In an order that keeps every reference to a row after the row.
pub const TABLES: &[Table] = &[
    Table {
        name: "users",
        columns: &[
            ("id", Text),
            ("email", Text),
            ("display_name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("disabled", Bool),
            ("types", Json),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        key: &["id"],
        serial: None,
    },
    Table {
        name: "content_types",
        columns: &[
            ("api_id", Text),
            ("name", Text),
            ("kind", Text),
            ("definition", Json),
            ("schema_version", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        key: &["api_id"],
        serial: None,
    },
    Table {
        name: "entries",
        columns: &[
            ("id", Text),
            ("entry_id", Text),
            ("type", Text),
            ("locale", Text),
            ("status", Text),
            ("slug", Text),
            ("published_slug", Text),
            ("draft", Doc),
            ("published", Json),
            ("version", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("published_at", Int),
            ("live_updated_at", Int),
            ("created_by", Text),
            ("updated_by", Text),
            ("scheduled_publish_at", Int),
            ("scheduled_unpublish_at", Int),
            ("schedule_error", Text),
        ],
        key: &["id"],
        serial: None,
    },
    Table {
        name: "revisions",
        columns: &[
            ("id", Int),
            ("entry_id", Id),
            ("version", Int),
            ("action", Text),
            ("data", Doc),
            ("form", Int),
            ("author_id", Id),
            ("created_at", Int),
        ],
        key: &["id"],
        serial: Some("id"),
    },
    Table {
        name: "changes",
        columns: &[
            ("seq", Int),
            ("entity", Text),
            ("entity_id", Id),
            ("content_type", Text),
            ("action", Text),
            ("at", Int),
            ("locale", Text),
        ],
        key: &["seq"],
        serial: Some("seq"),
    },
    Table {
        name: "api_tokens",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("scope", Text),
            ("token_hash", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("last_used_at", Int),
            ("entry_id", Text),
        ],
        key: &["id"],
        serial: None,
    },
    Table {
        name: "audit",
        columns: &[
            ("id", Int),
            ("at", Int),
            ("actor_id", Id),
            ("actor", Text),
            ("client_ip", Text),
            ("action", Text),
            ("resource_type", Text),
            ("resource_id", Id),
            ("detail", Json),
        ],
        key: &["id"],
        serial: Some("id"),
    },
    Table {
        name: "assets",
        columns: &[
            ("id", Text),
            ("object_key", Text),
            ("filename", Text),
            ("mime_type", Text),
            ("size", Int),
            ("sha256", Text),
            ("width", Int),
            ("height", Int),
            ("alt", Text),
            ("title", Text),
            ("version", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("created_by", Text),
        ],
        key: &["id"],
        serial: None,
    },
    Table {
        name: "asset_refs",
        columns: &[("asset_id", Text), ("entry_id", Text)],
        key: &["asset_id", "entry_id"],
        serial: None,
    },
    Table {
        name: "entry_refs",
        columns: &[
            ("source_id", Text),
            ("copy", Text),
            ("field", Text),
            ("target_id", Text),
        ],
        key: &["source_id", "copy", "field", "target_id"],
        serial: None,
    },
    Table {
        name: "webhooks",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("url", Text),
            ("events", Json),
            ("types", Json),
            ("secret", Text),
            ("enabled", Bool),
            ("version", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        key: &["id"],
        serial: None,
    },
    Table {
        name: "webhook_outbox",
        columns: &[("id", Int), ("seq", Int)],
        key: &["id"],
        serial: None,
    },
    Table {
        name: "webhook_deliveries",
        columns: &[
            ("id", Text),
            ("webhook_id", Text),
            ("event", Text),
            ("seq", Int),
            ("body", Text),
            ("status", Text),
            ("attempts", Int),
            ("next_try_at", Int),
            ("created_at", Int),
            ("last_attempt_at", Int),
            ("last_status_code", Int),
            ("last_duration_ms", Int),
            ("last_error", Text),
            ("response_excerpt", Text),
        ],
        key: &["id"],
        serial: None,
    },
];

/// A JSON value with every object's keys sorted, so that the same
/// document reads the same from either database (PostgreSQL reorders
/// keys).
fn canonical(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut pairs: Vec<(String, Value)> = map.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

impl Table {
    /// The `SELECT` of every row in key order, each value in the form both
    /// databases decode alike.
    fn select(&self, db: &Db) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|(c, kind)| match kind {
                Kind::Int => format!("CAST({c} AS BIGINT) AS {c}"),
                Kind::Json | Kind::Doc => format!("CAST({c} AS TEXT) AS {c}"),
                Kind::Text | Kind::Id | Kind::Bool => c.to_string(),
            })
            .collect();
        let order: Vec<String> = self
            .key
            .iter()
            .map(|k| {
                let text = self
                    .columns
                    .iter()
                    .any(|(c, kind)| c == k && *kind == Kind::Text);
                match (db, text) {
                    // Byte order on both, whatever PostgreSQL's collation.
                    (Db::Postgres(_), true) => format!("{k} COLLATE \"C\""),
                    _ => k.to_string(),
                }
            })
            .collect();
        format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            self.name,
            order.join(", ")
        )
    }

    /// One row as a JSON object in column order.
    fn read<R>(&self, row: &R) -> StoreResult<Map<String, Value>>
    where
        R: Row,
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        for<'a> Option<bool>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        for<'a> Option<LogId<'static>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        let mut out = Map::with_capacity(self.columns.len());
        for (c, kind) in self.columns {
            let v = match kind {
                Kind::Text => row.try_get::<Option<String>, _>(*c)?.map(Value::String),
                Kind::Id => row
                    .try_get::<Option<LogId<'static>>, _>(*c)?
                    .map(|id| Value::String(id.into())),
                Kind::Int => row.try_get::<Option<i64>, _>(*c)?.map(Value::from),
                Kind::Bool => row.try_get::<Option<bool>, _>(*c)?.map(Value::Bool),
                Kind::Json | Kind::Doc => match row.try_get::<Option<String>, _>(*c)? {
                    None => None,
                    Some(text) => Some(canonical(serde_json::from_str(&text).map_err(|e| {
                        StoreError::Corrupt(format!("{}.{c} is not JSON: {e}", self.name))
                    })?)),
                },
            };
            out.insert(c.to_string(), v.unwrap_or(Value::Null));
        }
        Ok(out)
    }
}

/// A read-only snapshot of the whole database: every table as it was at
/// one moment, while writers go on.
pub enum Snapshot {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Snapshot {
    pub async fn begin(db: &Db) -> StoreResult<Snapshot> {
        Ok(match db {
            // A read transaction in WAL mode sees one moment; the first
            // read fixes which.
            Db::Sqlite(pool, _) => Snapshot::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                Snapshot::Postgres(tx)
            }
        })
    }

    pub async fn count(&mut self, table: &Table) -> StoreResult<i64> {
        let sql = format!("SELECT COUNT(*) FROM {}", table.name);
        Ok(match self {
            Snapshot::Sqlite(tx) => {
                sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(&mut **tx)
                    .await?
            }
            Snapshot::Postgres(tx) => {
                sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(&mut **tx)
                    .await?
            }
        })
    }

    /// Calls `each` with every row of `table`, in key order.
    pub async fn rows(
        &mut self,
        db: &Db,
        table: &Table,
        mut each: impl FnMut(Map<String, Value>) -> std::io::Result<()>,
    ) -> StoreResult<()> {
        let sql = table.select(db);
        let io = |e: std::io::Error| StoreError::Corrupt(format!("cannot write: {e}"));
        match self {
            Snapshot::Sqlite(tx) => {
                let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    each(table.read(&row)?).map_err(io)?;
                }
            }
            Snapshot::Postgres(tx) => {
                let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    each(table.read(&row)?).map_err(io)?;
                }
            }
        }
        Ok(())
    }
}

/// Whether the database holds nothing an import could collide with.
pub async fn is_empty(db: &Db) -> StoreResult<bool> {
    let sql = "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM content_types) \
               + (SELECT COUNT(*) FROM entries) + (SELECT COUNT(*) FROM assets)";
    let n: i64 = super::on_pool!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await?);
    Ok(n == 0)
}

/// Rows per `INSERT`.
const BATCH: usize = 200;

/// One transaction that writes an export back; nothing is kept unless all
/// of it is.
pub enum Restore {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Binds one value of `kind` (SQLite).
macro_rules! bind_value {
    ($q:expr, $kind:expr, $v:expr) => {
        match ($kind, $v) {
            (Kind::Doc, v) => $q.bind(v.to_string()),
            (_, Value::Null) => $q.bind(None::<String>),
            (Kind::Int, v) => $q.bind(v.as_i64()),
            (Kind::Bool, v) => $q.bind(v.as_bool()),
            (Kind::Json, v) => $q.bind(v.to_string()),
            (Kind::Text, Value::String(s)) => $q.bind(s.clone()),
            (Kind::Id, Value::String(s)) => $q.bind(LogId::from(s.clone())),
            (Kind::Text | Kind::Id, v) => $q.bind(v.to_string()),
        }
    };
}

impl Restore {
    pub async fn begin(db: &Db) -> StoreResult<Restore> {
        Ok(match db {
            Db::Sqlite(pool, _) => Restore::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Restore::Postgres(pool.begin().await?),
        })
    }

    /// Empties a table a migration fills (the outbox position).
    pub async fn clear(&mut self, table: &Table) -> StoreResult<()> {
        let sql = format!("DELETE FROM {}", table.name);
        match self {
            Restore::Sqlite(tx) => {
                sqlx::query(AssertSqlSafe(sql)).execute(&mut **tx).await?;
            }
            Restore::Postgres(tx) => {
                sqlx::query(AssertSqlSafe(sql)).execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// Inserts rows of `table` as exported. Refuses a row that lacks a
    /// column or holds a value of the wrong kind.
    pub async fn insert(&mut self, table: &Table, rows: &[Map<String, Value>]) -> StoreResult<()> {
        for (i, row) in rows.iter().enumerate() {
            check(table, row)
                .map_err(|e| StoreError::Corrupt(format!("{} row {}: {e}", table.name, i + 1)))?;
        }
        match self {
            Restore::Postgres(tx) => {
                // COPY: several times faster than INSERT for a whole database.
                let names: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
                let sql = format!(
                    "COPY {} ({}) FROM STDIN WITH (FORMAT csv)",
                    table.name,
                    names.join(", ")
                );
                let mut copy = tx.copy_in_raw(&sql).await?;
                copy.send(csv(table, rows).into_bytes()).await?;
                copy.finish().await?;
            }
            Restore::Sqlite(tx) => {
                for chunk in rows.chunks(BATCH) {
                    let mut q = sqlx::query(AssertSqlSafe(insert_sql(table, chunk.len())));
                    for row in chunk {
                        for (c, kind) in table.columns {
                            q = bind_value!(q, *kind, &row[*c]);
                        }
                    }
                    q.execute(&mut **tx).await?;
                }
            }
        }
        Ok(())
    }

    /// Sets PostgreSQL's sequences past the imported rows, and commits.
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Restore::Sqlite(tx) => tx.commit().await?,
            Restore::Postgres(mut tx) => {
                for t in TABLES {
                    if let Some(c) = t.serial {
                        let sql = format!(
                            "SELECT setval(pg_get_serial_sequence('{0}', '{c}'), \
                             (SELECT COALESCE(MAX({c}), 0) + 1 FROM {0}), false)",
                            t.name
                        );
                        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?
            }
        }
        Ok(())
    }
}

/// Rows as CSV for PostgreSQL's COPY: every value quoted (quotes
/// doubled), a null as nothing at all, JSON as its text.
fn csv(table: &Table, rows: &[Map<String, Value>]) -> String {
    let mut out = String::new();
    for row in rows {
        for (i, (c, kind)) in table.columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let text = match (kind, &row[*c]) {
                (Kind::Doc, v) => v.to_string(),
                (_, Value::Null) => continue,
                (Kind::Text | Kind::Id, Value::String(s)) => s.clone(),
                (_, other) => other.to_string(),
            };
            out.push('"');
            out.push_str(&text.replace('"', "\"\""));
            out.push('"');
        }
        out.push('\n');
    }
    out
}

/// `INSERT INTO t (…) VALUES (…), …` for `rows` rows (SQLite).
fn insert_sql(table: &Table, rows: usize) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let mut n = 0;
    let tuples: Vec<String> = (0..rows)
        .map(|_| {
            let values: Vec<String> = table
                .columns
                .iter()
                .map(|_| {
                    n += 1;
                    format!("${n}")
                })
                .collect();
            format!("({})", values.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        names.join(", "),
        tuples.join(", ")
    )
}

/// Every column present, each value of its kind (or null).
fn check(table: &Table, row: &Map<String, Value>) -> Result<(), String> {
    if row.len() != table.columns.len() {
        return Err(format!(
            "has {} values, not {}",
            row.len(),
            table.columns.len()
        ));
    }
    for (c, kind) in table.columns {
        let v = row.get(*c).ok_or_else(|| format!("has no `{c}`"))?;
        let ok = match (kind, v) {
            (_, Value::Null) | (Kind::Json | Kind::Doc, _) => true,
            (Kind::Text | Kind::Id, v) => v.is_string(),
            (Kind::Int, v) => v.is_i64(),
            (Kind::Bool, v) => v.is_boolean(),
        };
        if !ok {
            return Err(format!("`{c}` is not {kind:?}"));
        }
    }
    Ok(())
}

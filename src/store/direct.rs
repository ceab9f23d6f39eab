//! SQLite reads on the calling thread.
//!
//! sqlx runs each SQLite connection on a worker thread of its own: every
//! statement is a message to that thread and its answer a message back, two
//! wake-ups of a sleeping thread per query. A cache miss of the public API
//! is one indexed read of tens of microseconds, and those wake-ups cost it
//! more than the read (a profile of uncached pages showed a third of the
//! CPU in the scheduler). Reads outside a transaction therefore run here,
//! on the request's own thread, on connections of their own; writes and
//! their transactions stay on sqlx's pool.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row, params_from_iter};

use super::StoreResult;
use super::sql::{Arg, Sql};

/// How many idle connections are kept: one per thread that reads at once
/// (the runtime's workers), with room to spare.
const KEEP_IDLE: usize = 16;

/// Read-only connections to one SQLite file, opened as needed.
pub struct DirectReads {
    path: PathBuf,
    mmap_bytes: u64,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for DirectReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReads")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Arg::Text(v) => v.to_sql(),
            Arg::Int(v) => v.to_sql(),
            Arg::Float(v) => v.to_sql(),
            Arg::Bool(v) => v.to_sql(),
            Arg::LogId(v) => Ok(match super::log_id::packed(v) {
                Some(bytes) => rusqlite::types::ToSqlOutput::Owned(bytes.to_vec().into()),
                None => v.to_sql()?,
            }),
        }
    }
}

/// Column `i`, a JSON document stored as text, parsed.
pub fn json_text<T: serde::de::DeserializeOwned>(
    r: &Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<T>> {
    let Some(text) = r.get_ref(i)?.as_str_or_null()? else {
        return Ok(None);
    };
    serde_json::from_str(text).map(Some).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl DirectReads {
    /// Reads of the database file at `path` (which sqlx has created and
    /// migrated), each connection mapping `mmap_bytes` of it as sqlx's do.
    pub fn new(path: &Path, mmap_bytes: u64) -> DirectReads {
        DirectReads {
            path: path.to_path_buf(),
            mmap_bytes,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // As the pool's connections (see `Db::connect`): a small page cache
        // of inner b-tree pages, leaves from the kernel's page cache.
        conn.execute_batch(&format!(
            "PRAGMA query_only = 1; PRAGMA cache_size = -512; PRAGMA mmap_size = {};",
            self.mmap_bytes
        ))?;
        Ok(conn)
    }

    /// Runs `f` on an idle connection (or a new one), then keeps it for the
    /// next read unless it failed.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => self.open()?,
        };
        let out = f(&conn)?;
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < KEEP_IDLE {
            idle.push(conn);
        }
        Ok(out)
    }

    /// The rows `sql` selects, each made by `row`.
    pub fn rows<T>(
        &self,
        sql: &Sql,
        mut row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Vec<T>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&sql.text)?;
            let mut rows = stmt.query(params_from_iter(&sql.args))?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(row(r)?);
            }
            Ok(out)
        })
    }

    /// The one integer `sql` selects.
    pub fn scalar(&self, sql: &Sql) -> StoreResult<i64> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&sql.text)?;
            stmt.query_row(params_from_iter(&sql.args), |r| r.get(0))
        })
    }

    /// Closes the idle connections (the pool is closing).
    pub fn close(&self) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

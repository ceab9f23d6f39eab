//! The only place that speaks SQL. One [`Db`] over SQLite or PostgreSQL; every
//! query is written once in the portable subset both understand, and the few
//! dialect differences live in [`sql::Dialect`].

pub mod assets;
pub mod audit;
pub mod changes;
#[macro_use]
mod field_rewrites;
pub mod content_types;
pub mod direct;
pub mod dump;
pub mod entries;
pub mod field_indexes;
pub mod leases;
pub mod log_id;
pub mod logins;
pub mod sql;
pub mod tokens;
pub mod users;
pub mod wake;
pub mod webhooks;
mod write_tx;

pub(crate) use write_tx::WritePool;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgPool, SqlitePool};

use crate::config::{Config, DatabaseKind};
use crate::model::FieldError;
use sql::Dialect;

/// A connection pool to one of the two supported databases. A SQLite file
/// also has reads that skip the pool's worker threads ([`direct`]); an
/// in-memory database has only the pool.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, Option<Arc<direct::DirectReads>>),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool `$db` holds. The body is
/// compiled once per database, so one piece of code serves both.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool, _) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Names the PostgreSQL database `pool` connects to, for what a process
/// keeps once per database (the feed's horizon, its announcer).
fn database_key(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    )
}

/// Takes the change-feed lock where the database needs one; see
/// [`sql::Dialect::feed_lock`].
macro_rules! lock_feed {
    ($tx:expr, $dialect:expr) => {
        if let Some(lock) = $dialect.feed_lock() {
            sqlx::query(lock).execute(&mut *$tx).await?;
        }
    };
}
pub(crate) use lock_feed;

/// Which rule a refused write would have broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    TypeExists,
    TypeHasEntries,
    TypeReferenced,
    FolderOwned,
    SingletonExists,
    NotASingleton,
    EmailTaken,
    LastAdmin,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("version {expected} is stale; the current version is {current}")]
    VersionConflict { expected: i64, current: i64 },
    #[error("a value that must be unique is taken")]
    Unique(Vec<FieldError>),
    #[error("{1}")]
    Conflict(Conflict, String),
    #[error("other entries point at this one")]
    Referenced(Vec<entries::Reference>),
    /// The entry exists, but not in this locale.
    #[error("the entry has no {0} translation")]
    TranslationMissing(String),
    #[error("the change would lose data")]
    DataLoss(Vec<FieldError>),
    #[error("the document is not valid")]
    Invalid(Vec<FieldError>),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A failed read of [`direct`].
    #[error("database error: {0}")]
    Direct(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Opens the pool the configuration names; creates a SQLite file if missing.
    pub async fn connect(config: &Config) -> StoreResult<Db> {
        match config.database_kind {
            DatabaseKind::Sqlite => {
                let options = SqliteConnectOptions::from_str(&config.database_url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // A mapping is counted in the process's resident memory
                    // once per connection; reading pages costs little more.
                    .pragma("mmap_size", config.sqlite_mmap_bytes.to_string())
                    // Each connection keeps its own page cache (2 MiB by
                    // default, 16 MiB over the pool once a benchmark has
                    // read every entry). The b-tree's inner pages fit in
                    // 512 KiB; leaves come from the kernel's page cache.
                    .pragma("cache_size", "-512");
                // An in-memory database lives inside sqlx's connections.
                let url = &config.database_url;
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let direct = (!in_memory).then(|| {
                    Arc::new(direct::DirectReads::new(
                        options.get_filename(),
                        config.sqlite_mmap_bytes,
                    ))
                });
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .min_connections(1)
                    // A file has no far end to have hung up; the ping this
                    // would send on every acquire is one more round trip to
                    // sqlx's SQLite worker thread per query.
                    .test_before_acquire(false)
                    .connect_with(options)
                    .await?;
                Ok(Db::Sqlite(pool, direct))
            }
            DatabaseKind::Postgres => {
                let options = PgConnectOptions::from_str(&config.database_url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    // A connection is tested before use only when it has sat
                    // idle: the ping is a round trip to the server, and
                    // under load every statement and transaction paid it.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= TEST_IDLE_AFTER {
                                conn.ping().await?;
                            }
                            Ok(true)
                        })
                    })
                    // Fail fast when the server is gone, so requests answer
                    // 503 at once instead of queueing behind an outage.
                    .acquire_timeout(Duration::from_secs(2))
                    .connect_with(options)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(..) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Applies every pending migration of this database's dialect.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(pool, _) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Taken by a node while it prepares the database (migrations,
    /// `content-types/`, the first admin), so nodes starting together on one
    /// PostgreSQL do it one after another: the first applies, the others
    /// find it done. SQLite serves one node, so there is nothing to take.
    pub async fn start_lock(&self) -> StoreResult<StartLock> {
        match self {
            Db::Sqlite(..) => Ok(StartLock(None)),
            Db::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(START_LOCK_KEY)
                    .execute(&mut *conn)
                    .await?;
                Ok(StartLock(Some(conn)))
            }
        }
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        if let Db::Sqlite(pool, direct) = self {
            if let Some(direct) = direct {
                direct.close();
            }
            write_tx::close_writers(pool).await;
        }
        on_pool!(self, pool => pool.close().await)
    }
}

/// The advisory lock key of [`Db::start_lock`].
const START_LOCK_KEY: i64 = 7_311_997;

/// How long a pooled PostgreSQL connection sits idle before it is tested
/// with a ping on its next use: one that served a moment ago is alive, and
/// one that broke since answers its statement with an error (a 503).
const TEST_IDLE_AFTER: Duration = Duration::from_secs(1);

/// Held while a node prepares the database; see [`Db::start_lock`].
pub struct StartLock(Option<sqlx::pool::PoolConnection<sqlx::Postgres>>);

impl StartLock {
    /// Lets the next node prepare.
    pub async fn release(mut self) -> StoreResult<()> {
        if let Some(mut conn) = self.0.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(START_LOCK_KEY)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

impl Drop for StartLock {
    /// On an error path the connection is closed rather than pooled, which
    /// ends its session and so its lock.
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// How many connections a pool holds, and how many of them are idle.
#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

impl Db {
    pub fn pool_usage(&self) -> PoolUsage {
        on_pool!(self, pool => PoolUsage {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }
}

impl From<sqlx::Error> for StoreError {
    /// A unique violation that raced past a write's own check (two
    /// transactions checked before either inserted) becomes the conflict
    /// that check would have reported.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            // PostgreSQL names the constraint; SQLite names the column.
            let names = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
            if names.contains("content_types_pkey") || names.contains("content_types.api_id") {
                return StoreError::Conflict(
                    Conflict::TypeExists,
                    "a content type with this api id was just created".into(),
                );
            }
            if names.contains("users_email_key") || names.contains("users.email") {
                return StoreError::Conflict(
                    Conflict::EmailTaken,
                    "a user with this email was just created".into(),
                );
            }
        }
        StoreError::Database(e)
    }
}

impl StoreError {
    /// The database cannot be reached or will not take more work right now
    /// (a network fault, a full or closed pool, a server shutting down or
    /// refusing connections, a file locked by another process): worth a
    /// retry, and no fault of the request's.
    pub fn is_unavailable(&self) -> bool {
        if let StoreError::Direct(rusqlite::Error::SqliteFailure(e, _)) = self {
            return matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            );
        }
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => {
                // A FATAL error ends the connection: the server refused it
                // or is going away, whatever the code.
                if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    && matches!(
                        pg.severity(),
                        sqlx::postgres::PgSeverity::Fatal | sqlx::postgres::PgSeverity::Panic
                    )
                {
                    return true;
                }
                let code = db.code().unwrap_or_default();
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // Busy (5) or locked (6) past the busy timeout, in any
                    // of their extended forms (the low byte is the kind).
                    return code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
                }
                // PostgreSQL: connection exceptions (08…), too many
                // connections (53300), shutting down or starting (57P0…),
                // and a deadlock it broke by ending this transaction
                // (40P01: a delete that clears references crossing a write
                // that links to the deleted entry; the retry finds one of
                // them done).
                code.starts_with("08")
                    || code == "53300"
                    || code.starts_with("57P0")
                    || code == "40P01"
            }
            _ => false,
        }
    }
}

impl Db {
    /// Writes a consistent copy of a SQLite database to `path` while it
    /// keeps serving (`VACUUM INTO`: one read transaction, compacted, the
    /// write-ahead log folded in). `path` must not exist yet. PostgreSQL has
    /// `pg_dump` for this, so it answers `None`.
    pub async fn backup_sqlite(&self, path: &std::path::Path) -> StoreResult<Option<()>> {
        match self {
            Db::Sqlite(pool, _) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path.to_string_lossy().into_owned())
                    .execute(pool)
                    .await?;
                Ok(Some(()))
            }
            Db::Postgres(_) => Ok(None),
        }
    }
}

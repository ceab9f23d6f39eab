//! Write transactions, begun the way each database needs.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use sqlx::{PgPool, SqlitePool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A write transaction; on SQLite it also holds the file's writer turn
/// until it ends.
pub struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    _turn: Option<OwnedSemaphorePermit>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub async fn commit(self) -> sqlx::Result<()> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> sqlx::Result<()> {
        self.tx.rollback().await
    }
}

impl<DB: sqlx::Database> Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

pub(crate) trait WritePool {
    type Database: sqlx::Database;
    async fn begin_write(&self) -> sqlx::Result<WriteTx<Self::Database>>;
}

/// One writer turn per SQLite file in this process. SQLite admits one
/// writer at a time, and a connection that finds the lock taken sleeps in
/// the busy handler (1, 2, 5, 10 … ms) before it tries again: with 8
/// concurrent writers most of a write's time was that sleep (p99 820 ms).
/// Queued here, the next writer starts the moment the one before ends.
/// Other processes on the file still meet the busy timeout.
static SQLITE_WRITERS: LazyLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> =
    LazyLock::new(Default::default);

fn writer_turns(pool: &SqlitePool) -> Arc<Semaphore> {
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut writers = SQLITE_WRITERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    writers
        .entry(file)
        .or_insert_with(|| Arc::new(Semaphore::new(1)))
        .clone()
}

impl WritePool for SqlitePool {
    type Database = sqlx::Sqlite;
    /// SQLite takes its write lock up front (`BEGIN IMMEDIATE`), so a writer
    /// never fails upgrading a read lock.
    async fn begin_write(&self) -> sqlx::Result<WriteTx<sqlx::Sqlite>> {
        let turn = writer_turns(self)
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let tx = self.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx {
            tx,
            _turn: Some(turn),
        })
    }
}

impl WritePool for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<WriteTx<sqlx::Postgres>> {
        Ok(WriteTx {
            tx: self.begin().await?,
            _turn: None,
        })
    }
}

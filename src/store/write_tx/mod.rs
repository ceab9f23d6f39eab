//! Write transactions, begun the way each database needs.
//!
//! On SQLite, writers that queue behind one another share one transaction
//! (group commit): each write after the first runs in a savepoint of its
//! own, so it still lands whole or not at all with its revision,
//! change-feed row and audit row, and the writer that finds nobody queued behind it (or the group full)
//! commits for the group. Every writer answers only once the commit that
//! holds its write has happened. A write costs its statements plus a
//! share of one commit: committing alone was a third of a create's time
//! under the writer turn (0.56 of 1.84 ms, 8 concurrent writers).

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use sqlx::{AssertSqlSafe, PgPool, Postgres, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard, watch};

use super::sql::Dialect;

/// Writes one commit may hold: the first waits for the others' statements,
/// so this bounds the latency a group adds (about 1.3 ms a write).
const MAX_GROUP: usize = 8;

pub(crate) trait WritePool {
    type Tx;
    async fn begin_write(&self) -> sqlx::Result<Self::Tx>;
    /// A write transaction of entry `id` of type `ty`, holding what such a
    /// write holds to commit ([`Dialect::entry_lock`]).
    async fn begin_entry_write(&self, ty: &str, id: &str) -> sqlx::Result<Self::Tx>;
}

impl WritePool for PgPool {
    type Tx = Transaction<'static, Postgres>;
    /// PostgreSQL runs writers side by side; each has its own transaction.
    async fn begin_write(&self) -> sqlx::Result<Self::Tx> {
        self.begin().await
    }

    /// The locks go with `BEGIN` in one simple query where the values can
    /// be written into it: one round trip to the server where there were
    /// two.
    async fn begin_entry_write(&self, ty: &str, id: &str) -> sqlx::Result<Self::Tx> {
        if let Some(sql) = Dialect::Postgres.begin_entry_write(ty, id) {
            return self.begin_with(AssertSqlSafe(sql)).await;
        }
        let mut tx = self.begin().await?;
        if let Some(lock) = Dialect::Postgres.entry_lock() {
            sqlx::query(lock)
                .bind(ty)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }
}

impl WritePool for SqlitePool {
    type Tx = SqliteWriteTx;
    /// SQLite's one writer needs no lock of its own.
    async fn begin_entry_write(&self, _ty: &str, _id: &str) -> sqlx::Result<SqliteWriteTx> {
        self.begin_write().await
    }

    /// SQLite admits one writer at a time, and a connection that finds the
    /// lock taken sleeps in the busy handler (1, 2, 5, 10 … ms) before it
    /// tries again: with 8 concurrent writers most of a write's time was
    /// that sleep (p99 820 ms). Queued here, the next writer starts the
    /// moment the one before ends, in the same transaction when it is
    /// still open. Other processes on the file still meet the busy timeout.
    async fn begin_write(&self) -> sqlx::Result<SqliteWriteTx> {
        let writers = writers_of(self);
        let queued = Queued::new(&writers);
        let turn = writers.group.clone().lock_owned().await;
        queued.served();
        // Held by the write from here, so a request dropped while it
        // starts still leaves the transaction to be ended.
        let mut write = SqliteWriteTx {
            turn: Some(turn),
            writers,
        };
        let Some(turn) = write.turn.as_mut() else {
            unreachable!("the turn was just taken");
        };
        if let Err(e) = start_member(self, turn).await {
            // A transaction that could not take another write ends for
            // the writes it holds.
            end_group(turn).await;
            return Err(e);
        }
        Ok(write)
    }
}

/// Opens the group's transaction if none is open, rolls back what a
/// writer before left unfinished, and starts this write's savepoint.
async fn start_member(pool: &SqlitePool, turn: &mut Group) -> sqlx::Result<()> {
    let conn = match &mut turn.conn {
        Some(conn) => conn,
        slot @ None => slot.insert(pool.acquire().await?.detach()),
    };
    if turn
        .open
        .as_ref()
        .is_some_and(|open| open.in_write && !open.savepoint)
    {
        // The group's first write ended unfinished, and the transaction
        // holds nothing else.
        turn.open = None;
        rollback(conn).await?;
    }
    let open = match &mut turn.open {
        Some(open) => open,
        slot @ None => {
            begin(conn).await?;
            slot.insert(Open {
                members: 0,
                in_write: false,
                savepoint: false,
                write: 0,
                unreleased: None,
                outcome: watch::channel(None).0,
            })
        }
    };
    if open.in_write {
        undo_write(conn, open.write).await?;
        open.in_write = false;
    }
    // The first write of a group needs no savepoint: what undoes it is
    // the transaction's own rollback, with nothing else in it.
    open.savepoint = open.members > 0;
    // Marked before the savepoint is asked for: a request dropped while
    // it is being taken leaves it to be rolled back, or found missing.
    open.in_write = true;
    if open.savepoint {
        open.write += 1;
        // Releasing the write before rides along: one round trip to
        // SQLite's thread fewer a write. Taken first, so a request dropped
        // meanwhile leaves that savepoint open at worst, for the commit.
        let start = match open.unreleased.take() {
            Some(done) => format!("RELEASE w{done}; SAVEPOINT w{}", open.write),
            None => format!("SAVEPOINT w{}", open.write),
        };
        sqlx::raw_sql(AssertSqlSafe(start))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Takes the write lock up front, so a writer never fails upgrading a read
/// lock. A transaction still open is one whose lone write was dropped
/// while it committed, its writer never answered: it is rolled back.
async fn begin(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    match sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await {
        Err(sqlx::Error::Database(e)) if e.message().contains("within a transaction") => {
            rollback(conn).await?;
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(conn)
                .await
                .map(drop)
        }
        begun => begun.map(drop),
    }
}

/// Commits; a commit that fails is rolled back, so the connection is left
/// with no transaction open either way.
async fn commit(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    let committed = sqlx::raw_sql("COMMIT").execute(&mut *conn).await;
    if committed.is_err() {
        let _ = rollback(conn).await;
    }
    committed.map(drop)
}

/// Rolls the transaction back. One already gone (SQLite ends a transaction
/// itself on some errors) is no error.
async fn rollback(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    match sqlx::raw_sql("ROLLBACK").execute(conn).await {
        Err(sqlx::Error::Database(e)) if e.message().contains("no transaction is active") => Ok(()),
        done => done.map(drop),
    }
}

/// Rolls back write `n`'s savepoint. One already gone is no error: its
/// writer was dropped after the savepoint was released (the write is
/// whole and stays) or before it was taken (there is nothing to undo).
async fn undo_write(conn: &mut SqliteConnection, n: u64) -> sqlx::Result<()> {
    let undo = format!("ROLLBACK TO w{n}; RELEASE w{n}");
    match sqlx::raw_sql(AssertSqlSafe(undo)).execute(conn).await {
        Err(sqlx::Error::Database(e)) if e.message().starts_with("no such savepoint") => Ok(()),
        done => done.map(drop),
    }
}

/// The SQLite writers of one file in this process.
struct Writers {
    group: Arc<AsyncMutex<Group>>,
    /// Writers waiting for their turn: while there are some, a finished
    /// write leaves the transaction open for them.
    queued: AtomicUsize,
}

static SQLITE_WRITERS: LazyLock<Mutex<HashMap<PathBuf, Arc<Writers>>>> =
    LazyLock::new(Default::default);

fn writers_of(pool: &SqlitePool) -> Arc<Writers> {
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut writers = SQLITE_WRITERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    writers
        .entry(file)
        .or_insert_with(|| {
            Arc::new(Writers {
                group: Default::default(),
                queued: AtomicUsize::new(0),
            })
        })
        .clone()
}

/// Counts a writer as queued while it waits for its turn. One that gives
/// up waiting (its request was dropped) may have been who a finished
/// write left the transaction open for, so it makes sure the group ends.
struct Queued {
    writers: Arc<Writers>,
    served: bool,
}

impl Queued {
    fn new(writers: &Arc<Writers>) -> Self {
        writers.queued.fetch_add(1, Ordering::SeqCst);
        Queued {
            writers: writers.clone(),
            served: false,
        }
    }

    /// The writer has its turn.
    fn served(mut self) {
        self.served = true;
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        let last = self.writers.queued.fetch_sub(1, Ordering::SeqCst) == 1;
        if last && !self.served {
            finish_if_idle(&self.writers);
        }
    }
}

#[derive(Default)]
struct Group {
    /// The connection the file's writes run on, taken out of the pool by
    /// the first and kept: on one the pool handed out in turn, a write
    /// found the page cache stale (another connection had written last)
    /// and waited for one to start its transaction (0.25 ms on average
    /// under 8 writers, as long as a group's commit).
    conn: Option<SqliteConnection>,
    open: Option<Open>,
}

/// The transaction holding the writes of one group.
struct Open {
    /// Writes released into it, waiting for its commit.
    members: usize,
    /// A write's savepoint is open: when its writer ended without
    /// releasing or rolling it back, whoever comes next rolls it back.
    in_write: bool,
    /// The write in progress runs in a savepoint (it is not the first).
    savepoint: bool,
    /// The number of the latest write's savepoint (`w<n>`): each has its
    /// own name, so undoing one never reaches another's.
    write: u64,
    /// The savepoint of the last finished write, still open: the next
    /// write releases it as it takes its own, and the group's `COMMIT`
    /// whatever is left. A write nested in it undoes only itself.
    unreleased: Option<u64>,
    /// How the commit went, for the writes waiting on it.
    outcome: watch::Sender<Option<Result<(), String>>>,
}

/// Commits (or, holding no write, rolls back) a group's transaction and
/// tells its writers how that went.
async fn end_group(turn: &mut Group) {
    let (Some(open), Some(conn)) = (turn.open.take(), turn.conn.as_mut()) else {
        return;
    };
    let Open {
        members,
        in_write,
        savepoint,
        write,
        outcome,
        ..
    } = open;
    let ended = async {
        if in_write && savepoint {
            undo_write(conn, write).await?;
        }
        if members > 0 {
            commit(conn).await
        } else {
            rollback(conn).await
        }
    }
    .await
    .map_err(|e| e.to_string());
    if let Err(why) = &ended {
        tracing::error!(members, "a group of writes did not commit: {why}");
    }
    outcome.send_replace(Some(ended));
}

/// Ends the group in a task of its own (a commit must not stop halfway
/// because a request was dropped) unless a writer is queued to continue it.
fn finish_if_idle(writers: &Arc<Writers>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let writers = writers.clone();
    runtime.spawn(async move {
        let mut turn = writers.group.clone().lock_owned().await;
        if writers.queued.load(Ordering::SeqCst) == 0 {
            end_group(&mut turn).await;
        }
    });
}

/// Ends the group a file's writers hold open, if any, and closes their
/// connection; a later write takes another from the pool.
pub(crate) async fn close_writers(pool: &SqlitePool) {
    let writers = writers_of(pool);
    let mut turn = writers.group.clone().lock_owned().await;
    end_group(&mut turn).await;
    if let Some(conn) = turn.conn.take()
        && let Err(e) = sqlx::Connection::close(conn).await
    {
        tracing::warn!(error = %e, "the writers' connection did not close cleanly");
    }
}

/// One write's turn in the group's transaction, from its savepoint until
/// it commits or rolls back; dropped before either, its savepoint is
/// rolled back and the others' writes stay.
pub struct SqliteWriteTx {
    turn: Option<OwnedMutexGuard<Group>>,
    writers: Arc<Writers>,
}

fn group_failed(why: String) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(format!(
        "the transaction holding this write did not commit: {why}"
    )))
}

impl SqliteWriteTx {
    /// Keeps this write and answers once the transaction holding it has
    /// committed.
    pub async fn commit(mut self) -> sqlx::Result<()> {
        let (_, open) = self.parts();
        if open.savepoint {
            open.unreleased = Some(open.write);
        }
        open.in_write = false;
        open.members += 1;
        let alone = open.members == 1;
        let full = open.members >= MAX_GROUP;
        let mut outcome = open.outcome.subscribe();
        if alone && self.writers.queued.load(Ordering::SeqCst) == 0 {
            // Nobody else's write is in it or queued for it: an ordinary
            // commit, the turn held until it is done.
            self.group().open = None;
            return commit(self.conn()).await;
        }
        self.hand_over(full);
        match outcome.wait_for(Option::is_some).await {
            Ok(ended) => match ended.as_ref() {
                Some(Err(why)) => Err(group_failed(why.clone())),
                _ => Ok(()),
            },
            Err(_) => Err(group_failed("it ended without a commit".into())),
        }
    }

    /// Undoes this write; the group's other writes stay.
    pub async fn rollback(mut self) -> sqlx::Result<()> {
        let (conn, open) = self.parts();
        if !open.savepoint {
            // The group's first write: the transaction holds nothing else.
            self.group().open = None;
            return rollback(self.conn()).await;
        }
        undo_write(conn, open.write).await?;
        open.in_write = false;
        self.hand_over(false);
        Ok(())
    }

    /// Passes the turn to the next queued writer, or ends the group when
    /// it is full or nobody is queued. The commit runs in a task of its
    /// own, holding the turn until it is done so the next writer does not
    /// meet the file's lock, and finishing even if this request is dropped.
    fn hand_over(&mut self, full: bool) {
        let Some(mut turn) = self.turn.take() else {
            return;
        };
        if full || self.writers.queued.load(Ordering::SeqCst) == 0 {
            tokio::spawn(async move {
                end_group(&mut turn).await;
                drop(turn);
            });
        }
    }

    fn group(&mut self) -> &mut Group {
        match self.turn.as_mut() {
            Some(turn) => turn,
            None => unreachable!("a write holds its turn until it ends"),
        }
    }

    fn conn(&mut self) -> &mut SqliteConnection {
        match &mut self.group().conn {
            Some(conn) => conn,
            None => unreachable!("a write holds its connection until it ends"),
        }
    }

    /// The connection, and the transaction this write is in.
    fn parts(&mut self) -> (&mut SqliteConnection, &mut Open) {
        match self.group() {
            Group {
                conn: Some(conn),
                open: Some(open),
            } => (conn, open),
            _ => unreachable!("a write holds its transaction until it ends"),
        }
    }

    #[cfg(test)]
    fn open(&self) -> &Open {
        match self.turn.as_ref().and_then(|turn| turn.open.as_ref()) {
            Some(open) => open,
            None => unreachable!("a write holds its transaction until it ends"),
        }
    }
}

impl Drop for SqliteWriteTx {
    /// A write dropped before it ended is rolled back by whoever uses the
    /// transaction next: its savepoint, or, as the group's first write,
    /// the transaction, which holds nothing else.
    fn drop(&mut self) {
        let Some(turn) = self.turn.take() else {
            return;
        };
        drop(turn);
        if self.writers.queued.load(Ordering::SeqCst) == 0 {
            finish_if_idle(&self.writers);
        }
    }
}

impl Deref for SqliteWriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self.turn.as_ref().and_then(|turn| turn.conn.as_ref()) {
            Some(conn) => conn,
            None => unreachable!("a write holds its connection until it ends"),
        }
    }
}

impl DerefMut for SqliteWriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn()
    }
}

#[cfg(test)]
mod tests;

//! The group-commit cases of the SQLite writer turn, on real database files.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use super::*;

async fn file_pool(dir: &tempfile::TempDir) -> SqlitePool {
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (v TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

async fn insert(tx: &mut SqliteWriteTx, v: &str) {
    sqlx::query("INSERT INTO t (v) VALUES ($1)")
        .bind(v)
        .execute(&mut **tx)
        .await
        .unwrap();
}

async fn stored(pool: &SqlitePool) -> Vec<String> {
    sqlx::query_scalar("SELECT v FROM t ORDER BY v")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Waits until `n` writers are queued for the turn.
async fn queued(pool: &SqlitePool, n: usize) {
    let writers = writers_of(pool);
    while writers.queued.load(Ordering::SeqCst) != n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// How a queued writer ends its write.
#[derive(Clone, Copy)]
enum End {
    Commit,
    Rollback,
    /// Dropped halfway, as when its request is.
    Drop,
    /// Dropped after releasing its savepoint by hand, as when its
    /// request is dropped while that happens.
    ReleaseThenDrop,
}

/// Queues the writes `(value, end)` behind the write holding the turn,
/// each waiting until the one before is queued.
async fn queue_writes(
    pool: &SqlitePool,
    writes: &[(&'static str, End)],
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut queued_so_far = Vec::new();
    for &(v, end) in writes {
        let pool2 = pool.clone();
        queued_so_far.push(tokio::spawn(async move {
            let mut tx = pool2.begin_write().await.unwrap();
            insert(&mut tx, v).await;
            match end {
                End::Commit => tx.commit().await.unwrap(),
                End::Rollback => tx.rollback().await.unwrap(),
                End::Drop => drop(tx),
                End::ReleaseThenDrop => {
                    let release = format!("RELEASE w{}", tx.open().write);
                    sqlx::raw_sql(AssertSqlSafe(release))
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    drop(tx);
                }
            }
        }));
        queued(pool, queued_so_far.len()).await;
    }
    queued_so_far
}

/// Writes `a`, queues `writes` behind it, commits `a` (which answers
/// once the group has committed) and waits for them all.
async fn group_after_a(pool: &SqlitePool, writes: &[(&'static str, End)]) {
    let mut a = pool.begin_write().await.unwrap();
    insert(&mut a, "a").await;
    let queued = queue_writes(pool, writes).await;
    a.commit().await.unwrap();
    for w in queued {
        w.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_writes_share_a_commit_and_a_dropped_one_takes_nothing_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let pool = file_pool(&dir).await;
    // b, c and d queue behind a; b is dropped halfway, d after its
    // savepoint was released by hand.
    let writes = [
        ("b", End::Drop),
        ("c", End::Commit),
        ("d", End::ReleaseThenDrop),
    ];
    group_after_a(&pool, &writes).await;
    // a answered after the group's commit, so it is all there.
    assert_eq!(stored(&pool).await, ["a", "c", "d"]);
    // The file takes a lone write afterwards.
    let mut e = pool.begin_write().await.unwrap();
    insert(&mut e, "e").await;
    e.commit().await.unwrap();
    assert_eq!(stored(&pool).await, ["a", "c", "d", "e"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_write_leaves_the_group_and_a_lone_one_undoes_all() {
    let dir = tempfile::tempdir().unwrap();
    let pool = file_pool(&dir).await;
    let mut a = pool.begin_write().await.unwrap();
    insert(&mut a, "a").await;
    let b = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut tx = pool.begin_write().await.unwrap();
            insert(&mut tx, "b").await;
            tx.rollback().await.unwrap();
        })
    };
    queued(&pool, 1).await;
    let a_done = tokio::spawn(a.commit());
    b.await.unwrap();
    a_done.await.unwrap().unwrap();
    assert_eq!(stored(&pool).await, ["a"]);

    let mut lone = pool.begin_write().await.unwrap();
    insert(&mut lone, "x").await;
    lone.rollback().await.unwrap();
    let mut dropped = pool.begin_write().await.unwrap();
    insert(&mut dropped, "y").await;
    drop(dropped);
    assert_eq!(stored(&pool).await, ["a"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undoing_a_write_keeps_the_finished_one_whose_savepoint_it_is_in() {
    let dir = tempfile::tempdir().unwrap();
    let pool = file_pool(&dir).await;
    // b finishes (its savepoint left open), then c, nested in it, is
    // undone in both ways a write can be, then d finishes.
    let writes = [
        ("b", End::Commit),
        ("c1", End::Rollback),
        ("c2", End::Drop),
        ("d", End::Commit),
    ];
    group_after_a(&pool, &writes).await;
    assert_eq!(stored(&pool).await, ["a", "b", "d"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_one_after_another_write_on_one_connection() {
    let dir = tempfile::tempdir().unwrap();
    let pool = file_pool(&dir).await;
    // A temporary table exists on the connection that made it alone.
    let mut first = pool.begin_write().await.unwrap();
    sqlx::query("CREATE TEMP TABLE mark (v TEXT)")
        .execute(&mut *first)
        .await
        .unwrap();
    first.commit().await.unwrap();
    for _ in 0..3 {
        let mut w = pool.begin_write().await.unwrap();
        sqlx::query("INSERT INTO mark (v) VALUES ('x')")
            .execute(&mut *w)
            .await
            .unwrap();
        w.commit().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_left_open_is_rolled_back_before_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let pool = file_pool(&dir).await;
    let mut a = pool.begin_write().await.unwrap();
    insert(&mut a, "a").await;
    // As when a lone write's request is dropped while its commit is on
    // its way: the group is gone, its transaction still open.
    a.group().open = None;
    drop(a);
    let mut b = pool.begin_write().await.unwrap();
    insert(&mut b, "b").await;
    b.commit().await.unwrap();
    assert_eq!(stored(&pool).await, ["b"]);
}

//! Wakes the followers of the change feed that readers wait on (search
//! indexer, response cache, event streams) as soon as any node records a
//! change, instead of at their next poll. On PostgreSQL a write that
//! recorded changes has its node send `NOTIFY quire_changes` after it
//! commits ([`recorded`]), and each node keeps one `LISTEN` connection.
//! Waking is only a hint: every follower still reads the feed from its own
//! position, so a notification lost with a broken connection (or with a
//! process that exits right after its write) costs at most one poll
//! interval, never a change. SQLite has no notifications (and one node):
//! its followers poll.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{mpsc, watch};

use super::Db;

/// The channel nodes announce their changes on, and listen to.
const CHANNEL: &str = "quire_changes";
/// The wait before a lost `LISTEN` connection is opened again.
const RECONNECT_WAIT: Duration = Duration::from_secs(1);
/// How long a database's announcer waits for more writes before it ends
/// (and lets go of its pool).
const ANNOUNCER_IDLE: Duration = Duration::from_secs(2);
/// The least time between two notifications of one node: followers take
/// changes in rounds at least 25 ms apart, so more would only cost the
/// database a statement each (one per write under a steady stream).
const ANNOUNCE_GAP: Duration = Duration::from_millis(10);

/// The announcer of each PostgreSQL database this process writes to.
static ANNOUNCERS: LazyLock<Mutex<HashMap<String, mpsc::Sender<()>>>> =
    LazyLock::new(Default::default);

fn announcers() -> std::sync::MutexGuard<'static, HashMap<String, mpsc::Sender<()>>> {
    ANNOUNCERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Call after committing a write that recorded changes. On PostgreSQL a
/// task of the database's own sends one `NOTIFY` for what was recorded
/// since its last: after the commit, so that committing writers do not
/// queue on the notification queue's lock through their commits (as a
/// `NOTIFY` inside the transaction makes them), and a burst of writes
/// sends a few notifications, not one each.
pub fn recorded(db: &Db) {
    let Db::Postgres(pool) = db else {
        return;
    };
    let key = super::database_key(pool);
    // Sent with the map locked, so an announcer ending (which it decides
    // with the map locked too) never leaves a write unannounced.
    let mut announcers = announcers();
    if let Some(tx) = announcers.get(&key) {
        match tx.try_send(()) {
            Ok(()) | Err(mpsc::error::TrySendError::Full(())) => return,
            Err(mpsc::error::TrySendError::Closed(())) => {}
        }
    }
    let (tx, rx) = mpsc::channel(1);
    let _ = tx.try_send(());
    announcers.insert(key.clone(), tx);
    tokio::spawn(announce(pool.clone(), key, rx));
}

/// Sends a notification for each wake-up it takes (those that come while
/// it sends or waits out [`ANNOUNCE_GAP`] make one), until none comes for
/// [`ANNOUNCER_IDLE`].
async fn announce(pool: PgPool, key: String, mut rx: mpsc::Receiver<()>) {
    loop {
        match tokio::time::timeout(ANNOUNCER_IDLE, rx.recv()).await {
            Ok(Some(())) => {
                if let Err(e) = sqlx::query("SELECT pg_notify($1, '')")
                    .bind(CHANNEL)
                    .execute(&pool)
                    .await
                {
                    tracing::warn!(error = %e, "cannot announce changes; other nodes will poll");
                }
                tokio::time::sleep(ANNOUNCE_GAP).await;
            }
            Ok(None) => return,
            Err(_) => {
                let mut announcers = announcers();
                if rx.is_empty() {
                    announcers.remove(&key);
                    return;
                }
            }
        }
    }
}

/// Counts the changes announced to this node; followers wait on it.
pub struct FeedWake {
    tx: watch::Sender<u64>,
}

impl FeedWake {
    pub fn new() -> Arc<FeedWake> {
        Arc::new(FeedWake {
            tx: watch::channel(0).0,
        })
    }

    /// Tells every follower that the feed may have grown.
    pub fn announce(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A follower's side: waits at most `interval`, less when woken, and
    /// at least `min_gap` between two rounds, so a stream of writes is taken
    /// in batches rather than one round per write.
    pub fn follower(&self, interval: Duration, min_gap: Duration) -> Follower {
        let mut rx = self.tx.subscribe();
        rx.mark_unchanged();
        Follower {
            rx: Some(rx),
            interval,
            min_gap,
            last: first_round_now(interval),
        }
    }
}

/// A last round as long ago as `interval`: the first round is at once.
fn first_round_now(interval: Duration) -> Instant {
    let now = Instant::now();
    now.checked_sub(interval).unwrap_or(now)
}

pub struct Follower {
    /// `None`: polling only.
    rx: Option<watch::Receiver<u64>>,
    interval: Duration,
    min_gap: Duration,
    last: Instant,
}

impl Follower {
    /// A follower that is never woken: a round every `interval`.
    pub fn polling(interval: Duration) -> Follower {
        Follower {
            rx: None,
            interval,
            min_gap: Duration::ZERO,
            last: first_round_now(interval),
        }
    }

    /// The least time between two rounds.
    pub fn min_gap(&self) -> Duration {
        self.min_gap
    }

    /// Changes the least time between two rounds, from the next one on.
    pub fn set_min_gap(&mut self, gap: Duration) {
        self.min_gap = gap;
    }

    /// Returns when the next round is due: `interval` after the last one,
    /// or once a change was announced (but not before `min_gap`).
    pub async fn next_round(&mut self) {
        let poll = tokio::time::sleep(self.interval.saturating_sub(self.last.elapsed()));
        match &mut self.rx {
            None => poll.await,
            Some(rx) => {
                tokio::select! {
                    _ = poll => {}
                    woken = rx.changed() => {
                        if woken.is_err() {
                            // No announcer left: polling alone.
                            tokio::time::sleep(self.interval.saturating_sub(self.last.elapsed())).await;
                        }
                    }
                }
                let since = self.last.elapsed();
                if since < self.min_gap {
                    tokio::time::sleep(self.min_gap - since).await;
                }
                // What was announced while waiting out the gap is taken by this round.
                rx.mark_unchanged();
            }
        }
        self.last = Instant::now();
    }
}

/// Relays the database's change notifications to `wake` for as long as the
/// task runs; does nothing on SQLite.
pub async fn listen(db: Db, wake: Arc<FeedWake>) {
    let Db::Postgres(pool) = db else {
        return;
    };
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "cannot listen for changes; polling");
                } else {
                    // Changes made while no connection listened are taken
                    // by the round this wakes.
                    wake.announce();
                    loop {
                        match listener.recv().await {
                            Ok(_) => wake.announce(),
                            Err(e) => {
                                tracing::warn!(error = %e, "change notifications lost; polling until they are back");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for changes; polling"),
        }
        tokio::time::sleep(RECONNECT_WAIT).await;
    }
}

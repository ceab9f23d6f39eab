//! Wakes the followers of the change feed that readers wait on (search
//! indexer, response cache, event streams) as soon as any node records a
//! change, instead of at their next poll. On PostgreSQL a trigger on `changes` sends
//! `NOTIFY quire_changes` at commit and each node keeps one `LISTEN`
//! connection. Waking is only a hint: every follower still reads the feed
//! from its own position, so a notification lost with a broken connection
//! costs at most one poll interval, never a change. SQLite has no
//! notifications (and one node): its followers poll.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::Db;

/// The channel the `changes` trigger notifies.
const CHANNEL: &str = "quire_changes";
/// The wait before a lost `LISTEN` connection is opened again.
const RECONNECT_WAIT: Duration = Duration::from_secs(1);

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

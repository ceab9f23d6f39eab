//! Public change events (`GET /api/events`): the change feed as live
//! pages want it. One follower per node reads the feed (so writes made on
//! other nodes come too) and fans each event out to every open stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::json;
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use crate::clock;
use crate::store::changes::Change;
use crate::store::wake::Follower;
use crate::store::{self, Db, StoreResult};

/// Events a slow stream may fall behind by before it is ended (the client
/// reconnects with `Last-Event-ID` and replays from the feed).
const BACKLOG: usize = 4096;
/// Changes read from the feed at a time.
const BATCH: i64 = 500;

/// One public change: a translation published (or its live copy changed),
/// unpublished, or deleted.
#[derive(Debug, Clone)]
pub struct PublicEvent {
    pub seq: i64,
    pub kind: &'static str,
    pub content_type: String,
    pub id: String,
    pub locale: Option<String>,
    pub at: i64,
}

impl PublicEvent {
    /// The public event a change makes, if any (draft saves make none).
    pub fn of(c: &Change) -> Option<PublicEvent> {
        if c.entity != "entry" {
            return None;
        }
        let kind = match c.action.as_str() {
            "publish" => "published",
            "unpublish" => "unpublished",
            "delete" => "deleted",
            // A deleted target taken out of a relation, live copy included.
            "nullify" => "changed",
            _ => return None,
        };
        Some(PublicEvent {
            seq: c.seq,
            kind,
            content_type: c.content_type.clone().unwrap_or_default(),
            id: c.entity_id.clone(),
            locale: c.locale.clone(),
            at: c.at,
        })
    }

    /// The event's `data` line.
    pub fn data(&self) -> String {
        json!({
            "type": self.content_type,
            "id": self.id,
            "locale": self.locale,
            "at": clock::format(self.at),
        })
        .to_string()
    }
}

/// Where open streams get their events, and how many may be open.
pub struct EventHub {
    tx: broadcast::Sender<Arc<PublicEvent>>,
    /// One permit per open stream.
    pub slots: Arc<Semaphore>,
    /// Cancelled at shutdown: every stream ends so the server can stop.
    pub closing: CancellationToken,
    /// The last change the follower has read.
    seen: AtomicI64,
}

impl EventHub {
    pub fn new(max_streams: usize) -> EventHub {
        EventHub {
            tx: broadcast::channel(BACKLOG).0,
            slots: Arc::new(Semaphore::new(max_streams)),
            closing: CancellationToken::new(),
            seen: AtomicI64::new(0),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<PublicEvent>> {
        self.tx.subscribe()
    }

    /// Reads the feed after what was read last and sends on its events.
    async fn step(&self, db: &Db) -> StoreResult<()> {
        loop {
            let from = self.seen.load(Ordering::Acquire);
            let changes = store::changes::since(db, from, BATCH).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                return Ok(());
            };
            for e in changes.iter().filter_map(PublicEvent::of) {
                // No stream open is not an error.
                let _ = self.tx.send(Arc::new(e));
            }
            self.seen.store(last, Ordering::Release);
            if (changes.len() as i64) < BATCH {
                return Ok(());
            }
        }
    }

    /// Follows the feed from its current end, a round at a time.
    pub async fn follow(self: Arc<Self>, db: Db, mut rounds: Follower) {
        match store::changes::last_seq(&db).await {
            Ok(seq) => self.seen.store(seq, Ordering::Release),
            Err(e) => tracing::warn!(error = %e, "events: cannot read the change feed"),
        }
        loop {
            rounds.next_round().await;
            if let Err(e) = self.step(&db).await {
                tracing::warn!(error = %e, "events: cannot read the change feed");
            }
        }
    }
}

/// The public events after `seq` in the feed, oldest first, at most `limit`
/// changes read: what a stream resumed with `Last-Event-ID` missed.
pub async fn since(db: &Db, seq: i64, limit: i64) -> StoreResult<(Vec<PublicEvent>, i64)> {
    let changes = store::changes::since(db, seq, limit).await?;
    let last = changes.last().map_or(seq, |c| c.seq);
    Ok((changes.iter().filter_map(PublicEvent::of).collect(), last))
}

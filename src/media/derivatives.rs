//! Stored transforms ("derivatives"), each computed once.
//!
//! A transform decodes the whole original, so the work is bounded three
//! ways: one computation per derived key (every request for it awaits that
//! one and shares its result), a few computations at once (one per core; a
//! short queue beyond that, then 503), and a cap on how many derivatives
//! one asset may have.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{BoxFuture, Shared};
use futures_util::{FutureExt, StreamExt};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::transform::{MAX_SOURCE_BYTES, Transform, TransformError};
use crate::store::assets::Asset;

/// Most derivatives one asset may have; the presets need a handful.
pub const MAX_PER_ASSET: usize = 32;
/// How long a request waits for a turn to compute before it is told to
/// come back.
const TURN_WAIT: Duration = Duration::from_secs(10);
/// Requests that may wait for a turn, per computing slot.
const QUEUE_PER_SLOT: usize = 8;

/// A stored derivative.
#[derive(Debug, Clone)]
pub struct Derived {
    pub key: Key,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub enum DeriveError {
    /// Not a raster image, or one its decoder cannot read.
    NotImage(String),
    /// Too large to decode within a transform's memory.
    TooLarge(String),
    /// Every computing slot is taken and the queue is full, or the wait ran out.
    Busy,
    /// The asset already has `MAX_PER_ASSET` derivatives.
    Limit,
    Storage(Arc<object_store::Error>),
}

impl From<object_store::Error> for DeriveError {
    fn from(e: object_store::Error) -> Self {
        DeriveError::Storage(Arc::new(e))
    }
}

/// One computation of a derived key, awaited by every request for it.
type Flight = Shared<BoxFuture<'static, Result<Derived, DeriveError>>>;

pub struct Derivatives {
    /// The computation under way for each derived key.
    in_flight: Mutex<HashMap<String, Flight>>,
    slots: Arc<Semaphore>,
    queued: AtomicUsize,
    queue_limit: usize,
    computed: Counter,
}

impl Derivatives {
    /// `slots` computations at once; `computed` counts each one made.
    pub fn new(slots: usize, computed: Counter) -> Derivatives {
        let slots = slots.max(1);
        Derivatives {
            in_flight: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(slots)),
            queued: AtomicUsize::new(0),
            queue_limit: slots * QUEUE_PER_SLOT,
            computed,
        }
    }

    /// The stored derivative of `asset` for `t`, computed now if missing.
    /// The computation runs as a task of its own, so a caller that goes
    /// away neither stops it half-way nor frees its slot early, and every
    /// caller for the same key awaits that one computation and its result.
    pub async fn get_or_make(
        self: &Arc<Self>,
        store: Arc<dyn ObjectStore>,
        asset: &Asset,
        t: &Transform,
    ) -> Result<Derived, DeriveError> {
        let raster = asset.mime_type.starts_with("image/") && asset.mime_type != "image/svg+xml";
        if !raster {
            return Err(DeriveError::NotImage(format!(
                "only raster images can be transformed; this asset is {}",
                asset.mime_type
            )));
        }
        let key = Key::from(t.key(&asset.id, &asset.mime_type));
        if let Some(found) = stored(store.as_ref(), &key).await? {
            return Ok(found);
        }
        if u64::try_from(asset.size).unwrap_or(u64::MAX) > MAX_SOURCE_BYTES {
            return Err(DeriveError::TooLarge(format!(
                "images above {MAX_SOURCE_BYTES} bytes are served as they are, not transformed"
            )));
        }
        let flight = {
            let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            match map.get(key.as_ref()) {
                Some(flight) => flight.clone(),
                None => {
                    let this = self.clone();
                    let name = key.to_string();
                    let (asset, t, done) = (asset.clone(), t.clone(), name.clone());
                    let task = tokio::spawn(async move {
                        let made = this.make(store.as_ref(), &asset, &t, key).await;
                        this.in_flight
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&done);
                        made
                    });
                    let flight: Flight = async move {
                        task.await.unwrap_or_else(|e| {
                            Err(DeriveError::NotImage(format!("the transform failed: {e}")))
                        })
                    }
                    .boxed()
                    .shared();
                    map.insert(name, flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    async fn make(
        &self,
        store: &dyn ObjectStore,
        asset: &Asset,
        t: &Transform,
        key: Key,
    ) -> Result<Derived, DeriveError> {
        // A computation that ended just before this one began stored it.
        if let Some(found) = stored(store, &key).await? {
            return Ok(found);
        }
        if count(store, &asset.id).await? >= MAX_PER_ASSET {
            return Err(DeriveError::Limit);
        }
        let slot = self.turn().await?;
        let source = store
            .get(&Key::from(asset.object_key.clone()))
            .await?
            .bytes()
            .await?;
        let (t2, mime) = (t.clone(), asset.mime_type.clone());
        let out = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            t2.apply(&source, &mime)
        })
        .await
        .map_err(|e| DeriveError::NotImage(format!("the transform failed: {e}")))?
        .map_err(|e| match e {
            TransformError::NotImage(why) => DeriveError::NotImage(why),
            TransformError::TooLarge(why) => DeriveError::TooLarge(why),
        })?;
        self.computed.inc();
        let size = out.len() as u64;
        store.put(&key, out.into()).await?;
        Ok(Derived { key, size })
    }

    /// A computing slot, held until the decode is done.
    async fn turn(&self) -> Result<OwnedSemaphorePermit, DeriveError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.queue_limit {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(DeriveError::Busy);
        }
        // This runs in the computation's own task, which is never cancelled,
        // so the count always comes back down.
        let waited = tokio::time::timeout(TURN_WAIT, self.slots.clone().acquire_owned()).await;
        self.queued.fetch_sub(1, Ordering::SeqCst);
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(DeriveError::Busy),
        }
    }
}

async fn stored(store: &dyn ObjectStore, key: &Key) -> Result<Option<Derived>, DeriveError> {
    match store.head(key).await {
        Ok(meta) => Ok(Some(Derived {
            key: key.clone(),
            size: meta.size,
        })),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// How many derivatives an asset has, counting no further than the cap.
async fn count(store: &dyn ObjectStore, asset_id: &str) -> Result<usize, DeriveError> {
    let prefix = Key::from(format!("derived/{asset_id}"));
    let mut listed = store.list(Some(&prefix)).take(MAX_PER_ASSET);
    let mut n = 0;
    while let Some(meta) = listed.next().await {
        meta?;
        n += 1;
    }
    Ok(n)
}

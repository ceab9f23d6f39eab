//! The public response cache: rendered responses by URL, each stamped with
//! what it was made of, so a write makes stale only the answers that show
//! what it changed.
//!
//! Every write is an epoch. A response remembers the epoch it was computed
//! in and the keys it depends on (its type's lists, each entry and asset in
//! its body); a key remembers the epoch it last changed in. A response is
//! served while none of its keys changed after it was computed. Keys share
//! a fixed table of stripes, so the bookkeeping never grows: two keys on
//! one stripe only cost an extra miss.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use prometheus_client::metrics::counter::Counter;

/// Stripes of the key table: 512 KiB of epochs.
const STRIPES: usize = 1 << 16;
/// A response showing more entries and assets than this depends on every
/// write instead (a sync-sized page).
const MAX_DEPS: usize = 1024;
/// List totals kept.
const TOTALS: usize = 10_000;

/// A rendered public response: the body, its strong ETag, and what it
/// tells caches about itself.
#[derive(Clone)]
pub struct Cached {
    pub body: Bytes,
    pub etag: Arc<str>,
    pub meta: Arc<Meta>,
}

/// Header values of a cached response, kept as bytes so a hit shares them,
/// and its compressed forms, made on the first request that accepts one.
#[derive(Default)]
pub struct Meta {
    /// `Cache-Control`.
    pub cache_control: Bytes,
    /// `Last-Modified` as an HTTP date, with its Unix second.
    pub last_modified: Option<(i64, Bytes)>,
    /// `Surrogate-Key` (space-separated) and `Cache-Tag` (comma-separated):
    /// the type and every entry and asset in the body, for CDN purges.
    pub surrogate_keys: Option<Bytes>,
    pub cache_tags: Option<Bytes>,
    pub gzip: OnceLock<Bytes>,
    pub br: OnceLock<Bytes>,
}

/// What a cached response depends on: a write to any of these makes it stale.
#[derive(Debug, Default)]
pub struct Deps {
    keys: Vec<String>,
    /// Too many to follow one by one: any write makes it stale.
    any: bool,
}

impl Deps {
    /// The lists and every other answer about `content_type` as a whole.
    pub fn of_type(&mut self, content_type: &str) {
        self.push(format!("t:{content_type}"));
    }

    /// One entry (any translation) or asset, by id.
    pub fn of_item(&mut self, id: &str) {
        self.push(format!("i:{id}"));
    }

    /// How many keys are followed one by one.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && !self.any
    }

    fn push(&mut self, key: String) {
        if self.keys.len() >= MAX_DEPS {
            self.any = true;
        } else {
            self.keys.push(key);
        }
    }
}

/// A stored answer with the epoch it was computed in and the stripes of
/// the keys it depends on.
struct Stored<V> {
    value: V,
    epoch: u64,
    stripes: Box<[u32]>,
    /// Stale after any write at all.
    any: bool,
}

/// Public responses by URL (see the module's comment).
pub struct PublicCache {
    /// The epoch of the latest write.
    epoch: AtomicU64,
    /// The epoch of the latest write that made everything stale (a type's
    /// definition changed, or a change too wide to follow).
    all: AtomicU64,
    /// The epoch of the latest write of any kind, for responses that
    /// depend on too much to follow.
    any_write: AtomicU64,
    /// Per stripe of keys, the epoch of the latest write to one of them.
    stripes: Box<[AtomicU64]>,
    hasher: std::hash::RandomState,
    /// The last change-feed sequence this node has seen.
    pub(super) seen_seq: AtomicI64,
    entries: Option<quick_cache::sync::Cache<String, Arc<Stored<Cached>>, ByteWeight>>,
    /// The totals of public lists, by what they count: always kept (a few
    /// hundred bytes each), since counting is most of a page's cost.
    totals: quick_cache::sync::Cache<String, Arc<Stored<i64>>>,
    hits: Counter,
    misses: Counter,
    /// The URLs being computed now, each with the lock its computer holds.
    filling: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// One caller's turn to compute a URL; the next waiting caller's comes
/// when it is dropped.
pub struct Turn<'a> {
    cache: &'a PublicCache,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut filling = self.cache.filling.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the URL once no one else waits on this lock (the map's
        // copy, this turn's and its guard's are all that is left).
        if Arc::strong_count(&self.lock) <= 3
            && filling
                .get(&self.key)
                .is_some_and(|l| Arc::ptr_eq(l, &self.lock))
        {
            filling.remove(&self.key);
        }
    }
}

/// Weighs a cached response by its size, so the cache holds a byte budget
/// whatever the mix of single entries and long pages.
#[derive(Clone)]
pub struct ByteWeight;

impl quick_cache::Weighter<String, Arc<Stored<Cached>>> for ByteWeight {
    fn weight(&self, key: &String, value: &Arc<Stored<Cached>>) -> u64 {
        let c = &value.value;
        let keys = c.meta.surrogate_keys.as_ref().map_or(0, Bytes::len);
        // Compressed forms come later; JSON compresses to under a half.
        (key.len() + c.body.len() * 3 / 2 + c.etag.len() + keys * 2 + value.stripes.len() * 4 + 200)
            as u64
    }
}

impl PublicCache {
    /// A cache of at most `bytes` of responses; 0 disables it.
    pub fn new(bytes: u64) -> PublicCache {
        // The item estimate only sizes the hash table up front (~2 KiB a response).
        let estimated_items = usize::try_from(bytes / 2048)
            .unwrap_or(usize::MAX)
            .clamp(16, 1 << 20);
        PublicCache {
            epoch: AtomicU64::new(0),
            all: AtomicU64::new(0),
            any_write: AtomicU64::new(0),
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            hasher: std::hash::RandomState::new(),
            seen_seq: AtomicI64::new(0),
            entries: (bytes > 0).then(|| {
                quick_cache::sync::Cache::with_weighter(estimated_items, bytes, ByteWeight)
            }),
            totals: quick_cache::sync::Cache::new(TOTALS),
            hits: Counter::default(),
            misses: Counter::default(),
            filling: std::sync::Mutex::default(),
        }
    }

    /// Counts lookups into these counters (the server's metrics).
    pub fn counted(mut self, hits: Counter, misses: Counter) -> PublicCache {
        self.hits = hits;
        self.misses = misses;
        self
    }

    /// Bytes of responses held, as weighed for the budget.
    pub fn weight(&self) -> u64 {
        self.entries.as_ref().map_or(0, |e| e.weight())
    }

    /// Whether responses are kept at all.
    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The epoch to stamp a response with: read before computing it, so a
    /// write that lands while it is computed makes it stale.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    fn stripe(&self, key: &str) -> u32 {
        // The table's size is a power of two that fits in a u32.
        (self.hasher.hash_one(key) as usize & (STRIPES - 1)) as u32
    }

    /// Everything cached is stale: a definition changed.
    pub fn invalidate(&self) {
        let e = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        self.all.store(e, Ordering::SeqCst);
        self.any_write.store(e, Ordering::SeqCst);
        // Nothing cached can be served again: free it now rather than let
        // it fill the budget until evicted.
        if let Some(entries) = &self.entries {
            entries.clear();
        }
        self.totals.clear();
    }

    /// A write changed an entry or an asset: the answers showing it, and
    /// the lists of its type, are stale.
    pub fn touch(&self, content_type: Option<&str>, id: &str) {
        let e = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        let mut deps = Deps::default();
        deps.of_item(id);
        if let Some(t) = content_type {
            deps.of_type(t);
        }
        for key in &deps.keys {
            self.stripes[self.stripe(key) as usize].fetch_max(e, Ordering::SeqCst);
        }
        self.any_write.fetch_max(e, Ordering::SeqCst);
    }

    /// Counts a response computed because the cache did not have it.
    pub fn missed(&self) {
        if self.entries.is_some() {
            self.misses.inc();
        }
    }

    /// Waits for the turn to compute `key`: the first caller gets it at
    /// once, callers arriving while it computes wait for it to finish (and
    /// then find its answer in the cache, unless a write made it stale).
    /// So a write followed by many reads of a URL computes it once.
    pub async fn turn(&self, key: &str) -> Option<Turn<'_>> {
        self.entries.as_ref()?;
        let lock = {
            let mut filling = self.filling.lock().unwrap_or_else(|e| e.into_inner());
            filling.entry(key.to_string()).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        Some(Turn {
            cache: self,
            key: key.to_string(),
            lock,
            _guard: guard,
        })
    }

    /// The response stored for `key`, unless something it shows changed
    /// since it was computed; a hit is counted, a miss left to `missed`.
    pub fn peek(&self, key: &str) -> Option<Cached> {
        let found = self
            .entries
            .as_ref()?
            .get(key)
            .filter(|s| self.fresh(s))
            .map(|s| s.value.clone());
        if found.is_some() {
            self.hits.inc();
        }
        found
    }

    fn fresh<V>(&self, s: &Stored<V>) -> bool {
        self.all.load(Ordering::SeqCst) <= s.epoch
            && (!s.any || self.any_write.load(Ordering::SeqCst) <= s.epoch)
            && s.stripes
                .iter()
                .all(|&i| self.stripes[i as usize].load(Ordering::SeqCst) <= s.epoch)
    }

    /// Keeps `value` for `key`, computed in `epoch` from what `deps` names.
    pub fn insert(&self, key: String, value: Cached, epoch: u64, deps: &Deps) {
        if let Some(entries) = &self.entries {
            entries.insert(key, Arc::new(self.stamp(value, epoch, deps)));
        }
    }

    /// The total of the public list `key` names, while still true.
    pub fn total(&self, key: &str) -> Option<i64> {
        self.totals
            .get(key)
            .filter(|s| self.fresh(s))
            .map(|s| s.value)
    }

    /// Keeps a list's total, counted in `epoch` from what `deps` names.
    pub fn keep_total(&self, key: String, total: i64, epoch: u64, deps: &Deps) {
        self.totals
            .insert(key, Arc::new(self.stamp(total, epoch, deps)));
    }

    fn stamp<V>(&self, value: V, epoch: u64, deps: &Deps) -> Stored<V> {
        let mut stripes: Vec<u32> = deps.keys.iter().map(|k| self.stripe(k)).collect();
        stripes.sort_unstable();
        stripes.dedup();
        Stored {
            value,
            epoch,
            stripes: stripes.into_boxed_slice(),
            any: deps.any,
        }
    }
}

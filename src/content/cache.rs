//! The public response cache: rendered responses by URL, invalidated as a
//! whole by any write.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use prometheus_client::metrics::counter::Counter;

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

/// Public responses by URL, tagged with the generation they were computed
/// in. A write bumps the generation, so nothing stale is ever served: an old
/// response can only be found under an old generation, which no request asks
/// for any more, and LRU eviction clears it out.
pub struct PublicCache {
    generation: AtomicU64,
    /// The last change-feed sequence this node has seen.
    pub(super) seen_seq: AtomicI64,
    entries: Option<quick_cache::sync::Cache<(u64, String), Cached, ByteWeight>>,
    hits: Counter,
    misses: Counter,
}

/// Weighs a cached response by its size, so the cache holds a byte budget
/// whatever the mix of single entries and long pages.
#[derive(Clone)]
pub struct ByteWeight;

impl quick_cache::Weighter<(u64, String), Cached> for ByteWeight {
    fn weight(&self, key: &(u64, String), value: &Cached) -> u64 {
        let keys = value.meta.surrogate_keys.as_ref().map_or(0, Bytes::len);
        // Compressed forms come later; JSON compresses to under a half.
        (key.1.len() + value.body.len() * 3 / 2 + value.etag.len() + keys * 2 + 160) as u64
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
            generation: AtomicU64::new(0),
            seen_seq: AtomicI64::new(0),
            entries: (bytes > 0).then(|| {
                quick_cache::sync::Cache::with_weighter(estimated_items, bytes, ByteWeight)
            }),
            hits: Counter::default(),
            misses: Counter::default(),
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

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        // Answers of older generations can never be asked for again: drop
        // them now rather than let them fill the budget until evicted (a
        // soak with steady writes took RSS up by the cache's whole size).
        if let Some(entries) = &self.entries {
            entries.clear();
        }
    }

    pub fn get(&self, generation: u64, key: &str) -> Option<Cached> {
        let found = self.entries.as_ref()?.get(&(generation, key.to_string()));
        match found {
            Some(_) => self.hits.inc(),
            None => self.misses.inc(),
        };
        found
    }

    pub fn insert(&self, generation: u64, key: String, value: Cached) {
        if let Some(entries) = &self.entries {
            entries.insert((generation, key), value);
        }
    }
}

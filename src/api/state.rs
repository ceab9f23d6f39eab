//! What every handler shares: the database, the configuration, the content
//! types in memory, and the public response cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use prometheus_client::metrics::counter::Counter;

use crate::config::Config;
use crate::model::content_type::ContentType;
use crate::store::{self, Db, StoreResult};

/// The client's address: the socket's peer, or, when that peer is a
/// trusted proxy (`QUIRE_TRUSTED_PROXIES`), the nearest address in
/// `X-Forwarded-For` that is not one of ours. Addresses further left were
/// written by whoever sent the request and prove nothing.
pub fn client_ip(req: &poem::Request) -> Option<String> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip())?;
    let trusted = req
        .data::<AppState>()
        .map(|s| s.config.trusted_proxies.as_slice())
        .unwrap_or_default();
    Some(forwarded_client(peer, req.headers(), trusted).to_string())
}

fn forwarded_client(
    peer: std::net::IpAddr,
    headers: &poem::http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    client
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub types: Arc<TypeRegistry>,
    pub cache: Arc<PublicCache>,
    pub login_limiter: Arc<crate::auth::limiter::LoginLimiter>,
    pub search: Arc<crate::search::SearchIndex>,
    /// Where uploaded media lives.
    pub media: Arc<dyn object_store::ObjectStore>,
    /// Stored image transforms, computed once each and a few at a time.
    pub derivatives: Arc<crate::media::derivatives::Derivatives>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    pub async fn new(
        db: Db,
        config: Config,
        search: Arc<crate::search::SearchIndex>,
        media: Arc<dyn object_store::ObjectStore>,
    ) -> StoreResult<AppState> {
        let types = Arc::new(TypeRegistry::default());
        types.reload(&db).await?;
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let cache = Arc::new(
            PublicCache::new(config.public_cache_bytes)
                .counted(metrics.cache_hits.clone(), metrics.cache_misses.clone()),
        );
        cache
            .seen_seq
            .store(store::changes::last_seq(&db).await?, Ordering::Relaxed);
        let login_limiter = Arc::new(crate::auth::limiter::LoginLimiter::new(
            config.login_max_failures,
            std::time::Duration::from_secs(15 * 60),
        ));
        let derivatives = Arc::new(crate::media::derivatives::Derivatives::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
            metrics.media_transforms.clone(),
        ));
        Ok(AppState {
            db,
            config: Arc::new(config),
            types,
            cache,
            login_limiter,
            search,
            media,
            derivatives,
            metrics,
        })
    }

    /// What a metrics scrape reads from the server's parts.
    pub async fn metrics_snapshot(&self) -> crate::metrics::Snapshot {
        let pool = self.db.pool_usage();
        let mut snap = crate::metrics::Snapshot {
            cache_bytes: self.cache.weight(),
            db_connections: pool.size,
            db_idle: pool.idle,
            db_max: pool.max,
            ..Default::default()
        };
        let applied = self.search.applied_seq().ok();
        let head = store::changes::last_seq(&self.db).await.ok();
        if let (Some(applied), Some(head)) = (applied, head) {
            snap.search_lag_changes = (head - applied).max(0);
            if let Ok(Some(at)) = store::changes::oldest_after(&self.db, applied).await {
                snap.search_lag_seconds = (crate::clock::now() - at).max(0) as f64 / 1e6;
            }
        }
        snap
    }

    /// Call after every committed write: public responses may have changed.
    pub fn content_changed(&self) {
        self.cache.invalidate();
    }

    /// Follows the change feed, so that writes made by other Quire nodes on
    /// the same database reach this node's types and cache within a tick.
    pub async fn follow_changes(&self) -> StoreResult<()> {
        let seq = store::changes::last_seq(&self.db).await?;
        if self.cache.seen_seq.swap(seq, Ordering::Relaxed) != seq {
            self.types.reload(&self.db).await?;
            self.cache.invalidate();
        }
        Ok(())
    }
}

/// Content types by api id, read on every request and so kept in memory.
#[derive(Default)]
pub struct TypeRegistry {
    types: RwLock<HashMap<String, Arc<ContentType>>>,
}

impl TypeRegistry {
    pub fn get(&self, api_id: &str) -> Option<Arc<ContentType>> {
        // A poisoned lock only means a panic elsewhere; the map is still whole.
        let map = self.types.read().unwrap_or_else(|p| p.into_inner());
        map.get(api_id).cloned()
    }

    /// Every type, in api id order.
    pub fn all(&self) -> Vec<Arc<ContentType>> {
        let map = self.types.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = map.values().cloned().collect();
        all.sort_by(|a, b| a.api_id().cmp(b.api_id()));
        all
    }

    pub fn put(&self, ct: ContentType) {
        let mut map = self.types.write().unwrap_or_else(|p| p.into_inner());
        map.insert(ct.api_id().to_string(), Arc::new(ct));
    }

    pub fn remove(&self, api_id: &str) {
        let mut map = self.types.write().unwrap_or_else(|p| p.into_inner());
        map.remove(api_id);
    }

    pub async fn reload(&self, db: &Db) -> StoreResult<()> {
        let fresh: HashMap<_, _> = store::content_types::list(db)
            .await?
            .into_iter()
            .map(|t| {
                (
                    t.content_type.api_id().to_string(),
                    Arc::new(t.content_type),
                )
            })
            .collect();
        *self.types.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }
}

/// A rendered public response: the body and its strong ETag.
#[derive(Clone)]
pub struct Cached {
    pub body: Bytes,
    pub etag: Arc<str>,
}

/// Public responses by URL, tagged with the generation they were computed
/// in. A write bumps the generation, so nothing stale is ever served: an old
/// response can only be found under an old generation, which no request asks
/// for any more, and LRU eviction clears it out.
pub struct PublicCache {
    generation: AtomicU64,
    seen_seq: AtomicI64,
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
        (key.1.len() + value.body.len() + value.etag.len() + 64) as u64
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> poem::http::HeaderMap {
        let mut h = poem::http::HeaderMap::new();
        if let Ok(v) = poem::http::HeaderValue::from_str(xff) {
            h.insert("x-forwarded-for", v);
        }
        h
    }

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap_or_default()];
        let xff = headers("198.51.100.1, 203.0.113.7, 10.0.0.2");
        // A stranger's header is ignored.
        assert_eq!(
            forwarded_client(ip("192.0.2.9"), &xff, &trusted),
            ip("192.0.2.9")
        );
        // Through our proxies: the nearest address not ours; the forged
        // one further left does not count.
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &xff, &trusted),
            ip("203.0.113.7")
        );
        // No header: the proxy itself.
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &headers(""), &trusted),
            ip("10.0.0.1")
        );
    }
}

//! What every handler shares: the configuration, the content service (with
//! the database, the types in force and the public response cache), search,
//! media and the limits on costly work.

use std::sync::Arc;

use crate::config::Config;
use crate::content::Content;
use crate::content::cache::PublicCache;
use crate::content::registry::TypeRegistry;
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

/// What every handler is given: shared, so that handing it to a request
/// (poem clones its data into each one) is one reference count, not one
/// for each of the parts.
#[derive(Clone)]
pub struct AppState(Arc<Parts>);

impl std::ops::Deref for AppState {
    type Target = Parts;
    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// The server's parts.
pub struct Parts {
    /// Entry writes and everything else both APIs ask of Quire's content.
    pub content: Content,
    /// The content service's database, types and cache, for the handlers
    /// that read them directly.
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
    /// Public change events for `/api/events` streams.
    pub events: Arc<crate::content::events::EventHub>,
    /// Webhook definitions and deliveries.
    pub webhooks: crate::webhooks::Webhooks,
    /// What `/readyz` waits for.
    pub readiness: Arc<crate::api::health::Readiness>,
    /// Wakes the change-feed followers when a change is announced.
    pub wake: Arc<store::wake::FeedWake>,
}

impl AppState {
    pub async fn new(
        db: Db,
        config: Config,
        search: Arc<crate::search::SearchIndex>,
        media: Arc<dyn object_store::ObjectStore>,
    ) -> anyhow::Result<AppState> {
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let cache = PublicCache::new(config.public_cache_bytes)
            .counted(metrics.cache_hits.clone(), metrics.cache_misses.clone());
        let mut content = Content::open(db.clone(), cache)
            .await?
            .with_locales(config.locales.clone())
            .keeping_revisions(config.revisions_keep)
            .timed_by(config.clock.clone());
        if let Some(dir) = &config.content_types {
            // The files were read moments ago by the start; unreadable now
            // means no type is claimed.
            let files = crate::bootstrap::folder_owned(dir).unwrap_or_default();
            content = content.owned_by_folder(files);
        }
        let login_limiter = Arc::new(crate::auth::limiter::LoginLimiter::new(
            config.login_max_failures,
            std::time::Duration::from_secs(15 * 60),
        ));
        let derivatives = Arc::new(crate::media::derivatives::Derivatives::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
            metrics.media_transforms.clone(),
        ));
        let events = Arc::new(crate::content::events::EventHub::new(
            config.events_max_streams,
        ));
        let webhooks = crate::webhooks::Webhooks::new(
            content.clone(),
            config.webhooks.clone(),
            config.webhook_allow_private,
        )?;
        let readiness = Arc::new(crate::api::health::Readiness::new(
            store::changes::last_seq(&db).await?,
        ));
        Ok(AppState(Arc::new(Parts {
            readiness,
            wake: store::wake::FeedWake::new(),
            db,
            events,
            webhooks,
            config: Arc::new(config),
            types: content.types.clone(),
            cache: content.cache.clone(),
            content,
            login_limiter,
            search,
            media,
            derivatives,
            metrics,
        })))
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
        if let Some(head) = head {
            snap.cache_lag_changes = (head - self.content.followed_seq()).max(0);
        }
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
        self.content.changed();
    }

    /// Picks up what other nodes wrote (see [`Content::follow_changes`]).
    pub async fn follow_changes(&self) -> StoreResult<()> {
        self.content.follow_changes().await
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

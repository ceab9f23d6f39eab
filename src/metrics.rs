//! Prometheus metrics: requests by route and status with latency
//! histograms, the public cache, the search index's lag behind the change
//! feed, database connections and process memory.
//!
//! Counters are bumped where things happen; gauges that describe a state
//! (lag, pool, memory) are read when `/metrics` is scraped. Each server has
//! its own registry, so several servers in one process (the tests) never
//! mix their figures.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The media type of the exposition `render` writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

fn latency_histogram() -> Histogram {
    // 100 µs to ~3 s: cache hits land in the first buckets, uploads in the last.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0001, 2.5, 12,
    ))
}

/// What a scrape reads from the rest of the server.
#[derive(Debug, Default, Clone, Copy)]
pub struct Snapshot {
    pub cache_bytes: u64,
    pub cache_lag_changes: i64,
    pub search_lag_changes: i64,
    pub search_lag_seconds: f64,
    pub db_connections: u32,
    pub db_idle: u32,
    pub db_max: u32,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    pub media_transforms: Counter,
    pub populate_queries: Counter,
    pub pages_from_text: Counter,
    cache_bytes: Gauge,
    cache_lag_changes: Gauge,
    search_lag_changes: Gauge,
    search_lag_seconds: Gauge<f64, AtomicU64>,
    db_connections: Family<PoolLabels, Gauge>,
    db_max: Gauge,
    resident_memory: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("quire");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer a request, by route",
            Unit::Seconds,
            latency.clone(),
        );
        let cache_hits = Counter::default();
        registry.register(
            "public_cache_hits",
            "Public reads answered from the response cache",
            cache_hits.clone(),
        );
        let cache_misses = Counter::default();
        registry.register(
            "public_cache_misses",
            "Cacheable public reads that had to be rendered",
            cache_misses.clone(),
        );
        let media_transforms = Counter::default();
        registry.register(
            "media_transforms",
            "Image transforms computed (each is stored and computed once)",
            media_transforms.clone(),
        );
        let populate_queries = Counter::default();
        registry.register(
            "populate_queries",
            "Database queries made to embed related entries and assets (one per level of a populate, whatever the page size)",
            populate_queries.clone(),
        );
        let pages_from_text = Counter::default();
        registry.register(
            "public_pages_from_text",
            "Uncached public pages written from the entries' stored text, without parsing it into values",
            pages_from_text.clone(),
        );
        let cache_bytes = Gauge::default();
        registry.register_with_unit(
            "public_cache_size",
            "Bytes of rendered responses the public cache holds",
            Unit::Bytes,
            cache_bytes.clone(),
        );
        let cache_lag_changes = Gauge::default();
        registry.register(
            "public_cache_lag_changes",
            "Changes in the feed the public cache has not followed yet",
            cache_lag_changes.clone(),
        );
        let search_lag_changes = Gauge::default();
        registry.register(
            "search_lag_changes",
            "Changes in the feed the search index has not applied yet",
            search_lag_changes.clone(),
        );
        let search_lag_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "search_lag",
            "Age of the oldest change the search index has not applied yet",
            Unit::Seconds,
            search_lag_seconds.clone(),
        );
        let db_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_connections",
            "Database connections of the pool, by state (idle or in use)",
            db_connections.clone(),
        );
        let db_max = Gauge::default();
        registry.register(
            "db_connections_max",
            "Most connections the pool may open",
            db_max.clone(),
        );
        let resident_memory = Gauge::default();
        registry.register_with_unit(
            "process_resident_memory",
            "Resident memory of the process",
            Unit::Bytes,
            resident_memory.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            cache_hits,
            cache_misses,
            media_transforms,
            populate_queries,
            pages_from_text,
            cache_bytes,
            cache_lag_changes,
            search_lag_changes,
            search_lag_seconds,
            db_connections,
            db_max,
            resident_memory,
        }
    }

    /// Counts one answered request.
    pub fn observe(&self, route: &'static str, method: &'static str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(took.as_secs_f64());
    }

    /// The exposition, with the state gauges set from `now`.
    pub fn render(&self, now: Snapshot) -> String {
        self.cache_bytes
            .set(i64::try_from(now.cache_bytes).unwrap_or(i64::MAX));
        self.cache_lag_changes.set(now.cache_lag_changes);
        self.search_lag_changes.set(now.search_lag_changes);
        self.search_lag_seconds.set(now.search_lag_seconds);
        let in_use = now.db_connections.saturating_sub(now.db_idle);
        self.db_connections
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(now.db_idle));
        self.db_connections
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(in_use));
        self.db_max.set(i64::from(now.db_max));
        if let Some(rss) = resident_memory_bytes() {
            self.resident_memory
                .set(i64::try_from(rss).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Resident memory (`VmRSS` of `/proc/self/status`, the figure `ps` shows);
/// `None` where there is no procfs.
fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A route template for a request path, so labels stay few whatever the
/// paths: `/api/articles/hello` → `/api/{type}/{id}`.
pub fn route_of(path: &str) -> &'static str {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["healthz"] => "/healthz",
        ["readyz"] => "/readyz",
        ["api", "search"] => "/api/search",
        ["api", "openapi.json" | "types.ts" | "docs", ..] => "/api/docs",
        ["api", _] => "/api/{type}",
        ["api", _, _] => "/api/{type}/{id}",
        ["media", ..] => "/media/{id}/{filename}",
        ["admin", "api", rest @ ..] => admin_route(rest.first().copied()),
        ["admin", ..] | [] => "/admin",
        _ => "other",
    }
}

fn admin_route(first: Option<&str>) -> &'static str {
    match first {
        Some("auth") => "/admin/api/auth",
        Some("content-types") => "/admin/api/content-types",
        Some("entries") => "/admin/api/entries",
        Some("users") => "/admin/api/users",
        Some("tokens") => "/admin/api/tokens",
        Some("audit") => "/admin/api/audit",
        Some("search") => "/admin/api/search",
        Some("assets") => "/admin/api/assets",
        Some("openapi.json" | "docs") => "/admin/api/docs",
        _ => "/admin/api/other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_templates() {
        assert_eq!(route_of("/api/articles"), "/api/{type}");
        assert_eq!(route_of("/api/articles/hello-world"), "/api/{type}/{id}");
        assert_eq!(route_of("/api/search"), "/api/search");
        assert_eq!(route_of("/media/abc/x.png"), "/media/{id}/{filename}");
        assert_eq!(
            route_of("/admin/api/entries/articles/1/publish"),
            "/admin/api/entries"
        );
        assert_eq!(route_of("/admin/api/zzz"), "/admin/api/other");
        assert_eq!(route_of("/wp-login.php"), "other");
    }

    #[test]
    fn a_request_shows_in_the_exposition() {
        let m = Metrics::new();
        m.observe("/api/{type}", "GET", 200, Duration::from_millis(2));
        m.cache_hits.inc();
        let text = m.render(Snapshot {
            db_connections: 3,
            db_idle: 1,
            db_max: 8,
            ..Snapshot::default()
        });
        assert!(
            text.contains(
                r#"quire_http_requests_total{route="/api/{type}",method="GET",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains("quire_public_cache_hits_total 1"), "{text}");
        assert!(
            text.contains(r#"quire_db_connections{state="in_use"} 2"#),
            "{text}"
        );
        assert!(
            text.contains("quire_http_request_duration_seconds_bucket"),
            "{text}"
        );
    }
}

//! What operators see: request ids on every answer and Prometheus metrics
//! on a listener of their own.

use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, TestApp, db_tests};

async fn with_metrics(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| s.metrics_bind = Some("127.0.0.1:0".into())).await
}

pub async fn scrape(app: &TestApp) -> String {
    let addr = app.metrics_addr.expect("metrics listener");
    let res = app
        .client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    res.text().await.expect("exposition")
}

/// The value of one sample line, `name{labels} value`.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

/// Waits until this node's cache has followed the feed to its head: from
/// then on its follower makes nothing stale for the writes made so far (it
/// cannot tell its own from another node's, so it makes them stale again).
pub async fn followed(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sample(&scrape(app).await, "quire_public_cache_lag_changes") != Some(0.0) {
        assert!(
            std::time::Instant::now() < deadline,
            "the cache never followed the feed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn metrics_count_requests_cache_and_the_database(backend: Backend) {
    let app = with_metrics(backend).await;
    app.published_article("Counted").await;
    followed(&app).await;
    for _ in 0..3 {
        assert_eq!(app.public("/api/articles").await.status(), StatusCode::OK);
    }
    assert_eq!(
        app.public("/api/articles/nope").await.status(),
        StatusCode::NOT_FOUND
    );
    let text = scrape(&app).await;
    let ok = r#"quire_http_requests_total{route="/api/{type}",method="GET",status="200"}"#;
    assert_eq!(sample(&text, ok), Some(3.0), "{text}");
    let missing =
        r#"quire_http_requests_total{route="/api/{type}/{id}",method="GET",status="404"}"#;
    assert_eq!(sample(&text, missing), Some(1.0), "{text}");
    // The first read renders, the next two come from the cache.
    assert!(
        sample(&text, "quire_public_cache_hits_total").unwrap_or(0.0) >= 2.0,
        "{text}"
    );
    assert!(
        sample(&text, "quire_public_cache_misses_total").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "quire_public_cache_size_bytes").unwrap_or(0.0) > 0.0,
        "{text}"
    );
    assert!(
        sample(&text, "quire_db_connections_max").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "quire_process_resident_memory_bytes").unwrap_or(0.0) > 0.0,
        "{text}"
    );
    assert!(
        sample(&text, "quire_public_cache_lag_changes").is_some(),
        "{text}"
    );
    assert!(
        sample(&text, "quire_search_lag_changes").is_some(),
        "{text}"
    );
    assert!(
        text.contains(r#"quire_http_request_duration_seconds_bucket{le="#),
        "{text}"
    );
    // Never on the main port.
    assert_eq!(app.public("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_cache_and_the_database_sqlite() {
    metrics_count_requests_cache_and_the_database(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_cache_and_the_database_postgres() {
    metrics_count_requests_cache_and_the_database(Backend::Postgres).await;
}

db_tests! {
    async fn every_answer_carries_a_request_id(app) {
        let res = app.public("/api/articles").await;
        let id = res.headers()["x-request-id"].to_str().unwrap_or_default().to_string();
        assert_eq!(id.len(), 32, "a fresh id: {id}");
        let other = app.public("/api/articles").await;
        assert_ne!(other.headers()["x-request-id"], id.as_str(), "one id per request");

        let res = app.anon(Method::GET, "/api/nope").header("x-request-id", "edge-7f3a").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.headers()["x-request-id"], "edge-7f3a", "a client's id is kept, errors too");

        let res = app.anon(Method::GET, "/healthz").header("x-request-id", "bad id\t").send().await.unwrap();
        assert_ne!(res.headers()["x-request-id"], "bad id\t", "a malformed id is replaced");
    }
}

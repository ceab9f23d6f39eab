//! What a write makes stale in the public response cache: the answers that
//! show what it changed and the lists of its type, on this node at once and
//! on the others through the change feed, and nothing else.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};
use crate::operations::{followed, sample, scrape};

async fn with_metrics(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| s.metrics_bind = Some("127.0.0.1:0".into())).await
}

async fn hits(app: &TestApp) -> f64 {
    sample(&scrape(app).await, "quire_public_cache_hits_total").unwrap_or(0.0)
}

/// Reads `path` and says whether the cache answered it.
async fn read(app: &TestApp, base: &str, path: &str) -> (bool, Value) {
    let before = hits(app).await;
    let res = app
        .client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("read");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let body: Value = res.json().await.expect("json");
    (hits(app).await > before, body)
}

async fn published(app: &TestApp, content_type: &str, data: Value) -> String {
    let e = app.create_entry(content_type, data).await;
    let id = e["id"].as_str().expect("id").to_string();
    app.publish(content_type, &id).await;
    id
}

async fn retitle(app: &TestApp, id: &str, title: &str) {
    let current = app
        .admin_get(&format!("/admin/api/entries/articles/{id}"))
        .await;
    let version = current["version"].as_i64().expect("version");
    let res = app
        .patch("articles", id, json!({"title": title}), version)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.publish("articles", id).await;
}

async fn a_write_makes_stale_only_what_shows_it(backend: Backend) {
    let app = with_metrics(backend).await;
    let base = app.url("");
    let ada = published(&app, "authors", json!({"name": "Ada"})).await;
    let one = published(&app, "articles", json!({"title": "One", "author": ada})).await;
    let two = published(&app, "articles", json!({"title": "Two"})).await;
    let urls = [
        format!("/api/articles/{one}"),
        format!("/api/articles/{two}"),
        "/api/articles?sort=title".to_string(),
        format!("/api/authors/{ada}"),
        format!("/api/articles/{one}?populate=author"),
    ];
    followed(&app).await;
    for url in &urls {
        read(&app, &base, url).await;
        assert!(read(&app, &base, url).await.0, "{url} is cached once read");
    }

    retitle(&app, &two, "Two, edited").await;
    let (hit, body) = read(&app, &base, &urls[1]).await;
    assert!(!hit, "the edited entry is read again");
    assert_eq!(body["data"]["title"], "Two, edited");
    let (hit, body) = read(&app, &base, &urls[2]).await;
    assert!(!hit, "its type's lists are read again");
    assert!(body.to_string().contains("Two, edited"));
    assert!(
        read(&app, &base, &urls[0]).await.0,
        "another entry of the type stays cached"
    );
    assert!(
        read(&app, &base, &urls[3]).await.0,
        "another type's answers stay cached"
    );

    // A change to an embedded entry reaches the answers that embed it.
    let current = app
        .admin_get(&format!("/admin/api/entries/authors/{ada}"))
        .await;
    let version = current["version"].as_i64().expect("version");
    let res = app
        .patch("authors", &ada, json!({"name": "Ada Lovelace"}), version)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.publish("authors", &ada).await;
    let (hit, body) = read(&app, &base, &urls[4]).await;
    assert!(!hit);
    assert_eq!(body["data"]["author"]["name"], "Ada Lovelace");
    assert!(
        read(&app, &base, &urls[0]).await.0,
        "the entry without its author is unchanged"
    );

    // Unpublished: gone at once, not served from the cache.
    app.unpublish("articles", &one).await;
    let res = app.public(&urls[0]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, body) = read(&app, &base, &urls[2]).await;
    assert!(
        !body.to_string().contains(&one),
        "the list no longer shows it"
    );
}

/// Writes on another node reach this node's cache through the feed, just as
/// selectively.
async fn another_nodes_writes_make_stale_only_what_they_change(backend: Backend) {
    let app = with_metrics(backend).await;
    let mut config = app.config.clone();
    config.bind = "127.0.0.1:0".parse().expect("address");
    config.metrics_bind = None;
    let elsewhere = tempfile::tempdir().expect("temp dir");
    config.search_dir = Some(elsewhere.path().join("search"));
    let other = quire::app::start(config).await.expect("second node starts");
    let base = app.url("");
    let one = published(&app, "articles", json!({"title": "One"})).await;
    let two = published(&app, "articles", json!({"title": "Two"})).await;
    let ada = published(&app, "authors", json!({"name": "Ada"})).await;
    followed(&app).await;
    let urls = [
        format!("/api/articles/{one}"),
        format!("/api/articles/{two}"),
        format!("/api/authors/{ada}"),
    ];
    for url in &urls {
        read(&app, &base, url).await;
    }

    // Edited through the other node.
    let other_base = format!("http://{}", other.addr);
    let current = app
        .admin_get(&format!("/admin/api/entries/articles/{two}"))
        .await;
    let version = current["version"].as_i64().expect("version");
    let res = app
        .client
        .patch(format!("{other_base}/admin/api/entries/articles/{two}"))
        .bearer_auth(&app.token)
        .json(&json!({"data": {"title": "Two, elsewhere"}, "version": version}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .post(format!(
            "{other_base}/admin/api/entries/articles/{two}/publish"
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("publish");
    assert_eq!(res.status(), StatusCode::OK);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, body) = read(&app, &base, &urls[1]).await;
        if body["data"]["title"] == "Two, elsewhere" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the feed never reached this node"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        read(&app, &base, &urls[0]).await.0,
        "an entry it did not touch stays cached"
    );
    assert!(
        read(&app, &base, &urls[2]).await.0,
        "another type stays cached"
    );
    other.shutdown().await.expect("second node stops");
}

/// A hit answered before the router carries the same headers as the
/// answer that filled the cache.
async fn a_cache_hit_answers_like_the_full_path(backend: Backend) {
    let app = with_metrics(backend).await;
    let headers = |res: &reqwest::Response| {
        let mut h: Vec<(String, String)> = res
            .headers()
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "x-request-id" | "date"))
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        h.sort();
        h
    };
    let id = published(&app, "articles", json!({"title": "Same"})).await;
    followed(&app).await;
    let url = app.url(&format!("/api/articles/{id}"));
    let before = hits(&app).await;
    let first = app.client.get(&url).send().await.expect("miss");
    let between = hits(&app).await;
    let second = app.client.get(&url).send().await.expect("hit");
    assert_eq!(between, before, "the first read is a miss");
    assert!(hits(&app).await > between, "the second read is a hit");
    assert_eq!(headers(&first), headers(&second));
    assert!(second.headers().contains_key("x-request-id"));
    assert_eq!(second.headers()["x-content-type-options"], "nosniff");
    assert_eq!(first.bytes().await.ok(), second.bytes().await.ok());
    // A browser's cross-origin read still gets its CORS headers.
    let res = app
        .client
        .get(&url)
        .header("origin", "https://site.example")
        .send()
        .await
        .expect("cors");
    assert!(res.headers().contains_key("access-control-allow-origin"));
}

/// Many readers of a URL the cache lacks: one computes it, the others wait
/// for its answer.
async fn concurrent_misses_compute_once(backend: Backend) {
    let app = with_metrics(backend).await;
    let id = published(&app, "articles", json!({"title": "Popular"})).await;
    followed(&app).await;
    let url = app.url(&format!("/api/articles/{id}"));
    let misses = |text: String| sample(&text, "quire_public_cache_misses_total").unwrap_or(0.0);
    let before = misses(scrape(&app).await);
    let reads = (0..40).map(|_| app.client.get(&url).send());
    for res in futures_util::future::join_all(reads).await {
        assert_eq!(res.expect("read").status(), StatusCode::OK);
    }
    assert_eq!(misses(scrape(&app).await) - before, 1.0, "computed once");
}

macro_rules! both {
    ($($name:ident),*) => {
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Postgres).await; })*
        }
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Sqlite).await; })*
        }
    };
}

both!(
    a_write_makes_stale_only_what_shows_it,
    another_nodes_writes_make_stale_only_what_they_change,
    a_cache_hit_answers_like_the_full_path,
    concurrent_misses_compute_once
);

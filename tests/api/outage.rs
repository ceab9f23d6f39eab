//! A PostgreSQL outage: uncached requests answer 503 problems at once,
//! cached public reads go on, readiness says so, and service resumes by
//! itself when the database is back.

use std::time::Duration;

use reqwest::{StatusCode, header};

use crate::helpers::{Backend, TestApp, problem};
use crate::operations::followed;

/// Runs one statement as the suite's PostgreSQL superuser.
async fn as_superuser(sql: String) {
    use sqlx::Connection;
    let url = std::env::var("QUIRE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("superuser connection");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("statement");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_a_503_and_service_resumes() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        s.metrics_bind = Some("127.0.0.1:0".into())
    })
    .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    app.published_article("Kept in the cache").await;
    // Once the node's follower has passed its own write, it makes the
    // page cached below stale no more.
    followed(&app).await;
    let res = client
        .get(app.url("/api/articles"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK, "a cached page");

    let name = app
        .config
        .database_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    as_superuser(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).await;
    as_superuser(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;

    let res = client
        .get(app.url("/api/articles?limit=3"))
        .send()
        .await
        .expect("no hang");
    let status = res.status();
    let retry = res.headers().contains_key(header::RETRY_AFTER);
    let text = res.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert!(retry, "Retry-After");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(body["code"], "unavailable");
    let res = client
        .get(app.url("/admin/api/entries/articles"))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("no hang");
    problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    let res = client
        .get(app.url("/api/articles"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK, "cached reads go on");
    let res = client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    as_superuser(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await;
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = client
            .get(app.url("/api/articles?limit=3"))
            .send()
            .await
            .expect("request")
            .status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK, "service resumes by itself");
}

/// Another process holds SQLite's write lock: writes wait out the busy
/// timeout, then answer 503 with `Retry-After`; reads go on; once the lock
/// is let go, writes succeed and the file is sound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_file_is_a_503_then_writes_resume() {
    use sqlx::Connection;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut holder = sqlx::SqliteConnection::connect(&app.config.database_url)
        .await
        .expect("second connection");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut holder)
        .await
        .expect("take the write lock");

    let res = app
        .try_create(
            "articles",
            serde_json::json!({"title": "Waits for the lock"}),
        )
        .await;
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let p = problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(p["code"], "unavailable");
    assert_eq!(
        app.public("/api/articles").await.status(),
        StatusCode::OK,
        "reads go on"
    );

    sqlx::query("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("let go");
    let res = app
        .try_create("articles", serde_json::json!({"title": "After the lock"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut holder)
        .await
        .expect("integrity check");
    assert_eq!(check, "ok");
}

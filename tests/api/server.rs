//! The process: probes, restarts, limits, and content types as code.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, db_tests, problem};

db_tests! {
    async fn health_and_readiness_answer(app) {
        assert_eq!(app.public("/healthz").await.status(), StatusCode::OK);
        assert_eq!(app.public("/readyz").await.status(), StatusCode::OK);
    }

    async fn data_survives_a_restart(app) {
        let id = app.published_article("Durable").await;
        let draft = app.create_entry("articles", json!({"title": "Still a draft"})).await;
        let app = app.restart().await;
        let body: Value = app.public(&format!("/api/articles/{id}")).await.json().await.unwrap();
        assert_eq!(body["data"]["title"], "Durable");
        // The session survives too, and so does the draft.
        let res = app.admin(Method::GET, &format!("/admin/api/entries/articles/{}", draft["id"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        // Content types from files are not re-applied as changes.
        let t: Value = app.admin(Method::GET, "/admin/api/content-types/articles").send().await.unwrap().json().await.unwrap();
        assert_eq!(t["schema_version"], 1);
    }
}

/// A content-types folder whose file is changed between two starts.
fn write_type(dir: &std::path::Path, fields: Value) {
    let def = json!({"api_id": "notes", "name": "Note", "fields": fields});
    std::fs::write(dir.join("notes.json"), def.to_string()).unwrap();
}

async fn content_types_as_code(backend: Backend) {
    let types = tempfile::tempdir().unwrap();
    let dir = types.path().to_path_buf();
    write_type(
        &dir,
        json!([{"name": "text", "type": "string"}, {"name": "mood", "type": "string"}]),
    );
    let app = TestApp::spawn_with(backend, |s| s.content_types = Some(dir.clone())).await;
    app.create_entry("notes", json!({"text": "hi", "mood": "glad"}))
        .await;

    // An added field is applied at the next start.
    write_type(
        &dir,
        json!([{"name": "text", "type": "string"}, {"name": "mood", "type": "string"}, {"name": "pinned", "type": "boolean"}]),
    );
    let app = app.restart().await;
    let t: Value = app
        .admin(Method::GET, "/admin/api/content-types/notes")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["schema_version"], 2);

    // A removed field that holds data stops the start with a clear message.
    write_type(&dir, json!([{"name": "text", "type": "string"}]));
    let err = match quire::app::start(app.config.clone()).await {
        Ok(_) => panic!("a lossy content-types change must not start"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("mood") && err.contains("nothing was changed"),
        "{err}"
    );
    let t: Value = app
        .admin(Method::GET, "/admin/api/content-types/notes")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["schema_version"], 2, "nothing applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_types_as_code_sqlite() {
    content_types_as_code(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_types_as_code_postgres() {
    content_types_as_code(Backend::Postgres).await;
}

async fn body_limits(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.max_body_bytes = Some(4096)).await;
    let res = app
        .try_create("articles", json!({"title": "x".repeat(5000)}))
        .await;
    let p = problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(p["code"], "payload_too_large");

    // A chunked body announces no length; it is cut off at the limit all the same.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let chunk = "x".repeat(3000);
    let head = format!(
        "POST /admin/api/entries/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.token
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..2 {
        let _ = conn
            .write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())
            .await;
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut reply = String::new();
    let _ = conn.read_to_string(&mut reply).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    let list: Value = app
        .admin(Method::GET, "/admin/api/entries/articles")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limits_sqlite() {
    body_limits(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limits_postgres() {
    body_limits(Backend::Postgres).await;
}

#[tokio::test]
async fn a_bad_setting_is_refused_with_its_name() {
    let err = quire::config::Config::resolve(quire::config::Settings {
        database_url: Some("mysql://x".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("QUIRE_DATABASE_URL"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_closed_and_bounded_in_number() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.idle_timeout_secs = Some(1);
        s.max_connections = Some(2);
    })
    .await;
    // The two connections allowed: one says nothing, one half a header.
    let mut silent = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut half = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: quire\r\n")
        .await
        .unwrap();

    // A third client waits for a slot, and gets one when the idle ones are
    // closed: it is answered, not refused, and nothing hangs.
    let res = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("answered once a slot is free");
    assert_eq!(res.status(), StatusCode::OK);

    let mut buf = [0u8; 64];
    for conn in [&mut silent, &mut half] {
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read(&mut buf))
            .await
            .expect("closed by the server, not left open");
        assert_eq!(
            read.unwrap_or(0),
            0,
            "the server closed it without a response"
        );
    }
}

//! `quire export` and `quire import`: SQLite → PostgreSQL → SQLite keeps
//! every byte, and a server on the copy serves what the first one did.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cli::quire;
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, fresh_postgres};
use crate::media::{png, upload};

/// Runs `quire <args>` against a database and media folder; answers stdout.
fn run(args: &[&str], database_url: &str, data_dir: &Path, media: &Path) -> String {
    let out = quire()
        .args(args)
        .args(["--database-url", database_url])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--media-url")
        .arg(format!("file://{}", media.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "quire {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file under `dir` by its relative path, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// A server on an imported copy, signed in with the admin's password as
/// the export carried it.
struct Copy {
    running: quire::app::Running,
    base: String,
    client: reqwest::Client,
    token: String,
}

impl Copy {
    async fn start(app: &TestApp, database_url: String, media: &Path) -> Copy {
        let mut config = app.config.clone();
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.database_url = database_url;
        config.media_url = format!("file://{}", media.display());
        config.search_dir = None;
        config.content_types = None;
        config.admin = None;
        let running = quire::app::start(config)
            .await
            .expect("a server on the copy");
        let base = format!("http://{}", running.addr);
        let client = reqwest::Client::new();
        let login: Value = client
            .post(format!("{base}/admin/api/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"]
            .as_str()
            .expect("signed in with the old password")
            .to_string();
        Copy {
            running,
            base,
            client,
            token,
        }
    }

    /// An admin API answer's body.
    async fn get(&self, path: &str) -> Value {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_moves_between_the_two_databases_byte_for_byte() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Content of every kind: locales' translations, revisions, a live and a
    // working copy that differ, an asset with its file, a token, a webhook.
    let id = app.published_article("Moved intact").await;
    // Published and not edited since: its working copy is stored once.
    let unedited = app.published_article("Stored once").await;
    let res = app
        .patch(
            "articles",
            &id,
            json!({"summary": "Only in the draft", "title": "Moved intact — ünïcode"}),
            2,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let asset = upload(&app, png(8, 8), "dot.png").await;
    app.api_token("read", None).await;
    let res = app.admin(Method::POST, "/admin/api/webhooks")
        .json(&json!({"name": "site", "url": "https://93.184.216.34/hook", "events": ["entry.published"]}))
        .send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let before_entry = app
        .admin_get(&format!("/admin/api/entries/articles/{id}"))
        .await;
    let before_revisions = app
        .admin_get(&format!("/admin/api/entries/articles/{id}/revisions"))
        .await;
    let before_unedited = app
        .admin_get(&format!("/admin/api/entries/articles/{unedited}"))
        .await;

    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let media_dir = app
        .config
        .media_url
        .strip_prefix("file://")
        .map(PathBuf::from)
        .unwrap_or_else(|| app.config.data_dir.join("media"));
    let out = run(
        &["export", w.join("a").to_str().unwrap()],
        &app.config.database_url,
        &app.config.data_dir,
        &media_dir,
    );
    assert!(out.contains("exported"), "{out}");
    // Not over an export that is there already.
    let again = quire()
        .args([
            "export",
            w.join("a").to_str().unwrap(),
            "--database-url",
            &app.config.database_url,
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());

    let (pg_url, _pg) = fresh_postgres().await;
    run(
        &["import", w.join("a").to_str().unwrap()],
        &pg_url,
        &w.join("pg-data"),
        &w.join("pg-media"),
    );
    // A database that holds something is not imported into.
    let twice = quire()
        .args([
            "import",
            w.join("a").to_str().unwrap(),
            "--database-url",
            &pg_url,
        ])
        .arg("--data-dir")
        .arg(w.join("pg-data"))
        .output()
        .unwrap();
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("not empty"));
    run(
        &["export", w.join("b").to_str().unwrap()],
        &pg_url,
        &w.join("pg-data"),
        &w.join("pg-media"),
    );

    let sqlite_url = format!("sqlite://{}", w.join("copy.db").display());
    run(
        &["import", w.join("b").to_str().unwrap()],
        &sqlite_url,
        &w.join("copy-data"),
        &w.join("copy-media"),
    );
    run(
        &["export", w.join("c").to_str().unwrap()],
        &sqlite_url,
        &w.join("copy-data"),
        &w.join("copy-media"),
    );

    let (a, b, c) = (
        files(&w.join("a")),
        files(&w.join("b")),
        files(&w.join("c")),
    );
    assert!(
        a.contains_key(Path::new("entries.jsonl")) && a.len() > 10,
        "{:?}",
        a.keys()
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(
            b[path] == *bytes,
            "{} differs after SQLite → PostgreSQL",
            path.display()
        );
        assert!(
            c[path] == *bytes,
            "{} differs after PostgreSQL → SQLite",
            path.display()
        );
    }

    // A server on the final copy: same entry, same history, same file, and
    // the admin's password still works.
    let copy = Copy::start(&app, sqlite_url, &w.join("copy-media")).await;
    let entry = copy.get(&format!("/admin/api/entries/articles/{id}")).await;
    for key in [
        "id",
        "version",
        "data",
        "published",
        "created_at",
        "updated_at",
        "published_at",
        "translations",
    ] {
        assert_eq!(entry[key], before_entry[key], "{key}");
    }
    let revisions = copy
        .get(&format!("/admin/api/entries/articles/{id}/revisions"))
        .await;
    assert_eq!(revisions, before_revisions);
    let copied = copy
        .get(&format!("/admin/api/entries/articles/{unedited}"))
        .await;
    assert_eq!(copied, before_unedited);
    assert_eq!(copied["data"]["title"], "Stored once");
    let public: Value = copy
        .client
        .get(format!("{}/api/articles/{id}", copy.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["data"]["title"], "Moved intact");
    let url = asset["url"].as_str().unwrap();
    let served = copy
        .client
        .get(format!("{}{url}", copy.base))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap().to_vec(), png(8, 8));
    copy.running.shutdown().await.unwrap();
}

#[test]
fn an_export_cut_short_is_refused_whole() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let data = w.join("data");
    let media = w.join("media");
    let url = format!("sqlite://{}", w.join("src.db").display());
    run(&["migrate"], &url, &data, &media);
    run(
        &["export", w.join("x").to_str().unwrap()],
        &url,
        &data,
        &media,
    );
    // The manifest counts rows; a file missing one is refused.
    let manifest = w.join("x/manifest.json");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("\"webhook_outbox\": 1", "\"webhook_outbox\": 2");
    std::fs::write(&manifest, text).unwrap();
    let target = format!("sqlite://{}", w.join("dst.db").display());
    let out = quire()
        .args([
            "import",
            w.join("x").to_str().unwrap(),
            "--database-url",
            &target,
        ])
        .arg("--data-dir")
        .arg(w.join("dst"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("webhook_outbox"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Rewrites `<table>.jsonl` under `dir` row by row.
fn rewrite_rows(
    dir: &Path,
    table: &str,
    mut change: impl FnMut(&mut serde_json::Map<String, Value>),
) {
    let path = dir.join(format!("{table}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let mut row: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
        change(&mut row);
        out.push_str(&serde_json::to_string(&row).unwrap());
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_the_first_format_imports_with_its_whole_revisions() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let id = app.published_article("From the first format").await;
    let res = app
        .patch("articles", &id, json!({"summary": "Edited"}), 2)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let before_entry = app
        .admin_get(&format!("/admin/api/entries/articles/{id}"))
        .await;
    let before_revisions = app
        .admin_get(&format!("/admin/api/entries/articles/{id}/revisions"))
        .await;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dir = w.join("old");
    run(
        &["export", dir.to_str().unwrap()],
        &app.config.database_url,
        &app.config.data_dir,
        &w.join("media"),
    );
    // What version 1 held: no `form`, every revision and working copy whole.
    let copies: Vec<(i64, Value)> = before_revisions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["version"].as_i64().unwrap(), r["data"].clone()))
        .collect();
    rewrite_rows(&dir, "revisions", |row| {
        assert!(row.remove("form").is_some());
        let version = row["version"].as_i64().unwrap();
        let copy = copies.iter().find(|(v, _)| *v == version).unwrap();
        row.insert("data".into(), copy.1.clone());
    });
    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("\"version\": 2", "\"version\": 1");
    std::fs::write(&manifest, text).unwrap();

    let url = format!("sqlite://{}", w.join("copy.db").display());
    run(
        &["import", dir.to_str().unwrap()],
        &url,
        &w.join("copy-data"),
        &w.join("copy-media"),
    );
    let copy = Copy::start(&app, url, &w.join("copy-media")).await;
    let revisions = copy
        .get(&format!("/admin/api/entries/articles/{id}/revisions"))
        .await;
    assert_eq!(revisions, before_revisions);
    // The next write keeps the whole revisions whole and adds its own.
    let version = before_entry["version"].as_i64().unwrap();
    let res = copy
        .client
        .patch(format!("{}/admin/api/entries/articles/{id}", copy.base))
        .bearer_auth(&copy.token)
        .json(&json!({"data": {"title": "After the import"}, "version": version}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let after = copy
        .get(&format!("/admin/api/entries/articles/{id}/revisions"))
        .await;
    let after = after["data"].as_array().unwrap();
    assert_eq!(after[0]["data"]["title"], "After the import");
    assert_eq!(
        &after[1..],
        before_revisions["data"].as_array().unwrap().as_slice()
    );
    copy.running.shutdown().await.unwrap();
}

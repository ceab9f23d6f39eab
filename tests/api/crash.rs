//! Crash durability. Writers create, edit, publish and upload as fast as
//! they can; the server is killed with SIGKILL at a random moment; after
//! each restart every acknowledged write is there, and at the end each is
//! there exactly once, every entry's revisions and changes have no gap, the
//! search index has caught up, the database is sound and no media object or
//! record is orphaned. 25 kills on each database.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cli::{login, serve, stop};
use crate::helpers::{Backend, on_db};

const KILLS: u64 = 25;
const WRITERS: u64 = 3;
const PASSWORD: &str = "first admin passphrase";

/// What the server acknowledged.
#[derive(Debug, Clone, Default)]
struct Entry {
    /// When it was written: later kills and later turns are larger.
    order: u64,
    title: String,
    body: String,
    version: i64,
    published: bool,
}

#[derive(Debug, Default)]
struct Ledger {
    entries: HashMap<String, Entry>,
    /// Asset id → SHA-256 of its bytes.
    assets: HashMap<String, String>,
}

impl Ledger {
    fn absorb(&mut self, other: Ledger) {
        self.entries.extend(other.entries);
        self.assets.extend(other.assets);
    }
}

/// A small deterministic generator, so a failing run can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

struct Node {
    child: std::process::Child,
    base: String,
}

fn start(dir: &std::path::Path, database_url: Option<&str>) -> Node {
    let types = crate::helpers::repo_path("content-types");
    let mut env = vec![
        ("QUIRE_ADMIN_EMAIL", "root@example.com"),
        ("QUIRE_ADMIN_PASSWORD", PASSWORD),
        ("QUIRE_CONTENT_TYPES", types.to_str().unwrap_or_default()),
        ("QUIRE_SEARCH_INTERVAL_MS", "50"),
    ];
    if let Some(url) = database_url {
        env.push(("QUIRE_DATABASE_URL", url));
    }
    let (child, addr, _) = serve(dir, "info", &env);
    Node {
        child,
        base: format!("http://{addr}"),
    }
}

/// One writer: goes round create → edit → publish (and an upload every
/// fourth turn) until the server stops answering; keeps what was
/// acknowledged.
async fn write_until_killed(
    client: reqwest::Client,
    base: String,
    token: String,
    kill: u64,
    writer: u64,
) -> Ledger {
    let tag = format!("k{kill}w{writer}");
    let mut ledger = Ledger::default();
    let entries = format!("{base}/admin/api/entries/articles");
    for turn in 0u64.. {
        // The last word is this write's own, for the search check.
        let title = format!("{tag} turn {turn} {tag}t{turn}x");
        let create = client
            .post(&entries)
            .bearer_auth(&token)
            .json(&json!({"data": {"title": title, "body": "first words"}}))
            .send()
            .await;
        let Ok(res) = create else { break };
        if res.status() != 201 {
            panic!("create answered {}", res.status());
        }
        let Ok(created) = res.json::<Value>().await else {
            break;
        };
        let id = created["id"].as_str().unwrap_or_default().to_string();
        let mut entry = Entry {
            order: kill * 1_000_000 + turn,
            title,
            body: "first words".into(),
            version: created["version"].as_i64().unwrap_or(0),
            published: false,
        };
        ledger.entries.insert(id.clone(), entry.clone());

        let body = format!("edited on turn {turn}");
        let edit = client
            .patch(format!("{entries}/{id}"))
            .bearer_auth(&token)
            .json(&json!({"data": {"body": body}, "version": entry.version}))
            .send()
            .await;
        let Ok(res) = edit else { break };
        assert_eq!(res.status(), 200, "edit");
        let Ok(edited) = res.json::<Value>().await else {
            break;
        };
        entry.body = body;
        entry.version = edited["version"].as_i64().unwrap_or(0);
        ledger.entries.insert(id.clone(), entry.clone());

        let publish = client
            .post(format!("{entries}/{id}/publish"))
            .bearer_auth(&token)
            .send()
            .await;
        let Ok(res) = publish else { break };
        assert_eq!(res.status(), 200, "publish");
        let Ok(published) = res.json::<Value>().await else {
            break;
        };
        entry.version = published["version"].as_i64().unwrap_or(0);
        entry.published = true;
        ledger.entries.insert(id.clone(), entry);

        if turn % 4 == 0 {
            let bytes: Vec<u8> = (0..(20_000 + turn * 997))
                .map(|i| (i * 31 + turn) as u8)
                .collect();
            let sha = format!("{:x}", Sha256::digest(&bytes));
            let form = Form::new().part(
                "file",
                Part::bytes(bytes).file_name(format!("{tag}-{turn}.bin")),
            );
            let upload = client
                .post(format!("{base}/admin/api/assets"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await;
            let Ok(res) = upload else { break };
            assert_eq!(res.status(), 201, "upload");
            let Ok(asset) = res.json::<Value>().await else {
                break;
            };
            ledger
                .assets
                .insert(asset["id"].as_str().unwrap_or_default().to_string(), sha);
        }
    }
    ledger
}

/// Every acknowledged write in `ledger` is in the restarted server.
async fn check_acknowledged(client: &reqwest::Client, base: &str, token: &str, ledger: &Ledger) {
    for (id, acked) in &ledger.entries {
        let res = client
            .get(format!("{base}/admin/api/entries/articles/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("read entry");
        assert_eq!(res.status(), 200, "acknowledged entry {id} is there");
        let stored: Value = res.json().await.expect("entry");
        let version = stored["version"].as_i64().unwrap_or(0);
        assert!(
            version >= acked.version,
            "{id}: version {version} < acknowledged {}",
            acked.version
        );
        if version == acked.version {
            assert_eq!(stored["data"]["title"], acked.title.as_str());
            assert_eq!(stored["data"]["body"], acked.body.as_str(), "{id}");
        }
        if acked.published {
            let status = stored["status"].as_str().unwrap_or_default();
            assert!(
                status == "published" || status == "changed",
                "{id} is {status}"
            );
        }
    }
    for (id, sha) in &ledger.assets {
        let res = client
            .get(format!("{base}/admin/api/assets/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("read asset");
        assert_eq!(res.status(), 200, "acknowledged asset {id} is there");
        let asset: Value = res.json().await.expect("asset");
        let bytes = client
            .get(format!(
                "{base}{}",
                asset["url"].as_str().unwrap_or_default()
            ))
            .send()
            .await
            .expect("read bytes")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(
            &format!("{:x}", Sha256::digest(&bytes)),
            sha,
            "asset {id}'s bytes"
        );
    }
}

/// Titles of every article, by how many entries carry each.
async fn title_counts(client: &reqwest::Client, base: &str, token: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for offset in (0..).step_by(100) {
        let page: Value = client
            .get(format!(
                "{base}/admin/api/entries/articles?limit=100&offset={offset}"
            ))
            .bearer_auth(token)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("page");
        let data = page["data"].as_array().cloned().unwrap_or_default();
        for e in &data {
            *counts
                .entry(e["data"]["title"].as_str().unwrap_or_default().to_string())
                .or_insert(0) += 1;
        }
        if data.len() < 100 {
            break;
        }
    }
    counts
}

async fn crash_again_and_again(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, _pg) = match backend {
        Backend::Sqlite => (None, None),
        Backend::Postgres => {
            let (url, guard) = crate::helpers::fresh_postgres().await;
            (Some(url), Some(guard))
        }
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut node = start(dir.path(), database_url.as_deref());
    let session = login(
        &client,
        node.base.trim_start_matches("http://"),
        "root@example.com",
        PASSWORD,
    )
    .await;
    let created: Value = client
        .post(format!("{}/admin/api/tokens", node.base))
        .bearer_auth(&session)
        .json(&json!({"name": "crash writers", "scope": "write"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token body");
    let token = created["token"].as_str().expect("token").to_string();

    let mut everything = Ledger::default();
    let mut rng = Lcg(0x5eed ^ KILLS);
    for kill in 0..KILLS {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(write_until_killed(
                    client.clone(),
                    node.base.clone(),
                    token.clone(),
                    kill,
                    w,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(150 + rng.next(500))).await;
        node.child.kill().expect("SIGKILL");
        node.child.wait().expect("reaped");
        let mut acknowledged = Ledger::default();
        for w in writers {
            acknowledged.absorb(w.await.expect("writer"));
        }
        node = start(dir.path(), database_url.as_deref());
        check_acknowledged(&client, &node.base, &token, &acknowledged).await;
        everything.absorb(acknowledged);
    }
    assert!(
        everything.entries.len() > 100,
        "the writers got work done: {}",
        everything.entries.len()
    );

    // Each acknowledged entry exactly once; none at all twice.
    check_acknowledged(&client, &node.base, &token, &everything).await;
    let counts = title_counts(&client, &node.base, &token).await;
    for acked in everything.entries.values() {
        assert_eq!(
            counts.get(&acked.title),
            Some(&1),
            "{} exactly once",
            acked.title
        );
    }
    assert!(counts.values().all(|n| *n == 1), "no entry is there twice");

    // The search index catches up with the last acknowledged create, found
    // by the word no other entry has.
    let (last_id, last) = everything
        .entries
        .iter()
        .max_by_key(|(_, e)| e.order)
        .expect("an entry");
    let word = last.title.split_whitespace().last().unwrap_or_default();
    let mut found = false;
    for _ in 0..200 {
        let hits: Value = client
            .get(format!("{}/admin/api/search?q={word}", node.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("hits");
        let ids: Vec<&str> = hits["data"]
            .as_array()
            .map(|d| d.iter().filter_map(|h| h["id"].as_str()).collect())
            .unwrap_or_default();
        if ids == [last_id.as_str()] {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "`{word}` is searchable after the last restart");
    stop(node.child);

    // Revisions and changes: one of each per version, none missing.
    let settings = quire::config::Settings {
        data_dir: Some(dir.path().join("data")),
        database_url: database_url.clone(),
        ..Default::default()
    };
    let config = quire::config::Config::resolve(settings).expect("config");
    let db = quire::store::Db::connect(&config).await.expect("connect");
    // Log rows name the entry as the logs store ids (16 bytes on SQLite).
    let id = db.dialect().log_id("e.id");
    let gaps_sql = format!(
        "SELECT COUNT(*) FROM entries e WHERE \
         e.version <> (SELECT COUNT(*) FROM revisions r WHERE r.entry_id = {id}) \
         OR e.version <> (SELECT MAX(r.version) FROM revisions r WHERE r.entry_id = {id}) \
         OR e.version <> (SELECT COUNT(*) FROM changes c WHERE c.entity = 'entry' AND c.entity_id = {id})"
    );
    let gaps: i64 = on_db!(&db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(gaps_sql.clone()))
        .fetch_one(p).await.expect("gaps"));
    assert_eq!(gaps, 0, "entries whose revisions or changes have a gap");
    if let quire::store::Db::Sqlite(p, _) = &db {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(p)
            .await
            .expect("check");
        assert_eq!(integrity, "ok");
        let (count, max): (i64, i64) = sqlx::query_as("SELECT COUNT(*), MAX(seq) FROM changes")
            .fetch_one(p)
            .await
            .expect("feed");
        assert_eq!(count, max, "the change feed has no gap");
    }

    // Media: bytes a kill left without a record are swept; every record
    // keeps its bytes.
    let out = crate::cli::quire()
        .args([
            "--config",
            dir.path().join("quire.toml").to_str().unwrap_or_default(),
        ])
        .args(["media", "sweep", "--min-age-secs", "0"])
        .envs(
            database_url
                .iter()
                .map(|u| ("QUIRE_DATABASE_URL", u.as_str())),
        )
        .output()
        .expect("sweep");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "{KILLS} kills: {} entries and {} assets acknowledged, all there; sweep: {}",
        everything.entries.len(),
        everything.assets.len(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
    let rows: Vec<String> = on_db!(&db, p => sqlx::query_scalar("SELECT id FROM assets").fetch_all(p).await.expect("ids"));
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("data/media/assets"))
        .expect("assets folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    let mut rows = rows;
    rows.sort();
    files.sort();
    assert_eq!(files, rows, "one object per asset record, nothing else");
    for id in everything.assets.keys() {
        assert!(rows.contains(id), "acknowledged asset {id} kept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_write_sqlite() {
    crash_again_and_again(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_write_postgres() {
    crash_again_and_again(Backend::Postgres).await;
}

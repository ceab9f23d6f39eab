//! The `quire` binary itself: configuration, `user create`, `migrate`, and a
//! graceful stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

pub(crate) fn quire() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quire"));
    // Nothing from the developer's shell leaks into these runs.
    for (k, _) in std::env::vars() {
        if k.starts_with("QUIRE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn a_bad_setting_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = quire()
        .args(["migrate"])
        .env("QUIRE_DATA_DIR", dir.path())
        .env("QUIRE_BIND", "nowhere")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("QUIRE_BIND"), "{err}");
}

#[test]
fn an_unknown_key_in_quire_toml_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("quire.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:0\"\nbnid = \"typo\"\n").unwrap();
    let out = quire()
        .args(["--config"])
        .arg(&file)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bnid"), "{err}");
}

#[test]
fn settings_may_follow_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = quire()
        .args(["migrate", "--bind", "nowhere", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // Parsed as the setting, and refused for its value, not as an unknown flag.
    assert!(err.contains("QUIRE_BIND"), "{err}");

    let out = quire()
        .args(["migrate", "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("data/quire.db").exists());
}

#[test]
fn help_lists_every_setting_with_its_variable_and_version_prints() {
    let out = quire().args(["serve", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "QUIRE_BIND",
        "QUIRE_MEDIA_URL",
        "QUIRE_PUBLIC_CACHE_MB",
        "QUIRE_LOG",
    ] {
        assert!(help.contains(var), "{var} in {help}");
    }
    assert!(help.contains("default 127.0.0.1:8080"), "{help}");
    let out = quire().arg("--version").output().unwrap();
    assert!(out.status.success());
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
}

pub(crate) type Log = Arc<Mutex<Vec<String>>>;

/// Starts `quire serve` configured by a `quire.toml` (and `env`), waits for
/// its address in the log, and returns the child, that address, and the log.
pub(crate) fn serve(
    dir: &std::path::Path,
    log: &str,
    env: &[(&str, &str)],
) -> (Child, String, Log) {
    let file = dir.join("quire.toml");
    std::fs::write(
        &file,
        format!(
            "bind = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nlog = \"{log}\"\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let mut child = quire()
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let collected: Log = Arc::default();
    let stderr = child.stderr.take().unwrap();
    let sink = collected.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("quire exited before listening")
            .unwrap();
        collected.lock().unwrap().push(line.clone());
        if line.contains("quire is listening") {
            break listening_addr(&line);
        }
    };
    // Keep reading the log so the child never blocks on a full pipe.
    let sink = collected.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    (child, addr, collected)
}

/// The address in the "listening" log line, text or JSON.
fn listening_addr(line: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
        return v["fields"]["addr"]
            .as_str()
            .expect("addr field")
            .to_string();
    }
    let at = line.find("addr=").expect("addr in log") + 5;
    line[at..].split_whitespace().next().unwrap().to_string()
}

/// Sends SIGTERM and waits for a clean exit.
pub(crate) fn stop(mut child: Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "a graceful stop exits 0: {status}");
}

/// POSTs JSON (with a bearer token if given) and returns the JSON answer.
async fn post_json(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

/// Signs in and returns the session token.
pub(crate) async fn login(
    client: &reqwest::Client,
    addr: &str,
    email: &str,
    password: &str,
) -> String {
    let url = format!("http://{addr}/admin/api/auth/login");
    let body = post_json(
        client,
        &url,
        None,
        json!({"email": email, "password": password}),
    )
    .await;
    body["token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_create_then_serve_then_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = quire()
        .args([
            "user",
            "create",
            "--email",
            "Editor@Example.com",
            "--role",
            "editor",
        ])
        .env("QUIRE_DATA_DIR", &data)
        .env("QUIRE_USER_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("editor@example.com"));

    let weak = quire()
        .args(["user", "create", "--email", "b@example.com"])
        .env("QUIRE_DATA_DIR", &data)
        .env("QUIRE_USER_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("12 characters"));

    let (child, addr, _) = serve(dir.path(), "info", &[]);
    let client = reqwest::Client::new();
    let res = client
        .post(format!("http://{addr}/admin/api/auth/login"))
        .json(&json!({"email": "editor@example.com", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    stop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let password = "first admin passphrase";
    let env = [
        ("QUIRE_ADMIN_EMAIL", "root@example.com"),
        ("QUIRE_ADMIN_PASSWORD", password),
    ];
    let (child, addr, log) = serve(dir.path(), "debug", &env);
    let client = reqwest::Client::new();
    let session = login(&client, &addr, "root@example.com", password).await;
    let created = post_json(
        &client,
        &format!("http://{addr}/admin/api/tokens"),
        Some(&session),
        json!({"name": "ci", "scope": "write"}),
    )
    .await;
    let api_token = created["token"].as_str().unwrap().to_string();
    let res = client
        .get(format!("http://{addr}/admin/api/content-types"))
        .bearer_auth(&api_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A failed login with a password-looking string.
    client
        .post(format!("http://{addr}/admin/api/auth/login"))
        .json(&json!({"email": "root@example.com", "password": "guessed passphrase 1"}))
        .send()
        .await
        .unwrap();
    stop(child);
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("DEBUG"), "the log ran at debug level");
    for secret in [
        password,
        session.as_str(),
        api_token.as_str(),
        "guessed passphrase 1",
    ] {
        assert!(!log.contains(secret), "the log holds a secret: {secret}");
    }
}

#[test]
fn migrate_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = quire()
        .args(["migrate"])
        .env("QUIRE_DATA_DIR", dir.path().join("fresh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("fresh/quire.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_resumes_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let types = crate::helpers::repo_path("content-types");
    let types = types.to_str().unwrap();
    let password = "first admin passphrase";
    let env = [
        ("QUIRE_ADMIN_EMAIL", "root@example.com"),
        ("QUIRE_ADMIN_PASSWORD", password),
        ("QUIRE_CONTENT_TYPES", types),
        // The indexer's first pass runs at start; the next one in an hour.
        ("QUIRE_SEARCH_INTERVAL_MS", "3600000"),
    ];
    let (mut child, addr, _) = serve(dir.path(), "info", &env);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let client = reqwest::Client::new();
    let token = login(&client, &addr, "root@example.com", password).await;
    let created = post_json(
        &client,
        &format!("http://{addr}/admin/api/entries/articles"),
        Some(&token),
        json!({"data": {"title": "Crash survivor", "body": "Persistence pays."}}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let res = client
        .post(format!(
            "http://{addr}/admin/api/entries/articles/{id}/publish"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let url = format!("http://{addr}/api/search?q=persistence");
    let body: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["meta"]["total"], 0, "not indexed before the crash");
    child.kill().unwrap();
    child.wait().unwrap();

    let env = [("QUIRE_SEARCH_INTERVAL_MS", "100")];
    let (child, addr, _) = serve(dir.path(), "info", &env);
    let url = format!("http://{addr}/api/search?q=persistence");
    let mut found = false;
    for _ in 0..200 {
        let body: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        if body["data"][0]["id"] == id.as_str() {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        found,
        "the entry published before kill -9 is searchable after restart"
    );
    stop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let (child, addr, log) = serve(dir.path(), "debug", &[("QUIRE_LOG_FORMAT", "json")]);
    let res = reqwest::Client::new()
        // Readiness asks the database, which logs at debug level.
        .get(format!("http://{addr}/readyz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    let started = Instant::now();
    while !log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("trace-me-42"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no log line carries the request id"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop(child);
    let lines = log.lock().unwrap().clone();
    let mut traced = 0;
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["span"]["id"] == "trace-me-42" {
            traced += 1;
        }
    }
    assert!(traced > 0, "lines logged while answering carry the id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn types_export_prints_the_public_contract() {
    let app = crate::helpers::TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let export = |format: &str| {
        quire()
            .args([
                "types",
                "export",
                format,
                "--database-url",
                &app.config.database_url,
            ])
            .arg("--data-dir")
            .arg(&app.config.data_dir)
            .output()
            .unwrap()
    };
    let out = export("--ts");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ts = String::from_utf8_lossy(&out.stdout);
    assert!(ts.contains("export interface Articles"), "{ts}");
    // The same declarations the running server serves.
    let served = app.public("/api/types.ts").await.text().await.unwrap();
    assert_eq!(ts, served);

    let out = export("--openapi");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["paths"]["/articles"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_server_restores() {
    let app = crate::helpers::TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let id = app.published_article("Kept by the backup").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    // Taken while the server runs.
    let out = quire()
        .args(["backup"])
        .arg(&file)
        .args(["--database-url", &app.config.database_url])
        .arg("--data-dir")
        .arg(&app.config.data_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = quire()
        .args(["backup"])
        .arg(&file)
        .args(["--database-url", &app.config.database_url])
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    // A server on the copy serves the same content.
    let mut config = app.config.clone();
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.database_url = format!("sqlite://{}", file.display());
    config.search_dir = None;
    let restored = quire::app::start(config)
        .await
        .expect("a server on the backup");
    let url = format!("http://{}/api/articles/{id}", restored.addr);
    let body: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(body["data"]["title"], "Kept by the backup");
    restored.shutdown().await.unwrap();
}

/// Sends a JSON POST over a raw connection a third at a time, `pause`
/// apart, so the request is still arriving for a while; returns the status.
async fn slow_post(addr: &str, path: &str, token: &str, body: &str, pause: Duration) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let third = body.len() / 3;
    for part in [&body[..third], &body[third..2 * third], &body[2 * third..]] {
        conn.write_all(part.as_bytes()).await.unwrap();
        tokio::time::sleep(pause).await;
    }
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_drains_flushes_search_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let types = crate::helpers::repo_path("content-types");
    let password = "first admin passphrase";
    let env = [
        ("QUIRE_ADMIN_EMAIL", "root@example.com"),
        ("QUIRE_ADMIN_PASSWORD", password),
        ("QUIRE_CONTENT_TYPES", types.to_str().unwrap()),
        // The indexer's first pass runs at start; the next one in an hour,
        // so only the flush at the stop can index what is written below.
        ("QUIRE_SEARCH_INTERVAL_MS", "3600000"),
    ];
    let (child, addr, _) = serve(dir.path(), "info", &env);
    let client = reqwest::Client::new();
    let token = login(&client, &addr, "root@example.com", password).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let created = post_json(
        &client,
        &format!("http://{addr}/admin/api/entries/articles"),
        Some(&token),
        json!({"data": {"title": "Written just before the stop"}}),
    )
    .await;
    assert!(created["id"].is_string(), "{created}");

    // Readers keep reading; one writer's request is still arriving.
    let stop_at = Arc::new(Mutex::new(None::<Instant>));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (client, url) = (client.clone(), format!("http://{addr}/api/articles"));
            tokio::spawn(async move {
                let mut answered = 0;
                while let Ok(res) = client.get(&url).send().await {
                    assert!(res.status().is_success(), "{}", res.status());
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    let body = json!({"data": {"title": "Arrived during the stop", "body": "x".repeat(3000)}});
    let writer = {
        let (addr, token) = (addr.clone(), token.clone());
        tokio::spawn(async move {
            slow_post(
                &addr,
                "/admin/api/entries/articles",
                &token,
                &body.to_string(),
                Duration::from_millis(400),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    *stop_at.lock().unwrap() = Some(Instant::now());
    let pid = child.id();
    let waiter = std::thread::spawn(move || stop(child));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = tokio::net::TcpStream::connect(&addr).await.is_err();

    assert_eq!(
        writer.await.unwrap(),
        201,
        "the request in flight at SIGTERM completes"
    );
    waiter.join().expect("exits 0 within the drain time");
    let took = stop_at
        .lock()
        .unwrap()
        .map(|t| t.elapsed())
        .unwrap_or_default();
    assert!(
        took < Duration::from_secs(15),
        "stopped in {took:?} (pid {pid})"
    );
    assert!(refused, "no new connection is taken once the stop began");
    for r in readers {
        assert!(r.await.unwrap() > 0, "readers were answered until the stop");
    }

    // Both entries are in the index the stopped server left behind.
    let data = dir.path().join("data");
    let index = quire::search::SearchIndex::open(Some(&data.join("search"))).unwrap();
    let settings = quire::config::Settings {
        data_dir: Some(data),
        ..Default::default()
    };
    let config = quire::config::Config::resolve(settings).unwrap();
    let db = quire::store::Db::connect(&config).await.unwrap();
    let head = quire::store::changes::last_seq(&db).await.unwrap();
    assert_eq!(
        index.applied_seq().unwrap(),
        head,
        "the index holds every change"
    );
}

/// `content-types/` is applied whole or not at all: a start whose folder
/// holds one good change and one that would lose values changes nothing
/// and says why; `quire types plan` shows both beforehand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_types_folder_applies_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("types");
    std::fs::create_dir(&folder).unwrap();
    let write = |file: &str, def: serde_json::Value| {
        std::fs::write(folder.join(file), def.to_string()).unwrap();
    };
    write(
        "shelves.json",
        json!({"api_id": "shelves", "name": "Shelf", "fields": [
        {"name": "title", "type": "string"}, {"name": "minutes", "type": "string"}]}),
    );
    write(
        "crates.json",
        json!({"api_id": "crates", "name": "Crate", "fields": [
        {"name": "label", "type": "string"}, {"name": "note", "type": "string"}]}),
    );
    let env = [
        ("QUIRE_CONTENT_TYPES", folder.to_str().unwrap()),
        ("QUIRE_ADMIN_EMAIL", "admin@example.com"),
        ("QUIRE_ADMIN_PASSWORD", "a long enough password"),
    ];
    let (child, addr, _) = serve(dir.path(), "info", &env);
    let client = reqwest::Client::new();
    let token = login(
        &client,
        &addr,
        "admin@example.com",
        "a long enough password",
    )
    .await;
    for (ty, data) in [
        ("shelves", json!({"title": "A", "minutes": "5"})),
        ("crates", json!({"label": "B", "note": "fragile"})),
    ] {
        let url = format!("http://{addr}/admin/api/entries/{ty}");
        let e = post_json(&client, &url, Some(&token), json!({"data": data})).await;
        assert!(e["id"].is_string(), "{e}");
    }
    stop(child);

    // A good rename in one file, a lossy removal in the other.
    write(
        "shelves.json",
        json!({"api_id": "shelves", "name": "Shelf", "fields": [
        {"name": "title", "type": "string"}, {"name": "cook_time", "type": "string", "renamed_from": "minutes"}]}),
    );
    write(
        "crates.json",
        json!({"api_id": "crates", "name": "Crate", "fields": [
        {"name": "label", "type": "string"}]}),
    );
    let conf = dir.path().join("quire.toml");
    let run = |args: &[&str]| {
        quire()
            .arg("--config")
            .arg(&conf)
            .args(args)
            .current_dir(dir.path())
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let plan = run(&["types", "plan"]);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(
        text.contains("shelves: changed")
            && text.contains("rename cook_time")
            && text.contains("(1 entries)"),
        "{text}"
    );
    assert!(
        text.contains("crates: refused") && text.contains("note"),
        "{text}"
    );

    let start = run(&["serve"]);
    assert!(!start.status.success(), "a lossy folder stops the start");
    let err = String::from_utf8_lossy(&start.stderr);
    assert!(
        err.contains("nothing was changed") && err.contains("crates.json"),
        "{err}"
    );

    // Nothing was applied: the old folder still matches what is stored.
    write(
        "shelves.json",
        json!({"api_id": "shelves", "name": "Shelf", "fields": [
        {"name": "title", "type": "string"}, {"name": "minutes", "type": "string"}]}),
    );
    write(
        "crates.json",
        json!({"api_id": "crates", "name": "Crate", "fields": [
        {"name": "label", "type": "string"}, {"name": "note", "type": "string"}]}),
    );
    let plan = run(&["types", "plan"]);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        text.contains("shelves: unchanged") && text.contains("crates: unchanged"),
        "{text}"
    );

    // A type whose file is gone is kept; `types apply --prune` deletes it,
    // but not its entries unless told.
    std::fs::remove_file(folder.join("crates.json")).unwrap();
    let exported = |run: &dyn Fn(&[&str]) -> std::process::Output| {
        String::from_utf8_lossy(&run(&["types", "export", "--ts"]).stdout).to_string()
    };
    assert!(
        exported(&run).contains("interface Crates "),
        "kept without --prune"
    );
    let pruned = run(&["types", "apply", "--prune"]);
    assert!(!pruned.status.success());
    let err = String::from_utf8_lossy(&pruned.stderr);
    assert!(
        err.contains("crates: 1 entries") && err.contains("--delete-entries"),
        "{err}"
    );
    assert!(
        exported(&run).contains("interface Crates "),
        "a refused prune changes nothing"
    );
    let pruned = run(&["types", "apply", "--prune", "--delete-entries"]);
    assert!(
        pruned.status.success(),
        "{}",
        String::from_utf8_lossy(&pruned.stderr)
    );
    assert!(String::from_utf8_lossy(&pruned.stdout).contains("deleted crates"));
    let ts = exported(&run);
    assert!(
        !ts.contains("interface Crates ") && ts.contains("interface Shelves "),
        "{ts}"
    );
}

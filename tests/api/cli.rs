//! The `quire` binary itself: configuration, `user create`, `migrate`, and a
//! graceful stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

fn quire() -> Command {
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

/// Starts `quire serve` configured by a `quire.toml`, waits for its address
/// in the log, and returns the child with that address.
fn serve(dir: &std::path::Path) -> (std::process::Child, String) {
    let file = dir.join("quire.toml");
    std::fs::write(
        &file,
        format!(
            "bind = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nlog = \"info\"\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let mut child = quire()
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("quire exited before listening")
            .unwrap();
        if line.contains("quire is listening") {
            let at = line.find("addr=").expect("addr in log") + 5;
            break line[at..].split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
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

    let (mut child, addr) = serve(dir.path());
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

//! `TestApp`: the real server on an ephemeral port, with its own database,
//! and request helpers that read like the README.

use std::path::PathBuf;

use quire::app::Running;
use quire::config::{Config, Settings};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "a long test passphrase";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A PostgreSQL database made for one test and dropped after it.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee; use a thread of our own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                Ok::<_, sqlx::Error>(())
            })
            .map_err(std::io::Error::other)
        })
        .join();
    }
}

/// The PostgreSQL server the suite makes its databases on: the one
/// `QUIRE_TEST_POSTGRES_URL` names, or the local default.
fn postgres_admin_url() -> String {
    std::env::var("QUIRE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Stops the whole test run with one line when PostgreSQL can't be
/// reached, instead of one panic per PostgreSQL test.
fn postgres_unreachable(url: &str, error: &sqlx::Error) -> ! {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::SeqCst) {
        // Straight to the process's stderr: the test harness would keep a
        // test's own output to itself, and the process ends here.
        let _ = writeln!(
            std::io::stderr(),
            "\nPostgreSQL does not answer at {url} ({error}). Start it \
             (`pg_ctlcluster --skip-systemctl-redirect 15 main start`), point \
             QUIRE_TEST_POSTGRES_URL at a server that does, or skip the PostgreSQL half \
             with `cargo test -- --skip postgres`."
        );
        std::process::exit(1);
    }
    // Another test is already ending the process.
    loop {
        std::thread::park();
    }
}

/// A fresh, empty PostgreSQL database (dropped with the guard) and its URL.
pub async fn fresh_postgres() -> (String, PgDatabase) {
    let pg = create_pg_database().await;
    (with_database(&pg.admin_url, &pg.name), pg)
}

async fn create_pg_database() -> PgDatabase {
    use sqlx::Connection;
    let admin_url = postgres_admin_url();
    let name = format!("quire_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = match sqlx::PgConnection::connect(&admin_url).await {
        Ok(conn) => conn,
        Err(e) => postgres_unreachable(&admin_url, &e),
    };
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    PgDatabase { admin_url, name }
}

/// `postgres://host/db?x` with `db` replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    /// Where `/metrics` is served, when the settings ask for it.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub client: reqwest::Client,
    pub token: String,
    pub config: Config,
    running: Option<Running>,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

pub fn repo_path(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p)
}

impl TestApp {
    /// A server with the example model from `content-types/` and a signed-in admin.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_seeded(backend, tweak, async |_| {}).await
    }

    /// A server started on a database that `seed` has prepared first (as an
    /// older release would have left it, say).
    pub async fn spawn_seeded(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
        seed: impl AsyncFnOnce(&Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(create_pg_database().await),
        };
        let mut settings = Settings {
            bind: Some("127.0.0.1:0".into()),
            data_dir: Some(dir.path().join("data")),
            database_url: pg.as_ref().map(|pg| with_database(&pg.admin_url, &pg.name)),
            content_types: Some(repo_path("content-types")),
            admin_email: Some(ADMIN_EMAIL.into()),
            admin_password: Some(ADMIN_PASSWORD.into()),
            ..Settings::default()
        };
        tweak(&mut settings);
        let config = Config::resolve(settings).expect("test config");
        std::fs::create_dir_all(&config.data_dir).expect("data dir");
        seed(&config).await;
        let running = quire::app::start(config.clone())
            .await
            .expect("server starts");
        let mut app = TestApp {
            addr: running.addr,
            metrics_addr: running.metrics_addr,
            client: reqwest::Client::new(),
            token: String::new(),
            config,
            running: Some(running),
            _dir: dir,
            _pg: pg,
        };
        app.token = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        app
    }

    /// Stops the server and starts a new one on the same database and files.
    pub async fn restart(mut self) -> TestApp {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
        let mut config = self.config.clone();
        config.bind = "127.0.0.1:0".parse().expect("address");
        let running = quire::app::start(config).await.expect("server restarts");
        self.addr = running.addr;
        self.metrics_addr = running.metrics_addr;
        self.running = Some(running);
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .anon(Method::POST, "/admin/api/auth/login")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), StatusCode::OK, "login as {email}");
        let body: Value = res.json().await.expect("login body");
        body["token"].as_str().expect("token").to_string()
    }

    /// A request without credentials.
    pub fn anon(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request as the signed-in admin.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.anon(method, path).bearer_auth(&self.token)
    }

    /// GET on the public API.
    pub async fn public(&self, path: &str) -> Response {
        self.anon(Method::GET, path).send().await.expect("request")
    }

    pub async fn create_type(&self, def: Value) -> Response {
        self.admin(Method::POST, "/admin/api/content-types")
            .json(&def)
            .send()
            .await
            .expect("request")
    }

    pub async fn try_create(&self, content_type: &str, data: Value) -> Response {
        self.admin(Method::POST, &format!("/admin/api/entries/{content_type}"))
            .json(&json!({ "data": data }))
            .send()
            .await
            .expect("request")
    }

    /// Creates an entry and returns its body; the entry must be valid.
    pub async fn create_entry(&self, content_type: &str, data: Value) -> Value {
        let res = self.try_create(content_type, data).await;
        assert_eq!(res.status(), StatusCode::CREATED, "create {content_type}");
        res.json().await.expect("entry body")
    }

    pub async fn patch(&self, content_type: &str, id: &str, data: Value, version: i64) -> Response {
        self.admin(
            Method::PATCH,
            &format!("/admin/api/entries/{content_type}/{id}"),
        )
        .json(&json!({ "data": data, "version": version }))
        .send()
        .await
        .expect("request")
    }

    pub async fn try_publish(&self, content_type: &str, id: &str) -> Response {
        self.admin(
            Method::POST,
            &format!("/admin/api/entries/{content_type}/{id}/publish"),
        )
        .send()
        .await
        .expect("request")
    }

    pub async fn publish(&self, content_type: &str, id: &str) -> Value {
        let res = self.try_publish(content_type, id).await;
        assert_eq!(res.status(), StatusCode::OK, "publish {content_type}/{id}");
        res.json().await.expect("entry body")
    }

    pub async fn unpublish(&self, content_type: &str, id: &str) -> Value {
        let res = self
            .admin(
                Method::POST,
                &format!("/admin/api/entries/{content_type}/{id}/unpublish"),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "unpublish {content_type}/{id}"
        );
        res.json().await.expect("entry body")
    }

    /// Creates and publishes an article with this title; returns its id.
    pub async fn published_article(&self, title: &str) -> String {
        let e = self
            .create_entry("articles", json!({ "title": title }))
            .await;
        let id = e["id"].as_str().expect("id").to_string();
        self.publish("articles", &id).await;
        id
    }
}

/// Reads a problem document and checks its media type and status.
pub async fn problem(res: Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(ct, "application/problem+json", "problem media type");
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], status.as_u16(), "status member");
    assert!(body["code"].is_string(), "stable code: {body}");
    assert!(body["detail"].is_string(), "detail: {body}");
    body
}

/// The `(field, rule)` pairs of a validation problem.
pub fn field_rules(problem: &Value) -> Vec<(String, String)> {
    let mut v: Vec<_> = problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_string(),
                        e["rule"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Defines each test twice: on a fresh SQLite file and on a fresh
/// PostgreSQL database.
macro_rules! db_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_mut)]
                    let mut $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_mut)]
                    let mut $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await;
                    $body
                }
            )*
        }
    };
}
pub(crate) use db_tests;

impl TestApp {
    /// A direct connection to the app's database, to check what was stored.
    pub async fn db(&self) -> quire::store::Db {
        quire::store::Db::connect(&self.config)
            .await
            .expect("connect to the test database")
    }
}

/// Direct SQL for tests that check what was stored; the same text runs on
/// both databases.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            quire::store::Db::Sqlite($pool, _) => $body,
            quire::store::Db::Postgres($pool) => $body,
        }
    };
}

pub(crate) use on_db;

impl TestApp {
    pub async fn sql_strings(&self, sql: &'static str) -> Vec<String> {
        let db = self.db().await;
        on_db!(&db, p => sqlx::query_scalar(sql).fetch_all(p).await.expect("query"))
    }

    pub async fn sql_exec(&self, sql: &'static str) {
        let db = self.db().await;
        on_db!(&db, p => { sqlx::query(sql).execute(p).await.expect("statement"); });
    }
}

pub const USER_PASSWORD: &str = "a long user passphrase";

impl TestApp {
    /// Creates a user with this role (and type limits) and signs them in.
    pub async fn user(&self, email: &str, role: &str, types: Option<Value>) -> String {
        let mut body = json!({"email": email, "password": USER_PASSWORD, "role": role});
        if let Some(t) = types {
            body["types"] = t;
        }
        let res = self
            .admin(Method::POST, "/admin/api/users")
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::CREATED, "create {role} {email}");
        self.login(email, USER_PASSWORD).await
    }

    /// A request with another bearer token.
    pub fn with_token(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.anon(method, path).bearer_auth(token)
    }

    /// Creates an API token of this scope; returns (secret, id).
    pub async fn api_token(&self, scope: &str, expires_at: Option<&str>) -> (String, String) {
        let mut body = json!({"name": format!("{scope} token"), "scope": scope});
        if let Some(at) = expires_at {
            body["expires_at"] = json!(at);
        }
        let res = self
            .admin(Method::POST, "/admin/api/tokens")
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::CREATED, "create {scope} token");
        let t: Value = res.json().await.expect("token body");
        (
            t["token"].as_str().expect("token").to_string(),
            t["id"].as_str().expect("id").to_string(),
        )
    }
}

impl TestApp {
    /// Stops the server, changes its configuration, and starts it again on
    /// the same database and files.
    pub async fn restart_with(mut self, change: impl FnOnce(&mut Config)) -> TestApp {
        change(&mut self.config);
        self.restart().await
    }

    /// Polls a search until `done` holds for its body (the index follows the
    /// database within a second); returns the last body.
    pub async fn search_until(
        &self,
        request: impl Fn() -> RequestBuilder,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let mut body = Value::Null;
        // Generous: the whole suite shares two cores with every server's indexer.
        for _ in 0..200 {
            let res = request().send().await.expect("search request");
            assert_eq!(res.status(), StatusCode::OK, "search status");
            body = res.json().await.expect("search body");
            if done(&body) {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("search never reached the expected state: {body}");
    }
}

/// The ids of a search or list body, in order.
pub fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

impl TestApp {
    /// The JSON body of a GET on the admin API, as the signed-in admin.
    pub async fn admin_get(&self, path: &str) -> Value {
        self.admin(Method::GET, path)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON body")
    }

    /// The signed-in admin's user id.
    pub async fn my_id(&self) -> String {
        let me = self.admin_get("/admin/api/auth/me").await;
        me["id"].as_str().expect("id").to_string()
    }
}

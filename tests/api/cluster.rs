//! A cluster: `quire serve` processes on one PostgreSQL database and one
//! S3-compatible bucket, each with its own data folder and search index.
//! What one node writes the others serve and find within a second; a
//! scheduled publish and a webhook delivery happen once whichever node runs
//! them; a node killed mid-delivery leaves the delivery to another; the
//! login limit is one limit; nodes started together apply `content-types/`
//! once.
//!
//! PostgreSQL only (SQLite is one node's file): the tests sit under
//! `postgresql`, so `cargo test -- --skip postgres` skips them too.

use std::collections::HashMap;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route, Server, handler, post};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::cli::{Log, login, serve, stop};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PgDatabase, fresh_postgres, ids, repo_path};

/// How often a test looks again.
const POLL: Duration = Duration::from_millis(10);
/// How long a node may take to start and catch up with the change feed.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// `QUIRE_WEBHOOK_TIMEOUT_SECS` on every node; a delivery's claim lasts
/// three times this.
const WEBHOOK_TIMEOUT: u64 = 2;

/// Runs `probe` every `POLL` until it answers something, for at most `limit`.
async fn poll<T>(limit: Duration, mut probe: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A fresh prefix of the bucket the media tests use.
fn media_url() -> String {
    let base = std::env::var("QUIRE_TEST_S3_URL").unwrap_or_else(|_| crate::s3_server::url());
    let query = base.find('?').map_or("", |at| &base[at..]);
    let location = base[..base.len() - query.len()].trim_end_matches('/');
    format!(
        "{location}/cluster-{}{query}",
        uuid::Uuid::now_v7().simple()
    )
}

/// Sends a request; answers its JSON body, which must come with `want`.
async fn answer(req: RequestBuilder, want: StatusCode) -> Value {
    let res = req.send().await.expect("request");
    let (status, url) = (res.status(), res.url().clone());
    let body = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, want, "{url}: {body}");
    body
}

struct Node {
    /// `None` once killed or stopped.
    child: Option<Child>,
    addr: String,
    log: Log,
    _dir: tempfile::TempDir,
}

/// `quire serve` processes with identical settings on one database and one
/// bucket, and an admin session that every node accepts.
struct Cluster {
    nodes: Vec<Node>,
    env: Vec<(String, String)>,
    client: reqwest::Client,
    token: String,
    db_url: String,
    _pg: PgDatabase,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // A test that failed midway leaves no process behind.
        for mut child in self.nodes.iter_mut().filter_map(|n| n.child.take()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Cluster {
    /// A fresh database and bucket prefix, with `types` as every node's
    /// `content-types/` and `extra` settings; no node runs yet.
    async fn new(types: &Path, extra: &[(&str, &str)]) -> Cluster {
        let (db_url, pg) = fresh_postgres().await;
        let (media, types) = (media_url(), types.display().to_string());
        let timeout = WEBHOOK_TIMEOUT.to_string();
        let mut env = vec![
            ("QUIRE_DATABASE_URL", db_url.as_str()),
            ("QUIRE_MEDIA_URL", media.as_str()),
            ("QUIRE_CONTENT_TYPES", types.as_str()),
            ("QUIRE_ADMIN_EMAIL", ADMIN_EMAIL),
            ("QUIRE_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("QUIRE_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("QUIRE_WEBHOOK_TIMEOUT_SECS", timeout.as_str()),
        ];
        env.extend_from_slice(extra);
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (client, token) = (reqwest::Client::new(), String::new());
        let nodes = Vec::new();
        Cluster {
            nodes,
            env,
            client,
            token,
            db_url,
            _pg: pg,
        }
    }

    /// `n` ready nodes with the example model.
    async fn start(n: usize, extra: &[(&str, &str)]) -> Cluster {
        let mut cluster = Cluster::new(&repo_path("content-types"), extra).await;
        cluster.add(n).await;
        cluster
    }

    /// Starts `n` more nodes at once and waits until every one is ready.
    async fn add(&mut self, n: usize) {
        let mut starting = Vec::new();
        for _ in 0..n {
            let dir = tempfile::tempdir().expect("node folder");
            let (path, env) = (dir.path().to_path_buf(), self.env.clone());
            let started = tokio::task::spawn_blocking(move || {
                let env: Vec<_> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                serve(&path, "info", &env)
            });
            starting.push((dir, started));
        }
        let mut failed = Vec::new();
        for (dir, started) in starting {
            match started.await {
                Ok((child, addr, log)) => {
                    let (child, _dir) = (Some(child), dir);
                    self.nodes.push(Node {
                        child,
                        addr,
                        log,
                        _dir,
                    });
                }
                Err(e) => failed.push(e.to_string()),
            }
        }
        assert!(failed.is_empty(), "nodes did not start: {failed:?}");
        let added = self.nodes.len() - n..self.nodes.len();
        let this = &*self;
        join_all(added.clone().map(|i| this.ready(i))).await;
        if self.token.is_empty() {
            let addr = self.addr(added.start);
            self.token = login(&self.client, addr, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        }
    }

    /// Waits for node `i`'s `/readyz` to answer 200.
    async fn ready(&self, i: usize) {
        let url = self.url(i, "/readyz");
        let ready = poll(READY_WITHIN, async || {
            let res = self.client.get(&url).send().await.ok()?;
            (res.status() == StatusCode::OK).then_some(())
        });
        if ready.await.is_none() {
            let log = self.nodes[i].log.lock().unwrap().join("\n");
            panic!("node {i} was not ready within {READY_WITHIN:?}; its log:\n{log}");
        }
    }

    /// Node `i`'s configuration file (which names its data folder).
    fn config(&self, i: usize) -> std::path::PathBuf {
        self.nodes[i]._dir.path().join("quire.toml")
    }

    fn addr(&self, i: usize) -> &str {
        &self.nodes[i].addr
    }

    fn url(&self, i: usize, path: &str) -> String {
        format!("http://{}{path}", self.addr(i))
    }

    /// Kills node `i` with SIGKILL: no drain, nothing recorded on the way out.
    fn kill9(&mut self, i: usize) {
        let mut child = self.nodes[i].child.take().expect("a running node");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }

    /// Stops every running node with SIGTERM, all at once; each exits 0.
    async fn stop_all(&mut self) {
        let running: Vec<Child> = self
            .nodes
            .iter_mut()
            .filter_map(|n| n.child.take())
            .collect();
        let stopping: Vec<_> = running
            .into_iter()
            .map(|child| tokio::task::spawn_blocking(move || stop(child)))
            .collect();
        for stopped in join_all(stopping).await {
            stopped.expect("a graceful stop");
        }
        self.nodes.clear();
    }

    /// A request to node `i` as the admin.
    fn admin(&self, i: usize, method: Method, path: &str) -> RequestBuilder {
        let req = self.client.request(method, self.url(i, path));
        req.bearer_auth(&self.token)
    }

    async fn get(&self, i: usize, path: &str) -> Value {
        answer(self.admin(i, Method::GET, path), StatusCode::OK).await
    }

    /// POSTs `body` (nothing when it is null); answers the JSON answer.
    async fn post(&self, i: usize, path: &str, body: Value, want: StatusCode) -> Value {
        let mut req = self.admin(i, Method::POST, path);
        if !body.is_null() {
            req = req.json(&body);
        }
        answer(req, want).await
    }

    /// Creates an article on node `i`; answers its id.
    async fn article(&self, i: usize, title: &str) -> String {
        let body = json!({"data": {"title": title}});
        let e = self.post(i, "/admin/api/entries/articles", body, StatusCode::CREATED);
        e.await["id"].as_str().expect("id").to_string()
    }

    async fn publish(&self, i: usize, ty: &str, id: &str) {
        let path = format!("/admin/api/entries/{ty}/{id}/publish");
        self.post(i, &path, Value::Null, StatusCode::OK).await;
    }

    /// The status of an anonymous GET on node `i`; `None` when it did not answer.
    async fn public_status(&self, i: usize, path: &str) -> Option<StatusCode> {
        let res = self.client.get(self.url(i, path)).send().await.ok()?;
        Some(res.status())
    }

    /// Registers, through node `i`, a webhook for every publish; answers its id.
    async fn hook(&self, i: usize, url: &str) -> String {
        let body = json!({"name": "cluster", "url": url, "events": ["entry.published"]});
        let hook = self.post(i, "/admin/api/webhooks", body, StatusCode::CREATED);
        hook.await["id"].as_str().expect("id").to_string()
    }
}

/// One request a receiver took.
#[derive(Debug, Clone)]
struct Hit {
    event: String,
    delivery: String,
    /// The entry it tells of.
    id: String,
    at: Instant,
}

/// A webhook receiver on a loopback port that answers 200 at once, or,
/// with `stall_first`, holds the first request without answering.
#[derive(Clone, Default)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    stall_first: bool,
}

#[handler]
async fn receive(
    req: &poem::Request,
    body: String,
    rx: poem::web::Data<&Receiver>,
) -> &'static str {
    let header = |name: &str| {
        let value = req.headers().get(name).and_then(|v| v.to_str().ok());
        value.unwrap_or_default().to_string()
    };
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let id = body["id"].as_str().unwrap_or_default().to_string();
    let (event, delivery) = (header("x-quire-event"), header("x-quire-delivery"));
    let first = {
        let mut hits = rx.hits.lock().unwrap();
        hits.push(Hit {
            event,
            delivery,
            id,
            at: Instant::now(),
        });
        hits.len() == 1
    };
    if first && rx.stall_first {
        // Longer than any test here runs.
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
    "ok"
}

impl Receiver {
    async fn start(stall_first: bool) -> (Receiver, String) {
        let rx = Receiver {
            stall_first,
            ..Receiver::default()
        };
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind");
        let addr = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .expect("address");
        let app = Route::new().at("/hook", post(receive)).data(rx.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        (rx, format!("http://{addr}/hook"))
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits (at most `limit`) until what was received satisfies `done`.
    async fn until(&self, limit: Duration, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let hits = poll(limit, async || {
            let hits = self.hits();
            done(hits.as_slice()).then_some(hits)
        });
        let hits = hits.await;
        hits.unwrap_or_else(|| panic!("waited {limit:?} in vain; received {:?}", self.hits()))
    }
}

/// How long after `since` node `i` first served the note `id`, and first
/// found it searching for `word` (looking every `POLL`, for up to 10 s).
async fn first_seen(
    cluster: &Cluster,
    i: usize,
    id: &str,
    word: &str,
    since: Instant,
) -> (Option<Duration>, Option<Duration>) {
    let read = format!("/api/notes/{id}");
    let search = cluster.url(i, &format!("/api/search?q={word}"));
    let (mut served, mut found) = (None, None);
    let both = poll(Duration::from_secs(10), async || {
        if served.is_none() && cluster.public_status(i, &read).await == Some(StatusCode::OK) {
            served = Some(since.elapsed());
        }
        if found.is_none() {
            let res = cluster.client.get(&search).send().await.ok()?;
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if ids(&body).iter().any(|hit| hit == id) {
                found = Some(since.elapsed());
            }
        }
        (served.is_some() && found.is_some()).then_some(())
    });
    both.await;
    (served, found)
}

/// A delivery as stored: its status, the attempts claimed, and when an
/// attempt's outcome was last recorded.
async fn delivery_row(db_url: &str, id: &str) -> (String, i64, Option<i64>) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(db_url).await.expect("connect");
    sqlx::query_as("SELECT status, attempts, last_attempt_at FROM webhook_deliveries WHERE id = $1")
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .expect("the delivery")
}

mod postgresql {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_on_one_node_is_read_and_searched_on_the_others_within_a_second() {
        // Indexers poll every 10 s: finding it within a second takes the
        // database's notification.
        let mut cluster = Cluster::start(3, &[("QUIRE_SEARCH_INTERVAL_MS", "10000")]).await;
        let notes = json!({"api_id": "notes", "name": "Note", "fields": [
            {"name": "title", "type": "string", "required": true, "searchable": true},
            {"name": "body", "type": "text", "searchable": true}]});
        cluster
            .post(0, "/admin/api/content-types", notes, StatusCode::CREATED)
            .await;
        let data = json!({"data": {"title": "Field notes", "body": "A quillwort grows here."}});
        let note = cluster
            .post(0, "/admin/api/entries/notes", data, StatusCode::CREATED)
            .await;
        let id = note["id"].as_str().expect("id");
        cluster.publish(0, "notes", id).await;
        let published = Instant::now();

        let seen = [1, 2].map(|i| first_seen(&cluster, i, id, "quillwort", published));
        for (i, (served, found)) in [1, 2].into_iter().zip(join_all(seen).await) {
            let served = served.unwrap_or_else(|| panic!("node {i} never served the entry"));
            let found = found.unwrap_or_else(|| panic!("node {i} never found the entry"));
            let second = Duration::from_secs(1);
            assert!(
                served <= second,
                "node {i} served it {served:?} after the publish"
            );
            assert!(
                found <= second,
                "node {i} found it {found:?} after the publish"
            );
        }
        cluster.stop_all().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scheduled_publish_fires_exactly_once() {
        let mut cluster = Cluster::start(3, &[]).await;
        let id = cluster.article(0, "Goes live by itself").await;
        let at = quire::clock::format(quire::clock::now() + 2_000_000);
        let path = format!("/admin/api/entries/articles/{id}/schedule");
        cluster
            .post(1, &path, json!({"publish_at": at}), StatusCode::OK)
            .await;

        let public = format!("/api/articles/{id}");
        let live = poll(Duration::from_secs(10), async || {
            for i in 0..3 {
                if cluster.public_status(i, &public).await != Some(StatusCode::OK) {
                    return None;
                }
            }
            Some(())
        });
        assert!(live.await.is_some(), "not live on every node within 10 s");
        // Every node's scheduler (polling every 500 ms) looks again meanwhile.
        tokio::time::sleep(Duration::from_secs(1)).await;

        let revisions = format!("/admin/api/entries/articles/{id}/revisions");
        let revisions = cluster.get(2, &revisions).await;
        let publishes = revisions["data"].as_array().expect("revisions").iter();
        let publishes = publishes.filter(|r| r["action"] == "publish").count();
        assert_eq!(publishes, 1, "{revisions}");
        let audit = format!("/admin/api/audit?resource_id={id}&action=entry.publish");
        let audit = cluster.get(0, &audit).await;
        assert_eq!(audit["meta"]["total"], 1, "{audit}");
        assert_eq!(audit["data"][0]["actor"], "scheduler", "{audit}");
        cluster.stop_all().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_webhook_delivers_exactly_once_across_nodes() {
        const K: usize = 20;
        let mut cluster = Cluster::start(3, &[]).await;
        let (rx, url) = Receiver::start(false).await;
        cluster.hook(0, &url).await;
        // Each created on one node and published on the next, all at once.
        let nodes = &cluster;
        let ids = join_all((0..K).map(|k| async move {
            let id = nodes.article(k % 3, &format!("Delivered {k}")).await;
            nodes.publish((k + 1) % 3, "articles", &id).await;
            id
        }));
        let ids = ids.await;

        let published = |hits: &[Hit]| hits.iter().filter(|h| h.event == "entry.published").count();
        rx.until(Duration::from_secs(30), |hits| published(hits) >= K)
            .await;
        // Time for a second copy to arrive, were one on its way.
        tokio::time::sleep(Duration::from_secs(2)).await;

        let mut times: HashMap<(String, String), usize> = HashMap::new();
        for hit in rx.hits() {
            *times.entry((hit.event, hit.id)).or_default() += 1;
        }
        let repeated: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            repeated.is_empty(),
            "delivered more than once: {repeated:?}"
        );
        let mut got: Vec<_> = times.into_keys().collect();
        let event = "entry.published".to_string();
        let mut want: Vec<_> = ids.into_iter().map(|id| (event.clone(), id)).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "one delivery for each publish, nothing else");
        cluster.stop_all().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_node_killed_mid_delivery_hands_it_to_another() {
        let mut cluster = Cluster::start(1, &[]).await;
        let (rx, url) = Receiver::start(true).await;
        let hook = cluster.hook(0, &url).await;
        let id = cluster.article(0, "Handed over").await;
        cluster.publish(0, "articles", &id).await;
        let first = rx
            .until(Duration::from_secs(15), |hits| !hits.is_empty())
            .await;
        let first = first[0].clone();
        assert_eq!(
            (first.event.as_str(), first.id.as_str()),
            ("entry.published", id.as_str())
        );

        // Killed while the receiver holds its request, well within the
        // timeout: the claim is taken, no outcome recorded.
        cluster.kill9(0);
        let killed = Instant::now();
        let row = delivery_row(&cluster.db_url, &first.delivery).await;
        assert_eq!(
            row,
            ("pending".to_string(), 1, None),
            "claimed once, nothing recorded"
        );

        cluster.add(2).await;
        let limit = Duration::from_secs(20).saturating_sub(killed.elapsed());
        let hits = rx.until(limit, |hits| hits.len() >= 2).await;
        let again = (
            hits[1].delivery.as_str(),
            hits[1].event.as_str(),
            hits[1].id.as_str(),
        );
        let same = (first.delivery.as_str(), "entry.published", id.as_str());
        assert_eq!(again, same, "the same delivery, sent again");
        // Taken over once the dead node's claim ran out, not while it stood.
        let gap = hits[1].at.duration_since(first.at);
        let claim = Duration::from_secs(3 * WEBHOOK_TIMEOUT);
        assert!(
            gap >= claim - Duration::from_secs(2),
            "sent again {gap:?} after"
        );

        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(rx.hits().len(), 2, "no third copy: {:?}", rx.hits());
        let log = cluster
            .get(1, &format!("/admin/api/webhooks/{hook}/deliveries"))
            .await;
        assert_eq!(log["meta"]["total"], 1, "{log}");
        assert_eq!(log["data"][0]["status"], "delivered", "{log}");
        assert_eq!(log["data"][0]["attempts"], 2, "{log}");
        cluster.stop_all().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_login_limit_holds_across_three_nodes() {
        let mut cluster = Cluster::start(3, &[("QUIRE_LOGIN_MAX_FAILURES", "4")]).await;
        let guesses = (0..60).map(|i| {
            let guess = json!({"email": ADMIN_EMAIL, "password": format!("wrong guess {i}")});
            let url = cluster.url(i % 3, "/admin/api/auth/login");
            cluster.client.post(url).json(&guess).send()
        });
        let (mut checked, mut limited) = (0, 0);
        for res in join_all(guesses).await {
            match res.expect("request").status() {
                StatusCode::UNAUTHORIZED => checked += 1,
                StatusCode::TOO_MANY_REQUESTS => limited += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(checked, 4, "the three nodes let the limit through once");
        assert_eq!(limited, 56);
        cluster.stop_all().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_started_together_apply_a_changed_content_types_folder_once() {
        let folder = tempfile::tempdir().expect("folder");
        let write = |fields: &[Value]| {
            let def = json!({"api_id": "shelves", "name": "Shelf", "fields": fields});
            let file = folder.path().join("shelves.json");
            std::fs::write(file, def.to_string()).expect("type file");
        };
        let mut fields = vec![json!({"name": "title", "type": "string"})];
        write(&fields);
        let mut cluster = Cluster::new(folder.path(), &[]).await;
        cluster.add(1).await;
        let shelves = "/admin/api/content-types/shelves";
        assert_eq!(cluster.get(0, shelves).await["schema_version"], 1);
        cluster.stop_all().await;

        fields.push(json!({"name": "label", "type": "string"}));
        write(&fields);
        cluster.add(3).await;
        for i in 0..3 {
            let ty = cluster.get(i, shelves).await;
            let names = ty["definition"]["fields"]
                .as_array()
                .expect("fields")
                .iter();
            let names: Vec<_> = names
                .map(|f| f["name"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(names, ["title", "label"], "node {i}: {ty}");
            assert_eq!(
                ty["schema_version"], 2,
                "one new version, on node {i}: {ty}"
            );
        }
        let audit = "/admin/api/audit?action=content_type.update&resource_id=shelves";
        let audit = cluster.get(0, audit).await;
        assert_eq!(audit["meta"]["total"], 1, "{audit}");
        assert_eq!(audit["data"][0]["detail"]["after_version"], 2, "{audit}");
        cluster.stop_all().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_node_starts_from_the_index_snapshot() {
        let slow = [("QUIRE_SEARCH_INTERVAL_MS", "10000")];
        let mut cluster = Cluster::start(1, &slow).await;
        let id = cluster.article(0, "Snapshotted sandpiper").await;
        cluster.publish(0, "articles", &id).await;
        let search = "/api/search?q=sandpiper";
        let finds = async |cluster: &Cluster, i: usize| {
            let res = cluster
                .client
                .get(cluster.url(i, search))
                .send()
                .await
                .ok()?;
            let body: Value = res.json().await.ok()?;
            ids(&body).contains(&id).then_some(())
        };
        let indexed = poll(Duration::from_secs(5), async || finds(&cluster, 0).await);
        assert!(indexed.await.is_some(), "node 0 never indexed it");

        let env: Vec<(&str, &str)> = cluster
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let out = crate::cli::quire()
            .arg("--config")
            .arg(cluster.config(0))
            .args(["index", "snapshot"])
            .envs(env)
            .output()
            .expect("quire index snapshot");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(said.contains("stored the search index at change"), "{said}");

        cluster.add(1).await;
        let log = cluster.nodes[1].log.lock().unwrap().join("\n");
        assert!(log.contains("restored the index snapshot"), "{log}");
        // Ready means caught up: the snapshot's documents are searchable.
        assert_eq!(finds(&cluster, 1).await, Some(()), "node 1 lacks the entry");
        cluster.stop_all().await;
    }
}

//! Webhooks: signed deliveries from the change feed through the outbox,
//! retries, the delivery log, and the addresses a webhook may not reach.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route, Server, handler, post};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, db_tests, field_rules, problem};

const SECRET: &str = "a shared secret of some length";

/// One request the receiver took.
#[derive(Debug, Clone)]
struct Received {
    event: String,
    delivery: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver on a loopback port: records each request and
/// answers with the next planned status (200 once the plan runs out), or
/// sleeps first when told to.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    plan: Arc<Mutex<VecDeque<u16>>>,
    stall: Arc<Mutex<Option<Duration>>>,
}

#[handler]
async fn receive(
    req: &poem::Request,
    body: String,
    rx: poem::web::Data<&Receiver>,
) -> poem::Response {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    rx.got.lock().unwrap().push(Received {
        event: header("x-quire-event"),
        delivery: header("x-quire-delivery"),
        signature: header("x-quire-signature"),
        body,
    });
    let stall = *rx.stall.lock().unwrap();
    if let Some(d) = stall {
        tokio::time::sleep(d).await;
    }
    let status = rx.plan.lock().unwrap().pop_front().unwrap_or(200);
    poem::Response::builder()
        .status(poem::http::StatusCode::from_u16(status).unwrap())
        .body(format!("answered {status}"))
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let rx = Receiver::default();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let app = Route::new().at("/hook", post(receive)).data(rx.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        (rx, format!("http://{addr}/hook"))
    }

    fn all(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) until some request satisfies `pick`.
    async fn wait_for(&self, pick: impl Fn(&Received) -> bool) -> Received {
        for _ in 0..300 {
            if let Some(r) = self.all().into_iter().find(|r| pick(r)) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no such delivery arrived; got {:?}", self.all());
    }
}

/// The app with fast webhook timings, allowed to post to loopback.
async fn fast(app: TestApp) -> TestApp {
    app.restart_with(|c| {
        c.webhook_allow_private = true;
        c.webhooks.poll = Duration::from_millis(50);
        c.webhooks.retry_base = Duration::from_millis(100);
        c.webhooks.timeout = Duration::from_millis(1500);
    })
    .await
}

async fn create_hook(app: &TestApp, body: Value) -> Value {
    let res = app
        .admin(Method::POST, "/admin/api/webhooks")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let json: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{json}");
    json
}

fn verify(secret: &str, r: &Received) {
    let (t, v1) = r.signature.split_once(",v1=").expect("t=…,v1=…");
    let t = t.strip_prefix("t=").expect("t=");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", r.body).as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, hex, "the signature covers the timestamp and the body");
    let age = quire::clock::now() / 1_000_000 - t.parse::<i64>().unwrap();
    assert!(
        (0..60).contains(&age),
        "the timestamp is the time of sending: {age}s"
    );
}

async fn deliveries(app: &TestApp, hook: &str) -> Vec<Value> {
    let log = app
        .admin_get(&format!("/admin/api/webhooks/{hook}/deliveries?limit=100"))
        .await;
    log["data"].as_array().unwrap().clone()
}

/// Polls the delivery log until `done` holds for one delivery (up to 15 s).
async fn log_until(app: &TestApp, hook: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..300 {
        if let Some(d) = deliveries(app, hook).await.into_iter().find(|d| done(d)) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the delivery log never showed it: {:?}",
        deliveries(app, hook).await
    );
}

db_tests! {
    async fn a_publish_is_delivered_signed_with_the_entry_and_the_keys_to_purge(app) {
        let app = fast(app).await;
        let (rx, url) = Receiver::start().await;
        let hook = create_hook(&app, json!({
            "name": "site", "url": url, "secret": SECRET,
            "events": ["entry.published", "entry.deleted", "cache.purge"],
        })).await;
        assert!(hook.get("secret").is_some() && hook["enabled"] == true, "{hook}");
        let hook_id = hook["id"].as_str().unwrap().to_string();
        // A webhook limited to another type hears nothing of articles.
        let (other_rx, other_url) = Receiver::start().await;
        create_hook(&app, json!({
            "name": "authors only", "url": other_url, "events": ["entry.published"], "types": ["authors"],
        })).await;

        let id = app.published_article("Signed and sent").await;
        let published = rx.wait_for(|r| r.event == "entry.published" && r.json()["id"] == id).await;
        verify(SECRET, &published);
        let body = published.json();
        assert_eq!(body["type"], "articles");
        assert_eq!(body["locale"], "en");
        assert_eq!(body["version"], 2, "created, then published: {body}");
        assert_eq!(body["entry"]["title"], "Signed and sent");
        assert!(body["at"].as_str().unwrap().ends_with('Z'));
        assert!(!published.delivery.is_empty());

        let purge = rx.wait_for(|r| r.event == "cache.purge" && r.json()["id"] == id).await;
        verify(SECRET, &purge);
        assert_eq!(purge.json()["keys"], json!(["articles", id]));

        // Not asked for: the draft saves.
        assert!(!rx.all().iter().any(|r| r.event == "entry.saved"));

        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap();
        assert!(res.status().is_success());
        let deleted = rx.wait_for(|r| r.event == "entry.deleted" && r.json()["id"] == id).await;
        assert!(deleted.json().get("entry").is_none(), "a deleted entry has no body");

        // The log shows each delivery, delivered, with the receiver's answer.
        let logged = log_until(&app, &hook_id, |d| d["id"] == published.delivery.as_str() && d["status"] == "delivered").await;
        assert_eq!(logged["status_code"], 200);
        assert_eq!(logged["attempts"], 1);
        assert_eq!(logged["response_excerpt"], "answered 200");
        assert_eq!(logged["event"], "entry.published");
        assert!(logged["duration_ms"].as_i64().unwrap() >= 0);
        assert!(other_rx.all().is_empty(), "{:?}", other_rx.all());
    }

    async fn a_failing_receiver_is_retried_with_backoff_until_it_answers(app) {
        let app = fast(app).await;
        let (rx, url) = Receiver::start().await;
        rx.plan.lock().unwrap().extend([500, 503]);
        let hook = create_hook(&app, json!({"name": "flaky", "url": url, "events": ["entry.saved"]})).await;
        let hook_id = hook["id"].as_str().unwrap().to_string();
        let e = app.create_entry("articles", json!({"title": "Retried"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        let done = log_until(&app, &hook_id, |d| d["status"] == "delivered").await;
        assert_eq!(done["attempts"], 3, "{done}");
        let tries: Vec<Received> = rx.all().into_iter().filter(|r| r.json()["id"] == id).collect();
        assert_eq!(tries.len(), 3);
        // Every attempt is the same delivery with the same body.
        assert!(tries.iter().all(|r| r.delivery == tries[0].delivery && r.body == tries[0].body));
        assert_eq!(tries[0].json()["entry"]["data"]["title"], "Retried");
    }

    async fn a_receiver_that_does_not_answer_in_time_is_logged_and_retried(app) {
        let app = app.restart_with(|c| {
            c.webhook_allow_private = true;
            c.webhooks.poll = Duration::from_millis(50);
            c.webhooks.retry_base = Duration::from_secs(60);
            c.webhooks.timeout = Duration::from_millis(300);
        }).await;
        let (rx, url) = Receiver::start().await;
        *rx.stall.lock().unwrap() = Some(Duration::from_secs(3));
        let hook = create_hook(&app, json!({"name": "slow", "url": url, "events": ["entry.saved"]})).await;
        let hook_id = hook["id"].as_str().unwrap().to_string();
        app.create_entry("articles", json!({"title": "Slow"})).await;
        let d = log_until(&app, &hook_id, |d| d["error"].is_string()).await;
        assert_eq!(d["error"], "timed out");
        assert_eq!(d["status"], "pending");
        assert!(d["status_code"].is_null());
        assert!(d["next_try_at"].is_string(), "{d}");
    }

    async fn a_delivery_is_given_up_after_the_retry_window_and_can_be_retried_by_hand(app) {
        let app = app.restart_with(|c| {
            c.webhook_allow_private = true;
            c.webhooks.poll = Duration::from_millis(50);
            c.webhooks.retry_base = Duration::from_millis(50);
            c.webhooks.retry_for = Duration::from_millis(400);
        }).await;
        let (rx, url) = Receiver::start().await;
        rx.plan.lock().unwrap().extend([500; 1000]);
        let hook = create_hook(&app, json!({"name": "down", "url": url, "events": ["entry.saved"]})).await;
        let hook_id = hook["id"].as_str().unwrap().to_string();
        app.create_entry("articles", json!({"title": "Never arrives"})).await;
        let failed = log_until(&app, &hook_id, |d| d["status"] == "failed").await;
        assert!(failed["attempts"].as_i64().unwrap() >= 2, "{failed}");
        assert!(failed["next_try_at"].is_null());
        assert_eq!(failed["status_code"], 500);

        // The receiver is fixed; an admin retries the failed delivery.
        rx.plan.lock().unwrap().clear();
        let did = failed["id"].as_str().unwrap();
        let res = app.admin(Method::POST, &format!("/admin/api/webhooks/{hook_id}/deliveries/{did}/retry")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "pending");
        log_until(&app, &hook_id, |d| d["id"] == did && d["status"] == "delivered").await;

        // Filtering the log by status.
        let failed_only = app.admin_get(&format!("/admin/api/webhooks/{hook_id}/deliveries?status=failed")).await;
        assert_eq!(failed_only["meta"]["total"], 0, "{failed_only}");
        let res = app.admin(Method::POST, &format!("/admin/api/webhooks/{hook_id}/deliveries/nope/retry")).send().await.unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
    }

    async fn queued_deliveries_survive_a_restart(app) {
        let app = fast(app).await;
        let (rx, url) = Receiver::start().await;
        rx.plan.lock().unwrap().extend([503; 1000]);
        let hook = create_hook(&app, json!({"name": "later", "url": url, "events": ["entry.published"]})).await;
        let hook_id = hook["id"].as_str().unwrap().to_string();
        let id = app.published_article("Kept through a restart").await;
        log_until(&app, &hook_id, |d| d["status_code"] == 503).await;
        let app = fast(app).await;
        rx.plan.lock().unwrap().clear();
        let got = rx.wait_for(|r| r.json()["id"] == id && r.event == "entry.published").await;
        let log = log_until(&app, &hook_id, |d| d["id"] == got.delivery.as_str() && d["status"] == "delivered").await;
        assert!(log["attempts"].as_i64().unwrap() >= 2);
        // One change, one delivery, whatever the restarts.
        assert_eq!(deliveries(&app, &hook_id).await.len(), 1);
    }

    async fn a_test_delivery_is_sent_at_once_and_reports_the_answer(app) {
        let app = fast(app).await;
        let (rx, url) = Receiver::start().await;
        let hook = create_hook(&app, json!({"name": "ping me", "url": url, "events": ["entry.saved"], "secret": SECRET})).await;
        let hook_id = hook["id"].as_str().unwrap().to_string();
        let res = app.admin(Method::POST, &format!("/admin/api/webhooks/{hook_id}/test")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let d: Value = res.json().await.unwrap();
        assert_eq!((d["event"].as_str(), d["status"].as_str(), d["status_code"].as_i64()), (Some("ping"), Some("delivered"), Some(200)));
        let got = rx.all();
        assert_eq!(got.len(), 1);
        verify(SECRET, &got[0]);
        assert_eq!(got[0].json()["webhook"], hook_id.as_str());

        // A failed test is reported, not retried.
        rx.plan.lock().unwrap().push_back(500);
        let res = app.admin(Method::POST, &format!("/admin/api/webhooks/{hook_id}/test")).send().await.unwrap();
        let d: Value = res.json().await.unwrap();
        assert_eq!((d["status"].as_str(), d["status_code"].as_i64()), (Some("failed"), Some(500)));
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(rx.all().len(), 2);
    }

    async fn webhooks_are_edited_with_their_version_and_never_show_the_secret_again(app) {
        let hook = create_hook(&app, json!({"name": "a", "url": "https://93.184.216.34/hook", "events": ["entry.saved"]})).await;
        let id = hook["id"].as_str().unwrap().to_string();
        assert!(hook["secret"].as_str().unwrap().len() >= 32, "a generated secret: {hook}");
        let read = app.admin_get(&format!("/admin/api/webhooks/{id}")).await;
        assert!(read.get("secret").is_none(), "{read}");
        let listed = app.admin_get("/admin/api/webhooks").await;
        assert!(listed["data"][0].get("secret").is_none());

        let path = format!("/admin/api/webhooks/{id}");
        let res = app.admin(Method::PATCH, &path).json(&json!({"enabled": false})).send().await.unwrap();
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(field_rules(&p).contains(&("version".into(), "required".into())), "{p}");
        let res = app.admin(Method::PATCH, &format!("{path}?version=1"))
            .json(&json!({"enabled": false, "types": ["articles"]})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let changed: Value = res.json().await.unwrap();
        assert_eq!((changed["enabled"].clone(), changed["version"].clone(), changed["types"].clone()), (json!(false), json!(2), json!(["articles"])));
        // A second editor still holding version 1 is told, not obeyed.
        let res = app.admin(Method::PATCH, &format!("{path}?version=1")).json(&json!({"name": "b"})).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "version_conflict");
        let res = app.admin(Method::PATCH, &path).header("If-Match", "\"2\"").json(&json!({"types": null})).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap()["types"], Value::Null);

        let res = app.admin(Method::DELETE, &path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = app.admin(Method::GET, &path).send().await.unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
        let audit = app.admin_get(&format!("/admin/api/audit?resource_id={id}")).await;
        let actions: Vec<&str> = audit["data"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["webhook.delete", "webhook.update", "webhook.update", "webhook.create"]);
    }

    async fn bad_webhooks_are_refused_naming_the_field(app) {
        let cases = [
            (json!({"name": "x", "url": "ftp://example.com/", "events": ["entry.saved"]}), "url", "scheme"),
            (json!({"name": "x", "url": "not a url", "events": ["entry.saved"]}), "url", "format"),
            (json!({"name": "x", "url": "http://user:pw@93.184.216.34/", "events": ["entry.saved"]}), "url", "credentials"),
            (json!({"name": "x", "url": "https://93.184.216.34/", "events": ["entry.sneezed"]}), "events[0]", "values"),
            (json!({"name": "x", "url": "https://93.184.216.34/", "events": []}), "events", "min_items"),
            (json!({"name": "x", "url": "https://93.184.216.34/", "events": ["entry.saved", "entry.saved"]}), "events[1]", "unique"),
            (json!({"name": "x", "url": "https://93.184.216.34/", "events": ["entry.saved"], "types": ["nope"]}), "types[0]", "exists"),
            (json!({"name": "x", "url": "https://93.184.216.34/", "events": ["entry.saved"], "secret": "short"}), "secret", "length"),
            (json!({"name": "", "url": "https://93.184.216.34/", "events": ["entry.saved"]}), "name", "length"),
        ];
        for (body, field, rule) in cases {
            let res = app.admin(Method::POST, "/admin/api/webhooks").json(&body).send().await.unwrap();
            let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(field_rules(&p).contains(&(field.into(), rule.into())), "{body}: {p}");
        }
        let res = app.admin(Method::POST, "/admin/api/webhooks")
            .json(&json!({"name": "x", "url": "https://93.184.216.34/", "events": ["entry.saved"], "retries": 3}))
            .send().await.unwrap();
        let p = problem(res, StatusCode::BAD_REQUEST).await;
        assert!(p.to_string().contains("retries"), "{p}");

        // Webhooks are for admins only.
        let editor = app.user("ed@example.com", "editor", None).await;
        for (method, path) in [(Method::GET, "/admin/api/webhooks"), (Method::POST, "/admin/api/webhooks")] {
            let res = app.with_token(&editor, method, path)
                .json(&json!({"name": "x", "url": "https://93.184.216.34/", "events": ["entry.saved"]}))
                .send().await.unwrap();
            problem(res, StatusCode::FORBIDDEN).await;
        }
        let res = app.anon(Method::GET, "/admin/api/webhooks").send().await.unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;
    }

    async fn private_addresses_are_refused_when_saved_and_when_delivered(app) {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            let res = app.admin(Method::POST, "/admin/api/webhooks")
                .json(&json!({"name": "x", "url": url, "events": ["entry.saved"]}))
                .send().await.unwrap();
            let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(field_rules(&p).contains(&("url".into(), "public_address".into())), "{url}: {p}");
        }
        // Saved while private addresses were allowed, then no longer: the
        // delivery itself refuses to go there.
        let app = fast(app).await;
        let (rx, url) = Receiver::start().await;
        let hook = create_hook(&app, json!({"name": "inside", "url": url, "events": ["entry.saved"]})).await;
        let hook_id = hook["id"].as_str().unwrap().to_string();
        let app = app.restart_with(|c| c.webhook_allow_private = false).await;
        app.create_entry("articles", json!({"title": "Not for the inside"})).await;
        let d = log_until(&app, &hook_id, |d| d["error"].is_string()).await;
        assert!(d["error"].as_str().unwrap().contains("127.0.0.1"), "{d}");
        assert!(rx.all().is_empty());
    }
}

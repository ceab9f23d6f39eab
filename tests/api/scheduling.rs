//! Scheduled publishing: set in a write or on its own, run by the
//! scheduler once when the (test-controlled) clock reaches it, caught up
//! after downtime, refused for past times.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, db_tests, field_rules, problem};

/// An RFC 3339 time `secs` seconds from the server's clock.
fn from_now(app: &TestApp, secs: i64) -> String {
    quire::clock::format(app.config.clock.now() + secs * 1_000_000)
}

/// Polls a public read until it answers `status` (up to 10 s).
async fn public_until(app: &TestApp, path: &str, status: StatusCode) {
    for _ in 0..200 {
        if app.public(path).await.status() == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never answered {status}");
}

async fn schedule(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.admin(
        Method::POST,
        &format!("/admin/api/entries/articles/{id}/schedule"),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

async fn revisions(app: &TestApp, id: &str) -> Vec<Value> {
    let list = app
        .admin_get(&format!("/admin/api/entries/articles/{id}/revisions"))
        .await;
    list["data"].as_array().unwrap().clone()
}

db_tests! {
    async fn a_translation_goes_live_and_comes_down_when_its_times_come(app) {
        let app = app.restart_with(|c| c.schedule_poll = Duration::from_millis(100)).await;
        let e = app.create_entry("articles", json!({"title": "Embargoed"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        let at = from_now(&app, 3600);
        let res = schedule(&app, &id, json!({"publish_at": at})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["schedule"]["publish_at"], at.as_str());
        assert_eq!(body["version"], 1, "a schedule is not an edit of the content");
        let path = format!("/api/articles/{id}");
        assert_eq!(app.public(&path).await.status(), StatusCode::NOT_FOUND);

        // Not yet: nothing happens before the time.
        app.config.clock.advance(Duration::from_secs(3500));
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(app.public(&path).await.status(), StatusCode::NOT_FOUND);

        app.config.clock.advance(Duration::from_secs(101));
        public_until(&app, &path, StatusCode::OK).await;
        let now = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
        assert_eq!(now["status"], "published");
        assert!(now["schedule"]["publish_at"].is_null(), "done, so no longer scheduled: {now}");
        let revs = revisions(&app, &id).await;
        assert_eq!(revs.iter().filter(|r| r["action"] == "publish").count(), 1);
        let audit = app.admin_get(&format!("/admin/api/audit?resource_id={id}&action=entry.publish")).await;
        assert_eq!(audit["data"][0]["actor"], "scheduler");

        // The unpublish, set with an edit this time.
        let until = from_now(&app, 60);
        let res = app.admin(Method::PATCH, &format!("/admin/api/entries/articles/{id}"))
            .json(&json!({"data": {"summary": "Until noon"}, "version": now["version"], "unpublish_at": until}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["schedule"]["unpublish_at"], until.as_str());
        app.config.clock.advance(Duration::from_secs(61));
        public_until(&app, &path, StatusCode::NOT_FOUND).await;
        let after = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
        assert_eq!(after["status"], "draft");
        assert!(after["schedule"]["unpublish_at"].is_null());
    }

    async fn past_or_crossed_times_are_refused_and_nothing_is_written(app) {
        let e = app.create_entry("articles", json!({"title": "Not in the past"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        let cases = [
            (json!({"publish_at": from_now(&app, -60)}), "publish_at", "future"),
            (json!({"unpublish_at": "tomorrow"}), "unpublish_at", "type"),
            (json!({"publish_at": from_now(&app, 120), "unpublish_at": from_now(&app, 60)}), "unpublish_at", "after_publish"),
        ];
        for (body, field, rule) in cases {
            let p = problem(schedule(&app, &id, body.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(field_rules(&p).contains(&(field.into(), rule.into())), "{body}: {p}");
        }
        // Against what is already set, too.
        assert_eq!(schedule(&app, &id, json!({"publish_at": from_now(&app, 600)})).await.status(), StatusCode::OK);
        let p = problem(schedule(&app, &id, json!({"unpublish_at": from_now(&app, 300)})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(field_rules(&p).contains(&("unpublish_at".into(), "after_publish".into())), "{p}");
        let res = schedule(&app, &id, json!({"publish_at": null, "sometime": 1})).await;
        problem(res, StatusCode::BAD_REQUEST).await;
        problem(schedule(&app, &id, json!({"publish_at": 5})).await, StatusCode::BAD_REQUEST).await;

        // A create with a past time writes no entry.
        let before = app.admin_get("/admin/api/entries/articles").await["meta"]["total"].clone();
        let res = app.admin(Method::POST, "/admin/api/entries/articles")
            .json(&json!({"data": {"title": "Too late"}, "publish_at": from_now(&app, -1)}))
            .send().await.unwrap();
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(field_rules(&p).contains(&("publish_at".into(), "future".into())), "{p}");
        assert_eq!(app.admin_get("/admin/api/entries/articles").await["meta"]["total"], before);

        // Scheduling is publishing: an author may not.
        let author = app.user("author@example.com", "author", None).await;
        let res = app.with_token(&author, Method::POST, "/admin/api/entries/articles")
            .json(&json!({"data": {"title": "Mine"}, "publish_at": from_now(&app, 60)}))
            .send().await.unwrap();
        problem(res, StatusCode::FORBIDDEN).await;

        // Clearing works, and a manual publish takes a pending one away.
        let res = schedule(&app, &id, json!({"publish_at": null})).await;
        assert!(res.json::<Value>().await.unwrap()["schedule"]["publish_at"].is_null());
        schedule(&app, &id, json!({"publish_at": from_now(&app, 600)})).await;
        let published = app.publish("articles", &id).await;
        assert!(published["schedule"]["publish_at"].is_null(), "{published}");
    }

    async fn a_publish_that_cannot_run_is_noted_and_not_retried(app) {
        let app = app.restart_with(|c| c.schedule_poll = Duration::from_millis(100)).await;
        // A live entry keeps its slug while its draft moves on; a second
        // draft takes that slug, which only one live entry may hold.
        let first = app.published_article("Same title").await;
        let res = app.patch("articles", &first, json!({"slug": "moved-on"}), 2).await;
        assert_eq!(res.status(), StatusCode::OK);
        let e = app.create_entry("articles", json!({"title": "Same title", "slug": "same-title"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        schedule(&app, &id, json!({"publish_at": from_now(&app, 60)})).await;
        app.config.clock.advance(Duration::from_secs(61));
        let mut error = Value::Null;
        for _ in 0..100 {
            error = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await["schedule"]["error"].clone();
            if error.is_string() { break; }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let entry = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
        assert!(error.as_str().unwrap_or_default().contains("slug"), "{error} {entry}");
        let now = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
        assert_eq!(now["status"], "draft");
        // Scheduling again clears the note.
        let res = schedule(&app, &id, json!({"publish_at": from_now(&app, 60)})).await;
        assert!(res.json::<Value>().await.unwrap()["schedule"]["error"].is_null());
    }

    async fn the_scheduler_catches_up_after_downtime(app) {
        // A node that looks once an hour is as good as down.
        let app = app.restart_with(|c| c.schedule_poll = Duration::from_secs(3600)).await;
        let e = app.create_entry("articles", json!({"title": "Due while down"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        schedule(&app, &id, json!({"publish_at": from_now(&app, 60)})).await;
        // The first look happens at the start; let it pass, then the time comes.
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.config.clock.advance(Duration::from_secs(3600));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(app.public(&format!("/api/articles/{id}")).await.status(), StatusCode::NOT_FOUND);
        let app = app.restart_with(|c| c.schedule_poll = Duration::from_millis(100)).await;
        public_until(&app, &format!("/api/articles/{id}"), StatusCode::OK).await;
    }
}

/// Two nodes on one database see the same actions due: each runs once.
async fn due_actions_run_once_across_nodes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let app = app
        .restart_with(|c| c.schedule_poll = Duration::from_millis(20))
        .await;
    let mut config = app.config.clone();
    config.bind = "127.0.0.1:0".parse().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    config.search_dir = Some(elsewhere.path().join("search"));
    let other = quire::app::start(config).await.expect("second node starts");
    let mut ids = Vec::new();
    for i in 0..20 {
        let e = app
            .create_entry("articles", json!({"title": format!("Scheduled {i}")}))
            .await;
        let id = e["id"].as_str().unwrap().to_string();
        schedule(&app, &id, json!({"publish_at": from_now(&app, 60)})).await;
        ids.push(id);
    }
    // Both clocks are the same clock.
    app.config.clock.advance(Duration::from_secs(61));
    for id in &ids {
        public_until(&app, &format!("/api/articles/{id}"), StatusCode::OK).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in &ids {
        let publishes = revisions(&app, id)
            .await
            .into_iter()
            .filter(|r| r["action"] == "publish")
            .count();
        assert_eq!(publishes, 1, "{id} was published {publishes} times");
    }
    other.shutdown().await.expect("second node stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_actions_run_once_across_nodes_sqlite() {
    due_actions_run_once_across_nodes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_actions_run_once_across_nodes_postgres() {
    due_actions_run_once_across_nodes(Backend::Postgres).await;
}

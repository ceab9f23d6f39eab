//! Revision history: one copy with its diff, and restoring an old copy.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{db_tests, field_rules, problem};

db_tests! {
    async fn a_revision_shows_its_copy_and_what_it_changed(app) {
        let e = app.create_entry("articles", json!({"title": "First", "summary": "S"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.patch("articles", &id, json!({"title": "Second", "summary": null, "byline": "Ada"}), 1).await;
        let rev: Value = app.admin_get(&format!("/admin/api/entries/articles/{id}/revisions/2")).await;
        assert_eq!(rev["revision"]["version"], 2);
        assert_eq!(rev["revision"]["action"], "update");
        assert_eq!(rev["revision"]["data"]["title"], "Second");
        assert_eq!(rev["previous_version"], 1);
        let diff: Vec<(String, String)> = rev["diff"].as_array().unwrap().iter()
            .map(|d| (d["field"].as_str().unwrap().into(), d["change"].as_str().unwrap().into()))
            .collect();
        let has = |f: &str, c: &str| diff.contains(&(f.to_string(), c.to_string()));
        assert!(has("title", "changed") && has("byline", "added") && has("summary", "removed"), "{diff:?}");
        assert!(!diff.iter().any(|(f, _)| f == "category"), "an unchanged field is not in the diff: {diff:?}");
        let title = rev["diff"].as_array().unwrap().iter().find(|d| d["field"] == "title").unwrap();
        assert_eq!((&title["before"], &title["after"]), (&json!("First"), &json!("Second")));

        // The first revision differs from nothing.
        let first = app.admin_get(&format!("/admin/api/entries/articles/{id}/revisions/1")).await;
        assert!(first["previous_version"].is_null());
        assert!(first["diff"].as_array().unwrap().iter().all(|d| d["change"] == "added"));

        // A version the entry never had is a 404 that names it.
        let res = app.admin(Method::GET, &format!("/admin/api/entries/articles/{id}/revisions/9")).send().await.unwrap();
        let p = problem(res, StatusCode::NOT_FOUND).await;
        assert!(p["detail"].as_str().unwrap().contains("revision 9"), "{p}");
    }

    async fn restore_makes_an_old_copy_the_working_copy_and_leaves_the_live_one(app) {
        let e = app.create_entry("articles", json!({"title": "Old title", "summary": "Old summary"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.patch("articles", &id, json!({"title": "New title", "summary": null, "byline": "Ada"}), 1).await;
        let live = app.publish("articles", &id).await;
        let version = live["version"].as_i64().unwrap();

        let restore = |rev: i64, v: Option<i64>| {
            let q = v.map(|v| format!("?version={v}")).unwrap_or_default();
            app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/revisions/{rev}/restore{q}")).send()
        };
        // Without the current version nothing is written.
        let p = problem(restore(1, None).await.unwrap(), StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "version_conflict");
        assert_eq!(p["current_version"], version);
        let p = problem(restore(1, Some(version - 1)).await.unwrap(), StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "version_conflict");
        problem(restore(42, Some(version)).await.unwrap(), StatusCode::NOT_FOUND).await;

        let res = restore(1, Some(version)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let restored: Value = res.json().await.unwrap();
        assert_eq!(restored["version"], version + 1);
        assert_eq!(restored["data"]["title"], "Old title");
        assert_eq!(restored["data"]["summary"], "Old summary");
        assert!(restored["data"]["byline"].is_null(), "a field the old copy lacks is cleared, not merged");
        assert_eq!(restored["status"], "changed", "the working copy differs from the live one");

        // The public API still serves what was published.
        let public: Value = app.public(&format!("/api/articles/{id}")).await.json().await.unwrap();
        assert_eq!(public["data"]["title"], "New title");
        assert_eq!(public["data"]["byline"], "Ada");

        // The restore is itself a revision, newest first.
        let revs = app.admin_get(&format!("/admin/api/entries/articles/{id}/revisions")).await;
        assert_eq!(revs["data"][0]["action"], "restore");
        assert_eq!(revs["data"][0]["version"], version + 1);
    }

    async fn a_restored_copy_must_be_valid_as_things_are_now(app) {
        // The old copy points at an author that has since been deleted.
        let ada = app.create_entry("authors", json!({"name": "Ada"})).await;
        let ada = ada["id"].as_str().unwrap().to_string();
        let e = app.create_entry("articles", json!({"title": "By Ada", "author": ada})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.patch("articles", &id, json!({"author": null}), 1).await;
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/authors/{ada}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/revisions/1/restore?version=2")).send().await.unwrap();
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p).first().map(|(f, _)| f.as_str()), Some("author"), "{p}");
        let now = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
        assert_eq!(now["version"], 2, "nothing was written");
        assert!(now["data"]["author"].is_null());
    }

    async fn a_viewer_cannot_restore(app) {
        let e = app.create_entry("articles", json!({"title": "Mine"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.patch("articles", &id, json!({"title": "Changed"}), 1).await;
        let token = app.user("viewer@example.com", "viewer", None).await;
        let res = app.with_token(&token, Method::POST, &format!("/admin/api/entries/articles/{id}/revisions/1/restore?version=2")).send().await.unwrap();
        problem(res, StatusCode::FORBIDDEN).await;
        let res = app.anon(Method::POST, &format!("/admin/api/entries/articles/{id}/revisions/1/restore?version=2")).send().await.unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;
        let rev = app.with_token(&token, Method::GET, &format!("/admin/api/entries/articles/{id}/revisions/2")).send().await.unwrap();
        assert_eq!(rev.status(), StatusCode::OK, "a viewer may read the history");
    }

    async fn a_translation_keeps_the_newest_revisions_it_is_told_to(app) {
        let app = app.restart_with(|c| c.revisions_keep = Some(2)).await;
        let e = app.create_entry("articles", json!({"title": "One"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.patch("articles", &id, json!({"title": "Two"}), 1).await;
        app.patch("articles", &id, json!({"title": "Three"}), 2).await;
        app.publish("articles", &id).await;
        let revs = app.admin_get(&format!("/admin/api/entries/articles/{id}/revisions")).await;
        let versions: Vec<i64> = revs["data"].as_array().unwrap().iter().map(|r| r["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, [4, 3], "the two newest");
        // What is kept still restores; what is gone is a 404.
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/revisions/3/restore?version=4")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.admin(Method::GET, &format!("/admin/api/entries/articles/{id}/revisions/1")).send().await.unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
    }
}

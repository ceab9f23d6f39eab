//! Writes at the same time: each lands whole, with its revision, change-feed
//! row and audit row, or not at all, whatever the writes beside it do (on
//! SQLite queued writers share one transaction, each in its own savepoint).

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{db_tests, problem};

db_tests! {
    async fn concurrent_writes_land_whole_and_a_refused_one_takes_nothing_with_it(app) {
        app.create_entry("articles", json!({"title": "Taken", "slug": "taken"})).await;
        let slug = |i: usize| if i.is_multiple_of(3) { "taken".to_string() } else { format!("write-{i}") };
        let writes = (0..24).map(|i| app.try_create("articles", json!({"title": format!("Write {i}"), "slug": slug(i)})));
        let mut created = Vec::new();
        for (i, res) in join_all(writes).await.into_iter().enumerate() {
            if slug(i) == "taken" {
                let p = problem(res, StatusCode::CONFLICT).await;
                assert_eq!(p["code"], "unique_violation", "write {i}: {p}");
            } else {
                assert_eq!(res.status(), StatusCode::CREATED, "write {i}");
                let e: Value = res.json().await.unwrap();
                created.push(e["id"].as_str().unwrap().to_string());
            }
        }
        assert_eq!(created.len(), 16);

        // Every answered write is there with its own rows; the refused
        // ones left nothing.
        let counts = app.sql_strings(
            "SELECT CAST((SELECT COUNT(*) FROM entries) AS TEXT) \
             UNION ALL SELECT CAST((SELECT COUNT(*) FROM revisions) AS TEXT) \
             UNION ALL SELECT CAST((SELECT COUNT(*) FROM changes WHERE entity = 'entry') AS TEXT) \
             UNION ALL SELECT CAST((SELECT COUNT(*) FROM audit WHERE action = 'entry.create') AS TEXT)",
        ).await;
        assert_eq!(counts, ["17", "17", "17", "17"], "entries, revisions, changes, audit rows");
        for id in &created {
            let e = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
            assert_eq!(e["version"], 1, "{e}");
        }
    }

    async fn concurrent_edits_of_one_version_keep_one_and_refuse_the_rest(app) {
        let e = app.create_entry("articles", json!({"title": "Start"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        let edits = (0..8).map(|i| app.patch("articles", &id, json!({"title": format!("Edit {i}")}), 1));
        let mut kept = Vec::new();
        for (i, res) in join_all(edits).await.into_iter().enumerate() {
            if res.status() == StatusCode::OK {
                kept.push(i);
            } else {
                let p = problem(res, StatusCode::CONFLICT).await;
                assert_eq!(p["code"], "version_conflict", "{p}");
            }
        }
        assert_eq!(kept.len(), 1, "exactly one edit of version 1 is kept");
        let now = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
        assert_eq!(now["version"], 2);
        assert_eq!(now["data"]["title"], format!("Edit {}", kept[0]));

        // The file still takes writes once the burst is over.
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/publish")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

//! Search: follows publishing, typo-tolerant and prefix matching, drafts
//! only for the admin API, filters, crash recovery, and rebuilds.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, db_tests, field_rules, ids, problem};

fn public_search(app: &TestApp, q: &str) -> impl Fn() -> reqwest::RequestBuilder {
    let url = format!("/api/search?{}", q);
    let client = app.client.clone();
    let base = app.url(&url);
    move || client.get(&base)
}

fn admin_search(app: &TestApp, q: &str) -> impl Fn() -> reqwest::RequestBuilder {
    let client = app.client.clone();
    let base = app.url(&format!("/admin/api/search?{q}"));
    let token = app.token.clone();
    move || client.get(&base).bearer_auth(&token)
}

async fn article(app: &TestApp, title: &str, body: &str, publish: bool) -> String {
    let e = app
        .create_entry(
            "articles",
            json!({"title": title, "body": body, "reading_minutes": title.len()}),
        )
        .await;
    let id = e["id"].as_str().unwrap().to_string();
    if publish {
        app.publish("articles", &id).await;
    }
    id
}

db_tests! {
    async fn a_publish_is_found_and_an_unpublish_is_gone(app) {
        let id = article(&app, "Launching Quire", "The search engine ships inside the binary.", true).await;
        let found = app.search_until(public_search(&app, "q=engine"), |b| ids(b) == [id.clone()]).await;
        let hit = &found["data"][0];
        assert_eq!(hit["type"], "articles");
        assert!(hit["score"].as_f64().unwrap() > 0.0);
        assert_eq!(hit["highlights"]["body"], "The search <mark>engine</mark> ships inside the binary.");
        assert_eq!(hit["title"], "Launching Quire");
        assert!(found["meta"]["took_ms"].is_number());
        app.unpublish("articles", &id).await;
        app.search_until(public_search(&app, "q=engine"), |b| ids(b).is_empty()).await;
    }

    async fn a_deleted_entry_leaves_the_index(app) {
        let id = article(&app, "Temporary notice", "Scaffolding everywhere.", true).await;
        app.search_until(public_search(&app, "q=scaffolding"), |b| ids(b).len() == 1).await;
        app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap();
        app.search_until(public_search(&app, "q=scaffolding"), |b| ids(b).is_empty()).await;
        app.search_until(admin_search(&app, "q=scaffolding"), |b| ids(b).is_empty()).await;
    }

    async fn drafts_are_found_only_by_the_admin_api(app) {
        let id = article(&app, "Embargoed merger", "Confidential numbers.", false).await;
        let admin = app.search_until(admin_search(&app, "q=confidential"), |b| ids(b).len() == 1).await;
        assert_eq!(admin["data"][0]["status"], "draft");
        let public: Value = app.public("/api/search?q=confidential").await.json().await.unwrap();
        assert!(ids(&public).is_empty());
        // Unpublished edits of a published entry stay private too.
        app.publish("articles", &id).await;
        app.patch("articles", &id, json!({"body": "Leaked secretsauce."}), 2).await;
        app.search_until(admin_search(&app, "q=secretsauce"), |b| ids(b).len() == 1).await;
        let public: Value = app.public("/api/search?q=secretsauce").await.json().await.unwrap();
        assert!(ids(&public).is_empty());
        problem(app.public("/admin/api/search?q=confidential").await, StatusCode::UNAUTHORIZED).await;
    }

    async fn typos_prefixes_phrases_and_exclusions(app) {
        let a = article(&app, "Searching made simple", "Static sites love fast publishing.", true).await;
        let b = article(&app, "Publishing workflows", "Drafts, reviews and static exports.", true).await;
        app.search_until(public_search(&app, "q=workflows"), |r| ids(r).len() == 1).await;
        for (q, expected) in [
            ("q=serach", vec![a.clone()]),
            ("q=publshing", vec![a.clone(), b.clone()]),
            ("q=workfl", vec![b.clone()]),
            ("q=%22static%20sites%22", vec![a.clone()]),
            ("q=static%20-drafts", vec![a.clone()]),
            ("q=static%20exports", vec![b.clone()]),
            ("q=nothingmatcheshere", vec![]),
        ] {
            let body: Value = app.public(&format!("/api/search?{q}")).await.json().await.unwrap();
            let mut got = ids(&body);
            got.sort();
            let mut want = expected.clone();
            want.sort();
            assert_eq!(got, want, "{q}");
        }
        // Title matches weigh more than body matches.
        let body: Value = app.public("/api/search?q=publishing").await.json().await.unwrap();
        assert_eq!(ids(&body)[0], b);
    }

    async fn a_word_the_index_holds_is_taken_as_written(app) {
        let quilting = article(&app, "Quilting basics", "Patterns for beginners.", true).await;
        let quilling = article(&app, "Quilling basics", "Paper strips for beginners.", true).await;
        app.search_until(public_search(&app, "q=basics"), |r| ids(r).len() == 2).await;
        // `quilt` and `quill` are one edit apart; both are real words here.
        let body: Value = app.public("/api/search?q=quilting%20").await.json().await.unwrap();
        assert_eq!(ids(&body), std::slice::from_ref(&quilting));
        let body: Value = app.public("/api/search?q=quilling%20").await.json().await.unwrap();
        assert_eq!(ids(&body), [quilling]);
        // A misspelling matches its closest word only.
        let body: Value = app.public("/api/search?q=qulting%20").await.json().await.unwrap();
        assert_eq!(ids(&body), [quilting]);
    }

    async fn filters_and_types_combine_with_search(app) {
        article(&app, "Short guide", "Gardening basics.", true).await;
        let long = article(&app, "A much longer guide", "Gardening in depth.", true).await;
        app.search_until(public_search(&app, "q=gardening"), |r| ids(r).len() == 2).await;
        let body: Value = app.public("/api/search?q=gardening&type=articles&filter[reading_minutes][gt]=12").await.json().await.unwrap();
        assert_eq!(ids(&body), [long]);
        assert_eq!(body["meta"]["total"], 1);
        let body: Value = app.public("/api/search?q=gardening&type=articles&limit=1").await.json().await.unwrap();
        assert_eq!((ids(&body).len(), body["meta"]["total"].as_i64()), (1, Some(2)));
    }

    async fn malformed_searches_are_400(app) {
        for (q, field, rule) in [
            ("", "q", "required"),
            ("q=", "q", "syntax"),
            ("q=%22open", "q", "syntax"),
            ("q=-only", "q", "syntax"),
            ("q=x&type=nope", "type", "unknown_type"),
            ("q=x&type=articles&filter[nope][eq]=1", "filter[nope][eq]", "unknown_field"),
            ("q=x&filter[title][eq]=1", "filter", "needs_type"),
            ("q=x&sort=title", "sort", "unsupported"),
            ("q=x&limit=500", "limit", "range"),
            ("q=x&offset=990&limit=20", "offset", "range"),
        ] {
            let p = problem(app.public(&format!("/api/search?{q}")).await, StatusCode::BAD_REQUEST).await;
            assert_eq!(field_rules(&p), vec![(field.to_string(), rule.to_string())], "{q}");
        }
        let res = app.create_type(json!({"api_id": "plain", "name": "Plain", "fields": [{"name": "n", "type": "integer"}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let p = problem(app.public("/api/search?q=x&type=plain").await, StatusCode::BAD_REQUEST).await;
        assert_eq!(field_rules(&p), vec![("type".to_string(), "not_searchable".to_string())]);
    }

    async fn making_a_field_searchable_reindexes_its_type(app) {
        // The example types belong to content-types/; without the folder they are the API's.
        let app = app.restart_with(|c| c.content_types = None).await;
        let id = article(&app, "Guest column", "Opinions.", true).await;
        app.patch("articles", &id, json!({"byline": "Hypatia"}), 2).await;
        app.publish("articles", &id).await;
        app.search_until(public_search(&app, "q=column"), |r| ids(r).len() == 1).await;
        let body: Value = app.public("/api/search?q=hypatia").await.json().await.unwrap();
        assert!(ids(&body).is_empty(), "byline is not searchable yet");
        let mut def: Value = serde_json::from_str(&std::fs::read_to_string(crate::helpers::repo_path("content-types/articles.json")).unwrap()).unwrap();
        for f in def["fields"].as_array_mut().unwrap() {
            if f["name"] == "byline" {
                f["searchable"] = json!(true);
            }
        }
        let res = app.admin(Method::PUT, "/admin/api/content-types/articles").json(&def).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        app.search_until(public_search(&app, "q=hypatia"), |r| ids(r) == [id.clone()]).await;
    }

    async fn public_typo_correction_is_not_steered_by_drafts(app) {
        let live = article(&app, "Gazpacho", "A cold soup for hot days.", true).await;
        let draft = article(&app, "Gazpachi acquisition", "Not announced yet.", false).await;
        // The draft is searchable where drafts are...
        app.search_until(admin_search(&app, "q=gazpachi"), |b| ids(b).contains(&draft)).await;
        // ...while the public search corrects the typo as if it did not
        // exist: a draft word must not make the published soup vanish.
        let found = app.search_until(public_search(&app, "q=gazpachi"), |b| !ids(b).is_empty()).await;
        assert_eq!(ids(&found), [live]);
    }
}

async fn resumes_after_a_stop_before_the_index_commit(backend: Backend) {
    // An indexer that looks for changes once an hour: it never commits the
    // publish below before the server stops.
    let app = TestApp::spawn_with(backend, |s| s.search_interval_ms = Some(3_600_000)).await;
    // Let the indexer's first pass at start finish; after it, it sleeps.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let id = article(
        &app,
        "Written before the crash",
        "Durability matters.",
        true,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let body: Value = app
        .public("/api/search?q=durability")
        .await
        .json()
        .await
        .unwrap();
    // On PostgreSQL the change's notification wakes the indexer at once:
    // there the test checks only that the entry is found after a restart.
    if matches!(backend, Backend::Sqlite) {
        assert!(ids(&body).is_empty(), "not indexed yet");
    }
    let app = app.restart_with(|c| c.search_interval_ms = 100).await;
    app.search_until(public_search(&app, "q=durability"), |r| {
        ids(r) == [id.clone()]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_a_stop_before_the_index_commit_sqlite() {
    resumes_after_a_stop_before_the_index_commit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_a_stop_before_the_index_commit_postgres() {
    resumes_after_a_stop_before_the_index_commit(Backend::Postgres).await;
}

async fn reindex_equals_incremental(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (i, word) in ["alpha", "beta", "gamma", "delta", "epsilon"]
        .iter()
        .enumerate()
    {
        article(
            &app,
            &format!("Entry {word}"),
            &format!("Shared words and {word} {i}."),
            i % 2 == 0,
        )
        .await;
    }
    let incremental = app
        .search_until(admin_search(&app, "q=shared&limit=10"), |r| {
            ids(r).len() == 5
        })
        .await;
    let public_before = app
        .search_until(public_search(&app, "q=shared&limit=10"), |r| {
            ids(r).len() == 3
        })
        .await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .arg("reindex")
        .env("QUIRE_DATA_DIR", &app.config.data_dir)
        .env("QUIRE_DATABASE_URL", &app.config.database_url)
        .env_remove("QUIRE_SEARCH_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("indexed 5 entries"));
    // The running server swaps the rebuilt index in and answers the same.
    let search_dir = app.config.search_dir.clone().unwrap();
    let live = std::fs::read_to_string(search_dir.join("CURRENT")).unwrap();
    for _ in 0..200 {
        let dirs = std::fs::read_dir(&search_dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("index-")
            })
            .count();
        if dirs == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(search_dir.join(live.trim()).exists());
    // The same entries match; scores may differ in the last digits, since an
    // incrementally built index still counts deleted documents in its stats.
    let sorted = |b: &Value| {
        let mut v = ids(b);
        v.sort();
        v
    };
    let rebuilt: Value = app
        .admin(Method::GET, "/admin/api/search?q=shared&limit=10")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sorted(&rebuilt), sorted(&incremental));
    assert_eq!(rebuilt["meta"]["total"], incremental["meta"]["total"]);
    let public_after: Value = app
        .public("/api/search?q=shared&limit=10")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sorted(&public_after), sorted(&public_before));
    let epsilon: Value = app
        .public("/api/search?q=epsilon")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ids(&epsilon).len(),
        1,
        "a distinct word still finds its one entry"
    );
    // And it keeps following new changes.
    let id = article(&app, "After the rebuild", "Shared words too.", true).await;
    app.search_until(public_search(&app, "q=rebuild"), |r| ids(r) == [id.clone()])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_equals_incremental_sqlite() {
    reindex_equals_incremental(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_equals_incremental_postgres() {
    reindex_equals_incremental(Backend::Postgres).await;
}

/// Entry changes and a change of their type in one indexing batch: the
/// type's rebuild must keep the entries.
async fn a_batch_with_a_type_change_keeps_its_entries(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.search_interval_ms = Some(3_600_000)).await;
    // The example types belong to content-types/; without the folder they are the API's.
    let app = app
        .restart_with(|c| {
            c.content_types = None;
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let a = article(&app, "Batch one", "Together in a batch.", true).await;
    let b = article(&app, "Batch two", "Together in a batch.", false).await;
    let mut def: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::helpers::repo_path("content-types/articles.json")).unwrap(),
    )
    .unwrap();
    def["description"] = json!("Changed in the same batch.");
    let res = app
        .admin(Method::PUT, "/admin/api/content-types/articles")
        .json(&def)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let app = app.restart_with(|c| c.search_interval_ms = 100).await;
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    app.search_until(admin_search(&app, "q=together"), |r| {
        let mut got = ids(r);
        got.sort();
        got == both
    })
    .await;
    app.search_until(public_search(&app, "q=together"), |r| ids(r) == [a.clone()])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_a_type_change_keeps_its_entries_sqlite() {
    a_batch_with_a_type_change_keeps_its_entries(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_a_type_change_keeps_its_entries_postgres() {
    a_batch_with_a_type_change_keeps_its_entries(Backend::Postgres).await;
}

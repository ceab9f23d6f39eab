//! Writing entries: create, edit with versions, publish, unpublish, delete,
//! unique values, revisions and the change feed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{db_tests, field_rules, problem};

fn id_of(e: &Value) -> String {
    e["id"].as_str().unwrap().to_string()
}

db_tests! {
    async fn put_writes_the_one_entry_of_a_singleton(app) {
        let res = app
            .create_type(json!({"api_id": "site_settings", "name": "Site settings", "kind": "singleton",
                "fields": [{"name": "site_name", "type": "string", "required": true},
                           {"name": "tagline", "type": "string"}]}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let put = |body: Value| {
            app.admin(Method::PUT, "/admin/api/entries/site_settings").json(&body).send()
        };
        let res = put(json!({"data": {"site_name": "Quire", "tagline": "Fast"}})).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "the first write creates it");
        assert!(res.headers().contains_key("location"));
        let first: Value = res.json().await.unwrap();

        // It exists now: a write that names no version is a conflict that
        // says which version is current.
        let p = problem(put(json!({"data": {"site_name": "Q"}})).await.unwrap(), StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "version_conflict");
        assert_eq!(p["current_version"], first["version"]);

        // With it: the same entry, replaced; the tagline left out is cleared.
        let res = put(json!({"data": {"site_name": "Quire CMS"}, "version": first["version"]})).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let second: Value = res.json().await.unwrap();
        assert_eq!(second["id"], first["id"]);
        assert_eq!(second["data"], json!({"site_name": "Quire CMS", "tagline": null}));

        // A stale version writes nothing.
        let p = problem(put(json!({"data": {"site_name": "Old"}, "version": first["version"]})).await.unwrap(), StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "version_conflict");
        let list = app.admin_get("/admin/api/entries/site_settings").await;
        assert_eq!(list["meta"]["total"], 1, "still one entry");
        assert_eq!(list["data"][0]["data"]["site_name"], "Quire CMS");

        // Validation applies as to any write; a collection has no one entry.
        let p = problem(put(json!({"data": {"tagline": "x"}, "version": second["version"]})).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("site_name".to_string(), "required".to_string())]);
        let res = app.admin(Method::PUT, "/admin/api/entries/articles").json(&json!({"data": {"title": "x"}})).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "not_a_singleton");
    }

    async fn create_answers_201_with_a_draft_at_version_1(app) {
        let res = app.try_create("articles", json!({"title": "Hello"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let e: Value = res.json().await.unwrap();
        assert_eq!(location, format!("/admin/api/entries/articles/{}", id_of(&e)));
        assert_eq!(e["version"], 1);
        assert_eq!(e["status"], "draft");
        assert_eq!(e["data"]["title"], "Hello");
        assert_eq!(e["data"]["slug"], "hello");
        assert_eq!(e["data"]["category"], "news", "default applied");
        assert!(e["published_at"].is_null());
        for k in ["id", "created_at", "updated_at"] {
            assert!(e[k].is_string(), "{k}");
        }
    }

    async fn patch_changes_only_the_given_fields(app) {
        let e = app.create_entry("articles", json!({"title": "Hello", "summary": "s"})).await;
        let res = app.patch("articles", &id_of(&e), json!({"reading_minutes": 4}), 1).await;
        assert_eq!(res.status(), StatusCode::OK);
        let e: Value = res.json().await.unwrap();
        assert_eq!(e["version"], 2);
        assert_eq!(e["data"]["summary"], "s");
        assert_eq!(e["data"]["reading_minutes"], 4);
        let res = app.patch("articles", &id_of(&e), json!({"summary": null}), 2).await;
        let e: Value = res.json().await.unwrap();
        assert!(e["data"]["summary"].is_null());
    }

    async fn a_stale_version_is_refused_and_nothing_is_written(app) {
        let e = app.create_entry("articles", json!({"title": "One"})).await;
        let id = id_of(&e);
        assert_eq!(app.patch("articles", &id, json!({"title": "Two"}), 1).await.status(), StatusCode::OK);
        let res = app.patch("articles", &id, json!({"title": "Stale"}), 1).await;
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "version_conflict");
        assert_eq!(p["current_version"], 2);
        let got: Value = app.admin(Method::GET, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(got["data"]["title"], "Two");
        assert_eq!(got["version"], 2);
    }

    async fn concurrent_edits_of_one_version_let_exactly_one_win(app) {
        let e = app.create_entry("articles", json!({"title": "Base"})).await;
        let id = id_of(&e);
        let mut tasks = Vec::new();
        for i in 0..6 {
            let req = app.admin(Method::PATCH, &format!("/admin/api/entries/articles/{id}"))
                .json(&json!({"data": {"title": format!("Edit {i}")}, "version": 1}));
            tasks.push(tokio::spawn(async move { req.send().await.unwrap().status() }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 5, "{statuses:?}");
        let got: Value = app.admin(Method::GET, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(got["version"], 2);
    }

    async fn if_match_guards_publish_and_delete(app) {
        let e = app.create_entry("articles", json!({"title": "Guarded"})).await;
        let id = id_of(&e);
        let res = app.admin(Method::GET, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap();
        assert_eq!(res.headers()["etag"], "\"1\"");
        app.patch("articles", &id, json!({"title": "Moved on"}), 1).await;
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/publish"))
            .header("If-Match", "\"1\"").send().await.unwrap();
        problem(res, StatusCode::CONFLICT).await;
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}?version=1")).send().await.unwrap();
        problem(res, StatusCode::CONFLICT).await;
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}"))
            .header("If-Match", "\"2\"").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }

    async fn publishing_copies_the_working_copy_and_edits_wait(app) {
        let e = app.create_entry("articles", json!({"title": "First"})).await;
        let id = id_of(&e);
        let p = app.publish("articles", &id).await;
        assert_eq!(p["status"], "published");
        assert!(p["published_at"].is_string());
        let res = app.patch("articles", &id, json!({"title": "Second"}), p["version"].as_i64().unwrap()).await;
        let edited: Value = res.json().await.unwrap();
        assert_eq!(edited["status"], "changed");
        assert_eq!(edited["published"]["title"], "First");
        let public: Value = app.public(&format!("/api/articles/{id}")).await.json().await.unwrap();
        assert_eq!(public["data"]["title"], "First");
        let again = app.publish("articles", &id).await;
        assert_eq!(again["status"], "published");
        assert_eq!(again["published_at"], p["published_at"], "first publication date is kept");
        let public: Value = app.public(&format!("/api/articles/{id}")).await.json().await.unwrap();
        assert_eq!(public["data"]["title"], "Second");
    }

    async fn unpublish_takes_an_entry_off_the_public_api(app) {
        let id = app.published_article("Going away").await;
        assert_eq!(app.public(&format!("/api/articles/{id}")).await.status(), StatusCode::OK);
        let e = app.unpublish("articles", &id).await;
        assert_eq!(e["status"], "draft");
        assert_eq!(e["data"]["title"], "Going away", "working copy stays");
        problem(app.public(&format!("/api/articles/{id}")).await, StatusCode::NOT_FOUND).await;
        problem(app.public("/api/articles/going-away").await, StatusCode::NOT_FOUND).await;
    }

    async fn publishing_an_entry_that_breaks_the_current_type_is_refused(app) {
        // The example types belong to content-types/; without the folder they are the API's.
        let app = app.restart_with(|c| c.content_types = None).await;
        let e = app.create_entry("articles", json!({"title": "Needs more"})).await;
        let mut def: Value = serde_json::from_str(&std::fs::read_to_string(crate::helpers::repo_path("content-types/articles.json")).unwrap()).unwrap();
        // A tighter rule applies from the next save or publish on.
        def["fields"][0]["max_length"] = json!(5);
        let res = app.admin(Method::PUT, "/admin/api/content-types/articles").json(&def).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let p = problem(app.try_publish("articles", &id_of(&e)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), vec![("title".to_string(), "max_length".to_string())]);
    }

    async fn delete_removes_the_entry_everywhere(app) {
        let id = app.published_article("Doomed").await;
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.admin(Method::GET, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        problem(app.public(&format!("/api/articles/{id}")).await, StatusCode::NOT_FOUND).await;
        problem(app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }

    async fn a_given_slug_that_is_taken_is_refused(app) {
        app.create_entry("articles", json!({"title": "A", "slug": "same"})).await;
        let res = app.try_create("articles", json!({"title": "B", "slug": "same"})).await;
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "unique_violation");
        assert_eq!(field_rules(&p), vec![("slug".to_string(), "unique".to_string())]);
        let list: Value = app.admin(Method::GET, "/admin/api/entries/articles").send().await.unwrap().json().await.unwrap();
        assert_eq!(list["meta"]["total"], 1, "nothing half-written");
    }

    async fn a_generated_slug_takes_a_free_suffix(app) {
        let a = app.create_entry("articles", json!({"title": "Same Title"})).await;
        let b = app.create_entry("articles", json!({"title": "Same Title"})).await;
        let c = app.create_entry("articles", json!({"title": "Same Title"})).await;
        assert_eq!(a["data"]["slug"], "same-title");
        assert_eq!(b["data"]["slug"], "same-title-2");
        assert_eq!(c["data"]["slug"], "same-title-3");
    }

    async fn slug_changes_cannot_steal_a_taken_slug(app) {
        app.create_entry("articles", json!({"title": "A"})).await;
        let b = app.create_entry("articles", json!({"title": "B"})).await;
        let res = app.patch("articles", &id_of(&b), json!({"slug": "a"}), 1).await;
        problem(res, StatusCode::CONFLICT).await;
    }

    async fn publishing_a_slug_another_entry_has_live_is_refused(app) {
        let a = app.create_entry("articles", json!({"title": "A", "slug": "shared"})).await;
        app.publish("articles", &id_of(&a)).await;
        // a's working copy moves to another slug; its live copy keeps "shared".
        let res = app.patch("articles", &id_of(&a), json!({"slug": "moved"}), 2).await;
        assert_eq!(res.status(), StatusCode::OK);
        let b = app.create_entry("articles", json!({"title": "B", "slug": "shared"})).await;
        let p = problem(app.try_publish("articles", &id_of(&b)).await, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "unique_violation");
        assert_eq!(field_rules(&p), vec![("slug".to_string(), "unique".to_string())]);
        // Nothing of the refused publish was written.
        let got = app.admin_get(&format!("/admin/api/entries/articles/{}", id_of(&b))).await;
        assert_eq!((got["status"].clone(), got["version"].clone()), (json!("draft"), json!(1)));
        let live: Value = app.public("/api/articles/shared").await.json().await.unwrap();
        assert_eq!(live["data"]["title"], "A");
        // Once a's live copy moves on too, the slug is free to publish.
        app.publish("articles", &id_of(&a)).await;
        let published = app.publish("articles", &id_of(&b)).await;
        assert_eq!(published["status"], "published");
    }

    async fn unique_fields_are_unique(app) {
        app.create_entry("authors", json!({"name": "Ada", "email": "ada@example.com"})).await;
        let res = app.try_create("authors", json!({"name": "Ada Two", "email": "ada@example.com"})).await;
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(field_rules(&p), vec![("email".to_string(), "unique".to_string())]);
        app.create_entry("authors", json!({"name": "Grace", "email": "grace@example.com"})).await;
    }

    async fn a_singleton_has_one_entry(app) {
        let res = app.create_type(json!({"api_id": "site_settings", "name": "Site", "kind": "singleton",
            "fields": [{"name": "site_name", "type": "string", "required": true}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let e = app.create_entry("site_settings", json!({"site_name": "Quire"})).await;
        let res = app.try_create("site_settings", json!({"site_name": "Again"})).await;
        problem(res, StatusCode::CONFLICT).await;
        app.publish("site_settings", &id_of(&e)).await;
        let body: Value = app.public("/api/site_settings").await.json().await.unwrap();
        assert_eq!(body["data"]["site_name"], "Quire");
    }

    async fn admin_list_shows_drafts_and_filters_by_status(app) {
        app.create_entry("articles", json!({"title": "Draft one"})).await;
        app.published_article("Live one").await;
        let all: Value = app.admin(Method::GET, "/admin/api/entries/articles").send().await.unwrap().json().await.unwrap();
        assert_eq!(all["meta"]["total"], 2);
        let drafts: Value = app.admin(Method::GET, "/admin/api/entries/articles?filter[status][eq]=draft").send().await.unwrap().json().await.unwrap();
        assert_eq!(drafts["meta"]["total"], 1);
        assert_eq!(drafts["data"][0]["data"]["title"], "Draft one");
        let narrow: Value = app.admin(Method::GET, "/admin/api/entries/articles?fields=title&sort=title").send().await.unwrap().json().await.unwrap();
        assert_eq!(narrow["data"][0]["data"], json!({"title": "Draft one"}));
        assert_eq!(narrow["data"][1]["published"], json!({"title": "Live one"}));
        let res = app.admin(Method::GET, "/admin/api/entries/articles?filter[nope][eq]=1").send().await.unwrap();
        problem(res, StatusCode::BAD_REQUEST).await;
    }

    async fn every_write_keeps_a_revision_and_a_change(app) {
        let e = app.create_entry("articles", json!({"title": "v1"})).await;
        let id = id_of(&e);
        app.patch("articles", &id, json!({"title": "v2"}), 1).await;
        app.publish("articles", &id).await;
        app.unpublish("articles", &id).await;
        let revs: Value = app.admin(Method::GET, &format!("/admin/api/entries/articles/{id}/revisions")).send().await.unwrap().json().await.unwrap();
        let actions: Vec<_> = revs["data"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap().to_string()).collect();
        assert_eq!(actions, ["unpublish", "publish", "update", "create"]);
        assert_eq!(revs["data"][3]["data"]["title"], "v1");
        let changes = app.sql_strings("SELECT action FROM changes WHERE entity = 'entry' ORDER BY seq").await;
        assert_eq!(changes, ["create", "update", "publish", "unpublish"]);
        app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap();
        let changes = app.sql_strings("SELECT action FROM changes WHERE entity = 'entry' ORDER BY seq").await;
        assert_eq!(changes.last().map(String::as_str), Some("delete"));
    }

    async fn unknown_type_and_entry_are_404(app) {
        problem(app.try_create("nope", json!({})).await, StatusCode::NOT_FOUND).await;
        let res = app.admin(Method::GET, "/admin/api/entries/articles/01900000-0000-7000-8000-000000000000").send().await.unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
    }
}

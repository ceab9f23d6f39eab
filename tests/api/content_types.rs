//! Defining, changing and deleting content types, through the API and as code.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{db_tests, field_rules, problem};

fn events() -> Value {
    json!({"api_id": "events", "name": "Event", "fields": [
        {"name": "title", "type": "string", "required": true},
        {"name": "venue", "type": "string"},
        {"name": "starts_at", "type": "datetime"}
    ]})
}

db_tests! {
    async fn a_type_defined_by_a_file_changes_with_the_file_only(app) {
        let def = app.admin_get("/admin/api/content-types/articles").await;
        let res = app.admin(Method::PUT, "/admin/api/content-types/articles")
            .json(&def["definition"]).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "folder_owned");
        assert!(p["detail"].as_str().unwrap().contains("articles.json"), "{p}");
        let res = app.admin(Method::DELETE, "/admin/api/content-types/tags").send().await.unwrap();
        assert_eq!(problem(res, StatusCode::CONFLICT).await["code"], "folder_owned");
        assert_eq!(def["source_file"].as_str().map(|f| f.ends_with("articles.json")), Some(true));
        // A type made through the API stays the API's.
        assert_eq!(app.create_type(events()).await.status(), StatusCode::CREATED);
        let events = app.admin_get("/admin/api/content-types/events").await;
        assert!(events.get("source_file").is_none());
    }

    async fn example_model_is_applied_at_start(app) {
        let res = app.admin(Method::GET, "/admin/api/content-types").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        let ids: Vec<_> = body["data"].as_array().unwrap().iter().map(|t| t["api_id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, ["articles", "authors", "hero", "pages", "quote", "tags"]);
    }

    async fn created_type_can_be_read_back(app) {
        let res = app.create_type(events()).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = app.admin(Method::GET, "/admin/api/content-types/events").send().await.unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["kind"], "collection");
        assert_eq!(body["schema_version"], 1);
        assert_eq!(body["definition"]["fields"][2]["type"], "datetime");
    }

    async fn duplicate_api_id_is_a_conflict(app) {
        let res = app.create_type(json!({"api_id": "articles", "name": "Again", "fields": []})).await;
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "type_exists");
    }

    async fn bad_names_are_refused_with_the_reason(app) {
        let cases = [
            (json!({"api_id": "Blog-Posts", "name": "B", "fields": []}), ("api_id", "snake_case")),
            (json!({"api_id": "search", "name": "S", "fields": []}), ("api_id", "reserved")),
            (json!({"api_id": "posts", "name": "P", "fields": [{"name": "id", "type": "string"}]}), ("fields[0].name", "reserved")),
            (json!({"api_id": "posts", "name": "P", "fields": [{"name": "created_at", "type": "date"}]}), ("fields[0].name", "reserved")),
            (json!({"api_id": "posts", "name": "P", "fields": [{"name": "Title", "type": "string"}]}), ("fields[0].name", "snake_case")),
            (json!({"api_id": "posts", "name": "P", "fields": [{"name": "t", "type": "colour"}]}), ("fields[0].type", "schema")),
            (json!({"api_id": "posts", "name": "P", "fields": [{"name": "t", "type": "enum"}]}), ("fields[0].values", "required")),
            (json!({"api_id": "posts", "name": "P", "fields": [{"name": "t", "type": "string", "pattern": "("}]}), ("fields[0].pattern", "regex")),
            (json!({"api_id": "posts", "name": "P", "fields": [{"name": "s", "type": "slug", "from": "nope"}]}), ("fields[0].from", "unknown_field")),
        ];
        for (def, (field, rule)) in cases {
            let res = app.create_type(def.clone()).await;
            let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(p["code"], "validation_failed");
            assert!(field_rules(&p).contains(&(field.to_string(), rule.to_string())), "{def} → {p}");
        }
        let res = app.admin(Method::GET, "/admin/api/content-types/posts").send().await.unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
    }

    async fn adding_a_field_is_free(app) {
        // The example types belong to content-types/; without the folder they are the API's.
        let app = app.restart_with(|c| c.content_types = None).await;
        app.create_entry("articles", json!({"title": "kept"})).await;
        let mut def = serde_json::from_str::<Value>(&std::fs::read_to_string(crate::helpers::repo_path("content-types/articles.json")).unwrap()).unwrap();
        def["fields"].as_array_mut().unwrap().push(json!({"name": "subtitle", "type": "string"}));
        let res = app.admin(Method::PUT, "/admin/api/content-types/articles").json(&def).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["schema_version"], 2);
        let e = app.create_entry("articles", json!({"title": "new", "subtitle": "sub"})).await;
        assert_eq!(e["data"]["subtitle"], "sub");
    }

    async fn removing_a_field_with_data_is_refused_unless_asked(app) {
        app.create_type(events()).await;
        let e = app.create_entry("events", json!({"title": "Launch", "venue": "Hall A"})).await;
        let id = e["id"].as_str().unwrap();
        let mut def = events();
        def["fields"].as_array_mut().unwrap().remove(1);
        let res = app.admin(Method::PUT, "/admin/api/content-types/events").json(&def).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "data_loss");
        assert_eq!(field_rules(&p), vec![("venue".to_string(), "removed".to_string())]);
        // Nothing changed.
        let got: Value = app.admin(Method::GET, &format!("/admin/api/entries/events/{id}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(got["data"]["venue"], "Hall A");
        let t: Value = app.admin(Method::GET, "/admin/api/content-types/events").send().await.unwrap().json().await.unwrap();
        assert_eq!(t["schema_version"], 1);

        let res = app.admin(Method::PUT, "/admin/api/content-types/events?allow_data_loss=true").json(&def).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let got: Value = app.admin(Method::GET, &format!("/admin/api/entries/events/{id}")).send().await.unwrap().json().await.unwrap();
        assert!(got["data"].get("venue").is_none(), "{got}");
        // The entry still saves under the new definition.
        let res = app.patch("events", id, json!({"title": "Launch day"}), got["version"].as_i64().unwrap()).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn retyping_a_field_whose_values_cannot_follow_is_refused(app) {
        app.create_type(events()).await;
        app.create_entry("events", json!({"title": "Launch", "venue": "Hall A"})).await;
        // "Hall A" is no integer: the entry is named, nothing changes.
        let mut def = events();
        def["fields"][1]["type"] = json!("integer");
        let res = app.admin(Method::PUT, "/admin/api/content-types/events").json(&def).send().await.unwrap();
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), vec![("venue".to_string(), "conversion".to_string())]);
        // Text never becomes an asset id: that is a loss.
        def["fields"][1]["type"] = json!("media");
        let res = app.admin(Method::PUT, "/admin/api/content-types/events").json(&def).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(field_rules(&p), vec![("venue".to_string(), "type_changed".to_string())]);
    }

    async fn making_a_field_unique_over_duplicates_is_refused(app) {
        app.create_type(events()).await;
        app.create_entry("events", json!({"title": "A", "venue": "Hall A"})).await;
        app.create_entry("events", json!({"title": "B", "venue": "Hall A"})).await;
        let mut def = events();
        def["fields"][1]["unique"] = json!(true);
        let res = app.admin(Method::PUT, "/admin/api/content-types/events").json(&def).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "unique_violation");
    }

    async fn renaming_through_put_is_refused(app) {
        // The example types belong to content-types/; without the folder they are the API's.
        let app = app.restart_with(|c| c.content_types = None).await;
        let res = app.admin(Method::PUT, "/admin/api/content-types/articles")
            .json(&json!({"api_id": "posts", "name": "P", "fields": []})).send().await.unwrap();
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), vec![("api_id".to_string(), "immutable".to_string())]);
    }

    async fn deleting_a_type_with_entries_needs_to_be_explicit(app) {
        app.create_type(events()).await;
        app.create_entry("events", json!({"title": "A"})).await;
        let res = app.admin(Method::DELETE, "/admin/api/content-types/events").send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert!(p["detail"].as_str().unwrap().contains("delete_entries=true"));
        let res = app.admin(Method::DELETE, "/admin/api/content-types/events?delete_entries=true").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = app.admin(Method::GET, "/admin/api/entries/events").send().await.unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
        // With the type gone, `/api/events` is the change stream again.
        let res = app.public("/api/events/some-id").await;
        problem(res, StatusCode::NOT_FOUND).await;
    }

    async fn deleting_an_empty_type_just_works(app) {
        app.create_type(events()).await;
        let res = app.admin(Method::DELETE, "/admin/api/content-types/events").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }

    async fn a_stale_type_edit_is_a_conflict_and_writes_nothing(app) {
        assert_eq!(app.create_type(events()).await.status(), StatusCode::CREATED);
        let mut first = events();
        first["name"] = json!("Event (first)");
        let res = app.admin(Method::PUT, "/admin/api/content-types/events?version=1")
            .json(&first).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["schema_version"], 2);

        // A second admin saves what they read at version 1.
        let mut second = events();
        second["name"] = json!("Event (second)");
        let res = app.admin(Method::PUT, "/admin/api/content-types/events")
            .header("if-match", "\"1\"")
            .json(&second).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "version_conflict");
        assert_eq!(p["current_version"], 2);
        let now: Value = app.admin(Method::GET, "/admin/api/content-types/events")
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(now["name"], "Event (first)", "nothing overwritten");

        let res = app.admin(Method::PUT, "/admin/api/content-types/events")
            .header("if-match", "\"2\"")
            .json(&second).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "the current version applies");
    }

}

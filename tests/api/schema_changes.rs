//! Schema changes that keep data: renames move values, conversions rewrite
//! them, added fields take their default, and a dry run shows the plan.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, field_rules, problem};

fn id_of(e: &Value) -> String {
    e["id"].as_str().unwrap().to_string()
}

async fn put_type(app: &TestApp, api_id: &str, fields: Value, query: &str) -> reqwest::Response {
    app.admin(
        Method::PUT,
        &format!("/admin/api/content-types/{api_id}{query}"),
    )
    .json(&json!({"name": "Recipe", "fields": fields}))
    .send()
    .await
    .unwrap()
}

async fn recipes(app: &TestApp) {
    let res = app
        .create_type(json!({"api_id": "recipes", "name": "Recipe", "fields": [
            {"name": "title", "type": "string", "required": true},
            {"name": "minutes", "type": "string"}]}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

db_tests! {
    async fn a_rename_keeps_values_in_every_copy(app) {
        recipes(&app).await;
        let e = app.create_entry("recipes", json!({"title": "Soup", "minutes": "20"})).await;
        let id = id_of(&e);
        app.publish("recipes", &id).await;
        assert_eq!(app.patch("recipes", &id, json!({"minutes": "25"}), 2).await.status(), StatusCode::OK);

        let fields = json!([{"name": "title", "type": "string", "required": true},
            {"name": "cook_time", "type": "string", "renamed_from": "minutes"}]);
        let res = put_type(&app, "recipes", fields.clone(), "").await;
        assert_eq!(res.status(), StatusCode::OK);
        let out: Value = res.json().await.unwrap();
        assert_eq!(out["plan"]["renamed"][0]["from"], "minutes");
        assert_eq!(out["plan"]["renamed"][0]["entries"], 1);
        assert_eq!(out["plan"]["removed"], json!([]));

        let e = app.admin_get(&format!("/admin/api/entries/recipes/{id}")).await;
        assert_eq!(e["data"]["cook_time"], "25", "working copy");
        assert_eq!(e["published"]["cook_time"], "20", "live copy");
        assert!(e["data"].get("minutes").is_none());
        let public: Value = app.public(&format!("/api/recipes/{id}")).await.json().await.unwrap();
        assert_eq!(public["data"]["cook_time"], "20");
        let revisions = app.admin_get(&format!("/admin/api/entries/recipes/{id}/revisions")).await;
        for r in revisions["data"].as_array().unwrap() {
            assert!(r["data"].get("minutes").is_none() && r["data"]["cook_time"].is_string(), "{r}");
        }
        // Each revision keeps its own value under the new name (older
        // revisions are stored as patches, renamed like whole copies).
        let kept: Vec<&Value> = revisions["data"].as_array().unwrap().iter().map(|r| &r["data"]["cook_time"]).collect();
        assert_eq!(kept, [&json!("25"), &json!("20"), &json!("20")]);
        // Applied once, the same definition changes nothing more.
        let res = put_type(&app, "recipes", fields, "").await;
        let out: Value = res.json().await.unwrap();
        assert_eq!(out["plan"]["renamed"], json!([]));
        let e = app.admin_get(&format!("/admin/api/entries/recipes/{id}")).await;
        assert_eq!(e["data"]["cook_time"], "25");

        // A rename must name a field that exists.
        let res = put_type(&app, "recipes", json!([{"name": "title", "type": "string"},
            {"name": "time", "type": "string", "renamed_from": "nope"}]), "").await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("fields[1].renamed_from".to_string(), "unknown_field".to_string())]);
    }

    async fn an_added_field_takes_its_default_and_a_required_one_needs_one(app) {
        recipes(&app).await;
        for t in ["A", "B"] {
            let e = app.create_entry("recipes", json!({"title": t})).await;
            app.publish("recipes", &id_of(&e)).await;
        }
        let base = json!([{"name": "title", "type": "string", "required": true},
            {"name": "minutes", "type": "string"}]);
        let mut with = base.as_array().unwrap().clone();
        with.push(json!({"name": "serves", "type": "integer", "required": true}));
        let p = problem(put_type(&app, "recipes", json!(with), "").await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("serves".to_string(), "required_without_default".to_string())]);
        assert!(p["errors"][0]["message"].as_str().unwrap().starts_with("2 entries"), "{p}");

        with[2]["default"] = json!(4);
        let res = put_type(&app, "recipes", json!(with), "").await;
        assert_eq!(res.status(), StatusCode::OK);
        let out: Value = res.json().await.unwrap();
        assert_eq!(out["plan"]["added"][0]["entries"], 2);
        let list: Value = app.public("/api/recipes").await.json().await.unwrap();
        for e in list["data"].as_array().unwrap() {
            assert_eq!(e["serves"], 4, "live copies filled");
        }
        let admin = app.admin_get("/admin/api/entries/recipes").await;
        for e in admin["data"].as_array().unwrap() {
            assert_eq!(e["data"]["serves"], 4, "working copies filled");
            assert_eq!(e["status"], "published", "still publishable as is");
        }
    }

    async fn a_type_change_converts_every_value_or_names_the_entries_that_do_not(app) {
        recipes(&app).await;
        let good = id_of(&app.create_entry("recipes", json!({"title": "A", "minutes": "20"})).await);
        app.publish("recipes", &good).await;
        let bad = id_of(&app.create_entry("recipes", json!({"title": "B", "minutes": "a while"})).await);
        let fields = json!([{"name": "title", "type": "string", "required": true},
            {"name": "minutes", "type": "integer"}]);

        let p = problem(put_type(&app, "recipes", fields.clone(), "").await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("minutes".to_string(), "conversion".to_string())]);
        let message = p["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(&bad) && !message.contains(&good), "{message}");
        let kept = app.admin_get(&format!("/admin/api/entries/recipes/{good}")).await;
        assert_eq!(kept["data"]["minutes"], "20", "nothing written");

        // The dry run shows the plan and keeps everything as it is.
        let fixed = app.admin_get(&format!("/admin/api/entries/recipes/{bad}")).await;
        let v = fixed["version"].as_i64().unwrap();
        assert_eq!(app.patch("recipes", &bad, json!({"minutes": "45"}), v).await.status(), StatusCode::OK);
        let res = put_type(&app, "recipes", fields.clone(), "?dry_run=true").await;
        assert_eq!(res.status(), StatusCode::OK);
        let out: Value = res.json().await.unwrap();
        assert_eq!(out["dry_run"], true);
        assert_eq!(out["plan"]["converted"][0]["field"], "minutes");
        assert_eq!(out["plan"]["converted"][0]["from"], "string");
        assert_eq!(out["plan"]["converted"][0]["entries"], 2);
        assert_eq!(out["schema_version"], 1, "the type as it still is");
        let still = app.admin_get("/admin/api/content-types/recipes").await;
        assert_eq!(still["definition"]["fields"][1]["type"], "string");
        assert_eq!(still["schema_version"], 1);

        let res = put_type(&app, "recipes", fields, "").await;
        assert_eq!(res.status(), StatusCode::OK);
        let e = app.admin_get(&format!("/admin/api/entries/recipes/{good}")).await;
        assert_eq!(e["data"]["minutes"], 20);
        assert_eq!(e["published"]["minutes"], 20);
        let public: Value = app.public("/api/recipes?filter[minutes][gte]=15").await.json().await.unwrap();
        assert_eq!(public["meta"]["total"], 1, "numbers compare as numbers now");
    }

    async fn renaming_a_relation_keeps_its_links(app) {
        let ada = {
            let e = app.create_entry("authors", json!({"name": "Ada"})).await;
            id_of(&e)
        };
        let res = app.create_type(json!({"api_id": "notes", "name": "Note", "fields": [
            {"name": "title", "type": "string"},
            {"name": "writer", "type": "relation", "to": "authors"}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let note = id_of(&app.create_entry("notes", json!({"title": "n", "writer": ada})).await);
        let res = app.admin(Method::PUT, "/admin/api/content-types/notes")
            .json(&json!({"name": "Note", "fields": [{"name": "title", "type": "string"},
                {"name": "author", "type": "relation", "to": "authors", "renamed_from": "writer"}]}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let refs = app.admin_get(&format!("/admin/api/entries/authors/{ada}/references")).await;
        assert_eq!(refs["data"][0]["field"], "author");
        assert_eq!(refs["data"][0]["id"], note.as_str());
        let list = app.admin_get(&format!("/admin/api/entries/notes?filter[author][eq]={ada}")).await;
        assert_eq!(list["meta"]["total"], 1);
    }
}

/// Two nodes starting at once on one PostgreSQL with a changed folder (a
/// rolling deploy): both start, the change is made once, values kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_starting_together_apply_the_folder_once() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("types");
    std::fs::create_dir(&folder).unwrap();
    let write = |def: Value| std::fs::write(folder.join("shelves.json"), def.to_string()).unwrap();
    write(json!({"api_id": "shelves", "name": "Shelf", "fields": [
        {"name": "title", "type": "string"}, {"name": "minutes", "type": "string"}]}));
    let app = TestApp::spawn_with(crate::helpers::Backend::Postgres, |s| {
        s.content_types = Some(folder.clone());
    })
    .await;
    app.create_entry("shelves", json!({"title": "A", "minutes": "5"}))
        .await;

    write(json!({"api_id": "shelves", "name": "Shelf", "fields": [
        {"name": "title", "type": "string"},
        {"name": "cook_time", "type": "string", "renamed_from": "minutes"},
        {"name": "shelf_no", "type": "integer", "default": 1}]}));
    let node = |n: usize| {
        let mut c = app.config.clone();
        c.bind = "127.0.0.1:0".parse().unwrap();
        c.data_dir = dir.path().join(format!("node{n}"));
        c.search_dir = None;
        c.metrics_bind = None;
        c
    };
    let (a, b) = tokio::join!(quire::app::start(node(1)), quire::app::start(node(2)));
    let (a, b) = (
        a.expect("one node starts"),
        b.expect("the other starts too"),
    );
    let get = |path: &str| {
        app.client
            .get(format!("http://{}/admin/api{path}", a.addr))
            .bearer_auth(&app.token)
            .send()
    };
    let ty: Value = get("/content-types/shelves")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ty["schema_version"], 2, "changed once: {ty}");
    let list: Value = get("/entries/shelves").await.unwrap().json().await.unwrap();
    assert_eq!(list["data"][0]["data"]["cook_time"], "5");
    assert_eq!(list["data"][0]["data"]["shelf_no"], 1);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

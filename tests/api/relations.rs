//! Relation fields: targets checked on save, `populate` on the public API
//! (one query per level), filters through relations, references, and
//! deletes refused or nullified.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, db_tests, field_rules, ids, problem};
use crate::operations::{sample, scrape};

fn id_of(e: &Value) -> String {
    e["id"].as_str().unwrap().to_string()
}

/// writers ← posts → topics (a list, nullified on delete), posts → posts.
async fn model(app: &TestApp) {
    for def in [
        json!({"api_id": "writers", "name": "Writer", "fields": [
            {"name": "name", "type": "string", "required": true},
            {"name": "avatar", "type": "media"}]}),
        json!({"api_id": "topics", "name": "Topic", "fields": [
            {"name": "label", "type": "string"}, {"name": "slug", "type": "slug", "from": "label"}]}),
        json!({"api_id": "posts", "name": "Post", "fields": [
            {"name": "title", "type": "string", "required": true},
            {"name": "writer", "type": "relation", "to": "writers"},
            {"name": "topics", "type": "relation", "to": "topics", "multiple": true, "on_delete": "nullify"},
            {"name": "parent", "type": "relation", "to": "posts"}]}),
    ] {
        let res = app.create_type(def).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    }
}

async fn published(app: &TestApp, ty: &str, data: Value) -> String {
    let e = app.create_entry(ty, data).await;
    app.publish(ty, &id_of(&e)).await;
    id_of(&e)
}

async fn delete(app: &TestApp, ty: &str, id: &str) -> reqwest::Response {
    app.admin(Method::DELETE, &format!("/admin/api/entries/{ty}/{id}"))
        .send()
        .await
        .unwrap()
}

db_tests! {
    async fn saving_checks_each_target_exists_and_has_the_right_type(app) {
        model(&app).await;
        let ada = published(&app, "writers", json!({"name": "Ada"})).await;
        let rust = published(&app, "topics", json!({"label": "Rust"})).await;
        let nobody = "0190e6a4-0000-7000-8000-000000000000";

        let p = problem(app.try_create("posts", json!({"title": "x", "writer": nobody})).await,
            StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("writer".to_string(), "exists".to_string())]);
        assert!(p["errors"][0]["message"].as_str().unwrap().contains(nobody), "{p}");

        // An entry of another type is not a writer.
        let p = problem(app.try_create("posts", json!({"title": "x", "writer": rust})).await,
            StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("writer".to_string(), "exists".to_string())]);

        for (data, rule) in [
            (json!({"title": "x", "topics": [rust, rust]}), "unique_items"),
            (json!({"title": "x", "topics": rust}), "type"),
            (json!({"title": "x", "writer": "ada"}), "type"),
        ] {
            let p = problem(app.try_create("posts", data).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(p["errors"][0]["rule"], rule, "{p}");
        }

        // Drafts are valid targets for a working copy; so is the type itself.
        let draft_topic = id_of(&app.create_entry("topics", json!({"label": "Go"})).await);
        let first = app.create_entry("posts", json!({"title": "First", "writer": ada})).await;
        let second = app.create_entry("posts", json!({"title": "Second", "writer": ada,
            "topics": [draft_topic, rust], "parent": first["id"]})).await;
        assert_eq!(second["data"]["topics"], json!([draft_topic, rust]), "order kept");
        assert_eq!(second["data"]["parent"], first["id"]);
    }

    async fn the_public_api_shows_ids_and_populates_published_targets(app) {
        model(&app).await;
        let ada = published(&app, "writers", json!({"name": "Ada"})).await;
        let rust = published(&app, "topics", json!({"label": "Rust"})).await;
        let go = id_of(&app.create_entry("topics", json!({"label": "Go"})).await);
        let root = published(&app, "posts", json!({"title": "Root", "writer": ada})).await;
        let child = published(&app, "posts", json!({"title": "Child", "writer": ada,
            "topics": [go, rust], "parent": root})).await;

        let plain: Value = app.public(&format!("/api/posts/{child}")).await.json().await.unwrap();
        assert_eq!(plain["data"]["writer"], ada.as_str(), "ids by default");
        assert_eq!(plain["data"]["topics"], json!([go, rust]));

        let res = app.public(&format!("/api/posts/{child}?populate=writer,topics,parent.writer")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let full: Value = res.json().await.unwrap();
        let d = &full["data"];
        assert_eq!(d["writer"]["name"], "Ada");
        assert_eq!(d["writer"]["id"], ada.as_str());
        let topics: Vec<&str> = d["topics"].as_array().unwrap().iter()
            .map(|t| t["label"].as_str().unwrap()).collect();
        assert_eq!(topics, ["Rust"], "the draft topic is left out");
        assert_eq!(d["parent"]["title"], "Root");
        assert_eq!(d["parent"]["writer"]["name"], "Ada", "nested populate");

        // Unpublishing a target is allowed; readers then see null.
        app.unpublish("writers", &ada).await;
        let full: Value = app.public(&format!("/api/posts/{child}?populate=writer")).await.json().await.unwrap();
        assert!(full["data"]["writer"].is_null(), "{full}");

        // Lists populate the same way.
        let list: Value = app.public("/api/posts?populate=parent&sort=title").await.json().await.unwrap();
        assert_eq!(list["data"][0]["title"], "Child");
        assert_eq!(list["data"][0]["parent"]["title"], "Root");
        assert!(list["data"][1]["parent"].is_null());

        for (q, rule) in [
            ("populate=parent.parent.parent.writer", "depth"),
            ("populate=title", "not_populatable"),
            ("populate=nope", "unknown_field"),
        ] {
            let p = problem(app.public(&format!("/api/posts?{q}")).await, StatusCode::BAD_REQUEST).await;
            assert_eq!(p["errors"][0]["field"], "populate", "{q}");
            assert_eq!(p["errors"][0]["rule"], rule, "{q}");
        }
    }

    async fn filters_reach_through_relations(app) {
        model(&app).await;
        let ada = published(&app, "writers", json!({"name": "Ada"})).await;
        let alan = published(&app, "writers", json!({"name": "Alan"})).await;
        let rust = published(&app, "topics", json!({"label": "Rust"})).await;
        let go = published(&app, "topics", json!({"label": "Go"})).await;
        let zig = published(&app, "topics", json!({"label": "Zig"})).await;
        let a = published(&app, "posts", json!({"title": "A", "writer": ada, "topics": [rust]})).await;
        let b = published(&app, "posts", json!({"title": "B", "writer": alan, "topics": [go, zig]})).await;
        let c = published(&app, "posts", json!({"title": "C", "writer": ada, "topics": [zig]})).await;
        let sorted = |mut v: Vec<String>| { v.sort(); v };

        let app = &app;
        let got = |q: String| async move {
            let res = app.public(&format!("/api/posts?{q}")).await;
            assert_eq!(res.status(), StatusCode::OK, "{q}");
            sorted(ids(&res.json().await.unwrap()))
        };
        assert_eq!(got("filter[writer.name][eq]=Ada".into()).await, sorted(vec![a.clone(), c.clone()]));
        assert_eq!(got("filter[topics.slug][in]=rust,go".into()).await, sorted(vec![a.clone(), b.clone()]));
        assert_eq!(got(format!("filter[topics][eq]={zig}")).await, sorted(vec![b.clone(), c.clone()]));
        assert_eq!(got(format!("filter[writer][in]={alan}")).await, vec![b.clone()]);
        assert_eq!(got("filter[parent][null]=true".into()).await.len(), 3);

        // The public API follows live copies: a draft edit does not count
        // until it is published; the admin API follows working copies.
        let res = app.patch("posts", &a, json!({"writer": alan}), 2).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(got("filter[writer.name][eq]=Alan".into()).await, vec![b.clone()]);
        let admin = app.admin_get("/admin/api/entries/posts?filter[writer.name][eq]=Alan").await;
        assert_eq!(sorted(ids(&admin)), sorted(vec![a.clone(), b.clone()]));

        for (k, rule) in [
            ("filter[title.x][eq]", "not_a_relation"),
            ("filter[writer.nope][eq]", "unknown_field"),
            ("filter[writer][contains]", "operator"),
        ] {
            let p = problem(app.public(&format!("/api/posts?{k}=1")).await, StatusCode::BAD_REQUEST).await;
            assert_eq!(p["errors"][0]["field"], k);
            assert_eq!(p["errors"][0]["rule"], rule, "{k}");
        }
    }

    async fn deleting_a_referenced_entry_is_a_conflict_naming_the_referrers(app) {
        model(&app).await;
        let ada = published(&app, "writers", json!({"name": "Ada"})).await;
        let rust = published(&app, "topics", json!({"label": "Rust"})).await;
        let go = published(&app, "topics", json!({"label": "Go"})).await;
        let post = published(&app, "posts", json!({"title": "P", "writer": ada, "topics": [rust, go]})).await;

        let refs = app.admin_get(&format!("/admin/api/entries/writers/{ada}/references")).await;
        let listed: Vec<(&str, &str, &str)> = refs["data"].as_array().unwrap().iter()
            .map(|r| (r["type"].as_str().unwrap(), r["field"].as_str().unwrap(), r["copy"].as_str().unwrap()))
            .collect();
        assert_eq!(listed, [("posts", "writer", "draft"), ("posts", "writer", "live")]);
        assert!(refs["data"].as_array().unwrap().iter().all(|r| r["id"] == post.as_str()));

        let p = problem(delete(&app, "writers", &ada).await, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "referenced");
        assert!(p["detail"].as_str().unwrap().contains(&format!("posts/{post}")), "{p}");
        assert!(app.admin_get(&format!("/admin/api/entries/writers/{ada}")).await["id"].is_string(), "still there");

        // `topics` says nullify: the post lets go of the topic, in both copies.
        let before = app.admin_get(&format!("/admin/api/entries/posts/{post}")).await;
        assert_eq!(delete(&app, "topics", &rust).await.status(), StatusCode::NO_CONTENT);
        let after = app.admin_get(&format!("/admin/api/entries/posts/{post}")).await;
        assert_eq!(after["data"]["topics"], json!([go]));
        assert_eq!(after["published"]["topics"], json!([go]));
        assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
        let public: Value = app.public(&format!("/api/posts/{post}")).await.json().await.unwrap();
        assert_eq!(public["data"]["topics"], json!([go]));

        // Once nothing points at the writer, it can go.
        let version = after["version"].as_i64().unwrap();
        assert_eq!(app.patch("posts", &post, json!({"writer": null}), version).await.status(), StatusCode::OK);
        app.publish("posts", &post).await;
        assert_eq!(delete(&app, "writers", &ada).await.status(), StatusCode::NO_CONTENT);
        assert!(app.admin_get(&format!("/admin/api/entries/topics/{go}/references")).await["data"]
            .as_array().unwrap().len() == 2);
    }

    async fn types_keep_their_relations_whole(app) {
        model(&app).await;
        // A relation must point at a type that exists.
        let res = app.create_type(json!({"api_id": "notes", "name": "Note", "fields": [
            {"name": "about", "type": "relation", "to": "nowhere"}]})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("fields[0].to".to_string(), "unknown_type".to_string())]);
        let res = app.create_type(json!({"api_id": "notes", "name": "Note", "fields": [
            {"name": "about", "type": "relation"}]})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("fields[0].to".to_string(), "required".to_string())]);

        // A type others point at cannot be deleted.
        let res = app.admin(Method::DELETE, "/admin/api/content-types/writers").send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "type_referenced");
        assert!(p["detail"].as_str().unwrap().contains("posts.writer"), "{p}");

        // Pointing a relation elsewhere would orphan its values.
        let ada = published(&app, "writers", json!({"name": "Ada"})).await;
        app.create_entry("posts", json!({"title": "P", "writer": ada})).await;
        let def = app.admin_get("/admin/api/content-types/posts").await;
        let mut fields = def["definition"]["fields"].as_array().unwrap().clone();
        fields[1]["to"] = json!("topics");
        let res = app.admin(Method::PUT, "/admin/api/content-types/posts")
            .json(&json!({"name": "Post", "fields": fields})).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "data_loss");
        assert_eq!(field_rules(&p), [("writer".to_string(), "type_changed".to_string())]);

        // Dropping it with allow_data_loss drops its links too: the writer
        // can then be deleted.
        fields.remove(1);
        let res = app.admin(Method::PUT, "/admin/api/content-types/posts?allow_data_loss=true")
            .json(&json!({"name": "Post", "fields": fields})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
        assert_eq!(delete(&app, "writers", &ada).await.status(), StatusCode::NO_CONTENT);
    }
}

/// Posts by writers with avatars, for counting the queries of a populate.
async fn populate_costs_one_query_per_level(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.metrics_bind = Some("127.0.0.1:0".into())).await;
    model(&app).await;
    let png = crate::media::png(4, 4);
    let mut writers = Vec::new();
    for i in 0..3 {
        let asset = crate::media::upload(&app, png.clone(), "a.png").await["id"].clone();
        writers.push(
            published(
                &app,
                "writers",
                json!({"name": format!("W{i}"), "avatar": asset}),
            )
            .await,
        );
    }
    let topic = published(&app, "topics", json!({"label": "T"})).await;
    let mut parent = Value::Null;
    for i in 0..12 {
        let id = published(
            &app,
            "posts",
            json!({"title": format!("P{i}"), "writer": writers[i % 3],
            "topics": [topic], "parent": parent}),
        )
        .await;
        parent = json!(id);
    }
    let queries = async |q: &str| {
        let before = sample(&scrape(&app).await, "quire_populate_queries_total").unwrap_or(0.0);
        let res = app.public(&format!("/api/posts?limit=12&{q}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{q}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["data"].as_array().unwrap().len(), 12);
        (
            sample(&scrape(&app).await, "quire_populate_queries_total").unwrap() - before,
            body,
        )
    };
    let (n, _) = queries("populate=writer,topics").await;
    assert_eq!(n, 1.0, "writers and topics of the whole page: one query");
    let (n, body) = queries("populate=writer.avatar").await;
    assert_eq!(n, 2.0, "one for writers, one for their avatars");
    assert_eq!(
        body["data"][0]["writer"]["avatar"]["mime_type"],
        "image/png"
    );
    let (n, body) = queries("populate=parent.parent.writer").await;
    assert_eq!(n, 3.0, "three levels, three queries");
    let newest = &body["data"][0];
    assert_eq!(newest["parent"]["parent"]["title"], "P9");
    assert!(newest["parent"]["parent"]["writer"]["name"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn populate_costs_one_query_per_level_sqlite() {
    populate_costs_one_query_per_level(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn populate_costs_one_query_per_level_postgres() {
    populate_costs_one_query_per_level(Backend::Postgres).await;
}

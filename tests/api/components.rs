//! Components and blocks: nested groups of fields, reusable components,
//! the page-builder blocks field, validated recursively with full paths;
//! media and relations inside them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, field_rules, problem};
use crate::operations::{sample, scrape};

/// The populate query counter, from the metrics endpoint.
async fn scrape_populate(app: &TestApp) -> f64 {
    sample(&scrape(app).await, "quire_populate_queries_total").unwrap_or(0.0)
}

fn id_of(e: &Value) -> String {
    e["id"].as_str().unwrap().to_string()
}

/// `banner` and `pullquote` components, and `landings` built from them.
async fn model(app: &TestApp) {
    for def in [
        json!({"api_id": "banner", "name": "Banner", "kind": "component", "fields": [
            {"name": "heading", "type": "string", "required": true, "max_length": 80},
            {"name": "image", "type": "media", "accept": ["image/*"]}]}),
        json!({"api_id": "pullquote", "name": "Pull quote", "kind": "component", "fields": [
            {"name": "text", "type": "text", "required": true},
            {"name": "author", "type": "relation", "to": "authors"}]}),
        json!({"api_id": "landings", "name": "Landing", "fields": [
            {"name": "title", "type": "string", "required": true},
            {"name": "seo", "type": "component", "fields": [
                {"name": "meta_title", "type": "string", "max_length": 60},
                {"name": "noindex", "type": "boolean", "default": false}]},
            {"name": "faq", "type": "component", "repeatable": true, "fields": [
                {"name": "question", "type": "string", "required": true},
                {"name": "answer", "type": "text"}]},
            {"name": "body", "type": "blocks", "components": ["banner", "pullquote"]}]}),
    ] {
        let res = app.create_type(def).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    }
}

db_tests! {
    async fn nested_values_are_checked_with_their_full_path(app) {
        model(&app).await;
        let nobody = "0190e6a4-0000-7000-8000-000000000000";
        let res = app.try_create("landings", json!({"title": "Home",
            "seo": {"meta_title": "x".repeat(61), "nope": 1},
            "faq": [{"answer": "no question"}],
            "body": [{"kind": "poster"}, {"kind": "pullquote", "author": nobody},
                     {"kind": "banner", "heading": "Hi", "image": "not-an-id"}]})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        let mut got = field_rules(&p);
        got.sort();
        let want = [
            ("body[0].kind", "values"),
            ("body[1].text", "required"),
            ("body[2].image", "type"),
            ("faq[0].question", "required"),
            ("seo.meta_title", "max_length"),
            ("seo.nope", "unknown_field"),
        ];
        assert_eq!(got, want.map(|(f, r)| (f.to_string(), r.to_string())), "{p}");

        // A relation inside a block is checked like any other.
        let res = app.try_create("landings", json!({"title": "Home",
            "body": [{"kind": "pullquote", "text": "Hi", "author": nobody}]})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("body[0].author".to_string(), "exists".to_string())]);
    }

    async fn blocks_keep_their_order_and_kind_and_show_media_and_links(app) {
        model(&app).await;
        let png = crate::media::png(8, 8);
        let image = crate::media::upload(&app, png, "hero.png").await["id"].clone();
        let ada = id_of(&app.create_entry("authors", json!({"name": "Ada"})).await);
        let e = app.create_entry("landings", json!({"title": "Home",
            "seo": {"meta_title": "Home"},
            "faq": [{"question": "Why?", "answer": "Because."}, {"question": "How?"}],
            "body": [{"kind": "pullquote", "text": "Hello", "author": ada},
                     {"heading": "Big", "kind": "banner", "image": image}]})).await;
        let id = id_of(&e);
        assert_eq!(e["data"]["seo"], json!({"meta_title": "Home", "noindex": false}), "defaults inside");
        assert_eq!(e["data"]["body"][0]["kind"], "pullquote");
        assert_eq!(e["data"]["body"][1], json!({"kind": "banner", "heading": "Big", "image": image}));
        app.publish("landings", &id).await;

        let public: Value = app.public(&format!("/api/landings/{id}")).await.json().await.unwrap();
        let d = &public["data"];
        assert_eq!(d["faq"][1]["question"], "How?");
        assert_eq!(d["body"][1]["image"]["mime_type"], "image/png", "media inside a block is an asset");
        assert_eq!(d["body"][0]["author"], ada.as_str());

        // What a block points at is kept from being deleted, and listed.
        let refs = app.admin_get(&format!("/admin/api/entries/authors/{ada}/references")).await;
        assert_eq!(refs["data"][0]["field"], "body.author");
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/authors/{ada}")).send().await.unwrap();
        assert_eq!(problem(res, StatusCode::CONFLICT).await["code"], "referenced");
        let res = app.admin(Method::DELETE, &format!("/admin/api/assets/{}", image.as_str().unwrap())).send().await.unwrap();
        assert_eq!(problem(res, StatusCode::CONFLICT).await["code"], "asset_in_use");

        // Filters take only null on nested fields.
        let p = problem(app.public("/api/landings?filter[body][eq]=x").await, StatusCode::BAD_REQUEST).await;
        assert_eq!(p["errors"][0]["rule"], "operator");
        let list: Value = app.public("/api/landings?filter[seo][null]=false").await.json().await.unwrap();
        assert_eq!(list["meta"]["total"], 1);
    }

    async fn populate_reaches_relations_inside_blocks(app) {
        let app = app.restart_with(|c| c.metrics_bind = Some("127.0.0.1:0".parse().unwrap())).await;
        model(&app).await;
        let ada = app.create_entry("authors", json!({"name": "Ada"})).await;
        let ada = id_of(&ada);
        app.publish("authors", &ada).await;
        let grace = app.create_entry("authors", json!({"name": "Grace"})).await;
        let grace = id_of(&grace);
        let page = app.create_entry("landings", json!({"title": "Home",
            "seo": {"meta_title": "Home"},
            "body": [{"kind": "pullquote", "text": "One", "author": ada},
                     {"kind": "banner", "heading": "Hi"},
                     {"kind": "pullquote", "text": "Two", "author": grace}]})).await;
        let page = id_of(&page);
        app.publish("landings", &page).await;
        let before = scrape_populate(&app).await;
        let res = app.public(&format!("/api/landings/{page}?populate=body.author")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let got: Value = res.json().await.unwrap();
        let body = got["data"]["body"].as_array().unwrap().clone();
        assert_eq!(body.len(), 3, "every block stays, in order");
        assert_eq!(body[0]["kind"], "pullquote");
        assert_eq!(body[0]["text"], "One");
        assert_eq!(body[0]["author"]["name"], "Ada", "populated in place");
        assert_eq!(body[1]["heading"], "Hi");
        assert_eq!(body[2]["author"], Value::Null, "a draft target reads as null");
        assert_eq!(got["data"]["seo"]["meta_title"], "Home");
        // One query for the level, whatever the number of blocks.
        assert_eq!(scrape_populate(&app).await - before, 1.0);
        // Lists too; a group alone, or a field that is not there, is refused.
        let list: Value = app.public("/api/landings?populate=body.author").await.json().await.unwrap();
        assert_eq!(list["data"][0]["body"][0]["author"]["id"], ada.as_str());
        let p = problem(app.public("/api/landings?populate=body").await, StatusCode::BAD_REQUEST).await;
        assert_eq!(field_rules(&p), [("populate".to_string(), "not_populatable".to_string())]);
        let p = problem(app.public("/api/landings?populate=body.nope").await, StatusCode::BAD_REQUEST).await;
        assert_eq!(field_rules(&p), [("populate".to_string(), "unknown_field".to_string())]);
    }

    async fn components_are_types_without_entries(app) {
        model(&app).await;
        let res = app.try_create("banner", json!({"heading": "x"})).await;
        problem(res, StatusCode::NOT_FOUND).await;
        problem(app.public("/api/banner").await, StatusCode::NOT_FOUND).await;
        let spec: Value = app.public("/api/openapi.json").await.json().await.unwrap();
        assert!(spec["paths"].get("/banner").is_none());
        assert!(spec["paths"].get("/landings").is_some());

        // A component in use cannot go; an unknown one cannot be used.
        let res = app.admin(Method::DELETE, "/admin/api/content-types/pullquote").send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "type_referenced");
        assert!(p["detail"].as_str().unwrap().contains("landings"), "{p}");
        let res = app.create_type(json!({"api_id": "promos", "name": "Promo", "fields": [
            {"name": "parts", "type": "blocks", "components": ["banner", "nowhere"]}]})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("fields[0].components".to_string(), "unknown_component".to_string())]);

        // A change to a component applies to the types that use it.
        let res = app.admin(Method::PUT, "/admin/api/content-types/banner")
            .json(&json!({"name": "Banner", "kind": "component", "fields": [
                {"name": "heading", "type": "string", "required": true},
                {"name": "subheading", "type": "string", "required": true, "default": "-"},
                {"name": "image", "type": "media"}]}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
        let p = problem(app.try_create("landings", json!({"title": "T",
            "body": [{"kind": "banner", "heading": "H", "subheading": 3}]})).await,
            StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("body[0].subheading".to_string(), "type".to_string())]);
    }

    async fn nesting_is_bounded(app) {
        let mut group = json!([{"name": "leaf", "type": "string"}]);
        for _ in 0..5 {
            group = json!([{"name": "inner", "type": "component", "fields": group}]);
        }
        let res = app.create_type(json!({"api_id": "deep", "name": "Deep", "fields": group})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(p["errors"][0]["rule"], "depth", "{p}");
        // Inside a component, column rules do not apply.
        let res = app.create_type(json!({"api_id": "bad", "name": "Bad", "fields": [
            {"name": "group", "type": "component", "fields": [{"name": "s", "type": "slug"}]}]})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("fields[0].fields[0].type".to_string(), "not_in_component".to_string())]);
    }
}

//! The public API's contract, made from the content types in force: the
//! OpenAPI document, its docs page and TypeScript declarations.

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, problem};

async fn document(app: &TestApp) -> (Value, String) {
    let res = app.public("/api/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()[header::ETAG]
        .to_str()
        .unwrap_or_default()
        .to_string();
    (res.json().await.expect("document"), etag)
}

db_tests! {
    async fn the_public_document_describes_each_type(app) {
        let (doc, etag) = document(&app).await;
        assert_eq!(doc["openapi"], "3.0.3");
        let list = &doc["paths"]["/articles"]["get"];
        assert!(list.is_object(), "a list operation per collection");
        assert!(doc["paths"]["/articles/{id}"]["get"].is_object());
        assert!(doc["paths"]["/search"]["get"].is_object());
        let params: Vec<&str> = list["parameters"].as_array().into_iter().flatten()
            .filter_map(|p| p["name"].as_str()).collect();
        assert!(params.contains(&"filter[title][eq]"), "{params:?}");
        let title = &doc["components"]["schemas"]["Articles"]["properties"]["title"];
        assert_eq!(title["type"], "string", "{title}");

        // 304 while nothing changed; a new type changes the document and its ETag.
        let res = app.anon(Method::GET, "/api/openapi.json").header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        let res = app.create_type(json!({"api_id": "recipes", "name": "Recipe", "fields": [
            {"name": "minutes", "type": "integer", "min": 1},
            {"name": "course", "type": "enum", "values": ["starter", "main"]}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let (doc, new_etag) = document(&app).await;
        assert_ne!(etag, new_etag);
        let recipe = &doc["components"]["schemas"]["Recipes"]["properties"];
        assert_eq!(recipe["minutes"]["type"], "integer", "{recipe}");
        assert_eq!(recipe["minutes"]["minimum"], 1, "{recipe}");
        assert!(recipe["course"]["enum"].as_array().is_some_and(|v| v.contains(&json!("main"))), "{recipe}");
    }

    async fn typescript_declarations_and_the_docs_page_follow_the_types(app) {
        let res = app.public("/api/types.ts").await;
        assert_eq!(res.status(), StatusCode::OK);
        let ts = res.text().await.unwrap();
        assert!(ts.contains("export interface Articles"), "{ts}");
        assert!(ts.contains("export interface ContentTypes"), "{ts}");

        let res = app.public("/api/docs").await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("SwaggerUIBundle") && html.contains("Quire public API"));
    }

    async fn contract_routes_refuse_parameters(app) {
        for path in ["/api/openapi.json?x=1", "/api/types.ts?x=1", "/api/docs?x=1"] {
            let body = problem(app.public(path).await, StatusCode::BAD_REQUEST).await;
            assert_eq!(body["code"], "invalid_query", "{path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_api_keeps_its_contract_closed() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| {
        s.public_access = Some("token".into())
    })
    .await;
    for path in ["/api/openapi.json", "/api/types.ts", "/api/docs"] {
        problem(app.public(path).await, StatusCode::UNAUTHORIZED).await;
    }
    let (token, _) = app.api_token("read", None).await;
    let res = app
        .with_token(&token, Method::GET, "/api/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

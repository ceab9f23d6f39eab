//! The admin API refuses what it does not understand: every operation in
//! its OpenAPI document is sent one unknown query parameter and, when it
//! takes a body, one unknown body key, and must answer a 4xx naming it.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, db_tests, problem};

const UNKNOWN: &str = "quire_unknown_key";

/// A concrete path for a templated one: `{content_type}` and `{api_id}` name
/// the example `articles` type, any other parameter a made-up id.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{content_type}" | "{api_id}" => "articles",
            s if s.starts_with('{') => "0190e6c0-0000-7000-8000-000000000000",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The smallest value of a schema that parses: its required properties
/// with placeholder values of their types.
pub fn minimal(spec: &Value, schema: &Value) -> Value {
    let schema = resolve(spec, schema);
    match schema["type"].as_str() {
        Some("object") => {
            let mut obj = Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                if let Some(name) = name.as_str() {
                    obj.insert(name.to_string(), minimal(spec, &schema["properties"][name]));
                }
            }
            Value::Object(obj)
        }
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        Some("string") => json!("x"),
        _ => json!({}),
    }
}

/// The query string every operation gets: its required parameters with
/// placeholder values, and one it does not take.
fn query(op: &Value) -> String {
    let mut q = vec![format!("{UNKNOWN}=1")];
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] == "query" && p["required"] == true {
            let value = match p["schema"]["type"].as_str() {
                Some("integer") => "1",
                _ => "x",
            };
            q.push(format!(
                "{}={value}",
                p["name"].as_str().unwrap_or_default()
            ));
        }
    }
    q.join("&")
}

fn names_unknown(body: &Value) -> bool {
    let named_in_errors = body["errors"]
        .as_array()
        .is_some_and(|errs| errs.iter().any(|e| e["field"] == UNKNOWN));
    named_in_errors || body["detail"].as_str().is_some_and(|d| d.contains(UNKNOWN))
}

async fn spec(app: &TestApp) -> Value {
    app.anon(Method::GET, "/admin/api/openapi.json")
        .send()
        .await
        .expect("spec request")
        .json()
        .await
        .expect("spec body")
}

/// Every (method, path, operation) of the admin API's document.
fn operations(spec: &Value) -> Vec<(Method, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
            ops.push((m, path.clone(), op.clone()));
        }
    }
    ops
}

db_tests! {
    async fn every_operation_refuses_an_unknown_query_parameter(app) {
        let spec = spec(&app).await;
        let ops = operations(&spec);
        assert!(ops.len() > 30, "the document lists the operations");
        for (method, path, op) in ops {
            let url = format!("/admin/api{}?{}", concrete(&path), query(&op));
            let res = app.admin(method.clone(), &url).send().await.expect("request");
            let body = problem(res, StatusCode::BAD_REQUEST).await;
            assert!(names_unknown(&body), "{method} {path}: {body}");
        }
    }

    async fn every_body_refuses_an_unknown_key(app) {
        let spec = spec(&app).await;
        let mut checked = 0;
        for (method, path, op) in operations(&spec) {
            let content = &op["requestBody"]["content"];
            let url = format!("/admin/api{}", concrete(&path));
            let req = app.admin(method.clone(), &url);
            let res = if content.get("multipart/form-data").is_some() {
                let form = Form::new()
                    .part("file", Part::bytes(b"hello".to_vec()).file_name("a.txt"))
                    .text(UNKNOWN, "1");
                req.multipart(form).send().await.expect("request")
            } else if let Some(json) = content.get("application/json; charset=utf-8")
                .or_else(|| content.get("application/json"))
            {
                let mut body = minimal(&spec, &json["schema"]);
                if path.starts_with("/content-types") {
                    // A free-form document in the spec; its own parser is strict.
                    body = json!({"api_id": "articles", "name": "Strict", "fields": []});
                }
                body[UNKNOWN] = json!(1);
                req.json(&body).send().await.expect("request")
            } else {
                continue;
            };
            checked += 1;
            let status = res.status();
            assert!(
                status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path}: {status}"
            );
            let body = problem(res, status).await;
            assert!(names_unknown(&body), "{method} {path}: {body}");
        }
        assert!(checked >= 9, "every operation with a body was tried ({checked})");
    }

    async fn an_option_the_api_does_not_know_changes_nothing(app) {
        let before = app.admin_get("/admin/api/content-types/articles").await;
        let mut changed = before.clone();
        changed["fields"] = json!([{"name": "title", "type": "string"}]);
        let res = app
            .admin(
                Method::PUT,
                "/admin/api/content-types/articles?allow_data_loss=true&force=true",
            )
            .json(&changed)
            .send()
            .await
            .expect("request");
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["errors"][0]["field"], "force");
        let after = app.admin_get("/admin/api/content-types/articles").await;
        assert_eq!(before["fields"], after["fields"], "nothing was applied");
    }
}

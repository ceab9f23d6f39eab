//! Every field type and rule, refused with the field and the rule named.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, field_rules, problem};

fn specimens() -> Value {
    json!({"api_id": "specimens", "name": "Specimen", "fields": [
        {"name": "name", "type": "string", "required": true, "min_length": 2, "max_length": 10},
        {"name": "code", "type": "string", "pattern": "^[A-Z]{3}$"},
        {"name": "notes", "type": "text", "max_length": 20},
        {"name": "body", "type": "richtext"},
        {"name": "count", "type": "integer", "min": 0, "max": 10},
        {"name": "weight", "type": "number", "min": 0.5, "max": 2.5},
        {"name": "alive", "type": "boolean"},
        {"name": "found_on", "type": "date"},
        {"name": "seen_at", "type": "datetime"},
        {"name": "kind", "type": "enum", "values": ["plant", "animal"]},
        {"name": "extra", "type": "json"},
        {"name": "handle", "type": "slug", "from": "name"},
        {"name": "level", "type": "integer", "default": 1}
    ]})
}

async fn with_specimens(app: &TestApp) {
    assert_eq!(
        app.create_type(specimens()).await.status(),
        StatusCode::CREATED
    );
}

async fn refused(app: &TestApp, data: Value) -> Vec<(String, String)> {
    let res = app.try_create("specimens", data.clone()).await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["code"], "validation_failed", "{data}");
    field_rules(&p)
}

fn rule(field: &str, rule: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), rule.to_string())]
}

db_tests! {
    async fn an_entry_is_at_most_one_mebibyte_and_a_patch_cannot_grow_past_it(app) {
        let big = "lorem ipsum ".repeat(90_000); // ~1.03 MiB
        let res = app.try_create("articles", json!({"title": "Too long", "body": big})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("data".to_string(), "max_bytes".to_string())]);
        let listed = app.admin_get("/admin/api/entries/articles?filter[title][eq]=Too%20long").await;
        assert_eq!(listed["meta"]["total"], 0, "nothing was written");

        let half = "lorem ipsum ".repeat(50_000); // ~0.57 MiB
        let e = app.create_entry("articles", json!({"title": "Grows", "body": half})).await;
        let id = e["id"].as_str().unwrap();
        let res = app.patch("articles", id, json!({"summary": "s", "seo": {"long": half}}), e["version"].as_i64().unwrap()).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("data".to_string(), "max_bytes".to_string())]);
        let stored = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
        assert_eq!(stored["version"], e["version"], "the refused patch wrote nothing");
    }

    async fn a_valid_specimen_is_stored_normalized(app) {
        with_specimens(&app).await;
        let e = app.create_entry("specimens", json!({
            "name": "Fern", "code": "FRN", "notes": "green", "body": "# Fern\n\n*leafy*",
            "count": 3, "weight": 1.25, "alive": true, "found_on": "2026-02-28",
            "seen_at": "2026-02-28T10:00:00+02:00", "kind": "plant",
            "extra": {"tags": ["a", "b"], "n": null}
        })).await;
        let d = &e["data"];
        assert_eq!(d["seen_at"], "2026-02-28T08:00:00.000Z");
        assert_eq!(d["extra"]["tags"][1], "b");
        assert_eq!(d["handle"], "fern");
        assert_eq!(d["level"], 1);
        assert_eq!(d["weight"], 1.25);
    }

    async fn each_field_type_refuses_the_wrong_json_type(app) {
        with_specimens(&app).await;
        for (field, bad) in [
            ("name", json!(12)), ("notes", json!(["x"])), ("body", json!({"a": 1})),
            ("count", json!(1.5)), ("count", json!("3")), ("weight", json!("heavy")),
            ("alive", json!("yes")), ("found_on", json!("2026-02-30")), ("found_on", json!("28/02/2026")),
            ("seen_at", json!("yesterday")), ("seen_at", json!("2026-02-28 10:00")),
        ] {
            let mut data = json!({"name": "Fern"});
            data[field] = bad;
            assert_eq!(refused(&app, data).await, rule(field, "type"), "{field}");
        }
    }

    async fn each_rule_is_enforced(app) {
        with_specimens(&app).await;
        assert_eq!(refused(&app, json!({})).await, rule("name", "required"));
        assert_eq!(refused(&app, json!({"name": null})).await, rule("name", "required"));
        assert_eq!(refused(&app, json!({"name": "F"})).await, rule("name", "min_length"));
        assert_eq!(refused(&app, json!({"name": "Fernandinho!"})).await, rule("name", "max_length"));
        assert_eq!(refused(&app, json!({"name": "Fern", "code": "frn"})).await, rule("code", "pattern"));
        assert_eq!(refused(&app, json!({"name": "Fern", "notes": "x".repeat(21)})).await, rule("notes", "max_length"));
        assert_eq!(refused(&app, json!({"name": "Fern", "count": -1})).await, rule("count", "min"));
        assert_eq!(refused(&app, json!({"name": "Fern", "count": 11})).await, rule("count", "max"));
        assert_eq!(refused(&app, json!({"name": "Fern", "weight": 0.1})).await, rule("weight", "min"));
        assert_eq!(refused(&app, json!({"name": "Fern", "weight": 3})).await, rule("weight", "max"));
        assert_eq!(refused(&app, json!({"name": "Fern", "kind": "fungus"})).await, rule("kind", "values"));
        assert_eq!(refused(&app, json!({"name": "Fern", "handle": "Not A Slug"})).await, rule("handle", "slug"));
        assert_eq!(refused(&app, json!({"name": "Fern", "colour": "green"})).await, rule("colour", "unknown_field"));
    }

    async fn several_errors_are_reported_together(app) {
        with_specimens(&app).await;
        let got = refused(&app, json!({"count": 99, "alive": 1})).await;
        assert_eq!(got, vec![
            ("alive".to_string(), "type".to_string()),
            ("count".to_string(), "max".to_string()),
            ("name".to_string(), "required".to_string()),
        ]);
    }

    async fn a_patch_is_validated_like_a_create(app) {
        with_specimens(&app).await;
        let e = app.create_entry("specimens", json!({"name": "Fern"})).await;
        let id = e["id"].as_str().unwrap();
        let res = app.patch("specimens", id, json!({"count": 100}), 1).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), rule("count", "max"));
        let res = app.patch("specimens", id, json!({"name": null}), 1).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), rule("name", "required"));
    }

    async fn malformed_bodies_are_400_not_500(app) {
        with_specimens(&app).await;
        for body in ["{", "[]", "null", "{\"data\": 5}", "\u{0}"] {
            let res = app.admin(reqwest::Method::POST, "/admin/api/entries/specimens")
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert!(res.status().is_client_error(), "{body}: {}", res.status());
            let ct = res.headers()["content-type"].to_str().unwrap().to_string();
            assert_eq!(ct, "application/problem+json", "{body}");
        }
        let res = app.try_create("specimens", json!(["not", "an", "object"])).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), rule("data", "type"));
    }
}

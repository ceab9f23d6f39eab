//! Each case a client must tell apart has its own problem code, the same
//! on both APIs, and a unique value raced past its check is a 409.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{USER_PASSWORD, db_tests, problem};

async fn code_of(res: reqwest::Response, status: StatusCode) -> String {
    problem(res, status).await["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn new_user(email: &str) -> Value {
    json!({"email": email, "password": USER_PASSWORD, "role": "viewer"})
}

db_tests! {
    async fn each_conflict_has_its_own_code(app) {
        let res = app.admin(Method::DELETE, "/admin/api/content-types/articles").send().await.unwrap();
        assert_eq!(code_of(res, StatusCode::CONFLICT).await, "folder_owned");
        // The example types belong to content-types/; without the folder they are the API's.
        let app = app.restart_with(|c| c.content_types = None).await;
        app.create_entry("articles", json!({"title": "Kept"})).await;
        let res = app.admin(Method::DELETE, "/admin/api/content-types/articles").send().await.unwrap();
        assert_eq!(code_of(res, StatusCode::CONFLICT).await, "type_has_entries");

        let res = app.admin(Method::POST, "/admin/api/users").json(&new_user("twice@example.com")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = app.admin(Method::POST, "/admin/api/users").json(&new_user("twice@example.com")).send().await.unwrap();
        assert_eq!(code_of(res, StatusCode::CONFLICT).await, "email_taken");

        let me = app.my_id().await;
        let res = app.admin(Method::PATCH, &format!("/admin/api/users/{me}")).json(&json!({"role": "editor"})).send().await.unwrap();
        assert_eq!(code_of(res, StatusCode::CONFLICT).await, "last_admin");
        let res = app.admin(Method::DELETE, &format!("/admin/api/users/{me}")).send().await.unwrap();
        assert_eq!(code_of(res, StatusCode::CONFLICT).await, "own_account");

        let res = app.create_type(json!({"api_id": "settings", "name": "Settings", "kind": "singleton",
            "fields": [{"name": "title", "type": "string"}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        app.create_entry("settings", json!({"title": "One"})).await;
        let res = app.try_create("settings", json!({"title": "Two"})).await;
        assert_eq!(code_of(res, StatusCode::CONFLICT).await, "singleton_exists");
    }

    async fn racing_creates_answer_409_never_500(app) {
        let types = (0..8).map(|_| {
            app.admin(Method::POST, "/admin/api/content-types")
                .json(&json!({"api_id": "raced", "name": "Raced", "fields": []}))
                .send()
        });
        let users = (0..8).map(|_| {
            app.admin(Method::POST, "/admin/api/users").json(&new_user("raced@example.com")).send()
        });
        for (answers, code) in [
            (futures_util::future::join_all(types).await, "type_exists"),
            (futures_util::future::join_all(users).await, "email_taken"),
        ] {
            let mut created = 0;
            for res in answers {
                let res = res.expect("request");
                if res.status() == StatusCode::CREATED {
                    created += 1;
                } else {
                    assert_eq!(code_of(res, StatusCode::CONFLICT).await, code);
                }
            }
            assert_eq!(created, 1, "exactly one {code} winner");
        }
    }

    async fn a_malformed_limit_is_invalid_query_on_both_apis(app) {
        let res = app.public("/api/articles?limit=abc").await;
        assert_eq!(code_of(res, StatusCode::BAD_REQUEST).await, "invalid_query");
        let res = app.admin(Method::GET, "/admin/api/assets?limit=abc").send().await.unwrap();
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["code"], "invalid_query");
        assert_eq!(body["errors"][0]["field"], "limit");
    }

    async fn concurrent_demotions_never_leave_no_admin(app) {
        // Three admins, each stepping down at the same moment: one must remain.
        let mut admins = vec![(app.my_id().await, app.token.clone())];
        for email in ["b@example.com", "c@example.com"] {
            let res = app.admin(Method::POST, "/admin/api/users")
                .json(&json!({"email": email, "password": USER_PASSWORD, "role": "admin"}))
                .send().await.unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
            let body: Value = res.json().await.unwrap();
            let id = body["id"].as_str().unwrap_or_default().to_string();
            admins.push((id, app.login(email, USER_PASSWORD).await));
        }
        let demotions = admins.iter().map(|(id, token)| {
            app.with_token(token, Method::PATCH, &format!("/admin/api/users/{id}"))
                .json(&json!({"role": "editor"}))
                .send()
        });
        let mut refused = 0;
        for res in futures_util::future::join_all(demotions).await {
            let res = res.expect("request");
            if res.status() != StatusCode::OK {
                assert_eq!(code_of(res, StatusCode::CONFLICT).await, "last_admin");
                refused += 1;
            }
        }
        assert_eq!(refused, 1, "exactly the last one is refused");
        let admins = app
            .sql_strings("SELECT id FROM users WHERE role = 'admin' AND NOT disabled")
            .await;
        assert_eq!(admins.len(), 1, "{admins:?}");
    }
}

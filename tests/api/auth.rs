//! Sign-in, tokens, and the refusals of the admin API without them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, db_tests, problem};

db_tests! {
    async fn login_returns_a_token_and_the_user(app) {
        let res = app
            .anon(Method::POST, "/admin/api/auth/login")
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["token"].as_str().unwrap().len() > 40);
        assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(body["user"]["email"], ADMIN_EMAIL);
        assert_eq!(body["user"]["role"], "admin");
    }

    async fn wrong_password_and_unknown_email_get_the_same_401(app) {
        let mut details = Vec::new();
        for (email, password) in [(ADMIN_EMAIL, "not the password at all"), ("nobody@example.com", ADMIN_PASSWORD)] {
            let res = app
                .anon(Method::POST, "/admin/api/auth/login")
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap();
            let p = problem(res, StatusCode::UNAUTHORIZED).await;
            assert_eq!(p["code"], "unauthorized");
            details.push(p["detail"].clone());
        }
        assert_eq!(details[0], details[1]);
    }

    async fn every_admin_route_needs_a_token(app) {
        let id = app.create_entry("articles", json!({"title": "x"})).await["id"].as_str().unwrap().to_string();
        let routes = [
            (Method::GET, "/admin/api/auth/me".to_string()),
            (Method::POST, "/admin/api/auth/logout".to_string()),
            (Method::GET, "/admin/api/content-types".to_string()),
            (Method::POST, "/admin/api/content-types".to_string()),
            (Method::GET, "/admin/api/content-types/articles".to_string()),
            (Method::PUT, "/admin/api/content-types/articles".to_string()),
            (Method::DELETE, "/admin/api/content-types/articles".to_string()),
            (Method::GET, "/admin/api/entries/articles".to_string()),
            (Method::POST, "/admin/api/entries/articles".to_string()),
            (Method::GET, format!("/admin/api/entries/articles/{id}")),
            (Method::PATCH, format!("/admin/api/entries/articles/{id}")),
            (Method::DELETE, format!("/admin/api/entries/articles/{id}")),
            (Method::POST, format!("/admin/api/entries/articles/{id}/publish")),
            (Method::POST, format!("/admin/api/entries/articles/{id}/unpublish")),
            (Method::GET, format!("/admin/api/entries/articles/{id}/revisions")),
        ];
        for (method, path) in routes {
            for token in [None, Some("qs_not-a-real-token")] {
                let mut req = app.anon(method.clone(), &path).json(&json!({}));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let res = req.send().await.unwrap();
                let p = problem(res, StatusCode::UNAUTHORIZED).await;
                assert_eq!(p["code"], "unauthorized", "{method} {path}");
            }
        }
        // Nothing was changed by the refused calls.
        let res = app.admin(Method::GET, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn logout_revokes_the_token(app) {
        let res = app.admin(Method::POST, "/admin/api/auth/logout").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = app.admin(Method::GET, "/admin/api/auth/me").send().await.unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;
    }

    async fn me_names_the_signed_in_user(app) {
        let res = app.admin(Method::GET, "/admin/api/auth/me").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let me: serde_json::Value = res.json().await.unwrap();
        assert_eq!(me["email"], ADMIN_EMAIL);
    }

    async fn secrets_are_stored_hashed(app) {
        let hash = app.sql_strings("SELECT password_hash FROM users").await.remove(0);
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(ADMIN_PASSWORD));
        let tokens = app.sql_strings("SELECT token_hash FROM sessions").await;
        assert!(!tokens.is_empty());
        assert!(tokens.iter().all(|t| t != &app.token && t.len() == 64));
    }

    async fn an_expired_session_is_refused(app) {
        app.sql_exec("UPDATE sessions SET expires_at = 0").await;
        let res = app.admin(Method::GET, "/admin/api/auth/me").send().await.unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;
    }
}

//! Access control: roles on every admin operation, API token scopes, the
//! public access setting, sessions, the login rate limit, and the audit log.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, USER_PASSWORD, db_tests, problem};

/// Every operation of the generated admin spec, with real ids filled in.
/// Every admin operation with a concrete path and a body it parses (the
/// smallest its schema allows), so each request reaches the role check.
fn operations(ids: &Fixtures) -> Vec<(Method, String, Value)> {
    let (entry_id, user_id, token_id, asset_id) = (&ids.entry, &ids.user, &ids.token, &ids.asset);
    let spec: Value = serde_json::from_str(&quire::api::admin::spec_json()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let filled = path
                .replace("{content_type}", "articles")
                .replace("{api_id}", "articles")
                .replace("{revision}", "1")
                .replace("{delivery_id}", "00000000-0000-0000-0000-000000000000")
                .replace(
                    "{id}",
                    if path.starts_with("/users") {
                        user_id
                    } else if path.starts_with("/tokens") {
                        token_id
                    } else if path.starts_with("/assets") {
                        asset_id
                    } else {
                        entry_id
                    },
                );
            assert!(!filled.contains('{'), "unfilled parameter in {path}");
            // Operations with a required query parameter get one.
            let query = if path == "/search" { "?q=anything" } else { "" };
            let content = &op["requestBody"]["content"];
            let body = match content
                .get("application/json; charset=utf-8")
                .or_else(|| content.get("application/json"))
            {
                Some(json) if !path.starts_with("/content-types") => {
                    crate::strict_input::minimal(&spec, &json["schema"])
                }
                _ => any_body(),
            };
            ops.push((m, format!("/admin/api{filled}{query}"), body));
        }
    }
    assert!(ops.len() >= 25, "the spec lists the admin operations");
    ops
}

/// A body that satisfies every request schema, so refusals come from
/// authorization and not from parsing.
fn any_body() -> Value {
    json!({"data": {"title": "x"}, "version": 1, "email": "someone@example.com",
           "password": USER_PASSWORD, "role": "viewer", "name": "n", "scope": "read",
           "current_password": USER_PASSWORD, "new_password": "another long passphrase",
           "api_id": "articles", "fields": []})
}

/// Operations on one's own account, which every signed-in user may call.
fn own_account(path: &str) -> bool {
    [
        "/admin/api/auth/logout",
        "/admin/api/auth/password",
        "/admin/api/auth/sessions",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// Ids of things the operations act on.
struct Fixtures {
    entry: String,
    user: String,
    token: String,
    asset: String,
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let entry = app
        .create_entry("articles", json!({"title": "Owned by admin"}))
        .await;
    let me: Value = app
        .admin(Method::GET, "/admin/api/auth/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, token_id) = app.api_token("read", None).await;
    let file = reqwest::multipart::Part::bytes(b"%PDF-1.4\n".to_vec()).file_name("a.pdf");
    let asset: Value = app
        .admin(Method::POST, "/admin/api/assets")
        .multipart(reqwest::multipart::Form::new().part("file", file))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Fixtures {
        entry: entry["id"].as_str().unwrap().to_string(),
        user: me["id"].as_str().unwrap().to_string(),
        token: token_id,
        asset: asset["id"].as_str().unwrap().to_string(),
    }
}

db_tests! {
    async fn every_operation_in_the_spec_refuses_strangers(app) {
        let ids = fixtures(&app).await;
        for (method, path, _) in operations(&ids) {
            if path == "/admin/api/auth/login" {
                continue;
            }
            let res = app.anon(method.clone(), &path).json(&any_body()).send().await.unwrap();
            let p = problem(res, StatusCode::UNAUTHORIZED).await;
            assert_eq!(p["code"], "unauthorized", "{method} {path}");
        }
    }

    async fn a_viewer_writes_nothing(app) {
        let ids = fixtures(&app).await;
        let entry = ids.entry.clone();
        let viewer = app.user("viewer@example.com", "viewer", None).await;
        for (method, path, body) in operations(&ids) {
            if path == "/admin/api/auth/login" || own_account(&path) {
                continue;
            }
            let admin_only = ["/admin/api/users", "/admin/api/tokens", "/admin/api/audit", "/admin/api/webhooks"].iter().any(|p| path.starts_with(p));
            let res = app.with_token(&viewer, method.clone(), &path).json(&body).send().await.unwrap();
            if path.ends_with("/preview-link") {
                // A preview link reads: a viewer may ask, and articles name
                // no preview address.
                problem(res, StatusCode::NOT_FOUND).await;
            } else if method == Method::GET && !admin_only {
                assert_eq!(res.status(), StatusCode::OK, "{method} {path}");
            } else {
                let p = problem(res, StatusCode::FORBIDDEN).await;
                assert_eq!(p["code"], "forbidden", "{method} {path}");
            }
        }
        // Nothing changed underneath.
        let e: Value = app.admin(Method::GET, &format!("/admin/api/entries/articles/{entry}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(e["version"], 1);
    }

    async fn an_author_edits_only_their_own_entries_and_cannot_publish(app) {
        let others = fixtures(&app).await.entry;
        let author = app.user("author@example.com", "author", None).await;
        let res = app.with_token(&author, Method::POST, "/admin/api/entries/articles")
            .json(&json!({"data": {"title": "Mine"}})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let mine: Value = res.json().await.unwrap();
        let mine = mine["id"].as_str().unwrap();
        let res = app.with_token(&author, Method::PATCH, &format!("/admin/api/entries/articles/{mine}"))
            .json(&json!({"data": {"title": "Mine, edited"}, "version": 1})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        for (method, path, body) in [
            (Method::PATCH, format!("/admin/api/entries/articles/{others}"), json!({"data": {"title": "Hijacked"}, "version": 1})),
            (Method::DELETE, format!("/admin/api/entries/articles/{others}"), json!({})),
            (Method::POST, format!("/admin/api/entries/articles/{mine}/publish"), json!({})),
            (Method::POST, format!("/admin/api/entries/articles/{others}/unpublish"), json!({})),
            (Method::POST, "/admin/api/content-types".to_string(), json!({"api_id": "x", "name": "X", "fields": []})),
        ] {
            let res = app.with_token(&author, method.clone(), &path).json(&body).send().await.unwrap();
            problem(res, StatusCode::FORBIDDEN).await;
        }
        let e: Value = app.admin(Method::GET, &format!("/admin/api/entries/articles/{others}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(e["data"]["title"], "Owned by admin");
    }

    async fn an_editor_publishes_but_does_not_administer(app) {
        let entry = fixtures(&app).await.entry;
        let editor = app.user("editor@example.com", "editor", None).await;
        let res = app.with_token(&editor, Method::POST, &format!("/admin/api/entries/articles/{entry}/publish")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        for (method, path) in [(Method::GET, "/admin/api/users"), (Method::GET, "/admin/api/tokens"), (Method::DELETE, "/admin/api/content-types/pages")] {
            problem(app.with_token(&editor, method, path).send().await.unwrap(), StatusCode::FORBIDDEN).await;
        }
    }

    async fn type_limits_keep_a_user_to_their_types(app) {
        let pages_only = app.user("pages@example.com", "editor", Some(json!(["pages"]))).await;
        let res = app.with_token(&pages_only, Method::POST, "/admin/api/entries/pages")
            .json(&json!({"data": {"title": "About"}})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = app.with_token(&pages_only, Method::POST, "/admin/api/entries/articles")
            .json(&json!({"data": {"title": "News"}})).send().await.unwrap();
        problem(res, StatusCode::FORBIDDEN).await;
        problem(app.with_token(&pages_only, Method::GET, "/admin/api/entries/articles").send().await.unwrap(), StatusCode::FORBIDDEN).await;
        let types: Value = app.with_token(&pages_only, Method::GET, "/admin/api/content-types").send().await.unwrap().json().await.unwrap();
        assert_eq!(types["data"].as_array().unwrap().len(), 1);
        let res = app.admin(Method::POST, "/admin/api/users")
            .json(&json!({"email": "x@example.com", "password": USER_PASSWORD, "role": "editor", "types": ["nope"]})).send().await.unwrap();
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    async fn a_write_token_acts_as_an_editor(app) {
        let (write, _) = app.api_token("write", None).await;
        let res = app.with_token(&write, Method::POST, "/admin/api/entries/articles")
            .json(&json!({"data": {"title": "Imported"}})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let e: Value = res.json().await.unwrap();
        let res = app.with_token(&write, Method::POST, &format!("/admin/api/entries/articles/{}/publish", e["id"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        problem(app.with_token(&write, Method::GET, "/admin/api/users").send().await.unwrap(), StatusCode::FORBIDDEN).await;
        let tokens: Value = app.admin(Method::GET, "/admin/api/tokens").send().await.unwrap().json().await.unwrap();
        assert!(tokens["data"][0]["last_used_at"].is_string(), "{tokens}");
        assert!(tokens["data"][0].get("token").is_none(), "secrets are never listed");
    }

    async fn read_and_preview_tokens_do_not_open_the_admin_api(app) {
        for scope in ["read", "preview"] {
            let (t, _) = app.api_token(scope, None).await;
            let res = app.with_token(&t, Method::GET, "/admin/api/entries/articles").send().await.unwrap();
            problem(res, StatusCode::FORBIDDEN).await;
        }
    }

    async fn previews_need_a_preview_token(app) {
        let draft = app.create_entry("articles", json!({"title": "Upcoming"})).await;
        let id = draft["id"].as_str().unwrap();
        let (preview, _) = app.api_token("preview", None).await;
        let (read, _) = app.api_token("read", None).await;
        problem(app.public("/api/articles?preview=true").await, StatusCode::UNAUTHORIZED).await;
        problem(app.with_token(&read, Method::GET, "/api/articles?preview=true").send().await.unwrap(), StatusCode::FORBIDDEN).await;
        let list: Value = app.with_token(&preview, Method::GET, "/api/articles?preview=true").send().await.unwrap().json().await.unwrap();
        assert_eq!(list["data"][0]["title"], "Upcoming");
        let one: Value = app.with_token(&preview, Method::GET, "/api/articles/upcoming?preview=true").send().await.unwrap().json().await.unwrap();
        assert_eq!(one["data"]["id"], id);
        // Without ?preview the same token sees only published content.
        let list: Value = app.with_token(&preview, Method::GET, "/api/articles").send().await.unwrap().json().await.unwrap();
        assert_eq!(list["meta"]["total"], 0);
        // An admin session may preview too.
        let res = app.admin(Method::GET, "/api/articles/upcoming?preview=true").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn revoked_and_expired_tokens_stop_working(app) {
        let (t1, id1) = app.api_token("write", None).await;
        let (t2, _) = app.api_token("write", None).await;
        assert_eq!(app.with_token(&t1, Method::GET, "/admin/api/entries/articles").send().await.unwrap().status(), StatusCode::OK);
        let res = app.admin(Method::DELETE, &format!("/admin/api/tokens/{id1}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.with_token(&t1, Method::GET, "/admin/api/entries/articles").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        app.sql_exec("UPDATE api_tokens SET expires_at = 1").await;
        problem(app.with_token(&t2, Method::GET, "/admin/api/entries/articles").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        let res = app.admin(Method::POST, "/admin/api/tokens").json(&json!({"name": "old", "scope": "read", "expires_at": "2001-01-01T00:00:00Z"})).send().await.unwrap();
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        let res = app.admin(Method::POST, "/admin/api/tokens").json(&json!({"name": "x", "scope": "root"})).send().await.unwrap();
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    async fn disabling_a_user_revokes_their_sessions_at_once(app) {
        let token = app.user("leaver@example.com", "editor", None).await;
        let users: Value = app.admin(Method::GET, "/admin/api/users").send().await.unwrap().json().await.unwrap();
        let id = users["data"].as_array().unwrap().iter().find(|u| u["email"] == "leaver@example.com").unwrap()["id"].as_str().unwrap().to_string();
        let res = app.admin(Method::PATCH, &format!("/admin/api/users/{id}")).json(&json!({"disabled": true})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        problem(app.with_token(&token, Method::GET, "/admin/api/auth/me").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        let res = app.anon(Method::POST, "/admin/api/auth/login").json(&json!({"email": "leaver@example.com", "password": USER_PASSWORD})).send().await.unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;
        assert!(app.sql_strings("SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'leaver@example.com'").await.is_empty());
    }

    async fn changing_ones_password_revokes_other_sessions(app) {
        let first = app.user("me@example.com", "author", None).await;
        let second = app.login("me@example.com", USER_PASSWORD).await;
        let sessions: Value = app.with_token(&first, Method::GET, "/admin/api/auth/sessions").send().await.unwrap().json().await.unwrap();
        assert_eq!(sessions["data"].as_array().unwrap().len(), 2);
        let res = app.with_token(&first, Method::POST, "/admin/api/auth/password")
            .json(&json!({"current_password": "wrong wrong wrong", "new_password": "a brand new passphrase"})).send().await.unwrap();
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        let res = app.with_token(&first, Method::POST, "/admin/api/auth/password")
            .json(&json!({"current_password": USER_PASSWORD, "new_password": "password1234"})).send().await.unwrap();
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        let res = app.with_token(&first, Method::POST, "/admin/api/auth/password")
            .json(&json!({"current_password": USER_PASSWORD, "new_password": "a brand new passphrase"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.with_token(&first, Method::GET, "/admin/api/auth/me").send().await.unwrap().status(), StatusCode::OK);
        problem(app.with_token(&second, Method::GET, "/admin/api/auth/me").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        app.login("me@example.com", "a brand new passphrase").await;
    }

    async fn sessions_can_be_listed_and_revoked(app) {
        let other = app.login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
        let sessions: Value = app.admin(Method::GET, "/admin/api/auth/sessions").send().await.unwrap().json().await.unwrap();
        let list = sessions["data"].as_array().unwrap();
        assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
        let victim = list.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();
        let res = app.admin(Method::DELETE, &format!("/admin/api/auth/sessions/{victim}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.with_token(&other, Method::GET, "/admin/api/auth/me").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
    }

    async fn users_are_managed_by_admins_with_guards(app) {
        let res = app.admin(Method::POST, "/admin/api/users").json(&json!({"email": "weak@example.com", "password": "password1234", "role": "editor"})).send().await.unwrap();
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        let res = app.admin(Method::POST, "/admin/api/users").json(&json!({"email": "x@example.com", "password": USER_PASSWORD, "role": "god"})).send().await.unwrap();
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        app.user("dup@example.com", "viewer", None).await;
        let res = app.admin(Method::POST, "/admin/api/users").json(&json!({"email": "DUP@example.com", "password": USER_PASSWORD, "role": "viewer"})).send().await.unwrap();
        problem(res, StatusCode::CONFLICT).await;
        let me: Value = app.admin(Method::GET, "/admin/api/auth/me").send().await.unwrap().json().await.unwrap();
        let my_id = me["id"].as_str().unwrap();
        let p = problem(app.admin(Method::DELETE, &format!("/admin/api/users/{my_id}")).send().await.unwrap(), StatusCode::CONFLICT).await;
        assert!(p["detail"].as_str().unwrap().contains("own"));
        let p = problem(app.admin(Method::PATCH, &format!("/admin/api/users/{my_id}")).json(&json!({"role": "viewer"})).send().await.unwrap(), StatusCode::CONFLICT).await;
        assert!(p["detail"].as_str().unwrap().contains("last active admin"));
        let users: Value = app.admin(Method::GET, "/admin/api/users").send().await.unwrap().json().await.unwrap();
        let dup = users["data"].as_array().unwrap().iter().find(|u| u["email"] == "dup@example.com").unwrap()["id"].as_str().unwrap().to_string();
        let res = app.admin(Method::PATCH, &format!("/admin/api/users/{dup}")).json(&json!({"role": "editor", "display_name": "Dup"})).send().await.unwrap();
        let u: Value = res.json().await.unwrap();
        assert_eq!((u["role"].as_str(), u["display_name"].as_str()), (Some("editor"), Some("Dup")));
        assert_eq!(app.admin(Method::DELETE, &format!("/admin/api/users/{dup}")).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    }

    async fn every_admin_write_is_audited(app) {
        let e = app.create_entry("articles", json!({"title": "Audited"})).await;
        let id = e["id"].as_str().unwrap();
        app.publish("articles", id).await;
        app.api_token("read", None).await;
        let log: Value = app.admin(Method::GET, "/admin/api/audit").send().await.unwrap().json().await.unwrap();
        let actions: Vec<_> = log["data"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap().to_string()).collect();
        assert_eq!(&actions[..3], ["token.create", "entry.publish", "entry.create"]);
        let publish = &log["data"][1];
        assert_eq!(publish["actor"], crate::helpers::ADMIN_EMAIL);
        assert_eq!(publish["client_ip"], "127.0.0.1");
        assert_eq!(publish["resource_id"], id);
        assert_eq!(publish["detail"]["before_version"], 1);
        assert_eq!(publish["detail"]["after_version"], 2);
        let filtered: Value = app.admin(Method::GET, &format!("/admin/api/audit?resource_id={id}&action=entry.create")).send().await.unwrap().json().await.unwrap();
        assert_eq!(filtered["meta"]["total"], 1);
        let viewer = app.user("v@example.com", "viewer", None).await;
        problem(app.with_token(&viewer, Method::GET, "/admin/api/audit").send().await.unwrap(), StatusCode::FORBIDDEN).await;
    }

    async fn audit_filters_answer_newest_first_page_by_page(app) {
        let editor = app.user("auditor@example.com", "editor", None).await;
        let me: Value = app.with_token(&editor, Method::GET, "/admin/api/auth/me").send().await.unwrap().json().await.unwrap();
        let editor_id = me["id"].as_str().unwrap().to_string();
        let mut ids = Vec::new();
        for i in 0..3 {
            let res = app.with_token(&editor, Method::POST, "/admin/api/entries/articles").json(&json!({"data": {"title": format!("By the editor {i}")}})).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
            let e: Value = res.json().await.unwrap();
            ids.push(e["id"].as_str().unwrap().to_string());
            app.create_entry("articles", json!({"title": format!("By the admin {i}")})).await;
        }
        app.publish("articles", &ids[0]).await;
        let read = |query: String| {
            let req = app.admin(Method::GET, &format!("/admin/api/audit?{query}"));
            async move {
                let log: Value = req.send().await.unwrap().json().await.unwrap();
                let rows = log["data"].as_array().unwrap().clone();
                let row_ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
                assert!(row_ids.windows(2).all(|w| w[0] > w[1]), "newest first: {row_ids:?}");
                (rows, log["meta"]["total"].as_i64().unwrap())
            }
        };
        // The editor's writes only, newest first, two pages.
        let (first, total) = read(format!("actor_id={editor_id}&limit=2")).await;
        assert_eq!(total, 3);
        let resources: Vec<_> = first.iter().map(|r| r["resource_id"].as_str().unwrap()).collect();
        assert_eq!(resources, [ids[2].as_str(), ids[1].as_str()]);
        let (second, _) = read(format!("actor_id={editor_id}&limit=2&offset=2")).await;
        assert_eq!(second.len(), 1);
        assert_eq!(second[0]["resource_id"], ids[0].as_str());
        assert!(first.iter().chain(&second).all(|r| r["actor_id"] == editor_id.as_str()));
        // One entry's history, by its id alone and with its type.
        for query in [format!("resource_id={}", ids[0]), format!("resource_type=entry&resource_id={}", ids[0])] {
            let (rows, total) = read(query).await;
            assert_eq!(total, 2);
            let actions: Vec<_> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
            assert_eq!(actions, ["entry.publish", "entry.create"]);
        }
        let (rows, total) = read(format!("resource_type=asset&resource_id={}", ids[0])).await;
        assert_eq!((rows.len(), total), (0, 0));
    }

    async fn no_secret_is_stored_in_plain_text(app) {
        let (token, _) = app.api_token("write", None).await;
        app.user("plain@example.com", "viewer", None).await;
        let mut stored = app.sql_strings("SELECT token_hash FROM api_tokens").await;
        stored.extend(app.sql_strings("SELECT token_hash FROM sessions").await);
        stored.extend(app.sql_strings("SELECT password_hash FROM users").await);
        for secret in [token.as_str(), app.token.as_str(), USER_PASSWORD, crate::helpers::ADMIN_PASSWORD] {
            assert!(stored.iter().all(|s| !s.contains(secret)), "{secret} stored in plain text");
        }
        let audit = app.sql_strings("SELECT COALESCE(CAST(detail AS TEXT), '') FROM audit").await;
        assert!(audit.iter().all(|d| !d.contains(&token) && !d.contains(USER_PASSWORD)));
    }

    async fn security_headers_and_cors(app) {
        let res = app.admin(Method::GET, "/admin/api/content-types").send().await.unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()["x-frame-options"], "DENY");
        let res = app.anon(Method::GET, "/admin/api/content-types").send().await.unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store", "errors too");
        let res = app.anon(Method::GET, "/api/articles").header("Origin", "https://site.example").send().await.unwrap();
        assert!(res.headers().contains_key("access-control-allow-origin"));
        let res = app.anon(Method::GET, "/api/nope").header("Origin", "https://site.example").send().await.unwrap();
        assert!(res.headers().contains_key("access-control-allow-origin"), "problem documents are readable cross-origin");
    }
}

async fn closed_public_api(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.public_access = Some("token".into())).await;
    app.published_article("Members only").await;
    problem(app.public("/api/articles").await, StatusCode::UNAUTHORIZED).await;
    problem(
        app.public("/api/articles/members-only").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let (read, id) = app.api_token("read", None).await;
    let list: Value = app
        .with_token(&read, Method::GET, "/api/articles")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["total"], 1);
    let res = app
        .with_token(&read, Method::GET, "/api/articles/members-only")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    problem(
        app.with_token("qt_forged", Method::GET, "/api/articles")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    app.admin(Method::DELETE, &format!("/admin/api/tokens/{id}"))
        .send()
        .await
        .unwrap();
    problem(
        app.with_token(&read, Method::GET, "/api/articles")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_public_api_sqlite() {
    closed_public_api(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_public_api_postgres() {
    closed_public_api(Backend::Postgres).await;
}

async fn login_rate_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.login_max_failures = Some(3)).await;
    for _ in 0..3 {
        let res = app
            .anon(Method::POST, "/admin/api/auth/login")
            .json(&json!({"email": crate::helpers::ADMIN_EMAIL, "password": "guess guess guess"}))
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;
    }
    // Even the right password waits now.
    let res = app.anon(Method::POST, "/admin/api/auth/login")
        .json(&json!({"email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD})).send().await.unwrap();
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    let p = problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(p["code"], "too_many_requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rate_limit_sqlite() {
    login_rate_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rate_limit_postgres() {
    login_rate_limit(Backend::Postgres).await;
}

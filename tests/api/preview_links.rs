//! "Open preview": a type's `preview_url` filled for one entry, with a
//! short-lived token that reads that entry's working copy and nothing else.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{db_tests, field_rules, problem};

db_tests! {
    async fn a_preview_link_opens_one_working_copy_on_the_site(app) {
        let res = app.create_type(json!({
            "api_id": "posts", "name": "Posts",
            "preview_url": "https://site.example/preview/{slug}?token={token}&lang={locale}",
            "fields": [
                {"name": "title", "type": "text", "required": true},
                {"name": "slug", "type": "slug", "from": "title"}
            ]
        })).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let e = app.create_entry("posts", json!({"title": "Hello Preview"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        let other = app.create_entry("posts", json!({"title": "Someone else"})).await;
        let other = other["id"].as_str().unwrap().to_string();

        let res = app.admin(Method::POST, &format!("/admin/api/entries/posts/{id}/preview-link")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let link: Value = res.json().await.unwrap();
        let token = link["token"].as_str().unwrap().to_string();
        assert_eq!(link["url"], format!("https://site.example/preview/hello-preview?token={token}&lang=en"));
        let expires = quire::clock::parse(link["expires_at"].as_str().unwrap()).unwrap();
        let minutes = (expires - quire::clock::now()) / 60_000_000;
        assert!((14..=15).contains(&minutes), "{minutes} minutes");

        // The site reads the working copy with it, by id or by slug.
        for key in [id.as_str(), "hello-preview"] {
            let res = app.with_token(&token, Method::GET, &format!("/api/posts/{key}?preview=true")).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{key}");
            assert!(res.headers()["cache-control"].to_str().unwrap().contains("no-store"));
            assert_eq!(res.json::<Value>().await.unwrap()["data"]["title"], "Hello Preview");
        }
        // Nothing else: not another draft, not a list, not a search.
        let res = app.with_token(&token, Method::GET, &format!("/api/posts/{other}?preview=true")).send().await.unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
        let res = app.with_token(&token, Method::GET, "/api/posts?preview=true").send().await.unwrap();
        problem(res, StatusCode::FORBIDDEN).await;
        let res = app.with_token(&token, Method::GET, "/api/search?q=hello&preview=true").send().await.unwrap();
        problem(res, StatusCode::FORBIDDEN).await;
        // Nor the admin API.
        let res = app.with_token(&token, Method::GET, "/admin/api/entries/posts").send().await.unwrap();
        problem(res, StatusCode::FORBIDDEN).await;
    }

    async fn a_type_without_a_preview_address_has_no_link_and_bad_templates_are_refused(app) {
        let e = app.create_entry("articles", json!({"title": "No site"})).await;
        let id = e["id"].as_str().unwrap();
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/preview-link")).send().await.unwrap();
        let p = problem(res, StatusCode::NOT_FOUND).await;
        assert!(p["detail"].as_str().unwrap().contains("preview_url"), "{p}");
        for template in ["https://site.example/{nope}", "javascript:alert(1)", "https://site.example/{title"] {
            let res = app.create_type(json!({
                "api_id": "drafts", "name": "Drafts", "preview_url": template,
                "fields": [{"name": "title", "type": "text"}]
            })).await;
            let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(field_rules(&p).contains(&("preview_url".into(), "template".into())), "{template}: {p}");
        }
    }
}

//! `?richtext=html`: richtext fields read as sanitised HTML.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{db_tests, problem};

db_tests! {
    async fn richtext_reads_as_sanitised_html_when_asked(app) {
        let e = app.create_entry("articles", json!({
            "title": "Rich",
            "body": "## Hello\n\nSome **bold** text.<script>alert(1)</script>\n\n![A cat](/media/abc/cat.png)",
            "summary": "*not* rich text",
        })).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.publish("articles", &id).await;

        let plain: Value = app.public(&format!("/api/articles/{id}")).await.json().await.unwrap();
        assert!(plain["data"]["body"].as_str().unwrap().starts_with("## Hello"), "markdown by default");

        let html: Value = app.public(&format!("/api/articles/{id}?richtext=html")).await.json().await.unwrap();
        let body = html["data"]["body"].as_str().unwrap();
        assert!(body.contains("<h2>Hello</h2>") && body.contains("<strong>bold</strong>"), "{body}");
        assert!(body.contains(r#"<img src="/media/abc/cat.png" alt="A cat">"#), "{body}");
        assert!(!body.contains("<script"), "sanitised: {body}");
        assert_eq!(html["data"]["summary"], "*not* rich text", "only richtext fields");

        let list: Value = app.public("/api/articles?richtext=html&fields=title,body").await.json().await.unwrap();
        assert!(list["data"][0]["body"].as_str().unwrap().contains("<h2>Hello</h2>"));

        for path in [format!("/api/articles/{id}?richtext=pdf"), "/api/articles?richtext=".to_string()] {
            let p = problem(app.public(&path).await, StatusCode::BAD_REQUEST).await;
            assert_eq!(p["errors"][0]["field"], "richtext", "{path}");
        }

        // Told where it is reached, Quire makes the image a full URL that
        // works on the site's own origin.
        let app = app.restart_with(|c| c.public_url = Some("https://cms.example.com".into())).await;
        let html: Value = app.public(&format!("/api/articles/{id}?richtext=html")).await.json().await.unwrap();
        let body = html["data"]["body"].as_str().unwrap();
        assert!(body.contains(r#"<img src="https://cms.example.com/media/abc/cat.png" alt="A cat">"#), "{body}");
    }

    async fn richtext_in_blocks_is_rendered_too(app) {
        let res = app.create_type(json!({"api_id": "landing", "name": "Landing", "fields": [
            {"name": "title", "type": "string"},
            {"name": "sections", "type": "component", "repeatable": true,
             "fields": [{"name": "text", "type": "richtext"}]}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let e = app.create_entry("landing", json!({"title": "L", "sections": [{"text": "*one*"}, {"text": "**two**"}]})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.publish("landing", &id).await;
        let html: Value = app.public(&format!("/api/landing/{id}?richtext=html")).await.json().await.unwrap();
        assert_eq!(html["data"]["sections"][0]["text"], "<p><em>one</em></p>\n");
        assert_eq!(html["data"]["sections"][1]["text"], "<p><strong>two</strong></p>\n");
    }
}

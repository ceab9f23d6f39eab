//! The public read API: only published content, flat entries, the query
//! language and its refusals, ETags.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, field_rules, problem};
use crate::operations::{sample, scrape};

async fn get(app: &TestApp, path: &str) -> Value {
    let res = app.public(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// Three published articles and one draft, with varied fields.
async fn library(app: &TestApp) {
    for (title, minutes, featured, category, date) in [
        ("Alpha", 5, true, "news", "2026-01-10"),
        ("Bravo", 12, false, "guide", "2026-02-20"),
        ("Charlie", 30, false, "opinion", "2026-03-30"),
    ] {
        let e = app
            .create_entry(
                "articles",
                json!({
                    "title": title, "reading_minutes": minutes, "featured": featured,
                    "category": category, "event_date": date, "summary": format!("About {title}")
                }),
            )
            .await;
        app.publish("articles", e["id"].as_str().unwrap()).await;
    }
    app.create_entry(
        "articles",
        json!({"title": "Secret draft", "reading_minutes": 1}),
    )
    .await;
}

db_tests! {
    async fn drafts_never_reach_the_public_api(app) {
        let draft = app.create_entry("articles", json!({"title": "Embargoed"})).await;
        let id = draft["id"].as_str().unwrap();
        let list = get(&app, "/api/articles").await;
        assert_eq!(list["meta"]["total"], 0);
        problem(app.public(&format!("/api/articles/{id}")).await, StatusCode::NOT_FOUND).await;
        problem(app.public("/api/articles/embargoed").await, StatusCode::NOT_FOUND).await;
        let filtered = get(&app, "/api/articles?filter[title][eq]=Embargoed").await;
        assert_eq!(filtered["meta"]["total"], 0);
        // A published entry's unpublished edits stay private too.
        app.publish("articles", id).await;
        app.patch("articles", id, json!({"title": "Leaked?"}), 2).await;
        let list = get(&app, "/api/articles").await;
        assert_eq!(titles(&list), ["Embargoed"]);
        let filtered = get(&app, "/api/articles?filter[title][eq]=Leaked%3F").await;
        assert_eq!(filtered["meta"]["total"], 0);
    }

    async fn entries_are_flat_with_system_fields(app) {
        let id = app.published_article("Flat").await;
        let body = get(&app, &format!("/api/articles/{id}")).await;
        let e = body["data"].as_object().unwrap();
        for k in ["id", "locale", "created_at", "updated_at", "published_at", "title", "slug", "summary"] {
            assert!(e.contains_key(k), "{k}");
        }
        assert!(!e.contains_key("data") && !e.contains_key("version") && !e.contains_key("status"));
        assert_eq!(e["title"], "Flat");
        let by_slug = get(&app, "/api/articles/flat").await;
        assert_eq!(by_slug, body);
    }

    async fn lists_page_with_meta(app) {
        library(&app).await;
        let page = get(&app, "/api/articles?limit=2&offset=1&sort=title").await;
        let meta = page["meta"].as_object().unwrap();
        assert_eq!((&meta["total"], &meta["limit"], &meta["offset"]), (&json!(3), &json!(2), &json!(1)));
        assert!(meta["next"].is_string(), "a full page names the next: {meta:?}");
        assert_eq!(titles(&page), ["Bravo", "Charlie"]);
        let all = get(&app, "/api/articles").await;
        assert_eq!(all["meta"]["limit"], 25);
    }

    async fn default_order_is_newest_published_first(app) {
        library(&app).await;
        assert_eq!(titles(&get(&app, "/api/articles").await), ["Charlie", "Bravo", "Alpha"]);
        assert_eq!(titles(&get(&app, "/api/articles?sort=-published_at,title").await), ["Charlie", "Bravo", "Alpha"]);
        assert_eq!(titles(&get(&app, "/api/articles?sort=-reading_minutes").await), ["Charlie", "Bravo", "Alpha"]);
    }

    async fn every_filter_operator_works(app) {
        library(&app).await;
        for (query, expected) in [
            ("filter[title][eq]=Bravo", vec!["Bravo"]),
            ("filter[title][ne]=Bravo", vec!["Alpha", "Charlie"]),
            ("filter[reading_minutes][lt]=12", vec!["Alpha"]),
            ("filter[reading_minutes][lte]=12", vec!["Alpha", "Bravo"]),
            ("filter[reading_minutes][gt]=12", vec!["Charlie"]),
            ("filter[reading_minutes][gte]=12", vec!["Bravo", "Charlie"]),
            ("filter[category][in]=news,opinion", vec!["Alpha", "Charlie"]),
            ("filter[summary][contains]=rav", vec!["Bravo"]),
            ("filter[title][starts_with]=Ch", vec!["Charlie"]),
            ("filter[body][null]=true", vec!["Alpha", "Bravo", "Charlie"]),
            ("filter[summary][null]=false", vec!["Alpha", "Bravo", "Charlie"]),
            ("filter[featured][eq]=true", vec!["Alpha"]),
            ("filter[featured][eq]=false", vec!["Bravo", "Charlie"]),
            ("filter[event_date][gte]=2026-02-01", vec!["Bravo", "Charlie"]),
            ("filter[reading_minutes][gt]=4&filter[reading_minutes][lt]=31&filter[category][ne]=guide", vec!["Alpha", "Charlie"]),
            ("filter[published_at][lte]=2999-01-01T00:00:00Z", vec!["Alpha", "Bravo", "Charlie"]),
        ] {
            let body = get(&app, &format!("/api/articles?sort=title&{query}")).await;
            assert_eq!(titles(&body), expected, "{query}");
            assert_eq!(body["meta"]["total"], expected.len(), "{query}");
        }
    }

    async fn contains_is_case_sensitive_on_both_databases(app) {
        library(&app).await;
        assert_eq!(titles(&get(&app, "/api/articles?filter[title][contains]=lph").await), ["Alpha"]);
        assert_eq!(titles(&get(&app, "/api/articles?filter[title][contains]=LPH").await), Vec::<String>::new());
    }

    async fn bad_queries_are_400_naming_the_parameter(app) {
        library(&app).await;
        for (query, field, rule) in [
            ("filter[nope][eq]=1", "filter[nope][eq]", "unknown_field"),
            ("filter[title][like]=A", "filter[title][like]", "operator"),
            ("filter[reading_minutes][gt]=many", "filter[reading_minutes][gt]", "type"),
            ("filter[featured][eq]=yes", "filter[featured][eq]", "type"),
            ("filter[event_date][eq]=tomorrow", "filter[event_date][eq]", "type"),
            ("filter[reading_minutes][contains]=1", "filter[reading_minutes][contains]", "operator"),
            ("filter[seo][eq]=x", "filter[seo][eq]", "operator"),
            ("filter[title]=A", "filter[title]", "syntax"),
            ("sort=nope", "sort", "unknown_field"),
            ("fields=title,nope", "fields", "unknown_field"),
            ("limit=0", "limit", "range"),
            ("limit=101", "limit", "range"),
            ("offset=-1", "offset", "range"),
            ("status=draft", "status", "unknown_parameter"),
            ("draft=true", "draft", "unknown_parameter"),
            ("preview=maybe", "preview", "type"),
        ] {
            let res = app.public(&format!("/api/articles?{query}")).await;
            let p = problem(res, StatusCode::BAD_REQUEST).await;
            assert_eq!(p["code"], "invalid_query", "{query}");
            assert_eq!(field_rules(&p), vec![(field.to_string(), rule.to_string())], "{query}");
        }
    }

    async fn fields_narrows_the_output(app) {
        library(&app).await;
        let body = get(&app, "/api/articles?fields=title&sort=title&limit=1").await;
        assert_eq!(body["data"][0], json!({"id": body["data"][0]["id"], "title": "Alpha"}));
        let one = get(&app, "/api/articles/alpha?fields=slug,published_at").await;
        let keys: Vec<_> = one["data"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "published_at", "slug"]);
    }

    async fn etags_answer_304_until_content_changes(app) {
        let id = app.published_article("Tagged").await;
        for path in ["/api/articles".to_string(), format!("/api/articles/{id}")] {
            let res = app.public(&path).await;
            let etag = res.headers()["etag"].to_str().unwrap().to_string();
            assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
            let res = app.anon(reqwest::Method::GET, &path).header("If-None-Match", &etag).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{path}");
            let res = app.anon(reqwest::Method::GET, &path).header("If-None-Match", "\"other\"").send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
        }
        let res = app.public("/api/articles").await;
        let before = res.headers()["etag"].to_str().unwrap().to_string();
        app.published_article("Newer").await;
        let res = app.anon(reqwest::Method::GET, "/api/articles").header("If-None-Match", &before).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "a publish changes the list");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["meta"]["total"], 2);
    }

    async fn unknown_types_and_entries_are_404_problems(app) {
        let p = problem(app.public("/api/nothing").await, StatusCode::NOT_FOUND).await;
        assert_eq!(p["code"], "not_found");
        problem(app.public("/api/articles/no-such-slug").await, StatusCode::NOT_FOUND).await;
        problem(app.public("/api/articles/01900000-0000-7000-8000-000000000000").await, StatusCode::NOT_FOUND).await;
        problem(app.public("/no/such/route").await, StatusCode::NOT_FOUND).await;
    }

    async fn locales_are_separate(app) {
        let app = app.restart_with(|c| {
            c.locales = quire::model::locale::Locales::parse("en,fr", None).unwrap();
        }).await;
        let res = app.admin(reqwest::Method::POST, "/admin/api/entries/articles")
            .json(&json!({"data": {"title": "Bonjour"}, "locale": "fr"}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let e: Value = res.json().await.unwrap();
        app.publish("articles", e["id"].as_str().unwrap()).await;
        assert_eq!(get(&app, "/api/articles").await["meta"]["total"], 0);
        assert_eq!(titles(&get(&app, "/api/articles?locale=fr").await), ["Bonjour"]);
        assert_eq!(get(&app, "/api/articles/bonjour?locale=fr").await["data"]["locale"], "fr");
        problem(app.public("/api/articles/bonjour").await, StatusCode::NOT_FOUND).await;
        let p = problem(app.public("/api/articles?locale=../x").await, StatusCode::BAD_REQUEST).await;
        assert_eq!(field_rules(&p), vec![("locale".to_string(), "locale".to_string())]);
    }

    async fn a_plain_page_is_the_bytes_of_the_page_shaped_field_by_field(app) {
        let app = app.restart_with(|c| c.metrics_bind = Some("127.0.0.1:0".parse().unwrap())).await;
        // Values that need care when copied as stored: escapes, text beyond
        // ASCII, numbers of each kind, JSON naming ids, relations to entries
        // published or not; then a rename, which SQLite writes into the
        // stored text itself.
        let res = app
            .create_type(json!({"api_id": "people", "name": "Person", "fields": [
                {"name": "name", "type": "string"}, {"name": "profile", "type": "json"}]}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let ada = app
            .create_entry("people", json!({"name": "Ada", "profile": {"id": "inner-2"}}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.publish("people", &ada).await;
        let ghost = app.create_entry("people", json!({"name": "Ghost"})).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let fields = |last: Value| json!([
            {"name": "title", "type": "string", "required": true},
            {"name": "body", "type": "richtext"},
            {"name": "views", "type": "integer"},
            {"name": "score", "type": "number"},
            {"name": "pinned", "type": "boolean"},
            {"name": "day", "type": "date"},
            {"name": "extra", "type": "json"},
            {"name": "author", "type": "relation", "to": "people"},
            {"name": "refs", "type": "relation", "to": "notes", "multiple": true},
            last]);
        let res = app
            .create_type(json!({"api_id": "notes", "name": "Note",
                "fields": fields(json!({"name": "aside", "type": "text"}))}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let mut ids = Vec::new();
        for v in [
            json!({"title": "Quote \" backslash \\ tab \t ünïcødé 😀 </script>",
                "views": 9_007_199_254_740_993i64, "score": -1.5e-7, "pinned": true,
                "day": "2026-12-04", "aside": "kept", "author": ada,
                "extra": {"parts": [{"id": "embedded-1", "updated_at": "2099-01-01T00:00:00.000Z"}]}}),
            json!({"title": "Sparse"}),
            json!({"title": "Hidden"}),
        ] {
            ids.push(app.create_entry("notes", v).await["id"].as_str().unwrap().to_string());
        }
        let third = json!({"title": "Third", "body": "# Heading\n\n*text*", "score": 2.0,
            "extra": [1, "two", null], "author": ghost, "refs": [ids[0], ids[2], ids[1]]});
        ids.push(app.create_entry("notes", third).await["id"].as_str().unwrap().to_string());
        for (i, id) in ids.iter().enumerate() {
            if i != 2 {
                app.publish("notes", id).await;
            }
        }
        let renamed = fields(json!({"name": "note", "type": "text", "renamed_from": "aside"}));
        let res = app
            .admin(Method::PUT, "/admin/api/content-types/notes")
            .json(&json!({"name": "Note", "fields": renamed}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);

        let before = sample(&scrape(&app).await, "quire_public_pages_from_text_total").unwrap_or(0.0);
        // Every field named: the same page, shaped value by value.
        let all = "locale,created_at,updated_at,published_at,title,body,views,score,pinned,day,extra,author,refs,note";
        let first: Value = app.public("/api/notes?sort=title&limit=2").await.json().await.unwrap();
        let after = first["meta"]["next"].as_str().unwrap().to_string();
        for query in [
            "sort=-published_at&limit=3".to_string(),
            "sort=title&limit=2".to_string(),
            format!("sort=title&limit=2&after={after}"),
            "sort=-published_at&populate=author,refs".to_string(),
            "sort=title&limit=2&populate=author".to_string(),
        ] {
            let plain = app.public(&format!("/api/notes?{query}")).await;
            let shaped = app.public(&format!("/api/notes?{query}&fields={all}")).await;
            assert_eq!(plain.status(), StatusCode::OK, "{query}");
            for h in ["etag", "last-modified", "surrogate-key"] {
                assert_eq!(plain.headers().get(h), shaped.headers().get(h), "{h} of {query}");
            }
            let (plain, shaped) = (plain.bytes().await.unwrap(), shaped.bytes().await.unwrap());
            assert_eq!(String::from_utf8_lossy(&plain), String::from_utf8_lossy(&shaped), "{query}");
        }
        let page = app.public("/api/notes?sort=-published_at").await;
        let keys = page.headers()["surrogate-key"].to_str().unwrap().to_string();
        assert!(keys.contains("embedded-1"), "an id inside a JSON value is followed: {keys}");
        assert_eq!(page.headers()["last-modified"], "Thu, 01 Jan 2099 00:00:00 GMT");
        let page: Value = page.json().await.unwrap();
        assert_eq!(page["data"][2]["note"], "kept", "{page}");
        assert_eq!(page["data"][2]["views"], 9_007_199_254_740_993i64);
        let page = app.public("/api/notes?sort=-published_at&populate=author,refs").await;
        let keys = page.headers()["surrogate-key"].to_str().unwrap().to_string();
        assert!(keys.contains(&ada) && keys.contains("inner-2"), "targets are followed: {keys}");
        let page: Value = page.json().await.unwrap();
        let third = &page["data"][0];
        assert_eq!(third["author"], Value::Null, "a draft target reads as null");
        let refs: Vec<&str> = third["refs"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
        assert_eq!(refs, [page["data"][2]["title"].as_str().unwrap(), "Sparse"], "a draft is left out");
        assert_eq!(page["data"][2]["author"]["name"], "Ada");
        assert_eq!(page["data"][1]["refs"], json!([]));
        // A SQLite file hands out the stored text; PostgreSQL's `jsonb`
        // does not keep it, so its pages are shaped from values.
        let written = sample(&scrape(&app).await, "quire_public_pages_from_text_total").unwrap_or(0.0) - before;
        let expected = match app.config.database_kind {
            quire::config::DatabaseKind::Sqlite => 6.0,
            quire::config::DatabaseKind::Postgres => 0.0,
        };
        assert_eq!(written, expected);
    }
}

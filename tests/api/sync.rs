//! The sync feed: a full sync of everything live, then deltas with
//! upserts and tombstones, exact while writes go on.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, problem};
use crate::media::{png, upload};

/// `(kind, type, id, locale)` of an item, and the item.
type Key = (String, String, String, String);

fn key(item: &Value) -> (Key, bool) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    if let Some(e) = item.get("entry") {
        (
            ("entry".into(), s(&e["type"]), s(&e["id"]), s(&e["locale"])),
            true,
        )
    } else if let Some(d) = item.get("deleted") {
        (
            ("entry".into(), s(&d["type"]), s(&d["id"]), s(&d["locale"])),
            false,
        )
    } else if let Some(a) = item.get("asset") {
        (
            ("asset".into(), String::new(), s(&a["id"]), String::new()),
            true,
        )
    } else if let Some(d) = item.get("deleted_asset") {
        (
            ("asset".into(), String::new(), s(&d["id"]), String::new()),
            false,
        )
    } else {
        panic!("unknown sync item {item}")
    }
}

async fn page(app: &TestApp, query: &str) -> Value {
    let res = app.public(&format!("/api/sync{query}")).await;
    assert_eq!(res.status(), StatusCode::OK, "/api/sync{query}");
    res.json().await.unwrap()
}

/// Follows the feed from `query` until it has no more right away, applying
/// every item to `into`. Returns the cursor to call next and the pages read.
async fn follow(app: &TestApp, first: &str, into: &mut BTreeMap<Key, Value>) -> (String, usize) {
    let mut body = page(app, first).await;
    let mut pages = 1;
    loop {
        for item in body["data"].as_array().unwrap() {
            match key(item) {
                (k, true) => into.insert(k, item.clone()),
                (k, false) => into.remove(&k),
            };
        }
        let next = body["meta"]["next_cursor"].as_str().unwrap().to_string();
        if body["meta"]["has_more"] == false {
            return (next, pages);
        }
        // The page size is asked for on every call; the cursor keeps the rest.
        let limit: String = first
            .split(['?', '&'])
            .filter(|p| p.starts_with("limit="))
            .map(|p| format!("&{p}"))
            .collect();
        body = page(app, &format!("?cursor={next}{limit}")).await;
        pages += 1;
    }
}

async fn published(app: &TestApp, title: &str) -> String {
    app.published_article(title).await
}

db_tests! {
    async fn a_full_sync_pages_through_every_live_entry_and_asset(app) {
        let mut live = Vec::new();
        for i in 0..5 {
            live.push(published(&app, &format!("Live {i}")).await);
        }
        let draft = app.create_entry("articles", json!({"title": "Draft only"})).await;
        let asset = upload(&app, png(4, 4), "dot.png").await;

        let mut seen = BTreeMap::new();
        let (_, pages) = follow(&app, "?limit=2", &mut seen).await;
        assert!(pages >= 3, "limit=2 pages the feed ({pages} pages)");
        let articles: Vec<&String> = seen.keys().filter(|k| k.1 == "articles").map(|k| &k.2).collect();
        assert_eq!(articles.len(), 5, "{seen:?}");
        for id in &live {
            assert!(articles.contains(&id));
        }
        assert!(!articles.contains(&&draft["id"].as_str().unwrap().to_string()), "a draft is not live");
        let a = &seen[&("asset".to_string(), String::new(), asset["id"].as_str().unwrap().to_string(), String::new())];
        assert!(a["asset"]["url"].as_str().unwrap().ends_with("/dot.png"), "{a}");
        // Each entry is its public shape, with its type.
        let one = seen.values().find(|v| v.get("entry").is_some()).unwrap();
        assert!(one["entry"]["title"].as_str().unwrap().starts_with("Live "));
        assert_eq!(one["entry"]["locale"], "en");

        // `type=` syncs one type, and no assets.
        let mut typed = BTreeMap::new();
        follow(&app, "?type=articles&limit=1000", &mut typed).await;
        assert_eq!(typed.len(), 5);
        assert!(typed.keys().all(|k| k.1 == "articles"));
    }

    async fn a_delta_has_the_upserts_and_the_tombstones_since_the_cursor(app) {
        let kept = published(&app, "Kept").await;
        let dropped = published(&app, "Unpublished later").await;
        let gone = published(&app, "Deleted later").await;
        let mut seen = BTreeMap::new();
        let (cursor, _) = follow(&app, "", &mut seen).await;

        // Nothing changed: an empty page, the same position.
        let quiet = page(&app, &format!("?cursor={cursor}")).await;
        assert_eq!(quiet["data"], json!([]));
        assert_eq!(quiet["meta"]["has_more"], false);

        let fresh = published(&app, "New").await;
        app.unpublish("articles", &dropped).await;
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{gone}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        // A draft save changes nothing live: not in the feed.
        let current = app.admin_get(&format!("/admin/api/entries/articles/{kept}")).await;
        app.patch("articles", &kept, json!({"summary": "draft only"}), current["version"].as_i64().unwrap()).await;

        let delta = page(&app, &format!("?cursor={cursor}")).await;
        let items = delta["data"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{delta}");
        assert_eq!(items[0]["entry"]["id"], fresh.as_str());
        assert_eq!(items[0]["entry"]["title"], "New");
        assert_eq!(items[1], json!({"deleted": {"type": "articles", "id": dropped, "locale": "en"}}));
        assert_eq!(items[2], json!({"deleted": {"type": "articles", "id": gone, "locale": "en"}}));
        let next = delta["meta"]["next_cursor"].as_str().unwrap();
        let after = page(&app, &format!("?cursor={next}")).await;
        assert_eq!(after["data"], json!([]), "the next delta starts after these");
    }

    async fn bad_sync_queries_are_400s_naming_the_parameter(app) {
        for (query, field) in [
            ("?limit=0", "limit"),
            ("?limit=1001", "limit"),
            ("?type=nope", "type"),
            ("?type=hero", "type"),
            ("?cursor=not-a-cursor", "cursor"),
            ("?since=3", "since"),
        ] {
            let res = app.public(&format!("/api/sync{query}")).await;
            let p = problem(res, StatusCode::BAD_REQUEST).await;
            assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
        }
        // A cursor keeps its type.
        let body = page(&app, "?type=articles").await;
        let cursor = body["meta"]["next_cursor"].as_str().unwrap();
        let res = app.public(&format!("/api/sync?cursor={cursor}&type=authors")).await;
        let p = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(p["errors"][0]["field"], "type");
        let res = app.public(&format!("/api/sync?cursor={cursor}&type=articles")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn a_full_sync_and_deltas_agree_while_writes_race_them(app) {
        let mut ids = Vec::new();
        for i in 0..12 {
            ids.push(published(&app, &format!("Seed {i}")).await);
        }
        let writer = async {
            let mut made = Vec::new();
            for (i, old) in ids.iter().enumerate() {
                made.push(published(&app, &format!("Racing {i}")).await);
                match i % 3 {
                    0 => {
                        app.unpublish("articles", old).await;
                    }
                    1 => {
                        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{old}")).send().await.unwrap();
                        assert_eq!(res.status(), StatusCode::NO_CONTENT);
                    }
                    _ => {
                        let e = app.admin_get(&format!("/admin/api/entries/articles/{old}")).await;
                        app.patch("articles", old, json!({"title": format!("Edited {i}")}), e["version"].as_i64().unwrap()).await;
                        app.publish("articles", old).await;
                    }
                }
            }
            made
        };
        let reader = async {
            let mut state = BTreeMap::new();
            let (cursor, _) = follow(&app, "?type=articles&limit=2", &mut state).await;
            (state, cursor)
        };
        let (_, (mut synced, cursor)) = tokio::join!(writer, reader);
        // Catch up after the writes: the delta from the full sync's end.
        follow(&app, &format!("?cursor={cursor}"), &mut synced).await;

        let mut full = BTreeMap::new();
        follow(&app, "?type=articles&limit=1000", &mut full).await;
        assert_eq!(synced, full, "an incremental sync ends where a full one does");
        let live = app.public("/api/articles?limit=100").await.json::<Value>().await.unwrap();
        assert_eq!(full.len() as u64, live["meta"]["total"].as_u64().unwrap());
        assert!(full.values().any(|v| v["entry"]["title"] == "Edited 2"), "edits arrive as upserts");
    }

    async fn a_schema_change_sends_the_rewritten_entries_again(app) {
        let res = app.create_type(json!({"api_id": "notes", "name": "Notes",
            "fields": [{"name": "heading", "type": "string"}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let note = app.create_entry("notes", json!({"heading": "Hi"})).await;
        let id = note["id"].as_str().unwrap().to_string();
        app.publish("notes", &id).await;
        let mut seen = BTreeMap::new();
        let (cursor, _) = follow(&app, "?type=notes", &mut seen).await;
        let res = app.admin(Method::PUT, "/admin/api/content-types/notes")
            .json(&json!({"name": "Notes", "fields": [{"name": "title", "type": "string", "renamed_from": "heading"}]}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let delta = page(&app, &format!("?cursor={cursor}")).await;
        assert_eq!(delta["data"][0]["entry"]["id"], id.as_str(), "{delta}");
        assert_eq!(delta["data"][0]["entry"]["title"], "Hi");
        assert!(delta["data"][0]["entry"].get("heading").is_none());

        // A deleted type says so once.
        let next = delta["meta"]["next_cursor"].as_str().unwrap().to_string();
        let res = app.admin(Method::DELETE, "/admin/api/content-types/notes?delete_entries=true").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let all = page(&app, &format!("?cursor={next}")).await;
        assert_eq!(all["data"], json!([{"deleted_type": {"type": "notes"}}]));
    }

    async fn each_translation_comes_and_goes_on_its_own(app) {
        let app = app.restart_with(|c| {
            c.locales = quire::model::locale::Locales::parse("en,fr", None).expect("locales");
        }).await;
        let id = published(&app, "Hello").await;
        let mut seen = BTreeMap::new();
        let (cursor, _) = follow(&app, "", &mut seen).await;

        let res = app.admin(Method::PATCH, &format!("/admin/api/entries/articles/{id}?locale=fr"))
            .json(&json!({"data": {"title": "Bonjour"}})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/publish?locale=fr")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let delta = page(&app, &format!("?cursor={cursor}")).await;
        assert_eq!(delta["data"].as_array().unwrap().len(), 1, "{delta}");
        assert_eq!(delta["data"][0]["entry"]["locale"], "fr");
        assert_eq!(delta["data"][0]["entry"]["title"], "Bonjour");

        // Deleting the entry removes both translations.
        let cursor = delta["meta"]["next_cursor"].as_str().unwrap().to_string();
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let delta = page(&app, &format!("?cursor={cursor}")).await;
        let mut gone: Vec<&str> = delta["data"].as_array().unwrap().iter()
            .map(|i| i["deleted"]["locale"].as_str().unwrap()).collect();
        gone.sort();
        assert_eq!(gone, ["en", "fr"], "{delta}");
    }

    async fn the_sync_feed_serves_live_copies_only(app) {
        let res = app.admin(Method::GET, "/api/sync?preview=true").send().await.unwrap();
        let p = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(p["errors"][0]["field"], "preview");
        // A closed API wants a read token here too.
        let app = app.restart_with(|c| c.public_access = quire::config::PublicAccess::Token).await;
        problem(app.public("/api/sync").await, StatusCode::UNAUTHORIZED).await;
    }
}

//! Keyset paging on public lists: `?after=` from `meta.next`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, field_rules, ids, problem};

/// Every page of `query` through `meta.next`, calling `between` after
/// each page; answers the ids in the order seen.
async fn walk(app: &TestApp, query: &str, mut between: impl AsyncFnMut(usize)) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for page in 0..50 {
        let path = match &after {
            Some(c) => format!("/api/articles?{query}&after={c}"),
            None => format!("/api/articles?{query}"),
        };
        let res = app.public(&path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let body: Value = res.json().await.unwrap();
        seen.extend(ids(&body));
        match body["meta"]["next"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => return seen,
        }
        between(page).await;
    }
    panic!("paging never ended");
}

db_tests! {
    async fn paging_by_cursor_neither_skips_nor_repeats_while_entries_are_published(app) {
        let mut first = Vec::new();
        for i in 0..7 {
            first.push(app.published_article(&format!("Keyset {i}")).await);
        }
        let mut added = Vec::new();
        let seen = walk(&app, "limit=3", async |page| {
            if page == 0 {
                // Newest first: a publish now lands before the cursor, and
                // offset paging would show the third entry again.
                added.push(app.published_article("Published meanwhile").await);
            }
        }).await;
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), seen.len(), "no entry twice: {seen:?}");
        for id in &first {
            assert!(seen.contains(id), "{id} skipped: {seen:?}");
        }
        assert!(!seen.contains(&added[0]), "published before the cursor, so not on later pages");
    }

    async fn a_cursor_follows_any_sort_with_nulls_last(app) {
        for (i, minutes) in [Some(5), None, Some(3), Some(5), None, Some(1), Some(8)].into_iter().enumerate() {
            let mut data = json!({"title": format!("Sorted {i}")});
            if let Some(m) = minutes {
                data["reading_minutes"] = json!(m);
            }
            let e = app.create_entry("articles", data).await;
            app.publish("articles", e["id"].as_str().unwrap()).await;
        }
        for sort in ["reading_minutes", "-reading_minutes", "title,-published_at", "-title"] {
            let all: Value = app.public(&format!("/api/articles?sort={sort}&limit=100")).await.json().await.unwrap();
            let expected = ids(&all);
            let paged = walk(&app, &format!("sort={sort}&limit=2"), async |_| {}).await;
            assert_eq!(paged, expected, "sort={sort}");
        }
    }

    async fn a_cursor_is_refused_for_another_sort_or_with_an_offset(app) {
        for i in 0..3 {
            app.published_article(&format!("Refused {i}")).await;
        }
        let page: Value = app.public("/api/articles?limit=2").await.json().await.unwrap();
        let next = page["meta"]["next"].as_str().unwrap().to_string();
        for (query, rule) in [
            (format!("sort=title&after={next}"), "cursor"),
            (format!("after={next}&offset=2"), "exclusive"),
            ("after=not-a-cursor".to_string(), "cursor"),
        ] {
            let res = app.public(&format!("/api/articles?{query}")).await;
            let p = problem(res, StatusCode::BAD_REQUEST).await;
            assert!(field_rules(&p).contains(&("after".into(), rule.into())), "{query}: {p}");
        }
        // The last page says there is no next one.
        let last: Value = app.public(&format!("/api/articles?limit=2&after={next}")).await.json().await.unwrap();
        assert!(last["meta"]["next"].is_null(), "{last}");
    }
}

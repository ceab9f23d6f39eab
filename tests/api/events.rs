//! `GET /api/events`: public changes as Server-Sent Events, resumable.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, problem};

/// `(id, event, data)` of each event in SSE text.
fn parse(text: &str) -> Vec<(String, String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let field = |name: &str| {
                block.lines().find_map(|l| {
                    l.strip_prefix(&format!("{name}:"))
                        .map(|v| v.trim().to_string())
                })
            };
            let data = field("data")?;
            Some((
                field("id")?,
                field("event")?,
                serde_json::from_str(&data).ok()?,
            ))
        })
        .collect()
}

/// Reads a stream until it holds `n` events (or 10 s pass).
async fn read_events(res: &mut reqwest::Response, n: usize) -> Vec<(String, String, Value)> {
    read_until(res, |events| events.len() >= n).await
}

/// Reads a stream until `done` holds for its events (or 10 s pass).
async fn read_until(
    res: &mut reqwest::Response,
    done: impl Fn(&[(String, String, Value)]) -> bool,
) -> Vec<(String, String, Value)> {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(&parse(&text)) {
        match tokio::time::timeout_at(deadline, res.chunk()).await {
            Ok(Ok(Some(bytes))) => text.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    parse(&text)
}

async fn stream(app: &TestApp, query: &str, last: Option<&str>) -> reqwest::Response {
    let mut req = app.anon(Method::GET, &format!("/api/events{query}"));
    if let Some(id) = last {
        req = req.header("last-event-id", id);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    res
}

db_tests! {
    async fn a_stream_tells_of_publishes_unpublishes_and_deletes(app) {
        let mut res = stream(&app, "", None).await;
        let e = app.create_entry("articles", json!({"title": "Live"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.publish("articles", &id).await;
        app.unpublish("articles", &id).await;
        let gone = app.admin(Method::DELETE, &format!("/admin/api/entries/articles/{id}")).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        let events = read_events(&mut res, 3).await;
        let kinds: Vec<&str> = events.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["published", "unpublished", "deleted"], "draft saves are not events");
        for (_, _, data) in &events {
            assert_eq!(data["id"], id.as_str());
            assert_eq!(data["type"], "articles");
            assert_eq!(data["locale"], "en");
        }

        // Resumed after the first, a new stream reads back the other two.
        let first = events[0].0.clone();
        let mut again = stream(&app, "", Some(&first)).await;
        let replayed = read_events(&mut again, 2).await;
        let kinds: Vec<&str> = replayed.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["unpublished", "deleted"]);
        assert_eq!(replayed[1].0, events[2].0, "the same ids");
    }

    async fn a_stream_of_one_type_and_bad_requests(app) {
        let mut res = stream(&app, "?type=authors", None).await;
        app.published_article("Not an author").await;
        let a = app.create_entry("authors", json!({"name": "Ada"})).await;
        let aid = a["id"].as_str().unwrap().to_string();
        app.publish("authors", &aid).await;
        let events = read_events(&mut res, 1).await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].2["id"], aid.as_str());

        for (query, field) in [("?type=nope", "type"), ("?since=1", "since")] {
            let p = problem(app.public(&format!("/api/events{query}")).await, StatusCode::BAD_REQUEST).await;
            assert_eq!(p["errors"][0]["field"], field);
        }
        let res = app.anon(Method::GET, "/api/events").header("last-event-id", "abc").send().await.unwrap();
        let p = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(p["errors"][0]["field"], "Last-Event-ID");
    }

    async fn streams_are_bounded(app) {
        let app = app.restart_with(|c| c.events_max_streams = 1).await;
        let _held = stream(&app, "", None).await;
        let res = app.public("/api/events").await;
        let status = res.status();
        let retry = res.headers().get("retry-after").cloned();
        let p = problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{p}");
        assert!(retry.is_some());
    }

    async fn a_type_named_events_keeps_its_routes_and_the_stream_moves_aside(app) {
        let res = app.create_type(json!({"api_id": "events", "name": "Event",
            "fields": [{"name": "title", "type": "string"}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let e = app.create_entry("events", json!({"title": "Launch"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.publish("events", &id).await;
        let list: Value = app.public("/api/events").await.json().await.unwrap();
        assert_eq!(list["data"][0]["title"], "Launch");
        let mut res = app.anon(Method::GET, "/api/sync/events").send().await.unwrap();
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        app.unpublish("events", &id).await;
        // The publish may come first: the stream opened while it was new.
        let got = read_until(&mut res, |e| e.iter().any(|(_, kind, _)| kind == "unpublished")).await;
        assert_eq!(got.last().map(|e| e.1.as_str()), Some("unpublished"), "{got:?}");
    }
}

//! Fields marked `index`: the database holds an index on their live
//! values, kept in step with the definition, and filters read through it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, field_rules, ids, on_db, problem};
use quire::model::field::FieldType;
use quire::store::field_indexes::{index_name, of_type};

async fn put_events(app: &TestApp, fields: Value, query: &str) -> reqwest::Response {
    app.admin(
        Method::PUT,
        &format!("/admin/api/content-types/events{query}"),
    )
    .json(&json!({"name": "Event", "fields": fields}))
    .send()
    .await
    .unwrap()
}

async fn indexes(app: &TestApp, api_id: &str) -> Vec<String> {
    of_type(&app.db().await, api_id).await.unwrap()
}

db_tests! {
    async fn an_indexed_field_has_an_index_that_follows_its_definition(app) {
        let res = app
            .create_type(json!({"api_id": "events", "name": "Event", "fields": [
                {"name": "title", "type": "string", "required": true},
                {"name": "views", "type": "integer", "index": true},
                {"name": "city", "type": "string"}]}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(indexes(&app, "events").await, [index_name("events", "views", FieldType::Integer)]);
        let def = app.admin_get("/admin/api/content-types/events").await;
        assert_eq!(def["definition"]["fields"][1]["index"], true, "{def}");

        let mut by_views = Vec::new();
        for views in [3, 5, 3, 8] {
            let e = app.create_entry("events", json!({"title": format!("E{views}"), "views": views})).await;
            let id = e["id"].as_str().unwrap().to_string();
            app.publish("events", &id).await;
            by_views.push((views, id));
        }
        // A draft with a matching value stays out of the public list.
        app.create_entry("events", json!({"title": "Draft", "views": 3})).await;
        let page: Value = app.public("/api/events?filter[views][eq]=3&sort=-published_at").await.json().await.unwrap();
        let threes: Vec<String> = by_views.iter().rev().filter(|(v, _)| *v == 3).map(|(_, id)| id.clone()).collect();
        assert_eq!(ids(&page), threes);
        assert_eq!(page["meta"]["total"], 2);
        let page: Value = app.public("/api/events?filter[views][gte]=5&sort=views").await.json().await.unwrap();
        let five_up: Vec<String> = by_views.iter().filter(|(v, _)| *v >= 5).map(|(_, id)| id.clone()).collect();
        assert_eq!(ids(&page), five_up);

        if let quire::store::Db::Sqlite(pool, _) = app.db().await {
            // The planner takes the index for the expression filters write.
            let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
                "EXPLAIN QUERY PLAN SELECT id FROM entries WHERE type = 'events' AND locale = 'en' \
                 AND published IS NOT NULL AND (published ->> 'views') = 3 \
                 ORDER BY published_at DESC, id DESC LIMIT 20",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            let plan: Vec<String> = rows.into_iter().map(|r| r.3).collect();
            let name = index_name("events", "views", FieldType::Integer);
            assert!(plan.iter().any(|p| p.contains(&name)), "{plan:?}");
        }

        // Renamed: the index follows the field's new name.
        let res = put_events(&app, json!([
            {"name": "title", "type": "string", "required": true},
            {"name": "visits", "type": "integer", "index": true, "renamed_from": "views"},
            {"name": "city", "type": "string", "index": true}]), "").await;
        assert_eq!(res.status(), StatusCode::OK);
        let mut want = vec![
            index_name("events", "visits", FieldType::Integer),
            index_name("events", "city", FieldType::String),
        ];
        want.sort();
        assert_eq!(indexes(&app, "events").await, want);
        let page: Value = app.public("/api/events?filter[visits][eq]=8").await.json().await.unwrap();
        assert_eq!(ids(&page), [by_views[3].1.clone()]);

        // A dry run builds nothing; dropping the flag drops the index.
        let unindexed = json!([
            {"name": "title", "type": "string", "required": true},
            {"name": "visits", "type": "integer"},
            {"name": "city", "type": "string", "index": true}]);
        assert_eq!(put_events(&app, unindexed.clone(), "?dry_run=true").await.status(), StatusCode::OK);
        assert_eq!(indexes(&app, "events").await, want);
        assert_eq!(put_events(&app, unindexed, "").await.status(), StatusCode::OK);
        assert_eq!(indexes(&app, "events").await, [index_name("events", "city", FieldType::String)]);

        // The type gone, so are its indexes; another type's stay.
        let articles = indexes(&app, "articles").await;
        assert_eq!(articles, [index_name("articles", "reading_minutes", FieldType::Integer)]);
        let res = app
            .admin(Method::DELETE, "/admin/api/content-types/events?delete_entries=true")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(indexes(&app, "events").await.is_empty());
        assert_eq!(indexes(&app, "articles").await, articles);
    }

    async fn a_missing_index_is_built_at_start(app) {
        let name = index_name("articles", "reading_minutes", FieldType::Integer);
        // As an import or an older release leaves it.
        let db = app.db().await;
        let drop = format!("DROP INDEX \"{name}\"");
        on_db!(&db, p => { sqlx::query(sqlx::AssertSqlSafe(drop)).execute(p).await.unwrap(); });
        assert!(indexes(&app, "articles").await.is_empty());
        let app = app.restart().await;
        assert_eq!(indexes(&app, "articles").await, [name]);
    }

    async fn index_applies_only_to_a_types_own_scalar_fields(app) {
        let res = app
            .create_type(json!({"api_id": "events", "name": "Event", "fields": [
                {"name": "title", "type": "string"},
                {"name": "extra", "type": "json", "index": true},
                {"name": "venue", "type": "component", "fields": [
                    {"name": "city", "type": "string", "index": true}]}]}))
            .await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [
            ("fields[1].index".to_string(), "not_applicable".to_string()),
            ("fields[2].fields[0].index".to_string(), "not_in_component".to_string()),
        ]);
        assert!(indexes(&app, "events").await.is_empty());
    }
}

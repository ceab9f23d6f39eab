//! What is stored: a published entry nobody has edited since keeps its
//! working copy once (as the live copy), and revisions other than the
//! newest are patches. Every read, filter, uniqueness check and schema
//! change sees the copies as if each were stored whole.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests, field_rules, ids, problem};

fn id_of(e: &Value) -> String {
    e["id"].as_str().unwrap().to_string()
}

/// An entry's working copy as stored: the API shows a field without a
/// value as `null`, a revision shows the copy as saved.
fn stored(data: &Value) -> Value {
    let mut out = data.as_object().unwrap().clone();
    out.retain(|_, v| !v.is_null());
    Value::Object(out)
}

/// The `draft` column as stored, for each author.
async fn draft_columns(app: &TestApp) -> Vec<String> {
    app.sql_strings("SELECT CAST(draft AS TEXT) FROM entries WHERE type = 'authors' ORDER BY id")
        .await
}

db_tests! {
    async fn ids_in_the_logs_are_stored_in_sixteen_bytes_on_sqlite_and_read_back_as_written(app) {
        let e = app.create_entry("authors", json!({"name": "Ada", "email": "ada@example.com"})).await;
        let id = id_of(&e);
        app.publish("authors", &id).await;
        let me = app.my_id().await;
        let stored = match app.db().await.dialect() {
            quire::store::sql::Dialect::Sqlite => app.sql_strings(
                "SELECT typeof(entry_id) || ':' || length(entry_id) || ':' || typeof(author_id) || ':' || length(author_id) \
                 FROM revisions UNION ALL \
                 SELECT typeof(resource_id) || ':' || length(resource_id) || ':' || typeof(actor_id) || ':' || length(actor_id) \
                 FROM audit WHERE resource_type = 'entry' UNION ALL \
                 SELECT typeof(entity_id) || ':' || length(entity_id) || ':blob:16' FROM changes WHERE entity = 'entry'",
            ).await,
            quire::store::sql::Dialect::Postgres => app.sql_strings(
                "SELECT 'text:' || length(entry_id) || ':text:' || length(author_id) FROM revisions UNION ALL \
                 SELECT 'text:' || length(resource_id) || ':text:' || length(actor_id) FROM audit \
                 WHERE resource_type = 'entry' UNION ALL \
                 SELECT 'text:' || length(entity_id) || ':text:36' FROM changes WHERE entity = 'entry'",
            ).await,
        };
        let expected = match app.db().await.dialect() {
            quire::store::sql::Dialect::Sqlite => "blob:16:blob:16",
            quire::store::sql::Dialect::Postgres => "text:36:text:36",
        };
        assert_eq!(stored, vec![expected; 6], "two revisions, two audit rows, two changes");

        // Read back as the text that was written, and found by it.
        let revisions = app.admin_get(&format!("/admin/api/entries/authors/{id}/revisions")).await;
        let authors: Vec<&Value> = revisions["data"].as_array().unwrap().iter().map(|r| &r["author_id"]).collect();
        assert_eq!(authors, [&json!(me), &json!(me)]);
        let log = app.admin_get(&format!("/admin/api/audit?resource_id={id}&actor_id={me}")).await;
        let rows: Vec<(&Value, &Value, &Value)> = log["data"].as_array().unwrap().iter()
            .map(|r| (&r["action"], &r["resource_id"], &r["actor_id"])).collect();
        assert_eq!(rows, [(&json!("entry.publish"), &json!(id), &json!(me)), (&json!("entry.create"), &json!(id), &json!(me))]);
        // A content type's id is not a UUID: it stays text, and is found by it.
        let res = app.create_type(json!({"api_id": "notes", "name": "Note", "fields": [{"name": "text", "type": "string"}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let log = app.admin_get("/admin/api/audit?resource_id=notes").await;
        let rows: Vec<(&Value, &Value)> = log["data"].as_array().unwrap().iter()
            .map(|r| (&r["action"], &r["resource_id"])).collect();
        assert_eq!(rows, [(&json!("content_type.create"), &json!("notes"))]);

        // An entry's revisions go with it.
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/authors/{id}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.sql_strings("SELECT CAST(COUNT(*) AS TEXT) FROM revisions").await, ["0"]);
        let log = app.admin_get(&format!("/admin/api/audit?resource_id={id}")).await;
        assert_eq!(log["data"][0]["action"], "entry.delete");
    }

    async fn a_published_entry_unedited_since_is_stored_once_and_reads_as_before(app) {
        let e = app.create_entry("authors", json!({"name": "Ada", "email": "ada@example.com"})).await;
        let id = id_of(&e);
        let live = app.publish("authors", &id).await;
        assert_eq!(draft_columns(&app).await, ["null"], "the working copy is the live copy");

        let e = app.admin_get(&format!("/admin/api/entries/authors/{id}")).await;
        assert_eq!((&e["data"]["name"], &e["data"]["email"]), (&json!("Ada"), &json!("ada@example.com")));
        assert_eq!((&e["published"]["name"], &e["published"]["email"]), (&json!("Ada"), &json!("ada@example.com")));
        assert_eq!(e["status"], "published");
        // Filters and sorts of the admin API read the working copy.
        let found = app.admin_get("/admin/api/entries/authors?filter[name][eq]=Ada").await;
        assert_eq!(ids(&found), [id.as_str()]);
        // A unique value held only this way is still taken.
        let res = app.try_create("authors", json!({"name": "Ada Two", "email": "ada@example.com"})).await;
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(field_rules(&p), [("email".to_string(), "unique".to_string())]);

        // An edit stores its own working copy; the public API keeps the live one.
        let version = live["version"].as_i64().unwrap();
        let res = app.patch("authors", &id, json!({"name": "Ada L."}), version).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(draft_columns(&app).await[0].contains("Ada L."));
        let public: Value = app.public(&format!("/api/authors/{id}")).await.json().await.unwrap();
        assert_eq!(public["data"]["name"], "Ada");

        // Published again: once more; unpublished: the working copy is kept.
        app.publish("authors", &id).await;
        assert_eq!(draft_columns(&app).await, ["null"]);
        app.unpublish("authors", &id).await;
        assert!(draft_columns(&app).await[0].contains("Ada L."));
        let e = app.admin_get(&format!("/admin/api/entries/authors/{id}")).await;
        assert_eq!(e["data"]["name"], "Ada L.");
        assert!(e["published"].is_null());
        assert_eq!(e["status"], "draft");
    }

    async fn schema_changes_reach_a_working_copy_kept_as_the_live_one(app) {
        let res = app.create_type(json!({"api_id": "notes", "name": "Note", "fields": [
            {"name": "title", "type": "string", "required": true},
            {"name": "old", "type": "string"},
            {"name": "gone", "type": "string"}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let e = app.create_entry("notes", json!({"title": "T", "old": "o", "gone": "g"})).await;
        let id = id_of(&e);
        app.publish("notes", &id).await;

        // A rename, a dropped field and a new required field with a default at once.
        let res = app.admin(Method::PUT, "/admin/api/content-types/notes?allow_data_loss=true")
            .json(&json!({"name": "Note", "fields": [
                {"name": "title", "type": "string", "required": true},
                {"name": "new", "type": "string", "renamed_from": "old"},
                {"name": "rating", "type": "integer", "required": true, "default": 3}]}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        let e = app.admin_get(&format!("/admin/api/entries/notes/{id}")).await;
        let expected = json!({"title": "T", "new": "o", "rating": 3});
        assert_eq!(e["data"], expected, "working copy");
        assert_eq!(e["published"], expected, "live copy");
        // Still published and unedited, so still one copy.
        let drafts = app.sql_strings("SELECT CAST(draft AS TEXT) FROM entries WHERE type = 'notes'").await;
        assert_eq!(drafts, ["null"]);
        // And publishable as it stands.
        app.publish("notes", &id).await;
    }

    async fn every_revision_reads_back_the_copy_it_saved(app) {
        let mut saved: Vec<(i64, Value)> = Vec::new();
        let e = app.create_entry("articles", json!({"title": "One", "summary": "S"})).await;
        let id = id_of(&e);
        saved.push((1, stored(&e["data"])));
        let steps = [
            json!({"title": "Two"}),
            json!({"summary": null, "byline": "Ada"}),
            json!({"byline": {"not": "a string"}}),
        ];
        let mut version = 1;
        for data in steps {
            let res = app.patch("articles", &id, data, version).await;
            if res.status() != StatusCode::OK {
                // A refused write leaves no revision behind.
                assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
                continue;
            }
            let e: Value = res.json().await.unwrap();
            version = e["version"].as_i64().unwrap();
            saved.push((version, stored(&e["data"])));
        }
        let e = app.publish("articles", &id).await;
        version = e["version"].as_i64().unwrap();
        saved.push((version, stored(&e["data"])));
        let res = app.patch("articles", &id, json!({"title": "Three", "summary": "S2"}), version).await;
        let e: Value = res.json().await.unwrap();
        saved.push((e["version"].as_i64().unwrap(), stored(&e["data"])));

        let revs = app.admin_get(&format!("/admin/api/entries/articles/{id}/revisions")).await;
        let listed: Vec<(i64, Value)> = revs["data"].as_array().unwrap().iter().rev()
            .map(|r| (r["version"].as_i64().unwrap(), r["data"].clone()))
            .collect();
        assert_eq!(listed, saved);
        for (v, data) in &saved {
            let one = app.admin_get(&format!("/admin/api/entries/articles/{id}/revisions/{v}")).await;
            assert_eq!(&one["revision"]["data"], data, "revision {v}");
        }
        // Only the newest is the working copy; the others are patches, and
        // the copy the publish left as it was is an empty one.
        let forms = app.sql_strings(
            "SELECT CAST(form AS TEXT) || ':' || CAST(data AS TEXT) FROM revisions ORDER BY id",
        ).await;
        assert_eq!(forms.len(), saved.len());
        assert_eq!(forms.last().map(String::as_str), Some("2:null"));
        assert!(forms[..forms.len() - 1].iter().all(|f| f.starts_with("1:")), "{forms:?}");
        assert_eq!(forms[forms.len() - 3], "1:{}", "the publish changed no field");

        // Restoring the oldest brings back its copy exactly.
        let last = saved.last().unwrap().0;
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/revisions/1/restore?version={last}"))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let restored: Value = res.json().await.unwrap();
        assert_eq!(stored(&restored["data"]), saved[0].1);
        let one = app.admin_get(&format!("/admin/api/entries/articles/{id}/revisions/{last}")).await;
        assert_eq!(one["revision"]["data"], saved.last().unwrap().1, "the copy before the restore is kept");
    }
}

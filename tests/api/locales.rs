//! Linked translations: one entry, a translation per locale, each with its
//! own working copy, version, status and publish; shared fields kept the
//! same in all; public reads falling back field by field along a chain.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, db_tests, field_rules, on_db, problem};

/// The app with `en,fr,fr-CA,de` (fr-CA → fr → en; de → en).
pub(crate) async fn multilingual(app: TestApp) -> TestApp {
    app.restart_with(|c| {
        c.locales = quire::model::locale::Locales::parse("en,fr,fr-CA,de", Some("fr-CA:fr"))
            .expect("locales");
    })
    .await
}

async fn read(app: &TestApp, path: &str) -> Value {
    let res = app.public(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.admin(method, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// An English article, published.
async fn english(app: &TestApp) -> String {
    let e = app
        .create_entry(
            "articles",
            json!({"title": "Hello world", "summary": "In short", "body": "Text", "byline": "Ada"}),
        )
        .await;
    let id = e["id"].as_str().unwrap().to_string();
    app.publish("articles", &id).await;
    id
}

fn locales_of(e: &Value) -> Vec<(String, String)> {
    e["translations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["locale"].as_str().unwrap().into(),
                t["status"].as_str().unwrap().into(),
            )
        })
        .collect()
}

db_tests! {
    async fn translate_an_entry_and_publish_only_fr(app) {
        let app = multilingual(app).await;
        // Editors' tools learn the locales from the admin API (signed in).
        let (status, l) = send(&app, Method::GET, "/admin/api/locales", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(l["data"], json!({"default": "en", "locales": ["en", "fr", "fr-CA", "de"],
            "fallbacks": {"de": "en", "fr": "en", "fr-CA": "fr"}}));
        let res = app.anon(Method::GET, "/admin/api/locales").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let id = english(&app).await;
        let path = format!("/admin/api/entries/articles/{id}");

        // No fr translation yet: the admin API says so; readers of fr get
        // the English copy, told where each value came from.
        let (status, p) = send(&app, Method::GET, &format!("{path}?locale=fr"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(p["code"], "translation_missing");
        let before = read(&app, &format!("/api/articles/{id}?locale=fr")).await["data"].clone();
        assert_eq!(before["title"], "Hello world");
        assert_eq!(before["locale"], "fr");
        assert_eq!(before["meta"]["locale"], "fr");
        assert_eq!(before["meta"]["fallbacks"]["title"], "en");

        // A PATCH with ?locale=fr and no version starts the translation.
        let (status, fr) = send(&app, Method::PATCH, &format!("{path}?locale=fr"),
            Some(json!({"data": {"title": "Bonjour le monde"}}))).await;
        assert_eq!(status, StatusCode::CREATED, "{fr}");
        assert_eq!(fr["id"], id.as_str(), "one entry, one id");
        assert_eq!(fr["locale"], "fr");
        assert_eq!(fr["status"], "draft");
        assert_eq!(fr["version"], 1);
        assert_eq!(fr["data"]["byline"], "Ada", "shared fields come with it");
        assert_eq!(fr["data"]["body"], Value::Null, "localized ones wait to be translated");
        assert_eq!(locales_of(&fr), [("en".into(), "published".into()), ("fr".into(), "draft".into())]);
        // Starting it again is a conflict naming its version.
        let (status, p) = send(&app, Method::PATCH, &format!("{path}?locale=fr"),
            Some(json!({"data": {"title": "Encore"}}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(p["current_version"], 1);

        // Unpublished, fr still reads as English.
        assert_eq!(read(&app, &format!("/api/articles/{id}?locale=fr")).await["data"]["title"], "Hello world");
        let (status, fr) = send(&app, Method::POST, &format!("{path}/publish?locale=fr"), None).await;
        assert_eq!(status, StatusCode::OK, "{fr}");
        assert_eq!(fr["status"], "published");

        // Now fr has its own title; the body it leaves unset falls back.
        let got = read(&app, &format!("/api/articles/{id}?locale=fr")).await["data"].clone();
        assert_eq!(got["title"], "Bonjour le monde");
        assert_eq!(got["body"], "Text");
        assert_eq!(got["byline"], "Ada");
        assert_eq!(got["meta"], json!({"locale": "fr", "fallbacks": {"summary": "en", "body": "en"}}));
        // fr-CA falls back to fr first, then en.
        let ca = read(&app, &format!("/api/articles/{id}?locale=fr-CA")).await["data"].clone();
        assert_eq!(ca["title"], "Bonjour le monde");
        assert_eq!(ca["meta"]["fallbacks"], json!({"title": "fr", "slug": "fr", "summary": "en", "body": "en"}));
        // The English side did not move.
        let en = read(&app, &format!("/api/articles/{id}")).await["data"].clone();
        assert_eq!(en["title"], "Hello world");
        assert!(en.get("meta").is_none(), "the default locale reads as before");
        let (_, en_admin) = send(&app, Method::GET, &path, None).await;
        assert_eq!(en_admin["locale"], "en");
        assert_eq!(en_admin["version"], 2);
        assert_eq!(locales_of(&en_admin), [("en".into(), "published".into()), ("fr".into(), "published".into())]);

        // Slugs are found along the chain; lists follow it too.
        assert_eq!(read(&app, "/api/articles/hello-world?locale=fr").await["data"]["title"], "Bonjour le monde");
        assert_eq!(read(&app, "/api/articles/bonjour-le-monde?locale=fr").await["data"]["id"], id.as_str());
        let list = read(&app, "/api/articles?locale=fr").await;
        assert_eq!(list["meta"]["total"], 1);
        assert_eq!(list["data"][0]["title"], "Bonjour le monde");
        // `locale=*` lists every translation.
        let all = read(&app, "/api/articles?locale=*&sort=locale").await;
        let locales: Vec<&str> = all["data"].as_array().unwrap().iter().map(|e| e["locale"].as_str().unwrap()).collect();
        assert_eq!(locales, ["en", "fr"]);
        // de has no translation: English, everything marked as such.
        let de = read(&app, &format!("/api/articles/{id}?locale=de")).await["data"].clone();
        assert_eq!(de["title"], "Hello world");
        assert_eq!(de["meta"]["fallbacks"]["title"], "en");

        // A locale the server does not have is refused, naming it.
        let p = problem(app.public("/api/articles?locale=es").await, StatusCode::BAD_REQUEST).await;
        assert_eq!(field_rules(&p), vec![("locale".to_string(), "locale".to_string())]);
        let (status, p) = send(&app, Method::GET, &format!("{path}?locale=es"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{p}");

        // Unpublishing fr sends its readers back to English.
        let (status, _) = send(&app, Method::POST, &format!("{path}/unpublish?locale=fr"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read(&app, &format!("/api/articles/{id}?locale=fr")).await["data"]["title"], "Hello world");
        assert_eq!(read(&app, &format!("/api/articles/{id}")).await["data"]["title"], "Hello world");
    }

    async fn the_readme_request_works_as_written(app) {
        let app = multilingual(app).await;
        let ada = app.create_entry("authors", json!({"name": "Ada", "bio": "Wrote the first program."})).await;
        let ada = ada["id"].as_str().unwrap().to_string();
        app.publish("authors", &ada).await;
        let tag = app.create_entry("tags", json!({"name": "Computing"})).await;
        let tag = tag["id"].as_str().unwrap().to_string();
        app.publish("tags", &tag).await;
        let (_, t) = send(&app, Method::PATCH, &format!("/admin/api/entries/tags/{tag}?locale=fr"),
            Some(json!({"data": {"name": "Informatique"}}))).await;
        assert_eq!(t["locale"], "fr");
        send(&app, Method::POST, &format!("/admin/api/entries/tags/{tag}/publish?locale=fr"), None).await;
        let e = app.create_entry("articles", json!({"title": "Hello world", "summary": "In short",
            "body": "Text", "author": ada, "tags": [tag]})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.publish("articles", &id).await;
        // The README's two calls, then its read.
        let res = app.admin(Method::PATCH, &format!("/admin/api/entries/articles/{id}?locale=fr"))
            .json(&json!({"data": {"title": "Bonjour le monde"}})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/publish?locale=fr")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let got = read(&app, "/api/articles/hello-world?locale=fr&populate=author,tags").await["data"].clone();
        assert_eq!(got["id"], id.as_str());
        assert_eq!(got["locale"], "fr");
        assert_eq!(got["title"], "Bonjour le monde");
        assert_eq!(got["slug"], "bonjour-le-monde");
        assert_eq!(got["body"], "Text");
        assert_eq!(got["author"]["name"], "Ada");
        assert_eq!(got["author"]["meta"]["fallbacks"], json!({"bio": "en"}), "targets read along the chain too");
        assert_eq!(got["tags"][0]["name"], "Informatique");
        assert_eq!(got["meta"], json!({"locale": "fr", "fallbacks": {"summary": "en", "body": "en"}}));
    }

    async fn shared_fields_are_the_same_in_every_translation(app) {
        let app = multilingual(app).await;
        let id = english(&app).await;
        let path = format!("/admin/api/entries/articles/{id}");
        let (_, fr) = send(&app, Method::PATCH, &format!("{path}?locale=fr"),
            Some(json!({"data": {"title": "Bonjour"}}))).await;
        send(&app, Method::POST, &format!("{path}/publish?locale=fr"), None).await;

        // A shared field changed in fr is changed in en's working copy too
        // (a new version there); a localized one stays fr's own.
        let res = app.admin(Method::PATCH, &format!("{path}?locale=fr"))
            .json(&json!({"data": {"byline": "Grace", "summary": "En bref"}, "version": fr["version"].as_i64().unwrap() + 1}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let (_, en) = send(&app, Method::GET, &path, None).await;
        assert_eq!(en["data"]["byline"], "Grace");
        assert_eq!(en["data"]["summary"], "In short");
        assert_eq!(en["status"], "changed", "en's live copy waits for its own publish");
        assert_eq!(en["version"], 3);
        // Each translation keeps its own history.
        let (_, revs) = send(&app, Method::GET, &format!("{path}/revisions?locale=fr"), None).await;
        assert_eq!(revs["data"].as_array().unwrap().len(), 3);

        // A stale version of one translation is caught.
        let res = app.patch("articles", &id, json!({"byline": "Old"}), 2).await;
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["current_version"], 3);

        // The required title may be left to fall back in fr, not in en.
        let res = app.admin(Method::PATCH, &format!("{path}?locale=fr"))
            .json(&json!({"data": {"title": null}, "version": 3})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.patch("articles", &id, json!({"title": null}), 3).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), vec![("title".to_string(), "required".to_string())]);

        // Deleting the entry deletes every translation.
        let res = app.admin(Method::DELETE, &path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.public(&format!("/api/articles/{id}?locale=fr")).await, StatusCode::NOT_FOUND).await;
        let (status, _) = send(&app, Method::GET, &format!("{path}?locale=fr"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn an_entry_with_no_live_copy_along_the_chain_is_not_found(app) {
        let app = multilingual(app).await;
        let res = app.admin(Method::POST, "/admin/api/entries/articles")
            .json(&json!({"data": {"title": "Seulement en français"}, "locale": "fr"}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let e: Value = res.json().await.unwrap();
        let id = e["id"].as_str().unwrap();
        app.publish("articles", id).await;
        // Without a locale, the default's chain (en) has nothing.
        problem(app.public(&format!("/api/articles/{id}")).await, StatusCode::NOT_FOUND).await;
        assert_eq!(read(&app, "/api/articles").await["meta"]["total"], 0);
        let fr = read(&app, &format!("/api/articles/{id}?locale=fr")).await["data"].clone();
        assert_eq!(fr["title"], "Seulement en français");
        assert_eq!(fr["meta"]["fallbacks"], json!({}));
        // fr-CA → fr finds it.
        assert_eq!(read(&app, "/api/articles/seulement-en-francais?locale=fr-CA").await["data"]["id"], id);
        // The admin API reads its only translation without being told.
        let (_, got) = send(&app, Method::GET, &format!("/admin/api/entries/articles/{id}"), None).await;
        assert_eq!(got["locale"], "fr");
    }

    async fn a_singleton_has_one_entry_in_every_locale(app) {
        let app = multilingual(app).await.restart_with(|c| c.content_types = None).await;
        let res = app.create_type(json!({"api_id": "site", "name": "Site", "kind": "singleton",
            "fields": [{"name": "tagline", "type": "string", "localized": true},
                       {"name": "theme", "type": "string"},
                       {"name": "footer", "type": "component", "localized": true, "fields": [
                           {"name": "note", "type": "string", "required": true}]}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let put = |body: Value| app.admin(Method::PUT, "/admin/api/entries/site").json(&body).send();
        let res = put(json!({"data": {"tagline": "Fast", "theme": "dark", "footer": {"note": "Made here"}}})).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let en: Value = res.json().await.unwrap();
        // Its first write in fr starts the fr translation of the same entry.
        let res = put(json!({"data": {"tagline": "Rapide"}, "locale": "fr"})).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let fr: Value = res.json().await.unwrap();
        assert_eq!(fr["id"], en["id"]);
        assert_eq!(fr["data"]["theme"], "dark");
        // The next one needs its version, like any write.
        let p = problem(put(json!({"data": {"tagline": "Vite"}, "locale": "fr"})).await.unwrap(), StatusCode::CONFLICT).await;
        assert_eq!(p["current_version"], 1);
        let id = en["id"].as_str().unwrap();
        app.publish("site", id).await;
        let res = app.admin(Method::POST, &format!("/admin/api/entries/site/{id}/publish?locale=fr")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(read(&app, "/api/site?locale=fr").await["data"]["tagline"], "Rapide");
        assert_eq!(read(&app, "/api/site").await["data"]["tagline"], "Fast");
        let de = read(&app, "/api/site?locale=de").await["data"].clone();
        assert_eq!(de["meta"]["fallbacks"], json!({"tagline": "en", "footer": "en"}));
        assert_eq!(de["footer"]["note"], "Made here", "a localized component falls back whole");
        // Components are checked in a translation like anywhere else.
        let p = problem(put(json!({"data": {"footer": {}}, "locale": "fr", "version": 2})).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), vec![("footer.note".to_string(), "required".to_string())]);
        assert_eq!(read(&app, "/api/site?locale=fr").await["data"]["meta"]["fallbacks"], json!({"footer": "en"}));
    }
}

/// A database as the release before linked translations left it: the
/// migrations up to 0006, and entries written one per locale.
async fn old_release(config: &quire::config::Config) {
    let dir = crate::helpers::repo_path(match config.database_kind {
        quire::config::DatabaseKind::Sqlite => "migrations/sqlite",
        quire::config::DatabaseKind::Postgres => "migrations/postgres",
    });
    let mut migrator = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= 6)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let db = quire::store::Db::connect(config).await.expect("connect");
    on_db!(&db, p => { migrator.run(p).await.expect("old migrations"); });
    let now = 1_700_000_000_000_000_i64;
    let rows = [
        (
            "01900000-0000-7000-8000-000000000001",
            "en",
            "hello",
            r#"{"title":"Hello","slug":"hello","byline":"Ada"}"#,
            0,
        ),
        (
            "01900000-0000-7000-8000-000000000002",
            "fr",
            "hello",
            r#"{"title":"Bonjour","slug":"hello","byline":"Ada"}"#,
            1,
        ),
        (
            "01900000-0000-7000-8000-000000000003",
            "fr",
            "autre",
            r#"{"title":"Autre","slug":"autre"}"#,
            2,
        ),
    ];
    on_db!(&db, p => {
        sqlx::query("INSERT INTO content_types (api_id, name, kind, definition, schema_version, created_at, updated_at) VALUES ('news', 'News', 'collection', $1, 1, $2, $2)")
            .bind(sqlx::types::Json(json!({"api_id": "news", "name": "News", "kind": "collection", "fields": [
                {"name": "title", "type": "string", "required": true},
                {"name": "slug", "type": "slug", "from": "title"},
                {"name": "byline", "type": "string"}]})))
            .bind(now)
            .execute(p).await.expect("old type");
        for (id, locale, slug, data, age) in rows {
            let data: Value = serde_json::from_str(data).unwrap();
            sqlx::query("INSERT INTO entries (id, type, locale, status, slug, published_slug, draft, published, version, created_at, updated_at, published_at, live_updated_at) VALUES ($1, 'news', $2, 'published', $3, $3, $4, $4, 2, $5, $5, $5, $5)")
                .bind(id).bind(locale).bind(slug).bind(sqlx::types::Json(&data)).bind(now + age)
                .execute(p).await.expect("old entry");
            sqlx::query("INSERT INTO revisions (entry_id, version, action, data, created_at) VALUES ($1, 1, 'create', $2, $3)")
                .bind(id).bind(sqlx::types::Json(&data)).bind(now + age)
                .execute(p).await.expect("old revision");
            sqlx::query("INSERT INTO audit (at, actor, action, resource_type, resource_id) VALUES ($1, 'system', 'entry.create', 'entry', $2)")
                .bind(now + age).bind(id)
                .execute(p).await.expect("old audit row");
        }
    });
    db.close().await;
}

async fn upgraded(backend: Backend) {
    let app = TestApp::spawn_seeded(
        backend,
        |s| {
            s.content_types = None;
            s.locales = Some("en,fr".into());
        },
        old_release,
    )
    .await;
    let en = "01900000-0000-7000-8000-000000000001";
    // The two sharing a slug are now one entry: en's id, a fr translation.
    let fr = read(&app, &format!("/api/news/{en}?locale=fr")).await["data"].clone();
    assert_eq!(fr["title"], "Bonjour");
    assert_eq!(
        read(&app, &format!("/api/news/{en}")).await["data"]["title"],
        "Hello"
    );
    assert_eq!(
        read(&app, "/api/news/hello?locale=fr").await["data"]["id"],
        en
    );
    let (_, got) = send(
        &app,
        Method::GET,
        &format!("/admin/api/entries/news/{en}?locale=fr"),
        None,
    )
    .await;
    assert_eq!(got["version"], 2, "the fr entry's state is kept as it was");
    assert_eq!(got["translations"].as_array().unwrap().len(), 2);
    let (_, revs) = send(
        &app,
        Method::GET,
        &format!("/admin/api/entries/news/{en}/revisions?locale=fr"),
        None,
    )
    .await;
    assert_eq!(
        revs["data"][0]["data"]["title"], "Bonjour",
        "its revisions too"
    );
    // The other stays an entry of its own, in fr only.
    let other = read(&app, "/api/news/autre?locale=fr").await["data"].clone();
    assert_eq!(other["id"], "01900000-0000-7000-8000-000000000003");
    // Nothing was lost: three translations, three revisions.
    let db = app.db().await;
    let (rows, revisions): (i64, i64) = on_db!(&db, p => (
        sqlx::query_scalar("SELECT COUNT(*) FROM entries").fetch_one(p).await.unwrap(),
        sqlx::query_scalar("SELECT COUNT(*) FROM revisions").fetch_one(p).await.unwrap(),
    ));
    assert_eq!((rows, revisions), (3, 3));
    // The audit log still finds them by id.
    let (_, log) = send(
        &app,
        Method::GET,
        &format!("/admin/api/audit?resource_id={en}"),
        None,
    )
    .await;
    assert_eq!(log["data"][0]["resource_id"], en);
    assert_eq!(log["meta"]["total"], 1);
    // Deleting an entry still deletes its revisions, written before the upgrade.
    let other = "01900000-0000-7000-8000-000000000003";
    let (status, _) = send(
        &app,
        Method::DELETE,
        &format!("/admin/api/entries/news/{other}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let revisions: i64 = on_db!(&db, p => sqlx::query_scalar("SELECT COUNT(*) FROM revisions").fetch_one(p).await.unwrap());
    assert_eq!(revisions, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_written_per_locale_become_translations_on_sqlite() {
    upgraded(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_written_per_locale_become_translations_on_postgres() {
    upgraded(Backend::Postgres).await;
}

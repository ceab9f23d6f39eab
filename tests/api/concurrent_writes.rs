//! Writes at the same time: each lands whole, with its revision, change-feed
//! row and audit row, or not at all, whatever the writes beside it do (on
//! SQLite queued writers share one transaction, each in its own savepoint).

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{db_tests, problem};
use crate::locales::multilingual;

db_tests! {
    async fn concurrent_writes_land_whole_and_a_refused_one_takes_nothing_with_it(app) {
        app.create_entry("articles", json!({"title": "Taken", "slug": "taken"})).await;
        let slug = |i: usize| if i.is_multiple_of(3) { "taken".to_string() } else { format!("write-{i}") };
        let writes = (0..24).map(|i| app.try_create("articles", json!({"title": format!("Write {i}"), "slug": slug(i)})));
        let mut created = Vec::new();
        for (i, res) in join_all(writes).await.into_iter().enumerate() {
            if slug(i) == "taken" {
                let p = problem(res, StatusCode::CONFLICT).await;
                assert_eq!(p["code"], "unique_violation", "write {i}: {p}");
            } else {
                assert_eq!(res.status(), StatusCode::CREATED, "write {i}");
                let e: Value = res.json().await.unwrap();
                created.push(e["id"].as_str().unwrap().to_string());
            }
        }
        assert_eq!(created.len(), 16);

        // Every answered write is there with its own rows; the refused
        // ones left nothing.
        let counts = app.sql_strings(
            "SELECT CAST((SELECT COUNT(*) FROM entries) AS TEXT) \
             UNION ALL SELECT CAST((SELECT COUNT(*) FROM revisions) AS TEXT) \
             UNION ALL SELECT CAST((SELECT COUNT(*) FROM changes WHERE entity = 'entry') AS TEXT) \
             UNION ALL SELECT CAST((SELECT COUNT(*) FROM audit WHERE action = 'entry.create') AS TEXT)",
        ).await;
        assert_eq!(counts, ["17", "17", "17", "17"], "entries, revisions, changes, audit rows");
        for id in &created {
            let e = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
            assert_eq!(e["version"], 1, "{e}");
        }
    }

    async fn concurrent_edits_of_one_version_keep_one_and_refuse_the_rest(app) {
        let e = app.create_entry("articles", json!({"title": "Start"})).await;
        let id = e["id"].as_str().unwrap().to_string();
        let edits = (0..8).map(|i| app.patch("articles", &id, json!({"title": format!("Edit {i}")}), 1));
        let mut kept = Vec::new();
        for (i, res) in join_all(edits).await.into_iter().enumerate() {
            if res.status() == StatusCode::OK {
                kept.push(i);
            } else {
                let p = problem(res, StatusCode::CONFLICT).await;
                assert_eq!(p["code"], "version_conflict", "{p}");
            }
        }
        assert_eq!(kept.len(), 1, "exactly one edit of version 1 is kept");
        let now = app.admin_get(&format!("/admin/api/entries/articles/{id}")).await;
        assert_eq!(now["version"], 2);
        assert_eq!(now["data"]["title"], format!("Edit {}", kept[0]));

        // The file still takes writes once the burst is over.
        let res = app.admin(Method::POST, &format!("/admin/api/entries/articles/{id}/publish")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn concurrent_creates_with_one_title_each_take_their_own_slug(app) {
        // Each checks the generated slug, and its suffixes, while the
        // others do: none may take one another holds, none may fail.
        let writes = (0..8).map(|_| app.try_create("articles", json!({"title": "Same title"})));
        let mut slugs = Vec::new();
        for res in join_all(writes).await {
            assert_eq!(res.status(), StatusCode::CREATED);
            let e: Value = res.json().await.unwrap();
            slugs.push(e["data"]["slug"].as_str().unwrap().to_string());
        }
        slugs.sort();
        let mut expected: Vec<String> = (2..=8).map(|n| format!("same-title-{n}")).collect();
        expected.push("same-title".into());
        expected.sort();
        assert_eq!(slugs, expected);
    }

    async fn concurrent_edits_of_two_translations_keep_shared_fields_one(app) {
        let app = multilingual(app).await;
        let mut pairs = Vec::new();
        for i in 0..4 {
            let e = app.create_entry("articles", json!({"title": format!("Entry {i}"), "byline": "Start"})).await;
            let id = e["id"].as_str().unwrap().to_string();
            let fr = app
                .admin(Method::PATCH, &format!("/admin/api/entries/articles/{id}?locale=fr"))
                .json(&json!({"data": {"title": format!("Entrée {i}")}}))
                .send()
                .await
                .unwrap();
            assert_eq!(fr.status(), StatusCode::CREATED);
            let fr: Value = fr.json().await.unwrap();
            pairs.push((id, e["version"].as_i64().unwrap(), fr["version"].as_i64().unwrap()));
        }
        // Both translations' bylines (a shared field) change at once: the
        // one that goes first copies its byline to the other translation,
        // a new version there, so the second is refused, never lost or
        // half applied, and never left waiting on the first.
        let edits = pairs.iter().flat_map(|(id, en, fr)| {
            [("en", *en), ("fr", *fr)].map(|(locale, version)| {
                app.admin(Method::PATCH, &format!("/admin/api/entries/articles/{id}?locale={locale}"))
                    .json(&json!({"data": {"byline": format!("By {locale}")}, "version": version}))
                    .send()
            })
        });
        let answers = join_all(edits).await;
        for (pair, (id, _, _)) in answers.chunks(2).zip(&pairs) {
            let statuses: Vec<StatusCode> = pair.iter().map(|r| r.as_ref().unwrap().status()).collect();
            assert!(
                statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT),
                "{id}: {statuses:?}"
            );
            let en = app.admin_get(&format!("/admin/api/entries/articles/{id}?locale=en")).await;
            let fr = app.admin_get(&format!("/admin/api/entries/articles/{id}?locale=fr")).await;
            assert_eq!(en["data"]["byline"], fr["data"]["byline"], "{id}");
            assert_ne!(en["data"]["byline"], "Start", "{id}");
        }
    }
}

/// On PostgreSQL (SQLite has no such lock) a write of an entry takes the
/// entry's lock with its `BEGIN` (one simple query): a publish waits while
/// another transaction holds that lock the way every other writer of the
/// entry takes it, and goes through once it is let go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_an_entry_write_waits_for_the_entrys_lock() {
    use sqlx::Connection;

    let app = crate::helpers::TestApp::spawn(crate::helpers::Backend::Postgres).await;
    let entry = app
        .create_entry("articles", json!({"title": "Locked"}))
        .await;
    let id = entry["id"].as_str().unwrap().to_string();
    let Some(lock) = quire::store::sql::Dialect::Postgres.entry_lock() else {
        panic!("PostgreSQL writers lock their entry");
    };
    let mut conn = sqlx::PgConnection::connect(&app.config.database_url)
        .await
        .expect("a connection of its own");
    let mut holder = conn.begin().await.expect("begin");
    sqlx::query(lock)
        .bind("articles")
        .bind(&id)
        .execute(&mut *holder)
        .await
        .expect("the entry's lock");

    let publish = tokio::spawn({
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/admin/api/entries/articles/{id}/publish")),
            app.token.clone(),
        );
        async move { client.post(url).bearer_auth(token).send().await }
    });
    // Until PostgreSQL shows a writer waiting on an advisory lock of this
    // database (the publish's, the only writer here).
    let waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        assert!(
            !publish.is_finished(),
            "the publish went through while the entry's lock was held"
        );
        let n: i64 = sqlx::query_scalar(waiting)
            .fetch_one(&mut *holder)
            .await
            .expect("pg_locks");
        if n > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the publish neither waited nor went through"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    holder.rollback().await.expect("let go");
    let res = publish.await.expect("task").expect("answer");
    assert_eq!(res.status(), StatusCode::OK);
    let published: Value = res.json().await.unwrap();
    assert_eq!(published["status"], "published", "{published}");
}

/// On PostgreSQL writers draw change numbers and commit side by side, so a
/// change can become visible after one with a higher number. A reader of
/// the feed asking while a writer holds a number it drew waits for that
/// writer, and then reads both changes: it never steps past the one still
/// being committed. (No server runs on the database: its followers would
/// queue on the feed's lock too.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_feed_is_not_read_past_a_change_still_committing() {
    use quire::store::{Db, changes};

    let (url, _guard) = crate::helpers::fresh_postgres().await;
    let pool = sqlx::PgPool::connect(&url).await.expect("a pool");
    let db = Db::Postgres(pool.clone());
    db.migrate().await.expect("migrations");
    let Some(lock) = quire::store::sql::Dialect::Postgres.feed_lock() else {
        panic!("PostgreSQL writers hold the feed's lock");
    };
    let insert = "INSERT INTO changes (entity, entity_id, content_type, action, at) \
         VALUES ('entry', $1, 'articles', 'update', 0) RETURNING seq";
    // A writer that has drawn its number and not yet committed…
    let mut holder = pool.begin().await.expect("begin");
    sqlx::query(lock)
        .execute(&mut *holder)
        .await
        .expect("the lock");
    let held: i64 = sqlx::query_scalar(insert)
        .bind("in-flight")
        .fetch_one(&mut *holder)
        .await
        .expect("a change drawn");
    // …and one that draws a higher number and commits first.
    let mut first = pool.begin().await.expect("begin");
    sqlx::query(lock)
        .execute(&mut *first)
        .await
        .expect("the lock");
    let committed: i64 = sqlx::query_scalar(insert)
        .bind("committed")
        .fetch_one(&mut *first)
        .await
        .expect("a change drawn");
    first.commit().await.expect("commit");
    assert!(committed > held);

    let read = tokio::spawn({
        let db = db.clone();
        async move { changes::since(&db, 0, 100).await }
    });
    let waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n: i64 = sqlx::query_scalar(waiting)
            .fetch_one(&pool)
            .await
            .expect("pg_locks");
        if n > 0 {
            break;
        }
        assert!(!read.is_finished(), "the feed was read past {held}");
        assert!(
            std::time::Instant::now() < deadline,
            "the reader neither waited nor read"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!read.is_finished(), "the feed was read past {held}");
    holder.commit().await.expect("commit");
    let read = read.await.expect("task").expect("the feed");
    let seqs: Vec<i64> = read.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, vec![held, committed]);
    assert_eq!(changes::last_seq(&db).await.expect("the end"), committed);
}

//! Input that used to get through or fail deep inside: NUL characters,
//! thousands of bad parameters, one's own password without the current one.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, db_tests, problem};

async fn article_count(app: &TestApp) -> i64 {
    let res = app
        .admin(Method::GET, "/admin/api/entries/articles?limit=1")
        .send()
        .await
        .expect("request");
    let body: Value = res.json().await.expect("list");
    body["meta"]["total"].as_i64().expect("total")
}

db_tests! {
    async fn nul_in_a_path_or_query_is_a_400(app) {
        for path in [
            "/api/articles/a%00b",
            "/api/articles?filter%5Btitle%5D%5Beq%5D=a%00",
            "/admin/api/entries/articles/a%00b",
            "/media/a%00b/x.png",
        ] {
            let res = app.admin(Method::GET, path).send().await.expect("request");
            let body = problem(res, StatusCode::BAD_REQUEST).await;
            assert_eq!(body["errors"][0]["rule"], "no_nul", "{path}: {body}");
        }
    }

    async fn nul_in_a_json_body_is_a_400_and_nothing_is_written(app) {
        let before = article_count(&app).await;
        let res = app.try_create("articles", json!({"title": "a\u{0}b"})).await;
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["errors"][0]["field"], "body");
        assert_eq!(article_count(&app).await, before, "nothing stored");

        let res = app
            .anon(Method::POST, "/admin/api/auth/login")
            .json(&json!({"email": "a\u{0}@example.com", "password": "whatever it is"}))
            .send()
            .await
            .expect("request");
        problem(res, StatusCode::BAD_REQUEST).await;

        // An escaped backslash before `u0000` is ordinary text.
        let e = app.create_entry("articles", json!({"title": "a\\u0000b"})).await;
        assert_eq!(e["data"]["title"], "a\\u0000b");
    }

    async fn a_problem_lists_at_most_50_errors_and_counts_them(app) {
        let query: Vec<String> = (0..60).map(|i| format!("nope{i}=1")).collect();
        let res = app.public(&format!("/api/articles?{}", query.join("&"))).await;
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["errors"].as_array().map(Vec::len), Some(50));
        assert_eq!(body["error_count"], 60);

        let res = app.public("/api/articles?nope=1").await;
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert!(body.get("error_count").is_none(), "{body}");
    }

    async fn ones_own_password_changes_only_with_the_current_one(app) {
        let id = app.my_id().await;
        let res = app
            .admin(Method::PATCH, &format!("/admin/api/users/{id}"))
            .json(&json!({"password": "an entirely new passphrase"}))
            .send()
            .await
            .expect("request");
        let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["rule"], "own_password");
        // The old password still signs in.
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    }

    async fn a_token_never_exceeds_its_creator(app) {
        let ops = app.user("ops@example.com", "admin", None).await;
        let me: Value = app.with_token(&ops, Method::GET, "/admin/api/auth/me")
            .send().await.unwrap().json().await.unwrap();
        let ops_id = me["id"].as_str().unwrap_or_default().to_string();
        let res = app.with_token(&ops, Method::POST, "/admin/api/tokens")
            .json(&json!({"name": "deploy", "scope": "write"}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let token: Value = res.json().await.unwrap();
        let token = token["token"].as_str().unwrap_or_default().to_string();
        let write = |title: &str| {
            app.with_token(&token, Method::POST, "/admin/api/entries/articles")
                .json(&json!({"data": {"title": title}}))
                .send()
        };
        assert_eq!(write("As an editor").await.unwrap().status(), StatusCode::CREATED);

        // Its creator becomes a viewer: so does the token.
        let res = app.admin(Method::PATCH, &format!("/admin/api/users/{ops_id}"))
            .json(&json!({"role": "viewer"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        problem(write("As a viewer").await.unwrap(), StatusCode::FORBIDDEN).await;

        // Its creator is disabled: the token stops working at all.
        let res = app.admin(Method::PATCH, &format!("/admin/api/users/{ops_id}"))
            .json(&json!({"disabled": true})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.with_token(&token, Method::GET, "/admin/api/entries/articles").send().await.unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;
    }

}

/// Sends the sign-ins at once and counts how many reached the password
/// check (401) and how many the limit turned away (429).
async fn checked_and_limited(
    guesses: impl Iterator<Item = impl std::future::Future<Output = reqwest::Result<reqwest::Response>>>,
) -> (usize, usize) {
    let mut checked = 0;
    let mut limited = 0;
    for res in futures_util::future::join_all(guesses).await {
        match res.expect("request").status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    (checked, limited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_guesses_are_limited_too() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| {
        s.login_max_failures = Some(5)
    })
    .await;
    let guesses = (0..50).map(|i| {
        app.anon(Method::POST, "/admin/api/auth/login")
            .json(&json!({"email": ADMIN_EMAIL, "password": format!("wrong guess number {i}")}))
            .send()
    });
    let (checked, limited) = checked_and_limited(guesses).await;
    assert_eq!(
        checked, 5,
        "only the allowed number reach the password check"
    );
    assert_eq!(limited, 45);
}

/// Wrong guesses spread over two nodes on one database: the limit is one.
async fn login_limit_holds_across_nodes(backend: crate::helpers::Backend) {
    let app = TestApp::spawn_with(backend, |s| s.login_max_failures = Some(4)).await;
    let mut config = app.config.clone();
    config.bind = "127.0.0.1:0".parse().expect("address");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    config.search_dir = Some(elsewhere.path().join("search"));
    let other = quire::app::start(config).await.expect("second node starts");
    let nodes = [app.addr, other.addr];
    let guesses = (0..40).map(|i| {
        app.client
            .post(format!("http://{}/admin/api/auth/login", nodes[i % 2]))
            .json(&json!({"email": ADMIN_EMAIL, "password": format!("wrong guess number {i}")}))
            .send()
    });
    let (checked, limited) = checked_and_limited(guesses).await;
    assert_eq!(
        checked, 4,
        "the two nodes together let the limit through, once"
    );
    assert_eq!(limited, 36);
    other.shutdown().await.expect("second node stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limit_holds_across_nodes_sqlite() {
    login_limit_holds_across_nodes(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limit_holds_across_nodes_postgres() {
    login_limit_holds_across_nodes(crate::helpers::Backend::Postgres).await;
}

/// The address the session of a sign-in sent with this X-Forwarded-For is
/// recorded under.
async fn session_address(app: &TestApp, forwarded_for: &str) -> String {
    let res = app
        .anon(Method::POST, "/admin/api/auth/login")
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("request");
    let body: Value = res.json().await.expect("login");
    let token = body["token"].as_str().unwrap_or_default().to_string();
    let sessions: Value = app
        .with_token(&token, Method::GET, "/admin/api/auth/sessions")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("sessions");
    sessions["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["current"] == true)
        .and_then(|s| s["client_ip"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_trusted_proxy_names_the_client() {
    let direct = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    assert_eq!(
        session_address(&direct, "203.0.113.7").await,
        "127.0.0.1",
        "a header from anyone is ignored"
    );
    let proxied = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| {
        s.trusted_proxies = Some("127.0.0.1".into())
    })
    .await;
    assert_eq!(
        session_address(&proxied, "198.51.100.1, 203.0.113.7").await,
        "203.0.113.7",
        "the address our proxy saw, not the one the client wrote"
    );
}

/// Sends raw bytes and reads the answer until the server closes.
async fn raw_exchange(app: &TestApp, request: &[u8]) -> (String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    conn.write_all(request).await.expect("send");
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer).to_string();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    (head.to_string(), body)
}

/// What the HTTP server refuses before any handler runs is a problem
/// document too, not an empty body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_layer_refusals_are_problem_documents() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let long = format!(
        "GET /api/articles?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let (head, body) = raw_exchange(&app, long.as_bytes()).await;
    assert!(head.starts_with("HTTP/1.1 414 "), "{head}");
    assert!(
        head.contains("content-type: application/problem+json"),
        "{head}"
    );
    assert_eq!(
        (body["status"].as_u64(), body["code"].as_str()),
        (Some(414), Some("uri_too_long"))
    );

    let mut req = app.anon(Method::GET, "/api/articles");
    for i in 0..150 {
        req = req.header(format!("x-filler-{i}"), "x");
    }
    let p = problem(
        req.send().await.unwrap(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    )
    .await;
    assert_eq!(p["code"], "headers_too_large");

    let (head, body) = raw_exchange(
        &app,
        b"GET /api/articles HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    assert_eq!(body["code"], "bad_request", "{head}");

    // The server answers normally afterwards.
    assert_eq!(app.public("/api/articles").await.status(), StatusCode::OK);
}

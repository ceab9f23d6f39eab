//! The committed contract `admin-api/openapi.json` matches the code.

use serde_json::Value;

#[test]
fn committed_spec_is_current() {
    let generated: Value = serde_json::from_str(&quire::api::admin::spec_json()).unwrap();
    let path = crate::helpers::repo_path("admin-api/openapi.json");
    let committed: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    assert!(
        generated == committed,
        "admin-api/openapi.json is stale; regenerate it with `cargo run -- openapi > admin-api/openapi.json`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_spec_equals_the_committed_one() {
    let app = crate::helpers::TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let served: Value = app
        .public("/admin/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let generated: Value = serde_json::from_str(&quire::api::admin::spec_json()).unwrap();
    assert_eq!(served, generated);
    let docs = app.public("/admin/api/docs").await;
    assert_eq!(docs.status(), reqwest::StatusCode::OK);
}

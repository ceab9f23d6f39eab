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
    // The committed document, with the server's locales as `locale`'s values.
    let generated: Value =
        serde_json::from_str(&quire::api::admin::spec_json_for(&app.config.locales)).unwrap();
    assert_eq!(served, generated);
    let get = "/paths/~1entries~1{content_type}~1{id}/get/parameters";
    let locale = |doc: &Value| {
        doc.pointer(get)
            .and_then(Value::as_array)
            .and_then(|ps| ps.iter().find(|p| p["name"] == "locale").cloned())
            .unwrap_or(Value::Null)
    };
    assert_eq!(locale(&served)["schema"]["enum"], serde_json::json!(["en"]));
    let committed: Value = serde_json::from_str(&quire::api::admin::spec_json()).unwrap();
    assert!(
        locale(&committed)["schema"].get("enum").is_none(),
        "committed: any locale"
    );
    let docs = app.public("/admin/api/docs").await;
    assert_eq!(docs.status(), reqwest::StatusCode::OK);
}

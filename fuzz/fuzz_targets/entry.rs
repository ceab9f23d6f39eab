//! Entry documents against the example article type: any JSON object is
//! validated (on create and on update) or refused with named errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire::model::content_type::ContentType;
use quire::model::validate::{Mode, validate_entry};

/// The example type, read once.
static ARTICLES: std::sync::LazyLock<ContentType> = std::sync::LazyLock::new(|| {
    let def = serde_json::from_str(include_str!("../../content-types/articles.json"))
        .expect("the example type is JSON");
    ContentType::from_json(def).expect("the example type is valid")
});

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_slice(data) else {
        return;
    };
    let ct = &*ARTICLES;
    for mode in [Mode::Create, Mode::Update] {
        if let Err(errors) = validate_entry(ct, &doc, mode) {
            assert!(!errors.is_empty(), "a refusal names what it refuses");
        }
    }
});

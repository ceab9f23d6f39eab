//! Entry documents against the example article type: any JSON object is
//! validated (on create and on update) or refused with named errors.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod shared;
use quire::model::validate::{Mode, validate_entry};
use shared::ARTICLES;

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_slice(data) else {
        return;
    };
    let ct = &*ARTICLES;
    for mode in [Mode::Create, Mode::Update, Mode::Translation] {
        if let Err(errors) = validate_entry(ct, &doc, mode) {
            assert!(!errors.is_empty(), "a refusal names what it refuses");
        }
    }
});

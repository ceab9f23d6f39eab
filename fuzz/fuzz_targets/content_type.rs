//! Content-type definitions: any JSON is accepted as a type or refused with
//! named errors; an accepted type can be compared with another (the
//! data-loss check) and validates an empty entry without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire::model::content_type::ContentType;
use quire::model::validate::{Mode, validate_entry};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    match ContentType::from_json(value) {
        Ok(ct) => {
            let _ = quire::model::schema_change::plan(&ct, &ct);
            let _ = validate_entry(&ct, &serde_json::Map::new(), Mode::Create);
        }
        Err(errors) => assert!(!errors.is_empty(), "a refusal names what it refuses"),
    }
});

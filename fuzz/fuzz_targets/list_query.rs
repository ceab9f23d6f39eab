//! The public and admin list query language (`filter[f][op]=`, `sort=`,
//! `fields=`, `limit=`, …) over the example article type: any query string
//! is parsed or refused with named errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire::model::content_type::ContentType;
use quire::model::query::{ListQuery, Surface};

/// The example type, read once.
static ARTICLES: std::sync::LazyLock<ContentType> = std::sync::LazyLock::new(|| {
    let def = serde_json::from_str(include_str!("../../content-types/articles.json"))
        .expect("the example type is JSON");
    ContentType::from_json(def).expect("the example type is valid")
});

fuzz_target!(|data: &[u8]| {
    let ct = &*ARTICLES;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    for surface in [Surface::Public, Surface::Admin] {
        if let Err(errors) = ListQuery::parse(ct, &pairs, surface) {
            assert!(!errors.is_empty(), "a refusal names what it refuses");
        }
    }
});

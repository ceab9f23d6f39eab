//! The public and admin list query language (`filter[f][op]=`, `sort=`,
//! `fields=`, `limit=`, …) over the example article type: any query string
//! is parsed or refused with named errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod shared;
use quire::model::query::{ListQuery, Surface};
use shared::ARTICLES;

fuzz_target!(|data: &[u8]| {
    let ct = &*ARTICLES;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    for surface in [Surface::Public, Surface::Admin] {
        if let Err(errors) = ListQuery::parse(ct, &pairs, surface) {
            assert!(!errors.is_empty(), "a refusal names what it refuses");
        }
    }
});

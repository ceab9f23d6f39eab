//! The search box's query syntax (words, "phrases", -exclusions, prefix*):
//! any text is parsed or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = quire::search::query::parse(text);
    }
});

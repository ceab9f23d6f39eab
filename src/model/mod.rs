//! The pure domain: content types, their fields, entry validation and the
//! list query language. Nothing here does I/O.

pub mod access;
pub mod actor;
pub mod content_type;
pub mod entry;
pub mod field;
mod field_rules;
pub mod keyset;
pub mod live_text;
pub mod locale;
pub mod names;
pub mod nested;
pub mod populate;
pub mod preview;
pub mod query;
pub mod revision;
pub mod schema_change;
pub mod sync;
pub mod translation;
pub mod validate;
pub mod webhook;

/// One thing wrong with one field of a document: which field (a path such as
/// `title` or `fields[2].pattern`), which rule it broke, and a sentence.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

//! The rules a field definition may carry (`min`, `max`, `pattern`,
//! `accept`, `unique`, …), each checked against the field's type when a
//! content type is parsed.

use std::collections::HashSet;

use regex::Regex;

use super::FieldError;
use super::field::{FieldDef, FieldType};
use super::names::is_snake_case;

const MAX_PATTERN_LEN: usize = 1000;

/// `type/subtype` or `type/*`, in lower case.
fn is_mime_pattern(s: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$&-^_.+".contains(&b))
    };
    match s.split_once('/') {
        Some((ty, "*")) => token(ty),
        Some((ty, sub)) => token(ty) && token(sub),
        None => false,
    }
}

/// Checks that each rule fits its field's type; returns the compiled pattern.
pub(super) fn check_field_rules(
    f: &FieldDef,
    all: &[FieldDef],
    at: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) -> Option<Regex> {
    let t = f.field_type;
    let mut not_for = |rule: &str| {
        errors.push(FieldError::new(
            at(rule),
            "not_applicable",
            format!("`{rule}` does not apply to a {} field", t.as_str()),
        ));
    };
    if (f.min.is_some() || f.max.is_some()) && !t.is_numeric() {
        not_for(if f.min.is_some() { "min" } else { "max" });
    }
    if (f.min_length.is_some() || f.max_length.is_some()) && !t.has_length() {
        not_for(if f.min_length.is_some() {
            "min_length"
        } else {
            "max_length"
        });
    }
    if f.pattern.is_some() && !matches!(t, FieldType::String | FieldType::Text | FieldType::Slug) {
        not_for("pattern");
    }
    if f.values.is_some() && t != FieldType::Enum {
        not_for("values");
    }
    if f.from.is_some() && t != FieldType::Slug {
        not_for("from");
    }
    if f.unique && !t.can_be_unique() {
        not_for("unique");
    }
    if f.index && !t.can_be_indexed() {
        not_for("index");
    }
    if f.searchable && !t.is_searchable() {
        not_for("searchable");
    }
    if f.multiple && !t.holds_ids() {
        not_for("multiple");
    }
    if f.to.is_some() && t != FieldType::Relation {
        not_for("to");
    }
    if f.on_delete.is_some() && t != FieldType::Relation {
        not_for("on_delete");
    }
    if f.accept.is_some() && t != FieldType::Media {
        not_for("accept");
    }
    if (t.holds_ids() || t.is_nested()) && f.default.is_some() {
        not_for("default");
    }
    if f.repeatable && t != FieldType::Component {
        not_for("repeatable");
    }
    if (f.fields.is_some() || f.component.is_some()) && t != FieldType::Component {
        not_for(if f.fields.is_some() {
            "fields"
        } else {
            "component"
        });
    }
    if f.components.is_some() && t != FieldType::Blocks {
        not_for("components");
    }
    if t == FieldType::Component && f.fields.is_some() == f.component.is_some() {
        errors.push(FieldError::new(
            at("fields"),
            "one_of",
            "a component field has either its own `fields` or a reusable `component`",
        ));
    }
    if t == FieldType::Blocks {
        match &f.components {
            Some(list) if !list.is_empty() => {
                if list.iter().collect::<HashSet<_>>().len() != list.len() {
                    errors.push(FieldError::new(
                        at("components"),
                        "duplicate",
                        "each component is listed once",
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                at("components"),
                "required",
                "a blocks field lists the components it takes",
            )),
        }
    }
    if t == FieldType::Relation {
        match &f.to {
            None => errors.push(FieldError::new(
                at("to"),
                "required",
                "a relation names the content type it points at in `to`",
            )),
            Some(to) if !is_snake_case(to) => errors.push(FieldError::new(
                at("to"),
                "snake_case",
                format!("`{to}` is not a content type's api_id"),
            )),
            Some(_) => {}
        }
    }
    if let Some(old) = &f.renamed_from
        && (!is_snake_case(old) || old == &f.name)
    {
        errors.push(FieldError::new(
            at("renamed_from"),
            "snake_case",
            format!("`{old}` must be the field's old, different, snake_case name"),
        ));
    }
    if let Some(bad) = f.accept.iter().flatten().find(|a| !is_mime_pattern(a)) {
        errors.push(FieldError::new(
            at("accept"),
            "mime_type",
            format!("`{bad}` is not a MIME type like image/png or image/*"),
        ));
    }
    if let Some(boost) = f.boost {
        if !f.searchable {
            errors.push(FieldError::new(
                at("boost"),
                "not_applicable",
                "`boost` needs `searchable: true`",
            ));
        } else if !(boost > 0.0 && boost <= 100.0) {
            errors.push(FieldError::new(
                at("boost"),
                "range",
                "a boost is above 0 and at most 100",
            ));
        }
    }
    if let (Some(lo), Some(hi)) = (&f.min, &f.max)
        && lo.as_f64() > hi.as_f64()
    {
        errors.push(FieldError::new(
            at("min"),
            "range",
            "min is greater than max",
        ));
    }
    if let (Some(lo), Some(hi)) = (f.min_length, f.max_length)
        && lo > hi
    {
        errors.push(FieldError::new(
            at("min_length"),
            "range",
            "min_length is greater than max_length",
        ));
    }
    if t == FieldType::Enum {
        match &f.values {
            None => errors.push(FieldError::new(
                at("values"),
                "required",
                "an enum needs a list of values",
            )),
            Some(v) if v.is_empty() => errors.push(FieldError::new(
                at("values"),
                "min_items",
                "an enum needs at least one value",
            )),
            Some(v) => {
                let distinct: HashSet<_> = v.iter().collect();
                if distinct.len() != v.len() {
                    errors.push(FieldError::new(
                        at("values"),
                        "duplicate",
                        "enum values must be distinct",
                    ));
                }
            }
        }
    }
    if let Some(from) = &f.from {
        match all.iter().find(|o| &o.name == from) {
            Some(o) if matches!(o.field_type, FieldType::String | FieldType::Text) => {}
            Some(_) => errors.push(FieldError::new(
                at("from"),
                "type",
                format!("`{from}` must be a string or text field"),
            )),
            None => errors.push(FieldError::new(
                at("from"),
                "unknown_field",
                format!("no field named `{from}`"),
            )),
        }
    }
    if t == FieldType::Slug
        && all
            .iter()
            .filter(|o| o.field_type == FieldType::Slug)
            .count()
            > 1
    {
        errors.push(FieldError::new(
            at("type"),
            "single_slug",
            "a content type has at most one slug field",
        ));
    }
    let pattern = f.pattern.as_ref()?;
    if pattern.len() > MAX_PATTERN_LEN {
        errors.push(FieldError::new(
            at("pattern"),
            "max_length",
            format!("a pattern is at most {MAX_PATTERN_LEN} characters"),
        ));
        return None;
    }
    // The regex crate runs in linear time, so a pattern cannot stall a save;
    // the size limit keeps compiled programs small.
    match regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
    {
        Ok(re) => Some(re),
        Err(e) => {
            errors.push(FieldError::new(
                at("pattern"),
                "regex",
                format!("not a valid regular expression: {e}"),
            ));
            None
        }
    }
}

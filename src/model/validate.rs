//! Entry validation: every field type and rule, with one error per broken rule.

use serde_json::{Map, Value};

use super::FieldError;
use super::content_type::{ContentType, Field};
use super::field::FieldType;

/// Longest slug Quire generates when none is given.
const GENERATED_SLUG_MAX: usize = 120;

/// Most bytes an entry's fields may take as JSON (1 MiB, a 150,000-word
/// article). Each save keeps a revision and each read may be cached, so
/// the bound keeps what one entry costs in memory and storage small.
pub const MAX_ENTRY_BYTES: usize = 1024 * 1024;

/// The length of `v` written as compact JSON, counted without writing it.
pub fn json_len(v: &Value) -> usize {
    match v {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => string_len(s),
        Value::Array(items) => {
            2 + items.iter().map(json_len).sum::<usize>() + items.len().saturating_sub(1)
        }
        Value::Object(map) => object_len(map),
    }
}

fn object_len(map: &Map<String, Value>) -> usize {
    2 + map
        .iter()
        .map(|(k, v)| string_len(k) + 1 + json_len(v))
        .sum::<usize>()
        + map.len().saturating_sub(1)
}

/// A JSON string's length with its quotes and escapes, as serde_json
/// writes it (`\"`, `\\`, `\n` …, other control characters as `\u00XX`).
fn string_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn too_large(bytes: usize) -> FieldError {
    FieldError::new(
        "data",
        "max_bytes",
        format!(
            "an entry's fields take at most {MAX_ENTRY_BYTES} bytes of JSON; these take {bytes}"
        ),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A new entry: field defaults apply.
    Create,
    /// A changed working copy: values absent stay absent.
    Update,
    /// A translation other than the default locale's: its localized fields
    /// may stay unset (readers get them from the fallback locale), so they
    /// are neither required nor given defaults; the rest is as `Update`.
    Translation,
}

/// A working copy that passed validation.
#[derive(Debug, Clone)]
pub struct Valid {
    /// Normalized values in field order; unset fields are left out.
    pub data: Map<String, Value>,
    /// The slug was made from its `from` field and may take a suffix to be unique.
    pub slug_generated: bool,
}

/// Validates a whole working copy against its type.
pub fn validate_entry(
    ct: &ContentType,
    input: &Map<String, Value>,
    mode: Mode,
) -> Result<Valid, Vec<FieldError>> {
    let size = object_len(input);
    if size > MAX_ENTRY_BYTES {
        return Err(vec![too_large(size)]);
    }
    let mut errors: Vec<FieldError> = input
        .keys()
        .filter(|k| ct.field(k).is_none())
        .map(|k| {
            FieldError::new(
                k.clone(),
                "unknown_field",
                format!("`{k}` is not a field of {}", ct.api_id()),
            )
        })
        .collect();
    let translation = mode == Mode::Translation;
    let mut data = validate_fields(
        &ct.fields,
        input,
        mode == Mode::Create,
        translation,
        "",
        1,
        &mut errors,
    );
    let mut slug_generated = false;
    if let Some(sf) = ct.slug_field()
        && !data.contains_key(&sf.name)
    {
        let source = sf
            .from
            .as_ref()
            .and_then(|from| data.get(from))
            .and_then(Value::as_str);
        match source.map(make_slug).filter(|s| !s.is_empty()) {
            Some(s) => {
                data.insert(sf.name.clone(), Value::String(s));
                slug_generated = true;
            }
            None if sf.required && !(translation && sf.localized) => errors.push(FieldError::new(
                sf.name.clone(),
                "required",
                format!("`{}` is required", sf.name),
            )),
            None => {}
        }
    }
    // Defaults and a generated slug add to what was sent.
    let size = object_len(&data);
    if errors.is_empty() && size > MAX_ENTRY_BYTES {
        errors.push(too_large(size));
    }
    if errors.is_empty() {
        Ok(Valid {
            data,
            slug_generated,
        })
    } else {
        Err(errors)
    }
}

/// `prefix.name`, or `name` at the top.
fn path_of(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Validates the values of `fields` in `input` (at `prefix`, `depth`
/// levels of nesting deep); answers the normalized values, pushing one
/// error per broken rule with the full path of the value.
fn validate_fields(
    fields: &[Field],
    input: &Map<String, Value>,
    defaults: bool,
    translation: bool,
    prefix: &str,
    depth: usize,
    errors: &mut Vec<FieldError>,
) -> Map<String, Value> {
    let mut data = Map::new();
    for f in fields {
        let path = path_of(prefix, &f.name);
        let value = match input.get(&f.name) {
            Some(Value::Null) | None if defaults => f.default.clone(),
            Some(Value::Null) | None => None,
            Some(v) => Some(v.clone()),
        };
        match value {
            Some(v) if f.field_type.is_nested() => {
                if let Some(v) = check_nested(f, &v, &path, depth, errors) {
                    data.insert(f.name.clone(), v);
                }
            }
            Some(v) => match check_value(f, &v) {
                Ok(v) => {
                    data.insert(f.name.clone(), v);
                }
                Err(mut e) => {
                    if !prefix.is_empty() {
                        e.field = format!("{prefix}.{}", e.field);
                    }
                    errors.push(e);
                }
            },
            None if f.required
                && f.field_type != FieldType::Slug
                && !(translation && f.localized) =>
            {
                errors.push(FieldError::new(
                    path,
                    "required",
                    format!("`{}` is required", f.name),
                ))
            }
            None => {}
        }
    }
    data
}

/// Most items one repeatable component or blocks field holds.
pub const MAX_NESTED_ITEMS: usize = 100;

/// One group of a component or blocks field: an object holding only the
/// group's fields (and, in blocks, its `kind`).
fn check_group(
    fields: &[Field],
    v: &Value,
    kind: Option<&str>,
    path: &str,
    depth: usize,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Some(obj) = v.as_object() else {
        errors.push(FieldError::new(
            path,
            "type",
            format!("`{path}` must be an object"),
        ));
        return None;
    };
    for k in obj.keys() {
        if fields.iter().all(|f| &f.name != k) && !(kind.is_some() && k == "kind") {
            errors.push(FieldError::new(
                path_of(path, k),
                "unknown_field",
                format!("`{k}` is not a field here"),
            ));
        }
    }
    let values = validate_fields(fields, obj, true, false, path, depth + 1, errors);
    let mut out = Map::new();
    if let Some(kind) = kind {
        out.insert("kind".into(), Value::String(kind.to_string()));
    }
    out.extend(values);
    Some(Value::Object(out))
}

/// A component or blocks value, checked recursively.
fn check_nested(
    f: &Field,
    v: &Value,
    path: &str,
    depth: usize,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    use super::content_type::Nested;
    if depth > super::content_type::MAX_NESTING {
        errors.push(FieldError::new(
            path,
            "depth",
            format!(
                "components nest at most {} levels",
                super::content_type::MAX_NESTING
            ),
        ));
        return None;
    }
    let list = |v: &Value, errors: &mut Vec<FieldError>| -> Option<Vec<Value>> {
        match v.as_array() {
            Some(items) if items.len() <= MAX_NESTED_ITEMS => Some(items.clone()),
            Some(_) => {
                errors.push(FieldError::new(
                    path,
                    "max_items",
                    format!("at most {MAX_NESTED_ITEMS} items"),
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    path,
                    "type",
                    format!("`{path}` must be a list"),
                ));
                None
            }
        }
    };
    match (&f.nested, f.field_type) {
        (Nested::Group(fields), FieldType::Component) if f.repeatable => {
            let items = list(v, errors)?;
            let out: Vec<Value> = items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    check_group(fields, item, None, &format!("{path}[{i}]"), depth, errors)
                })
                .collect();
            Some(Value::Array(out))
        }
        (Nested::Group(fields), FieldType::Component) => {
            check_group(fields, v, None, path, depth, errors)
        }
        (Nested::Kinds(kinds), FieldType::Blocks) => {
            let items = list(v, errors)?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let at = format!("{path}[{i}]");
                let kind = item.get("kind").and_then(Value::as_str);
                match kind.and_then(|k| kinds.iter().find(|(name, _)| name == k)) {
                    Some((name, fields)) => {
                        if let Some(v) = check_group(fields, item, Some(name), &at, depth, errors) {
                            out.push(v);
                        }
                    }
                    None => errors.push(FieldError::new(
                        format!("{at}.kind"),
                        "values",
                        format!(
                            "each item names its `kind`, one of: {}",
                            kinds
                                .iter()
                                .map(|(k, _)| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            }
            Some(Value::Array(out))
        }
        _ => {
            errors.push(FieldError::new(
                path,
                "unknown_component",
                format!("`{}` uses a component that is not defined", f.name),
            ));
            None
        }
    }
}

/// Makes a URL slug from free text: `"Héllo, World!"` → `"hello-world"`.
pub fn make_slug(text: &str) -> String {
    let s = slug::slugify(text);
    if s.len() <= GENERATED_SLUG_MAX {
        return s;
    }
    // slugify yields ASCII only, so any byte index is a char boundary.
    s[..GENERATED_SLUG_MAX].trim_end_matches('-').to_string()
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Checks one non-null value against its field; returns it normalized.
/// Most assets or entries one `multiple` media or relation field holds.
pub const MAX_MEDIA_ITEMS: usize = 100;

/// Asset and entry ids are UUIDs; anything else cannot name one.
fn is_asset_id(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

pub fn check_value(f: &Field, v: &Value) -> Result<Value, FieldError> {
    let fail = |rule: &str, message: String| Err(FieldError::new(f.name.clone(), rule, message));
    let expect = |what: &str| {
        Err(FieldError::new(
            f.name.clone(),
            "type",
            format!("`{}` must be {what}", f.name),
        ))
    };
    match f.field_type {
        FieldType::String | FieldType::Text | FieldType::Richtext | FieldType::Slug => {
            let Some(s) = v.as_str() else {
                return expect("a string");
            };
            let len = s.chars().count();
            if let Some(min) = f.min_length
                && len < min as usize
            {
                return fail("min_length", format!("at least {min} characters"));
            }
            if let Some(max) = f.max_length
                && len > max as usize
            {
                return fail("max_length", format!("at most {max} characters"));
            }
            if f.field_type == FieldType::Slug && !is_slug(s) {
                return fail(
                    "slug",
                    "a slug is lowercase letters and digits joined by single hyphens".into(),
                );
            }
            if let Some(re) = &f.pattern
                && !re.is_match(s)
            {
                let p = f.def.pattern.as_deref().unwrap_or_default();
                return fail("pattern", format!("must match the pattern {p}"));
            }
            Ok(v.clone())
        }
        FieldType::Integer => {
            let Some(n) = v.as_i64() else {
                return expect("a whole number");
            };
            check_range(f, n as f64)?;
            Ok(Value::from(n))
        }
        FieldType::Number => {
            let Some(n) = v.as_f64().filter(|n| n.is_finite()) else {
                return expect("a number");
            };
            check_range(f, n)?;
            Ok(v.clone())
        }
        FieldType::Boolean => match v {
            Value::Bool(_) => Ok(v.clone()),
            _ => expect("true or false"),
        },
        FieldType::Date => match v.as_str().and_then(parse_date) {
            Some(d) => Ok(Value::String(d)),
            None => expect("a date like 2026-01-31"),
        },
        FieldType::Datetime => match v.as_str().and_then(crate::clock::parse) {
            Some(m) => Ok(Value::String(crate::clock::format(m))),
            None => expect("an RFC 3339 date-time like 2026-01-31T09:00:00Z"),
        },
        FieldType::Enum => {
            let values = f.values.as_deref().unwrap_or_default();
            match v.as_str() {
                Some(s) if values.iter().any(|x| x == s) => Ok(v.clone()),
                _ => fail("values", format!("must be one of: {}", values.join(", "))),
            }
        }
        FieldType::Json => Ok(v.clone()),
        // Checked recursively by `validate_fields`, which knows the path.
        FieldType::Component | FieldType::Blocks => Ok(v.clone()),
        FieldType::Media | FieldType::Relation => {
            let (one, many) = match f.field_type {
                FieldType::Media => ("an asset id", "assets"),
                _ => ("an entry id", "entries"),
            };
            let is_id = |v: &Value| v.as_str().is_some_and(is_asset_id);
            if !f.multiple {
                return if is_id(v) { Ok(v.clone()) } else { expect(one) };
            }
            match v.as_array() {
                Some(list) if list.iter().all(is_id) => {
                    if list.len() > MAX_MEDIA_ITEMS {
                        return fail("max_items", format!("at most {MAX_MEDIA_ITEMS} {many}"));
                    }
                    // A gallery may show an image twice; an entry is related once.
                    let mut seen = std::collections::HashSet::new();
                    if f.field_type == FieldType::Relation
                        && let Some(dup) = list.iter().find(|v| !seen.insert(v.as_str()))
                    {
                        return fail("unique_items", format!("{dup} is listed twice"));
                    }
                    Ok(v.clone())
                }
                Some(list) => {
                    let i = list.iter().position(|v| !is_id(v)).unwrap_or_default();
                    Err(FieldError::new(
                        format!("{}[{i}]", f.name),
                        "type",
                        format!("`{}[{i}]` must be {one}", f.name),
                    ))
                }
                None => expect(&format!("a list of {one}s")),
            }
        }
    }
}

fn check_range(f: &Field, n: f64) -> Result<(), FieldError> {
    if let Some(min) = f.min.as_ref().and_then(|m| m.as_f64())
        && n < min
    {
        return Err(FieldError::new(
            f.name.clone(),
            "min",
            format!("must be at least {min}"),
        ));
    }
    if let Some(max) = f.max.as_ref().and_then(|m| m.as_f64())
        && n > max
    {
        return Err(FieldError::new(
            f.name.clone(),
            "max",
            format!("must be at most {max}"),
        ));
    }
    Ok(())
}

/// A calendar date `YYYY-MM-DD`, checked for existence (no 31 February).
pub fn parse_date(s: &str) -> Option<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).ok().map(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ct() -> ContentType {
        ContentType::from_json(json!({"api_id": "t", "name": "T", "fields": [
            {"name": "title", "type": "string", "required": true, "max_length": 10},
            {"name": "slug", "type": "slug", "from": "title"},
            {"name": "n", "type": "integer", "min": 1, "default": 3},
            {"name": "when", "type": "datetime"},
            {"name": "day", "type": "date"},
        ]}))
        .unwrap()
    }

    fn run(v: Value, mode: Mode) -> Result<Valid, Vec<FieldError>> {
        validate_entry(&ct(), v.as_object().unwrap(), mode)
    }

    #[test]
    fn json_len_is_the_compact_length() {
        let v = json!({"a": [1, true, null, "x"], "bb": {"c": -2.5}, "d": "",
            "q\"uote": "tab\t nl\n bell\u{7} back\\slash é"});
        assert_eq!(json_len(&v), serde_json::to_string(&v).unwrap().len());
    }

    #[test]
    fn entries_are_bounded_in_size() {
        let body = "w".repeat(MAX_ENTRY_BYTES);
        let errors = validate_entry(
            &ct(),
            json!({"title": "Big", "when": body}).as_object().unwrap(),
            Mode::Create,
        )
        .unwrap_err();
        assert_eq!(
            (errors[0].field.as_str(), errors[0].rule.as_str()),
            ("data", "max_bytes")
        );
    }

    #[test]
    fn create_applies_defaults_and_generates_slug() {
        let ok = run(json!({"title": "Hi World"}), Mode::Create).unwrap();
        assert_eq!(ok.data["n"], 3);
        assert_eq!(ok.data["slug"], "hi-world");
        assert!(ok.slug_generated);
    }

    #[test]
    fn each_rule_reports_its_field() {
        let errs = run(
            json!({"title": "far too long a title", "n": 0, "day": "2026-02-30", "x": 1}),
            Mode::Create,
        )
        .unwrap_err();
        let mut got: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("day", "type"),
                ("n", "min"),
                ("title", "max_length"),
                ("x", "unknown_field")
            ]
        );
    }

    #[test]
    fn datetimes_are_normalized_to_utc() {
        let ok = run(
            json!({"title": "a", "when": "2026-01-01T10:00:00+01:00"}),
            Mode::Update,
        )
        .unwrap();
        assert_eq!(ok.data["when"], "2026-01-01T09:00:00.000Z");
    }

    #[test]
    fn long_titles_make_bounded_slugs() {
        let s = make_slug(&"word ".repeat(100));
        assert!(s.len() <= GENERATED_SLUG_MAX && is_slug(&s));
    }

    #[test]
    fn a_translation_may_leave_localized_fields_to_fall_back() {
        let ct = ContentType::from_json(json!({"api_id": "t", "name": "T", "fields": [
            {"name": "title", "type": "string", "required": true, "localized": true, "default": "x"},
            {"name": "n", "type": "integer", "required": true},
        ]}))
        .unwrap();
        let ok =
            validate_entry(&ct, json!({"n": 1}).as_object().unwrap(), Mode::Translation).unwrap();
        assert!(!ok.data.contains_key("title"), "no default: it falls back");
        let err = validate_entry(
            &ct,
            json!({"title": "t"}).as_object().unwrap(),
            Mode::Translation,
        )
        .unwrap_err();
        assert_eq!(err[0].field, "n", "shared fields stay required");
        let err =
            validate_entry(&ct, json!({"n": 1}).as_object().unwrap(), Mode::Update).unwrap_err();
        assert_eq!(err[0].field, "title");
    }
}

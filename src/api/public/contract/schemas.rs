//! Component schemas: the shared ones, and each type's entry schema (a
//! schema per field) with its envelopes.

use serde_json::{Map, Value, json};

use super::names::Named;
use super::{SLUG_PATTERN, map, schema_ref};
use crate::model::content_type::{ContentType, Field, Kind};
use crate::model::entry::PUBLIC_SYSTEM_FIELDS;
use crate::model::field::FieldType;
use crate::model::query::MAX_LIMIT;

pub(super) fn shared_schemas() -> Map<String, Value> {
    map(json!({
        "Asset": {
            "type": "object",
            "description": "An uploaded file, as a media field shows it.",
            "required": ["id", "url", "mime_type", "width", "height", "alt"],
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "url": { "type": "string", "description": "Where to fetch it: `/media/{id}/{filename}`." },
                "mime_type": { "type": "string" },
                "width": { "type": "integer", "nullable": true, "description": "Pixels, for images." },
                "height": { "type": "integer", "nullable": true, "description": "Pixels, for images." },
                "alt": { "type": "string", "nullable": true },
            },
        },
        "SyncPage": {
            "type": "object",
            "description": "A page of the sync feed.",
            "required": ["data", "meta"],
            "properties": {
                "data": { "type": "array", "items": schema_ref("SyncItem") },
                "meta": {
                    "type": "object",
                    "required": ["next_cursor", "has_more"],
                    "properties": {
                        "next_cursor": { "type": "string", "description": "Where the next call begins; keep the last one." },
                        "has_more": { "type": "boolean", "description": "Whether to call again now (else later, for what changes)." },
                    },
                },
            },
        },
        "SyncItem": {
            "description": "One thing that is live now or has gone: an `entry` (its public shape with its `type`), an `asset`, or a tombstone.",
            "oneOf": [
                sync_item("entry", json!({
                    "type": "object",
                    "required": ["type", "id", "locale"],
                    "properties": {
                        "type": { "type": "string" },
                        "id": { "type": "string" },
                        "locale": { "type": "string" },
                    },
                    "additionalProperties": true,
                })),
                sync_item("asset", schema_ref("Asset")),
                sync_item("deleted", json!({
                    "type": "object",
                    "description": "A translation unpublished or deleted; `locale` null: every translation.",
                    "required": ["type", "id", "locale"],
                    "properties": {
                        "type": { "type": "string" },
                        "id": { "type": "string" },
                        "locale": { "type": "string", "nullable": true },
                    },
                })),
                sync_item("deleted_asset", json!({
                    "type": "object",
                    "required": ["id"],
                    "properties": { "id": { "type": "string" } },
                })),
                sync_item("deleted_type", json!({
                    "type": "object",
                    "description": "A content type deleted with its entries.",
                    "required": ["type"],
                    "properties": { "type": { "type": "string" } },
                })),
            ],
        },
        "ListMeta": {
            "type": "object",
            "required": ["total", "limit", "offset"],
            "properties": {
                "total": { "type": "integer", "minimum": 0, "description": "Entries matching the filters, on all pages." },
                "limit": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT },
                "offset": { "type": "integer", "minimum": 0 },
                "next": {
                    "type": "string",
                    "nullable": true,
                    "description": "For a full page, the `after` of the next one; null on a page that is not full.",
                },
            },
        },
        "Problem": {
            "type": "object",
            "description": "An RFC 9457 problem document.",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": { "type": "string", "description": "`urn:quire:problem:<code>`." },
                "title": { "type": "string" },
                "status": { "type": "integer" },
                "detail": { "type": "string" },
                "code": { "type": "string", "description": "A stable, machine-readable code." },
                "errors": {
                    "type": "array",
                    "description": "Each failing parameter or field, at most 50.",
                    "items": schema_ref("ProblemField"),
                },
                "current_version": { "type": "integer", "format": "int64" },
                "error_count": {
                    "type": "integer",
                    "description": "How many errors there were, when more than `errors` lists.",
                },
            },
        },
        "ProblemField": {
            "type": "object",
            "required": ["field", "rule", "message"],
            "properties": {
                "field": { "type": "string", "description": "The parameter or field, such as `filter[views][gt]`." },
                "rule": { "type": "string", "description": "The rule it broke, such as `type` or `unknown_parameter`." },
                "message": { "type": "string" },
            },
        },
        "SearchHit": {
            "type": "object",
            "description": "A matching entry: its fields (as its type's schema describes them) beside `type`, `score` and `highlights`.",
            "required": ["id", "type", "score", "highlights"],
            "properties": {
                "id": { "type": "string" },
                "type": { "type": "string", "description": "The entry's content type (api_id)." },
                "score": { "type": "number" },
                "highlights": {
                    "type": "object",
                    "description": "Matching searchable fields, with matches in `<mark>`.",
                    "additionalProperties": { "type": "string" },
                },
                "locale": { "type": "string" },
                "created_at": { "type": "string", "format": "date-time" },
                "updated_at": { "type": "string", "format": "date-time" },
                "published_at": { "type": "string", "format": "date-time", "nullable": true },
            },
        },
        "SearchMeta": {
            "type": "object",
            "required": ["total", "limit", "offset", "took_ms"],
            "properties": {
                "total": { "type": "integer", "minimum": 0 },
                "limit": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT },
                "offset": { "type": "integer", "minimum": 0 },
                "took_ms": { "type": "integer", "minimum": 0 },
            },
        },
        "SearchResult": {
            "type": "object",
            "required": ["data", "meta"],
            "properties": {
                "data": { "type": "array", "items": schema_ref("SearchHit") },
                "meta": schema_ref("SearchMeta"),
            },
        },
    }))
}

/// A sync item: an object with one key.
fn sync_item(key: &str, schema: Value) -> Value {
    json!({
        "type": "object",
        "required": [key],
        "properties": { key: schema },
        "additionalProperties": false,
    })
}

/// A type's entry schema and the envelopes its routes answer with.
pub(super) fn add_type_schemas(n: &Named, schemas: &mut Map<String, Value>) {
    schemas.insert(n.name.clone(), entry_schema(n.ct));
    if n.ct.def.kind == Kind::Collection {
        schemas.insert(
            format!("{}List", n.name),
            json!({
                "type": "object",
                "required": ["data", "meta"],
                "properties": {
                    "data": { "type": "array", "items": schema_ref(&n.name) },
                    "meta": schema_ref("ListMeta"),
                },
            }),
        );
    }
    schemas.insert(
        format!("{}Entry", n.name),
        json!({
            "type": "object",
            "required": ["data"],
            "properties": { "data": schema_ref(&n.name) },
        }),
    );
}

/// The flat public entry: system fields beside every content field. Only
/// `id` is required, since `fields=` leaves the others out.
fn entry_schema(ct: &ContentType) -> Value {
    let mut properties = Map::new();
    for name in PUBLIC_SYSTEM_FIELDS {
        properties.insert(name.to_string(), system_field_schema(name));
    }
    for f in &ct.fields {
        properties.insert(f.name.clone(), Value::Object(field_schema(f)));
    }
    properties.insert("meta".into(), json!({
        "type": "object",
        "description": "Present when the entry was read in a locale other than the default: the locale asked for, and for each localized field whose value came from another locale along the fallbacks, that locale.",
        "required": ["locale", "fallbacks"],
        "properties": {
            "locale": { "type": "string" },
            "fallbacks": { "type": "object", "additionalProperties": { "type": "string" } },
        },
    }));
    json!({
        "type": "object",
        "description": type_description(ct),
        "required": ["id"],
        "properties": properties,
    })
}

pub(super) fn type_description(ct: &ContentType) -> String {
    match &ct.def.description {
        Some(d) => format!("{}: {d}", ct.def.name),
        None => format!(
            "{} ({} `{}`).",
            ct.def.name,
            ct.def.kind.as_str(),
            ct.api_id()
        ),
    }
}

fn system_field_schema(name: &str) -> Value {
    match name {
        "id" => json!({ "type": "string", "description": "The entry's id." }),
        "locale" => json!({ "type": "string" }),
        // Null for a working copy (preview) that was never published.
        "published_at" => json!({
            "type": "string",
            "format": "date-time",
            "nullable": true,
            "description": "When the entry was first published.",
        }),
        _ => json!({ "type": "string", "format": "date-time" }),
    }
}

fn field_schema(f: &Field) -> Map<String, Value> {
    let mut schema = match f.field_type {
        FieldType::String | FieldType::Text | FieldType::Richtext | FieldType::Slug => {
            text_schema(f)
        }
        FieldType::Integer => with_range(map(json!({ "type": "integer", "format": "int64" })), f),
        FieldType::Number => with_range(map(json!({ "type": "number", "format": "double" })), f),
        FieldType::Boolean => map(json!({ "type": "boolean" })),
        FieldType::Date => map(json!({ "type": "string", "format": "date" })),
        FieldType::Datetime => map(json!({ "type": "string", "format": "date-time" })),
        FieldType::Enum => enum_schema(f),
        FieldType::Json => Map::new(),
        FieldType::Media => media_schema(f),
        FieldType::Relation => relation_schema(f),
        FieldType::Component | FieldType::Blocks => nested_schema(f),
    };
    // Every field may be null, required ones too: entries published before
    // a field was added have no value for it.
    schema.insert("nullable".into(), Value::Bool(true));
    if let Some(description) = field_description(f) {
        schema.insert("description".into(), Value::String(description));
    }
    schema
}

fn text_schema(f: &Field) -> Map<String, Value> {
    let mut schema = map(json!({ "type": "string" }));
    if let Some(n) = f.min_length {
        schema.insert("minLength".into(), n.into());
    }
    if let Some(n) = f.max_length {
        schema.insert("maxLength".into(), n.into());
    }
    match f.def.pattern.as_deref() {
        Some(p) if is_portable_pattern(p) => {
            schema.insert("pattern".into(), p.into());
        }
        None if f.field_type == FieldType::Slug => {
            schema.insert("pattern".into(), SLUG_PATTERN.into());
        }
        _ => {}
    }
    schema
}

fn with_range(mut schema: Map<String, Value>, f: &Field) -> Map<String, Value> {
    if let Some(min) = &f.min {
        schema.insert("minimum".into(), Value::Number(min.clone()));
    }
    if let Some(max) = &f.max {
        schema.insert("maximum".into(), Value::Number(max.clone()));
    }
    schema
}

/// OpenAPI 3.0 wants `null` among the values of a nullable enum.
fn enum_schema(f: &Field) -> Map<String, Value> {
    let mut values: Vec<Value> = f
        .values
        .iter()
        .flatten()
        .map(|v| Value::String(v.clone()))
        .collect();
    values.push(Value::Null);
    map(json!({ "type": "string", "enum": values }))
}

/// A media field shows its asset (null when unset or deleted), or with
/// `multiple` the list of those that still exist.
fn media_schema(f: &Field) -> Map<String, Value> {
    if f.multiple {
        map(json!({ "type": "array", "items": schema_ref("Asset") }))
    } else {
        // A `$ref` cannot carry `nullable`; `allOf` lets it.
        map(json!({ "allOf": [schema_ref("Asset")] }))
    }
}

/// A group of fields as an object, or a list of them (repeatable, blocks
/// tagged by `kind`).
fn nested_schema(f: &Field) -> Map<String, Value> {
    let group = json!({ "type": "object", "additionalProperties": true });
    if f.repeatable || f.field_type == FieldType::Blocks {
        map(json!({ "type": "array", "items": group }))
    } else {
        map(group)
    }
}

/// An entry id, or with `populate` the entry it points at.
fn relation_schema(f: &Field) -> Map<String, Value> {
    let one = json!({ "anyOf": [
        { "type": "string", "format": "uuid" },
        { "type": "object", "additionalProperties": true },
    ]});
    if f.multiple {
        map(json!({ "type": "array", "items": one }))
    } else {
        map(one)
    }
}

/// The label, and what the schema cannot say itself.
fn field_description(f: &Field) -> Option<String> {
    let mut parts: Vec<String> = f.label.iter().cloned().collect();
    if let Some(p) = f.def.pattern.as_deref()
        && !is_portable_pattern(p)
    {
        parts.push(format!("Matches the regular expression `{p}`."));
    }
    if let Some(to) = f.to.as_deref() {
        parts.push(format!(
            "Points at {to}: the id, or with `populate` the published entry (null, or left out of a list, when it is not published)."
        ));
    }
    if let Some(accept) = &f.accept {
        parts.push(format!("Accepts {}.", accept.join(", ")));
    }
    if f.field_type == FieldType::Json {
        parts.push("Any JSON value.".into());
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Field patterns are Rust regexes and OpenAPI's are ECMA-262: only a
/// pattern in the syntax both read alike is copied into the schema (the
/// others go into the description), so no validator misreads it.
fn is_portable_pattern(pattern: &str) -> bool {
    const RUST_ONLY: &[&str] = &[
        "\\A", "\\z", "\\Z", "\\p", "\\P", "\\U", "\\x{", "\\Q", "[[:", "&&", "--", "~~",
    ];
    let bytes = pattern.as_bytes();
    // `(?i)`, `(?P<n>…)` and the like; `(?:` is common to both, `\(?` is a literal.
    let group_syntax = bytes.windows(3).enumerate().any(|(i, w)| {
        w[0] == b'(' && w[1] == b'?' && w[2] != b':' && (i == 0 || bytes[i - 1] != b'\\')
    });
    !group_syntax && !RUST_ONLY.iter().any(|s| pattern.contains(s))
}

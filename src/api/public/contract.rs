//! The public API's contract, generated from the content types in force: an
//! OpenAPI 3.0.3 document and TypeScript declarations. Both are pure
//! functions of the types, so they can be served, committed or diffed.
//!
//! Every shape here mirrors what the public handlers really answer
//! (`Entry::to_public`, `media::embed`, `model::query`, `api::search`,
//! `api::problem`); a change to one of those is a change to this file.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::api::problem::CONTENT_TYPE as PROBLEM_CONTENT_TYPE;
use crate::model::content_type::{ContentType, Field, Kind};
use crate::model::entry::PUBLIC_SYSTEM_FIELDS;
use crate::model::field::FieldType;
use crate::model::query::{DEFAULT_LIMIT, MAX_LIMIT};

// Limits of `model::query`, `api::search` and `search::query`, which keep
// them private; the document states them so clients can stay inside.
const MAX_FILTERS: usize = 20;
const MAX_IN_VALUES: usize = 100;
const MAX_SORT_KEYS: usize = 5;
const MAX_SEARCH_HITS: i64 = 1000;
const MAX_QUERY_CHARS: usize = 500;

/// `model::locale::is_valid`, as a pattern.
const LOCALE_PATTERN: &str = "^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$";
/// What `validate` lets a slug be: lowercase words joined by single hyphens.
const SLUG_PATTERN: &str = "^[a-z0-9]+(?:-[a-z0-9]+)*$";

/// The operators of `filter[field][op]`, in the order the README lists them.
const OPERATORS: [&str; 10] = [
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "contains",
    "starts_with",
    "null",
];

/// Schema and interface names that are not a content type's. A type whose
/// PascalCase name (or its `List`/`Entry` envelope) would take one of these
/// gets another name.
const SHARED_NAMES: &[&str] = &[
    "Asset",
    "ContentTypes",
    "List",
    "ListMeta",
    "One",
    "Problem",
    "ProblemField",
    "SearchHit",
    "SearchMeta",
    "SearchResult",
];

/// The statuses a public route answers with a problem document, and the
/// name of the shared response for each.
const PROBLEMS: [(&str, &str, &str); 4] = [
    (
        "400",
        "BadRequest",
        "The query is not understood: an unknown parameter, field or operator, a value of the wrong type, or more than 20 filters. `errors` names each parameter.",
    ),
    (
        "401",
        "Unauthorized",
        "The bearer token is invalid, revoked or expired; or the API needs a token (QUIRE_PUBLIC_ACCESS=token); or `preview=true` came without one.",
    ),
    (
        "403",
        "Forbidden",
        "`preview=true` with a token or account that may not read working copies of this content.",
    ),
    (
        "404",
        "NotFound",
        "No such content type, or no published entry with this id or slug in this locale.",
    ),
];

const API_DESCRIPTION: &str = "Published entries of Quire's content types, flat and cacheable. \
Every 200 carries a strong `ETag`; send it back in `If-None-Match` for a 304. \
With QUIRE_PUBLIC_ACCESS=token every route needs `Authorization: Bearer <read token>`. \
`preview=true` serves working copies to a preview or write token or an admin session. \
An unknown parameter, field or operator, or a value of the wrong type, is a 400 problem naming it.";

/// The public API's OpenAPI 3.0.3 document for these content types.
pub fn openapi(types: &[Arc<ContentType>], version: &str) -> Value {
    let named = named(types);
    let mut schemas = shared_schemas();
    let mut paths = Map::new();
    for n in &named {
        add_type_schemas(n, &mut schemas);
        add_type_paths(n, &mut paths);
    }
    paths.insert("/search".into(), json!({ "get": search_operation(&named) }));
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Quire public API",
            "version": version,
            "description": API_DESCRIPTION,
        },
        "servers": [{ "url": "/api" }],
        // Open by default; a bearer token when the API is closed or for previews.
        "security": [{}, { "bearer": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": shared_parameters(),
            "headers": {
                "ETag": {
                    "description": "A strong validator of the body; send it in If-None-Match to get a 304 while nothing changed.",
                    "schema": { "type": "string" },
                },
            },
            "responses": shared_responses(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`read` for a closed API; `preview` or `write` for `preview=true`) or an admin session.",
                },
            },
        },
    })
}

/// TypeScript declarations for the public API's entries and envelopes.
pub fn typescript(types: &[Arc<ContentType>]) -> String {
    let named = named(types);
    let mut out = String::from(TS_HEADER);
    out.push_str(TS_ASSET);
    for n in &named {
        out.push_str(&ts_entry_interface(n));
    }
    out.push_str(TS_ENVELOPES);
    out.push_str(&ts_content_types(&named));
    out
}

// ---------------------------------------------------------------------------
// Names

/// A content type with the name its schema and interface go by.
struct Named<'a> {
    ct: &'a ContentType,
    name: String,
}

/// The types in api_id order, each with a name no other schema takes.
fn named(types: &[Arc<ContentType>]) -> Vec<Named<'_>> {
    let mut sorted: Vec<&ContentType> = types.iter().map(Arc::as_ref).collect();
    sorted.sort_by(|a, b| a.api_id().cmp(b.api_id()));
    sorted.dedup_by(|a, b| a.api_id() == b.api_id());
    let mut taken: HashSet<String> = SHARED_NAMES.iter().map(|s| s.to_string()).collect();
    sorted
        .into_iter()
        .map(|ct| Named {
            ct,
            name: claim_name(&pascal_case(ct.api_id()), &mut taken),
        })
        .collect()
}

/// `blog_posts` → `BlogPosts`.
fn pascal_case(api_id: &str) -> String {
    api_id
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The first of `base`, `baseType`, `baseType2`, … that neither itself nor
/// its envelopes (`…List`, `…Entry`) collide with a name already given;
/// `a_1b` and `a1b` both make `A1b`, and `foo_list` would be `foo`'s list.
fn claim_name(base: &str, taken: &mut HashSet<String>) -> String {
    let family = |n: &str| [n.to_string(), format!("{n}List"), format!("{n}Entry")];
    let mut name = base.to_string();
    let mut tries = 1;
    while family(&name).iter().any(|n| taken.contains(n)) {
        name = if tries == 1 {
            format!("{base}Type")
        } else {
            format!("{base}Type{tries}")
        };
        tries += 1;
    }
    taken.extend(family(&name));
    name
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn parameter_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

/// A `json!` object literal as a map to add keys to.
fn map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

// ---------------------------------------------------------------------------
// Schemas

fn shared_schemas() -> Map<String, Value> {
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
        "ListMeta": {
            "type": "object",
            "required": ["total", "limit", "offset"],
            "properties": {
                "total": { "type": "integer", "minimum": 0, "description": "Entries matching the filters, on all pages." },
                "limit": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT },
                "offset": { "type": "integer", "minimum": 0 },
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

/// A type's entry schema and the envelopes its routes answer with.
fn add_type_schemas(n: &Named, schemas: &mut Map<String, Value>) {
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
    json!({
        "type": "object",
        "description": type_description(ct),
        "required": ["id"],
        "properties": properties,
    })
}

fn type_description(ct: &ContentType) -> String {
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

/// The label, and what the schema cannot say itself.
fn field_description(f: &Field) -> Option<String> {
    let mut parts: Vec<String> = f.label.iter().cloned().collect();
    if let Some(p) = f.def.pattern.as_deref()
        && !is_portable_pattern(p)
    {
        parts.push(format!("Matches the regular expression `{p}`."));
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

// ---------------------------------------------------------------------------
// The query language

/// What a filter value must parse as (`model::query::typed_value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    Text,
    Integer,
    Number,
    Boolean,
    Date,
    DateTime,
}

impl Operand {
    /// `None` for json, which only `null` applies to.
    fn of(ty: FieldType) -> Option<Operand> {
        Some(match ty {
            FieldType::Integer => Operand::Integer,
            FieldType::Number => Operand::Number,
            FieldType::Boolean => Operand::Boolean,
            FieldType::Date => Operand::Date,
            FieldType::Datetime => Operand::DateTime,
            FieldType::Json => return None,
            // Enum values and asset ids are compared as text, unchecked.
            FieldType::String
            | FieldType::Text
            | FieldType::Richtext
            | FieldType::Slug
            | FieldType::Enum
            | FieldType::Media => Operand::Text,
        })
    }

    fn schema(self) -> Value {
        match self {
            Operand::Text => json!({ "type": "string" }),
            Operand::Integer => json!({
                "type": "integer",
                "format": "int64",
                "minimum": i64::MIN,
                "maximum": i64::MAX,
            }),
            Operand::Number => json!({ "type": "number", "format": "double" }),
            Operand::Boolean => json!({ "type": "boolean" }),
            Operand::Date => json!({ "type": "string", "format": "date" }),
            Operand::DateTime => json!({ "type": "string", "format": "date-time" }),
        }
    }

    /// One value of an `in` list. Numbers are bounded so every match parses
    /// (18 digits fit an i64; a finite f64 needs a small exponent).
    fn item_pattern(self) -> &'static str {
        const DATE: &str = "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])";
        match self {
            Operand::Text => "[^,]*",
            Operand::Integer => "[-+]?[0-9]{1,18}",
            Operand::Number => {
                "[-+]?(?:[0-9]{1,15}(?:\\.[0-9]{0,15})?|\\.[0-9]{1,15})(?:[eE][-+]?[0-9]{1,2})?"
            }
            Operand::Boolean => "(?:true|false)",
            Operand::Date => DATE,
            Operand::DateTime => {
                "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:[Zz]|[-+](?:[01][0-9]|2[0-3]):[0-5][0-9])"
            }
        }
    }

    fn list_schema(self) -> Value {
        let item = self.item_pattern();
        let more = MAX_IN_VALUES - 1;
        json!({ "type": "string", "pattern": format!("^{item}(?:,{item}){{0,{more}}}$") })
    }
}

/// Something a query can filter, sort or select, as `model::query` sees it
/// on the public surface.
struct Column<'a> {
    name: &'a str,
    operand: Option<Operand>,
    ordered: bool,
    textual: bool,
    values: Option<&'a [String]>,
}

/// The system columns, then the fields in definition order.
fn columns(ct: &ContentType) -> Vec<Column<'_>> {
    let system = PUBLIC_SYSTEM_FIELDS.iter().map(|&name| {
        let operand = match name {
            "id" | "locale" => Operand::Text,
            _ => Operand::DateTime,
        };
        Column {
            name,
            operand: Some(operand),
            ordered: true,
            textual: operand == Operand::Text,
            values: None,
        }
    });
    let fields = ct.fields.iter().map(|f| Column {
        name: &f.name,
        operand: Operand::of(f.field_type),
        ordered: f.field_type.is_ordered(),
        textual: f.field_type.is_textual(),
        values: f.values.as_deref(),
    });
    system.chain(fields).collect()
}

/// The schema of `filter[column][op]`'s value, or `None` when the server
/// refuses that operator on that column.
fn filter_value(column: &Column, op: &str) -> Option<Value> {
    match (op, column.operand) {
        ("null", _) => Some(json!({ "type": "boolean" })),
        ("contains" | "starts_with", _) if column.textual => Some(json!({ "type": "string" })),
        ("eq" | "ne", Some(operand)) => Some(operand.schema()),
        ("lt" | "lte" | "gt" | "gte", Some(operand)) if column.ordered => Some(operand.schema()),
        ("in", Some(operand)) => Some(operand.list_schema()),
        _ => None,
    }
}

fn filter_description(column: &Column, op: &str) -> String {
    let name = column.name;
    let mut text = match op {
        "eq" => format!("`{name}` equals the value."),
        "ne" => format!("`{name}` differs from the value, or is unset."),
        "lt" => format!("`{name}` is less than the value."),
        "lte" => format!("`{name}` is at most the value."),
        "gt" => format!("`{name}` is greater than the value."),
        "gte" => format!("`{name}` is at least the value."),
        "in" => format!("`{name}` is one of the comma-separated values (at most {MAX_IN_VALUES})."),
        "contains" => format!("`{name}` contains the text (case-sensitive)."),
        "starts_with" => format!("`{name}` starts with the text (case-sensitive)."),
        _ => format!("`true`: `{name}` is unset; `false`: it is set."),
    };
    if let Some(values) = column.values
        && matches!(op, "eq" | "ne" | "in")
    {
        text.push_str(&format!(" Values: {}.", values.join(", ")));
    }
    text
}

fn filter_name(column: &str, op: &str) -> String {
    format!("filter[{column}][{op}]")
}

/// Every `filter[column][op]` the server takes for these columns.
fn filter_params(columns: &[Column]) -> Vec<Value> {
    let mut params = Vec::new();
    for column in columns {
        for op in OPERATORS {
            if let Some(schema) = filter_value(column, op) {
                params.push(query_param(
                    &filter_name(column.name, op),
                    &filter_description(column, op),
                    schema,
                ));
            }
        }
    }
    params
}

/// `sort=-published_at,title`: ordered columns, `-` (or `+`), empty parts
/// skipped, at most five keys. Names are snake case, so need no escaping.
fn sort_param(columns: &[Column]) -> Value {
    let keys: Vec<&str> = columns
        .iter()
        .filter(|c| c.ordered)
        .map(|c| c.name)
        .collect();
    let key = format!("[-+]?(?:{})", keys.join("|"));
    let pattern = format!("^,*(?:{key}(?:,+|$)){{0,{MAX_SORT_KEYS}}}$");
    query_param(
        "sort",
        &format!(
            "Comma-separated sort keys, at most {MAX_SORT_KEYS}; `-` before a key sorts descending. \
             Default `-published_at` (`-updated_at` in a preview). Keys: {}.",
            keys.join(", ")
        ),
        json!({ "type": "string", "pattern": pattern }),
    )
}

/// `fields=title,slug`: known names, comma separated; `id` always comes.
fn fields_param(names: &[&str]) -> Value {
    let name = format!("(?:{})", names.join("|"));
    query_param(
        "fields",
        &format!(
            "Comma-separated fields to return (`id` always is): {}.",
            names.join(", ")
        ),
        json!({ "type": "string", "pattern": format!("^{name}?(?:,{name}?)*$") }),
    )
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "description": description, "schema": schema })
}

fn shared_parameters() -> Value {
    json!({
        "limit": query_param(
            "limit",
            &format!("Entries per page, 1 to {MAX_LIMIT}."),
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT }),
        ),
        "offset": query_param(
            "offset",
            "Entries to skip.",
            json!({ "type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX, "default": 0 }),
        ),
        "locale": query_param(
            "locale",
            "The entries' locale, such as `en` or `pt-BR` (default: the server's QUIRE_DEFAULT_LOCALE).",
            json!({ "type": "string", "pattern": LOCALE_PATTERN }),
        ),
        "preview": query_param(
            "preview",
            "`true`: working copies (drafts and unpublished edits) instead of live copies; needs a preview or write token or an admin session, and is never cached.",
            json!({ "type": "boolean", "default": false }),
        ),
        "ifNoneMatch": {
            "name": "If-None-Match",
            "in": "header",
            "description": "An ETag from an earlier answer: 304 while the answer is unchanged.",
            "schema": { "type": "string" },
        },
    })
}

// ---------------------------------------------------------------------------
// Paths

fn shared_responses() -> Value {
    let mut responses = Map::new();
    responses.insert(
        "NotModified".into(),
        json!({
            "description": "Not modified: `If-None-Match` names the current ETag. No body.",
            "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
        }),
    );
    for (_, name, description) in PROBLEMS {
        responses.insert(
            name.into(),
            json!({
                "description": description,
                "content": { PROBLEM_CONTENT_TYPE: { "schema": schema_ref("Problem") } },
            }),
        );
    }
    Value::Object(responses)
}

/// One GET operation of the public API.
struct Operation<'a> {
    id: String,
    summary: String,
    description: Option<String>,
    tag: &'a str,
    parameters: Vec<Value>,
    /// The schema of the 200 body.
    body: String,
    /// Whether a missing type or entry can answer 404.
    may_be_missing: bool,
}

impl Operation<'_> {
    fn to_json(&self) -> Value {
        let mut responses = Map::new();
        responses.insert(
            "200".into(),
            json!({
                "description": "OK",
                "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                "content": { "application/json": { "schema": schema_ref(&self.body) } },
            }),
        );
        responses.insert("304".into(), response_ref("NotModified"));
        for (status, name, _) in PROBLEMS {
            if status != "404" || self.may_be_missing {
                responses.insert(status.into(), response_ref(name));
            }
        }
        let mut op = map(json!({
            "operationId": self.id,
            "summary": self.summary,
            "tags": [self.tag],
        }));
        if let Some(d) = &self.description {
            op.insert("description".into(), Value::String(d.clone()));
        }
        op.insert("parameters".into(), Value::Array(self.parameters.clone()));
        op.insert("responses".into(), Value::Object(responses));
        Value::Object(op)
    }
}

/// `/{api_id}` for every type, and `/{api_id}/{id}` for collections.
fn add_type_paths(n: &Named, paths: &mut Map<String, Value>) {
    let ct = n.ct;
    let api_id = ct.api_id();
    let columns = columns(ct);
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let mut list_params = vec![
        parameter_ref("limit"),
        parameter_ref("offset"),
        sort_param(&columns),
        fields_param(&names),
        parameter_ref("locale"),
        parameter_ref("preview"),
        parameter_ref("ifNoneMatch"),
    ];
    list_params.extend(filter_params(&columns));
    let list = match ct.def.kind {
        Kind::Collection => Operation {
            id: format!("list{}", n.name),
            summary: format!("List published {} entries", ct.def.name),
            description: Some(format!(
                "A page of entries, newest first unless `sort` says otherwise. At most {MAX_FILTERS} filters combine with AND."
            )),
            tag: api_id,
            parameters: list_params,
            body: format!("{}List", n.name),
            may_be_missing: true,
        },
        // The list route of a singleton takes the same query and answers
        // with the first match, or 404.
        Kind::Singleton => Operation {
            id: format!("get{}", n.name),
            summary: format!("Read the published {}", ct.def.name),
            description: Some(format!(
                "The type's one entry in the locale; 404 while none is published (or none matches the filters, at most {MAX_FILTERS})."
            )),
            tag: api_id,
            parameters: list_params,
            body: format!("{}Entry", n.name),
            may_be_missing: true,
        },
    };
    paths.insert(format!("/{api_id}"), json!({ "get": list.to_json() }));
    if ct.def.kind == Kind::Singleton {
        return;
    }
    let get = Operation {
        id: format!("get{}Entry", n.name),
        summary: format!("Read one published {} by id or slug", ct.def.name),
        description: None,
        tag: api_id,
        parameters: vec![
            json!({
                "name": "id",
                "in": "path",
                "required": true,
                "description": "The entry's id, or its slug in the locale.",
                "schema": { "type": "string", "minLength": 1 },
            }),
            fields_param(&names),
            parameter_ref("locale"),
            parameter_ref("preview"),
            parameter_ref("ifNoneMatch"),
        ],
        body: format!("{}Entry", n.name),
        may_be_missing: true,
    };
    paths.insert(format!("/{api_id}/{{id}}"), json!({ "get": get.to_json() }));
}

fn search_operation(named: &[Named]) -> Value {
    let searchable: Vec<&ContentType> = named
        .iter()
        .map(|n| n.ct)
        .filter(|ct| ct.searchable_fields().next().is_some())
        .collect();
    let mut parameters = vec![json!({
        "name": "q",
        "in": "query",
        "required": true,
        "description": "Words (all must match, typos forgiven, the last also as a prefix), \"exact phrases\" and -excluded words. At least one word or phrase.",
        "schema": { "type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": "\\S" },
    })];
    if !searchable.is_empty() {
        let ids: Vec<&str> = searchable.iter().map(|ct| ct.api_id()).collect();
        parameters.push(query_param(
            "type",
            "Search one content type only; needed with filters, and with `fields` when several types are searchable.",
            json!({ "type": "string", "enum": ids }),
        ));
    }
    parameters.extend([
        parameter_ref("locale"),
        parameter_ref("limit"),
        query_param(
            "offset",
            &format!(
                "Hits to skip. Search pages reach the best {MAX_SEARCH_HITS} hits: offset + limit may not pass {MAX_SEARCH_HITS}."
            ),
            // Bounded so that any offset the schema allows works with any limit.
            json!({ "type": "integer", "minimum": 0, "maximum": MAX_SEARCH_HITS - MAX_LIMIT, "default": 0 }),
        ),
    ]);
    if !searchable.is_empty() {
        parameters.push(fields_param(&search_field_names(&searchable)));
    }
    parameters.extend([parameter_ref("preview"), parameter_ref("ifNoneMatch")]);
    parameters.extend(search_filter_params(&searchable));
    Operation {
        id: "search".into(),
        summary: "Search published entries".into(),
        description: Some(
            "Full-text search over the searchable fields of published entries, best first.".into(),
        ),
        tag: "search",
        parameters,
        body: "SearchResult".into(),
        may_be_missing: false,
    }
    .to_json()
}

/// Every column name of the searchable types, first appearance first.
fn search_field_names<'a>(searchable: &[&'a ContentType]) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for &ct in searchable {
        for column in columns(ct) {
            if !names.contains(&column.name) {
                names.push(column.name);
            }
        }
    }
    names
}

/// The filters of all searchable types, each saying which types have it.
/// Where two types take different values under one name, any string is
/// documented and the server checks it against the `type` given.
fn search_filter_params(searchable: &[&ContentType]) -> Vec<Value> {
    struct Shared<'a> {
        name: String,
        description: String,
        schema: Value,
        types: Vec<&'a str>,
    }
    let mut shared: Vec<Shared> = Vec::new();
    for &ct in searchable {
        for column in columns(ct) {
            for op in OPERATORS {
                let Some(schema) = filter_value(&column, op) else {
                    continue;
                };
                let name = filter_name(column.name, op);
                match shared.iter_mut().find(|s| s.name == name) {
                    Some(known) => {
                        if known.schema != schema {
                            known.schema = json!({ "type": "string" });
                        }
                        known.types.push(ct.api_id());
                    }
                    None => shared.push(Shared {
                        description: filter_description(&column, op),
                        name,
                        schema,
                        types: vec![ct.api_id()],
                    }),
                }
            }
        }
    }
    shared
        .into_iter()
        .map(|s| {
            let description = format!(
                "{} With `type` set to: {}.",
                s.description,
                s.types.join(", ")
            );
            query_param(&s.name, &description, s.schema)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// TypeScript

const TS_HEADER: &str = "\
// Generated by Quire from the content types in force; do not edit.
// Entries as the public API (/api) answers them. With `fields=`, an entry
// holds only the fields asked for (and `id`).
";

const TS_ASSET: &str = "
/** An uploaded file, as a media field shows it. */
export interface Asset {
  id: string;
  url: string;
  mime_type: string;
  width: number | null;
  height: number | null;
  alt: string | null;
}
";

const TS_ENVELOPES: &str = "
export interface ListMeta {
  total: number;
  limit: number;
  offset: number;
}

/** `GET /api/{type}` of a collection. */
export interface List<T> {
  data: T[];
  meta: ListMeta;
}

/** `GET /api/{type}/{id_or_slug}`, and `GET /api/{type}` of a singleton. */
export interface One<T> {
  data: T;
}

/** A matching entry: its fields beside `type`, `score` and `highlights`. */
export interface SearchHit {
  id: string;
  type: string;
  score: number;
  highlights: { [field: string]: string };
  [field: string]: unknown;
}

export interface SearchMeta {
  total: number;
  limit: number;
  offset: number;
  took_ms: number;
}

/** `GET /api/search`. */
export interface SearchResult {
  data: SearchHit[];
  meta: SearchMeta;
}

export interface ProblemField {
  field: string;
  rule: string;
  message: string;
}

/** Every error: an RFC 9457 problem document (application/problem+json). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: ProblemField[];
  current_version?: number;
  error_count?: number;
}
";

fn ts_entry_interface(n: &Named) -> String {
    let mut out = format!(
        "\n{}export interface {} {{\n",
        ts_doc("", &type_description(n.ct)),
        n.name
    );
    for name in PUBLIC_SYSTEM_FIELDS {
        let ty = if *name == "published_at" {
            "string | null"
        } else {
            "string"
        };
        out.push_str(&format!("  {}: {ty};\n", ts_key(name)));
    }
    for f in &n.ct.fields {
        if let Some(label) = &f.label {
            out.push_str(&ts_doc("  ", label));
        }
        out.push_str(&format!("  {}: {};\n", ts_key(&f.name), ts_field_type(f)));
    }
    out.push_str("}\n");
    out
}

fn ts_field_type(f: &Field) -> String {
    match f.field_type {
        FieldType::String
        | FieldType::Text
        | FieldType::Richtext
        | FieldType::Slug
        | FieldType::Date
        | FieldType::Datetime => "string | null".into(),
        FieldType::Integer | FieldType::Number => "number | null".into(),
        FieldType::Boolean => "boolean | null".into(),
        FieldType::Enum => {
            // JSON string literals are TypeScript string literals.
            let mut variants: Vec<String> = f
                .values
                .iter()
                .flatten()
                .map(|v| Value::String(v.clone()).to_string())
                .collect();
            variants.push("null".into());
            variants.join(" | ")
        }
        FieldType::Json => "unknown".into(),
        FieldType::Media if f.multiple => "Asset[] | null".into(),
        FieldType::Media => "Asset | null".into(),
    }
}

fn ts_content_types(named: &[Named]) -> String {
    let mut out = String::from(
        "\n/** Each content type's api_id and its entries. */\nexport interface ContentTypes {\n",
    );
    for n in named {
        out.push_str(&format!("  {}: {};\n", ts_key(n.ct.api_id()), n.name));
    }
    out.push_str("}\n");
    out
}

/// A property name, quoted only when it is not an identifier.
fn ts_key(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        name.to_string()
    } else {
        Value::String(name.to_string()).to_string()
    }
}

/// A one-line doc comment; user text cannot close it early.
fn ts_doc(indent: &str, text: &str) -> String {
    let text = text.replace("*/", "*\\/").replace(['\n', '\r'], " ");
    format!("{indent}/** {text} */\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn ct(v: Value) -> Arc<ContentType> {
        Arc::new(ContentType::from_json(v).unwrap())
    }

    fn types() -> Vec<Arc<ContentType>> {
        vec![
            ct(
                json!({"api_id": "site_settings", "name": "Settings", "kind": "singleton",
                "fields": [{"name": "tagline", "type": "string"}]}),
            ),
            ct(json!({"api_id": "articles", "name": "Article", "fields": [
                {"name": "title", "type": "string", "required": true, "max_length": 200, "searchable": true},
                {"name": "slug", "type": "slug", "from": "title"},
                {"name": "category", "type": "enum", "values": ["news", "guide"]},
                {"name": "views", "type": "integer", "min": 0},
                {"name": "featured", "type": "boolean"},
                {"name": "seo", "type": "json"},
                {"name": "cover", "type": "media", "accept": ["image/*"]},
                {"name": "gallery", "type": "media", "multiple": true},
            ]})),
        ]
    }

    fn params<'a>(doc: &'a Value, path: &str) -> &'a [Value] {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn param<'a>(doc: &'a Value, path: &str, name: &str) -> Option<&'a Value> {
        params(doc, path).iter().find(|p| p["name"] == name)
    }

    fn pattern(doc: &Value, path: &str, name: &str) -> Regex {
        let p = param(doc, path, name).unwrap()["schema"]["pattern"]
            .as_str()
            .unwrap();
        Regex::new(p).unwrap()
    }

    #[test]
    fn entry_schemas_map_each_field_type() {
        let doc = openapi(&types(), "1.2.3");
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(doc["info"]["version"], "1.2.3");
        let articles = &doc["components"]["schemas"]["Articles"];
        assert_eq!(articles["required"], json!(["id"]));
        let props = &articles["properties"];
        assert_eq!(props["category"]["type"], "string");
        assert_eq!(props["category"]["nullable"], true);
        assert_eq!(props["category"]["enum"], json!(["news", "guide", null]));
        assert_eq!(props["title"]["maxLength"], 200);
        assert_eq!(props["views"]["type"], "integer");
        assert_eq!(props["views"]["minimum"], 0);
        assert_eq!(props["slug"]["pattern"], SLUG_PATTERN);
        assert_eq!(props["seo"].get("type"), None);
        assert_eq!(
            props["cover"]["allOf"][0]["$ref"],
            "#/components/schemas/Asset"
        );
        assert_eq!(
            props["gallery"]["items"]["$ref"],
            "#/components/schemas/Asset"
        );
        assert_eq!(props["published_at"]["nullable"], true);
        assert_eq!(props["id"].get("nullable"), None);
        let keys: Vec<&String> = props.as_object().unwrap().keys().collect();
        assert_eq!(
            keys[..6],
            [
                "id",
                "locale",
                "created_at",
                "updated_at",
                "published_at",
                "title"
            ]
        );
    }

    #[test]
    fn filters_follow_the_operators_each_field_takes() {
        let doc = openapi(&types(), "1");
        let has = |name: &str| param(&doc, "/articles", name).is_some();
        assert!(has("filter[title][contains]"));
        assert!(has("filter[views][gte]"));
        assert!(has("filter[featured][eq]"));
        assert!(has("filter[seo][null]"));
        assert!(has("filter[published_at][lt]"));
        assert!(!has("filter[featured][lt]"), "booleans are not ordered");
        assert!(!has("filter[seo][eq]"), "json takes only null");
        assert!(!has("filter[views][contains]"), "numbers are not text");
        assert!(!has("filter[created_at][starts_with]"));
        assert!(!has("filter[status][eq]"), "status is for the admin API");
        let views = param(&doc, "/articles", "filter[views][gte]").unwrap();
        assert_eq!(views["schema"]["type"], "integer");
        let null = param(&doc, "/articles", "filter[seo][null]").unwrap();
        assert_eq!(null["schema"]["type"], "boolean");
        let within = pattern(&doc, "/articles", "filter[views][in]");
        assert!(within.is_match("1,-2,+3") && !within.is_match("1,two"));
        // The single-entry route takes no filters.
        assert!(param(&doc, "/articles/{id}", "filter[views][gte]").is_none());
        assert!(param(&doc, "/articles/{id}", "fields").is_some());
    }

    #[test]
    fn patterns_say_what_the_query_parser_accepts() {
        let doc = openapi(&types(), "1");
        let sort = pattern(&doc, "/articles", "sort");
        for ok in ["", "-published_at,title", "+views,,id", "title,"] {
            assert!(sort.is_match(ok), "{ok}");
        }
        for bad in [
            "seo",
            "featured",
            "-",
            "--title",
            "id,id,id,id,id,id",
            "titles",
        ] {
            assert!(!sort.is_match(bad), "{bad}");
        }
        let fields = pattern(&doc, "/articles", "fields");
        assert!(fields.is_match("title,slug") && fields.is_match(""));
        assert!(!fields.is_match("title,nope"));
        let locale = Regex::new(LOCALE_PATTERN).unwrap();
        for code in ["en", "pt-BR", "zh-Hant", "", "E", "en_US", "en-", "../x"] {
            assert_eq!(
                locale.is_match(code),
                crate::model::locale::is_valid(code),
                "{code}"
            );
        }
    }

    #[test]
    fn a_singleton_answers_its_one_entry() {
        let doc = openapi(&types(), "1");
        let get = &doc["paths"]["/site_settings"]["get"];
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/SiteSettingsEntry"
        );
        assert_eq!(
            get["responses"]["404"]["$ref"],
            "#/components/responses/NotFound"
        );
        assert!(doc["paths"].get("/site_settings/{id}").is_none());
        assert!(
            doc["components"]["schemas"]
                .get("SiteSettingsList")
                .is_none()
        );
        let list = &doc["paths"]["/articles"]["get"]["responses"];
        assert_eq!(
            list["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ArticlesList"
        );
        assert!(list.get("500").is_none());
        let search = &doc["paths"]["/search"]["get"];
        assert!(search["responses"].get("404").is_none());
        assert_eq!(
            param(&doc, "/search", "type").unwrap()["schema"]["enum"],
            json!(["articles"])
        );
    }

    #[test]
    fn names_never_collide() {
        let field = json!([{"name": "x", "type": "string"}]);
        let types: Vec<_> = ["asset", "foo", "foo_list", "list"]
            .iter()
            .map(|id| ct(json!({"api_id": id, "name": id, "fields": field})))
            .collect();
        let doc = openapi(&types, "1");
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["FooList"]["properties"]["data"]["items"]["$ref"],
            "#/components/schemas/Foo"
        );
        assert!(schemas.get("FooListType").is_some());
        assert!(schemas.get("AssetType").is_some());
        assert_eq!(schemas["Asset"]["required"][1], "url");
        let ts = typescript(&types);
        assert!(ts.contains("export interface ListType {\n"));
        assert!(ts.contains("  asset: AssetType;\n"));
    }

    #[test]
    fn typescript_declares_entries_and_envelopes() {
        let ts = typescript(&types());
        assert!(ts.starts_with("// Generated by Quire from the content types"));
        assert!(ts.contains("export interface Articles {\n  id: string;\n"));
        assert!(ts.contains("  published_at: string | null;\n"));
        assert!(ts.contains("  category: \"news\" | \"guide\" | null;\n"));
        assert!(ts.contains("  views: number | null;\n"));
        assert!(ts.contains("  seo: unknown;\n"));
        assert!(ts.contains("  cover: Asset | null;\n"));
        assert!(ts.contains("  gallery: Asset[] | null;\n"));
        assert!(ts.contains("export interface List<T> {"));
        assert!(ts.contains("export interface ContentTypes {\n  articles: Articles;\n  site_settings: SiteSettings;\n}\n"));
        assert_eq!(ts_key("a-b"), "\"a-b\"");
    }
}

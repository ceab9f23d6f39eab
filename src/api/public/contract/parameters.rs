//! The query language as parameters: the columns a query can filter, sort
//! or select, the `filter[field][op]`, `sort` and `fields` parameters, and
//! the shared ones.

use crate::model::locale::Locales;
use serde_json::{Value, json};

use super::{MAX_IN_VALUES, MAX_SORT_KEYS, OPERATORS};
use crate::model::content_type::{ContentType, Field};
use crate::model::entry::PUBLIC_SYSTEM_FIELDS;
use crate::model::field::FieldType;
use crate::model::populate::MAX_DEPTH;
use crate::model::query::{DEFAULT_LIMIT, MAX_LIMIT};

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
            FieldType::Json | FieldType::Component | FieldType::Blocks => return None,
            // Enum values and asset ids are compared as text, unchecked.
            FieldType::String
            | FieldType::Text
            | FieldType::Richtext
            | FieldType::Slug
            | FieldType::Enum
            | FieldType::Media
            | FieldType::Relation => Operand::Text,
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
pub(super) struct Column<'a> {
    pub(super) name: &'a str,
    operand: Option<Operand>,
    ordered: bool,
    textual: bool,
    values: Option<&'a [String]>,
}

/// The system columns, then the fields in definition order.
pub(super) fn columns(ct: &ContentType) -> Vec<Column<'_>> {
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
pub(super) fn filter_value(column: &Column, op: &str) -> Option<Value> {
    match (op, column.operand) {
        ("null", _) => Some(json!({ "type": "boolean" })),
        ("contains" | "starts_with", _) if column.textual => Some(json!({ "type": "string" })),
        ("eq" | "ne", Some(operand)) => Some(operand.schema()),
        ("lt" | "lte" | "gt" | "gte", Some(operand)) if column.ordered => Some(operand.schema()),
        ("in", Some(operand)) => Some(operand.list_schema()),
        _ => None,
    }
}

pub(super) fn filter_description(column: &Column, op: &str) -> String {
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

pub(super) fn filter_name(column: &str, op: &str) -> String {
    format!("filter[{column}][{op}]")
}

/// Every `filter[column][op]` the server takes for these columns.
pub(super) fn filter_params(columns: &[Column]) -> Vec<Value> {
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
pub(super) fn sort_param(columns: &[Column]) -> Value {
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
pub(super) fn fields_param(names: &[&str]) -> Value {
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

/// Most paths the contract spells out for `populate`.
const MAX_LISTED_PATHS: usize = 60;

/// Every path `populate` takes from `ct`: relations up to the depth limit,
/// and media fields of the entries they reach.
fn populate_paths<'a>(
    fields: &[Field],
    types: &dyn Fn(&str) -> Option<&'a ContentType>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    for f in fields {
        if out.len() >= MAX_LISTED_PATHS {
            return;
        }
        let path = format!("{prefix}{}", f.name);
        match (f.field_type, f.to.as_deref()) {
            (FieldType::Relation, Some(to)) => {
                out.push(path.clone());
                if depth < MAX_DEPTH
                    && let Some(target) = types(to)
                {
                    populate_paths(&target.fields, types, &format!("{path}."), depth + 1, out);
                }
            }
            (FieldType::Media, _) if depth > 1 => out.push(path),
            (FieldType::Component | FieldType::Blocks, _) if depth < MAX_DEPTH => {
                let inner = crate::model::populate::group_fields(f);
                populate_paths(&inner, types, &format!("{path}."), depth + 1, out);
            }
            _ => {}
        }
    }
}

/// `populate=author,tags.parent`, for a type with relations: the paths
/// it takes, comma separated.
pub(super) fn populate_param<'a>(
    ct: &'a ContentType,
    types: &dyn Fn(&str) -> Option<&'a ContentType>,
) -> Option<Value> {
    let mut paths = Vec::new();
    populate_paths(&ct.fields, types, "", 1, &mut paths);
    if paths.is_empty() {
        return None;
    }
    let path = format!("(?:{})", paths.join("|").replace('.', "\\."));
    Some(query_param(
        "populate",
        &format!(
            "Comma-separated relation paths (up to {MAX_DEPTH} levels) whose ids are replaced by the published entries they point at; a path may end on a media field of a related entry. Paths: {}.",
            paths.join(", ")
        ),
        json!({ "type": "string", "pattern": format!("^{path}?(?:,{path}?){{0,19}}$") }),
    ))
}

pub(super) fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "description": description, "schema": schema })
}

pub(super) fn shared_parameters(locales: &Locales) -> Value {
    let codes: Vec<&str> = locales.all().iter().map(String::as_str).collect();
    let mut or_all = codes.clone();
    or_all.push("*");
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
        "after": query_param(
            "after",
            "Keyset paging: `meta.next` of the page before, with the same sort and filters. Pages then neither skip nor repeat an entry while entries are published or unpublished. Not with `offset`.",
            json!({ "type": "string", "minLength": 1 }),
        ),
        "locale": query_param(
            "locale",
            "The locale to read the entry in (default: the first of QUIRE_LOCALES). A localized field its translation leaves unset, or a translation it lacks, comes from the locale's fallbacks (QUIRE_LOCALE_FALLBACKS, ending at the default); `meta.fallbacks` then says from which.",
            json!({ "type": "string", "enum": codes }),
        ),
        "localeOrAll": query_param(
            "locale",
            "The locale to read the entries in, each along its fallbacks (default: the first of QUIRE_LOCALES); `*` lists every translation as it is.",
            json!({ "type": "string", "enum": or_all }),
        ),
        "richtext": query_param(
            "richtext",
            "`html`: the entries' richtext fields (markdown as stored) rendered to sanitised HTML, in components and blocks too; `markdown` (default) as stored.",
            json!({ "type": "string", "enum": ["markdown", "html"], "default": "markdown" }),
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

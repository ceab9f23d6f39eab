//! The public API's contract, generated from the content types in force: an
//! OpenAPI 3.0.3 document and TypeScript declarations. Both are pure
//! functions of the types, so they can be served, committed or diffed.
//!
//! Every shape here mirrors what the public handlers really answer
//! (`Entry::to_public`, `content::embed`, `model::query`, `api::search`,
//! `api::problem`); a change to one of those is a change to this module.
//!
//! The content types' names are in `names`; the component schemas in
//! `schemas`; the query parameters (columns, filters, sort, fields) in
//! `parameters`; the operations and responses in `paths`; the TypeScript
//! declarations in `typescript`.

mod names;
mod parameters;
mod paths;
mod schemas;
mod typescript;

use crate::model::locale::Locales;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use self::names::named;
use self::parameters::shared_parameters;
use self::paths::{
    add_type_paths, events_operation, search_operation, shared_responses, sync_operation,
};
use self::schemas::{add_type_schemas, shared_schemas};
use self::typescript::{TS_ASSET, TS_ENVELOPES, TS_HEADER, ts_content_types, ts_entry_interface};
use crate::model::content_type::ContentType;

// Limits of `model::query`, `api::search` and `search::query`, which keep
// them private; the document states them so clients can stay inside.
const MAX_FILTERS: usize = 20;
const MAX_IN_VALUES: usize = 100;
const MAX_SORT_KEYS: usize = 5;
const MAX_SEARCH_HITS: i64 = 1000;
const MAX_QUERY_CHARS: usize = 500;

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

const API_DESCRIPTION: &str = "Published entries of Quire's content types, flat and cacheable. \
Every 200 carries a strong `ETag`; send it back in `If-None-Match` for a 304. \
With QUIRE_PUBLIC_ACCESS=token every route needs `Authorization: Bearer <read token>`. \
`preview=true` serves working copies to a preview or write token or an admin session. \
An unknown parameter, field or operator, or a value of the wrong type, is a 400 problem naming it.";

/// The public API's OpenAPI 3.0.3 document for these content types.
pub fn openapi(types: &[Arc<ContentType>], locales: &Locales, version: &str) -> Value {
    let named = named(types);
    let mut schemas = shared_schemas();
    let mut paths = Map::new();
    for n in &named {
        add_type_schemas(n, &mut schemas);
        add_type_paths(n, &named, &mut paths);
    }
    paths.insert("/search".into(), json!({ "get": search_operation(&named) }));
    paths.insert("/sync".into(), json!({ "get": sync_operation(&named) }));
    paths.insert("/events".into(), json!({ "get": events_operation(&named) }));
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
            "parameters": shared_parameters(locales),
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
        out.push_str(&ts_entry_interface(n, &named));
    }
    out.push_str(TS_ENVELOPES);
    out.push_str(&ts_content_types(&named));
    out
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

#[cfg(test)]
mod tests {
    use super::typescript::ts_key;
    use super::*;
    use regex::Regex;

    fn ct(v: Value) -> Arc<ContentType> {
        Arc::new(ContentType::from_json(v).unwrap())
    }

    fn two_locales() -> Locales {
        Locales::parse("en,fr", None).unwrap()
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
        let doc = openapi(&types(), &two_locales(), "1.2.3");
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
        let doc = openapi(&types(), &two_locales(), "1");
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
        let doc = openapi(&types(), &two_locales(), "1");
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
        let locales = doc["components"]["parameters"]["localeOrAll"]["schema"]["enum"].clone();
        assert_eq!(locales, serde_json::json!(["en", "fr", "*"]));
        let one = doc["components"]["parameters"]["locale"]["schema"]["enum"].clone();
        assert_eq!(
            one,
            serde_json::json!(["en", "fr"]),
            "one entry: one locale"
        );
    }

    #[test]
    fn a_singleton_answers_its_one_entry() {
        let doc = openapi(&types(), &two_locales(), "1");
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
        let doc = openapi(&types, &two_locales(), "1");
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

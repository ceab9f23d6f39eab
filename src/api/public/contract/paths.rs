//! The operations: each type's routes and the search, with the responses
//! they share.

use serde_json::{Map, Value, json};

use super::names::Named;
use super::parameters::{
    columns, fields_param, filter_description, filter_name, filter_params, filter_value,
    populate_param, query_param, sort_param,
};
use super::{
    MAX_FILTERS, MAX_QUERY_CHARS, MAX_SEARCH_HITS, OPERATORS, map, parameter_ref, response_ref,
    schema_ref,
};
use crate::api::problem::CONTENT_TYPE as PROBLEM_CONTENT_TYPE;
use crate::model::content_type::{ContentType, Kind};
use crate::model::query::MAX_LIMIT;
use crate::model::sync::{DEFAULT_SYNC_LIMIT, MAX_SYNC_LIMIT};

/// The statuses a public route answers with a problem document, and the
/// name of the shared response for each.
const PROBLEMS: [(&str, &str, &str); 5] = [
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
    (
        "503",
        "Unavailable",
        "The database does not answer and the response is not cached; `Retry-After` says when to try again.",
    ),
];

pub(super) fn shared_responses() -> Value {
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
pub(super) fn add_type_paths(n: &Named, all: &[Named], paths: &mut Map<String, Value>) {
    let ct = n.ct;
    let api_id = ct.api_id();
    let columns = columns(ct);
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let populate = populate_param(ct, &|to| {
        all.iter().find(|o| o.ct.api_id() == to).map(|o| o.ct)
    });
    let mut list_params = vec![
        parameter_ref("limit"),
        parameter_ref("offset"),
        parameter_ref("after"),
        sort_param(&columns),
        fields_param(&names),
        parameter_ref("localeOrAll"),
        parameter_ref("richtext"),
        parameter_ref("preview"),
        parameter_ref("ifNoneMatch"),
    ];
    list_params.extend(populate.clone());
    list_params.extend(filter_params(&columns));
    let list = match ct.def.kind {
        // Components are left out of the contract before this.
        Kind::Collection | Kind::Component => Operation {
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
            parameter_ref("richtext"),
            parameter_ref("preview"),
            parameter_ref("ifNoneMatch"),
        ]
        .into_iter()
        .chain(populate)
        .collect(),
        body: format!("{}Entry", n.name),
        may_be_missing: true,
    };
    paths.insert(format!("/{api_id}/{{id}}"), json!({ "get": get.to_json() }));
}

pub(super) fn search_operation(named: &[Named]) -> Value {
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
        parameter_ref("localeOrAll"),
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

/// `type=`, naming one of the types that have entries (none when there is
/// no such type).
fn type_param(named: &[Named], description: &str) -> Vec<Value> {
    let ids: Vec<&str> = named
        .iter()
        .filter(|n| n.ct.def.kind != Kind::Component)
        .map(|n| n.ct.api_id())
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    vec![query_param(
        "type",
        description,
        json!({ "type": "string", "enum": ids }),
    )]
}

/// `/sync`: the full sync, then deltas, for static-site builders.
pub(super) fn sync_operation(named: &[Named]) -> Value {
    let mut parameters = type_param(
        named,
        "Sync one content type only (and no assets). A cursor keeps it: send it again or leave it out.",
    );
    parameters.extend([
        query_param(
            "limit",
            &format!("Items per page, 1 to {MAX_SYNC_LIMIT}; asked for on every call."),
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_SYNC_LIMIT, "default": DEFAULT_SYNC_LIMIT }),
        ),
        query_param(
            "cursor",
            "A `meta.next_cursor` from an earlier page. Without it, a full sync begins.",
            json!({ "type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9_-]+$" }),
        ),
        parameter_ref("ifNoneMatch"),
    ]);
    Operation {
        id: "sync".into(),
        summary: "Sync every live entry and asset, then what changed".into(),
        description: Some(
            "Without `cursor`: every live translation (then, without `type`, every asset), a page at a time. Follow `meta.next_cursor` while `meta.has_more`; keep the last one. Called later with it, the feed returns only what changed since: the live copy of each entry published or changed (`entry`), a tombstone for each translation unpublished or deleted (`deleted`), assets added, changed (`asset`) or deleted (`deleted_asset`), types deleted (`deleted_type`). An entry may come twice; apply items in order.".into(),
        ),
        tag: "sync",
        parameters,
        body: "SyncPage".into(),
        may_be_missing: false,
    }
    .to_json()
}

/// `/events`: Server-Sent Events of public changes.
pub(super) fn events_operation(named: &[Named]) -> Value {
    let mut parameters = type_param(named, "Events of one content type only.");
    parameters.push(json!({
        "name": "Last-Event-ID",
        "in": "header",
        "description": "The `id` of the last event received: the stream first sends what came after it (up to 10,000 changes back).",
        "schema": { "type": "integer", "format": "int64", "minimum": 0 },
    }));
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "A stream that stays open: `event: published|unpublished|deleted|changed`, `id: <position in the change feed>`, `data: {\"type\", \"id\", \"locale\", \"at\"}`; a comment line every 15 s.",
            "content": { "text/event-stream": { "schema": { "type": "string" } } },
        }),
    );
    for (status, name, _) in PROBLEMS {
        if status != "404" {
            responses.insert(status.into(), response_ref(name));
        }
    }
    json!({
        "operationId": "events",
        "summary": "Stream public changes as Server-Sent Events",
        "description": "For pages that refresh live. Each event names a translation published (or whose live copy changed), unpublished or deleted. Reconnect with `Last-Event-ID` to resume; 503 with `Retry-After` when the server holds as many streams as it allows (QUIRE_EVENTS_MAX_STREAMS).",
        "tags": ["events"],
        "parameters": parameters,
        "responses": responses,
    })
}

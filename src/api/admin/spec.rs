//! The admin API's OpenAPI document as served and committed: poem-openapi's,
//! with truths it cannot state added. Optional properties of our objects
//! are `Option`s, which travel as `null`, so they are marked `nullable`;
//! request bodies refuse unknown keys, so their schemas say
//! `additionalProperties: false`; and the rules the handlers check (with
//! 422s naming the field) are stated, from the same constants, so
//! generated clients can check them first.

use serde_json::{Map, Value, json};

use crate::auth::password;
use crate::model::access::{Role, Scope};
use crate::model::locale::Locales;

/// `(schema, property, constraints)` the handlers enforce.
fn constraints() -> Vec<(&'static str, &'static str, Value)> {
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    let password = json!({"minLength": password::MIN_LENGTH, "maxLength": password::MAX_LENGTH});
    vec![
        ("UserCreate", "password", password.clone()),
        ("UserCreate", "role", json!({ "enum": roles })),
        ("UserPatch", "password", password.clone()),
        ("UserPatch", "role", json!({ "enum": roles })),
        ("PasswordChange", "new_password", password),
        ("TokenCreate", "scope", json!({ "enum": scopes })),
        (
            "TokenCreate",
            "name",
            json!({"minLength": 1, "maxLength": 100, "pattern": "\\S"}),
        ),
        ("TokenCreate", "expires_at", json!({"format": "date-time"})),
    ]
}

/// States the server's locales as the values every `locale` (query
/// parameter or body property) takes.
pub fn with_locales(mut spec: Value, locales: &Locales) -> Value {
    let codes = json!(locales.all());
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for op in paths.values_mut().filter_map(Value::as_object_mut) {
            for params in op
                .values_mut()
                .filter_map(|o| o.get_mut("parameters"))
                .filter_map(Value::as_array_mut)
            {
                for p in params.iter_mut() {
                    if p["name"] == "locale" && p["in"] == "query" {
                        p["schema"]["enum"] = codes.clone();
                    }
                }
            }
        }
    }
    for schema in ["EntryCreate", "EntryPut"] {
        if let Some(prop) =
            spec.pointer_mut(&format!("/components/schemas/{schema}/properties/locale"))
        {
            prop["enum"] = codes.clone();
        }
    }
    spec
}

/// The finished document for poem-openapi's own.
pub fn finish(mut spec: Value) -> Value {
    let bodies = request_body_schemas(&spec);
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (schema, property, rules) in constraints() {
            if let (Some(prop), Some(rules)) = (
                schemas
                    .get_mut(schema)
                    .and_then(|s| s.pointer_mut(&format!("/properties/{property}")))
                    .and_then(Value::as_object_mut),
                rules.as_object(),
            ) {
                prop.extend(rules.clone());
            }
        }
        for (name, schema) in schemas.iter_mut() {
            mark_nullable(schema);
            if bodies.iter().any(|b| b == name) {
                schema["additionalProperties"] = Value::Bool(false);
            }
        }
    }
    spec
}

/// The component names that request bodies refer to.
fn request_body_schemas(spec: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for item in spec["paths"].as_object().into_iter().flat_map(Map::values) {
        for op in item.as_object().into_iter().flat_map(Map::values) {
            for media in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flat_map(Map::values)
            {
                if let Some(r) = media["schema"]["$ref"].as_str() {
                    let name = r.trim_start_matches("#/components/schemas/").to_string();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
        }
    }
    names
}

/// Every property an object does not require may be `null`.
fn mark_nullable(schema: &mut Value) {
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, prop) in props.iter_mut() {
        if required.contains(name) {
            continue;
        }
        if let Some(r) = prop.get("$ref").cloned() {
            // `nullable` beside a `$ref` is ignored in OpenAPI 3.0.
            let mut wrapped = Map::new();
            wrapped.insert(
                "allOf".into(),
                Value::Array(vec![serde_json::json!({ "$ref": r })]),
            );
            wrapped.insert("nullable".into(), Value::Bool(true));
            *prop = Value::Object(wrapped);
        } else if let Some(obj) = prop.as_object_mut() {
            obj.insert("nullable".into(), Value::Bool(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_properties_are_nullable_and_bodies_closed() {
        let spec = finish(json!({
            "paths": {"/x": {"post": {"requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/In"}}}}}}},
            "components": {"schemas": {
                "In": {"type": "object", "required": ["a"], "properties": {
                    "a": {"type": "string"}, "b": {"type": "string"}}},
                "Out": {"type": "object", "properties": {"c": {"$ref": "#/components/schemas/In"}}}
            }}
        }));
        let s = &spec["components"]["schemas"];
        assert_eq!(s["In"]["additionalProperties"], false);
        assert!(s["In"]["properties"]["a"].get("nullable").is_none());
        assert_eq!(s["In"]["properties"]["b"]["nullable"], true);
        assert!(s["Out"].get("additionalProperties").is_none());
        assert_eq!(s["Out"]["properties"]["c"]["nullable"], true);
        assert_eq!(
            s["Out"]["properties"]["c"]["allOf"][0]["$ref"],
            "#/components/schemas/In"
        );
    }
}

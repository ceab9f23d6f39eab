//! Schemas for JSON the handlers read or write themselves.
//!
//! A content-type definition is parsed by `model::content_type` (so its
//! errors name their path, `fields[2].pattern`, with a 422) and a search
//! result is assembled from whatever fields each type has. Both travel as
//! [`Documented`] values: plain JSON on the wire, documented in the OpenAPI
//! document by a schema of their own, so generated clients get real types.

use std::borrow::Cow;
use std::collections::HashMap;
use std::marker::PhantomData;

use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{Enum, Object};
use serde_json::Value;

/// A JSON string, and only a string, in a request body: poem-openapi's own
/// `String` also takes numbers and booleans (`"name": -4857` would be
/// stored as `"-4857"`), which the documents say is not a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl Text {
    pub fn into_inner(self) -> String {
        self.0
    }

    /// A list of texts as strings.
    pub fn all(list: Vec<Text>) -> Vec<String> {
        list.into_iter().map(Text::into_inner).collect()
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        String::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        String::schema_ref()
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Ok(Text(s)),
            other => Err(poem_openapi::types::ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// JSON the handler checks itself, documented by `S`'s schema.
pub struct Documented<S>(pub Value, PhantomData<fn() -> S>);

impl<S> std::fmt::Debug for Documented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<S> Documented<S> {
    pub fn new(value: Value) -> Self {
        Documented(value, PhantomData)
    }
}

impl<S: Type> Type for Documented<S> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Value;
    type RawElementValueType = Value;

    fn name() -> Cow<'static, str> {
        S::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        S::schema_ref()
    }

    fn register(registry: &mut Registry) {
        S::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Value> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Value> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl<S: Type> ParseFromJSON for Documented<S> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Ok(Documented::new(value.unwrap_or_default()))
    }
}

impl<S: Type> ToJSON for Documented<S> {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}

#[derive(Debug, Enum)]
#[oai(rename_all = "lowercase")]
pub enum KindName {
    Collection,
    Singleton,
    Component,
}

#[derive(Debug, Enum)]
#[oai(rename_all = "lowercase")]
pub enum FieldTypeName {
    String,
    Text,
    Richtext,
    Integer,
    Number,
    Boolean,
    Date,
    Datetime,
    Enum,
    Json,
    Slug,
    Media,
    Relation,
    Component,
    Blocks,
}

#[derive(Debug, Enum)]
#[oai(rename_all = "lowercase")]
pub enum OnDeleteName {
    Restrict,
    Nullify,
}

/// A content type as written: through the API or in `content-types/`.
#[derive(Debug, Object)]
#[oai(rename = "ContentTypeDefinition", deny_unknown_fields)]
pub struct ContentTypeDefinition {
    /// Lower snake case; not one of Quire's own route names. Required to
    /// create a type; on `PUT` it defaults to the path's.
    #[oai(validator(pattern = "^[a-z](_?[a-z0-9])*$", max_length = 64))]
    pub api_id: Option<String>,
    pub name: String,
    /// `collection` (default), `singleton` or `component` (a reusable group
    /// of fields for other types' component and blocks fields; no entries).
    pub kind: Option<KindName>,
    pub description: Option<String>,
    /// Language of its text for search stemming (`en` when unset).
    pub language: Option<String>,
    /// `Cache-Control` lifetimes of its public answers (default: caches
    /// revalidate every time).
    pub cache: Option<CacheSettings>,
    /// Where its site renders a working copy, for the editor's "Open
    /// preview": `https://site.example/preview/{slug}?token={token}`, with
    /// `{field}` for any top-level field, `{id}`, `{locale}` and `{token}`
    /// (a preview token for that one entry, valid 15 minutes).
    pub preview_url: Option<String>,
    pub fields: Vec<FieldDefinition>,
}

/// How long browsers and CDNs may keep a type's public answers, in seconds
/// (at most a year each).
#[derive(Debug, Object)]
#[oai(rename = "CacheSettings", deny_unknown_fields)]
pub struct CacheSettings {
    /// `max-age`: how long a browser may reuse an answer.
    #[oai(validator(minimum(value = "0"), maximum(value = "31536000")))]
    pub max_age: Option<u32>,
    /// `s-maxage`: how long a shared cache (a CDN) may.
    #[oai(validator(minimum(value = "0"), maximum(value = "31536000")))]
    pub s_maxage: Option<u32>,
    /// `stale-while-revalidate`: how long a stale answer may be served
    /// while a fresh one is fetched.
    #[oai(validator(minimum(value = "0"), maximum(value = "31536000")))]
    pub stale_while_revalidate: Option<u32>,
}

/// One field of a content type and its rules.
#[derive(Debug, Object)]
#[oai(rename = "FieldDefinition", deny_unknown_fields)]
pub struct FieldDefinition {
    /// Lower snake case; not a system field's name.
    #[oai(validator(pattern = "^[a-z](_?[a-z0-9])*$", max_length = 64))]
    pub name: String,
    #[oai(rename = "type")]
    pub field_type: FieldTypeName,
    /// Free text for the admin UI.
    pub label: Option<String>,
    pub required: Option<bool>,
    pub unique: Option<bool>,
    /// A value of the field's type, given to entries that leave it out.
    pub default: Option<Value>,
    /// Smallest number (integer, number).
    pub min: Option<f64>,
    /// Largest number (integer, number).
    pub max: Option<f64>,
    /// Fewest characters (string, text, richtext, slug).
    pub min_length: Option<u32>,
    /// Most characters (string, text, richtext, slug).
    pub max_length: Option<u32>,
    /// A regular expression every value must match (string, text, slug).
    pub pattern: Option<String>,
    /// The allowed values (enum).
    pub values: Option<Vec<String>>,
    /// The field a slug is made from.
    pub from: Option<String>,
    /// Indexed for full-text search (string, text, richtext).
    pub searchable: Option<bool>,
    /// A database index on the field's live values, for fast public
    /// filters (string, integer, number, boolean, date, datetime, enum; a
    /// type's own fields).
    pub index: Option<bool>,
    /// How much a match here weighs (default 1).
    pub boost: Option<f64>,
    /// A list rather than one (media, relation; a relation list is ordered
    /// and names each entry once).
    pub multiple: Option<bool>,
    /// The field's previous name: the change renames it and keeps its
    /// values (in working, live and revision copies) instead of removing
    /// one field and adding another. Ignored once applied.
    #[oai(validator(pattern = "^[a-z](_?[a-z0-9])*$", max_length = 64))]
    pub renamed_from: Option<String>,
    /// The fields of an inline component (component).
    pub fields: Option<Vec<FieldDefinition>>,
    /// A reusable component: the api_id of a type of kind `component`
    /// (component; instead of `fields`).
    pub component: Option<String>,
    /// An ordered list of groups rather than one (component).
    pub repeatable: Option<bool>,
    /// The components each item may be, by api_id (blocks; required).
    pub components: Option<Vec<String>>,
    /// The content type a relation points at (relation; required).
    pub to: Option<String>,
    /// What deleting a target does (relation): `restrict` (default) refuses
    /// the delete while it is referenced, `nullify` removes the reference.
    pub on_delete: Option<OnDeleteName>,
    /// MIME types a media field takes, such as `image/*`.
    pub accept: Option<Vec<String>>,
    /// A value per locale (a type's own fields); other fields are shared by
    /// all of an entry's translations.
    pub localized: Option<bool>,
}

/// One search hit: the entry's fields (its working copy) beside these.
#[derive(Debug, Object)]
#[oai(rename = "SearchHit")]
pub struct SearchHit {
    pub id: String,
    /// The content type's api id.
    #[oai(rename = "type")]
    pub content_type: String,
    pub score: f64,
    /// Searchable fields with the matched words in `<mark>`.
    pub highlights: HashMap<String, String>,
    /// `draft`, `published` or `changed`.
    pub status: String,
    /// The entry's own fields.
    #[oai(flatten)]
    pub fields: HashMap<String, Value>,
}

#[derive(Debug, Object)]
#[oai(rename = "SearchMeta")]
pub struct SearchMeta {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    pub took_ms: i64,
}

/// `GET /search`: the best matches first.
#[derive(Debug, Object)]
#[oai(rename = "SearchResult")]
pub struct SearchResult {
    pub data: Vec<SearchHit>,
    pub meta: SearchMeta,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::content_type::ContentTypeDef;

    #[test]
    fn text_takes_only_strings() {
        assert_eq!(
            Text::parse_from_json(Some(Value::from("a"))).ok(),
            Some(Text("a".into()))
        );
        assert!(Text::parse_from_json(Some(Value::from(-4857))).is_err());
        assert!(Text::parse_from_json(Some(Value::from(true))).is_err());
    }

    /// Every key a stored definition can hold, as the model writes it.
    fn model_keys() -> (Vec<String>, Vec<String>) {
        let def: ContentTypeDef = serde_json::from_value(serde_json::json!({
            "api_id": "a", "name": "A", "kind": "collection", "description": "d", "language": "en",
            "cache": {"max_age": 1, "s_maxage": 2, "stale_while_revalidate": 3},
            "preview_url": "https://site.example/{f}",
            "fields": [{"name": "f", "type": "string", "label": "l", "required": true,
                "unique": true, "default": "x", "min": 1, "max": 2, "min_length": 1,
                "max_length": 2, "pattern": "x", "values": ["x"], "from": "g",
                "searchable": true, "index": true, "boost": 2.0, "multiple": true, "accept": ["image/*"],
                "to": "b", "on_delete": "nullify", "renamed_from": "h", "localized": true,
                "fields": [], "component": "c", "repeatable": true, "components": ["c"]}]
        }))
        .unwrap_or_else(|e| panic!("the model reads every key: {e}"));
        let v = serde_json::to_value(&def).unwrap_or_default();
        let keys = |o: &Value| {
            o.as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        (keys(&v), keys(&v["fields"][0]))
    }

    fn schema_keys(registry: &Registry, name: &str) -> Vec<String> {
        registry.schemas[name]
            .properties
            .iter()
            .map(|(k, _)| k.to_string())
            .collect()
    }

    #[test]
    fn every_documented_field_type_is_one_the_model_reads() {
        let mut registry = Registry::new();
        FieldTypeName::register(&mut registry);
        let names: Vec<String> = registry.schemas["FieldTypeName"]
            .enum_items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert_eq!(names.len(), 15, "{names:?}");
        for name in names {
            let parsed: Result<crate::model::field::FieldType, _> =
                serde_json::from_value(Value::String(name.clone()));
            assert!(parsed.is_ok(), "the model reads `{name}`");
        }
    }

    #[test]
    fn the_documented_definition_has_the_models_keys() {
        let mut registry = Registry::new();
        ContentTypeDefinition::register(&mut registry);
        let (types, fields) = model_keys();
        let mut documented = schema_keys(&registry, "ContentTypeDefinition");
        let mut model = types;
        documented.sort();
        model.sort();
        assert_eq!(documented, model);
        let mut documented = schema_keys(&registry, "FieldDefinition");
        let mut model = fields;
        documented.sort();
        model.sort();
        assert_eq!(documented, model);
    }
}

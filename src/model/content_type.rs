//! Content types: a definition as users write it, parsed into a
//! [`ContentType`] that cannot hold a bad rule.

use std::collections::HashSet;
use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::field::{FieldDef, FieldType};
use super::field_rules::check_field_rules;
use super::names::{RESERVED_API_IDS, SYSTEM_FIELDS, is_snake_case};
use super::{FieldError, validate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Collection,
    Singleton,
    /// A reusable group of fields, used by component and blocks fields of
    /// other types; it has no entries of its own.
    Component,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Collection => "collection",
            Kind::Singleton => "singleton",
            Kind::Component => "component",
        }
    }
}

/// A content type as written in JSON, through the API or in `content-types/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentTypeDef {
    pub api_id: String,
    pub name: String,
    #[serde(default)]
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The language of its text, for search stemming (`en` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// How long browsers and CDNs may keep its public answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CachePolicy>,
    /// Where its site shows a working copy: `https://site.example/preview/{slug}?token={token}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
    pub fields: Vec<FieldDef>,
}

/// The longest a cache may be told to keep an answer: a year.
pub const MAX_CACHE_SECONDS: u32 = 31_536_000;

/// `Cache-Control` lifetimes for a type's public answers, in seconds:
/// `max_age` for browsers, `s_maxage` for shared caches (CDNs),
/// `stale_while_revalidate` for serving a stale copy while fetching anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachePolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s_maxage: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_while_revalidate: Option<u32>,
}

impl CachePolicy {
    /// The `Cache-Control` value: without a lifetime, caches must ask
    /// again every time (and get a 304 while the ETag holds).
    pub fn header(policy: Option<&CachePolicy>) -> String {
        let p = policy.copied().unwrap_or_default();
        let mut out = format!("public, max-age={}", p.max_age.unwrap_or(0));
        if let Some(s) = p.s_maxage {
            out.push_str(&format!(", s-maxage={s}"));
        }
        if let Some(s) = p.stale_while_revalidate {
            out.push_str(&format!(", stale-while-revalidate={s}"));
        }
        if p.max_age.unwrap_or(0) == 0 && p.s_maxage.is_none() {
            out.push_str(", must-revalidate");
        }
        out
    }

    fn check(&self, errors: &mut Vec<FieldError>) {
        let all = [
            ("max_age", self.max_age),
            ("s_maxage", self.s_maxage),
            ("stale_while_revalidate", self.stale_while_revalidate),
        ];
        for (name, value) in all {
            if value.is_some_and(|v| v > MAX_CACHE_SECONDS) {
                errors.push(FieldError::new(
                    format!("cache.{name}"),
                    "max",
                    format!("at most {MAX_CACHE_SECONDS} seconds (a year)"),
                ));
            }
        }
    }
}

/// A field with its rules ready to apply.
#[derive(Debug, Clone)]
pub struct Field {
    pub def: FieldDef,
    pub pattern: Option<Regex>,
    /// The fields a component or blocks field holds, once known: inline
    /// ones when parsed, reusable ones when resolved against the registry.
    pub nested: Nested,
}

/// What a component or blocks field holds.
#[derive(Debug, Clone, Default)]
pub enum Nested {
    /// Not a nested field, or a reusable component not resolved (yet).
    #[default]
    None,
    /// The fields of a component.
    Group(Arc<Vec<Field>>),
    /// Each kind a blocks field takes, with its fields.
    Kinds(Vec<(String, Arc<Vec<Field>>)>),
}

/// Deepest nesting of components and blocks in an entry.
pub const MAX_NESTING: usize = 5;

impl std::ops::Deref for Field {
    type Target = FieldDef;
    fn deref(&self) -> &FieldDef {
        &self.def
    }
}

/// A checked content type.
#[derive(Debug, Clone)]
pub struct ContentType {
    pub def: ContentTypeDef,
    pub fields: Vec<Field>,
}

const MAX_FIELDS: usize = 200;
/// The search index has this many text slots for a type's searchable fields.
pub const MAX_SEARCHABLE: usize = 16;
/// Languages search can stem.
pub const LANGUAGES: &[&str] = &[
    "ar", "da", "de", "el", "en", "es", "fi", "fr", "hu", "it", "nl", "no", "pt", "ro", "ru", "sv",
    "ta", "tr",
];

impl ContentType {
    /// Reads a definition from untrusted JSON, naming the path of any error.
    pub fn from_json(value: Value) -> Result<ContentType, Vec<FieldError>> {
        let def: ContentTypeDef = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            vec![FieldError::new(path, "schema", e.inner().to_string())]
        })?;
        ContentType::parse(def)
    }

    /// Checks every rule of a definition and compiles its patterns.
    pub fn parse(def: ContentTypeDef) -> Result<ContentType, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !is_snake_case(&def.api_id) {
            errors.push(FieldError::new(
                "api_id",
                "snake_case",
                "must be lower snake case (a-z, 0-9, _), starting with a letter",
            ));
        } else if RESERVED_API_IDS.contains(&def.api_id.as_str()) {
            errors.push(FieldError::new(
                "api_id",
                "reserved",
                format!("`{}` is reserved for Quire's own routes", def.api_id),
            ));
        }
        if def.name.trim().is_empty() || def.name.chars().count() > 100 {
            errors.push(FieldError::new(
                "name",
                "length",
                "must be 1 to 100 characters",
            ));
        }
        if def.fields.len() > MAX_FIELDS {
            errors.push(FieldError::new(
                "fields",
                "max_items",
                format!("at most {MAX_FIELDS} fields"),
            ));
        }
        if let Some(lang) = &def.language
            && !LANGUAGES.contains(&lang.as_str())
        {
            errors.push(FieldError::new(
                "language",
                "values",
                format!("search stems one of: {}", LANGUAGES.join(", ")),
            ));
        }
        if let Some(c) = &def.cache {
            if def.kind == Kind::Component {
                errors.push(FieldError::new(
                    "cache",
                    "component",
                    "a component has no public answers of its own to cache",
                ));
            }
            c.check(&mut errors);
        }
        if let Some(template) = &def.preview_url {
            let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
            super::preview::check(template, &names, &mut errors);
        }
        if def.fields.iter().filter(|f| f.searchable).count() > MAX_SEARCHABLE {
            errors.push(FieldError::new(
                "fields",
                "max_searchable",
                format!("at most {MAX_SEARCHABLE} searchable fields"),
            ));
        }
        let fields = parse_fields(&def.fields, "", 1, def.kind == Kind::Component, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ContentType { def, fields })
    }

    pub fn api_id(&self) -> &str {
        &self.def.api_id
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field that gives entries their URL slug, if any.
    pub fn slug_field(&self) -> Option<&Field> {
        self.fields.iter().find(|f| f.field_type == FieldType::Slug)
    }

    /// The fields indexed for search, in definition order (their slot).
    pub fn searchable_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.searchable)
    }

    /// Fields other than the slug that must hold distinct values.
    pub fn unique_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|f| f.unique && f.field_type != FieldType::Slug)
    }

    /// The relation fields, with the type each points at.
    pub fn relations(&self) -> impl Iterator<Item = (&Field, &str)> {
        self.fields
            .iter()
            .filter(|f| f.field_type == FieldType::Relation)
            .filter_map(|f| Some((f, f.to.as_deref()?)))
    }

    /// The types this type's relations point at, inside its components and
    /// blocks too.
    pub fn relation_targets(&self) -> Vec<&str> {
        fn walk<'a>(fields: &'a [Field], out: &mut Vec<&'a str>) {
            for f in fields {
                if f.field_type == FieldType::Relation
                    && let Some(to) = f.to.as_deref()
                {
                    out.push(to);
                }
                match &f.nested {
                    Nested::None => {}
                    Nested::Group(group) => walk(group, out),
                    Nested::Kinds(kinds) => kinds.iter().for_each(|(_, g)| walk(g, out)),
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.fields, &mut out);
        out
    }

    /// Relation fields pointing at a type `exists` does not know (a type
    /// may always point at itself).
    pub fn unknown_targets(&self, exists: &dyn Fn(&str) -> bool) -> Vec<FieldError> {
        self.fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let to = f.to.as_deref()?;
                (f.field_type == FieldType::Relation && to != self.api_id() && !exists(to)).then(
                    || {
                        FieldError::new(
                            format!("fields[{i}].to"),
                            "unknown_type",
                            format!("`{to}` is not a content type"),
                        )
                    },
                )
            })
            .collect()
    }
}

/// Parses a list of field definitions at `prefix` (`""` for a type's own,
/// `fields[2].` for an inline component's), `depth` levels deep; inside a
/// component (`nested`) the rules that need a column of their own (slug,
/// unique, search) do not apply.
fn parse_fields(
    defs: &[FieldDef],
    prefix: &str,
    depth: usize,
    nested: bool,
    errors: &mut Vec<FieldError>,
) -> Vec<Field> {
    let mut seen = HashSet::new();
    let mut fields = Vec::with_capacity(defs.len());
    for (i, f) in defs.iter().enumerate() {
        let at = |rule: &str| format!("{prefix}fields[{i}].{rule}");
        if !is_snake_case(&f.name) {
            errors.push(FieldError::new(
                at("name"),
                "snake_case",
                format!("`{}` must be lower snake case", f.name),
            ));
        } else if !nested && SYSTEM_FIELDS.contains(&f.name.as_str()) {
            errors.push(FieldError::new(
                at("name"),
                "reserved",
                format!("`{}` is a system field of every entry", f.name),
            ));
        } else if nested && f.name == "kind" {
            errors.push(FieldError::new(
                at("name"),
                "reserved",
                "`kind` tags each item of a blocks field",
            ));
        } else if !seen.insert(f.name.as_str()) {
            errors.push(FieldError::new(
                at("name"),
                "duplicate",
                format!("`{}` is defined twice", f.name),
            ));
        }
        if nested {
            let column_rule = if f.field_type == FieldType::Slug {
                Some("type")
            } else if f.unique {
                Some("unique")
            } else if f.index {
                Some("index")
            } else if f.searchable {
                Some("searchable")
            } else if f.on_delete == Some(crate::model::field::OnDelete::Nullify) {
                Some("on_delete")
            } else if f.localized {
                Some("localized")
            } else {
                None
            };
            if let Some(rule) = column_rule {
                errors.push(FieldError::new(
                    at(rule),
                    "not_in_component",
                    "slugs, unique values, indexes, search, on_delete nullify and localized apply to a type's own fields, not inside a component (a localized component field is translated whole)",
                ));
            }
        }
        let pattern = check_field_rules(f, defs, &at, errors);
        let mut inner = Nested::None;
        if let Some(sub) = &f.fields {
            if depth >= MAX_NESTING {
                errors.push(FieldError::new(
                    at("fields"),
                    "depth",
                    format!("components nest at most {MAX_NESTING} levels"),
                ));
            } else {
                let sub_prefix = format!("{prefix}fields[{i}].");
                inner = Nested::Group(Arc::new(parse_fields(
                    sub,
                    &sub_prefix,
                    depth + 1,
                    true,
                    errors,
                )));
            }
        }
        let field = Field {
            def: f.clone(),
            pattern,
            nested: inner,
        };
        // A default must itself be a valid value of its field.
        if let Some(d) = &field.default
            && let Err(e) = validate::check_value(&field, d)
        {
            errors.push(FieldError::new(at("default"), e.rule, e.message));
        }
        fields.push(field);
    }
    fields
}

impl ContentType {
    /// This type with its reusable components (`"component": "seo"`, blocks'
    /// `components`) filled in from `lookup`, nesting at most
    /// [`MAX_NESTING`] levels; a component `lookup` lacks stays unresolved,
    /// and an entry using it is refused.
    pub fn resolved(&self, lookup: &dyn Fn(&str) -> Option<Arc<ContentType>>) -> ContentType {
        ContentType {
            def: self.def.clone(),
            fields: resolve_fields(&self.fields, lookup, 1),
        }
    }

    /// Some component or blocks field, at any depth, uses component `api_id`.
    pub fn uses_component(&self, api_id: &str) -> bool {
        fn uses(defs: &[FieldDef], api_id: &str) -> bool {
            defs.iter().any(|f| {
                f.component.as_deref() == Some(api_id)
                    || f.components.iter().flatten().any(|c| c == api_id)
                    || f.fields.as_deref().is_some_and(|sub| uses(sub, api_id))
            })
        }
        uses(&self.def.fields, api_id)
    }

    /// Components and blocks fields name components that `exists` does not
    /// know as types of kind component.
    pub fn unknown_components(&self, exists: &dyn Fn(&str) -> bool) -> Vec<FieldError> {
        let mut errors = Vec::new();
        unknown_components_in(&self.def.fields, "", exists, &mut errors);
        errors
    }
}

fn unknown_components_in(
    defs: &[FieldDef],
    prefix: &str,
    exists: &dyn Fn(&str) -> bool,
    errors: &mut Vec<FieldError>,
) {
    for (i, f) in defs.iter().enumerate() {
        for c in f.component.iter().chain(f.components.iter().flatten()) {
            if !exists(c) {
                errors.push(FieldError::new(
                    format!(
                        "{prefix}fields[{i}].{}",
                        if f.component.is_some() {
                            "component"
                        } else {
                            "components"
                        }
                    ),
                    "unknown_component",
                    format!("`{c}` is not a content type of kind component"),
                ));
            }
        }
        if let Some(sub) = &f.fields {
            unknown_components_in(sub, &format!("{prefix}fields[{i}]."), exists, errors);
        }
    }
}

fn resolve_fields(
    fields: &[Field],
    lookup: &dyn Fn(&str) -> Option<Arc<ContentType>>,
    depth: usize,
) -> Vec<Field> {
    let component = |api_id: &str| -> Option<Arc<Vec<Field>>> {
        if depth >= MAX_NESTING {
            return None;
        }
        let ct = lookup(api_id).filter(|c| c.def.kind == Kind::Component)?;
        Some(Arc::new(resolve_fields(&ct.fields, lookup, depth + 1)))
    };
    fields
        .iter()
        .map(|f| {
            let nested = match (&f.nested, &f.component, &f.components) {
                (Nested::Group(inline), _, _) if depth < MAX_NESTING => {
                    Nested::Group(Arc::new(resolve_fields(inline, lookup, depth + 1)))
                }
                (_, Some(api_id), _) => component(api_id).map_or(Nested::None, Nested::Group),
                (_, _, Some(kinds)) => Nested::Kinds(
                    kinds
                        .iter()
                        .filter_map(|k| Some((k.clone(), component(k)?)))
                        .collect(),
                ),
                (other, _, _) => other.clone(),
            };
            Field {
                def: f.def.clone(),
                pattern: f.pattern.clone(),
                nested,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cache_lifetimes_make_the_cache_control_header() {
        assert_eq!(
            CachePolicy::header(None),
            "public, max-age=0, must-revalidate"
        );
        let p = CachePolicy {
            max_age: Some(60),
            s_maxage: Some(600),
            stale_while_revalidate: Some(30),
        };
        assert_eq!(
            CachePolicy::header(Some(&p)),
            "public, max-age=60, s-maxage=600, stale-while-revalidate=30"
        );
        let cdn_only = CachePolicy {
            s_maxage: Some(300),
            ..CachePolicy::default()
        };
        assert_eq!(
            CachePolicy::header(Some(&cdn_only)),
            "public, max-age=0, s-maxage=300"
        );
    }

    #[test]
    fn cache_lifetimes_are_bounded_and_named() {
        let errors = parse(json!({"api_id": "a", "name": "A", "fields": [],
            "cache": {"max_age": 40_000_000u32}}))
        .err()
        .unwrap_or_default();
        assert_eq!(errors[0].field, "cache.max_age");
        let errors = parse(json!({"api_id": "a", "name": "A", "fields": [],
            "cache": {"max_age": -1}}))
        .err()
        .unwrap_or_default();
        assert_eq!(errors[0].field, "cache.max_age");
        let errors = parse(json!({"api_id": "a", "name": "A", "fields": [],
            "cache": {"ttl": 1}}))
        .err()
        .unwrap_or_default();
        assert_eq!(errors[0].field, "cache.ttl");
    }

    fn parse(v: Value) -> Result<ContentType, Vec<FieldError>> {
        ContentType::from_json(v)
    }

    #[test]
    fn parses_the_issue_example() {
        let ct = parse(
            json!({"api_id": "articles", "name": "Article", "kind": "collection",
            "fields": [{"name": "title", "type": "string", "required": true, "max_length": 200},
                       {"name": "slug", "type": "slug", "from": "title"}]}),
        )
        .unwrap();
        assert_eq!(ct.slug_field().unwrap().name, "slug");
    }

    #[test]
    fn refuses_system_field_names_with_the_path() {
        let errs = parse(json!({"api_id": "a", "name": "A",
            "fields": [{"name": "published_at", "type": "string"}]}))
        .unwrap_err();
        assert_eq!(errs[0].field, "fields[0].name");
        assert_eq!(errs[0].rule, "reserved");
    }

    #[test]
    fn unknown_type_names_its_path() {
        let errs = parse(json!({"api_id": "a", "name": "A",
            "fields": [{"name": "x", "type": "colour"}]}))
        .unwrap_err();
        assert_eq!(errs[0].field, "fields[0].type");
    }

    #[test]
    fn rule_on_wrong_type_is_refused() {
        let errs = parse(json!({"api_id": "a", "name": "A",
            "fields": [{"name": "x", "type": "boolean", "max_length": 3}]}))
        .unwrap_err();
        assert_eq!(errs[0].rule, "not_applicable");
    }

    #[test]
    fn default_must_be_valid() {
        let errs = parse(json!({"api_id": "a", "name": "A",
            "fields": [{"name": "n", "type": "integer", "max": 5, "default": 9}]}))
        .unwrap_err();
        assert_eq!(errs[0].field, "fields[0].default");
        assert_eq!(errs[0].rule, "max");
    }
}

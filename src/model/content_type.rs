//! Content types: a definition as users write it, parsed into a
//! [`ContentType`] that cannot hold a bad rule.

use std::collections::HashSet;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::field::{FieldDef, FieldType};
use super::names::{RESERVED_API_IDS, SYSTEM_FIELDS, is_snake_case};
use super::{FieldError, validate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Collection,
    Singleton,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Collection => "collection",
            Kind::Singleton => "singleton",
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
    pub fields: Vec<FieldDef>,
}

/// A field with its rules ready to apply.
#[derive(Debug, Clone)]
pub struct Field {
    pub def: FieldDef,
    pub pattern: Option<Regex>,
}

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
const MAX_PATTERN_LEN: usize = 1000;

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
        if def.fields.iter().filter(|f| f.searchable).count() > MAX_SEARCHABLE {
            errors.push(FieldError::new(
                "fields",
                "max_searchable",
                format!("at most {MAX_SEARCHABLE} searchable fields"),
            ));
        }
        let mut seen = HashSet::new();
        let mut fields = Vec::with_capacity(def.fields.len());
        for (i, f) in def.fields.iter().enumerate() {
            let at = |rule: &str| format!("fields[{i}].{rule}");
            if !is_snake_case(&f.name) {
                errors.push(FieldError::new(
                    at("name"),
                    "snake_case",
                    format!("`{}` must be lower snake case", f.name),
                ));
            } else if SYSTEM_FIELDS.contains(&f.name.as_str()) {
                errors.push(FieldError::new(
                    at("name"),
                    "reserved",
                    format!("`{}` is a system field of every entry", f.name),
                ));
            } else if !seen.insert(f.name.as_str()) {
                errors.push(FieldError::new(
                    at("name"),
                    "duplicate",
                    format!("`{}` is defined twice", f.name),
                ));
            }
            let pattern = check_field_rules(f, &def.fields, &at, &mut errors);
            fields.push(Field {
                def: f.clone(),
                pattern,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let ct = ContentType { def, fields };
        // A default must itself be a valid value of its field.
        for (i, f) in ct.fields.iter().enumerate() {
            if let Some(d) = &f.default
                && let Err(e) = validate::check_value(f, d)
            {
                errors.push(FieldError::new(
                    format!("fields[{i}].default"),
                    e.rule,
                    e.message,
                ));
            }
        }
        if errors.is_empty() {
            Ok(ct)
        } else {
            Err(errors)
        }
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

/// Checks that each rule fits its field's type; returns the compiled pattern.
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

fn check_field_rules(
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
    if t.holds_ids() && f.default.is_some() {
        not_for("default");
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

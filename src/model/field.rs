//! Field definitions: the types a field can have and the rules it can carry.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
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
    /// Uploaded assets, by id: one, or a list with `multiple`.
    Media,
    /// Other entries, by id: one, or an ordered list with `multiple`.
    Relation,
    /// A nested group of fields (`fields`, or a reusable `component`); an
    /// ordered list of groups with `repeatable`.
    Component,
    /// An ordered list of groups, each of one of several components,
    /// tagged by `kind`: the page-builder pattern.
    Blocks,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Text => "text",
            FieldType::Richtext => "richtext",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Enum => "enum",
            FieldType::Json => "json",
            FieldType::Slug => "slug",
            FieldType::Media => "media",
            FieldType::Relation => "relation",
            FieldType::Component => "component",
            FieldType::Blocks => "blocks",
        }
    }

    /// Holds a JSON string.
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            FieldType::String
                | FieldType::Text
                | FieldType::Richtext
                | FieldType::Slug
                | FieldType::Enum
                | FieldType::Date
                | FieldType::Datetime
        )
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Number)
    }

    /// Can take `min_length`/`max_length`.
    pub fn has_length(self) -> bool {
        matches!(
            self,
            FieldType::String | FieldType::Text | FieldType::Richtext | FieldType::Slug
        )
    }

    /// Can be sorted and compared with `lt`/`gt`.
    pub fn is_ordered(self) -> bool {
        !matches!(
            self,
            FieldType::Json
                | FieldType::Boolean
                | FieldType::Media
                | FieldType::Relation
                | FieldType::Component
                | FieldType::Blocks
        )
    }

    /// Holds nested groups of fields.
    pub fn is_nested(self) -> bool {
        matches!(self, FieldType::Component | FieldType::Blocks)
    }

    /// Holds ids of other things (assets or entries), one or a list.
    pub fn holds_ids(self) -> bool {
        matches!(self, FieldType::Media | FieldType::Relation)
    }

    /// Can be searched in full text.
    pub fn is_searchable(self) -> bool {
        matches!(
            self,
            FieldType::String | FieldType::Text | FieldType::Richtext
        )
    }

    /// Can carry `index`: one scalar value that filters compare. (A slug
    /// has its own column and index; relations filter through their links.)
    pub fn can_be_indexed(self) -> bool {
        matches!(
            self,
            FieldType::String
                | FieldType::Integer
                | FieldType::Number
                | FieldType::Boolean
                | FieldType::Date
                | FieldType::Datetime
                | FieldType::Enum
        )
    }

    /// Can carry `unique` (values that compare well as text or numbers).
    pub fn can_be_unique(self) -> bool {
        !matches!(
            self,
            FieldType::Json
                | FieldType::Boolean
                | FieldType::Richtext
                | FieldType::Text
                | FieldType::Media
                | FieldType::Relation
                | FieldType::Component
                | FieldType::Blocks
        )
    }
}

/// What deleting an entry does to the relation fields that point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnDelete {
    /// The delete is refused while the entry is referenced.
    #[default]
    Restrict,
    /// The reference is taken out of the entries that hold it.
    Nullify,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One field of a content type, as written in its JSON definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Indexed for full-text search (string, text and richtext fields).
    #[serde(default, skip_serializing_if = "is_false")]
    pub searchable: bool,
    /// A database index on the live copies' value, so public filters on
    /// the field (and a page of them by publication) read only what
    /// matches (scalar fields of a type's own).
    #[serde(default, skip_serializing_if = "is_false")]
    pub index: bool,
    /// How much a match in this field weighs against others (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boost: Option<f64>,
    /// A media or relation field holding a list rather than one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
    /// The content type a relation points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The field's previous name: a change of the type renames it, values
    /// included, instead of removing one field and adding another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The fields of an inline component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldDef>>,
    /// A reusable component: the api_id of a type of kind `component`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// A component field holding an ordered list of groups.
    #[serde(default, skip_serializing_if = "is_false")]
    pub repeatable: bool,
    /// The components a blocks field takes, by api_id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
    /// What deleting a target does to this relation (`restrict` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<OnDelete>,
    /// MIME types a media field takes, such as `image/*` or `application/pdf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<Vec<String>>,
    /// A value per locale; other fields are shared by all translations.
    #[serde(default, skip_serializing_if = "is_false")]
    pub localized: bool,
}

impl FieldDef {
    /// Slugs are unique within their type whether or not the flag is set.
    pub fn is_unique(&self) -> bool {
        self.unique || self.field_type == FieldType::Slug
    }
}

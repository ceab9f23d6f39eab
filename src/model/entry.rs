//! Entries: a working copy (`draft`) and, once published, a live copy.

use serde_json::{Map, Value};

use super::content_type::ContentType;
use crate::clock::{self, Micros};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Never published, or taken off the public API.
    Draft,
    /// The live copy equals the working copy.
    Published,
    /// Published, with edits to the working copy not yet published.
    Changed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::Changed => "changed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "draft" => Some(Status::Draft),
            "published" => Some(Status::Published),
            "changed" => Some(Status::Changed),
            _ => None,
        }
    }

    /// The status that follows from the two copies.
    pub fn of(draft: &Map<String, Value>, published: Option<&Map<String, Value>>) -> Status {
        match published {
            None => Status::Draft,
            Some(p) if p == draft => Status::Published,
            Some(_) => Status::Changed,
        }
    }
}

/// One translation of an entry: entries keep their id across locales, and
/// each locale has its own working copy, live copy, version and status.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The entry's id, shared by its translations.
    pub id: String,
    /// This translation's own key (its revisions and links hang off it).
    pub row: String,
    pub content_type: String,
    pub locale: String,
    pub status: Status,
    pub draft: Map<String, Value>,
    pub published: Option<Map<String, Value>>,
    pub version: i64,
    pub created_at: Micros,
    pub updated_at: Micros,
    /// When the entry was first published; kept across re-publishing, cleared
    /// by unpublishing.
    pub published_at: Option<Micros>,
    /// When the live copy last changed.
    pub live_updated_at: Option<Micros>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    /// When this translation is to go live or come down by itself.
    pub schedule: Schedule,
}

/// A translation's scheduled actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    pub publish_at: Option<Micros>,
    pub unpublish_at: Option<Micros>,
    /// Why the last scheduled action could not run (it is not retried).
    pub error: Option<String>,
}

impl Entry {
    /// Bookkeeping of every write: a new version, when, and by whom.
    pub fn bump(&mut self, now: Micros, by: Option<String>) {
        self.version += 1;
        self.updated_at = now;
        self.updated_by = by;
    }
}

/// System fields a public entry carries beside its content fields.
pub const PUBLIC_SYSTEM_FIELDS: &[&str] =
    &["id", "locale", "created_at", "updated_at", "published_at"];

impl Entry {
    /// The flat public shape of the live copy, or `None` when unpublished.
    /// `fields` narrows the output; `id` is always present.
    pub fn to_public(&self, ct: &ContentType, fields: Option<&[String]>) -> Option<Value> {
        let live = self.published.as_ref()?;
        Some(self.flat(ct, |n| live.get(n).cloned(), fields))
    }

    /// The flat public shape of the working copy, for previews.
    pub fn to_preview(&self, ct: &ContentType, fields: Option<&[String]>) -> Option<Value> {
        Some(self.flat(ct, |n| self.draft.get(n).cloned(), fields))
    }

    /// As [`Entry::to_public`], moving the values out rather than copying
    /// them (a page's worth of copies was most of its allocations).
    pub fn into_public(mut self, ct: &ContentType, fields: Option<&[String]>) -> Option<Value> {
        let mut live = self.published.take()?;
        Some(self.flat(ct, |n| live.get_mut(n).map(Value::take), fields))
    }

    /// As [`Entry::to_preview`], moving the values out.
    pub fn into_preview(mut self, ct: &ContentType, fields: Option<&[String]>) -> Option<Value> {
        let mut draft = std::mem::take(&mut self.draft);
        Some(self.flat(ct, |n| draft.get_mut(n).map(Value::take), fields))
    }

    /// The system fields, then the type's fields in order, each valued by
    /// `value_of` (null when unset).
    fn flat(
        &self,
        ct: &ContentType,
        mut value_of: impl FnMut(&str) -> Option<Value>,
        fields: Option<&[String]>,
    ) -> Value {
        let wanted =
            |name: &str| name == "id" || fields.is_none_or(|f| f.iter().any(|x| x == name));
        let mut out = Map::new();
        let system: [(&str, Value); 5] = [
            ("id", Value::String(self.id.clone())),
            ("locale", Value::String(self.locale.clone())),
            ("created_at", Value::String(clock::format(self.created_at))),
            (
                "updated_at",
                Value::String(clock::format(
                    self.live_updated_at.unwrap_or(self.updated_at),
                )),
            ),
            (
                "published_at",
                self.published_at
                    .map(|t| Value::String(clock::format(t)))
                    .unwrap_or(Value::Null),
            ),
        ];
        for (name, value) in system {
            if wanted(name) {
                out.insert(name.to_string(), value);
            }
        }
        for f in &ct.fields {
            if wanted(&f.name) {
                out.insert(f.name.clone(), value_of(&f.name).unwrap_or(Value::Null));
            }
        }
        Value::Object(out)
    }
}

/// Applies a partial change to a copy: `null` clears a field, any other
/// value sets it.
pub fn merge(copy: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (k, v) in patch {
        if v.is_null() {
            copy.remove(&k);
        } else {
            copy.insert(k, v);
        }
    }
}

/// A working copy in field order with every field present (null when unset),
/// so both databases return the same document.
pub fn ordered_data(ct: &ContentType, data: &Map<String, Value>) -> Map<String, Value> {
    ct.fields
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                data.get(&f.name).cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

//! Published entries written straight from their live copies' stored JSON
//! text: the bytes [`Entry::into_public`] and `serde_json` would write,
//! without building a value for every field of every entry only to drop it
//! (on an uncached page that was most of the work).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::content_type::{ContentType, Field};
use super::entry::Entry;
use super::field::FieldType;
use crate::clock;

/// A published entry with its live copy as the JSON text stored
/// (`entry.published` left empty).
pub struct LiveText {
    pub entry: Entry,
    pub text: String,
}

/// A body written without building its value, and what a cache must know
/// of it (for its validators and what it depends on).
pub struct Written {
    pub body: Vec<u8>,
    pub marks: Vec<Mark>,
}

/// What a cache must know of a body written, in the order the body shows
/// it: each entry's id and when it last changed (as shown), and the values
/// that may hold objects of their own (with ids, or `updated_at`).
#[derive(Debug, Clone)]
pub enum Mark {
    Entry { id: String, updated_at: String },
    Value(Value),
}

/// Whether every field of `ct` is shown as stored: no media to show as
/// assets, no components or blocks whose media those are.
pub fn shown_as_stored(ct: &ContentType) -> bool {
    ct.fields.iter().all(|f| {
        !matches!(
            f.field_type,
            FieldType::Media | FieldType::Component | FieldType::Blocks
        )
    })
}

impl LiveText {
    /// The entry with its live copy parsed.
    pub fn parsed(&self) -> serde_json::Result<Entry> {
        let mut entry = self.entry.clone();
        entry.published = Some(serde_json::from_str(&self.text)?);
        Ok(entry)
    }

    /// The stored text of one field's value, if it has one.
    pub fn field_text(&self, name: &str) -> serde_json::Result<Option<String>> {
        if let Ok(stored) = serde_json::from_str::<Stored<'_>>(&self.text) {
            let found = stored.0.iter().rev().find(|(k, _)| *k == name);
            return Ok(found.map(|(_, v)| v.get().to_string()));
        }
        let live: Map<String, Value> = serde_json::from_str(&self.text)?;
        Ok(live.get(name).map(Value::to_string))
    }

    /// Appends the entry as the public API shows it, all fields, to `out`,
    /// and what a cache must know of it to `marks`: the system fields,
    /// then each field of `ct` in order, its stored text copied (`null`
    /// when unset) unless `field` writes it (given the stored text, if any).
    pub fn write_public(
        &self,
        ct: &ContentType,
        out: &mut Vec<u8>,
        marks: &mut Vec<Mark>,
        mut field: impl FnMut(&Field, Option<&str>, &mut Vec<u8>, &mut Vec<Mark>) -> bool,
    ) -> serde_json::Result<()> {
        let stored;
        let parsed: Vec<(String, String)>;
        let values: Vec<(&str, &str)> = match serde_json::from_str::<Stored<'_>>(&self.text) {
            Ok(s) => {
                stored = s;
                stored.0.iter().map(|(k, v)| (*k, v.get())).collect()
            }
            Err(_) => {
                // A key written with escapes can't be borrowed: parse it all.
                let live: Map<String, Value> = serde_json::from_str(&self.text)?;
                parsed = live.into_iter().map(|(k, v)| (k, v.to_string())).collect();
                parsed
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect()
            }
        };
        let e = &self.entry;
        let updated_at = clock::format(e.live_updated_at.unwrap_or(e.updated_at));
        out.extend_from_slice(b"{\"id\":");
        serde_json::to_writer(&mut *out, &e.id)?;
        out.extend_from_slice(b",\"locale\":");
        serde_json::to_writer(&mut *out, &e.locale)?;
        out.extend_from_slice(b",\"created_at\":");
        serde_json::to_writer(&mut *out, &clock::format(e.created_at))?;
        out.extend_from_slice(b",\"updated_at\":");
        serde_json::to_writer(&mut *out, &updated_at)?;
        out.extend_from_slice(b",\"published_at\":");
        match e.published_at {
            Some(t) => serde_json::to_writer(&mut *out, &clock::format(t))?,
            None => out.extend_from_slice(b"null"),
        }
        marks.push(Mark::Entry {
            id: e.id.clone(),
            updated_at,
        });
        for f in &ct.fields {
            out.push(b',');
            serde_json::to_writer(&mut *out, &f.name)?;
            out.push(b':');
            // The last of a repeated key, as a parse keeps.
            let text = values
                .iter()
                .rev()
                .find(|(k, _)| *k == f.name)
                .map(|(_, v)| *v);
            if field(f, text, out, marks) {
                continue;
            }
            let Some(text) = text else {
                out.extend_from_slice(b"null");
                continue;
            };
            out.extend_from_slice(text.as_bytes());
            if may_hold_keys(text) {
                marks.push(Mark::Value(serde_json::from_str(text)?));
            }
        }
        out.push(b'}');
        Ok(())
    }
}

/// Whether a value's text may hold an object with an `id` or `updated_at`
/// key (which a cache follows): any object or list naming one, or written
/// with escapes that could spell one.
fn may_hold_keys(text: &str) -> bool {
    text.starts_with(['{', '['])
        && (text.contains("\"id\"") || text.contains("\"updated_at\"") || text.contains("\\u"))
}

/// A stored copy's top-level keys and their values' text, in stored order.
struct Stored<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de> Deserialize<'de> for Stored<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Stored<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Stored<'de>, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(pair) = map.next_entry::<&'de str, &'de RawValue>()? {
                    pairs.push(pair);
                }
                Ok(Stored(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entry::{Schedule, Status};
    use serde_json::json;

    fn articles() -> ContentType {
        ContentType::from_json(json!({
            "api_id": "articles",
            "name": "Article",
            "fields": [
                {"name": "title", "type": "string"},
                {"name": "body", "type": "richtext"},
                {"name": "views", "type": "integer"},
                {"name": "score", "type": "number"},
                {"name": "featured", "type": "boolean"},
                {"name": "day", "type": "date"},
                {"name": "tags", "type": "relation", "to": "tags", "multiple": true},
                {"name": "seo", "type": "json"},
                {"name": "unset", "type": "text"}
            ]
        }))
        .map_err(|e| format!("{e:?}"))
        .unwrap()
    }

    fn entry(published_at: Option<i64>, live_updated_at: Option<i64>) -> Entry {
        Entry {
            id: "01JA\"quoted".into(),
            row: "r1".into(),
            content_type: "articles".into(),
            locale: "fr-CA".into(),
            status: Status::Published,
            draft: Map::new(),
            published: None,
            version: 3,
            created_at: 1_700_000_000_123_456,
            updated_at: 1_700_000_100_000_000,
            published_at,
            live_updated_at,
            created_by: None,
            updated_by: None,
            schedule: Schedule::default(),
        }
    }

    /// The bytes of the value path: shape the parsed entry, serialise it.
    fn by_value(ct: &ContentType, e: &Entry, text: &str) -> Vec<u8> {
        let mut e = e.clone();
        e.published = Some(serde_json::from_str(text).unwrap());
        serde_json::to_vec(&e.into_public(ct, None).unwrap()).unwrap()
    }

    fn written(ct: &ContentType, e: &Entry, text: &str) -> (Vec<u8>, Vec<Mark>) {
        let mut out = Vec::new();
        let mut marks = Vec::new();
        let lt = LiveText {
            entry: e.clone(),
            text: text.to_string(),
        };
        lt.write_public(ct, &mut out, &mut marks, |_, _, _, _| false)
            .unwrap();
        (out, marks)
    }

    fn values(marks: &[Mark]) -> usize {
        marks.iter().filter(|m| matches!(m, Mark::Value(_))).count()
    }

    #[test]
    fn writes_the_bytes_the_value_path_writes() {
        let ct = articles();
        // Stored in an order other than the type's, with a key no field has,
        // text that needs escapes, and numbers of each kind.
        let live = json!({
            "seo": {"meta": [{"id": "m1", "updated_at": "2027-01-01T00:00:00.000Z"}], "n": null},
            "views": 18446744073709551615u64,
            "title": "Qu\"ire\\ ünïcødé 😀 \u{1}\n\t</script>",
            "gone": "a removed field's value",
            "score": -1.5e-7,
            "featured": false,
            "day": "2026-12-04",
            "body": "# Heading\n\n*text*",
            "tags": ["t1", "t2"],
        });
        let text = serde_json::to_string(&live).unwrap();
        for e in [
            entry(Some(1_700_000_050_000_000), Some(1_700_000_200_000_000)),
            entry(None, None),
        ] {
            let (out, marks) = written(&ct, &e, &text);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&by_value(&ct, &e, &text))
            );
            assert!(matches!(&marks[0], Mark::Entry { id, .. } if *id == e.id));
            assert_eq!(values(&marks), 1, "only the object naming an id");
        }
    }

    #[test]
    fn a_key_written_with_escapes_is_read_as_a_parse_reads_it() {
        let ct = articles();
        let e = entry(Some(1), Some(2));
        let text = r#"{"ti\u0074le":"escaped key","views":3,"views":4}"#;
        let (out, marks) = written(&ct, &e, text);
        assert_eq!(out, by_value(&ct, &e, text));
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["title"], "escaped key");
        assert_eq!(
            v["views"], 4,
            "the last of a repeated key, as a parse keeps"
        );
        assert_eq!(marks.len(), 1, "the entry, nothing holding keys");
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value() {
        let ct = articles();
        let e = entry(Some(1), None);
        let text = r#"{"views":3,"title":"t","views":4}"#;
        assert_eq!(written(&ct, &e, text).0, by_value(&ct, &e, text));
    }

    #[test]
    fn media_and_nested_fields_are_not_shown_as_stored() {
        assert!(shown_as_stored(&articles()));
        for field in [
            json!({"name": "cover", "type": "media"}),
            json!({"name": "seo", "type": "component", "fields": [{"name": "t", "type": "string"}]}),
        ] {
            let ct = ContentType::from_json(json!({
                "api_id": "pages", "name": "Page", "fields": [field]
            }))
            .map_err(|e| format!("{e:?}"))
            .unwrap();
            assert!(!shown_as_stored(&ct));
        }
    }
}

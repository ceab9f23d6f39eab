//! Walking an entry's values through components and blocks: the ids its
//! media and relation fields hold at any depth, each with where it is.

use serde_json::{Map, Value};

use super::content_type::{Field, Nested};
use super::field::FieldType;

/// An id held by a media or relation field somewhere in a copy.
#[derive(Debug, Clone)]
pub struct IdAt<'a> {
    pub field: &'a Field,
    /// Where the value is, for errors: `body[2].images`.
    pub path: String,
    /// The field's place without positions, for links: `body.images`.
    pub link: String,
    pub id: String,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The ids that fields of type `want` hold in `data`, in order, through
/// nested groups too.
pub fn ids_at<'a>(
    fields: &'a [Field],
    data: &Map<String, Value>,
    want: FieldType,
) -> Vec<IdAt<'a>> {
    let mut out = Vec::new();
    walk(fields, data, want, "", "", &mut out);
    out
}

fn walk<'a>(
    fields: &'a [Field],
    data: &Map<String, Value>,
    want: FieldType,
    path: &str,
    link: &str,
    out: &mut Vec<IdAt<'a>>,
) {
    for f in fields {
        let Some(v) = data.get(&f.name) else { continue };
        let (path, link) = (join(path, &f.name), join(link, &f.name));
        if f.field_type == want {
            let ids: Vec<&str> = match v {
                Value::String(id) => vec![id],
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            out.extend(ids.into_iter().map(|id| IdAt {
                field: f,
                path: path.clone(),
                link: link.clone(),
                id: id.to_string(),
            }));
            continue;
        }
        let group = |item: &Value| item.as_object().cloned().unwrap_or_default();
        match (&f.nested, v) {
            (Nested::Group(sub), Value::Object(obj)) => walk(sub, obj, want, &path, &link, out),
            (Nested::Group(sub), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    walk(sub, &group(item), want, &format!("{path}[{i}]"), &link, out);
                }
            }
            (Nested::Kinds(kinds), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let kind = item.get("kind").and_then(Value::as_str);
                    if let Some((_, sub)) = kinds.iter().find(|(k, _)| Some(k.as_str()) == kind) {
                        walk(sub, &group(item), want, &format!("{path}[{i}]"), &link, out);
                    }
                }
            }
            _ => {}
        }
    }
}

//! What changed between two saved copies of an entry, field by field.

use serde_json::{Map, Value};

/// How a field differs between two copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// One field that differs, with its value before and after (absent when
/// unset).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub field: String,
    pub change: Change,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The fields that differ from `before` to `after`: those of `after` in
/// its order, then those only `before` has. A null is an unset field.
pub fn diff(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<FieldDiff> {
    let set = |m: &Map<String, Value>, k: &str| m.get(k).filter(|v| !v.is_null()).cloned();
    let keys = after
        .keys()
        .chain(before.keys().filter(|k| !after.contains_key(*k)));
    keys.filter_map(|k| {
        let (old, new) = (set(before, k), set(after, k));
        let change = match (&old, &new) {
            (None, None) => return None,
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(a), Some(b)) if a == b => return None,
            (Some(_), Some(_)) => Change::Changed,
        };
        Some(FieldDiff {
            field: k.clone(),
            change,
            before: old,
            after: new,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn names_added_removed_and_changed_fields_in_order() {
        let before = obj(json!({"title": "A", "body": "x", "views": 3, "gone": "y", "same": 1}));
        let after =
            obj(json!({"title": "B", "body": "x", "tags": ["t"], "views": null, "same": 1}));
        let d = diff(&before, &after);
        let summary: Vec<(&str, Change)> = d.iter().map(|f| (f.field.as_str(), f.change)).collect();
        assert_eq!(
            summary,
            vec![
                ("title", Change::Changed),
                ("tags", Change::Added),
                ("views", Change::Removed),
                ("gone", Change::Removed),
            ]
        );
        assert_eq!(d[0].before, Some(json!("A")));
        assert_eq!(d[0].after, Some(json!("B")));
        assert_eq!(d[1].before, None);
        assert_eq!(d[2].after, None);
    }

    #[test]
    fn equal_copies_differ_in_nothing() {
        let a = obj(json!({"title": "A", "n": null}));
        let b = obj(json!({"title": "A"}));
        assert!(diff(&a, &b).is_empty());
    }
}

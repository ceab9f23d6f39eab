//! What changing a content type does to the entries it has: fields added
//! (and filled with their default), renamed (`renamed_from`, values kept),
//! converted to another type (each value must convert), removed. The plan
//! is pure; the store carries it out in one transaction and counts the
//! entries each step touches.

use serde::Serialize;
use serde_json::{Number, Value};

use super::FieldError;
use super::content_type::{ContentType, Field};
use super::field::FieldType;
use super::validate::check_value;

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The field as it will be named.
    pub field: String,
    /// Its old name (a rename) or old type (a conversion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// What happens, in a sentence.
    pub detail: String,
    /// How many entries the step touches (filled in by the store).
    pub entries: i64,
    /// The value given to entries that lack it (an added or newly required
    /// field with a default).
    #[serde(skip)]
    pub default: Option<Value>,
    /// Entries must hold a value after the change (an added or newly
    /// required field without a default).
    #[serde(skip)]
    pub required: bool,
}

impl Step {
    fn new(field: &str, from: Option<&str>, detail: String) -> Step {
        Step {
            field: field.to_string(),
            from: from.map(str::to_string),
            detail,
            entries: 0,
            default: None,
            required: false,
        }
    }
}

/// What a definition change does to existing entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    pub added: Vec<Step>,
    pub renamed: Vec<Step>,
    pub converted: Vec<Step>,
    pub removed: Vec<Step>,
    /// Existing fields that become required (filled from their default).
    pub required: Vec<Step>,
    /// What would destroy stored values: allowed only with
    /// `allow_data_loss`, and never for a change of kind.
    #[serde(skip)]
    pub losses: Vec<FieldError>,
}

impl Plan {
    pub fn kind_changed(&self) -> bool {
        self.losses.iter().any(|l| l.rule == "kind_changed")
    }
}

/// Types whose values are other things' ids; they never convert.
fn holds_ids(t: FieldType) -> bool {
    t.holds_ids()
}

/// Plans changing `current` into `next`.
pub fn plan(current: &ContentType, next: &ContentType) -> Result<Plan, Vec<FieldError>> {
    let mut plan = Plan::default();
    let mut errors = Vec::new();
    let mut rename_sources = Vec::new();
    for (i, f) in next.fields.iter().enumerate() {
        let existing = current.field(&f.name);
        let renamed = match (&f.renamed_from, existing) {
            // Already applied: the old name is gone, the new one is there.
            (Some(_), Some(_)) => None,
            (Some(old), None) => match current.field(old) {
                Some(source) if next.field(old).is_none() => {
                    rename_sources.push(old.clone());
                    plan.renamed.push(Step::new(
                        &f.name,
                        Some(old),
                        format!("`{old}` becomes `{}`, with its values", f.name),
                    ));
                    Some(source)
                }
                Some(_) => {
                    errors.push(FieldError::new(
                        format!("fields[{i}].renamed_from"),
                        "still_defined",
                        format!("`{old}` is still a field; a rename removes the old name"),
                    ));
                    None
                }
                None => {
                    errors.push(FieldError::new(
                        format!("fields[{i}].renamed_from"),
                        "unknown_field",
                        format!("`{old}` is not a field of {}", current.api_id()),
                    ));
                    None
                }
            },
            (None, _) => None,
        };
        match renamed.or(existing) {
            None => {
                let mut step = Step::new(
                    &f.name,
                    None,
                    match &f.default {
                        Some(d) => format!("new field `{}`; existing entries get {d}", f.name),
                        None => format!("new field `{}`", f.name),
                    },
                );
                step.default = f.default.clone();
                step.required =
                    f.required && f.default.is_none() && f.field_type != FieldType::Slug;
                plan.added.push(step);
            }
            Some(old) => {
                if old.field_type != f.field_type {
                    if holds_ids(old.field_type) || holds_ids(f.field_type) {
                        plan.losses.push(type_loss(old, f));
                    } else {
                        plan.converted.push(Step::new(
                            &f.name,
                            Some(old.field_type.as_str()),
                            format!(
                                "`{}` converts from {} to {}; every value must convert",
                                f.name,
                                old.field_type.as_str(),
                                f.field_type.as_str()
                            ),
                        ));
                    }
                } else if f.field_type.holds_ids() && (old.multiple != f.multiple || old.to != f.to)
                {
                    plan.losses.push(FieldError::new(
                        f.name.clone(),
                        "type_changed",
                        format!(
                            "changing what `{}` holds (its target or `multiple`) would lose its values",
                            f.name
                        ),
                    ));
                }
                if f.required && !old.required && f.field_type != FieldType::Slug {
                    let mut step = Step::new(
                        &f.name,
                        None,
                        match &f.default {
                            Some(d) => {
                                format!("`{}` becomes required; entries without it get {d}", f.name)
                            }
                            None => format!("`{}` becomes required", f.name),
                        },
                    );
                    step.default = f.default.clone();
                    step.required = f.default.is_none();
                    plan.required.push(step);
                }
            }
        }
    }
    for f in &current.fields {
        if next.field(&f.name).is_none() && !rename_sources.contains(&f.name) {
            plan.removed.push(Step::new(
                &f.name,
                None,
                format!("`{}` and its values are removed", f.name),
            ));
            plan.losses.push(FieldError::new(
                f.name.clone(),
                "removed",
                format!("removing `{}` would delete its values", f.name),
            ));
        }
    }
    if current.def.kind != next.def.kind {
        plan.losses.push(FieldError::new(
            "kind",
            "kind_changed",
            "changing between collection and singleton needs an empty type",
        ));
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

fn type_loss(old: &Field, f: &Field) -> FieldError {
    FieldError::new(
        f.name.clone(),
        "type_changed",
        format!(
            "changing `{}` from {} to {} would lose its values",
            f.name,
            old.field_type.as_str(),
            f.field_type.as_str()
        ),
    )
}

/// `v` as a value of `to`, if it converts and then passes `to`'s rules.
pub fn convert(v: &Value, to: &Field) -> Option<Value> {
    let candidate = match (to.field_type, v) {
        (_, Value::Null) => return Some(Value::Null),
        (FieldType::Json, _) => return Some(v.clone()),
        (t, Value::Number(n)) if t.is_textual() => Value::String(n.to_string()),
        (t, Value::Bool(b)) if t.is_textual() => Value::String(b.to_string()),
        (FieldType::Integer, Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => {
                let f = n.as_f64()?;
                if f.fract() != 0.0 || f.abs() > 9.0e15 {
                    return None;
                }
                Value::from(f as i64)
            }
        },
        (FieldType::Integer, Value::String(s)) => Value::from(s.trim().parse::<i64>().ok()?),
        (FieldType::Number, Value::String(s)) => {
            Value::Number(Number::from_f64(s.trim().parse::<f64>().ok()?)?)
        }
        (FieldType::Boolean, Value::String(s)) => match s.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return None,
        },
        _ => v.clone(),
    };
    check_value(to, &candidate).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ct(fields: Value) -> ContentType {
        ContentType::from_json(json!({"api_id": "t", "name": "T", "fields": fields})).unwrap()
    }

    #[test]
    fn a_rename_keeps_values_and_is_not_a_loss() {
        let a = ct(json!([{"name": "minutes", "type": "integer"}]));
        let b =
            ct(json!([{"name": "reading_minutes", "type": "integer", "renamed_from": "minutes"}]));
        let p = plan(&a, &b).unwrap();
        assert_eq!(p.renamed[0].from.as_deref(), Some("minutes"));
        assert!(p.losses.is_empty() && p.removed.is_empty() && p.added.is_empty());
        // Applied once, the same definition plans nothing.
        assert_eq!(plan(&b, &b).unwrap(), Plan::default());
    }

    #[test]
    fn conversions_and_losses() {
        let a = ct(json!([{"name": "n", "type": "string"}, {"name": "gone", "type": "string"}]));
        let b = ct(json!([{"name": "n", "type": "integer"},
            {"name": "req", "type": "string", "required": true}]));
        let p = plan(&a, &b).unwrap();
        assert_eq!(p.converted[0].field, "n");
        assert!(p.added[0].required);
        assert_eq!(p.losses[0].rule, "removed");
        let int = &b.fields[0];
        assert_eq!(convert(&json!("42"), int), Some(json!(42)));
        assert_eq!(convert(&json!("4.5"), int), None);
        assert_eq!(convert(&json!(7.0), int), Some(json!(7)));
        let text = &a.fields[0];
        assert_eq!(convert(&json!(3), text), Some(json!("3")));
    }

    #[test]
    fn a_rename_must_name_an_old_field() {
        let a = ct(json!([{"name": "x", "type": "string"}]));
        let b = ct(json!([{"name": "y", "type": "string", "renamed_from": "nope"}]));
        assert_eq!(plan(&a, &b).unwrap_err()[0].rule, "unknown_field");
    }
}

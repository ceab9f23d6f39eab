//! Keyset paging (`?after=`): a cursor names the last entry of a page by
//! its sort values, so the next page starts right after it however many
//! entries were published or unpublished before it meanwhile — which
//! `offset` cannot promise.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FieldError;
use super::entry::Entry;
use super::query::{Column, Scalar, Sort, Surface};

/// Where a page ends: the last entry's sort values (`None`: it has none)
/// and its row, the final tie-break.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub values: Vec<Option<Scalar>>,
    pub row: String,
}

/// The cursor as it travels: which sort it was made for, the values, the row.
#[derive(Serialize, Deserialize)]
struct Wire {
    s: String,
    v: Vec<Value>,
    r: String,
}

/// A sort as text, to tell a cursor made for another sort.
pub fn signature(sort: &[Sort]) -> String {
    sort.iter()
        .map(|s| format!("{}{}", if s.desc { "-" } else { "" }, name(&s.column)))
        .collect::<Vec<_>>()
        .join(",")
}

fn name(c: &Column) -> &str {
    match c {
        Column::Id => "id",
        Column::Locale => "locale",
        Column::Status => "status",
        Column::CreatedAt => "created_at",
        Column::UpdatedAt => "updated_at",
        Column::PublishedAt => "published_at",
        Column::Field { name, .. } => name,
    }
}

/// The cursor that continues after `e` in a list sorted by `sort`.
pub fn cursor_after(sort: &[Sort], e: &Entry, surface: Surface) -> String {
    let doc = match surface {
        Surface::Public => e.published.as_ref(),
        Surface::Admin => Some(&e.draft),
    };
    let v = sort
        .iter()
        .map(|s| match &s.column {
            Column::Id => Value::String(e.id.clone()),
            Column::Locale => Value::String(e.locale.clone()),
            Column::Status => Value::String(e.status.as_str().to_string()),
            Column::CreatedAt => Value::from(e.created_at),
            Column::UpdatedAt => match surface {
                Surface::Public => e.live_updated_at.map_or(Value::Null, Value::from),
                Surface::Admin => Value::from(e.updated_at),
            },
            Column::PublishedAt => e.published_at.map_or(Value::Null, Value::from),
            Column::Field { name, .. } => doc
                .and_then(|d| d.get(name))
                .filter(|v| v.is_string() || v.is_number() || v.is_boolean())
                .cloned()
                .unwrap_or(Value::Null),
        })
        .collect();
    let wire = Wire {
        s: signature(sort),
        v,
        r: e.row.clone(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
}

/// Reads a cursor made for `sort`.
pub fn parse(text: &str, sort: &[Sort]) -> Result<After, FieldError> {
    let bad = |why: &str| FieldError::new("after", "cursor", why.to_string());
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| bad("not a cursor from meta.next"))?;
    let wire: Wire =
        serde_json::from_slice(&bytes).map_err(|_| bad("not a cursor from meta.next"))?;
    if wire.s != signature(sort) || wire.v.len() != sort.len() {
        return Err(bad(
            "the cursor was made for another sort; send the same sort as the page it came from",
        ));
    }
    let values = wire
        .v
        .into_iter()
        .map(|v| match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(Scalar::Text(s))),
            Value::Bool(b) => Ok(Some(Scalar::Bool(b))),
            Value::Number(n) => n
                .as_i64()
                .map(Scalar::Int)
                .or_else(|| n.as_f64().map(Scalar::Float))
                .map(Some)
                .ok_or_else(|| bad("not a cursor from meta.next")),
            _ => Err(bad("not a cursor from meta.next")),
        })
        .collect::<Result<_, _>>()?;
    Ok(After {
        values,
        row: wire.r,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entry::Status;

    fn entry() -> Entry {
        let doc = serde_json::json!({"title": "Ada", "rank": 3})
            .as_object()
            .cloned()
            .unwrap();
        Entry {
            id: "e1".into(),
            row: "r1".into(),
            content_type: "articles".into(),
            locale: "en".into(),
            status: Status::Published,
            draft: doc.clone(),
            published: Some(doc),
            version: 2,
            created_at: 10,
            updated_at: 20,
            published_at: Some(30),
            live_updated_at: Some(40),
            created_by: None,
            updated_by: None,
            schedule: Default::default(),
        }
    }

    #[test]
    fn a_cursor_round_trips_for_its_sort_only() {
        let sort = vec![
            Sort {
                column: Column::Field {
                    name: "title".into(),
                    ty: crate::model::field::FieldType::Text,
                },
                desc: false,
            },
            Sort {
                column: Column::PublishedAt,
                desc: true,
            },
        ];
        let c = cursor_after(&sort, &entry(), Surface::Public);
        let after = parse(&c, &sort).unwrap();
        assert_eq!(after.row, "r1");
        assert_eq!(
            after.values,
            vec![Some(Scalar::Text("Ada".into())), Some(Scalar::Int(30))]
        );
        let other = &sort[1..];
        assert_eq!(parse(&c, other).unwrap_err().field, "after");
        assert_eq!(parse("garbage!", &sort).unwrap_err().rule, "cursor");
    }
}

//! A plain page of published entries — all fields, one locale each,
//! nothing embedded or rendered, relations populated one level deep at
//! most — written from the live copies' stored text
//! ([`LiveText::write_public`]) rather than through values: the bytes the
//! value path writes, at a fraction of its cost.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::access::Access;
use super::respond::Written;
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::model::content_type::{ContentType, Kind};
use crate::model::field::FieldType;
use crate::model::keyset::cursor_after;
use crate::model::live_text::{LiveText, Mark, shown_as_stored};
use crate::model::query::{ListQuery, RichtextAs, Surface};
use crate::store::StoreError;

/// A relation `populate` names: its field, its target type, and whether it
/// holds a list.
struct Populated {
    field: String,
    to: Arc<ContentType>,
    multiple: bool,
}

/// The relations of a plain page's `populate`, or `None` when the page
/// `q` asks of `ct` is not plain: each entry shown as stored, its
/// populated relations' targets too, read in one locale (`chain`).
fn plain_populate(
    state: &AppState,
    access: &Access,
    ct: &ContentType,
    q: &ListQuery,
    chain: &[String],
) -> Option<Vec<Populated>> {
    let plain = matches!(access, Access::Published)
        && ct.def.kind == Kind::Collection
        && q.fields.is_none()
        && q.richtext == RichtextAs::Markdown
        && q.chain().is_none()
        && shown_as_stored(ct)
        && (q.populate.is_empty() || chain.len() == 1);
    if !plain {
        return None;
    }
    q.populate
        .fields
        .iter()
        .map(|(name, sub)| {
            let f = ct.field(name)?;
            let to = state.types.get(f.to.as_deref()?)?;
            let shown = f.field_type == FieldType::Relation && sub.is_empty();
            (shown && shown_as_stored(&to)).then(|| Populated {
                field: name.clone(),
                to,
                multiple: f.multiple,
            })
        })
        .collect()
}

/// The page as `{"data": […], "meta": {…}}`, as the value path writes it;
/// `None` when it is not plain or the store can't hand out stored text.
pub(super) async fn page(
    state: &AppState,
    access: &Access,
    ct: &ContentType,
    q: &ListQuery,
    chain: &[String],
) -> Result<Option<Written>, ApiError> {
    let Some(populated) = plain_populate(state, access, ct, q, chain) else {
        return Ok(None);
    };
    let Some((rows, total)) = state.content.live_text_page(ct, q).await? else {
        return Ok(None);
    };
    let corrupt = |e: serde_json::Error| {
        ApiError::from(StoreError::Corrupt(format!(
            "a live copy of {}: {e}",
            ct.api_id()
        )))
    };
    let Some(targets) = targets(state, &rows, &populated, chain)
        .await?
        .map(|t| written_targets(state, t))
        .transpose()
        .map_err(corrupt)?
    else {
        return Ok(None);
    };
    let next = match rows.last().filter(|_| rows.len() as i64 == q.limit) {
        Some(last) => {
            let sort = q.sort_for(Surface::Public);
            let last = last.parsed().map_err(corrupt)?;
            Some(cursor_after(&sort, &last, Surface::Public))
        }
        None => None,
    };
    let mut body = Vec::with_capacity(rows.iter().map(|r| r.text.len() + 200).sum::<usize>() + 100);
    let mut marks = Vec::with_capacity(rows.len());
    body.extend_from_slice(b"{\"data\":[");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        row.write_public(ct, &mut body, &mut marks, |f, text, out, marks| {
            let Some(p) = populated.iter().find(|p| p.field == f.name) else {
                return false;
            };
            write_relation(p, text, &targets, out, marks);
            true
        })
        .map_err(corrupt)?;
    }
    body.extend_from_slice(b"],\"meta\":");
    let meta = json!({ "total": total, "limit": q.limit, "offset": q.offset, "next": next });
    serde_json::to_writer(&mut body, &meta).map_err(corrupt)?;
    body.push(b'}');
    Ok(Some(Written { body, marks }))
}

/// The ids a relation's stored text holds, in order.
fn ids(text: Option<&str>) -> Vec<String> {
    match text.and_then(|t| serde_json::from_str(t).ok()) {
        Some(Value::String(id)) => vec![id],
        Some(Value::Array(list)) => list
            .into_iter()
            .filter_map(|v| match v {
                Value::String(id) => Some(id),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The published targets of the page's populated relations, in one query;
/// `None` when the store can't hand out their stored text.
async fn targets(
    state: &AppState,
    rows: &[LiveText],
    populated: &[Populated],
    chain: &[String],
) -> Result<Option<Vec<LiveText>>, ApiError> {
    if populated.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut wanted = Vec::new();
    for row in rows {
        for p in populated {
            let text = row.field_text(&p.field).map_err(|e| {
                ApiError::from(StoreError::Corrupt(format!("entry {}: {e}", row.entry.id)))
            })?;
            wanted.extend(ids(text.as_deref()));
        }
    }
    if wanted.is_empty() {
        return Ok(Some(Vec::new()));
    }
    wanted.sort();
    wanted.dedup();
    let found = state.content.live_text_targets(&wanted, chain).await?;
    state.metrics.populate_queries.inc();
    Ok(found)
}

/// Each target written once, by id, with its type and marks.
type Targets = HashMap<String, (String, Vec<u8>, Vec<Mark>)>;

fn written_targets(state: &AppState, found: Vec<LiveText>) -> serde_json::Result<Targets> {
    let mut out = HashMap::with_capacity(found.len());
    for t in found {
        let Some(ct) = state.types.get(&t.entry.content_type) else {
            continue;
        };
        let (mut body, mut marks) = (Vec::with_capacity(t.text.len() + 200), Vec::new());
        t.write_public(&ct, &mut body, &mut marks, |_, _, _, _| false)?;
        out.insert(
            t.entry.id.clone(),
            (t.entry.content_type.clone(), body, marks),
        );
    }
    Ok(out)
}

/// A populated relation: its visible targets (a list), or the first of
/// them (`null` when none is).
fn write_relation(
    p: &Populated,
    text: Option<&str>,
    targets: &Targets,
    out: &mut Vec<u8>,
    marks: &mut Vec<Mark>,
) {
    let mut shown = ids(text).into_iter().filter_map(|id| {
        targets
            .get(&id)
            .filter(|(to, _, _)| to.as_str() == p.to.api_id())
    });
    if !p.multiple {
        match shown.next() {
            Some(t) => emit(t, out, marks),
            None => out.extend_from_slice(b"null"),
        }
        return;
    }
    out.push(b'[');
    for (i, t) in shown.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        emit(t, out, marks);
    }
    out.push(b']');
}

fn emit((_, body, more): &(String, Vec<u8>, Vec<Mark>), out: &mut Vec<u8>, marks: &mut Vec<Mark>) {
    out.extend_from_slice(body);
    marks.extend(more.iter().cloned());
}

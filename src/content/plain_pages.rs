//! A plain page of published entries — all fields, one locale each,
//! nothing embedded or rendered, relations populated one level deep at
//! most — written from the live copies' stored text
//! ([`LiveText::write_public`]) rather than through values: the bytes the
//! value path writes (`reads` and `populate`), at a fraction of its cost.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Content;
use crate::model::content_type::{ContentType, Kind};
use crate::model::field::FieldType;
use crate::model::keyset::cursor_after;
use crate::model::live_text::{LiveText, Mark, Written, shown_as_stored};
use crate::model::query::{ListQuery, RichtextAs, Surface};
use crate::store::{self, StoreError, StoreResult};

/// A page written, and how many queries its `populate` made.
pub struct PlainPage {
    pub written: Written,
    pub populate_queries: u64,
}

/// A relation `populate` names: its field, its target type, and whether it
/// holds a list.
struct Populated {
    field: String,
    to: Arc<ContentType>,
    multiple: bool,
}

/// Each target written once, by id, with its type and marks.
type Targets = HashMap<String, (String, Vec<u8>, Vec<Mark>)>;

fn corrupt(what: &str) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("a live copy of {what}: {e}"))
}

impl Content {
    /// The public page `q` asks of `ct` as `{"data": […], "meta": {…}}`,
    /// written as the value path writes it; `None` when it is not plain
    /// or the store can't hand out stored text (then the value path
    /// answers).
    pub async fn plain_page(
        &self,
        ct: &ContentType,
        q: &ListQuery,
        chain: &[String],
    ) -> StoreResult<Option<PlainPage>> {
        let Some(populated) = self.plain_populate(ct, q, chain) else {
            return Ok(None);
        };
        let Some((rows, total)) = self.live_text_page(ct, q).await? else {
            return Ok(None);
        };
        let (found, populate_queries) = self.targets(&rows, &populated, chain).await?;
        let Some(found) = found else {
            return Ok(None);
        };
        let targets = self.written_targets(found)?;
        let next = match rows.last().filter(|_| rows.len() as i64 == q.limit) {
            Some(last) => {
                let sort = q.sort_for(Surface::Public);
                let last = last.parsed().map_err(corrupt(&last.entry.id))?;
                Some(cursor_after(&sort, &last, Surface::Public))
            }
            None => None,
        };
        let mut body =
            Vec::with_capacity(rows.iter().map(|r| r.text.len() + 200).sum::<usize>() + 100);
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
            .map_err(corrupt(&row.entry.id))?;
        }
        body.extend_from_slice(b"],\"meta\":");
        let meta = json!({ "total": total, "limit": q.limit, "offset": q.offset, "next": next });
        serde_json::to_writer(&mut body, &meta).map_err(corrupt(ct.api_id()))?;
        body.push(b'}');
        Ok(Some(PlainPage {
            written: Written { body, marks },
            populate_queries,
        }))
    }

    /// The relations of a plain page's `populate`, or `None` when the page
    /// `q` asks of `ct` is not plain: each entry shown as stored, its
    /// populated relations' targets too, read in one locale (`chain`).
    fn plain_populate(
        &self,
        ct: &ContentType,
        q: &ListQuery,
        chain: &[String],
    ) -> Option<Vec<Populated>> {
        let plain = ct.def.kind == Kind::Collection
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
                let to = self.types.get(f.to.as_deref()?)?;
                let shown = f.field_type == FieldType::Relation && sub.is_empty();
                (shown && shown_as_stored(&to)).then(|| Populated {
                    field: name.clone(),
                    to,
                    multiple: f.multiple,
                })
            })
            .collect()
    }

    /// A public page with each entry's live copy as the text stored, and
    /// the list's total (counted once per change, as
    /// [`Content::list_entries`] counts it); `None` when the store can't
    /// hand out that text as it is.
    async fn live_text_page(
        &self,
        ct: &ContentType,
        q: &ListQuery,
    ) -> StoreResult<Option<(Vec<LiveText>, i64)>> {
        let key = store::entries::total_key(&self.db, ct, q, Surface::Public);
        let known = self.cache.total(&key);
        let epoch = self.cache.epoch();
        let page = store::entries::live_text_page(&self.db, ct, q, known).await?;
        if let (None, Some((_, total))) = (known, &page) {
            self.cache
                .keep_total(key, *total, epoch, &self.type_deps(ct));
        }
        Ok(page)
    }

    /// The published targets of the page's populated relations, in one
    /// query (`None` when the store can't hand out their stored text), and
    /// how many queries that took.
    async fn targets(
        &self,
        rows: &[LiveText],
        populated: &[Populated],
        chain: &[String],
    ) -> StoreResult<(Option<Vec<LiveText>>, u64)> {
        let mut wanted = Vec::new();
        for row in rows {
            for p in populated {
                let text = row.field_text(&p.field).map_err(corrupt(&row.entry.id))?;
                wanted.extend(ids(text.as_deref()));
            }
        }
        if wanted.is_empty() {
            return Ok((Some(Vec::new()), 0));
        }
        wanted.sort();
        wanted.dedup();
        let found = store::entries::live_text_in_locales(&self.db, &wanted, chain).await?;
        Ok((found, 1))
    }

    /// Each target written once, as the public API shows it.
    fn written_targets(&self, found: Vec<LiveText>) -> StoreResult<Targets> {
        let mut out = HashMap::with_capacity(found.len());
        for t in found {
            let Some(ct) = self.types.get(&t.entry.content_type) else {
                continue;
            };
            let (mut body, mut marks) = (Vec::with_capacity(t.text.len() + 200), Vec::new());
            t.write_public(&ct, &mut body, &mut marks, |_, _, _, _| false)
                .map_err(corrupt(&t.entry.id))?;
            out.insert(
                t.entry.id.clone(),
                (t.entry.content_type.clone(), body, marks),
            );
        }
        Ok(out)
    }
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

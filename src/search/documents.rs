//! Index documents for an entry: one for its working copy, one for its live
//! copy when published.

use serde_json::{Map, Value};
use tantivy::TantivyDocument;

use super::analyzer;
use super::index::{Copy, Fields, TypePlan};
use crate::model::content_type::ContentType;
use crate::model::entry::Entry;

/// Slots and boosts of a type's searchable fields.
pub fn plan(ct: &ContentType) -> TypePlan {
    TypePlan {
        api_id: ct.api_id().to_string(),
        language: ct.def.language.clone(),
        slots: ct
            .searchable_fields()
            .enumerate()
            .map(|(i, f)| (i, f.boost.unwrap_or(1.0) as f32))
            .collect(),
    }
}

fn document(
    fields: &Fields,
    ct: &ContentType,
    e: &Entry,
    copy: Copy,
    data: &Map<String, Value>,
) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.entry_id, &e.id);
    doc.add_text(fields.content_type, &e.content_type);
    doc.add_text(fields.locale, &e.locale);
    doc.add_text(fields.copy, copy.as_str());
    let language = ct.def.language.as_deref();
    for (slot, f) in ct.searchable_fields().enumerate() {
        if let Some(text) = data.get(&f.name).and_then(Value::as_str) {
            let text = analyzer::tagged(language, text);
            doc.add_text(fields.all, &text);
            if copy == Copy::Live {
                doc.add_text(fields.all_live, &text);
            }
            doc.add_text(fields.slots[slot], &text);
        }
    }
    doc
}

/// The documents for an entry; none when its type has no searchable field.
pub fn documents(fields: &Fields, ct: &ContentType, e: &Entry) -> Vec<TantivyDocument> {
    if ct.searchable_fields().next().is_none() {
        return Vec::new();
    }
    let mut docs = vec![document(fields, ct, e, Copy::Draft, &e.draft)];
    if let Some(live) = &e.published {
        docs.push(document(fields, ct, e, Copy::Live, live));
    }
    docs
}

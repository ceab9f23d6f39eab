//! A plain page of published entries — all fields, nothing populated,
//! embedded or rendered, one locale each — written from the live copies'
//! stored text ([`LiveText::write_public`]) rather than through values.

use serde_json::json;

use super::access::Access;
use super::respond::Written;
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::model::content_type::{ContentType, Kind};
use crate::model::keyset::cursor_after;
#[cfg(doc)]
use crate::model::live_text::LiveText;
use crate::model::live_text::shown_as_stored;
use crate::model::query::{ListQuery, RichtextAs, Surface};
use crate::store::StoreError;

/// Whether the page `q` asks of `ct` shows each entry's live copy as it is
/// stored.
pub(super) fn is_plain(access: &Access, ct: &ContentType, q: &ListQuery) -> bool {
    matches!(access, Access::Published)
        && ct.def.kind == Kind::Collection
        && q.populate.is_empty()
        && q.fields.is_none()
        && q.richtext == RichtextAs::Markdown
        && q.chain().is_none()
        && shown_as_stored(ct)
}

/// The page as `{"data": […], "meta": {…}}`, as the value path writes it;
/// `None` when the store can't hand out the stored text.
pub(super) async fn page(
    state: &AppState,
    ct: &ContentType,
    q: &ListQuery,
) -> Result<Option<Written>, ApiError> {
    let Some((rows, total)) = state.content.live_text_page(ct, q).await? else {
        return Ok(None);
    };
    let corrupt = |e: serde_json::Error| {
        ApiError::from(StoreError::Corrupt(format!(
            "a live copy of {}: {e}",
            ct.api_id()
        )))
    };
    let next = match rows.last().filter(|_| rows.len() as i64 == q.limit) {
        Some(last) => {
            let sort = q.sort_for(Surface::Public);
            Some(cursor_after(
                &sort,
                &last.parsed().map_err(corrupt)?,
                Surface::Public,
            ))
        }
        None => None,
    };
    let mut body = Vec::with_capacity(rows.iter().map(|r| r.text.len() + 200).sum::<usize>() + 100);
    body.extend_from_slice(b"{\"data\":[");
    let mut shown = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        shown.push(row.write_public(ct, &mut body).map_err(corrupt)?);
    }
    body.extend_from_slice(b"],\"meta\":");
    let meta = json!({ "total": total, "limit": q.limit, "offset": q.offset, "next": next });
    serde_json::to_writer(&mut body, &meta).map_err(corrupt)?;
    body.push(b'}');
    Ok(Some(Written { body, shown }))
}

//! The assets a working copy names: checked inside the write transaction
//! (each must exist and suit its field's `accept`), then linked, so that
//! none can be deleted from under the entry.

use crate::model::FieldError;
use crate::model::content_type::Field;
use crate::model::entry::Entry;
use crate::model::field::FieldType;
use crate::model::nested::{IdAt, ids_at};
use crate::store::sql::{Arg, Dialect, Sql};

/// Does either copy of `entry` name an asset (`link_media!` has work)?
pub(super) fn has_media(fields: &[Field], entry: &Entry) -> bool {
    let names = |data| !ids_at(fields, data, FieldType::Media).is_empty();
    names(&entry.draft) || entry.published.as_ref().is_some_and(names)
}

/// Checks the assets a working copy names (each must exist and suit its
/// field's `accept`), then records every asset the entry's working and live
/// copies use, so that none of them can be deleted from under it. The
/// entry's old links are gone already (a new row, or removed with the
/// write's update: see `clearing_links`).
macro_rules! link_media {
    ($tx:expr, $dialect:expr, $ct:expr, $entry:expr) => {{
        let mut refs = ids_at(&$ct.fields, &$entry.draft, FieldType::Media);
        let in_draft = refs.len();
        if let Some(live) = &$entry.published {
            refs.extend(ids_at(&$ct.fields, live, FieldType::Media));
        }
        let mut ids: Vec<String> = refs.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids.dedup();
        if !ids.is_empty() {
            let found = pairs!($tx, assets_sql($dialect, &ids));
            let errors = media_errors(&refs[..in_draft], &found);
            if !errors.is_empty() {
                return Err(StoreError::Invalid(errors));
            }
            for id in ids.iter().filter(|id| found.contains_key(*id)) {
                sqlx::query("INSERT INTO asset_refs (asset_id, entry_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(&$entry.row)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}

/// Selects id and MIME type of the given assets, keeping them from being
/// deleted until commit.
pub(super) fn assets_sql(dialect: Dialect, ids: &[String]) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT id, mime_type FROM assets WHERE id IN ")
        .list(ids.iter().map(|id| Arg::Text(id.clone())))
        .push(dialect.key_share_lock());
    sql
}

/// What is wrong with the assets a working copy names, given the MIME type
/// of each asset that exists.
pub(super) fn media_errors(
    refs: &[IdAt<'_>],
    found: &std::collections::HashMap<String, String>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for r in refs {
        match found.get(&r.id) {
            None => errors.push(FieldError::new(
                r.path.clone(),
                "exists",
                format!("no asset has the id {}", r.id),
            )),
            Some(mime) => {
                if let Some(accept) = &r.field.accept
                    && !crate::media::sniff::accepts(accept, mime)
                {
                    errors.push(FieldError::new(
                        r.path.clone(),
                        "accept",
                        format!(
                            "asset {} is {mime}; `{}` takes {}",
                            r.id,
                            r.field.name,
                            accept.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    errors
}

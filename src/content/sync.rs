//! The sync feed: everything live, then exactly what changed since.
//!
//! A page reads the current state of what it names, so a client may see
//! an entry twice (a full page, then a delta) but never misses one: every
//! publish, unpublish, delete and reference cleared after a position is in
//! the feed after it.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::Content;
use super::embed::{embed, rendered};
use crate::model::content_type::ContentType;
use crate::model::entry::Entry;
use crate::model::sync::{Cursor, Phase};
use crate::store::changes::Change;
use crate::store::{self, StoreResult};

/// Changes a page reads at most per item it may hold: a stretch of draft
/// saves (which the feed skips) ends the page early rather than late.
const SCAN_PER_ITEM: i64 = 10;

/// One page of the feed and where the next begins.
pub struct SyncPage {
    pub items: Vec<Value>,
    pub next: Cursor,
    /// Whether the next page has more right away (a client stops when not).
    pub more: bool,
}

/// What one change asks the page to say again, in feed order.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Touched {
    /// A translation (`None`: every one the entry has) of an entry.
    Entry {
        id: String,
        content_type: String,
        locale: Option<String>,
    },
    Asset(String),
    TypeDeleted(String),
}

impl Content {
    /// The page of the feed after `cursor`, at most `limit` items.
    pub async fn sync(&self, mut cursor: Cursor, limit: i64) -> StoreResult<SyncPage> {
        let mut items = Vec::new();
        let mut scan = limit * SCAN_PER_ITEM;
        loop {
            let room = limit - items.len() as i64;
            if room <= 0 || scan <= 0 {
                return Ok(SyncPage {
                    items,
                    next: cursor,
                    more: true,
                });
            }
            match cursor.phase.clone() {
                Phase::Entries(after) => {
                    let only = cursor.content_type.as_deref();
                    let page =
                        store::entries::published_after(&self.db, only, &after, room).await?;
                    cursor.phase = match page.last() {
                        Some(last) if page.len() as i64 == room => Phase::Entries(last.row.clone()),
                        _ => cursor.after_entries(),
                    };
                    items.extend(self.upserts(&page).await?.into_iter().flatten());
                }
                Phase::Resend(types, after) => {
                    let Some(first) = types.first() else {
                        cursor.phase = Phase::Changes;
                        continue;
                    };
                    let page = store::entries::published_after(&self.db, Some(first), &after, room)
                        .await?;
                    cursor.phase = match page.last() {
                        Some(last) if page.len() as i64 == room => {
                            Phase::Resend(types.clone(), last.row.clone())
                        }
                        _ => Phase::Resend(types[1..].to_vec(), String::new()),
                    };
                    items.extend(self.upserts(&page).await?.into_iter().flatten());
                }
                Phase::Assets(after) => {
                    let page = store::assets::after(&self.db, &after, room).await?;
                    cursor.phase = match page.last() {
                        Some(last) if page.len() as i64 == room => Phase::Assets(last.id.clone()),
                        _ => Phase::Changes,
                    };
                    items.extend(page.iter().map(|a| json!({ "asset": rendered(a) })));
                }
                Phase::Changes => {
                    let changes = match cursor.content_type.as_deref() {
                        Some(t) => {
                            store::changes::since_of_type(&self.db, cursor.seq, t, room).await?
                        }
                        None => store::changes::since(&self.db, cursor.seq, room).await?,
                    };
                    scan -= changes.len() as i64;
                    let (touched, upto, resend) = self.what_changed(&changes, &cursor);
                    items.extend(self.restate(touched).await?);
                    if let Some(seq) = upto {
                        cursor.seq = seq;
                    }
                    if let Some(types) = resend {
                        cursor.phase = Phase::Resend(types, String::new());
                    } else if (changes.len() as i64) < room {
                        return Ok(SyncPage {
                            items,
                            next: cursor,
                            more: false,
                        });
                    }
                }
            }
        }
    }

    /// What `changes` ask to be said again, up to the position they reach.
    /// A change to a type stops the reading there: its entries (or those
    /// of the types using it as a component) are sent again first.
    fn what_changed(
        &self,
        changes: &[Change],
        cursor: &Cursor,
    ) -> (Vec<Touched>, Option<i64>, Option<Vec<String>>) {
        let mut touched: Vec<Touched> = Vec::new();
        for c in changes {
            let t = match (c.entity.as_str(), c.action.as_str()) {
                // Draft saves and new entries change no live copy.
                ("entry", "publish" | "unpublish" | "delete" | "nullify") => Touched::Entry {
                    id: c.entity_id.clone(),
                    content_type: c.content_type.clone().unwrap_or_default(),
                    locale: c.locale.clone(),
                },
                ("asset", _) if cursor.content_type.is_none() => {
                    Touched::Asset(c.entity_id.clone())
                }
                ("content_type", "delete") => Touched::TypeDeleted(c.entity_id.clone()),
                ("content_type", "update") => {
                    let types = self.rewritten_by(&c.entity_id, cursor.content_type.as_deref());
                    if types.is_empty() {
                        continue;
                    }
                    return (touched, Some(c.seq), Some(types));
                }
                _ => continue,
            };
            // Said once, where it last changed.
            touched.retain(|x| *x != t);
            touched.push(t);
        }
        (touched, changes.last().map(|c| c.seq), None)
    }

    /// The types whose live copies a change of `api_id` may rewrite: itself,
    /// or the types that use it as a component; within the synced type.
    fn rewritten_by(&self, api_id: &str, only: Option<&str>) -> Vec<String> {
        let mut types: Vec<String> = self
            .types
            .all()
            .iter()
            .filter(|t| t.api_id() == api_id || t.uses_component(api_id))
            .map(|t| t.api_id().to_string())
            .filter(|t| only.is_none_or(|o| o == t))
            .collect();
        types.sort();
        types
    }

    /// The current state of what changed: live copies as upserts, the rest
    /// as tombstones.
    async fn restate(&self, touched: Vec<Touched>) -> StoreResult<Vec<Value>> {
        let ids: Vec<String> = touched
            .iter()
            .filter_map(|t| match t {
                Touched::Entry { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        let assets: Vec<String> = touched
            .iter()
            .filter_map(|t| match t {
                Touched::Asset(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        let mut rows: HashMap<String, Vec<Entry>> = HashMap::new();
        for e in store::entries::all_translations(&self.db, &ids).await? {
            rows.entry(e.id.clone()).or_default().push(e);
        }
        let assets = store::assets::many(&self.db, &assets).await?;
        // Live copies are shaped together (one media lookup for the page);
        // `None` marks where each goes among the other items.
        let mut live: Vec<Entry> = Vec::new();
        let mut slots: Vec<Option<Value>> = Vec::new();
        for t in touched {
            match t {
                Touched::Entry {
                    id,
                    content_type,
                    locale,
                } => {
                    let now = rows.remove(&id).unwrap_or_default();
                    let (mine, others): (Vec<Entry>, Vec<Entry>) = now
                        .into_iter()
                        .partition(|e| locale.as_ref().is_none_or(|l| *l == e.locale));
                    if !others.is_empty() {
                        rows.insert(id.clone(), others);
                    }
                    if mine.is_empty() {
                        slots.push(Some(tombstone(&content_type, &id, locale.as_deref())));
                    }
                    for e in mine {
                        if e.published.is_some() {
                            live.push(e);
                            slots.push(None);
                        } else {
                            slots.push(Some(tombstone(&e.content_type, &id, Some(&e.locale))));
                        }
                    }
                }
                Touched::Asset(id) => slots.push(Some(match assets.get(&id) {
                    Some(a) => json!({ "asset": rendered(a) }),
                    None => json!({ "deleted_asset": { "id": id } }),
                })),
                Touched::TypeDeleted(t) => {
                    slots.push(Some(json!({ "deleted_type": { "type": t } })))
                }
            }
        }
        let mut shaped = self.upserts(&live).await?.into_iter();
        Ok(slots
            .into_iter()
            .filter_map(|slot| slot.or_else(|| shaped.next().flatten()))
            .collect())
    }

    /// Live translations as sync items.
    async fn upserts(&self, entries: &[Entry]) -> StoreResult<Vec<Option<Value>>> {
        Ok(self
            .live_shapes(entries)
            .await?
            .into_iter()
            .map(|s| s.map(|v| json!({ "entry": v })))
            .collect())
    }

    /// Live translations as the public API shows them (media fields as
    /// assets, relations as ids), each with its type; one per entry, none
    /// for a type no longer defined.
    pub(crate) async fn live_shapes(&self, entries: &[Entry]) -> StoreResult<Vec<Option<Value>>> {
        let mut shaped: Vec<Option<(std::sync::Arc<ContentType>, Value)>> = Vec::new();
        for e in entries {
            let public = self.types.get(&e.content_type).and_then(|ct| {
                let Some(Value::Object(fields)) = e.to_public(&ct, None) else {
                    return None;
                };
                let mut v = Map::with_capacity(fields.len() + 1);
                v.insert("type".into(), Value::String(e.content_type.clone()));
                v.extend(fields);
                Some((ct, Value::Object(v)))
            });
            shaped.push(public);
        }
        let mut refs: Vec<(&ContentType, &mut Value)> = shaped
            .iter_mut()
            .flatten()
            .map(|(ct, v)| (&**ct, v))
            .collect();
        embed(&self.db, &mut refs).await?;
        Ok(shaped.into_iter().map(|s| s.map(|(_, v)| v)).collect())
    }
}

fn tombstone(content_type: &str, id: &str, locale: Option<&str>) -> Value {
    json!({ "deleted": { "type": content_type, "id": id, "locale": locale } })
}

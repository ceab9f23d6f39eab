//! The fan-out: each change of the feed becomes one delivery per webhook
//! that wants one of its events, body and all, queued in the database.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::Webhooks;
use crate::clock;
use crate::content::embed::rendered;
use crate::model::entry::Entry;
use crate::model::webhook::{events_of, purge_keys};
use crate::store::changes::Change;
use crate::store::webhooks::NewDelivery;
use crate::store::{self, StoreResult};

/// Changes fanned out per round.
const BATCH: i64 = 200;

impl Webhooks {
    /// Queues the deliveries of the changes not yet fanned out; answers
    /// how many changes this call took.
    pub async fn fan_out(&self) -> StoreResult<usize> {
        let _one = self.busy.lock().await;
        let db = &self.content.db;
        let from = store::webhooks::outbox_seq(db).await?;
        let changes = store::changes::since(db, from, BATCH).await?;
        let Some(to) = changes.last().map(|c| c.seq) else {
            return Ok(0);
        };
        let hooks = store::webhooks::list(db).await?;
        let mut deliveries = Vec::new();
        if hooks.iter().any(|h| h.enabled) {
            let bodies = self.bodies(&changes, &hooks).await?;
            for (change, event, body) in bodies {
                for hook in &hooks {
                    if hook.wants(event, change.content_type.as_deref()) {
                        deliveries.push(NewDelivery {
                            webhook_id: hook.id.clone(),
                            event: event.to_string(),
                            seq: Some(change.seq),
                            body: body.clone(),
                        });
                    }
                }
            }
        }
        // Another node may have queued these first; then this round did
        // nothing and the next starts where that one ended.
        let queued = store::webhooks::queue(db, from, to, &deliveries).await?;
        Ok(if queued { changes.len() } else { 0 })
    }

    /// The body of every (change, event) some webhook wants, built once.
    async fn bodies<'a>(
        &self,
        changes: &'a [Change],
        hooks: &[store::webhooks::Webhook],
    ) -> StoreResult<Vec<(&'a Change, &'static str, String)>> {
        let wanted: Vec<(&Change, &'static str)> = changes
            .iter()
            .flat_map(|c| events_of(&c.entity, &c.action).iter().map(move |e| (c, *e)))
            .filter(|(c, e)| hooks.iter().any(|h| h.wants(e, c.content_type.as_deref())))
            .collect();
        let entry_ids: Vec<String> = wanted
            .iter()
            .filter(|(c, e)| c.entity == "entry" && *e != "cache.purge")
            .map(|(c, _)| c.entity_id.clone())
            .collect();
        let asset_ids: Vec<String> = wanted
            .iter()
            .filter(|(c, _)| c.entity == "asset")
            .map(|(c, _)| c.entity_id.clone())
            .collect();
        let mut entries: HashMap<(String, String), Entry> = HashMap::new();
        for e in store::entries::all_translations(&self.content.db, &entry_ids).await? {
            entries.insert((e.id.clone(), e.locale.clone()), e);
        }
        let assets = store::assets::many(&self.content.db, &asset_ids).await?;
        let mut out = Vec::with_capacity(wanted.len());
        for (change, event) in wanted {
            let mut body = Map::new();
            body.insert("event".into(), json!(event));
            body.insert("type".into(), json!(change.content_type));
            body.insert("id".into(), json!(change.entity_id));
            body.insert("at".into(), json!(clock::format(change.at)));
            body.insert("seq".into(), json!(change.seq));
            match (change.entity.as_str(), event) {
                (_, "cache.purge") => {
                    let keys = purge_keys(
                        change.content_type.as_deref(),
                        &change.entity_id,
                        &change.entity,
                    );
                    body.insert("keys".into(), json!(keys));
                }
                ("entry", _) => {
                    let locale = change.locale.clone().unwrap_or_default();
                    body.insert("locale".into(), json!(change.locale));
                    let entry = entries.get(&(change.entity_id.clone(), locale));
                    body.insert("version".into(), json!(entry.map(|e| e.version)));
                    if let Some(e) = entry.filter(|_| event != "entry.deleted") {
                        body.insert("entry".into(), self.entry_body(e, event).await?);
                    }
                }
                ("asset", _) => {
                    if let Some(a) = assets.get(&change.entity_id) {
                        body.insert("asset".into(), rendered(a));
                    }
                }
                _ => {
                    body.insert("action".into(), json!(change.action));
                }
            }
            let text = serde_json::to_string(&Value::Object(body)).unwrap_or_default();
            out.push((change, event, text));
        }
        Ok(out)
    }

    /// An entry as a webhook sees it: the live copy as the public API
    /// shows it for a publish, the working copy otherwise. Either is the
    /// entry as it stands when the delivery is queued.
    async fn entry_body(&self, e: &Entry, event: &str) -> StoreResult<Value> {
        if event == "entry.published" && e.published.is_some() {
            let live = self.content.live_shapes(std::slice::from_ref(e)).await?;
            if let Some(Some(v)) = live.into_iter().next() {
                return Ok(v);
            }
        }
        Ok(json!({
            "id": e.id,
            "type": e.content_type,
            "locale": e.locale,
            "version": e.version,
            "status": e.status.as_str(),
            "updated_at": clock::format(e.updated_at),
            "data": e.draft,
        }))
    }
}

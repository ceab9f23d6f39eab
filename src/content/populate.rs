//! `populate`: relation fields replaced by the entries they point at, level
//! by level. Each level is one query for the whole page (and one more for
//! the assets its media fields name), whatever the number of entries: the
//! ids of a level are gathered first, fetched together, then shaped.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::Content;
use super::embed::embed_fields;
use super::reads::Read;
use crate::model::content_type::ContentType;
use crate::model::field::FieldType;
use crate::model::populate::Populate;
use crate::model::query::Surface;
use crate::model::translation::{by_entry, fill};
use crate::store::{self, StoreResult};

/// One value being populated, with what to populate in it.
struct Node<'t> {
    ct: Arc<ContentType>,
    value: Value,
    tree: &'t Populate,
    /// For each populated relation field: whether it is a list, and the
    /// index in the next level of each target it names (`None` when the
    /// target is not visible).
    links: Vec<(String, bool, Vec<Option<usize>>)>,
}

/// The ids a relation value holds, in order.
fn ids(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(id)) => vec![id.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

impl Content {
    /// Populates `values` (entries of `ct` as `surface` shows them) along
    /// `tree`, each target in the first locale of `chain` it has (filled
    /// along the chain); answers how many queries it made. A target the
    /// surface does not see (a draft on the public API, a deleted entry, one
    /// with no translation in the chain) reads as `null` in a single
    /// relation and is left out of a list.
    pub async fn populate(
        &self,
        ct: &Arc<ContentType>,
        values: &mut [Value],
        tree: &Populate,
        surface: Surface,
        chain: &[String],
    ) -> StoreResult<u64> {
        if tree.is_empty() || values.is_empty() {
            return Ok(0);
        }
        let mut queries = 0;
        let top: Vec<Node> = values
            .iter_mut()
            .map(|v| Node {
                ct: ct.clone(),
                value: std::mem::take(v),
                tree,
                links: Vec::new(),
            })
            .collect();
        let mut levels = vec![top];
        while let Some(level) = levels.last_mut() {
            let mut wanted: Vec<String> = Vec::new();
            for node in level.iter() {
                for (field, _) in &node.tree.fields {
                    if node
                        .ct
                        .field(field)
                        .is_some_and(|f| f.field_type == FieldType::Relation)
                    {
                        wanted.extend(ids(node.value.get(field)));
                    }
                }
            }
            if wanted.is_empty() {
                break;
            }
            wanted.sort();
            wanted.dedup();
            let rows = store::entries::in_locales(&self.db, &wanted, chain, surface).await?;
            queries += 1;
            let found: HashMap<String, Read> = by_entry(chain, rows)
                .into_iter()
                .filter_map(|mut group| {
                    if group.is_empty() {
                        return None;
                    }
                    let mut entry = group.remove(0);
                    let fallbacks = (chain.len() > 1).then(|| {
                        let ct = self.types.get(&entry.content_type);
                        ct.map(|ct| {
                            fill(&ct, chain, &mut entry, &group, surface == Surface::Public)
                        })
                        .unwrap_or_default()
                    });
                    Some((entry.id.clone(), Read { entry, fallbacks }))
                })
                .collect();
            let mut next: Vec<Node> = Vec::new();
            for node in level.iter_mut() {
                for (field, sub) in &node.tree.fields {
                    let Some(def) = node.ct.field(field) else {
                        continue;
                    };
                    let (FieldType::Relation, Some(to)) = (def.field_type, def.to.as_deref())
                    else {
                        continue;
                    };
                    let Some(target_ct) = self.types.get(to) else {
                        continue;
                    };
                    let mut at = Vec::new();
                    for id in ids(node.value.get(field)) {
                        let shaped = found
                            .get(id.as_str())
                            .filter(|r| r.entry.content_type == to)
                            .and_then(|r| {
                                let mut v = match surface {
                                    Surface::Public => r.entry.to_public(&target_ct, None),
                                    Surface::Admin => r.entry.to_preview(&target_ct, None),
                                }?;
                                r.annotate(&mut v);
                                Some(v)
                            });
                        at.push(shaped.map(|value| {
                            next.push(Node {
                                ct: target_ct.clone(),
                                value,
                                tree: sub,
                                links: Vec::new(),
                            });
                            next.len() - 1
                        }));
                    }
                    node.links.push((field.clone(), def.multiple, at));
                }
            }
            if self.embed_named_media(&mut next).await? {
                queries += 1;
            }
            levels.push(next);
        }
        // Bottom up: each level takes its children's finished values.
        while levels.len() > 1 {
            let Some(children) = levels.pop() else { break };
            let mut children: Vec<Option<Value>> =
                children.into_iter().map(|n| Some(n.value)).collect();
            let Some(parents) = levels.last_mut() else {
                break;
            };
            for node in parents.iter_mut() {
                for (field, multiple, at) in std::mem::take(&mut node.links) {
                    let mut shown = at
                        .into_iter()
                        .filter_map(|i| i.and_then(|i| children.get_mut(i)?.take()));
                    let value = if multiple {
                        Value::Array(shown.collect())
                    } else {
                        shown.next().unwrap_or(Value::Null)
                    };
                    if let Value::Object(map) = &mut node.value {
                        map.insert(field, value);
                    }
                }
            }
        }
        if let Some(top) = levels.pop() {
            for (slot, node) in values.iter_mut().zip(top) {
                *slot = node.value;
            }
        }
        Ok(queries)
    }

    /// Shows as assets the media fields each populated entry's path names
    /// (`author.avatar`); `true` when that took a query.
    async fn embed_named_media(&self, nodes: &mut [Node<'_>]) -> StoreResult<bool> {
        let mut items: Vec<(Vec<&str>, &mut Value)> = Vec::new();
        for node in nodes.iter_mut() {
            let names: Vec<&str> = node
                .tree
                .fields
                .iter()
                .map(|(f, _)| f.as_str())
                .filter(|f| {
                    node.ct
                        .field(f)
                        .is_some_and(|d| d.field_type == FieldType::Media)
                })
                .collect();
            if !names.is_empty() {
                items.push((names, &mut node.value));
            }
        }
        embed_fields(&self.db, &mut items).await
    }
}

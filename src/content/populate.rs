//! `populate`: relation fields replaced by the entries they point at, level
//! by level. Each level is one query for the whole page (and one more for
//! the assets its media fields name), whatever the number of entries: the
//! ids of a level are gathered first, fetched together, then shaped. A path
//! through a component or blocks field reaches the relations inside its
//! groups: each group joins its entry's level as a node of its own and is
//! put back in place once filled.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::Content;
use super::embed::embed_fields;
use super::reads::Read;
use crate::model::content_type::{ContentType, Field, Nested};
use crate::model::field::FieldType;
use crate::model::populate::Populate;
use crate::model::query::Surface;
use crate::model::translation::{by_entry, fill};
use crate::store::{self, StoreResult};

/// The fields a node's value holds: an entry's type's, or a group's.
enum Scope {
    Type(Arc<ContentType>),
    Group(Arc<Vec<Field>>),
}

impl Scope {
    fn field(&self, name: &str) -> Option<&Field> {
        match self {
            Scope::Type(ct) => ct.field(name),
            Scope::Group(fields) => fields.iter().find(|f| f.name == name),
        }
    }
}

/// What a node's field becomes once the levels below are done.
enum Link {
    /// A relation: whether it is a list, and the index in the next level of
    /// each target it names (`None` when the target is not visible).
    Relation(String, bool, Vec<Option<usize>>),
    /// A component or blocks field: whether it holds a list, and the index
    /// in the same level of each of its groups.
    Groups(String, bool, Vec<usize>),
}

/// One value being populated, with what to populate in it.
struct Node<'t> {
    scope: Scope,
    value: Value,
    tree: &'t Populate,
    links: Vec<Link>,
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

/// The fields of one group of `field`: the component's, or the kind's the
/// block names.
fn group_scope(field: &Field, group: &Value) -> Option<Arc<Vec<Field>>> {
    match &field.nested {
        Nested::None => None,
        Nested::Group(fields) => Some(fields.clone()),
        Nested::Kinds(kinds) => {
            let kind = group.get("kind")?.as_str()?;
            kinds
                .iter()
                .find(|(k, _)| k == kind)
                .map(|(_, f)| f.clone())
        }
    }
}

/// Moves the groups of the fields each node's tree passes through into
/// nodes of their own at the end of `level` (their groups too, in turn).
fn split_groups<'t>(level: &mut Vec<Node<'t>>) {
    type Taken<'t> = (
        String,
        bool,
        Vec<(Value, Option<Arc<Vec<Field>>>)>,
        &'t Populate,
    );
    let mut i = 0;
    while i < level.len() {
        let mut taken: Vec<Taken<'t>> = Vec::new();
        if let Some(node) = level.get_mut(i) {
            let tree: &'t Populate = node.tree;
            for (name, sub) in &tree.fields {
                let Some(field) = node.scope.field(name) else {
                    continue;
                };
                if !field.field_type.is_nested() || sub.is_empty() {
                    continue;
                }
                let field = field.clone();
                let Some(held) = node.value.get_mut(name.as_str()) else {
                    continue;
                };
                let (list, groups) = match std::mem::take(held) {
                    Value::Array(items) => (true, items),
                    Value::Null => continue,
                    one => (false, vec![one]),
                };
                let groups = groups
                    .into_iter()
                    .map(|g| {
                        let scope = group_scope(&field, &g);
                        (g, scope)
                    })
                    .collect();
                taken.push((name.clone(), list, groups, sub));
            }
        }
        for (name, list, groups, sub) in taken {
            let mut at = Vec::with_capacity(groups.len());
            for (value, scope) in groups {
                at.push(level.len());
                level.push(Node {
                    // A block of a kind the field does not take stays as it is.
                    scope: Scope::Group(scope.unwrap_or_default()),
                    value,
                    tree: sub,
                    links: Vec::new(),
                });
            }
            if let Some(node) = level.get_mut(i) {
                node.links.push(Link::Groups(name, list, at));
            }
        }
        i += 1;
    }
}

/// Puts each group node's finished value back into its owner, deepest
/// first (a group's nodes always come after it).
fn fold_groups(level: &mut [Node<'_>]) {
    for i in (0..level.len()).rev() {
        let links = std::mem::take(&mut level[i].links);
        let mut kept = Vec::new();
        for link in links {
            let Link::Groups(name, list, at) = link else {
                kept.push(link);
                continue;
            };
            let mut values: Vec<Value> = at
                .iter()
                .filter_map(|&j| level.get_mut(j).map(|n| std::mem::take(&mut n.value)))
                .collect();
            let value = if list {
                Value::Array(values)
            } else {
                values.pop().unwrap_or(Value::Null)
            };
            if let Value::Object(map) = &mut level[i].value {
                map.insert(name, value);
            }
        }
        level[i].links = kept;
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
        let mut top: Vec<Node> = values
            .iter_mut()
            .map(|v| Node {
                scope: Scope::Type(ct.clone()),
                value: std::mem::take(v),
                tree,
                links: Vec::new(),
            })
            .collect();
        split_groups(&mut top);
        let mut levels = vec![top];
        while let Some(level) = levels.last_mut() {
            let mut wanted: Vec<String> = Vec::new();
            for node in level.iter() {
                for (field, _) in &node.tree.fields {
                    if node
                        .scope
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
                    let Some(def) = node.scope.field(field) else {
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
                                scope: Scope::Type(target_ct.clone()),
                                value,
                                tree: sub,
                                links: Vec::new(),
                            });
                            next.len() - 1
                        }));
                    }
                    node.links
                        .push(Link::Relation(field.clone(), def.multiple, at));
                }
            }
            if self.embed_named_media(&mut next).await? {
                queries += 1;
            }
            split_groups(&mut next);
            levels.push(next);
        }
        // Bottom up: each level folds its groups back, then hands its
        // finished values to the relations of the level above.
        while levels.len() > 1 {
            let Some(mut children) = levels.pop() else {
                break;
            };
            fold_groups(&mut children);
            let mut children: Vec<Option<Value>> =
                children.into_iter().map(|n| Some(n.value)).collect();
            let Some(parents) = levels.last_mut() else {
                break;
            };
            for node in parents.iter_mut() {
                let mut kept = Vec::new();
                for link in std::mem::take(&mut node.links) {
                    let Link::Relation(field, multiple, at) = link else {
                        kept.push(link);
                        continue;
                    };
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
                node.links = kept;
            }
        }
        if let Some(mut top) = levels.pop() {
            fold_groups(&mut top);
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
                    node.scope
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

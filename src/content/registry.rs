//! The content types in force, by api id: read on every request, so kept
//! in memory and reloaded when the change feed says a type changed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::model::content_type::ContentType;
use crate::store::{self, Db, StoreResult};

/// Content types by api id, read on every request and so kept in memory:
/// as defined, and resolved (reusable components filled in), which is what
/// readers get.
#[derive(Default)]
pub struct TypeRegistry {
    types: RwLock<Maps>,
    /// Held by this node's type writes from their database write to their
    /// update here, and by a reload from its read to its replace: a reload
    /// that read before a local write committed cannot then overwrite the
    /// write's update with what it read.
    changing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Maps {
    defined: HashMap<String, Arc<ContentType>>,
    resolved: HashMap<String, Arc<ContentType>>,
}

impl Maps {
    /// Resolves every type again: a change to a component changes the
    /// types that use it.
    fn resolve(&mut self) {
        let defined = &self.defined;
        let lookup = |id: &str| defined.get(id).cloned();
        self.resolved = defined
            .iter()
            .map(|(id, ct)| (id.clone(), Arc::new(ct.resolved(&lookup))))
            .collect();
    }
}

impl TypeRegistry {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        // A poisoned lock only means a panic elsewhere; the maps are whole.
        self.types.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.types.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, api_id: &str) -> Option<Arc<ContentType>> {
        self.read().resolved.get(api_id).cloned()
    }

    /// Every type, in api id order.
    pub fn all(&self) -> Vec<Arc<ContentType>> {
        let mut all: Vec<_> = self.read().resolved.values().cloned().collect();
        all.sort_by(|a, b| a.api_id().cmp(b.api_id()));
        all
    }

    /// `ct` with its reusable components filled in from the types in force.
    pub fn resolve(&self, ct: &ContentType) -> ContentType {
        let maps = self.read();
        ct.resolved(&|id| maps.defined.get(id).cloned())
    }

    pub fn put(&self, ct: ContentType) {
        let mut maps = self.write();
        maps.defined.insert(ct.api_id().to_string(), Arc::new(ct));
        maps.resolve();
    }

    pub fn remove(&self, api_id: &str) {
        let mut maps = self.write();
        maps.defined.remove(api_id);
        maps.resolve();
    }

    /// Taken around a type write and its [`put`](Self::put) or
    /// [`remove`](Self::remove).
    pub async fn changing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.changing.lock().await
    }

    pub async fn reload(&self, db: &Db) -> StoreResult<()> {
        let _one = self.changing.lock().await;
        let fresh: HashMap<_, _> = store::content_types::list(db)
            .await?
            .into_iter()
            .map(|t| {
                (
                    t.content_type.api_id().to_string(),
                    Arc::new(t.content_type),
                )
            })
            .collect();
        let mut maps = self.write();
        maps.defined = fresh;
        maps.resolve();
        Ok(())
    }
}

impl crate::model::populate::Types for TypeRegistry {
    fn get(&self, api_id: &str) -> Option<Arc<ContentType>> {
        TypeRegistry::get(self, api_id)
    }
}

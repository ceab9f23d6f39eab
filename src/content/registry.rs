//! The content types in force, by api id: read on every request, so kept
//! in memory and reloaded when the change feed says a type changed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::model::content_type::ContentType;
use crate::store::{self, Db, StoreResult};

/// Content types by api id, read on every request and so kept in memory.
#[derive(Default)]
pub struct TypeRegistry {
    types: RwLock<HashMap<String, Arc<ContentType>>>,
}

impl TypeRegistry {
    pub fn get(&self, api_id: &str) -> Option<Arc<ContentType>> {
        // A poisoned lock only means a panic elsewhere; the map is still whole.
        let map = self.types.read().unwrap_or_else(|p| p.into_inner());
        map.get(api_id).cloned()
    }

    /// Every type, in api id order.
    pub fn all(&self) -> Vec<Arc<ContentType>> {
        let map = self.types.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = map.values().cloned().collect();
        all.sort_by(|a, b| a.api_id().cmp(b.api_id()));
        all
    }

    pub fn put(&self, ct: ContentType) {
        let mut map = self.types.write().unwrap_or_else(|p| p.into_inner());
        map.insert(ct.api_id().to_string(), Arc::new(ct));
    }

    pub fn remove(&self, api_id: &str) {
        let mut map = self.types.write().unwrap_or_else(|p| p.into_inner());
        map.remove(api_id);
    }

    pub async fn reload(&self, db: &Db) -> StoreResult<()> {
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
        *self.types.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }
}

impl crate::model::populate::Types for TypeRegistry {
    fn get(&self, api_id: &str) -> Option<Arc<ContentType>> {
        TypeRegistry::get(self, api_id)
    }
}

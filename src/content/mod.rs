//! The content service: what both APIs ask of Quire, in domain words.
//!
//! Handlers parse, authorise, call in here and map the result. This is the
//! home of the rules of content (what an entry may hold, what a write
//! touches, which cached answers it makes stale), between `api` and
//! `store`: entry writes go through it; the merge-and-validate of an edit
//! and the other resources' writes are still to move here.

pub mod cache;
pub mod embed;
pub mod entries;
pub mod populate;
pub mod registry;
pub mod types;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::store::{self, Db, StoreResult};
use cache::PublicCache;
use registry::TypeRegistry;

/// The service handle the handlers hold: the database, the content types in
/// force and the public response cache.
#[derive(Clone)]
pub struct Content {
    pub db: Db,
    pub types: Arc<TypeRegistry>,
    pub cache: Arc<PublicCache>,
}

impl Content {
    /// Loads the content types and marks the change feed as seen up to now.
    pub async fn open(db: Db, cache: PublicCache) -> StoreResult<Content> {
        let types = Arc::new(TypeRegistry::default());
        types.reload(&db).await?;
        cache
            .seen_seq
            .store(store::changes::last_seq(&db).await?, Ordering::Relaxed);
        Ok(Content {
            db,
            types,
            cache: Arc::new(cache),
        })
    }

    /// Call after every committed write: public answers may have changed.
    pub fn changed(&self) {
        self.cache.invalidate();
    }

    /// Follows the change feed, so that writes made by other Quire nodes on
    /// the same database reach this node's types and cache within a tick.
    pub async fn follow_changes(&self) -> StoreResult<()> {
        let seq = store::changes::last_seq(&self.db).await?;
        if self.cache.seen_seq.swap(seq, Ordering::Relaxed) != seq {
            self.types.reload(&self.db).await?;
            self.cache.invalidate();
        }
        Ok(())
    }
}

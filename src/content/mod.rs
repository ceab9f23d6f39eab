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
pub mod events;
pub mod plain_pages;
pub mod populate;
pub mod reads;
pub mod registry;
pub mod richtext;
pub mod schedule;
pub mod search;
pub mod sync;
pub mod types;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::model::content_type::ContentType;
use crate::model::locale::Locales;
use crate::store::{self, Db, StoreResult};
use cache::{Deps, PublicCache};
use registry::TypeRegistry;

/// The service handle the handlers hold: the database, the content types in
/// force and the public response cache.
#[derive(Clone)]
pub struct Content {
    pub db: Db,
    pub types: Arc<TypeRegistry>,
    pub cache: Arc<PublicCache>,
    /// Types defined by files in `content-types/`, with their file: those
    /// change with the file, never through the API.
    pub folder: Arc<std::collections::HashMap<String, String>>,
    /// The locales content is written in, with their fallbacks.
    pub locales: Arc<Locales>,
    /// Revisions kept per translation (`None`: all).
    pub revisions_keep: Option<u32>,
    /// The time scheduled actions are due by.
    pub clock: crate::clock::Clock,
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
            folder: Arc::default(),
            locales: Arc::new(Locales::single("en")),
            revisions_keep: None,
            clock: crate::clock::Clock::default(),
        })
    }

    /// Serves the configured locales.
    pub fn with_locales(mut self, locales: Locales) -> Content {
        self.locales = Arc::new(locales);
        self
    }

    /// Keeps at most `keep` revisions per translation.
    pub fn keeping_revisions(mut self, keep: Option<u32>) -> Content {
        self.revisions_keep = keep;
        self
    }

    /// Measures scheduled actions by `clock`.
    pub fn timed_by(mut self, clock: crate::clock::Clock) -> Content {
        self.clock = clock;
        self
    }

    /// Marks the types the `content-types/` folder defines as its own.
    pub fn owned_by_folder(mut self, files: std::collections::HashMap<String, String>) -> Content {
        self.folder = Arc::new(files);
        self
    }

    /// The file that defines `api_id`, when the folder owns it.
    pub fn folder_file(&self, api_id: &str) -> Option<&str> {
        self.folder.get(api_id).map(String::as_str)
    }

    /// Call after a committed write that may change any public answer (a
    /// type's definition, a delete that clears references elsewhere).
    pub fn changed(&self) {
        self.cache.invalidate();
    }

    /// Call after a committed write to an entry: the answers showing it and
    /// the lists of its type are stale.
    pub fn changed_entry(&self, content_type: &str, id: &str) {
        self.cache.touch(Some(content_type), id);
    }

    /// Call after a committed write to an asset: the answers showing it are stale.
    pub fn changed_asset(&self, id: &str) {
        self.cache.touch(None, id);
    }

    /// What an answer about `ct` as a whole depends on: its type and every
    /// type its relations reach, since filters and `populate` read those.
    pub fn type_deps(&self, ct: &ContentType) -> Deps {
        let mut reached = vec![ct.api_id().to_string()];
        let mut i = 0;
        while i < reached.len() {
            if let Some(t) = self.types.get(&reached[i]) {
                for to in t.relation_targets() {
                    if !reached.iter().any(|r| r == to) {
                        reached.push(to.to_string());
                    }
                }
            }
            i += 1;
        }
        let mut deps = Deps::default();
        reached.iter().for_each(|t| deps.of_type(t));
        deps
    }

    /// The last feed change the public cache has followed.
    pub fn followed_seq(&self) -> i64 {
        self.cache.seen_seq.load(Ordering::Relaxed)
    }

    /// Follows the change feed, so that writes made by other Quire nodes on
    /// the same database reach this node's types and cache within a tick:
    /// each entry or asset change makes stale what shows it, a type's
    /// change everything.
    pub async fn follow_changes(&self) -> StoreResult<()> {
        let seen = self.cache.seen_seq.load(Ordering::Relaxed);
        let rows = store::changes::since(&self.db, seen, FOLLOW_BATCH).await?;
        let Some(last) = rows.last().map(|c| c.seq) else {
            return Ok(());
        };
        let wide = rows.len() as i64 == FOLLOW_BATCH
            || rows
                .iter()
                .any(|c| !matches!(c.entity.as_str(), "entry" | "asset"));
        if wide {
            // A type changed (or too much to follow one by one).
            self.types.reload(&self.db).await?;
            self.cache.invalidate();
            let head = store::changes::last_seq(&self.db).await?;
            self.cache.seen_seq.store(head.max(last), Ordering::Relaxed);
            return Ok(());
        }
        // A delete's cleared references are rows of their own ("nullify").
        for c in &rows {
            let content_type = (c.entity == "entry").then_some(c.content_type.as_deref());
            self.cache.touch(content_type.flatten(), &c.entity_id);
        }
        self.cache.seen_seq.store(last, Ordering::Relaxed);
        Ok(())
    }
}

/// Most feed rows a follower applies one by one in a tick.
const FOLLOW_BATCH: i64 = 1000;

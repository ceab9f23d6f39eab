//! Follows the `changes` feed into the index. Each commit carries the last
//! sequence it applied, so after a crash or a restart the indexer resumes
//! exactly there; re-applying a change is harmless because every change
//! re-reads the entry's current state from the database.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use super::documents::documents;
use super::index::{self, Op, SearchError, SearchIndex};
use crate::model::content_type::ContentType;
use crate::store::wake::Follower;
use crate::store::{self, Db, StoreError};

const BATCH: i64 = 500;
const PAGE: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("indexing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> Result<T, IndexerError> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

async fn content_type(db: &Db, api_id: &str) -> Result<Option<ContentType>, IndexerError> {
    match store::content_types::get(db, api_id).await {
        Ok(t) => Ok(Some(t.content_type)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Every document of a type, a page at a time.
async fn type_documents(
    db: &Db,
    fields: &index::Fields,
    ct: &ContentType,
    mut sink: impl FnMut(Vec<tantivy::TantivyDocument>) -> Result<(), IndexerError>,
) -> Result<(), IndexerError> {
    let mut after = String::new();
    loop {
        let page = store::entries::page_of_type(db, ct.api_id(), &after, PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.row.clone();
        sink(page.iter().flat_map(|e| documents(fields, ct, e)).collect())?;
    }
}

/// Applies every change after the index's sequence. Returns how many.
pub async fn catch_up(db: &Db, search: &Arc<SearchIndex>) -> Result<usize, IndexerError> {
    let fields = search.fields();
    let mut applied = 0;
    loop {
        let s = search.clone();
        let from = blocking(move || s.applied_seq()).await?;
        let changes = store::changes::since(db, from, BATCH).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(applied);
        };
        let mut types = BTreeSet::new();
        let mut entries = BTreeSet::new();
        for c in &changes {
            match c.entity.as_str() {
                "content_type" => {
                    types.insert(c.entity_id.clone());
                }
                "entry" => {
                    entries.insert(c.entity_id.clone());
                }
                _ => {}
            }
        }
        let mut ops = Vec::new();
        let mut cts: HashMap<String, Option<ContentType>> = HashMap::new();
        for id in entries {
            ops.push(Op::DeleteEntry(id.clone()));
            // Every translation of the entry, each its own documents.
            for e in store::entries::find(db, &id).await? {
                if types.contains(&e.content_type) {
                    continue;
                }
                if !cts.contains_key(&e.content_type) {
                    let ct = content_type(db, &e.content_type).await?;
                    cts.insert(e.content_type.clone(), ct);
                }
                if let Some(Some(ct)) = cts.get(&e.content_type) {
                    ops.extend(documents(&fields, ct, &e).into_iter().map(Op::Add));
                }
            }
        }
        // A changed type (its searchable fields, its language) is rebuilt
        // whole, after the entry operations: its delete must not run after
        // the documents it re-adds.
        for t in &types {
            ops.push(Op::DeleteType(t.clone()));
            if let Some(ct) = content_type(db, t).await? {
                type_documents(db, &fields, &ct, |docs| {
                    ops.extend(docs.into_iter().map(Op::Add));
                    Ok(())
                })
                .await?;
            }
        }
        applied += changes.len();
        let s = search.clone();
        blocking(move || s.apply(ops, last)).await?;
    }
}

/// The indexer of a running server: each round, picks up a rebuilt index
/// if `quire reindex` swapped one in, then applies new changes.
pub async fn follow(db: Db, search: Arc<SearchIndex>, mut rounds: Follower) {
    loop {
        rounds.next_round().await;
        let s = search.clone();
        match blocking(move || s.follow_swap()).await {
            Ok(true) => tracing::info!("search: switched to the rebuilt index"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "search: cannot open the rebuilt index"),
        }
        if let Err(e) = catch_up(&db, &search).await {
            tracing::warn!(error = %e, "search: indexing failed; will retry");
        }
    }
}

/// The rebuild's indexing memory, shared by tantivy's indexing threads:
/// most of `quire reindex`'s peak resident memory (256 MiB made it 364 MiB
/// over 100,000 articles), while the segments a smaller budget flushes
/// sooner cost the rebuild little time.
const REBUILD_WRITER_BYTES: usize = 64 * 1024 * 1024;

/// Builds a complete new index under `root` and swaps it in. `progress` is
/// told the total, then each document count as it goes.
pub async fn rebuild(
    db: &Db,
    root: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, IndexerError> {
    // Changes from here on are applied again on top by the server: harmless.
    let seq = store::changes::last_seq(db).await?;
    let root_buf = root.to_path_buf();
    let (name, idx) = blocking(move || index::create_in(&root_buf)).await?;
    let fields = SearchIndex::fields_of(&idx)?;
    let mut writer: tantivy::IndexWriter = idx
        .writer(REBUILD_WRITER_BYTES)
        .map_err(SearchError::from)?;
    // Segments are merged once, all together, at the end.
    writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
    let types = store::content_types::list(db).await?;
    let mut total = 0u64;
    for t in &types {
        if t.content_type.searchable_fields().next().is_some() {
            total += store::entries::count(db, t.content_type.api_id())
                .await?
                .max(0) as u64;
        }
    }
    let mut done = 0u64;
    progress(total, 0);
    for t in &types {
        type_documents(db, &fields, &t.content_type, |docs| {
            for d in docs {
                writer.add_document(d).map_err(SearchError::from)?;
            }
            done += PAGE as u64;
            progress(total, done.min(total));
            Ok(())
        })
        .await?;
    }
    let root_buf = root.to_path_buf();
    blocking(move || {
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        // One segment: a query visits every segment's term dictionary.
        let segments = writer.index().searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        index::write_current(&root_buf, &name)?;
        Ok(())
    })
    .await?;
    progress(total, total);
    Ok(total)
}

//! Follows the `changes` feed into the index. Each commit carries the last
//! sequence it applied, so after a crash or a restart the indexer resumes
//! exactly there; re-applying a change is harmless because every change
//! re-reads the entry's current state from the database.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::documents::documents;
use super::index::{self, Op, SearchError, SearchIndex};
use crate::model::content_type::ContentType;
use crate::model::entry::Entry;
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

/// Applies every change after the index's sequence, up to the end of the
/// feed as it stood when read. Returns how many.
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
        // Every translation of the round's entries, in one read: a write
        // stream's rounds are small, so a read per entry was most of the
        // indexer's statements.
        let ids: Vec<String> = entries.iter().cloned().collect();
        let mut translations: HashMap<String, Vec<Entry>> = HashMap::new();
        for e in store::entries::all_translations(db, &ids).await? {
            translations.entry(e.id.clone()).or_default().push(e);
        }
        let mut ops = Vec::new();
        let mut cts: HashMap<String, Option<ContentType>> = HashMap::new();
        for id in entries {
            ops.push(Op::DeleteEntry(id.clone()));
            let mut found = translations.remove(&id).unwrap_or_default();
            found.sort_by(|a, b| a.row.cmp(&b.row));
            // Each translation its own documents.
            for e in found {
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
        // Caught up with the feed as it stood when read. Changes written
        // during the commit wait for the next round: reading on at once
        // would commit again for every write of a stream, one commit per
        // change instead of one per round.
        if (changes.len() as i64) < BATCH {
            return Ok(applied);
        }
    }
}

/// The indexer of a running server: each round, picks up a rebuilt index
/// if `quire reindex` swapped one in, then applies new changes.
pub async fn follow(db: Db, search: Arc<SearchIndex>, mut rounds: Follower) {
    let mut pace = Pace::new(rounds.min_gap(), Instant::now());
    loop {
        rounds.next_round().await;
        let s = search.clone();
        match blocking(move || s.follow_swap()).await {
            Ok(true) => tracing::info!("search: switched to the rebuilt index"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "search: cannot open the rebuilt index"),
        }
        let applied = match catch_up(&db, &search).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "search: indexing failed; will retry");
                0
            }
        };
        rounds.set_min_gap(pace.after_round(applied, Instant::now()));
    }
}

/// Changes a second from which the indexer counts writes as a stream.
const STREAM_RATE: usize = 20;
/// The least time between two commits while changes stream in.
const STREAM_GAP: Duration = Duration::from_millis(200);
/// The span over which the rate of changes is measured.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Commit pacing. A commit costs nearly the same for one change as for a
/// hundred (a new segment, its files, a reader reload, later a merge), and
/// while it runs it takes a core from the readers. A change that comes
/// alone is committed after the follower's own gap, to be searchable on
/// every node within the scale-out budget; while changes stream in (at
/// least `STREAM_RATE` a second) rounds are `STREAM_GAP` apart, so a
/// stream costs a few commits a second rather than one per write.
struct Pace {
    quiet_gap: Duration,
    window_start: Instant,
    in_window: usize,
    streaming: bool,
}

impl Pace {
    fn new(quiet_gap: Duration, now: Instant) -> Pace {
        Pace {
            quiet_gap,
            window_start: now,
            in_window: 0,
            streaming: false,
        }
    }

    /// Counts a round's `applied` changes; answers the gap before the next.
    fn after_round(&mut self, applied: usize, now: Instant) -> Duration {
        self.in_window += applied;
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= RATE_WINDOW {
            let per_second = self.in_window as f64 / elapsed.as_secs_f64();
            self.streaming = per_second >= STREAM_RATE as f64;
            self.window_start = now;
            self.in_window = 0;
        } else if self.in_window >= STREAM_RATE {
            self.streaming = true;
        }
        if self.streaming {
            STREAM_GAP.max(self.quiet_gap)
        } else {
            self.quiet_gap
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

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Duration = Duration::from_millis(40);

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn a_change_now_and_then_keeps_the_quiet_gap() {
        let start = Instant::now();
        let mut pace = Pace::new(QUIET, start);
        for round in 1..=10 {
            assert_eq!(pace.after_round(2, at(start, round * 300)), QUIET);
        }
    }

    #[test]
    fn a_stream_of_changes_spaces_the_commits_until_it_stops() {
        let start = Instant::now();
        let mut pace = Pace::new(QUIET, start);
        // Two changes every 50 ms: 40 a second.
        let mut gaps = Vec::new();
        for round in 1..=30 {
            gaps.push(pace.after_round(2, at(start, round * 50)));
        }
        // Counted as a stream once the second's count reaches the rate.
        assert_eq!(gaps[..9], [QUIET; 9]);
        assert!(gaps[9..].iter().all(|&g| g == STREAM_GAP), "{gaps:?}");
        // The stream stops at 1.5 s; the next round, a poll at 2.6 s, closes
        // a window of 20 changes in 1.6 s: 12.5 a second, quiet again.
        assert_eq!(pace.after_round(0, at(start, 2600)), QUIET);
        assert_eq!(pace.after_round(1, at(start, 2700)), QUIET);
    }

    #[test]
    fn a_slow_second_after_a_stream_is_quiet_again() {
        let start = Instant::now();
        let mut pace = Pace::new(QUIET, start);
        assert_eq!(pace.after_round(25, at(start, 500)), STREAM_GAP);
        // The window closes at a rate of 26 a second: still a stream.
        assert_eq!(pace.after_round(1, at(start, 1000)), STREAM_GAP);
        // The next one holds 5 changes in 1.1 s.
        assert_eq!(pace.after_round(5, at(start, 2100)), QUIET);
    }
}

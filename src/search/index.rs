//! The tantivy index: its schema, the one writer, atomic swaps after a
//! rebuild, and queries.
//!
//! On disk the index lives in `<search dir>/index-<id>/`; the file
//! `<search dir>/CURRENT` names the live one, so `quire reindex` can build a
//! new index beside it and swap it in with one rename.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use super::analyzer::{self, allowed_edits};
use super::expand::{Mode, WalkCache, expand};
use super::query::UserQuery;

/// Text slots: a type's searchable fields map to `s0`, `s1`, … in order.
pub const SLOTS: usize = crate::model::content_type::MAX_SEARCHABLE;
/// The live index takes changes a few at a time, so one indexing thread
/// with a small arena keeps up; its arena is what indexing holds in memory
/// (`quire reindex` builds with a larger one).
const WRITER_MEMORY: usize = 20 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: {0}")]
    Open(#[from] tantivy::directory::error::OpenDirectoryError),
}

pub type SearchResult<T> = Result<T, SearchError>;

#[derive(Clone, Copy)]
pub struct Fields {
    pub entry_id: Field,
    pub content_type: Field,
    pub locale: Field,
    pub copy: Field,
    pub slots: [Field; SLOTS],
    pub all: Field,
    /// The words of live copies only, for public searches: typo correction
    /// and completion must not be steered by, and so reveal, draft text.
    pub all_live: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let entry_id = b.add_text_field("entry_id", STRING | STORED);
    let content_type = b.add_text_field("type", STRING | STORED);
    let locale = b.add_text_field("locale", STRING);
    let copy = b.add_text_field("copy", STRING);
    let text = |record| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer::TOKENIZER)
                .set_index_option(record),
        )
    };
    let slots = std::array::from_fn(|i| {
        b.add_text_field(
            &format!("s{i}"),
            text(IndexRecordOption::WithFreqsAndPositions),
        )
    });
    // Every searchable word once, documents only: typo and prefix expansion
    // walk this one term dictionary instead of one per slot.
    let words = || text(IndexRecordOption::Basic);
    let all = b.add_text_field("all", words());
    let all_live = b.add_text_field("all_live", words());
    (
        b.build(),
        Fields {
            entry_id,
            content_type,
            locale,
            copy,
            slots,
            all,
            all_live,
        },
    )
}

/// Which copy of an entry a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy {
    Live,
    Draft,
}

impl Copy {
    pub fn as_str(self) -> &'static str {
        match self {
            Copy::Live => "live",
            Copy::Draft => "draft",
        }
    }
}

/// A change to apply in one commit.
pub enum Op {
    DeleteEntry(String),
    DeleteType(String),
    Add(TantivyDocument),
}

/// How to search one content type: its language and its searchable fields'
/// slots with their boosts.
#[derive(Debug, Clone)]
pub struct TypePlan {
    pub api_id: String,
    pub language: Option<String>,
    pub slots: Vec<(usize, f32)>,
}

/// What a search found.
#[derive(Debug, Default)]
pub struct Found {
    /// The best hits, best first.
    pub hits: Vec<Hit>,
    /// How many documents matched.
    pub count: usize,
    /// Index terms the query's words were widened to (typo corrections,
    /// completions), for highlighting what matched.
    pub expanded: HashSet<String>,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub entry_id: String,
    pub content_type: String,
    pub score: f32,
}

/// Decompressed doc-store blocks kept per segment (16 KiB each: 16 MiB at
/// most, and never more than the segment's own store). A document stores
/// only its two ids, and 100,000 entries' documents fill ~900 blocks: with
/// tantivy's default of 100, most hits decompressed a block of their own.
/// A reader reload (an indexer commit) starts the caches afresh.
const DOC_STORE_CACHED_BLOCKS: usize = 1024;

struct Opened {
    name: Option<String>,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
}

/// `index` with the tokenizer its text fields name; every index opened or
/// created goes through here before documents are added to it.
fn with_tokenizer(index: Index) -> Index {
    index
        .tokenizers()
        .register(analyzer::TOKENIZER, analyzer::Tagged::default());
    index
}

impl Opened {
    fn new(index: Index, name: Option<String>) -> SearchResult<Opened> {
        let index = with_tokenizer(index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(DOC_STORE_CACHED_BLOCKS)
            .try_into()?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        writer.set_merge_policy(Box::new(merge_policy()));
        Ok(Opened {
            name,
            index,
            reader,
            writer: Mutex::new(writer),
        })
    }
}

/// The live index commits every round, often one document, so it gathers
/// many tiny segments. Tantivy's default puts every segment under 10,000
/// documents in one level, so each eighth tiny segment was merged together
/// with the largest of them (thousands of documents), again and again: CPU
/// taken from the next commit, on every node. Levels from 100 documents
/// merge tiny segments among themselves and a large one rarely.
fn merge_policy() -> tantivy::indexer::LogMergePolicy {
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_min_layer_size(100);
    policy
}

pub struct SearchIndex {
    root: Option<PathBuf>,
    fields: Fields,
    opened: RwLock<Arc<Opened>>,
    walks: WalkCache,
}

/// The name of the live index folder under `root`, if there is one.
pub fn read_current(root: &Path) -> Option<String> {
    std::fs::read_to_string(root.join("CURRENT"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Makes `name` the live index, atomically.
pub fn write_current(root: &Path, name: &str) -> std::io::Result<()> {
    let tmp = root.join("CURRENT.tmp");
    std::fs::write(&tmp, name)?;
    std::fs::rename(tmp, root.join("CURRENT"))
}

/// Removes index folders older than the live one (left by a rebuild while no
/// server ran). Names hold UUIDv7s, which sort by creation time, so a rebuild
/// in progress — always newer — is left alone.
fn remove_older(root: &Path, live: &str) {
    let Ok(dir) = std::fs::read_dir(root) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("index-") && name.as_str() < live {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Creates a fresh, empty index folder under `root`; returns its name.
pub fn create_in(root: &Path) -> SearchResult<(String, Index)> {
    let name = format!("index-{}", uuid::Uuid::now_v7().simple());
    let dir = root.join(&name);
    std::fs::create_dir_all(&dir)?;
    let index = Index::create_in_dir(&dir, schema().0)?;
    Ok((name, with_tokenizer(index)))
}

impl SearchIndex {
    /// Opens the live index under `root`, creating one if there is none; in
    /// memory when `root` is `None`.
    pub fn open(root: Option<&Path>) -> SearchResult<SearchIndex> {
        let fields = schema().1;
        let opened = match root {
            None => Opened::new(Index::create_in_ram(schema().0), None)?,
            Some(root) => {
                std::fs::create_dir_all(root)?;
                let live = read_current(root)
                    .map(|name| Index::open_in_dir(root.join(&name)).map(|index| (name, index)))
                    .transpose()?;
                match live {
                    // An index of this version's schema; an older one is
                    // replaced by a new, empty one the indexer refills from
                    // the change feed.
                    Some((name, index)) if index.schema() == schema().0 => {
                        remove_older(root, &name);
                        Opened::new(index, Some(name))?
                    }
                    _ => {
                        let (name, index) = create_in(root)?;
                        write_current(root, &name)?;
                        Opened::new(index, Some(name))?
                    }
                }
            }
        };
        Ok(SearchIndex {
            root: root.map(Path::to_path_buf),
            fields,
            opened: RwLock::new(Arc::new(opened)),
            walks: WalkCache::default(),
        })
    }

    pub fn fields(&self) -> Fields {
        self.fields
    }

    /// The fields of an index made by [`create_in`].
    pub fn fields_of(index: &Index) -> SearchResult<Fields> {
        let schema = index.schema();
        let get = |name: &str| schema.get_field(name).map_err(SearchError::Index);
        let mut slots = [schema.get_field("s0")?; SLOTS];
        for (i, slot) in slots.iter_mut().enumerate() {
            *slot = get(&format!("s{i}"))?;
        }
        Ok(Fields {
            entry_id: get("entry_id")?,
            content_type: get("type")?,
            locale: get("locale")?,
            copy: get("copy")?,
            slots,
            all: get("all")?,
            all_live: get("all_live")?,
        })
    }

    fn current(&self) -> Arc<Opened> {
        self.opened
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The last change-feed sequence the index holds, from its last commit.
    pub fn applied_seq(&self) -> SearchResult<i64> {
        let meta = self.current().index.load_metas()?;
        Ok(meta.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Switches to the index `CURRENT` names if a rebuild replaced it, and
    /// removes the old folder. True when it switched.
    pub fn follow_swap(&self) -> SearchResult<bool> {
        let Some(root) = &self.root else {
            return Ok(false);
        };
        let Some(name) = read_current(root) else {
            return Ok(false);
        };
        let old = self.current();
        if old.name.as_deref() == Some(name.as_str()) {
            return Ok(false);
        }
        let fresh = Arc::new(Opened::new(
            Index::open_in_dir(root.join(&name))?,
            Some(name),
        )?);
        *self.opened.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        if let Some(old_name) = old.name.clone() {
            drop(old);
            // Searches still holding the old reader keep their files open;
            // removing the folder only unlinks them.
            let _ = std::fs::remove_dir_all(root.join(old_name));
        }
        Ok(true)
    }

    /// Applies operations and commits them with the sequence they bring the
    /// index up to, atomically.
    pub fn apply(&self, ops: Vec<Op>, seq: i64) -> SearchResult<()> {
        let started = std::time::Instant::now();
        let opened = self.current();
        let mut writer = opened.writer.lock().unwrap_or_else(|p| p.into_inner());
        for op in ops {
            match op {
                Op::DeleteEntry(id) => {
                    writer.delete_term(Term::from_field_text(self.fields.entry_id, &id));
                }
                Op::DeleteType(t) => {
                    writer.delete_term(Term::from_field_text(self.fields.content_type, &t));
                }
                Op::Add(doc) => {
                    writer.add_document(doc)?;
                }
            }
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        opened.reader.reload()?;
        tracing::debug!(seq, took = ?started.elapsed(), "search: committed");
        Ok(())
    }

    /// The best `limit` hits and how many documents matched.
    pub fn search(
        &self,
        query: &UserQuery,
        plans: &[TypePlan],
        copy: Copy,
        locale: Option<&str>,
        limit: usize,
    ) -> SearchResult<Found> {
        let opened = self.current();
        let searcher = opened.reader.searcher();
        let mut expanded = HashSet::new();
        let mut per_type: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for plan in plans {
            if let Some(q) = self.type_query(query, plan, copy, locale, &searcher, &mut expanded)? {
                per_type.push((Occur::Should, q));
            }
        }
        if per_type.is_empty() {
            return Ok(Found::default());
        }
        let query = BooleanQuery::new(per_type);
        let (top, count) = searcher.search(
            &query,
            &(TopDocs::with_limit(limit.max(1)).order_by_score(), Count),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = |f| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            hits.push(Hit {
                entry_id: text(self.fields.entry_id),
                content_type: text(self.fields.content_type),
                score,
            });
        }
        // Equal scores in a stable order, whatever the segment layout.
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.entry_id.cmp(&b.entry_id))
        });
        Ok(Found {
            hits,
            count,
            expanded,
        })
    }

    fn exact(&self, field: Field, term: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, term),
            IndexRecordOption::WithFreqs,
        ))
    }

    /// All words must match in some searchable field of the type.
    fn type_query(
        &self,
        q: &UserQuery,
        plan: &TypePlan,
        copy: Copy,
        locale: Option<&str>,
        searcher: &Searcher,
        expanded: &mut HashSet<String>,
    ) -> SearchResult<Option<Box<dyn Query>>> {
        if plan.slots.is_empty() {
            return Ok(None);
        }
        let mut stem = analyzer::analyzer(analyzer::language(plan.language.as_deref()));
        let mut plain = analyzer::plain();
        let slot = |i: usize| self.fields.slots[i];
        // Expansion walks the words of the copies being searched.
        let words = match copy {
            Copy::Live => self.fields.all_live,
            Copy::Draft => self.fields.all,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                self.exact(self.fields.content_type, &plan.api_id),
            ),
            (Occur::Must, self.exact(self.fields.copy, copy.as_str())),
        ];
        if let Some(l) = locale {
            clauses.push((Occur::Must, self.exact(self.fields.locale, l)));
        }
        for (w, word) in q.words.iter().enumerate() {
            let is_prefix = w + 1 == q.words.len() && q.prefix.as_deref() == Some(word.as_str());
            let stems = analyzer::words(&mut stem, word);
            let plains = analyzer::words(&mut plain, word);
            for (t, s) in stems.iter().enumerate() {
                let raw = plains.get(t).map(String::as_str).unwrap_or(s);
                let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for &(i, boost) in &plan.slots {
                    any.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(self.exact(slot(i), s), boost * 2.0)),
                    ));
                }
                let mut others = Vec::new();
                let edits = allowed_edits(raw);
                if edits > 0 {
                    others.extend(expand(searcher, &self.walks, words, s, Mode::Typo(edits))?);
                }
                if is_prefix && t + 1 == stems.len() {
                    others.extend(expand(searcher, &self.walks, words, raw, Mode::Prefix)?);
                    if raw != s.as_str() {
                        others.extend(expand(searcher, &self.walks, words, s, Mode::Prefix)?);
                    }
                }
                let mut seen = HashSet::new();
                for other in others.iter().filter(|o| *o != s) {
                    if !seen.insert(other.as_str()) {
                        continue;
                    }
                    expanded.insert(other.clone());
                    for &(i, boost) in &plan.slots {
                        any.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(self.exact(slot(i), other), boost * 0.5)),
                        ));
                    }
                }
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
            }
        }
        for phrase in &q.phrases {
            let stems = analyzer::words(&mut stem, phrase);
            if stems.is_empty() {
                continue;
            }
            let any: Vec<(Occur, Box<dyn Query>)> = plan
                .slots
                .iter()
                .map(|&(i, boost)| {
                    let q: Box<dyn Query> = if stems.len() == 1 {
                        self.exact(slot(i), &stems[0])
                    } else {
                        let terms = stems
                            .iter()
                            .map(|s| Term::from_field_text(slot(i), s))
                            .collect();
                        Box::new(PhraseQuery::new(terms))
                    };
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(q, boost * 2.0)) as Box<dyn Query>,
                    )
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        for word in &q.excluded {
            for s in analyzer::words(&mut stem, word) {
                for &(i, _) in &plan.slots {
                    clauses.push((Occur::MustNot, self.exact(slot(i), &s)));
                }
            }
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SearchIndex {
        /// The documents of each segment, once merges have settled.
        fn settled_segments(&self) -> Vec<u32> {
            let opened = self.current();
            let mut last = Vec::new();
            for _ in 0..50 {
                std::thread::sleep(std::time::Duration::from_millis(40));
                let _ = opened.reader.reload();
                let mut sizes: Vec<u32> = opened
                    .reader
                    .searcher()
                    .segment_readers()
                    .iter()
                    .map(|s| s.max_doc())
                    .collect();
                sizes.sort_unstable();
                if sizes == last {
                    break;
                }
                last = sizes;
            }
            last
        }
    }

    fn docs(index: &SearchIndex, from: usize, n: usize) -> Vec<Op> {
        (from..from + n)
            .map(|i| {
                let mut doc = TantivyDocument::default();
                doc.add_text(index.fields.entry_id, format!("e{i}"));
                doc.add_text(index.fields.all, "some words");
                Op::Add(doc)
            })
            .collect()
    }

    #[test]
    fn one_document_commits_merge_among_themselves_not_into_a_large_segment() {
        let index = SearchIndex::open(None).unwrap_or_else(|e| panic!("{e}"));
        index
            .apply(docs(&index, 0, 2_000), 1)
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..24 {
            index
                .apply(docs(&index, 2_000 + i, 1), 2 + i as i64)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let sizes = index.settled_segments();
        assert_eq!(sizes.iter().sum::<u32>(), 2_024, "{sizes:?}");
        assert!(
            sizes.contains(&2_000),
            "the large segment was merged again: {sizes:?}"
        );
        assert!(sizes.len() < 24, "the small ones were merged: {sizes:?}");
    }
}

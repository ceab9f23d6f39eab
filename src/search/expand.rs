//! Typo and prefix expansion: the index terms a typed word may stand for.
//!
//! Tantivy's own fuzzy and prefix queries decode the postings of every
//! matching term into a bitset, once per field, before the first hit. Here
//! each word's automaton walks one term dictionary once, keeps only the
//! few terms a person most likely meant (closest first, then most frequent),
//! and the query scores those as ordinary terms: their postings are read
//! lazily, block by block, only as far as the intersection needs them.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::analyzer::edit_distance;
use super::index::SearchResult;

/// Typo corrections kept per word.
const MAX_CORRECTIONS: usize = 3;
/// Completions kept for the word being typed.
const MAX_COMPLETIONS: usize = 8;
/// Words whose per-segment matches are remembered.
const CACHED_WALKS: usize = 20_000;

/// How a word is matched beyond its exact form.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Terms within `edits` of the word.
    Typo(u8),
    /// Terms starting with the word.
    Prefix,
}

/// The terms of one segment an automaton matched, with their document counts.
type Walk = Arc<Vec<(String, u64)>>;

/// Dictionary walks by segment. A segment never changes once written, so a
/// walk stays true until the segment is merged away (its entries then age
/// out); new segments are walked on first use.
pub struct WalkCache(quick_cache::sync::Cache<(SegmentId, Field, Mode, String), Walk>);

impl Default for WalkCache {
    fn default() -> Self {
        WalkCache(quick_cache::sync::Cache::new(CACHED_WALKS))
    }
}

/// Terms matching `word` under `mode` in `field`, best first, without
/// `word` itself. A word the index holds is taken as spelled; otherwise only
/// the closest corrections count, as a person would read it.
pub fn expand(
    searcher: &Searcher,
    cache: &WalkCache,
    field: Field,
    word: &str,
    mode: Mode,
) -> SearchResult<Vec<String>> {
    let term = Term::from_field_text(field, word);
    if matches!(mode, Mode::Typo(_)) && searcher.doc_freq(&term)? > 0 {
        return Ok(Vec::new());
    }
    let (query, keep) = match mode {
        Mode::Typo(edits) => (FuzzyTermQuery::new(term, edits, true), MAX_CORRECTIONS),
        Mode::Prefix => (FuzzyTermQuery::new_prefix(term, 0, true), MAX_COMPLETIONS),
    };
    let mut automaton = None;
    // term → documents holding it
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let key = (segment.segment_id(), field, mode, word.to_string());
        let walk = match cache.0.get(&key) {
            Some(walk) => walk,
            None => {
                let automaton = match &automaton {
                    Some(a) => a,
                    None => automaton.insert(query.automaton()?),
                };
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().search(automaton).into_stream()?;
                let mut terms = Vec::new();
                while stream.advance() {
                    if let Ok(text) = std::str::from_utf8(stream.key())
                        && text != word
                    {
                        terms.push((text.to_string(), u64::from(stream.value().doc_freq)));
                    }
                }
                if mode == Mode::Prefix {
                    // A short prefix matches thousands of terms; only the
                    // most frequent can rank among the completions kept.
                    terms.sort_by_key(|t| std::cmp::Reverse(t.1));
                    terms.truncate(MAX_COMPLETIONS * 8);
                }
                let walk = Arc::new(terms);
                cache.0.insert(key, walk.clone());
                walk
            }
        };
        for (t, freq) in walk.iter() {
            *found.entry(t.clone()).or_default() += freq;
        }
    }
    let mut ranked: Vec<(usize, u64, String)> = found
        .into_iter()
        .map(|(t, freq)| {
            let distance = match mode {
                Mode::Typo(_) => edit_distance(word, &t),
                Mode::Prefix => 0,
            };
            (distance, freq, t)
        })
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let closest = ranked.first().map_or(0, |r| r.0);
    Ok(ranked
        .into_iter()
        .take_while(|r| r.0 == closest)
        .take(keep)
        .map(|(_, _, t)| t)
        .collect())
}

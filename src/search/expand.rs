//! Typo and prefix expansion: the index terms a typed word may stand for.
//!
//! Tantivy's own fuzzy and prefix queries decode the postings of every
//! matching term into a bitset, once per field, before the first hit. Here
//! each word's automaton walks one term dictionary once, keeps only the
//! few terms a person most likely meant (closest first, then most frequent),
//! and the query scores those as ordinary terms: their postings are read
//! lazily, block by block, only as far as the intersection needs them.

use std::collections::HashMap;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::analyzer::edit_distance;
use super::index::SearchResult;

/// Typo corrections kept per word.
const MAX_CORRECTIONS: usize = 3;
/// Completions kept for the word being typed.
const MAX_COMPLETIONS: usize = 8;

/// How a word is matched beyond its exact form.
#[derive(Clone, Copy)]
pub enum Mode {
    /// Terms within `edits` of the word.
    Typo(u8),
    /// Terms starting with the word.
    Prefix,
}

/// Terms matching `word` under `mode` in `field`, best first, without
/// `word` itself.
pub fn expand(
    searcher: &Searcher,
    field: Field,
    word: &str,
    mode: Mode,
) -> SearchResult<Vec<String>> {
    let term = Term::from_field_text(field, word);
    let (query, keep) = match mode {
        Mode::Typo(edits) => (FuzzyTermQuery::new(term, edits, true), MAX_CORRECTIONS),
        Mode::Prefix => (FuzzyTermQuery::new_prefix(term, 0, true), MAX_COMPLETIONS),
    };
    let automaton = query.automaton()?;
    // term → documents holding it
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted.terms().search(&automaton).into_stream()?;
        while stream.advance() {
            let Ok(text) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if text != word {
                *found.entry(text.to_string()).or_default() += u64::from(stream.value().doc_freq);
            }
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
    Ok(ranked.into_iter().take(keep).map(|(_, _, t)| t).collect())
}

//! Highlights: the matched words of a field, marked, in a short excerpt.

use std::collections::HashSet;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::analyzer;
use super::query::UserQuery;

const CONTEXT: usize = 80;

/// What counts as a hit: the stems of the query's words and the index
/// terms the search widened them to, and the prefix being typed.
pub struct Matcher {
    stems: HashSet<String>,
    /// The first two bytes of every stem. Stemmers rewrite endings only, so
    /// a word whose start is not here cannot stem to a hit and need not be
    /// stemmed at all.
    starts: HashSet<[u8; 2]>,
    prefixes: Vec<String>,
}

fn start(word: &str) -> [u8; 2] {
    let b = word.as_bytes();
    [
        b.first().copied().unwrap_or(0),
        b.get(1).copied().unwrap_or(0),
    ]
}

impl Matcher {
    pub fn new(q: &UserQuery, language: Option<&str>, expanded: &HashSet<String>) -> Matcher {
        let mut stem = analyzer::analyzer(analyzer::language(language));
        let mut stems: HashSet<String> = expanded.clone();
        for text in q.words.iter().chain(q.phrases.iter()) {
            stems.extend(analyzer::words(&mut stem, text));
        }
        let mut plain = analyzer::plain();
        let prefixes = match &q.prefix {
            Some(p) => analyzer::words(&mut plain, p),
            None => Vec::new(),
        };
        Matcher {
            starts: stems.iter().map(|s| start(s)).collect(),
            stems,
            prefixes,
        }
    }

    /// `plain` is the word lowercased and folded, not stemmed.
    fn hits(&self, plain: &str, stemmer: &mut TextAnalyzer) -> bool {
        if self.prefixes.iter().any(|p| plain.starts_with(p.as_str())) {
            return true;
        }
        if !self.starts.contains(&start(plain)) {
            return false;
        }
        analyzer::words(stemmer, plain)
            .first()
            .is_some_and(|s| self.stems.contains(s))
    }
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// `text` around its first hit, HTML-escaped, hits in `<mark>`; `None`
/// when nothing in it matches.
pub fn highlight(m: &Matcher, text: &str, language: Option<&str>) -> Option<String> {
    let mut stemmer = analyzer::analyzer(analyzer::language(language));
    let mut plain = analyzer::plain();
    let mut stream = plain.token_stream(text);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    while stream.advance() {
        let t = stream.token();
        // Past the excerpt around the first hit, nothing more is shown.
        if let Some(first) = spans.first()
            && t.offset_from > first.1 + CONTEXT * 2
        {
            break;
        }
        if m.hits(&t.text, &mut stemmer) {
            spans.push((t.offset_from, t.offset_to));
        }
    }
    let first = spans.first()?;
    let start = floor_boundary(text, first.0.saturating_sub(CONTEXT));
    let end = ceil_boundary(text, (first.1 + CONTEXT * 2).min(text.len()));
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(from, to) in spans.iter().filter(|(f, t)| *f >= start && *t <= end) {
        escape(&text[at..from], &mut out);
        out.push_str("<mark>");
        escape(&text[from..to], &mut out);
        out.push_str("</mark>");
        at = to;
    }
    escape(&text[at..end], &mut out);
    if end < text.len() {
        out.push('…');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_stems_typos_and_prefixes() {
        let q = crate::search::query::parse("serach pub").unwrap();
        // The index widened the typo to the term it found.
        let expanded = HashSet::from(["search".to_string()]);
        let m = Matcher::new(&q, None, &expanded);
        let h = highlight(&m, "Searching <fast> and publishing", None).unwrap();
        assert_eq!(
            h,
            "<mark>Searching</mark> &lt;fast&gt; and <mark>publishing</mark>"
        );
        assert!(highlight(&m, "nothing here", None).is_none());
    }
}

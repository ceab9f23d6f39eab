//! Highlights: the matched words of a field, marked, in a short excerpt.

use std::collections::HashSet;

use tantivy::tokenizer::TextAnalyzer;

use super::analyzer;
use super::query::UserQuery;

const CONTEXT: usize = 80;

/// What counts as a hit: the stems of the query's words and the index
/// terms the search widened them to, and the prefix being typed.
pub struct Matcher {
    stems: HashSet<String>,
    /// The first two bytes of every stem, one bit each. Stemmers rewrite
    /// endings only, so a word whose start is not here cannot stem to a hit
    /// and need not be stemmed at all. A bit is looked up for every word of
    /// every highlighted field, so it is an array, not a hashed set.
    starts: Box<[u64; 1024]>,
    prefixes: Vec<String>,
}

fn start(word: &str) -> usize {
    let b = word.as_bytes();
    usize::from(b.first().copied().unwrap_or(0)) << 8 | usize::from(b.get(1).copied().unwrap_or(0))
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
        let mut starts = Box::new([0u64; 1024]);
        for s in &stems {
            let at = start(s);
            starts[at / 64] |= 1 << (at % 64);
        }
        Matcher {
            starts,
            stems,
            prefixes,
        }
    }

    /// `plain` is the word lowercased and folded, not stemmed.
    fn hits(
        &self,
        plain: &str,
        stemmer: &mut Option<TextAnalyzer>,
        language: Option<&str>,
    ) -> bool {
        if self.prefixes.iter().any(|p| plain.starts_with(p.as_str())) {
            return true;
        }
        let at = start(plain);
        if self.starts[at / 64] & (1 << (at % 64)) == 0 {
            return false;
        }
        let stemmer =
            stemmer.get_or_insert_with(|| analyzer::analyzer(analyzer::language(language)));
        analyzer::words(stemmer, plain)
            .first()
            .is_some_and(|s| self.stems.contains(s))
    }
}

/// Calls `each` with the byte span and the plain form of every word of
/// `text` as the `analyzer::plain` analyzer reads them (runs of letters and
/// digits shorter than `analyzer::MAX_WORD_BYTES`, lowercased, ASCII-folded),
/// until it answers false. ASCII words, nearly all of them, are lowercased
/// here: through the analyzer's filters, the body of every hit cost a
/// tenth of a search.
fn plain_words(text: &str, mut each: impl FnMut(usize, usize, &str) -> bool) {
    let mut buf = String::new();
    let mut plain: Option<TextAnalyzer> = None;
    let mut from = None;
    let ends = text.char_indices().map(Some).chain([None]);
    for next in ends {
        let (at, in_word) = match next {
            Some((at, c)) => (at, c.is_alphanumeric()),
            None => (text.len(), false),
        };
        match (from, in_word) {
            (None, true) => from = Some(at),
            (Some(f), false) => {
                from = None;
                let word = &text[f..at];
                if word.len() >= analyzer::MAX_WORD_BYTES {
                    continue;
                }
                let keep_going = if word.is_ascii() {
                    buf.clear();
                    buf.push_str(word);
                    buf.make_ascii_lowercase();
                    each(f, at, &buf)
                } else {
                    let plain = plain.get_or_insert_with(analyzer::plain);
                    match analyzer::words(plain, word).first() {
                        Some(w) => each(f, at, w),
                        None => true,
                    }
                };
                if !keep_going {
                    return;
                }
            }
            _ => {}
        }
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
    let mut stemmer = None;
    let mut spans: Vec<(usize, usize)> = Vec::new();
    plain_words(text, |from, to, word| {
        // Past the excerpt around the first hit, nothing more is shown.
        if let Some(first) = spans.first()
            && from > first.1 + CONTEXT * 2
        {
            return false;
        }
        if m.hits(word, &mut stemmer, language) {
            spans.push((from, to));
        }
        true
    });
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
    fn words_are_read_as_the_plain_analyzer_reads_them() {
        let long = "x".repeat(analyzer::MAX_WORD_BYTES);
        let text = format!(
            "Crème BRÛLÉE, naïve-café 42x {long} Straße ÆSIR; \
             Ελληνικά  tab\tend. 日本語 last"
        );
        let mut plain = analyzer::plain();
        let expected: Vec<(usize, usize, String)> = analyzer::tokens(&mut plain, &text)
            .into_iter()
            .map(|t| (t.offset_from, t.offset_to, t.text))
            .collect();
        let mut read = Vec::new();
        plain_words(&text, |from, to, w| {
            read.push((from, to, w.to_string()));
            true
        });
        assert_eq!(read, expected);
        assert!(read.iter().any(|(_, _, w)| w == "creme"));
        let mut first_two = Vec::new();
        plain_words(&text, |_, _, w| {
            first_two.push(w.to_string());
            first_two.len() < 2
        });
        assert_eq!(first_two, ["creme", "brulee"]);
    }

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

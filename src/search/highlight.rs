//! Highlights: the matched words of a field, marked, in a short excerpt.

use tantivy::tokenizer::TokenStream;

use super::analyzer::{self, allowed_edits, edit_distance};
use super::query::UserQuery;

const CONTEXT: usize = 80;

/// What counts as a hit, in analyzed form.
pub struct Matcher {
    /// (stem, plain form, allowed edits)
    words: Vec<(String, String, u8)>,
    prefixes: Vec<String>,
}

impl Matcher {
    pub fn new(q: &UserQuery, language: Option<&str>) -> Matcher {
        let mut stem = analyzer::analyzer(analyzer::language(language));
        let mut plain = analyzer::plain();
        let mut words = Vec::new();
        let mut prefixes = Vec::new();
        for text in q.words.iter().chain(q.phrases.iter()) {
            let stems = analyzer::words(&mut stem, text);
            let plains = analyzer::words(&mut plain, text);
            for (s, p) in stems.into_iter().zip(plains) {
                let edits = allowed_edits(&p);
                words.push((s, p, edits));
            }
        }
        if let Some(p) = &q.prefix {
            prefixes.extend(analyzer::words(&mut plain, p));
        }
        Matcher { words, prefixes }
    }

    /// `plain` is the word as written, lowercased.
    fn hits(&self, stem: &str, plain: &str) -> bool {
        self.words.iter().any(|(s, _, edits)| {
            let edits = usize::from(*edits);
            // Lengths that differ by more than the edits allowed cannot match.
            s == stem
                || (edits > 0
                    && s.len().abs_diff(stem.len()) <= edits
                    && edit_distance(s, stem) <= edits)
        }) || self
            .prefixes
            .iter()
            .any(|p| plain.starts_with(p.as_str()) || stem.starts_with(p.as_str()))
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
    let mut stem = analyzer::analyzer(analyzer::language(language));
    let mut stream = stem.token_stream(text);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut written = String::new();
    while stream.advance() {
        let t = stream.token();
        // Past the excerpt around the first hit, nothing more is shown.
        if let Some(first) = spans.first()
            && t.offset_from > first.1 + CONTEXT * 2
        {
            break;
        }
        written.clear();
        written.extend(
            text.get(t.offset_from..t.offset_to)
                .unwrap_or_default()
                .chars()
                .flat_map(char::to_lowercase),
        );
        if m.hits(&t.text, &written) {
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
        let m = Matcher::new(&q, None);
        let h = highlight(&m, "Searching <fast> and publishing", None).unwrap();
        assert_eq!(
            h,
            "<mark>Searching</mark> &lt;fast&gt; and <mark>publishing</mark>"
        );
        assert!(highlight(&m, "nothing here", None).is_none());
    }
}

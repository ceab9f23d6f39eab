//! Text analysis: words, lowercased, folded to ASCII, stemmed in the type's
//! language. Indexing, querying and highlighting all go through here, so they
//! agree on what a word is.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenStream,
};

/// The stemmer for a content type's `language` (English when unset).
pub fn language(code: Option<&str>) -> Language {
    match code.unwrap_or("en") {
        "ar" => Language::Arabic,
        "da" => Language::Danish,
        "de" => Language::German,
        "el" => Language::Greek,
        "es" => Language::Spanish,
        "fi" => Language::Finnish,
        "fr" => Language::French,
        "hu" => Language::Hungarian,
        "it" => Language::Italian,
        "nl" => Language::Dutch,
        "no" => Language::Norwegian,
        "pt" => Language::Portuguese,
        "ro" => Language::Romanian,
        "ru" => Language::Russian,
        "sv" => Language::Swedish,
        "ta" => Language::Tamil,
        "tr" => Language::Turkish,
        _ => Language::English,
    }
}

/// Words this long or longer (in bytes) are not indexed.
pub const MAX_WORD_BYTES: usize = 40;

pub fn analyzer(lang: Language) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(lang))
        .build()
}

/// A lowercase, ASCII-folded word without stemming, for prefixes and typos.
pub fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Words of one field that are indexed; later ones are not searchable (as
/// in Meilisearch, which indexes 65,535 words per attribute). Each indexed
/// word costs memory while the entry is indexed, so this bounds it
/// whatever the entry's size.
pub const MAX_INDEXED_WORDS: usize = 65_535;

/// The tokens of `text`, with their byte offsets and positions.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    tokens_up_to(analyzer, text, usize::MAX)
}

/// The first `max` tokens of `text`.
pub fn tokens_up_to(analyzer: &mut TextAnalyzer, text: &str, max: usize) -> Vec<Token> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while out.len() < max && stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

/// The words of `text`, as `tokens` but text only.
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    tokens(analyzer, text).into_iter().map(|t| t.text).collect()
}

/// Typo tolerance: one edit for words of 5 letters or more, two for 9 or more.
pub fn allowed_edits(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Damerau-Levenshtein distance (optimal string alignment) over bytes;
/// analyzed words are ASCII-folded, so bytes are letters. Three rows, on the
/// stack for words of up to 64 bytes: highlighting calls this per word.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = b.len() + 1;
    let mut stack = [0usize; 3 * 65];
    let mut heap = Vec::new();
    let rows: &mut [usize] = if n <= 65 {
        &mut stack[..3 * n]
    } else {
        heap.resize(3 * n, 0);
        &mut heap
    };
    // Rows i-2, i-1 and i, rotating through the buffer.
    let (mut before, mut prev, mut cur) = (0, n, 2 * n);
    for j in 0..n {
        rows[prev + j] = j;
    }
    for i in 1..=a.len() {
        rows[cur] = i;
        for j in 1..n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev + j] + 1)
                .min(rows[cur + j - 1] + 1)
                .min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[before + j - 2] + 1);
            }
            rows[cur + j] = v;
        }
        (before, prev, cur) = (prev, cur, before);
    }
    rows[prev + n - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_folds() {
        let mut a = analyzer(Language::English);
        assert_eq!(words(&mut a, "Searching Cafés"), ["search", "cafe"]);
    }

    #[test]
    fn transposition_is_one_edit() {
        assert_eq!(edit_distance("serach", "search"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(allowed_edits("serach"), 1);
        assert_eq!(allowed_edits("publishing"), 2);
    }
}

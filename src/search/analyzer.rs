//! Text analysis: words, lowercased, folded to ASCII, stemmed in the type's
//! language. Indexing, querying and highlighting all go through here, so they
//! agree on what a word is.

use std::cell::RefCell;
use std::collections::HashMap;

use frostem::Algorithm;
use tantivy::tokenizer::{
    AsciiFoldingFilter, BoxTokenStream, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
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
        .filter(RememberingStemmer(lang))
        .build()
}

/// The Snowball algorithm tantivy's `Stemmer` runs for `lang`.
fn algorithm(lang: Language) -> Algorithm {
    match lang {
        Language::Arabic => Algorithm::Arabic,
        Language::Danish => Algorithm::Danish,
        Language::Dutch => Algorithm::Dutch,
        Language::English => Algorithm::English,
        Language::Finnish => Algorithm::Finnish,
        Language::French => Algorithm::French,
        Language::German => Algorithm::German,
        Language::Greek => Algorithm::Greek,
        Language::Hungarian => Algorithm::Hungarian,
        Language::Italian => Algorithm::Italian,
        Language::Norwegian => Algorithm::Norwegian,
        Language::Portuguese => Algorithm::Portuguese,
        Language::Romanian => Algorithm::Romanian,
        Language::Russian => Algorithm::Russian,
        Language::Spanish => Algorithm::Spanish,
        Language::Swedish => Algorithm::Swedish,
        Language::Tamil => Algorithm::Tamil,
        Language::Turkish => Algorithm::Turkish,
    }
}

/// Stems each thread remembers per language; past this many the table
/// starts again (about 1.5 MiB of words).
const REMEMBERED_STEMS: usize = 16_384;

thread_local! {
    static STEMS: RefCell<Vec<(Language, HashMap<String, String>)>> =
        const { RefCell::new(Vec::new()) };
}

/// tantivy's stemming filter, with each thread remembering the stems it
/// made: a stem depends on the word and the language alone, and the same
/// words come back in every document (under a stream of writes the search
/// indexer spent a third of its time in the stemmer).
#[derive(Clone, Copy)]
struct RememberingStemmer(Language);

impl TokenFilter for RememberingStemmer {
    type Tokenizer<T: Tokenizer> = RememberingStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> RememberingStemmerFilter<T> {
        RememberingStemmerFilter {
            lang: self.0,
            inner,
        }
    }
}

#[derive(Clone)]
struct RememberingStemmerFilter<T> {
    lang: Language,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for RememberingStemmerFilter<T> {
    type TokenStream<'a> = RememberingStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RememberingStemmerStream {
            tail: self.inner.token_stream(text),
            lang: self.lang,
            stemmer: frostem::Stemmer::new(algorithm(self.lang)),
        }
    }
}

struct RememberingStemmerStream<T> {
    tail: T,
    lang: Language,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for RememberingStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let remembered = STEMS.try_with(|stems| {
            let Ok(mut stems) = stems.try_borrow_mut() else {
                return false;
            };
            let at = match stems.iter().position(|(l, _)| *l == self.lang) {
                Some(at) => at,
                None => {
                    stems.push((self.lang, HashMap::new()));
                    stems.len() - 1
                }
            };
            let table = &mut stems[at].1;
            if let Some(stem) = table.get(token.text.as_str()) {
                if *stem != token.text {
                    token.text.clone_from(stem);
                }
                return true;
            }
            let stem = self.stemmer.stem(&token.text).into_owned();
            if table.len() >= REMEMBERED_STEMS {
                table.clear();
            }
            table.insert(std::mem::replace(&mut token.text, stem.clone()), stem);
            true
        });
        // A thread ending, or a stream inside another's step: stem afresh.
        if remembered != Ok(true) {
            token.text = self.stemmer.stem(&token.text).into_owned();
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
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

/// The name the index's text fields give their tokenizer, [`Tagged`].
pub const TOKENIZER: &str = "quire";

/// Ends the language tag in front of an indexed text.
const TAG_END: char = '\u{1f}';

/// `text` as an index document holds it: behind its type's language code,
/// so that [`Tagged`] stems it in that language.
pub fn tagged(language_code: Option<&str>, text: &str) -> String {
    let code = language_code.unwrap_or("en");
    let mut out = String::with_capacity(code.len() + 1 + text.len());
    out.push_str(code);
    out.push(TAG_END);
    out.push_str(text);
    out
}

/// The language a [`tagged`] text names and the text behind its tag; an
/// untagged text is English.
fn untag(text: &str) -> (Language, &str) {
    match text.split_once(TAG_END) {
        Some((code, rest)) if code.len() <= 8 && code.bytes().all(|b| b.is_ascii_alphabetic()) => {
            (language(Some(code)), rest)
        }
        _ => (Language::English, text),
    }
}

/// The index's tokenizer: [`analyzer`] in the language a text is
/// [`tagged`] with, up to [`MAX_INDEXED_WORDS`] words. A type's language
/// is chosen per document, while tantivy picks a tokenizer per field; and
/// plain text is what tantivy's documents hold cheaply (a pre-tokenized
/// text is written to JSON in the document and parsed back to index it,
/// which was a sixth of the server's CPU under a stream of writes).
#[derive(Clone, Default)]
pub struct Tagged {
    analyzers: Vec<(Language, TextAnalyzer)>,
}

impl Tokenizer for Tagged {
    type TokenStream<'a> = Limited<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Limited<'a> {
        let (lang, text) = untag(text);
        let at = match self.analyzers.iter().position(|(l, _)| *l == lang) {
            Some(at) => at,
            None => {
                self.analyzers.push((lang, analyzer(lang)));
                self.analyzers.len() - 1
            }
        };
        Limited {
            inner: self.analyzers[at].1.token_stream(text),
            left: MAX_INDEXED_WORDS,
        }
    }
}

/// A token stream that ends after a number of tokens.
pub struct Limited<'a> {
    inner: BoxTokenStream<'a>,
    left: usize,
}

impl TokenStream for Limited<'_> {
    fn advance(&mut self) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        self.inner.advance()
    }

    fn token(&self) -> &Token {
        self.inner.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}

/// The tokens of `text`, with their byte offsets and positions.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
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

    /// tantivy's own stemming analyzer, which [`analyzer`] must agree with.
    fn tantivys(lang: Language) -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(tantivy::tokenizer::Stemmer::new(lang))
            .build()
    }

    #[test]
    fn remembered_stems_are_the_stemmers_own() {
        let text = "Searching searched searches the singers' cafés; running runs \
                    ran, generously generous generosity — chanteuses chantaient \
                    Häuser häuslich Ελληνικά 東京 searching";
        for lang in [
            Language::English,
            Language::French,
            Language::German,
            Language::Greek,
        ] {
            // Twice over: the second reading finds every stem remembered.
            for _ in 0..2 {
                assert_eq!(
                    tokens(&mut analyzer(lang), text),
                    tokens(&mut tantivys(lang), text),
                    "{lang:?}"
                );
            }
        }
        // Past the table's size it starts again and still agrees.
        let many: String = (0..REMEMBERED_STEMS + 100)
            .map(|i| format!("w{i}ing "))
            .collect();
        assert_eq!(
            words(&mut analyzer(Language::English), &many),
            words(&mut tantivys(Language::English), &many)
        );
        assert_eq!(
            words(&mut analyzer(Language::English), "searching"),
            ["search"]
        );
    }

    #[test]
    fn stems_and_folds() {
        let mut a = analyzer(Language::English);
        assert_eq!(words(&mut a, "Searching Cafés"), ["search", "cafe"]);
    }

    #[test]
    fn the_index_tokenizer_stems_in_the_tagged_language_up_to_the_limit() {
        let mut t = Tagged::default();
        let read = |t: &mut Tagged, text: &str| {
            let mut stream = t.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                out.push(stream.token().text.clone());
            }
            out
        };
        assert_eq!(
            read(&mut t, &tagged(None, "Searching Cafés")),
            ["search", "cafe"]
        );
        let french = words(&mut analyzer(Language::French), "les chanteuses");
        assert_ne!(
            french,
            words(&mut analyzer(Language::English), "les chanteuses")
        );
        assert_eq!(read(&mut t, &tagged(Some("fr"), "les chanteuses")), french);
        assert_eq!(read(&mut t, "untagged searching"), ["untag", "search"]);
        let many = "word ".repeat(MAX_INDEXED_WORDS + 10);
        assert_eq!(
            read(&mut t, &tagged(Some("en"), &many)).len(),
            MAX_INDEXED_WORDS
        );
    }

    #[test]
    fn transposition_is_one_edit() {
        assert_eq!(edit_distance("serach", "search"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(allowed_edits("serach"), 1);
        assert_eq!(allowed_edits("publishing"), 2);
    }
}

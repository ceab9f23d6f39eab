//! The query language for people: words (all must match), `"exact
//! phrases"`, `-excluded` words, and the last word as a prefix while typing.

/// A parsed query, before analysis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserQuery {
    /// Words that must all match (typos tolerated).
    pub words: Vec<String>,
    /// Phrases that must match word for word.
    pub phrases: Vec<String>,
    /// Words that must not match.
    pub excluded: Vec<String>,
    /// The last word, when the query does not end with a space: it may also
    /// match as the start of a longer word.
    pub prefix: Option<String>,
}

const MAX_LEN: usize = 500;
const MAX_TERMS: usize = 32;

/// Parses a query; errors say what is wrong in words.
pub fn parse(q: &str) -> Result<UserQuery, String> {
    if q.chars().count() > MAX_LEN {
        return Err(format!("a query has at most {MAX_LEN} characters"));
    }
    let mut out = UserQuery::default();
    let mut rest = q;
    let mut last_bare = None;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let negated = rest.starts_with('-');
        let body = if negated { &rest[1..] } else { rest };
        if let Some(after_quote) = body.strip_prefix('"') {
            let end = after_quote
                .find('"')
                .ok_or_else(|| "a quote is not closed".to_string())?;
            let phrase = after_quote[..end].trim();
            if !phrase.is_empty() {
                if negated {
                    out.excluded
                        .extend(phrase.split_whitespace().map(str::to_string));
                } else {
                    out.phrases.push(phrase.to_string());
                }
            }
            rest = &after_quote[end + 1..];
            last_bare = None;
            continue;
        }
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let word = &body[..end];
        if !word.is_empty() {
            if negated {
                out.excluded.push(word.to_string());
                last_bare = None;
            } else {
                out.words.push(word.to_string());
                last_bare = Some(word.to_string());
            }
        }
        rest = &body[end..];
    }
    if !q.ends_with(char::is_whitespace) {
        out.prefix = last_bare;
    }
    if out.words.is_empty() && out.phrases.is_empty() {
        return Err("a query needs at least one word to look for".into());
    }
    if out.words.len() + out.phrases.len() + out.excluded.len() > MAX_TERMS {
        return Err(format!("a query has at most {MAX_TERMS} terms"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_exclusions_and_prefix() {
        let q = parse(r#"quire "static site" -wordpress sear"#).unwrap();
        assert_eq!(q.words, ["quire", "sear"]);
        assert_eq!(q.phrases, ["static site"]);
        assert_eq!(q.excluded, ["wordpress"]);
        assert_eq!(q.prefix.as_deref(), Some("sear"));
        assert_eq!(parse("done ").unwrap().prefix, None);
    }

    #[test]
    fn malformed_queries_are_refused() {
        assert!(parse("").is_err());
        assert!(parse("   ").is_err());
        assert!(parse("-only -exclusions").is_err());
        assert!(parse("\"open quote").is_err());
        assert!(parse(&"x".repeat(501)).is_err());
    }
}

//! Locale codes (`en`, `fr`, `pt-BR`, `zh-Hant`: a BCP 47 subset) and the
//! configured set of locales with their fallback chains.

use std::collections::HashMap;

pub fn is_valid(code: &str) -> bool {
    let mut parts = code.split('-');
    let Some(lang) = parts.next() else {
        return false;
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    lang_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The locales a server serves: the first is the default; each other one
/// falls back along a chain that ends at the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locales {
    list: Vec<String>,
    fallbacks: HashMap<String, String>,
}

impl Locales {
    /// One locale, nothing to fall back to.
    pub fn single(code: &str) -> Locales {
        Locales {
            list: vec![code.to_string()],
            fallbacks: HashMap::new(),
        }
    }

    /// From `en,fr,de` and `fr-CA:fr,fr:en`. A locale without a fallback
    /// falls back to the default; every chain must end there, without loops.
    pub fn parse(list: &str, fallbacks: Option<&str>) -> Result<Locales, String> {
        let mut codes: Vec<String> = Vec::new();
        for code in list.split(',').map(str::trim) {
            if !is_valid(code) {
                return Err(format!("`{code}` is not a locale like en or pt-BR"));
            }
            if codes.iter().any(|c| c == code) {
                return Err(format!("`{code}` is listed twice"));
            }
            codes.push(code.to_string());
        }
        let mut map = HashMap::new();
        for pair in fallbacks.unwrap_or("").split(',').map(str::trim) {
            if pair.is_empty() {
                continue;
            }
            let Some((from, to)) = pair.split_once(':') else {
                return Err(format!("`{pair}` is not `locale:fallback`"));
            };
            for code in [from, to] {
                if !codes.iter().any(|c| c == code) {
                    return Err(format!(
                        "`{code}` is not one of the locales ({})",
                        codes.join(", ")
                    ));
                }
            }
            if from == codes[0] {
                return Err(format!(
                    "`{from}` is the default locale: it falls back to nothing"
                ));
            }
            if map.insert(from.to_string(), to.to_string()).is_some() {
                return Err(format!("`{from}` has two fallbacks"));
            }
        }
        let locales = Locales {
            list: codes,
            fallbacks: map,
        };
        for code in &locales.list {
            let chain = locales.chain(code);
            if chain.last() != Some(&locales.list[0].as_str()) {
                return Err(format!(
                    "the fallbacks of `{code}` loop ({}) instead of ending at `{}`",
                    chain.join(" → "),
                    locales.list[0]
                ));
            }
        }
        Ok(locales)
    }

    pub fn default_locale(&self) -> &str {
        &self.list[0]
    }

    pub fn all(&self) -> &[String] {
        &self.list
    }

    pub fn contains(&self, code: &str) -> bool {
        self.list.iter().any(|c| c == code)
    }

    /// The locale a locale falls back to, if any.
    pub fn fallback(&self, code: &str) -> Option<&str> {
        if code == self.default_locale() || !self.contains(code) {
            return None;
        }
        Some(
            self.fallbacks
                .get(code)
                .map(String::as_str)
                .unwrap_or(self.default_locale()),
        )
    }

    /// `code` and the locales it falls back to, in order; stops at a loop
    /// (which `parse` refuses).
    pub fn chain<'a>(&'a self, code: &'a str) -> Vec<&'a str> {
        let mut chain = vec![code];
        let mut at = code;
        while let Some(next) = self.fallback(at) {
            if chain.contains(&next) {
                break;
            }
            chain.push(next);
            at = next;
        }
        chain
    }

    /// Each locale but the default, with where it falls back to.
    pub fn fallback_map(&self) -> Vec<(&str, &str)> {
        self.list
            .iter()
            .filter_map(|c| Some((c.as_str(), self.fallback(c)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Locales;

    #[test]
    fn accepts_common_codes_and_refuses_others() {
        for ok in ["en", "fr", "pt-BR", "zh-Hant"] {
            assert!(super::is_valid(ok), "{ok}");
        }
        for bad in ["", "E", "english", "en_US", "en-", "../x"] {
            assert!(!super::is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn chains_end_at_the_default() {
        let l = Locales::parse("en,fr,fr-CA,de", Some("fr-CA:fr,fr:en")).unwrap();
        assert_eq!(l.default_locale(), "en");
        assert_eq!(l.chain("fr-CA"), ["fr-CA", "fr", "en"]);
        assert_eq!(l.chain("de"), ["de", "en"]);
        assert_eq!(l.chain("en"), ["en"]);
        assert_eq!(
            l.fallback_map(),
            [("fr", "en"), ("fr-CA", "fr"), ("de", "en")]
        );
    }

    #[test]
    fn refuses_loops_strangers_and_bad_codes() {
        for (list, fb, says) in [
            ("en,fr,de", "fr:de,de:fr", "loop"),
            ("en,fr", "fr:es", "not one of the locales"),
            ("en,fr", "en:fr", "default locale"),
            ("en,fr", "fr", "locale:fallback"),
            ("en,EN", "", "not a locale"),
            ("en,en", "", "twice"),
        ] {
            let err = Locales::parse(list, Some(fb)).unwrap_err();
            assert!(err.contains(says), "{list} {fb}: {err}");
        }
    }
}

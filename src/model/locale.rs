//! Locale codes: `en`, `fr`, `pt-BR`, `zh-Hant` (a BCP 47 subset).

pub fn is_valid(code: &str) -> bool {
    let mut parts = code.split('-');
    let Some(lang) = parts.next() else {
        return false;
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    lang_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn accepts_common_codes_and_refuses_others() {
        for ok in ["en", "fr", "pt-BR", "zh-Hant"] {
            assert!(super::is_valid(ok), "{ok}");
        }
        for bad in ["", "E", "english", "en_US", "en-", "../x"] {
            assert!(!super::is_valid(bad), "{bad}");
        }
    }
}

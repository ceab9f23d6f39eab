//! A type's preview address: where its site renders a working copy, with
//! `{placeholders}` for the entry's fields, `{id}`, `{locale}` and
//! `{token}` (a short-lived preview token for that one entry).

use serde_json::{Map, Value};

use super::FieldError;

/// Placeholders every type has besides its fields.
const BUILT_IN: [&str; 3] = ["id", "locale", "token"];

/// The placeholder names in a template, or what is wrong with it.
fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| "a `{` has no closing `}`".to_string())?;
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err("a `}` has no opening `{`".into());
    }
    Ok(names)
}

/// Checks a template against the type's top-level field names.
pub fn check(template: &str, fields: &[&str], errors: &mut Vec<FieldError>) {
    let bad = |why: String| FieldError::new("preview_url", "template", why);
    if !(template.starts_with("https://") || template.starts_with("http://"))
        || template.len() > 2048
    {
        errors.push(bad(
            "an http or https address of at most 2048 characters".into()
        ));
        return;
    }
    match placeholders(template) {
        Err(why) => errors.push(bad(why)),
        Ok(names) => {
            for n in names {
                if !BUILT_IN.contains(&n) && !fields.contains(&n) {
                    errors.push(bad(format!(
                        "`{{{n}}}` is neither a field of the type nor one of {{id}}, {{locale}}, {{token}}"
                    )));
                }
            }
        }
    }
}

/// The address for one entry: each placeholder replaced by its value,
/// percent-encoded (a field that is unset or not text or a number gives
/// an empty string).
pub fn fill(
    template: &str,
    id: &str,
    locale: &str,
    token: &str,
    data: &Map<String, Value>,
) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        let value = match name {
            "id" => id.to_string(),
            "locale" => locale.to_string(),
            "token" => token.to_string(),
            field => match data.get(field) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                _ => String::new(),
            },
        };
        out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_fields_and_built_ins_encoded() {
        let data = serde_json::json!({"slug": "a b/c", "n": 3})
            .as_object()
            .cloned()
            .unwrap();
        let url = fill(
            "https://site.example/p/{slug}?t={token}&l={locale}&n={n}&x={missing}",
            "e1",
            "fr",
            "qt_x",
            &data,
        );
        assert_eq!(url, "https://site.example/p/a+b%2Fc?t=qt_x&l=fr&n=3&x=");
    }

    #[test]
    fn refuses_unknown_placeholders_and_other_schemes() {
        let mut errors = Vec::new();
        check("https://s.example/{slug}/{nope}", &["slug"], &mut errors);
        check("javascript:alert(1)", &["slug"], &mut errors);
        check("https://s.example/{slug", &["slug"], &mut errors);
        assert_eq!(errors.len(), 3, "{errors:?}");
        let mut fine = Vec::new();
        check(
            "https://s.example/{slug}?token={token}&id={id}&l={locale}",
            &["slug"],
            &mut fine,
        );
        assert!(fine.is_empty(), "{fine:?}");
    }
}

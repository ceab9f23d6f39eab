//! `?richtext=html`: richtext fields (markdown) rendered to HTML that is
//! safe to put in a page, in entries and in their components and blocks.

use serde_json::{Map, Value};

use crate::model::content_type::{ContentType, Field, Nested};
use crate::model::field::FieldType;

/// Markdown to HTML (CommonMark with tables, strikethrough and task
/// lists), then sanitised: no scripts, event handlers, `javascript:` URLs
/// or styles; links get `rel="noopener noreferrer"`. With `base` (where
/// Quire is reached, `QUIRE_PUBLIC_URL`), relative references — the
/// editor's `/media/…` images — become absolute, so the HTML works on
/// the site's own origin.
pub fn to_html(markdown: &str, base: Option<&ammonia::Url>) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    match base {
        None => ammonia::clean(&raw),
        Some(base) => ammonia::Builder::default()
            .url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()))
            .clean(&raw)
            .to_string(),
    }
}

/// Renders the richtext fields of public entries of `ct` in place,
/// relative references made absolute against `public_url` when given.
pub fn render_entries(ct: &ContentType, items: &mut [Value], public_url: Option<&str>) {
    let base = public_url.and_then(|u| ammonia::Url::parse(u).ok());
    for item in items {
        if let Value::Object(map) = item {
            render_fields(&ct.fields, map, base.as_ref());
        }
    }
}

fn render_fields(fields: &[Field], map: &mut Map<String, Value>, base: Option<&ammonia::Url>) {
    for f in fields {
        let Some(v) = map.get_mut(&f.name) else {
            continue;
        };
        match (&f.field_type, &f.nested) {
            (FieldType::Richtext, _) => {
                if let Value::String(md) = v {
                    *v = Value::String(to_html(md, base));
                }
            }
            (_, Nested::Group(inner)) => each_group(v, |g| render_fields(inner, g, base)),
            (_, Nested::Kinds(kinds)) => each_group(v, |g| {
                let kind = g.get("kind").and_then(Value::as_str).map(str::to_string);
                if let Some((_, inner)) = kinds.iter().find(|(k, _)| Some(k) == kind.as_ref()) {
                    render_fields(inner, g, base);
                }
            }),
            _ => {}
        }
    }
}

/// A group, or each group of a list.
fn each_group(v: &mut Value, mut f: impl FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(g) => f(g),
        Value::Array(list) => list.iter_mut().filter_map(Value::as_object_mut).for_each(f),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markdown_becomes_safe_html() {
        let html = to_html(
            "# Title\n\n**bold** and [a link](https://example.com)\n\n![cat](/media/1/cat.png)",
            None,
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(
            html.contains(r#"<a href="https://example.com" rel="noopener noreferrer">a link</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<img src="/media/1/cat.png" alt="cat">"#),
            "{html}"
        );
        let evil = to_html(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
            None,
        );
        assert!(
            !evil.contains("<script") && !evil.contains("javascript:") && !evil.contains("onerror"),
            "{evil}"
        );
    }

    #[test]
    fn media_references_become_absolute_with_a_public_url() {
        let base = ammonia::Url::parse("https://cms.example.com").ok();
        let html = to_html(
            "![cat](/media/1/cat.png) [far](https://elsewhere.example/x)",
            base.as_ref(),
        );
        assert!(
            html.contains(r#"src="https://cms.example.com/media/1/cat.png""#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="https://elsewhere.example/x""#),
            "{html}"
        );
    }

    #[test]
    fn fields_in_groups_are_rendered_too() {
        let ct = ContentType::from_json(json!({"api_id": "pages", "name": "Pages", "fields": [
            {"name": "body", "type": "richtext"},
            {"name": "title", "type": "string"},
            {"name": "seo", "type": "component", "fields": [{"name": "note", "type": "richtext"}]}
        ]}))
        .unwrap_or_else(|e| panic!("{e:?}"));
        let mut items =
            vec![json!({"body": "*hi*", "title": "*not rich*", "seo": {"note": "**n**"}})];
        render_entries(&ct, &mut items, None);
        assert_eq!(items[0]["body"], "<p><em>hi</em></p>\n");
        assert_eq!(items[0]["title"], "*not rich*");
        assert_eq!(items[0]["seo"]["note"], "<p><strong>n</strong></p>\n");
    }
}

//! `?richtext=html`: richtext fields (markdown) rendered to HTML that is
//! safe to put in a page, in entries and in their components and blocks.

use serde_json::{Map, Value};

use crate::model::content_type::{ContentType, Field, Nested};
use crate::model::field::FieldType;

/// Markdown to HTML (CommonMark with tables, strikethrough and task
/// lists), then sanitised: no scripts, event handlers, `javascript:` URLs
/// or styles; links get `rel="noopener noreferrer"`.
pub fn to_html(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::clean(&raw)
}

/// Renders the richtext fields of public entries of `ct` in place.
pub fn render_entries(ct: &ContentType, items: &mut [Value]) {
    for item in items {
        if let Value::Object(map) = item {
            render_fields(&ct.fields, map);
        }
    }
}

fn render_fields(fields: &[Field], map: &mut Map<String, Value>) {
    for f in fields {
        let Some(v) = map.get_mut(&f.name) else {
            continue;
        };
        match (&f.field_type, &f.nested) {
            (FieldType::Richtext, _) => {
                if let Value::String(md) = v {
                    *v = Value::String(to_html(md));
                }
            }
            (_, Nested::Group(inner)) => each_group(v, |g| render_fields(inner, g)),
            (_, Nested::Kinds(kinds)) => each_group(v, |g| {
                let kind = g.get("kind").and_then(Value::as_str).map(str::to_string);
                if let Some((_, inner)) = kinds.iter().find(|(k, _)| Some(k) == kind.as_ref()) {
                    render_fields(inner, g);
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
        );
        assert!(
            !evil.contains("<script") && !evil.contains("javascript:") && !evil.contains("onerror"),
            "{evil}"
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
        render_entries(&ct, &mut items);
        assert_eq!(items[0]["body"], "<p><em>hi</em></p>\n");
        assert_eq!(items[0]["title"], "*not rich*");
        assert_eq!(items[0]["seo"]["note"], "<p><strong>n</strong></p>\n");
    }
}

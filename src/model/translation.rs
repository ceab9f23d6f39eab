//! Linked translations as readers see them: the translation in the first
//! locale of a fallback chain that an entry has, each localized field it
//! leaves unset taken from the next locale along the chain that sets it.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::content_type::ContentType;
use super::entry::Entry;

/// Which locale each localized value came from, where that is not the
/// locale asked for: `{"title": "en"}`.
pub type Fallbacks = Map<String, Value>;

/// Where `locale` stands in `chain` (after it when not in it).
fn rank(chain: &[String], locale: &str) -> usize {
    chain
        .iter()
        .position(|c| c == locale)
        .unwrap_or(chain.len())
}

/// Groups translations by entry, in the order the entries first appear,
/// each group ordered along `chain`.
pub fn by_entry(chain: &[String], rows: Vec<Entry>) -> Vec<Vec<Entry>> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<Entry>> = Vec::new();
    for row in rows {
        match at.get(&row.id) {
            Some(&i) => groups[i].push(row),
            None => {
                at.insert(row.id.clone(), groups.len());
                groups.push(vec![row]);
            }
        }
    }
    for g in &mut groups {
        g.sort_by_key(|e| rank(chain, &e.locale));
    }
    groups
}

/// The entry as read in `chain[0]`: `base` (the translation chosen for
/// it) with each unset localized value of the copy read (`live` or the
/// working copy) taken from `others` in chain order. `base` then carries
/// the locale asked for; the answer names the values taken elsewhere.
pub fn fill(
    ct: &ContentType,
    chain: &[String],
    base: &mut Entry,
    others: &[Entry],
    live: bool,
) -> Fallbacks {
    let Some(asked) = chain.first() else {
        return Fallbacks::new();
    };
    let copy_of = |e: &Entry| -> Option<Map<String, Value>> {
        if live {
            e.published.clone()
        } else {
            Some(e.draft.clone())
        }
    };
    let mut sources: Vec<(String, Map<String, Value>)> = others
        .iter()
        .filter(|e| e.id == base.id && e.row != base.row)
        .filter_map(|e| Some((e.locale.clone(), copy_of(e)?)))
        .collect();
    sources.sort_by_key(|(l, _)| rank(chain, l));
    let base_locale = base.locale.clone();
    let copy = if live {
        base.published.as_mut()
    } else {
        Some(&mut base.draft)
    };
    let mut fallbacks = Fallbacks::new();
    let Some(copy) = copy else {
        return fallbacks;
    };
    for f in ct.fields.iter().filter(|f| f.localized) {
        let set = |m: &Map<String, Value>| m.get(&f.name).is_some_and(|v| !v.is_null());
        if set(copy) {
            if &base_locale != asked {
                fallbacks.insert(f.name.clone(), Value::String(base_locale.clone()));
            }
            continue;
        }
        let from = sources
            .iter()
            .filter(|(l, _)| rank(chain, l) > rank(chain, &base_locale))
            .find(|(_, m)| set(m));
        if let Some((locale, m)) = from
            && let Some(v) = m.get(&f.name)
        {
            copy.insert(f.name.clone(), v.clone());
            fallbacks.insert(f.name.clone(), Value::String(locale.clone()));
        }
    }
    base.locale = asked.clone();
    fallbacks
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::model::entry::Status;

    fn ct() -> ContentType {
        ContentType::from_json(json!({
            "api_id": "pages", "name": "Pages",
            "fields": [
                {"name": "title", "type": "string", "localized": true},
                {"name": "body", "type": "text", "localized": true},
                {"name": "rank", "type": "integer"}
            ]
        }))
        .unwrap()
    }

    fn row(locale: &str, live: Value) -> Entry {
        let live = live.as_object().cloned();
        Entry {
            id: "e1".into(),
            row: format!("r-{locale}"),
            content_type: "pages".into(),
            locale: locale.into(),
            status: Status::Published,
            draft: live.clone().unwrap_or_default(),
            published: live,
            version: 1,
            created_at: 0,
            updated_at: 0,
            published_at: Some(0),
            live_updated_at: Some(0),
            created_by: None,
            updated_by: None,
            schedule: Default::default(),
        }
    }

    fn chain(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn unset_values_come_from_along_the_chain_field_by_field() {
        let chain = chain(&["fr-CA", "fr", "en"]);
        let mut groups = by_entry(
            &chain,
            vec![
                row("en", json!({"title": "Hello", "body": "Text", "rank": 1})),
                row("fr-CA", json!({"title": "Allo", "rank": 1})),
                row(
                    "fr",
                    json!({"title": "Bonjour", "body": "Texte", "rank": 1}),
                ),
            ],
        );
        let mut group = groups.remove(0);
        let mut base = group.remove(0);
        assert_eq!(base.locale, "fr-CA");
        let fallbacks = fill(&ct(), &chain, &mut base, &group, true);
        let live = base.published.unwrap();
        assert_eq!(live["title"], "Allo");
        assert_eq!(live["body"], "Texte");
        assert_eq!(Value::Object(fallbacks), json!({"body": "fr"}));
    }

    #[test]
    fn a_missing_translation_reads_as_the_next_one_and_says_so() {
        let chain = chain(&["fr", "en"]);
        let mut base = row("en", json!({"title": "Hello", "rank": 1}));
        let fallbacks = fill(&ct(), &chain, &mut base, &[], true);
        assert_eq!(base.locale, "fr");
        assert_eq!(Value::Object(fallbacks), json!({"title": "en"}));
        assert_eq!(base.published.unwrap()["rank"], 1, "shared values are kept");
    }
}

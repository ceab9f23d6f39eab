//! Reads of published content (and previews) in a locale: each entry in the
//! first locale of the fallback chain it has, its unset localized values
//! taken from along the chain, with a note of where each came from.

use serde_json::{Value, json};

use super::Content;
use crate::model::content_type::ContentType;
use crate::model::entry::Entry;
use crate::model::query::{ListQuery, Surface};
use crate::model::translation::{Fallbacks, by_entry, fill};
use crate::store::{self, StoreResult};

/// An entry as read, and — when read through a fallback chain — which of
/// its localized values came from another locale.
pub struct Read {
    pub entry: Entry,
    pub fallbacks: Option<Fallbacks>,
}

impl Read {
    /// `{locale, fallbacks}` when read through a chain.
    pub fn meta(&self) -> Option<Value> {
        let f = self.fallbacks.as_ref()?;
        Some(json!({ "locale": self.entry.locale, "fallbacks": f }))
    }

    /// Adds [`Read::meta`] to the entry's shaped value.
    pub fn annotate(&self, value: &mut Value) {
        if let (Some(meta), Value::Object(map)) = (self.meta(), value) {
            map.insert("meta".into(), meta);
        }
    }
}

impl Content {
    /// The fallback chain of `locale` (the default locale when none).
    pub fn chain(&self, locale: Option<&str>) -> Vec<String> {
        let locale = locale.unwrap_or(self.locales.default_locale());
        self.locales
            .chain(locale)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// A page of entries and the total that match, each filled along the
    /// query's chain when it has one.
    pub async fn list_entries(
        &self,
        ct: &ContentType,
        q: &ListQuery,
        surface: Surface,
    ) -> StoreResult<(Vec<Read>, i64)> {
        let (entries, total) = self.page_and_total(ct, q, surface).await?;
        let reads = match q.chain() {
            Some(chain) => self.filled(ct, chain, entries, surface).await?,
            None => entries
                .into_iter()
                .map(|entry| Read {
                    entry,
                    fallbacks: None,
                })
                .collect(),
        };
        Ok((reads, total))
    }

    /// A page and its list's total. Public totals are counted once per
    /// change to what they count (the type, and the types its filters reach
    /// through relations): counting is most of a page's cost otherwise.
    async fn page_and_total(
        &self,
        ct: &ContentType,
        q: &ListQuery,
        surface: Surface,
    ) -> StoreResult<(Vec<Entry>, i64)> {
        if surface != Surface::Public {
            return store::entries::list(&self.db, ct, q, surface).await;
        }
        let key = store::entries::total_key(&self.db, ct, q, surface);
        let known = self.cache.total(&key);
        let epoch = self.cache.epoch();
        let (entries, total) =
            store::entries::list_counted(&self.db, ct, q, surface, known).await?;
        if known.is_none() {
            self.cache
                .keep_total(key, total, epoch, &self.type_deps(ct));
        }
        Ok((entries, total))
    }

    /// One entry by id or slug, in the first locale of `chain` it has.
    pub async fn read_entry(
        &self,
        ct: &ContentType,
        chain: &[String],
        key: &str,
        surface: Surface,
    ) -> StoreResult<Read> {
        let rows = store::entries::get_by_key(&self.db, ct.api_id(), chain, key, surface).await?;
        let mut groups = by_entry(chain, rows);
        let (Some(mut group), true) = (groups.pop(), groups.is_empty()) else {
            return Err(store::StoreError::NotFound);
        };
        let mut entry = group.remove(0);
        let fallbacks = (chain.len() > 1)
            .then(|| fill(ct, chain, &mut entry, &group, surface == Surface::Public));
        Ok(Read { entry, fallbacks })
    }

    /// Fills `entries` (each in the first locale of `chain` it has) with
    /// the localized values they leave unset, from one query for all.
    async fn filled(
        &self,
        ct: &ContentType,
        chain: &[String],
        entries: Vec<Entry>,
        surface: Surface,
    ) -> StoreResult<Vec<Read>> {
        let live = surface == Surface::Public;
        let last = chain.last().map(String::as_str);
        let gaps: Vec<String> = entries
            .iter()
            .filter(|e| Some(e.locale.as_str()) != last && has_gap(ct, e, live))
            .map(|e| e.id.clone())
            .collect();
        let others = store::entries::in_locales(&self.db, &gaps, chain, surface).await?;
        let mut reads = Vec::with_capacity(entries.len());
        for mut entry in entries {
            let fallbacks = fill(ct, chain, &mut entry, &others, live);
            reads.push(Read {
                entry,
                fallbacks: Some(fallbacks),
            });
        }
        Ok(reads)
    }
}

/// Whether an entry's copy leaves a localized field unset.
fn has_gap(ct: &ContentType, e: &Entry, live: bool) -> bool {
    let copy = if live {
        e.published.as_ref()
    } else {
        Some(&e.draft)
    };
    copy.is_some_and(|m| {
        ct.fields
            .iter()
            .filter(|f| f.localized)
            .any(|f| m.get(&f.name).is_none_or(Value::is_null))
    })
}

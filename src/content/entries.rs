//! Entry writes: each validates what it is given against the entry's type,
//! writes through the store in one transaction, and makes cached public
//! answers stale.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::Content;
use crate::model::actor::Actor;
use crate::model::content_type::{ContentType, Kind};
use crate::model::entry::Entry;
use crate::model::field::OnDelete;
use crate::model::revision::{FieldDiff, diff};
use crate::model::validate::{Mode, validate_entry};
use crate::store::entries::{Edit, Lookup, Revision, Target};
use crate::store::{self, Conflict, StoreError, StoreResult};

impl Content {
    /// A new entry of `ct` in `locale`, as a draft.
    pub async fn create_entry(
        &self,
        ct: &ContentType,
        locale: &str,
        data: &Map<String, Value>,
        actor: &Actor,
    ) -> StoreResult<Entry> {
        // A component has no entries of its own.
        if ct.def.kind == Kind::Component {
            return Err(StoreError::NotFound);
        }
        let valid = validate_entry(ct, data, Mode::Create).map_err(StoreError::Invalid)?;
        let entry = store::entries::create(&self.db, ct, locale, valid, actor).await?;
        self.trim_history(&entry).await;
        self.changed_entry(ct.api_id(), &entry.id);
        Ok(entry)
    }

    /// Which translation a call names: the locale given, else the default
    /// locale's (or the entry's only one).
    pub fn target<'a>(&'a self, id: &'a str, locale: Option<&'a str>) -> Target<'a> {
        let default_locale = self.locales.default_locale();
        Target {
            id,
            lookup: match locale {
                Some(l) => Lookup::Exact(l),
                None => Lookup::Prefer(default_locale),
            },
            default_locale,
            scheduled: None,
        }
    }

    /// One translation of an entry with its working copy.
    pub async fn entry(
        &self,
        ct: &ContentType,
        id: &str,
        locale: Option<&str>,
    ) -> StoreResult<Entry> {
        let t = self.target(id, locale);
        store::entries::get(&self.db, ct.api_id(), id, t.lookup).await
    }

    /// Changes the fields in `patch` of a translation's working copy, if
    /// `version` is still current; the merged copy is validated as a whole.
    /// A locale the entry has no translation in yet is started from the
    /// patch, without a version (`true`): its shared fields are the
    /// entry's, its localized ones fall back until set.
    pub async fn update_entry(
        &self,
        ct: &ContentType,
        id: &str,
        locale: Option<&str>,
        version: Option<i64>,
        patch: Map<String, Value>,
        actor: &Actor,
    ) -> StoreResult<(Entry, bool)> {
        let target = self.target(id, locale);
        let (entry, created) = match (version, locale) {
            (Some(v), _) => (
                store::entries::update(&self.db, ct, target, v, Edit::Patch(patch), actor).await?,
                false,
            ),
            (None, Some(l)) => (
                store::entries::create_translation(&self.db, ct, target, l, patch, actor).await?,
                true,
            ),
            (None, None) => {
                let current = store::entries::get(&self.db, ct.api_id(), id, target.lookup).await?;
                return Err(StoreError::VersionConflict {
                    expected: 0,
                    current: current.version,
                });
            }
        };
        self.trim_history(&entry).await;
        self.changed_entry(ct.api_id(), &entry.id);
        Ok((entry, created))
    }

    /// A translation's working copy becomes its live copy.
    pub async fn publish_entry(
        &self,
        ct: &ContentType,
        id: &str,
        locale: Option<&str>,
        expected: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<Entry> {
        let target = self.target(id, locale);
        let entry = store::entries::publish(&self.db, ct, target, expected, actor).await?;
        self.trim_history(&entry).await;
        self.changed_entry(ct.api_id(), &entry.id);
        Ok(entry)
    }

    /// Writes the one entry of a singleton type in `locale`: creates it (or
    /// its translation in `locale`) on the first write (`true`), else
    /// replaces that translation's working copy (fields left out are
    /// cleared) if `expected` is its current version. Without a version an
    /// existing translation is a conflict naming the current one.
    pub async fn put_singleton(
        &self,
        ct: &ContentType,
        locale: &str,
        mut data: Map<String, Value>,
        expected: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<(Entry, bool)> {
        if ct.def.kind != Kind::Singleton {
            return Err(StoreError::Conflict(
                Conflict::NotASingleton,
                format!(
                    "{} is a collection: POST creates its entries, PATCH changes one",
                    ct.api_id()
                ),
            ));
        }
        let here = store::entries::singleton(&self.db, ct.api_id(), Lookup::Exact(locale)).await?;
        let Some(current) = here else {
            let default_locale = self.locales.default_locale();
            let any =
                store::entries::singleton(&self.db, ct.api_id(), Lookup::Prefer(default_locale))
                    .await?;
            return match any {
                Some(other) => Ok(self
                    .update_entry(ct, &other.id, Some(locale), None, data, actor)
                    .await?),
                None => Ok((self.create_entry(ct, locale, &data, actor).await?, true)),
            };
        };
        let version = expected.ok_or(StoreError::VersionConflict {
            expected: 0,
            current: current.version,
        })?;
        for f in &ct.fields {
            data.entry(f.name.clone()).or_insert(Value::Null);
        }
        let (entry, _) = self
            .update_entry(ct, &current.id, Some(locale), Some(version), data, actor)
            .await?;
        Ok((entry, false))
    }

    /// A translation's live copy is taken down; its working copy stays.
    pub async fn unpublish_entry(
        &self,
        ct: &ContentType,
        id: &str,
        locale: Option<&str>,
        expected: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<Entry> {
        let target = self.target(id, locale);
        let entry = store::entries::unpublish(&self.db, ct, target, expected, actor).await?;
        self.trim_history(&entry).await;
        self.changed_entry(ct.api_id(), &entry.id);
        Ok(entry)
    }

    /// The translations of the given entries, by entry id, oldest first.
    pub async fn translations(
        &self,
        ids: &[String],
    ) -> StoreResult<HashMap<String, Vec<store::entries::Translation>>> {
        let mut by_id: HashMap<String, Vec<store::entries::Translation>> = HashMap::new();
        for t in store::entries::translations(&self.db, ids).await? {
            by_id.entry(t.entry_id.clone()).or_default().push(t);
        }
        Ok(by_id)
    }

    /// The entry, every translation and their revisions are gone; `expected`
    /// is the version of the default locale's translation. Refused while
    /// other entries point at it, unless their fields say
    /// `"on_delete": "nullify"`.
    pub async fn delete_entry(
        &self,
        ct: &ContentType,
        id: &str,
        expected: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<()> {
        // Which relation fields let go of a deleted target, by their type.
        let nullify = |source_type: &str, field: &str| {
            self.types.get(source_type).is_some_and(|t| {
                t.field(field)
                    .is_some_and(|f| f.on_delete == Some(OnDelete::Nullify))
            })
        };
        let target = self.target(id, None);
        store::entries::delete(&self.db, ct.api_id(), target, expected, actor, &nullify).await?;
        // References to it elsewhere may have been cleared too.
        self.changed();
        Ok(())
    }

    /// The copy a translation saved as `version`, with what it changed
    /// from the copy saved before it.
    pub async fn revision(
        &self,
        ct: &ContentType,
        id: &str,
        locale: Option<&str>,
        version: i64,
    ) -> StoreResult<(Revision, Vec<FieldDiff>, Option<i64>)> {
        let lookup = self.target(id, locale).lookup;
        let (rev, previous) =
            store::entries::revision(&self.db, ct.api_id(), id, lookup, version).await?;
        let empty = Map::new();
        let fields = |v: &'_ Value| v.as_object().cloned().unwrap_or_default();
        let before = previous.as_ref().map(|p| fields(&p.data.0));
        let changes = diff(before.as_ref().unwrap_or(&empty), &fields(&rev.data.0));
        Ok((rev, changes, previous.map(|p| p.version)))
    }

    /// The copy a translation saved as `version` becomes its working copy
    /// again, as a new version (`expected` must be the current one): the
    /// fields it lacks are cleared, and it must be valid for the type as it
    /// is now. The live copy stays until the next publish.
    pub async fn restore_revision(
        &self,
        ct: &ContentType,
        id: &str,
        locale: Option<&str>,
        version: i64,
        expected: i64,
        actor: &Actor,
    ) -> StoreResult<Entry> {
        let target = self.target(id, locale);
        let edit = Edit::Restore(version);
        let entry = store::entries::update(&self.db, ct, target, expected, edit, actor).await?;
        self.trim_history(&entry).await;
        self.changed_entry(ct.api_id(), &entry.id);
        Ok(entry)
    }

    /// After a write: a translation keeps at most the configured number of
    /// revisions. A failure here loses nothing; the next write trims again.
    pub(super) async fn trim_history(&self, entry: &Entry) {
        let Some(keep) = self.revisions_keep else {
            return;
        };
        if let Err(e) = store::entries::prune_revisions(&self.db, &entry.row, keep).await {
            tracing::warn!(error = %e, "old revisions not trimmed; the next write tries again");
        }
    }
}

/// How long a preview link's token lives.
pub const PREVIEW_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A preview address on the type's site, with the token it carries.
pub struct PreviewLink {
    pub url: String,
    pub token: String,
    pub expires_at: crate::clock::Micros,
}

impl Content {
    /// Mints a short-lived preview token that reads this one entry and
    /// fills the type's `preview_url` with it and the translation's
    /// working copy. `None` when the type names no preview address.
    pub async fn preview_link(
        &self,
        ct: &ContentType,
        id: &str,
        locale: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<Option<PreviewLink>> {
        let Some(template) = ct.def.preview_url.as_deref() else {
            return Ok(None);
        };
        let entry = self.entry(ct, id, locale).await?;
        let secret = crate::auth::token::generate(crate::auth::token::API_PREFIX);
        let ttl = i64::try_from(PREVIEW_LINK_TTL.as_micros()).unwrap_or(i64::MAX);
        let expires_at = crate::clock::now() + ttl;
        store::tokens::create_for(
            &self.db,
            &format!("preview link: {}/{}", ct.api_id(), entry.id),
            "preview",
            &crate::auth::token::hash(&secret),
            Some(expires_at),
            Some(&entry.id),
            actor,
        )
        .await?;
        let url =
            crate::model::preview::fill(template, &entry.id, &entry.locale, &secret, &entry.draft);
        Ok(Some(PreviewLink {
            url,
            token: secret,
            expires_at,
        }))
    }
}

//! Entry writes: each validates what it is given against the entry's type,
//! writes through the store in one transaction, and makes cached public
//! answers stale.

use serde_json::{Map, Value};

use super::Content;
use crate::model::actor::Actor;
use crate::model::content_type::{ContentType, Kind};
use crate::model::entry::Entry;
use crate::model::field::OnDelete;
use crate::model::validate::{Mode, validate_entry};
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
        self.changed();
        Ok(entry)
    }

    /// Changes the fields in `patch` of the working copy, if `version` is
    /// still current; the merged copy is validated as a whole.
    pub async fn update_entry(
        &self,
        ct: &ContentType,
        id: &str,
        version: i64,
        patch: Map<String, Value>,
        actor: &Actor,
    ) -> StoreResult<Entry> {
        let entry = store::entries::update(&self.db, ct, id, version, patch, actor).await?;
        self.changed();
        Ok(entry)
    }

    /// The working copy becomes the live copy.
    pub async fn publish_entry(
        &self,
        ct: &ContentType,
        id: &str,
        expected: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<Entry> {
        let entry = store::entries::publish(&self.db, ct, id, expected, actor).await?;
        self.changed();
        Ok(entry)
    }

    /// Writes the one entry of a singleton type in `locale`: creates it on
    /// the first write (`true`), else replaces its working copy (fields
    /// left out are cleared) if `expected` is its current version. Without
    /// a version an existing entry is a conflict naming the current one.
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
        let Some(current) = store::entries::singleton(&self.db, ct.api_id(), locale).await? else {
            return Ok((self.create_entry(ct, locale, &data, actor).await?, true));
        };
        let version = expected.ok_or(StoreError::VersionConflict {
            expected: 0,
            current: current.version,
        })?;
        for f in &ct.fields {
            data.entry(f.name.clone()).or_insert(Value::Null);
        }
        let entry = self
            .update_entry(ct, &current.id, version, data, actor)
            .await?;
        Ok((entry, false))
    }

    /// The live copy is taken down; the working copy stays.
    pub async fn unpublish_entry(
        &self,
        ct: &ContentType,
        id: &str,
        expected: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<Entry> {
        let entry = store::entries::unpublish(&self.db, ct, id, expected, actor).await?;
        self.changed();
        Ok(entry)
    }

    /// The entry and its revisions are gone. Refused while other entries
    /// point at it, unless their fields say `"on_delete": "nullify"`.
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
        store::entries::delete(&self.db, ct.api_id(), id, expected, actor, &nullify).await?;
        self.changed();
        Ok(())
    }
}

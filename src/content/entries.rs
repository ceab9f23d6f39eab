//! Entry writes: each validates what it is given against the entry's type,
//! writes through the store in one transaction, and makes cached public
//! answers stale.

use serde_json::{Map, Value};

use super::Content;
use crate::model::actor::Actor;
use crate::model::content_type::ContentType;
use crate::model::entry::Entry;
use crate::model::validate::{Mode, validate_entry};
use crate::store::{self, StoreError, StoreResult};

impl Content {
    /// A new entry of `ct` in `locale`, as a draft.
    pub async fn create_entry(
        &self,
        ct: &ContentType,
        locale: &str,
        data: &Map<String, Value>,
        actor: &Actor,
    ) -> StoreResult<Entry> {
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

    /// The entry and its revisions are gone.
    pub async fn delete_entry(
        &self,
        ct: &ContentType,
        id: &str,
        expected: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<()> {
        store::entries::delete(&self.db, ct.api_id(), id, expected, actor).await?;
        self.changed();
        Ok(())
    }
}

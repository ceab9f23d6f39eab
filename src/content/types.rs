//! Content type writes: the store applies a definition in one transaction;
//! here, the rules that span types (a relation must point at a type that
//! exists; a type others point at cannot go) and the registry kept in step.

use super::Content;
use crate::model::FieldError;
use crate::model::actor::Actor;
use crate::model::content_type::ContentType;
use crate::model::schema_change::{self, Plan};
use crate::store::content_types::StoredType;
use crate::store::{self, Conflict, StoreError, StoreResult};

impl Content {
    /// A type the `content-types/` folder defines changes with its file.
    fn check_not_folder_owned(&self, api_id: &str) -> StoreResult<()> {
        match self.folder_file(api_id) {
            Some(file) => Err(StoreError::Conflict(
                Conflict::FolderOwned,
                format!(
                    "`{api_id}` is defined by {file}: change that file (applied at the next start), not the API"
                ),
            )),
            None => Ok(()),
        }
    }

    fn check_targets(&self, ct: &ContentType) -> StoreResult<()> {
        let mut unknown = ct.unknown_targets(&|to| self.types.get(to).is_some());
        unknown.extend(ct.unknown_components(&|id| {
            self.types
                .get(id)
                .is_some_and(|c| c.def.kind == crate::model::content_type::Kind::Component)
        }));
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Invalid(unknown))
        }
    }

    /// Defines a new type.
    pub async fn create_type(&self, ct: ContentType, actor: &Actor) -> StoreResult<StoredType> {
        self.check_targets(&ct)?;
        let _one = self.types.changing().await;
        let stored =
            store::content_types::create(&self.db, &self.types.resolve(&ct), actor).await?;
        self.types.put(ct);
        self.changed();
        Ok(stored)
    }

    /// Changes a type, if `expected` is still its schema version, carrying
    /// its entries along (see [`apply_change`]). With `dry_run`, answers
    /// the plan and changes nothing.
    pub async fn update_type(
        &self,
        ct: ContentType,
        expected: Option<i64>,
        allow_data_loss: bool,
        dry_run: bool,
        actor: &Actor,
    ) -> StoreResult<(StoredType, Plan)> {
        self.check_not_folder_owned(ct.api_id())?;
        self.check_targets(&ct)?;
        let _one = self.types.changing().await;
        let resolved = self.types.resolve(&ct);
        let (stored, plan) = apply_change(
            &self.db,
            &resolved,
            expected,
            allow_data_loss,
            dry_run,
            actor,
        )
        .await?;
        if !dry_run {
            self.types.put(ct);
            self.changed();
        }
        Ok((stored, plan))
    }

    /// Deletes a type, refused while another type's relations point at it.
    pub async fn delete_type(
        &self,
        api_id: &str,
        with_entries: bool,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.check_not_folder_owned(api_id)?;
        let _one = self.types.changing().await;
        let all = self.types.all();
        let pointing = users_of(all.iter().map(|t| &**t), api_id);
        if !pointing.is_empty() {
            return Err(StoreError::Conflict(
                Conflict::TypeReferenced,
                format!(
                    "other types use `{api_id}`: {}; change or remove those fields first",
                    pointing.join(", ")
                ),
            ));
        }
        store::content_types::delete(&self.db, api_id, with_entries, actor).await?;
        self.types.remove(api_id);
        self.changed();
        Ok(())
    }
}

/// What in other types uses `api_id`: relation fields pointing at it
/// (`posts.author`) and types using it as a component.
pub fn users_of<'a>(types: impl Iterator<Item = &'a ContentType>, api_id: &str) -> Vec<String> {
    types
        .filter(|t| t.api_id() != api_id)
        .flat_map(|t| {
            let mut users: Vec<String> = t
                .relations()
                .filter(|(_, to)| *to == api_id)
                .map(|(f, _)| format!("{}.{}", t.api_id(), f.name))
                .collect();
            if t.uses_component(api_id) {
                users.push(format!("{} (as a component)", t.api_id()));
            }
            users
        })
        .collect()
}

/// The field errors of relation targets no type among `known` defines.
pub fn unknown_targets_among(types: &[ContentType], known: &[String]) -> Vec<(String, FieldError)> {
    let mut out = Vec::new();
    for ct in types {
        let exists =
            |to: &str| known.iter().any(|k| k == to) || types.iter().any(|t| t.api_id() == to);
        for e in ct.unknown_targets(&exists) {
            out.push((ct.api_id().to_string(), e));
        }
    }
    out
}

/// Plans changing a stored type into `next` and carries the plan out in
/// one transaction (or, with `dry_run`, rolls it back and answers the plan
/// with the entries each step would touch).
pub async fn apply_change(
    db: &crate::store::Db,
    next: &ContentType,
    expected: Option<i64>,
    allow_data_loss: bool,
    dry_run: bool,
    actor: &Actor,
) -> StoreResult<(StoredType, Plan)> {
    let current = store::content_types::get(db, next.api_id()).await?;
    let plan = schema_change::plan(&current.content_type, next).map_err(StoreError::Invalid)?;
    store::content_types::update(
        db,
        next,
        &current,
        expected,
        plan,
        allow_data_loss,
        dry_run,
        actor,
    )
    .await
}

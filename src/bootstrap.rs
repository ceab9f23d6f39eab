//! What `serve` sets up before it listens: content types as code, and the
//! first admin.

use std::path::Path;

use anyhow::{Context, bail};

use crate::config::Config;
use crate::model::FieldError;
use crate::model::access::Role;
use crate::model::content_type::ContentType;
use crate::store::audit::Actor;
use crate::store::{self, Conflict, Db, StoreError};

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("  - {}: {} ({})", e.field, e.message, e.rule))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads every `*.json` in `dir` as a content type definition.
pub fn read_content_types(dir: &Path) -> anyhow::Result<Vec<ContentType>> {
    Ok(read_with_files(dir)?
        .into_iter()
        .map(|(_, ct)| ct)
        .collect())
}

/// Which file of `dir` defines each type: those types belong to the folder.
pub fn folder_owned(dir: &Path) -> anyhow::Result<std::collections::HashMap<String, String>> {
    Ok(read_with_files(dir)?
        .into_iter()
        .map(|(path, ct)| (ct.api_id().to_string(), path.display().to_string()))
        .collect())
}

fn read_with_files(dir: &Path) -> anyhow::Result<Vec<(std::path::PathBuf, ContentType)>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut types = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let ct = ContentType::from_json(value).map_err(|errors| {
            anyhow::anyhow!(
                "{} is not a valid content type:\n{}",
                path.display(),
                describe(&errors)
            )
        })?;
        types.push((path, ct));
    }
    Ok(types)
}

/// Creates or updates the types defined in `dir`, all in one transaction.
/// Idempotent; a change that would be refused (lost values, values that do
/// not convert, a required field without a default) stops the start before
/// any file is applied.
pub async fn apply_content_types(db: &Db, dir: &Path) -> anyhow::Result<()> {
    // Another node starting on the same database may apply the folder
    // between our reading and our writing: then we read again.
    for _ in 0..3 {
        match try_apply(db, dir).await? {
            Err(
                StoreError::VersionConflict { .. } | StoreError::Conflict(Conflict::TypeExists, _),
            ) => {
                continue;
            }
            other => return other.context("cannot apply content-types/; nothing was changed"),
        }
    }
    bail!("cannot apply content-types/: the stored types kept changing while it was applied")
}

/// One attempt: the outer error stops the start, the inner one is a write
/// that met a concurrent change (nothing of it kept).
async fn try_apply(db: &Db, dir: &Path) -> anyhow::Result<Result<(), StoreError>> {
    let actor = Actor::system("system:content-types");
    let types = read_content_types(dir)?;
    let known: Vec<String> = store::content_types::list(db)
        .await?
        .into_iter()
        .map(|t| t.content_type.api_id().to_string())
        .collect();
    let unknown = crate::content::types::unknown_targets_among(&types, &known);
    if !unknown.is_empty() {
        let lines: Vec<String> = unknown
            .iter()
            .map(|(t, e)| format!("  - {t}.json {}: {}", e.field, e.message))
            .collect();
        bail!(
            "content-types/ names types that do not exist:\n{}",
            lines.join("\n")
        );
    }
    // Every change is tried first as a dry run: one that would be refused
    // stops the start before any file is applied.
    let mut refused = Vec::new();
    let mut pending = Vec::new();
    for ct in types {
        match store::content_types::get(db, ct.api_id()).await {
            Err(StoreError::NotFound) => pending.push((ct, None)),
            Ok(current) if current.content_type.def == ct.def => {}
            Ok(current) => {
                match crate::content::types::apply_change(db, &ct, None, false, true, &actor).await
                {
                    // Planned from what was read here: if another node
                    // applies the folder meanwhile, the write below meets
                    // its newer version and reads again.
                    Ok(_) => pending.push((ct, Some(current))),
                    Err(StoreError::DataLoss(errors) | StoreError::Invalid(errors)) => refused
                        .push(format!(
                            "{}/{}.json:\n{}",
                            dir.display(),
                            ct.api_id(),
                            describe(&errors)
                        )),
                    // Another node changed it since we read it: read again.
                    Err(e @ StoreError::VersionConflict { .. }) => return Ok(Err(e)),
                    Err(e) => return Err(e).context(format!("cannot plan {}", ct.api_id())),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !refused.is_empty() {
        bail!(
            "refusing to apply content-types/: nothing was changed.\n{}\n\
             `quire types plan` shows every change; a field removed on purpose is \
             removed through the admin API with ?allow_data_loss=true.",
            refused.join("\n")
        );
    }
    // Then all of them in one transaction: a failure leaves none applied.
    let mut changes = Vec::new();
    for (next, basis) in pending {
        let plan = match &basis {
            None => crate::model::schema_change::Plan::default(),
            Some(current) => crate::model::schema_change::plan(&current.content_type, &next)
                .map_err(StoreError::Invalid)?,
        };
        changes.push(store::content_types::TypeChange { next, basis, plan });
    }
    if let Err(e) = store::content_types::apply_all(db, &changes, &actor).await {
        return Ok(Err(e));
    }
    for c in &changes {
        let what = if c.basis.is_none() {
            "created"
        } else {
            "updated"
        };
        tracing::info!(content_type = c.next.api_id(), "{what} from content-types/");
    }
    Ok(Ok(()))
}

/// The stored types no file in `dir` defines.
async fn strays(db: &Db, dir: &Path) -> anyhow::Result<Vec<String>> {
    let files: Vec<String> = read_content_types(dir)?
        .iter()
        .map(|ct| ct.api_id().to_string())
        .collect();
    Ok(store::content_types::list(db)
        .await?
        .into_iter()
        .map(|t| t.content_type.api_id().to_string())
        .filter(|id| !files.contains(id))
        .collect())
}

/// Refuses a prune that would delete entries without `delete_entries`,
/// naming the types and how many entries each has.
pub async fn check_prune(db: &Db, dir: &Path, delete_entries: bool) -> anyhow::Result<()> {
    if delete_entries {
        return Ok(());
    }
    let mut holding = Vec::new();
    for id in strays(db, dir).await? {
        let n = store::entries::count(db, &id).await?;
        if n > 0 {
            holding.push(format!("  - {id}: {n} entries"));
        }
    }
    if !holding.is_empty() {
        bail!(
            "refusing to prune: these types are in no file but still have entries \
             (nothing was changed; add --delete-entries to delete them too):\n{}",
            holding.join("\n")
        );
    }
    Ok(())
}

/// Deletes the stored types no file in `dir` defines; answers their ids.
/// A type still used by another (a relation's target, a component in use)
/// goes after the types that use it, or stays, named in the error.
pub async fn prune_content_types(
    db: &Db,
    dir: &Path,
    delete_entries: bool,
) -> anyhow::Result<Vec<String>> {
    let actor = Actor::system("system:content-types");
    let mut left = strays(db, dir).await?;
    let mut deleted = Vec::new();
    // Each pass deletes the strays nothing else uses (a type pointing at
    // another goes first); a stray still used by a kept type stays.
    while !left.is_empty() {
        let all: Vec<ContentType> = store::content_types::list(db)
            .await?
            .into_iter()
            .map(|t| t.content_type)
            .collect();
        let (free, used): (Vec<String>, Vec<String>) = left
            .into_iter()
            .partition(|id| crate::content::types::users_of(all.iter(), id).is_empty());
        if free.is_empty() {
            let named: Vec<String> = used
                .iter()
                .map(|id| {
                    let users = crate::content::types::users_of(all.iter(), id);
                    format!("  - {id}: used by {}", users.join(", "))
                })
                .collect();
            bail!(
                "deleted {} type(s); these stay, still used by other types:\n{}",
                deleted.len(),
                named.join("\n")
            );
        }
        for id in free {
            store::content_types::delete(db, &id, delete_entries, &actor)
                .await
                .with_context(|| format!("cannot delete {id}"))?;
            tracing::info!(content_type = %id, "deleted: no file defines it");
            deleted.push(id);
        }
        left = used;
    }
    Ok(deleted)
}

/// What applying `dir` would do, as text: each type created, unchanged, or
/// changed with its plan (dry runs: nothing is written).
pub async fn plan_content_types(db: &Db, dir: &Path) -> anyhow::Result<String> {
    let actor = Actor::system("system:content-types");
    let mut out = String::new();
    for ct in read_content_types(dir)? {
        let id = ct.api_id().to_string();
        match store::content_types::get(db, &id).await {
            Err(StoreError::NotFound) => out.push_str(&format!("{id}: created\n")),
            Ok(current) if current.content_type.def == ct.def => {
                out.push_str(&format!("{id}: unchanged\n"))
            }
            Ok(_) => {
                match crate::content::types::apply_change(db, &ct, None, false, true, &actor).await
                {
                    Ok((_, plan)) => {
                        out.push_str(&format!("{id}: changed\n"));
                        let steps = [
                            ("add", &plan.added),
                            ("rename", &plan.renamed),
                            ("convert", &plan.converted),
                            ("require", &plan.required),
                            ("remove", &plan.removed),
                        ];
                        for (verb, list) in steps {
                            for s in list {
                                out.push_str(&format!(
                                    "  {verb} {}: {} ({} entries)\n",
                                    s.field, s.detail, s.entries
                                ));
                            }
                        }
                    }
                    Err(StoreError::DataLoss(errors) | StoreError::Invalid(errors)) => {
                        out.push_str(&format!("{id}: refused\n{}\n", describe(&errors)));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Creates the first admin from the configuration when no user exists yet,
/// or says in the log how to create one.
pub async fn first_admin(db: &Db, config: &Config) -> anyhow::Result<()> {
    if store::users::count(db).await? > 0 {
        return Ok(());
    }
    match &config.admin {
        Some((email, password)) => {
            let actor = Actor::system("system:first-admin");
            let user =
                crate::auth::create_user(db, email, password, None, Role::Admin, None, &actor)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot create the first admin: {e}"))?;
            tracing::info!(email = %user.email, "created the first admin");
        }
        None => tracing::warn!(
            "no user exists yet: restart with QUIRE_ADMIN_EMAIL and QUIRE_ADMIN_PASSWORD set, \
             or run `quire user create --email you@example.com`"
        ),
    }
    Ok(())
}

/// Gives every stored type the field indexes it asks for. Definitions an
/// import or an older release wrote have none yet; once built, this
/// finds nothing to do.
pub async fn field_indexes(db: &Db) -> anyhow::Result<()> {
    let types: Vec<ContentType> = store::content_types::list(db)
        .await?
        .into_iter()
        .map(|t| t.content_type)
        .collect();
    store::field_indexes::sync_all(db, &types).await?;
    Ok(())
}

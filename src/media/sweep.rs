//! Removes media objects no asset record names.
//!
//! An upload stores its bytes first and its record after; a delete removes
//! the record first and the bytes after. A crash between the two steps
//! leaves bytes nobody can reach, which this sweep removes. Objects younger
//! than `min_age` are left alone: they may belong to an upload whose record
//! is being written right now, on this node or another.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::ObjectStore;
use object_store::ObjectStoreExt;
use object_store::path::Path;

use crate::store::{self, Db, StoreError};

/// Ids checked against the database at once.
const BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("media storage failed: {0}")]
    Storage(#[from] object_store::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Deletes every object under `assets/` and `derived/` older than
/// `min_age` whose asset has no record, and in a local `folder` the
/// half-written files of writes a crash cut short; returns how many.
pub async fn orphans(
    media: &dyn ObjectStore,
    db: &Db,
    min_age: Duration,
    folder: Option<std::path::PathBuf>,
) -> Result<usize, SweepError> {
    let staged = match folder {
        Some(dir) => tokio::task::spawn_blocking(move || remove_staged(&dir, min_age))
            .await
            .unwrap_or(0),
        None => 0,
    };
    let cutoff_ms =
        crate::clock::now() / 1000 - i64::try_from(min_age.as_millis()).unwrap_or(i64::MAX);
    let mut deleted = staged;
    for prefix in ["assets", "derived"] {
        let mut listed = media.list(Some(&Path::from(prefix)));
        // Checked against the database a batch at a time, so a large bucket
        // never sits in memory whole.
        let mut batch: Vec<(String, Path)> = Vec::with_capacity(BATCH);
        loop {
            let next = listed.next().await.transpose()?;
            // assets/<id> and derived/<id>/<variant>: the id is the second part.
            if let Some(meta) = &next
                && meta.last_modified.timestamp_millis() <= cutoff_ms
                && let Some(id) = meta.location.parts().nth(1)
            {
                batch.push((id.as_ref().to_string(), meta.location.clone()));
            }
            if batch.len() >= BATCH || (next.is_none() && !batch.is_empty()) {
                deleted += remove_unnamed(media, db, std::mem::take(&mut batch)).await?;
            }
            if next.is_none() {
                break;
            }
        }
    }
    Ok(deleted)
}

/// Deletes the objects of `batch` whose asset has no record.
async fn remove_unnamed(
    media: &dyn ObjectStore,
    db: &Db,
    batch: Vec<(String, Path)>,
) -> Result<usize, SweepError> {
    let ids: BTreeSet<String> = batch.iter().map(|(id, _)| id.clone()).collect();
    let ids: Vec<String> = ids.into_iter().collect();
    let known = store::assets::existing_ids(db, &ids).await?;
    let mut deleted = 0;
    for (id, location) in batch {
        if known.contains(&id) {
            continue;
        }
        match media.delete(&location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => deleted += 1,
            Err(e) => return Err(e.into()),
        }
        tracing::info!(key = %location, "removed a media object no asset names");
    }
    Ok(deleted)
}

/// The folder store writes each object to `<name>#<n>` and renames it when
/// complete; a crash before the rename leaves that file, which no listing
/// shows. Removes those older than `min_age`; returns how many.
fn remove_staged(root: &std::path::Path, min_age: Duration) -> usize {
    let mut removed = 0;
    let mut dirs = vec![root.join("assets"), root.join("derived")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                dirs.push(path);
                continue;
            }
            let staged = entry.file_name().to_string_lossy().contains('#');
            let old = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= min_age);
            if staged && old && std::fs::remove_file(&path).is_ok() {
                tracing::info!(path = %path.display(), "removed a half-written media file");
                removed += 1;
            }
        }
    }
    removed
}

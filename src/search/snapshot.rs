//! Index snapshots in the object store: `quire index snapshot` copies a
//! node's live index there, and a node that starts without an index
//! fetches it and then applies only the changes after it, instead of
//! replaying the whole change feed.
//!
//! Layout, under the media store's `search/` (which the public media route
//! never serves and the media sweep never lists): `search/<id>/<n>` for the
//! n-th file of a snapshot (short keys: some S3-compatible servers keep
//! each key in a file name of their own), and `search/snapshot.json` naming
//! the current snapshot and its files in order.
//! The manifest is written after the files, so a reader sees a whole
//! snapshot or the previous one.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};
use tantivy::Index;
use tokio::io::AsyncWriteExt;

use super::index::{self, SearchError};

const MANIFEST: &str = "search/snapshot.json";
/// Attempts at a consistent copy while a server commits to the index.
const ATTEMPTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("there is no search index in {0} yet (start the server or run `quire reindex`)")]
    NoIndex(PathBuf),
    #[error("the index kept changing while it was copied; try again")]
    Moving,
    #[error("the snapshot manifest is not valid: {0}")]
    Manifest(#[from] serde_json::Error),
    #[error("media storage failed: {0}")]
    Storage(#[from] object_store::Error),
    #[error("cannot store a snapshot file: {0}")]
    Upload(#[from] crate::media::upload::UploadError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<tantivy::TantivyError> for SnapshotError {
    fn from(e: tantivy::TantivyError) -> SnapshotError {
        SnapshotError::Search(SearchError::from(e))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// The folder under `search/` holding this snapshot's files.
    id: String,
    /// The index's file names; the n-th is stored as `search/<id>/<n>`.
    /// The change-feed sequence the index holds.
    seq: i64,
    files: Vec<String>,
    bytes: u64,
}

/// What a snapshot holds.
#[derive(Debug)]
pub struct Snapshot {
    pub seq: i64,
    pub files: usize,
    pub bytes: u64,
}

/// The files of the index's last commit, with `meta.json`'s bytes as they
/// were when they were listed.
fn committed_files(dir: &Path) -> Result<(Vec<u8>, i64, Vec<String>), SnapshotError> {
    let meta = std::fs::read(dir.join("meta.json"))?;
    let metas = Index::open_in_dir(dir)?.load_metas()?;
    let seq = metas
        .payload
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    use tantivy::index::SegmentComponent as C;
    let mut files: Vec<String> = Vec::new();
    for segment in &metas.segments {
        let mut components = vec![
            C::Postings,
            C::Positions,
            C::Terms,
            C::Store,
            C::FastFields,
            C::FieldNorms,
        ];
        if segment.delete_opstamp().is_some() {
            components.push(C::Delete);
        }
        for c in components {
            let path = segment.relative_path(c);
            // A component the schema does not need is never written.
            if dir.join(&path).exists()
                && let Some(name) = path.to_str()
            {
                files.push(name.to_string());
            }
        }
    }
    files.sort();
    Ok((meta, seq, files))
}

/// Copies the live index under `root` to the object store and makes it the
/// current snapshot; the previous snapshot's files are removed after.
pub async fn upload(root: &Path, media: &dyn ObjectStore) -> Result<Snapshot, SnapshotError> {
    let name = index::read_current(root).ok_or_else(|| SnapshotError::NoIndex(root.into()))?;
    let dir = root.join(&name);
    let previous = read_manifest(media).await?;
    for _ in 0..ATTEMPTS {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let (meta, seq, files) = committed_files(&dir)?;
        match copy_up(media, &dir, &id, &files).await {
            Ok(bytes) => {
                // A commit since the listing may have merged the listed
                // segments away; then what was copied may be mixed.
                if std::fs::read(dir.join("meta.json"))? != meta {
                    remove_prefix(media, &id).await;
                    continue;
                }
                let meta_bytes = meta.len() as u64;
                put(media, &format!("search/{id}/{}", files.len()), meta).await?;
                let mut all = files;
                all.push("meta.json".into());
                let manifest = Manifest {
                    id,
                    seq,
                    files: all,
                    bytes: bytes + meta_bytes,
                };
                put(media, MANIFEST, serde_json::to_vec_pretty(&manifest)?).await?;
                if let Some(old) = previous {
                    remove_prefix(media, &old.id).await;
                }
                return Ok(Snapshot {
                    seq: manifest.seq,
                    files: manifest.files.len(),
                    bytes: manifest.bytes,
                });
            }
            // A merge removed a listed file while it was copied.
            Err(SnapshotError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                remove_prefix(media, &id).await;
            }
            Err(e) => {
                remove_prefix(media, &id).await;
                return Err(e);
            }
        }
    }
    Err(SnapshotError::Moving)
}

async fn copy_up(
    media: &dyn ObjectStore,
    dir: &Path,
    id: &str,
    files: &[String],
) -> Result<u64, SnapshotError> {
    let mut bytes = 0;
    for (n, f) in files.iter().enumerate() {
        let file = tokio::fs::File::open(dir.join(f)).await?;
        let key = Key::from(format!("search/{id}/{n}"));
        bytes += crate::media::upload::store(media, &key, file, u64::MAX)
            .await?
            .size;
    }
    Ok(bytes)
}

async fn put(media: &dyn ObjectStore, key: &str, bytes: Vec<u8>) -> Result<(), SnapshotError> {
    media.put(&Key::from(key), bytes.into()).await?;
    Ok(())
}

/// Best effort: a leftover folder costs space, never correctness.
async fn remove_prefix(media: &dyn ObjectStore, id: &str) {
    let prefix = Key::from(format!("search/{id}"));
    let mut listed = media.list(Some(&prefix));
    while let Some(meta) = listed.next().await {
        match meta {
            Ok(meta) => {
                if let Err(e) = media.delete(&meta.location).await {
                    tracing::warn!(key = %meta.location, error = %e, "cannot remove an old snapshot file");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot list an old snapshot");
                return;
            }
        }
    }
}

async fn read_manifest(media: &dyn ObjectStore) -> Result<Option<Manifest>, SnapshotError> {
    match media.get(&Key::from(MANIFEST)).await {
        Ok(got) => Ok(Some(serde_json::from_slice(&got.bytes().await?)?)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// When `root` holds no index and the object store has a snapshot, fetches
/// it into a new index folder and makes that live; answers the sequence it
/// holds. `None` when there was nothing to do.
pub async fn restore(root: &Path, media: &dyn ObjectStore) -> Result<Option<i64>, SnapshotError> {
    if index::read_current(root).is_some() {
        return Ok(None);
    }
    let Some(manifest) = read_manifest(media).await? else {
        return Ok(None);
    };
    let name = format!("index-{}", uuid::Uuid::now_v7().simple());
    let dir = root.join(&name);
    match fetch_files(media, &manifest, &dir).await {
        Ok(()) => {
            index::write_current(root, &name)?;
            Ok(Some(manifest.seq))
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(e)
        }
    }
}

async fn fetch_files(
    media: &dyn ObjectStore,
    manifest: &Manifest,
    dir: &Path,
) -> Result<(), SnapshotError> {
    tokio::fs::create_dir_all(dir).await?;
    for (n, f) in manifest.files.iter().enumerate() {
        // Names come from the manifest: only plain file names are taken.
        if f.is_empty() || f.contains(['/', '\\']) || f.starts_with('.') {
            return Err(SnapshotError::Manifest(serde::de::Error::custom(format!(
                "file name `{f}`"
            ))));
        }
        let key = Key::from(format!("search/{}/{n}", manifest.id));
        let mut stream = media.get(&key).await?.into_stream();
        let mut out = tokio::fs::File::create(dir.join(f)).await?;
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk?).await?;
        }
        out.sync_all().await?;
    }
    Ok(())
}

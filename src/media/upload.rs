//! Streams an upload into the object store: bounded, hashed and sniffed on
//! the way, never held whole in memory.

use futures_util::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use super::sniff::HEAD_BYTES;

/// Parts of a multipart upload. S3 wants at least 5 MiB for every part but
/// the last; two in flight keep memory near 15 MiB whatever the file size.
const PART_BYTES: usize = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT: usize = 2;
const READ_BYTES: usize = 64 * 1024;

/// What was stored.
#[derive(Debug)]
pub struct Stored {
    pub size: u64,
    pub sha256: String,
    /// The first bytes, for sniffing the type and reading dimensions.
    pub head: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the upload was cut off or malformed: {0}")]
    Body(std::io::Error),
    #[error("media storage failed: {0}")]
    Store(#[from] object_store::Error),
}

/// Copies `reader` to `key`, refusing more than `max` bytes. On any error
/// the partial upload is aborted: nothing is left under `key`.
pub async fn store(
    store: &dyn ObjectStore,
    key: &Path,
    reader: impl AsyncRead + Send + Unpin,
    max: u64,
) -> Result<Stored, UploadError> {
    let upload = store.put_multipart(key).await?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
    match copy(&mut writer, reader, max).await {
        Ok(stored) => {
            writer.finish().await?;
            Ok(stored)
        }
        Err(e) => {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(%key, error = %abort, "cannot abort a failed upload");
            }
            Err(e)
        }
    }
}

async fn copy(
    writer: &mut WriteMultipart,
    reader: impl AsyncRead + Send + Unpin,
    max: u64,
) -> Result<Stored, UploadError> {
    let mut chunks = ReaderStream::with_capacity(reader, READ_BYTES);
    let mut size = 0u64;
    let mut sha = Sha256::new();
    let mut head = Vec::with_capacity(HEAD_BYTES);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(UploadError::Body)?;
        size += chunk.len() as u64;
        if size > max {
            return Err(UploadError::TooLarge(max));
        }
        if head.len() < HEAD_BYTES {
            let n = (HEAD_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..n]);
        }
        sha.update(&chunk);
        writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        writer.put(chunk);
    }
    Ok(Stored {
        size,
        sha256: format!("{:x}", sha.finalize()),
        head,
    })
}

//! The object store behind media, chosen by `QUIRE_MEDIA_URL`.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;

/// Where media bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A folder on this machine.
    Folder(std::path::PathBuf),
    /// An S3-compatible bucket, with an optional key prefix.
    S3 { bucket: String, prefix: String },
    /// RAM: gone when the process stops (tests).
    Memory,
}

/// Reads a media URL, or says what is wrong with it.
pub fn parse_url(url: &str) -> Result<Backend, String> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(format!(
                "`{url}` must name an absolute folder, like file:///var/lib/quire/media"
            ));
        }
        return Ok(Backend::Folder(path.into()));
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("`{url}` names no bucket, like s3://my-bucket"));
        }
        return Ok(Backend::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        });
    }
    if url == "memory://" || url == "memory:///" {
        return Ok(Backend::Memory);
    }
    Err(format!(
        "`{url}` is none of file:///path, s3://bucket or memory://"
    ))
}

/// Checks a media URL for configuration errors, before anything starts.
pub fn check_url(url: &str) -> Result<(), String> {
    let backend = parse_url(url)?;
    if matches!(backend, Backend::S3 { .. }) && !cfg!(feature = "s3") {
        return Err("this build has no S3 support (cargo feature `s3`)".into());
    }
    Ok(())
}

/// Opens the store a media URL names. S3 settings (endpoint, region,
/// credentials, `AWS_ALLOW_HTTP`, path style) come from the usual `AWS_*`
/// variables.
pub fn open(url: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    match parse_url(url).map_err(anyhow::Error::msg)? {
        Backend::Folder(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| {
                anyhow::anyhow!("cannot create the media folder {}: {e}", dir.display())
            })?;
            Ok(Arc::new(LocalFileSystem::new_with_prefix(&dir)?))
        }
        Backend::Memory => Ok(Arc::new(InMemory::new())),
        Backend::S3 { bucket, prefix } => open_s3(&bucket, &prefix),
    }
}

#[cfg(feature = "s3")]
fn open_s3(bucket: &str, prefix: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    use object_store::aws::AmazonS3Builder;
    use object_store::prefix::PrefixStore;
    // rustls needs one process-wide crypto provider; ring is the one the
    // database driver already links. A second call fails harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let s3 = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()?;
    if prefix.is_empty() {
        Ok(Arc::new(s3))
    } else {
        Ok(Arc::new(PrefixStore::new(s3, prefix)))
    }
}

#[cfg(not(feature = "s3"))]
fn open_s3(_bucket: &str, _prefix: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    anyhow::bail!("this build has no S3 support (cargo feature `s3`)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            parse_url("file:///srv/media"),
            Ok(Backend::Folder("/srv/media".into()))
        );
        assert_eq!(
            parse_url("s3://bucket/site/a/"),
            Ok(Backend::S3 {
                bucket: "bucket".into(),
                prefix: "site/a".into()
            })
        );
        assert_eq!(parse_url("memory://"), Ok(Backend::Memory));
        assert!(parse_url("file://relative").is_err());
        assert!(parse_url("s3://").is_err());
        assert!(parse_url("ftp://x").is_err());
    }
}

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
    /// An S3-compatible bucket, with an optional key prefix and settings
    /// given in the URL's query (`?endpoint=…&allow_http=true`), which take
    /// precedence over the `AWS_*` variables.
    S3 {
        bucket: String,
        prefix: String,
        options: Vec<(String, String)>,
    },
    /// RAM: gone when the process stops (tests).
    Memory,
}

/// The folder a `file://` media URL names; `None` for other stores.
pub fn folder_of(url: &str) -> Option<std::path::PathBuf> {
    match parse_url(url) {
        Ok(Backend::Folder(dir)) => Some(dir),
        _ => None,
    }
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
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
        if bucket.is_empty() {
            return Err(format!("`{url}` names no bucket, like s3://my-bucket"));
        }
        let options = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        return Ok(Backend::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            options,
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
    match parse_url(url)? {
        Backend::S3 { options, .. } => check_s3_options(&options),
        _ => Ok(()),
    }
}

/// Each query key must be a setting of the S3 client (`endpoint`,
/// `region`, `allow_http`, …), so a typo stops the start instead of being
/// ignored.
#[cfg(feature = "s3")]
fn check_s3_options(options: &[(String, String)]) -> Result<(), String> {
    for (key, _) in options {
        s3_key(key)?;
    }
    Ok(())
}

#[cfg(not(feature = "s3"))]
fn check_s3_options(_options: &[(String, String)]) -> Result<(), String> {
    Err("this build has no S3 support (cargo feature `s3`)".into())
}

#[cfg(feature = "s3")]
fn s3_key(key: &str) -> Result<object_store::aws::AmazonS3ConfigKey, String> {
    key.parse()
        .map_err(|_| format!("`{key}` is not an S3 setting (e.g. endpoint, region, allow_http)"))
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
        Backend::S3 {
            bucket,
            prefix,
            options,
        } => open_s3(&bucket, &prefix, &options),
    }
}

#[cfg(feature = "s3")]
fn open_s3(
    bucket: &str,
    prefix: &str,
    options: &[(String, String)],
) -> anyhow::Result<Arc<dyn ObjectStore>> {
    use object_store::aws::AmazonS3Builder;
    use object_store::prefix::PrefixStore;
    // rustls needs one process-wide crypto provider; ring is the one the
    // database driver already links. A second call fails harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    for (key, value) in options {
        builder = builder.with_config(s3_key(key).map_err(anyhow::Error::msg)?, value);
    }
    let s3 = builder.build()?;
    if prefix.is_empty() {
        Ok(Arc::new(s3))
    } else {
        Ok(Arc::new(PrefixStore::new(s3, prefix)))
    }
}

#[cfg(not(feature = "s3"))]
fn open_s3(
    _bucket: &str,
    _prefix: &str,
    _options: &[(String, String)],
) -> anyhow::Result<Arc<dyn ObjectStore>> {
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
                prefix: "site/a".into(),
                options: vec![],
            })
        );
        assert_eq!(
            parse_url("s3://bucket?endpoint=http%3A%2F%2F127.0.0.1%3A9000&allow_http=true"),
            Ok(Backend::S3 {
                bucket: "bucket".into(),
                prefix: "".into(),
                options: vec![
                    ("endpoint".into(), "http://127.0.0.1:9000".into()),
                    ("allow_http".into(), "true".into())
                ],
            })
        );
        assert_eq!(parse_url("memory://"), Ok(Backend::Memory));
        assert!(parse_url("file://relative").is_err());
        assert!(parse_url("s3://").is_err());
        assert!(parse_url("ftp://x").is_err());
    }

    #[cfg(feature = "s3")]
    #[test]
    fn s3_options_must_be_s3_settings() {
        assert!(check_url("s3://b?endpoint=http://h:1&allow_http=true&region=x").is_ok());
        let err = check_url("s3://b?endpont=http://h:1").unwrap_err();
        assert!(err.contains("`endpont`"), "{err}");
    }
}

//! Settings as they arrive, every one optional: from flags and the
//! environment (clap) or from `quire.toml` (serde), layered by precedence
//! with [`Settings::or`] before [`super::Config::resolve`] checks them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;

/// Every setting as it may arrive from a flag, the environment or the file.
/// All optional: defaults are applied in [`Config::resolve`].
#[derive(Debug, Default, Clone, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, global = true, env = "QUIRE_BIND")]
    pub bind: Option<String>,
    /// Folder for the SQLite database and local files; created if missing
    /// (default ./data).
    #[arg(long, global = true, env = "QUIRE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://path` or `postgres://…`; default: `quire.db` in the data dir.
    #[arg(long, global = true, env = "QUIRE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder of content type JSON files applied at start.
    #[arg(long, global = true, env = "QUIRE_CONTENT_TYPES")]
    pub content_types: Option<PathBuf>,
    /// Email of the first admin, created when no user exists.
    #[arg(long, global = true, env = "QUIRE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Password of the first admin.
    #[arg(
        long,
        global = true,
        env = "QUIRE_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// How long an admin session lasts, in seconds (default 86400).
    #[arg(long, global = true, env = "QUIRE_SESSION_TTL_SECS")]
    pub session_ttl_secs: Option<u64>,
    /// Memory for rendered public API responses, in MiB (0 disables the
    /// cache; default 64).
    #[arg(long, global = true, env = "QUIRE_PUBLIC_CACHE_MB")]
    pub public_cache_mb: Option<u64>,
    /// How much of the SQLite file each database connection maps into
    /// memory, in MiB (default 0: pages are read into a small cache per
    /// connection instead).
    #[arg(long, global = true, env = "QUIRE_SQLITE_MMAP_MB")]
    pub sqlite_mmap_mb: Option<u64>,
    /// Revisions kept per translation, newest first (at least 1; default:
    /// all). Older ones are deleted after each write.
    #[arg(long, global = true, env = "QUIRE_REVISIONS_KEEP", value_parser = clap::value_parser!(u32).range(1..))]
    pub revisions_keep: Option<u32>,
    /// Most `/api/events` streams open at once (default 1000).
    #[arg(long, global = true, env = "QUIRE_EVENTS_MAX_STREAMS")]
    pub events_max_streams: Option<usize>,
    /// Where clients reach Quire (`https://cms.example.com`): relative
    /// references in richtext rendered with `?richtext=html` (the editor's
    /// `/media/…` images) are made absolute against it.
    #[arg(long, global = true, env = "QUIRE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Let webhooks reach loopback, private and link-local addresses
    /// (default false: such URLs are refused, before and after DNS).
    #[arg(long, global = true, env = "QUIRE_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: Option<bool>,
    /// How long a webhook receiver has to answer, in seconds (default 10).
    /// A node claims a delivery for three times this; if it dies meanwhile,
    /// another node sends the delivery once the claim has run out.
    #[arg(long, global = true, env = "QUIRE_WEBHOOK_TIMEOUT_SECS")]
    pub webhook_timeout_secs: Option<u64>,
    /// The locales content is written in, the first being the default:
    /// `en,fr,de` (default: QUIRE_DEFAULT_LOCALE alone).
    #[arg(long, global = true, env = "QUIRE_LOCALES")]
    pub locales: Option<String>,
    /// Where a locale's missing values come from: `fr-CA:fr,fr:en`; every
    /// chain ends at the default locale, which any locale not named falls
    /// back to.
    #[arg(long, global = true, env = "QUIRE_LOCALE_FALLBACKS")]
    pub locale_fallbacks: Option<String>,
    /// The default locale when QUIRE_LOCALES is not set (default en).
    #[arg(long, global = true, env = "QUIRE_DEFAULT_LOCALE")]
    pub default_locale: Option<String>,
    /// Largest request body the admin API accepts, in bytes (default 8388608).
    #[arg(long, global = true, env = "QUIRE_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// `open` (anyone reads published content) or `token` (a `read` API token
    /// is needed); default open.
    #[arg(long, global = true, env = "QUIRE_PUBLIC_ACCESS")]
    pub public_access: Option<String>,
    /// Origins allowed to call the public API from browsers: `*` (default), or
    /// a comma-separated list.
    #[arg(long, global = true, env = "QUIRE_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Failed logins allowed per account in 15 minutes (five times that per
    /// client address; default 10).
    #[arg(long, global = true, env = "QUIRE_LOGIN_MAX_FAILURES")]
    pub login_max_failures: Option<usize>,
    /// Folder of the search index (default: `search` in the data dir; `memory` for RAM).
    #[arg(long, global = true, env = "QUIRE_SEARCH_DIR")]
    pub search_dir: Option<String>,
    /// How often the search indexer looks for new changes, in milliseconds
    /// (default 200).
    #[arg(long, global = true, env = "QUIRE_SEARCH_INTERVAL_MS")]
    pub search_interval_ms: Option<u64>,
    /// Where uploaded media lives: `file:///path` (default: `media` in the
    /// data dir), `s3://bucket[/prefix]` (settings from `AWS_*`), or `memory://`.
    #[arg(long, global = true, env = "QUIRE_MEDIA_URL")]
    pub media_url: Option<String>,
    /// Image transforms a URL without a signature may ask for: presets as
    /// `name:parameters;…` (`card:w=640&format=webp`), or `any`.
    #[arg(long, global = true, env = "QUIRE_MEDIA_TRANSFORMS")]
    pub media_transforms: Option<String>,
    /// Key that signs transform URLs outside the presets (32+ characters).
    #[arg(
        long,
        global = true,
        env = "QUIRE_MEDIA_SIGNING_KEY",
        hide_env_values = true
    )]
    pub media_signing_key: Option<String>,
    /// Largest file an upload may carry, in bytes (default 100 MiB).
    #[arg(long, global = true, env = "QUIRE_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Log filter, e.g. `info` (default) or `quire=debug`.
    #[arg(long, global = true, env = "QUIRE_LOG")]
    pub log: Option<String>,
    /// `text` (default) or `json`: one JSON object a line, with the request id.
    #[arg(long, global = true, env = "QUIRE_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Address of a separate listener serving `GET /metrics` (Prometheus);
    /// off by default, never on the main port.
    #[arg(long, global = true, env = "QUIRE_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// Seconds a client connection may stay silent (no request, half a
    /// header, idle keep-alive) before it is closed (default 30).
    #[arg(long, global = true, env = "QUIRE_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Most client connections open at once; more wait to be accepted
    /// (default 4096).
    #[arg(long, global = true, env = "QUIRE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Reverse proxies whose `X-Forwarded-For` is believed: addresses or
    /// networks, comma-separated (`127.0.0.1,10.0.0.0/8`); none by default.
    #[arg(long, global = true, env = "QUIRE_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
}

impl Settings {
    /// Fills every unset value from `other` (a lower-precedence source).
    pub fn or(self, other: Settings) -> Settings {
        Settings {
            bind: self.bind.or(other.bind),
            data_dir: self.data_dir.or(other.data_dir),
            database_url: self.database_url.or(other.database_url),
            content_types: self.content_types.or(other.content_types),
            admin_email: self.admin_email.or(other.admin_email),
            admin_password: self.admin_password.or(other.admin_password),
            session_ttl_secs: self.session_ttl_secs.or(other.session_ttl_secs),
            public_cache_mb: self.public_cache_mb.or(other.public_cache_mb),
            sqlite_mmap_mb: self.sqlite_mmap_mb.or(other.sqlite_mmap_mb),
            revisions_keep: self.revisions_keep.or(other.revisions_keep),
            events_max_streams: self.events_max_streams.or(other.events_max_streams),
            webhook_allow_private: self.webhook_allow_private.or(other.webhook_allow_private),
            webhook_timeout_secs: self.webhook_timeout_secs.or(other.webhook_timeout_secs),
            public_url: self.public_url.or(other.public_url),
            default_locale: self.default_locale.or(other.default_locale),
            locales: self.locales.or(other.locales),
            locale_fallbacks: self.locale_fallbacks.or(other.locale_fallbacks),
            max_body_bytes: self.max_body_bytes.or(other.max_body_bytes),
            public_access: self.public_access.or(other.public_access),
            cors_origins: self.cors_origins.or(other.cors_origins),
            login_max_failures: self.login_max_failures.or(other.login_max_failures),
            search_dir: self.search_dir.or(other.search_dir),
            search_interval_ms: self.search_interval_ms.or(other.search_interval_ms),
            media_url: self.media_url.or(other.media_url),
            max_upload_bytes: self.max_upload_bytes.or(other.max_upload_bytes),
            media_transforms: self.media_transforms.or(other.media_transforms),
            media_signing_key: self.media_signing_key.or(other.media_signing_key),
            log: self.log.or(other.log),
            log_format: self.log_format.or(other.log_format),
            metrics_bind: self.metrics_bind.or(other.metrics_bind),
            idle_timeout_secs: self.idle_timeout_secs.or(other.idle_timeout_secs),
            max_connections: self.max_connections.or(other.max_connections),
            trusted_proxies: self.trusted_proxies.or(other.trusted_proxies),
        }
    }

    /// Reads a `quire.toml`. A missing file at the default path is not an error.
    pub fn from_file(path: &Path, explicit: bool) -> Result<Settings, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::File {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                Ok(Settings::default())
            }
            Err(e) => Err(ConfigError::File {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
        }
    }
}

//! One `Config`, from flags, environment and an optional `quire.toml`, in that
//! order of precedence, validated once at start.

use std::net::SocketAddr;
use std::path::PathBuf;

mod settings;

pub use settings::Settings;

/// The response cache's default size in MiB: every entry of a 10,000-entry
/// site, plain and gzipped, fits in about 20; at 100,000 a cache of 256 held
/// 300 MiB of the server's 323 MiB resident after reading each once
/// (bench/README.md), where 64 keeps it near 120 and the hot part of a site
/// is still served from memory.
const DEFAULT_PUBLIC_CACHE_MB: u64 = 64;

/// Who may read the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicAccess {
    Open,
    Token,
}

/// Which browser origins may call the public API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// The validated configuration every part of Quire reads.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub database_kind: DatabaseKind,
    pub content_types: Option<PathBuf>,
    pub admin: Option<(String, String)>,
    pub session_ttl_secs: u64,
    /// Bytes of rendered public responses kept in memory; 0 disables the cache.
    pub public_cache_bytes: u64,
    /// Bytes of the SQLite file each connection maps; 0 reads pages instead.
    pub sqlite_mmap_bytes: u64,
    /// Revisions kept per translation; `None` keeps all.
    pub revisions_keep: Option<u32>,
    /// Most `/api/events` streams open at once.
    pub events_max_streams: usize,
    /// Whether webhooks may reach private addresses.
    pub webhook_allow_private: bool,
    /// Where clients reach Quire, for absolute links in rendered richtext.
    pub public_url: Option<String>,
    /// How the webhook worker paces deliveries and retries.
    pub webhooks: crate::webhooks::Tuning,
    /// What scheduled publishing measures time by (real time; tests move it).
    pub clock: crate::clock::Clock,
    /// How often the scheduler looks for due actions.
    pub schedule_poll: std::time::Duration,
    /// The first of `locales`.
    pub default_locale: String,
    pub locales: crate::model::locale::Locales,
    pub max_body_bytes: usize,
    pub public_access: PublicAccess,
    pub cors_origins: CorsOrigins,
    pub login_max_failures: usize,
    /// Where the search index lives; `None` keeps it in memory.
    pub search_dir: Option<PathBuf>,
    pub search_interval_ms: u64,
    pub media_url: String,
    pub max_upload_bytes: u64,
    pub media_transforms: crate::media::policy::TransformPolicy,
    pub log: String,
    pub log_format: LogFormat,
    /// Where `/metrics` is served, if anywhere.
    pub metrics_bind: Option<SocketAddr>,
    pub idle_timeout_secs: u64,
    pub max_connections: usize,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("invalid {setting}: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

fn invalid(setting: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting,
        message: message.into(),
    }
}

impl Config {
    /// Applies defaults and checks every value.
    pub fn resolve(s: Settings) -> Result<Config, ConfigError> {
        let locales = locales_of(&s)?;
        let bind_text = s.bind.unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind: SocketAddr = bind_text.parse().map_err(|_| {
            invalid(
                "QUIRE_BIND",
                format!("`{bind_text}` is not an address like 127.0.0.1:8080"),
            )
        })?;
        let data_dir = s.data_dir.unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = s
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("quire.db").display()));
        let database_kind = if database_url.starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            DatabaseKind::Postgres
        } else {
            return Err(invalid(
                "QUIRE_DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        };
        let content_types = match s.content_types {
            Some(dir) if !dir.is_dir() => {
                return Err(invalid(
                    "QUIRE_CONTENT_TYPES",
                    format!("{} is not a folder", dir.display()),
                ));
            }
            Some(dir) => Some(dir),
            None => Some(PathBuf::from("./content-types")).filter(|d| d.is_dir()),
        };
        let admin = match (s.admin_email, s.admin_password) {
            (Some(email), Some(password)) => Some((email, password)),
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "QUIRE_ADMIN_EMAIL",
                    "QUIRE_ADMIN_EMAIL and QUIRE_ADMIN_PASSWORD go together",
                ));
            }
        };
        let session_ttl_secs = s.session_ttl_secs.unwrap_or(24 * 3600);
        if session_ttl_secs == 0 {
            return Err(invalid("QUIRE_SESSION_TTL_SECS", "must be at least 1"));
        }
        let default_locale = locales.default_locale().to_string();
        let max_body_bytes = s.max_body_bytes.unwrap_or(8 * 1024 * 1024);
        if max_body_bytes < 1024 {
            return Err(invalid("QUIRE_MAX_BODY_BYTES", "must be at least 1024"));
        }
        let public_access = match s.public_access.as_deref().unwrap_or("open") {
            "open" => PublicAccess::Open,
            "token" => PublicAccess::Token,
            other => {
                return Err(invalid(
                    "QUIRE_PUBLIC_ACCESS",
                    format!("`{other}` is neither open nor token"),
                ));
            }
        };
        let cors_origins = match s.cors_origins.as_deref().map(str::trim) {
            None | Some("*") => CorsOrigins::Any,
            Some(list) => {
                let origins: Vec<String> = list
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect();
                if let Some(bad) = origins
                    .iter()
                    .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
                {
                    return Err(invalid(
                        "QUIRE_CORS_ORIGINS",
                        format!("`{bad}` is not an origin like https://example.com"),
                    ));
                }
                CorsOrigins::List(origins)
            }
        };
        let login_max_failures = s.login_max_failures.unwrap_or(10);
        if login_max_failures == 0 {
            return Err(invalid("QUIRE_LOGIN_MAX_FAILURES", "must be at least 1"));
        }
        let search_dir = match s.search_dir.as_deref() {
            Some("memory") => None,
            Some(dir) => Some(PathBuf::from(dir)),
            None => Some(data_dir.join("search")),
        };
        let mut webhooks = crate::webhooks::Tuning::default();
        match s.webhook_timeout_secs {
            Some(0) => return Err(invalid("QUIRE_WEBHOOK_TIMEOUT_SECS", "must be at least 1")),
            Some(secs) if secs > 3600 => {
                return Err(invalid(
                    "QUIRE_WEBHOOK_TIMEOUT_SECS",
                    "must be at most 3600",
                ));
            }
            Some(secs) => webhooks.timeout = std::time::Duration::from_secs(secs),
            None => {}
        }
        let search_interval_ms = s.search_interval_ms.unwrap_or(200);
        if search_interval_ms == 0 {
            return Err(invalid("QUIRE_SEARCH_INTERVAL_MS", "must be at least 1"));
        }
        let media_url = match s.media_url {
            Some(url) => {
                crate::media::backend::check_url(&url)
                    .map_err(|why| invalid("QUIRE_MEDIA_URL", why))?;
                url
            }
            None => format!("file://{}", absolute(&data_dir.join("media")).display()),
        };
        let max_upload_bytes = s.max_upload_bytes.unwrap_or(100 * 1024 * 1024);
        if max_upload_bytes == 0 {
            return Err(invalid("QUIRE_MAX_UPLOAD_BYTES", "must be at least 1"));
        }
        let log_format = match s.log_format.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "QUIRE_LOG_FORMAT",
                    format!("`{other}` is neither text nor json"),
                ));
            }
        };
        let metrics_bind = match s.metrics_bind {
            Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| {
                invalid(
                    "QUIRE_METRICS_BIND",
                    format!("`{text}` is not an address like 127.0.0.1:9100"),
                )
            })?),
            None => None,
        };
        let public_url = match s.public_url {
            Some(url) => {
                let ok = (url.starts_with("https://") || url.starts_with("http://"))
                    && reqwest013::Url::parse(&url).is_ok_and(|u| u.query().is_none());
                if !ok {
                    return Err(invalid(
                        "QUIRE_PUBLIC_URL",
                        format!("`{url}` is not an http(s) address like https://cms.example.com"),
                    ));
                }
                Some(url)
            }
            None => None,
        };
        let idle_timeout_secs = s.idle_timeout_secs.unwrap_or(30);
        if idle_timeout_secs == 0 {
            return Err(invalid("QUIRE_IDLE_TIMEOUT_SECS", "must be at least 1"));
        }
        let max_connections = s.max_connections.unwrap_or(4096);
        if max_connections == 0 {
            return Err(invalid("QUIRE_MAX_CONNECTIONS", "must be at least 1"));
        }
        let media_transforms = crate::media::policy::TransformPolicy::parse(
            s.media_transforms.as_deref(),
            s.media_signing_key.as_deref(),
        )
        .map_err(|(setting, why)| invalid(setting, why))?;
        let trusted_proxies =
            parse_networks(s.trusted_proxies.as_deref().unwrap_or("")).map_err(|bad| {
                invalid(
                    "QUIRE_TRUSTED_PROXIES",
                    format!("`{bad}` is not an address or network like 10.0.0.0/8"),
                )
            })?;
        Ok(Config {
            bind,
            data_dir,
            database_url,
            database_kind,
            content_types,
            admin,
            session_ttl_secs,
            public_cache_bytes: s
                .public_cache_mb
                .unwrap_or(DEFAULT_PUBLIC_CACHE_MB)
                .saturating_mul(1024 * 1024),
            sqlite_mmap_bytes: s.sqlite_mmap_mb.unwrap_or(0).saturating_mul(1024 * 1024),
            revisions_keep: s.revisions_keep,
            events_max_streams: s.events_max_streams.unwrap_or(1000),
            webhook_allow_private: s.webhook_allow_private.unwrap_or(false),
            public_url,
            webhooks,
            clock: crate::clock::Clock::default(),
            schedule_poll: std::time::Duration::from_millis(500),
            default_locale,
            locales,
            max_body_bytes,
            public_access,
            cors_origins,
            login_max_failures,
            search_dir,
            search_interval_ms,
            media_url,
            max_upload_bytes,
            media_transforms,
            log: s.log.unwrap_or_else(|| "info".into()),
            log_format,
            metrics_bind,
            idle_timeout_secs,
            max_connections,
            trusted_proxies,
        })
    }
}

/// `10.0.0.0/8, 127.0.0.1` as networks (a bare address is a network of one);
/// `Err` names the first item that is neither.
fn parse_networks(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| item.to_string())
        })
        .collect()
}

/// `path` made absolute against the working directory, for `file://` URLs.
fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The locales from QUIRE_LOCALES and QUIRE_LOCALE_FALLBACKS, or the one
/// QUIRE_DEFAULT_LOCALE names.
fn locales_of(s: &Settings) -> Result<crate::model::locale::Locales, ConfigError> {
    use crate::model::locale::{Locales, is_valid};
    let Some(list) = &s.locales else {
        if s.locale_fallbacks.is_some() {
            return Err(invalid(
                "QUIRE_LOCALE_FALLBACKS",
                "fallbacks need QUIRE_LOCALES to list the locales",
            ));
        }
        let code = s.default_locale.clone().unwrap_or_else(|| "en".into());
        if !is_valid(&code) {
            return Err(invalid(
                "QUIRE_DEFAULT_LOCALE",
                format!("`{code}` is not a locale like en or pt-BR"),
            ));
        }
        return Ok(Locales::single(&code));
    };
    Locales::parse(list, None).map_err(|e| invalid("QUIRE_LOCALES", e))?;
    let locales = Locales::parse(list, s.locale_fallbacks.as_deref())
        .map_err(|e| invalid("QUIRE_LOCALE_FALLBACKS", e))?;
    if let Some(d) = &s.default_locale
        && d != locales.default_locale()
    {
        return Err(invalid(
            "QUIRE_DEFAULT_LOCALE",
            format!(
                "`{d}` differs from the first of QUIRE_LOCALES (`{}`); leave it out",
                locales.default_locale()
            ),
        ));
    }
    Ok(locales)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_select_sqlite_in_the_data_dir() {
        let c = Config::resolve(Settings::default()).unwrap();
        assert_eq!(c.database_kind, DatabaseKind::Sqlite);
        assert_eq!(c.database_url, "sqlite://./data/quire.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn bad_bind_names_the_setting() {
        let s = Settings {
            bind: Some("nowhere".into()),
            ..Settings::default()
        };
        let err = Config::resolve(s).unwrap_err().to_string();
        assert!(err.contains("QUIRE_BIND"), "{err}");
    }

    #[test]
    fn a_public_url_must_be_an_http_address() {
        for bad in [
            "cms.example.com",
            "ftp://cms.example.com",
            "https://cms.example.com/?x=1",
        ] {
            let s = Settings {
                public_url: Some(bad.into()),
                ..Settings::default()
            };
            let err = Config::resolve(s).unwrap_err().to_string();
            assert!(err.contains("QUIRE_PUBLIC_URL"), "{bad}: {err}");
        }
        let s = Settings {
            public_url: Some("https://cms.example.com".into()),
            ..Settings::default()
        };
        let c = Config::resolve(s).unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://cms.example.com"));
    }

    #[test]
    fn flags_win_over_file() {
        let flags = Settings {
            bind: Some("0.0.0.0:1".into()),
            ..Settings::default()
        };
        let file = Settings {
            bind: Some("0.0.0.0:2".into()),
            log: Some("debug".into()),
            ..Settings::default()
        };
        let merged = flags.or(file);
        assert_eq!(merged.bind.as_deref(), Some("0.0.0.0:1"));
        assert_eq!(merged.log.as_deref(), Some("debug"));
    }
}

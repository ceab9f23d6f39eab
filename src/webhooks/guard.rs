//! Keeps deliveries off the server's own network: a webhook URL must be
//! `http` or `https` and reach public addresses only, checked when it is
//! saved and again, after DNS resolution, at every delivery (a name can
//! change what it points at in between). `QUIRE_WEBHOOK_ALLOW_PRIVATE`
//! lifts the address rule.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest013::dns::{Addrs, Name, Resolve, Resolving};

use crate::model::webhook::is_public;

/// How long a save waits for DNS.
const LOOKUP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a URL is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("not a URL")]
    Malformed,
    #[error("only http and https URLs are allowed")]
    Scheme,
    #[error("user names and passwords do not belong in the URL; use the secret")]
    Credentials,
    #[error("{0} is a loopback, private, link-local or reserved address")]
    Private(IpAddr),
    #[error("the host does not resolve: {0}")]
    Unresolved(String),
}

impl Refused {
    /// The rule a problem document names.
    pub fn rule(&self) -> &'static str {
        match self {
            Refused::Malformed => "format",
            Refused::Scheme => "scheme",
            Refused::Credentials => "credentials",
            Refused::Private(_) => "public_address",
            Refused::Unresolved(_) => "resolves",
        }
    }
}

/// Checks a webhook URL as it is saved: its shape and, unless private
/// addresses are allowed, every address its host resolves to now.
pub async fn check_url(url: &str, allow_private: bool) -> Result<(), Refused> {
    let parsed = reqwest013::Url::parse(url).map_err(|_| Refused::Malformed)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Refused::Scheme);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Refused::Credentials);
    }
    let host = parsed.host_str().ok_or(Refused::Malformed)?;
    if allow_private {
        return Ok(());
    }
    if let Some(ip) = literal(host) {
        return if is_public(ip) {
            Ok(())
        } else {
            Err(Refused::Private(ip))
        };
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let lookup = tokio::time::timeout(LOOKUP_WAIT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| Refused::Unresolved("no answer in time".into()))?;
    let addrs: Vec<SocketAddr> = lookup
        .map_err(|e| Refused::Unresolved(e.to_string()))?
        .collect();
    match addrs.iter().find(|a| !is_public(a.ip())) {
        Some(bad) => Err(Refused::Private(bad.ip())),
        None if addrs.is_empty() => Err(Refused::Unresolved("no address".into())),
        None => Ok(()),
    }
}

/// The address a URL names literally, if it does: those never reach the
/// resolver, so a delivery checks them itself.
pub fn literal_refused(url: &reqwest013::Url, allow_private: bool) -> Option<Refused> {
    let ip = literal(url.host_str()?)?;
    (!allow_private && !is_public(ip)).then_some(Refused::Private(ip))
}

fn literal(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Resolves names to their public addresses only; a name with none fails
/// to connect.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = all.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client deliveries go through: no redirects (a redirect could
/// lead anywhere), no proxy from the environment, and, unless private
/// addresses are allowed, the resolver above.
pub fn client(allow_private: bool) -> anyhow::Result<reqwest013::Client> {
    // rustls needs one process-wide crypto provider; ring is the one the
    // build carries. Installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let builder = reqwest013::Client::builder()
        .redirect(reqwest013::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("Quire-Webhooks/", env!("CARGO_PKG_VERSION")));
    let builder = if allow_private {
        builder
    } else {
        builder.dns_resolver(Arc::new(PublicOnly))
    };
    Ok(builder.build()?)
}

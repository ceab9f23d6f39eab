//! Webhooks in domain terms: which events a change makes, how a delivery is
//! signed, when a failed one is tried again, and which addresses a
//! delivery may not reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Every event a webhook may ask for.
pub const EVENTS: [&str; 9] = [
    "entry.saved",
    "entry.published",
    "entry.unpublished",
    "entry.deleted",
    "asset.created",
    "asset.updated",
    "asset.deleted",
    "type.changed",
    "cache.purge",
];

/// The event a test delivery sends.
pub const PING: &str = "ping";

/// The events one change of the feed makes: what happened and, when public
/// answers changed, `cache.purge`.
pub fn events_of(entity: &str, action: &str) -> &'static [&'static str] {
    match (entity, action) {
        ("entry", "create" | "update" | "restore") => &["entry.saved"],
        ("entry", "publish") => &["entry.published", "cache.purge"],
        ("entry", "unpublish") => &["entry.unpublished", "cache.purge"],
        ("entry", "delete") => &["entry.deleted", "cache.purge"],
        // A deleted target taken out of a relation, the live copy included.
        ("entry", "nullify") => &["entry.saved", "cache.purge"],
        ("asset", "create") => &["asset.created"],
        ("asset", "update") => &["asset.updated", "cache.purge"],
        ("asset", "delete") => &["asset.deleted", "cache.purge"],
        ("content_type", _) => &["type.changed", "cache.purge"],
        _ => &[],
    }
}

/// The surrogate keys a change makes stale: public answers carry their
/// type and every entry and asset id in them (see `Surrogate-Key`).
pub fn purge_keys(content_type: Option<&str>, id: &str, entity: &str) -> Vec<String> {
    let mut keys: Vec<String> = content_type.map(str::to_string).into_iter().collect();
    if entity != "content_type" {
        keys.push(id.to_string());
    }
    keys
}

/// `X-Quire-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn signature(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={unix_seconds},v1={hex}")
}

/// How long to wait before attempt `attempt + 1`, given that `attempt`
/// attempts failed: `base` doubling each time, at most an hour, with
/// `jitter` (0 to 1) taking up to half of it off so that receivers coming
/// back are not met by every retry at once.
pub fn backoff(base: Duration, attempt: u32, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let capped = doubled.min(Duration::from_secs(3600));
    capped.mul_f64(1.0 - 0.5 * jitter.clamp(0.0, 1.0))
}

/// Whether a delivery may reach `ip`: not loopback, private, link-local
/// (cloud metadata lives there), shared, multicast, unspecified or
/// otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Carrier-grade NAT (100.64.0.0/10) and the IETF block (192.0.0.0/24).
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        // Benchmarking (198.18.0.0/15) and reserved (240.0.0.0/4).
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local (fc00::/7) and link-local (fe80::/10).
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // Documentation (2001:db8::/32).
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible and NAT64 forms reach IPv4 addresses.
        || ip.segments()[..6].iter().all(|s| *s == 0)
        || (first == 0x64 && ip.segments()[1] == 0xff9b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_timestamp_and_body() {
        // Python: hmac.new(b"secret", b"1700000000.{}", sha256).hexdigest()
        let sig = signature("secret", 1_700_000_000, b"{}");
        assert_eq!(
            sig,
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(sig, signature("other", 1_700_000_000, b"{}"));
        assert_ne!(sig, signature("secret", 1_700_000_001, b"{}"));
        assert_ne!(sig, signature("secret", 1_700_000_000, b"{ }"));
    }

    #[test]
    fn backoff_doubles_up_to_an_hour_and_jitter_takes_at_most_half() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1, 0.0), Duration::from_secs(10));
        assert_eq!(backoff(base, 2, 0.0), Duration::from_secs(20));
        assert_eq!(backoff(base, 4, 0.0), Duration::from_secs(80));
        assert_eq!(backoff(base, 30, 0.0), Duration::from_secs(3600));
        assert_eq!(backoff(base, 2, 1.0), Duration::from_secs(10));
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad} passed");
        }
        for good in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(good.parse().unwrap()), "{good} refused");
        }
    }

    #[test]
    fn changes_map_to_events() {
        assert_eq!(
            events_of("entry", "publish"),
            ["entry.published", "cache.purge"]
        );
        assert_eq!(events_of("entry", "update"), ["entry.saved"]);
        assert!(events_of("token", "create").is_empty());
        assert_eq!(
            purge_keys(Some("articles"), "a1", "entry"),
            vec!["articles".to_string(), "a1".to_string()]
        );
        assert_eq!(
            purge_keys(Some("articles"), "articles", "content_type"),
            vec!["articles".to_string()]
        );
    }
}

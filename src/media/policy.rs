//! Which transforms a media URL may ask for.
//!
//! Each distinct transform costs a decode and is stored for good, so an
//! open `?w=` would let anyone fill the bucket and the CPU. A URL gets the
//! named presets (`?preset=card`, or the same parameters spelled out), or
//! anything Quire signed (`&sig=`), whoever asks: media URLs are fetched by
//! browsers and CDNs that carry no credentials. `QUIRE_MEDIA_TRANSFORMS=any`
//! opens everything for trusted networks.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::transform::Transform;
use crate::model::FieldError;

/// The presets when `QUIRE_MEDIA_TRANSFORMS` is not set: the widths a
/// responsive site needs, as WebP.
pub const DEFAULT_PRESETS: &str = "thumbnail:w=200&h=200&fit=cover&format=webp;\
small:w=640&format=webp;medium:w=1024&format=webp;large:w=1920&format=webp";

/// The admin UI's library thumbnail, allowed whatever the presets say.
const ADMIN_THUMBNAIL: &str = "w=200&h=200&fit=cover&format=webp";

/// Shortest signing key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

#[derive(Clone)]
pub struct TransformPolicy {
    presets: Vec<(String, Transform)>,
    /// Every transform allowed without a signature.
    any: bool,
    signing_key: Option<Vec<u8>>,
}

/// Leaves the signing key out of logs.
impl std::fmt::Debug for TransformPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformPolicy")
            .field("presets", &self.preset_names())
            .field("any", &self.any)
            .field("signed", &self.can_sign())
            .finish()
    }
}

/// Why a transform was refused.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// Malformed parameters (400, each named).
    Invalid(Vec<FieldError>),
    /// Well formed, but neither a preset nor signed (403).
    NotAllowed(String),
}

fn pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

impl TransformPolicy {
    /// Reads `QUIRE_MEDIA_TRANSFORMS` (`any`, or `name:query;…`) and
    /// `QUIRE_MEDIA_SIGNING_KEY`; `Err` says what is wrong with which.
    pub fn parse(
        transforms: Option<&str>,
        signing_key: Option<&str>,
    ) -> Result<TransformPolicy, (&'static str, String)> {
        let signing_key = match signing_key {
            Some(k) if k.len() < MIN_KEY_BYTES => {
                return Err((
                    "QUIRE_MEDIA_SIGNING_KEY",
                    format!("must be at least {MIN_KEY_BYTES} characters"),
                ));
            }
            k => k.map(|k| k.as_bytes().to_vec()),
        };
        let text = transforms.unwrap_or(DEFAULT_PRESETS).trim();
        if text == "any" {
            return Ok(TransformPolicy {
                presets: Vec::new(),
                any: true,
                signing_key,
            });
        }
        let mut presets = Vec::new();
        for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let bad = |why: String| ("QUIRE_MEDIA_TRANSFORMS", format!("`{item}`: {why}"));
            let (name, query) = item
                .split_once(':')
                .ok_or_else(|| bad("a preset is name:parameters, like card:w=640".into()))?;
            let name = name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad("a preset name is letters, digits, - and _".into()));
            }
            if presets.iter().any(|(n, _)| n == name) {
                return Err(bad(format!("the preset {name} is named twice")));
            }
            let transform = match Transform::parse(&pairs(query.trim())) {
                Ok(Some(t)) => t,
                Ok(None) => return Err(bad("a preset needs at least one parameter".into())),
                Err(errors) => {
                    let why: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
                    return Err(bad(why.join("; ")));
                }
            };
            presets.push((name.to_string(), transform));
        }
        Ok(TransformPolicy {
            presets,
            any: false,
            signing_key,
        })
    }

    /// The preset names, for messages and docs.
    pub fn preset_names(&self) -> Vec<&str> {
        self.presets.iter().map(|(n, _)| n.as_str()).collect()
    }

    pub fn can_sign(&self) -> bool {
        self.signing_key.is_some()
    }

    /// Every transform a URL without a signature may cause to exist:
    /// `None` when that is any.
    pub fn allowed_set(&self) -> Option<Vec<Transform>> {
        if self.any {
            return None;
        }
        let mut set: Vec<Transform> = self.presets.iter().map(|(_, t)| t.clone()).collect();
        if let Ok(Some(thumb)) = Transform::parse(&pairs(ADMIN_THUMBNAIL))
            && !set.contains(&thumb)
        {
            set.push(thumb);
        }
        Some(set)
    }

    /// The transform a media URL's query asks for (`None`: the original),
    /// if this caller may have it.
    pub fn resolve(
        &self,
        asset_id: &str,
        mime: &str,
        query: &[(String, String)],
    ) -> Result<Option<Transform>, Refusal> {
        let mut preset = None;
        let mut sig = None;
        let mut rest = Vec::new();
        for (k, v) in query {
            match k.as_str() {
                "preset" => preset = Some(v.as_str()),
                "sig" => sig = Some(v.as_str()),
                _ => rest.push((k.clone(), v.clone())),
            }
        }
        if let Some(name) = preset {
            let extra = rest.first().map(|(k, _)| k.as_str()).or(sig.map(|_| "sig"));
            if let Some(k) = extra {
                return Err(Refusal::Invalid(vec![FieldError::new(
                    k,
                    "exclusive",
                    "`preset` is used on its own, without other transform parameters",
                )]));
            }
            return match self.presets.iter().find(|(n, _)| n == name) {
                Some((_, t)) => Ok(Some(t.clone())),
                None => Err(Refusal::Invalid(vec![FieldError::new(
                    "preset",
                    "values",
                    format!("no preset `{name}`; the presets are: {}", self.names()),
                )])),
            };
        }
        let Some(t) = Transform::parse(&rest).map_err(Refusal::Invalid)? else {
            if sig.is_some() {
                return Err(Refusal::Invalid(vec![FieldError::new(
                    "sig",
                    "requires",
                    "`sig` signs transform parameters, and there are none",
                )]));
            }
            return Ok(None);
        };
        if let Some(sig) = sig {
            return if self.verify(asset_id, &t, sig) {
                Ok(Some(t))
            } else {
                Err(Refusal::NotAllowed(
                    "the signature does not match this asset and these parameters".into(),
                ))
            };
        }
        match self.allowed_set() {
            None => Ok(Some(t)),
            Some(set)
                if set
                    .iter()
                    .any(|a| a.key(asset_id, mime) == t.key(asset_id, mime)) =>
            {
                Ok(Some(t))
            }
            Some(_) => Err(Refusal::NotAllowed(format!(
                "this transform is not a preset; use ?preset= with one of: {}{}",
                self.names(),
                if self.can_sign() {
                    ", or a URL signed by the admin API"
                } else {
                    ""
                }
            ))),
        }
    }

    fn names(&self) -> String {
        let names = self.preset_names();
        if names.is_empty() {
            "(none)".into()
        } else {
            names.join(", ")
        }
    }

    fn mac(&self, asset_id: &str, t: &Transform) -> Option<Hmac<Sha256>> {
        let key = self.signing_key.as_ref()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
        mac.update(asset_id.as_bytes());
        mac.update(b"?");
        mac.update(t.canonical().as_bytes());
        Some(mac)
    }

    /// The `sig` for this asset and transform: hex HMAC-SHA256 of
    /// `<asset id>?<canonical parameters>` under the signing key.
    pub fn sign(&self, asset_id: &str, t: &Transform) -> Option<String> {
        let mac = self.mac(asset_id, t)?;
        Some(hex(&mac.finalize().into_bytes()))
    }

    fn verify(&self, asset_id: &str, t: &Transform, sig: &str) -> bool {
        let Some(bytes) = unhex(sig) else {
            return false;
        };
        self.mac(asset_id, t)
            .is_some_and(|mac| mac.verify_slice(&bytes).is_ok())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn presets_parse_and_bad_ones_are_named() {
        let p = TransformPolicy::parse(None, None).unwrap();
        assert_eq!(p.preset_names(), ["thumbnail", "small", "medium", "large"]);
        let err = TransformPolicy::parse(Some("card:w=0"), None).unwrap_err();
        assert_eq!(err.0, "QUIRE_MEDIA_TRANSFORMS");
        assert!(TransformPolicy::parse(Some("card"), None).is_err());
        assert!(TransformPolicy::parse(Some("a:w=1;a:w=2"), None).is_err());
        assert!(TransformPolicy::parse(None, Some("short")).is_err());
    }

    #[test]
    fn strangers_get_presets_spelled_either_way() {
        let p = TransformPolicy::parse(Some("card:w=640&format=webp"), None).unwrap();
        let card = p.resolve("a", "image/png", &pairs("preset=card")).unwrap();
        assert_eq!(
            p.resolve("a", "image/png", &pairs("format=webp&w=640"))
                .unwrap(),
            card
        );
        assert!(
            p.resolve(
                "a",
                "image/png",
                &pairs("w=200&h=200&fit=cover&format=webp")
            )
            .is_ok()
        );
        assert!(matches!(
            p.resolve("a", "image/png", &pairs("w=641")),
            Err(Refusal::NotAllowed(_))
        ));
        assert!(matches!(
            p.resolve("a", "image/png", &pairs("preset=card&w=2")),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            p.resolve("a", "image/png", &pairs("preset=poster")),
            Err(Refusal::Invalid(_))
        ));
        assert_eq!(p.resolve("a", "image/png", &pairs("")), Ok(None));
    }

    #[test]
    fn signatures_bind_asset_and_parameters() {
        let p = TransformPolicy::parse(None, Some(KEY)).unwrap();
        let t = Transform::parse(&pairs("w=333")).unwrap().unwrap();
        let sig = p.sign("a", &t).unwrap();
        let q = |s: &str| pairs(&format!("w=333&sig={s}"));
        assert_eq!(p.resolve("a", "image/png", &q(&sig)), Ok(Some(t)));
        assert!(matches!(
            p.resolve("b", "image/png", &q(&sig)),
            Err(Refusal::NotAllowed(_))
        ));
        assert!(matches!(
            p.resolve("a", "image/png", &pairs(&format!("w=334&sig={sig}"))),
            Err(Refusal::NotAllowed(_))
        ));
        assert!(matches!(
            p.resolve("a", "image/png", &q("zz")),
            Err(Refusal::NotAllowed(_))
        ));
        let unsigned = TransformPolicy::parse(None, None).unwrap();
        assert!(matches!(
            unsigned.resolve("a", "image/png", &q(&sig)),
            Err(Refusal::NotAllowed(_))
        ));
    }
}

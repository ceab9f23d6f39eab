//! Where a client of the sync feed stands: the cursor it sends back.
//!
//! A full sync walks the live entries (then the assets) in key order and
//! ends at the change feed's position from when it began; from there on
//! the cursor is a position in the feed. A schema change that rewrites the
//! live copies of a type sends that type's entries again before the feed
//! goes on. The cursor is opaque to clients: base64url of this JSON.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::FieldError;

/// The most items a sync page holds.
pub const MAX_SYNC_LIMIT: i64 = 1000;
/// Items a sync page holds when `limit` is not given.
pub const DEFAULT_SYNC_LIMIT: i64 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    /// The change the client has everything up to, once the phase is done.
    pub seq: i64,
    /// The one content type synced, when the sync began with `type=`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "t")]
    pub content_type: Option<String>,
    #[serde(rename = "p")]
    pub phase: Phase,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Phase {
    /// Live entries (of the synced type, or of every type) after this row.
    #[serde(rename = "e")]
    Entries(String),
    /// Assets after this id (a full sync of every type).
    #[serde(rename = "a")]
    Assets(String),
    /// The live entries of these types after this row, sent again because
    /// their type changed at `seq`.
    #[serde(rename = "r")]
    Resend(Vec<String>, String),
    /// Changes after `seq`.
    #[serde(rename = "c")]
    Changes,
}

impl Cursor {
    /// Where a full sync begins: before every entry, at the feed's `head`.
    pub fn start(head: i64, content_type: Option<String>) -> Cursor {
        Cursor {
            seq: head,
            content_type,
            phase: Phase::Entries(String::new()),
        }
    }

    /// The phase after the full sync's entries.
    pub fn after_entries(&self) -> Phase {
        match self.content_type {
            Some(_) => Phase::Changes,
            None => Phase::Assets(String::new()),
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(text: &str) -> Result<Cursor, FieldError> {
        let bad = || {
            FieldError::new(
                "cursor",
                "cursor",
                "`cursor` must be a `next_cursor` this server returned",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.seq < 0 {
            return Err(bad());
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_its_round_trip() {
        let phases = [
            Phase::Entries("0190".into()),
            Phase::Assets(String::new()),
            Phase::Resend(vec!["articles".into(), "pages".into()], "x".into()),
            Phase::Changes,
        ];
        for phase in phases {
            let c = Cursor {
                seq: 42,
                content_type: Some("articles".into()),
                phase,
            };
            assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        }
    }

    #[test]
    fn anything_else_is_refused_naming_the_cursor() {
        for text in [
            "",
            "nope!",
            "eyJ4IjoxfQ",
            &URL_SAFE_NO_PAD.encode(br#"{"seq":-1,"p":"c"}"#),
        ] {
            let e = Cursor::decode(text).expect_err(text);
            assert_eq!(e.field, "cursor");
        }
    }

    #[test]
    fn a_typed_sync_skips_the_assets() {
        assert_eq!(
            Cursor::start(3, Some("articles".into())).after_entries(),
            Phase::Changes
        );
        assert_eq!(
            Cursor::start(3, None).after_entries(),
            Phase::Assets(String::new())
        );
    }
}

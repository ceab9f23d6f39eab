//! Ids as the logs store them.
//!
//! The revisions, the audit log and the change feed take a row for every
//! write, and each row names an entry, a user or another resource by id:
//! an entry's id is written there again with every write of it, a user's
//! with every write they make.
//! On SQLite those columns therefore hold a UUID in its canonical form
//! (lowercase, hyphenated: every id Quire makes) as its 16 bytes instead of
//! 36 characters; any other id (a content type's `api_id`, an id imported
//! from elsewhere) stays text. The rule depends on the value alone, so an
//! id is stored, looked up and read back the same way everywhere, and
//! reads give back exactly the text that was written. PostgreSQL keeps
//! text: the storage budget is SQLite's, and other column types there
//! would touch every query that names these columns.

use std::borrow::Cow;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type, TypeInfo, ValueRef};
use uuid::Uuid;

/// An id in a log column; see the module's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogId<'a>(pub Cow<'a, str>);

impl<'a> LogId<'a> {
    /// The id `id`, borrowed for a bind.
    pub fn of(id: &'a str) -> LogId<'a> {
        LogId(Cow::Borrowed(id))
    }

    /// `id`, unless absent.
    pub fn of_opt(id: Option<&'a String>) -> Option<LogId<'a>> {
        id.map(|id| LogId::of(id))
    }
}

impl From<String> for LogId<'static> {
    fn from(id: String) -> LogId<'static> {
        LogId(Cow::Owned(id))
    }
}

impl From<LogId<'_>> for String {
    fn from(id: LogId<'_>) -> String {
        id.0.into_owned()
    }
}

/// The 16 bytes SQLite stores for `id`, when it is a UUID in its canonical
/// form (one whose bytes read back as the same text).
pub fn packed(id: &str) -> Option<[u8; 16]> {
    if id.len() != 36 {
        return None;
    }
    let uuid = Uuid::try_parse(id).ok()?;
    let mut buf = [0u8; 36];
    (uuid.hyphenated().encode_lower(&mut buf).as_bytes() == id.as_bytes())
        .then(|| uuid.into_bytes())
}

/// The text of an id stored as 16 bytes.
fn unpacked(bytes: &[u8]) -> Result<String, BoxDynError> {
    let uuid = Uuid::from_slice(bytes).map_err(|e| format!("a stored id is not 16 bytes: {e}"))?;
    Ok(uuid.hyphenated().to_string())
}

/// The SQLite expression of `column` (a text id) as a log column stores it:
/// the same rule as [`packed`], for statements that match log rows against
/// `entries` (and triggers). `unhex` is SQLite's own (3.41 and later).
pub fn packed_sql(column: &str) -> String {
    format!(
        "(CASE WHEN {column} GLOB '{CANONICAL_GLOB}' \
         THEN unhex(replace({column}, '-', '')) ELSE {column} END)"
    )
}

/// A canonical UUID as a `GLOB` pattern: 8-4-4-4-12 lowercase hex digits.
const CANONICAL_GLOB: &str = "[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-\
     [0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-\
     [0-9a-f][0-9a-f][0-9a-f][0-9a-f]-\
     [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]";

impl Type<Sqlite> for LogId<'_> {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty) || <Vec<u8> as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for LogId<'_> {
    fn encode_by_ref(&self, args: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        match packed(&self.0) {
            Some(bytes) => <Vec<u8> as Encode<Sqlite>>::encode(bytes.to_vec(), args),
            None => <String as Encode<Sqlite>>::encode(self.0.to_string(), args),
        }
    }
}

impl<'r> Decode<'r, Sqlite> for LogId<'static> {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.type_info().name() == "BLOB" {
            let bytes = <&[u8] as Decode<Sqlite>>::decode(value)?;
            return Ok(LogId(Cow::Owned(unpacked(bytes)?)));
        }
        Ok(LogId(Cow::Owned(<String as Decode<Sqlite>>::decode(
            value,
        )?)))
    }
}

impl Type<Postgres> for LogId<'_> {
    fn type_info() -> PgTypeInfo {
        <String as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <String as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for LogId<'_> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Postgres>>::encode(&*self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for LogId<'static> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(LogId(Cow::Owned(<String as Decode<Postgres>>::decode(
            value,
        )?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canonical_uuid_packs_to_its_bytes_and_back() {
        let id = "0193a0c4-7e2b-7c3d-9f1e-2a3b4c5d6e7f";
        let bytes = packed(id).unwrap();
        assert_eq!(bytes[0], 0x01);
        assert_eq!(bytes[15], 0x7f);
        assert_eq!(unpacked(&bytes).unwrap(), id);
    }

    #[test]
    fn other_ids_stay_text() {
        for id in [
            "articles",
            "0193A0C4-7E2B-7C3D-9F1E-2A3B4C5D6E7F",
            "0193a0c47e2b7c3d9f1e2a3b4c5d6e7f",
            "{0193a0c4-7e2b-7c3d-9f1e-2a3b4c5d6e7f}",
            "urn:uuid:0193a0c4-7e2b-7c3d-9f1e-2a3b4c5d6e7f",
            "",
        ] {
            assert_eq!(packed(id), None, "{id}");
        }
    }

    #[test]
    fn the_sql_rule_is_the_rust_rule() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for id in [
            "0193a0c4-7e2b-7c3d-9f1e-2a3b4c5d6e7f",
            "0193A0C4-7E2B-7C3D-9F1E-2A3B4C5D6E7F",
            "0193a0c4-7e2b-7c3d-9f1e-2a3b4c5d6e7",
            "0193a0c4-7e2b-7c3d-9f1e-2a3b4c5d6e7fx",
            "0193a0c4+7e2b-7c3d-9f1e-2a3b4c5d6e7f",
            "articles",
        ] {
            let sql = format!("SELECT {}", packed_sql("?1"));
            let stored: rusqlite::types::Value = conn.query_row(&sql, [id], |r| r.get(0)).unwrap();
            let expected = match packed(id) {
                Some(bytes) => rusqlite::types::Value::Blob(bytes.to_vec()),
                None => rusqlite::types::Value::Text(id.to_string()),
            };
            assert_eq!(stored, expected, "{id}");
        }
    }
}

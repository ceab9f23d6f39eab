//! Revisions, stored as reverse patches.
//!
//! A translation's newest revision is its working copy, so it is stored as
//! a marker (`CURRENT`) rather than a second copy of it. When a write adds a
//! newer revision, the one before becomes a patch (`PATCH`) that turns the
//! next newer copy back into it: only the fields that differ. Reading a
//! revision walks back from the working copy through the newer patches.
//! Rows written before patches existed hold their whole copy (`FULL`).
//!
//! A patch is a JSON object keyed by field name, so a field's rename moves
//! its key like it does in a whole copy: `[value]` is the older value of a
//! field that differed, `[]` a field the older copy did not have.

use serde_json::{Map, Value};
use sqlx::types::Json;

use super::{Db, Lookup, StoreError, StoreResult, get, on_pool};
use crate::store::log_id::LogId;

/// The row holds the whole copy.
pub(super) const FULL: i16 = 0;
/// The row holds a patch against the next newer revision's copy.
pub(super) const PATCH: i16 = 1;
/// The row's copy is the translation's working copy.
pub(super) const CURRENT: i16 = 2;

/// A translation's revisions from `version` on, newest first: what it takes
/// to rebuild `version`'s copy from the working copy.
pub(super) const FROM_VERSION: &str = "SELECT id, version, action, data, form, author_id, \
     created_at FROM revisions WHERE entry_id = $1 AND version >= $2 ORDER BY id DESC";

/// One saved state of an entry.
#[derive(Debug, Clone)]
pub struct Revision {
    pub id: i64,
    pub version: i64,
    pub action: String,
    pub data: Json<Value>,
    pub author_id: Option<String>,
    pub created_at: i64,
}

/// A revision as stored: `data` is read according to `form`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RevisionRow {
    id: i64,
    version: i64,
    action: String,
    data: Json<Value>,
    form: i16,
    author_id: Option<LogId<'static>>,
    created_at: i64,
}

/// The patch that turns `newer` back into `older`.
pub(super) fn patch(newer: &Map<String, Value>, older: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (k, v) in older {
        if newer.get(k) != Some(v) {
            out.insert(k.clone(), Value::Array(vec![v.clone()]));
        }
    }
    for k in newer.keys().filter(|k| !older.contains_key(*k)) {
        out.insert(k.clone(), Value::Array(Vec::new()));
    }
    Value::Object(out)
}

/// `newer` with `patch` applied: the older copy.
fn apply(newer: &Map<String, Value>, patch: &Value) -> StoreResult<Map<String, Value>> {
    let Value::Object(fields) = patch else {
        return Err(StoreError::Corrupt(
            "a revision patch is not an object".into(),
        ));
    };
    let mut older = newer.clone();
    for (k, change) in fields {
        match change.as_array().map(Vec::as_slice) {
            Some([]) => {
                older.remove(k);
            }
            Some([v]) => {
                older.insert(k.clone(), v.clone());
            }
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "a revision patch holds `{k}` as neither [] nor [value]"
                )));
            }
        }
    }
    Ok(older)
}

/// The copies of `rows` (a translation's newest revisions, newest first),
/// rebuilt from its working copy.
pub(super) fn rebuild(
    working: &Map<String, Value>,
    rows: Vec<RevisionRow>,
) -> StoreResult<Vec<Revision>> {
    let mut next = working.clone();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let copy = match row.form {
            CURRENT => working.clone(),
            PATCH => apply(&next, &row.data.0)?,
            FULL => match row.data.0 {
                Value::Object(copy) => copy,
                _ => return Err(StoreError::Corrupt("a revision is not an object".into())),
            },
            other => {
                return Err(StoreError::Corrupt(format!(
                    "a revision is stored in an unknown form {other}"
                )));
            }
        };
        out.push(Revision {
            id: row.id,
            version: row.version,
            action: row.action,
            data: Json(Value::Object(copy.clone())),
            author_id: row.author_id.map(String::from),
            created_at: row.created_at,
        });
        next = copy;
    }
    Ok(out)
}

/// Tries at reading a translation and its revisions at one moment.
const READ_TRIES: usize = 5;

/// A translation's working copy and its newest revisions (at most 200), or
/// those from the revision before `version` on, newest first. The two are
/// read one after the other: a write landing between them leaves rows
/// newer than the copy read (patches against a copy not in hand), so both
/// are read again.
async fn read_with_rows(
    db: &Db,
    content_type: &str,
    id: &str,
    lookup: Lookup<'_>,
    version: Option<i64>,
) -> StoreResult<(Map<String, Value>, Vec<RevisionRow>)> {
    let mut tries = 0;
    loop {
        let entry = get(db, content_type, id, lookup).await?;
        let rows: Vec<RevisionRow> = on_pool!(db, pool => match version {
            None => {
                sqlx::query_as(
                    "SELECT id, version, action, data, form, author_id, created_at FROM revisions \
                     WHERE entry_id = $1 ORDER BY id DESC LIMIT 200",
                )
                .bind(LogId::of(&entry.row))
                .fetch_all(pool)
                .await?
            }
            Some(version) => {
                // From the revision before `version` on (versions grow with ids).
                let from: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(version) FROM revisions WHERE entry_id = $1 AND version < $2",
                )
                .bind(LogId::of(&entry.row))
                .bind(version)
                .fetch_one(pool)
                .await?;
                sqlx::query_as(FROM_VERSION)
                    .bind(LogId::of(&entry.row))
                    .bind(from.unwrap_or(version))
                    .fetch_all(pool)
                    .await?
            }
        });
        let newest = rows.first().map_or(entry.version, |r| r.version);
        if newest <= entry.version {
            return Ok((entry.draft, rows));
        }
        tries += 1;
        if tries == READ_TRIES {
            return Err(StoreError::VersionConflict {
                expected: entry.version,
                current: newest,
            });
        }
    }
}

/// A translation's revisions, newest first (at most 200).
pub async fn revisions(
    db: &Db,
    content_type: &str,
    id: &str,
    lookup: Lookup<'_>,
) -> StoreResult<Vec<Revision>> {
    let (working, rows) = read_with_rows(db, content_type, id, lookup, None).await?;
    rebuild(&working, rows)
}

/// The copy a translation saved as `version`, and the one saved before it
/// (none for the first).
pub async fn revision(
    db: &Db,
    content_type: &str,
    id: &str,
    lookup: Lookup<'_>,
    version: i64,
) -> StoreResult<(Revision, Option<Revision>)> {
    let (working, rows) = read_with_rows(db, content_type, id, lookup, Some(version)).await?;
    let mut copies = rebuild(&working, rows)?.into_iter().rev();
    let first = copies.next();
    let (previous, found) = match first {
        Some(r) if r.version == version => (None, Some(r)),
        Some(r) => (Some(r), copies.next()),
        None => (None, None),
    };
    match found {
        Some(r) if r.version == version => Ok((r, previous)),
        _ => Err(StoreError::NotFound),
    }
}

/// Deletes a translation's revisions beyond the newest `keep` (patches
/// lead from newer to older copies, so the newest stay whole).
pub async fn prune_revisions(db: &Db, row: &str, keep: u32) -> StoreResult<u64> {
    Ok(on_pool!(db, pool => {
        sqlx::query(
            "DELETE FROM revisions WHERE entry_id = $1 AND id NOT IN \
             (SELECT id FROM revisions WHERE entry_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(LogId::of(row))
        .bind(i64::from(keep))
        .execute(pool)
        .await?
        .rows_affected()
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("the tests pass objects"),
        }
    }

    fn row(version: i64, form: i16, data: Value) -> RevisionRow {
        RevisionRow {
            id: version,
            version,
            action: "update".into(),
            data: Json(data),
            form,
            author_id: None,
            created_at: 0,
        }
    }

    #[test]
    fn a_patch_turns_the_newer_copy_into_the_older_one_whole() {
        let older = map(json!({"title": "a", "gone": null, "same": [1, 2], "n": 1}));
        let newer = map(json!({"title": "b", "same": [1, 2], "added": {"x": 1}, "n": 1}));
        let p = patch(&newer, &older);
        assert_eq!(p, json!({"title": ["a"], "gone": [null], "added": []}));
        assert_eq!(apply(&newer, &p).unwrap(), older);
        // Nothing changed: an empty patch.
        assert_eq!(patch(&newer, &newer), json!({}));
    }

    #[test]
    fn copies_are_rebuilt_from_the_working_copy_back_through_the_patches() {
        let v1 = map(json!({"title": "one"}));
        let v2 = map(json!({"title": "two", "body": "b"}));
        let v3 = map(json!({"title": "three", "body": "b"}));
        let rows = vec![
            row(4, CURRENT, Value::Null),
            row(3, PATCH, json!({})),
            row(2, PATCH, patch(&v3, &v2)),
            row(1, PATCH, patch(&v2, &v1)),
            row(0, FULL, json!({"title": "zero"})),
        ];
        let copies = rebuild(&v3, rows).unwrap();
        let data: Vec<Value> = copies.into_iter().map(|r| r.data.0).collect();
        assert_eq!(
            data,
            [
                Value::Object(v3.clone()),
                Value::Object(v3),
                Value::Object(v2),
                Value::Object(v1),
                json!({"title": "zero"}),
            ]
        );
    }

    #[test]
    fn a_malformed_patch_is_reported_not_guessed() {
        let working = map(json!({"title": "t"}));
        for bad in [json!({"title": "x"}), json!({"title": [1, 2]}), json!([1])] {
            let err = rebuild(&working, vec![row(1, PATCH, bad)]).unwrap_err();
            assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        }
        let err = rebuild(&working, vec![row(1, 7, Value::Null)]).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    }
}

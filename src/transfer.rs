//! `quire export DIR` and `quire import DIR`: everything Quire holds as
//! plain files, and back into an empty database of either kind.
//!
//! DIR holds `manifest.json` (the format and each table's row count), one
//! `<table>.jsonl` per table (a JSON object per row, see
//! [`crate::store::dump`]) and `media/<object key>` for every asset's file.
//! Ids, dates, versions, revisions, the change feed, users with their
//! password hashes and tokens' hashes all come back as they were, so a
//! move from SQLite to PostgreSQL and back gives the same export byte for
//! byte.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use object_store::{ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::store::Db;
use crate::store::dump::{Restore, Snapshot, TABLES, Table};

const FORMAT: &str = "quire-export";
/// 2: revisions carry `form` (whole copy, patch, or the working copy).
const VERSION: u32 = 2;
/// Exports of version 1 hold every revision whole; they import as such.
const WHOLE_REVISIONS: u32 = 1;
/// Rows read from a file per insert batch.
const CHUNK: usize = 1000;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// Rows per table (a sorted map: the file is the same for the same data).
    pub tables: BTreeMap<String, u64>,
    pub media_files: u64,
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{prefix:>20} {bar:30} {pos}/{len}") {
        bar.set_style(style);
    }
    bar.set_prefix(what.to_string());
    bar
}

/// Where an object's file goes under `media/`: its key, segment by
/// segment, refused if a segment could climb out.
fn media_path(dir: &Path, key: &str) -> anyhow::Result<PathBuf> {
    let rel = Path::new(key);
    let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
    if key.is_empty() || !plain {
        bail!("asset object key `{key}` is not a plain relative path");
    }
    Ok(dir.join("media").join(rel))
}

/// Writes the database and media to `dir` (new or empty), from one
/// snapshot of the database; a server may keep serving meanwhile.
pub async fn export(db: &Db, media: &dyn ObjectStore, dir: &Path) -> anyhow::Result<Manifest> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!("{} is not empty", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut snapshot = Snapshot::begin(db).await?;
    let mut tables = BTreeMap::new();
    let mut keys = Vec::new();
    for table in TABLES {
        let count = snapshot.count(table).await?;
        let progress = bar(u64::try_from(count).unwrap_or(0), table.name);
        let path = dir.join(format!("{}.jsonl", table.name));
        let mut out = BufWriter::new(
            std::fs::File::create(&path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        );
        let mut rows = 0u64;
        snapshot
            .rows(db, table, |row| {
                if table.name == "assets"
                    && let Some(Value::String(key)) = row.get("object_key")
                {
                    keys.push(key.clone());
                }
                serde_json::to_writer(&mut out, &row)?;
                out.write_all(b"\n")?;
                rows += 1;
                progress.inc(1);
                Ok(())
            })
            .await?;
        out.flush()?;
        progress.finish_and_clear();
        tables.insert(table.name.to_string(), rows);
    }
    drop(snapshot);
    let progress = bar(keys.len() as u64, "media");
    for key in &keys {
        let path = media_path(dir, key)?;
        let object = media
            .get(&object_store::path::Path::from(key.as_str()))
            .await
            .with_context(|| format!("cannot read the file of asset object {key}"))?;
        let bytes = object.bytes().await?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        tables,
        media_files: keys.len() as u64,
    };
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    std::fs::write(dir.join("manifest.json"), text)?;
    Ok(manifest)
}

/// Restores an export into an empty, migrated database and its media
/// store: the files first (an import that fails later leaves objects no
/// asset names, which the media sweep removes), then every table in one
/// transaction.
pub async fn import(db: &Db, media: &dyn ObjectStore, dir: &Path) -> anyhow::Result<Manifest> {
    let text = std::fs::read_to_string(dir.join("manifest.json"))
        .with_context(|| format!("{} holds no manifest.json", dir.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).context("manifest.json does not parse")?;
    if manifest.format != FORMAT || !(WHOLE_REVISIONS..=VERSION).contains(&manifest.version) {
        bail!(
            "manifest.json is {} version {}; this Quire reads {FORMAT} versions {WHOLE_REVISIONS} to {VERSION}",
            manifest.format,
            manifest.version
        );
    }
    if !crate::store::dump::is_empty(db).await? {
        bail!("the database is not empty: import into a new one");
    }
    let assets = TABLES
        .iter()
        .find(|t| t.name == "assets")
        .context("no assets table")?;
    let mut keys = Vec::new();
    let mut rows = Rows::open(dir, assets)?;
    while let Some(chunk) = rows.next_chunk()? {
        keys.extend(
            chunk
                .iter()
                .filter_map(|r| r["object_key"].as_str().map(String::from)),
        );
    }
    rows.finish(assets, &manifest)?;
    let progress = bar(keys.len() as u64, "media");
    for key in &keys {
        let path = media_path(dir, key)?;
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        media
            .put(&object_store::path::Path::from(key.as_str()), bytes.into())
            .await
            .with_context(|| format!("cannot store {key}"))?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    let mut restore = Restore::begin(db).await?;
    for table in TABLES {
        restore.clear(table).await?;
        let progress = bar(
            manifest.tables.get(table.name).copied().unwrap_or(0),
            table.name,
        );
        let mut rows = Rows::open(dir, table)?;
        while let Some(mut chunk) = rows.next_chunk()? {
            if manifest.version == WHOLE_REVISIONS && table.name == "revisions" {
                for row in &mut chunk {
                    row.entry("form").or_insert(Value::from(0));
                }
            }
            restore.insert(table, &chunk).await?;
            progress.inc(chunk.len() as u64);
        }
        rows.finish(table, &manifest)?;
        progress.finish_and_clear();
    }
    restore.commit().await?;
    crate::bootstrap::field_indexes(db).await?;
    Ok(manifest)
}

/// `<table>.jsonl` read a chunk at a time; [`Rows::finish`] checks it
/// held as many rows as the manifest says (a file cut short is refused,
/// not half imported).
struct Rows {
    path: PathBuf,
    lines: std::io::Lines<BufReader<std::fs::File>>,
    count: u64,
}

impl Rows {
    fn open(dir: &Path, table: &Table) -> anyhow::Result<Rows> {
        let path = dir.join(format!("{}.jsonl", table.name));
        let file = std::fs::File::open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Rows {
            path,
            lines: BufReader::new(file).lines(),
            count: 0,
        })
    }

    fn next_chunk(&mut self) -> anyhow::Result<Option<Vec<Map<String, Value>>>> {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            let Some(line) = self.lines.next() else { break };
            self.count += 1;
            let row: Map<String, Value> = serde_json::from_str(&line?).with_context(|| {
                format!(
                    "{} line {}: not a JSON object",
                    self.path.display(),
                    self.count
                )
            })?;
            chunk.push(row);
        }
        Ok((!chunk.is_empty()).then_some(chunk))
    }

    fn finish(self, table: &Table, manifest: &Manifest) -> anyhow::Result<()> {
        let expected = manifest.tables.get(table.name).copied().unwrap_or(0);
        if self.count != expected {
            bail!(
                "{} holds {} rows; manifest.json says {expected}",
                self.path.display(),
                self.count
            );
        }
        Ok(())
    }
}

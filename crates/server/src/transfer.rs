//! `cognate export` and `cognate import`: the whole deployment as one file — pools, clients,
//! groups, users (password hashes and sealed SRP verifiers), signing keys, refresh tokens,
//! identity pools and identities, IAM roles and policies, sync datasets and every other record —
//! so that it can be backed up, restored, or moved between SQLite and PostgreSQL with nobody
//! signing in again. The file is JSON lines: a header, then a line per thousand rows of a table.
//! Sealed values travel sealed. The target either runs with the source's master key, or is given
//! it (`--source-master-key-file`) and re-seals every sealed value under its own key as it
//! reads ([`Reseal`]); the header's check value proves the key before anything is written. The
//! import goes into an empty database in one transaction.

use std::io::{BufRead, Write};

use serde_json::{json, Value};

use cognate_domain::crypto::MasterKey;
use cognate_domain::sealing::Reseal;
use cognate_domain::store::ClusterStore;
use cognate_store::transfer::TABLES;
use cognate_store::SqlStore;

use crate::app::MASTER_KEY_CHECK;

pub const FORMAT: &str = "cognate-export";
const VERSION: u64 = 1;
const PAGE: u32 = 1000;

/// Rows written or read, by table.
pub type Counts = Vec<(&'static str, u64)>;

/// Writes every table of `store` to `out`.
pub async fn export(store: &SqlStore, out: &mut impl Write) -> Result<Counts, String> {
    let check = store.get_cluster_value(MASTER_KEY_CHECK).await.map_err(|error| error.to_string())?;
    let header = json!({"format": FORMAT, "version": VERSION, "masterKeyCheck": check});
    writeln!(out, "{header}").map_err(|error| error.to_string())?;
    let mut counts = Vec::new();
    for table in TABLES {
        let mut offset = 0u64;
        loop {
            let rows = store.export_rows(table, offset, PAGE).await.map_err(|error| format!("reading {}: {error}", table.name))?;
            if rows.is_empty() {
                break;
            }
            offset += rows.len() as u64;
            writeln!(out, "{}", json!({"table": table.name, "rows": rows})).map_err(|error| error.to_string())?;
        }
        counts.push((table.name, offset));
    }
    out.flush().map_err(|error| error.to_string())?;
    Ok(counts)
}

/// Reads an export from `input` into `store`, which must be empty, in one transaction. The
/// export's sealed values must open under `source_key` when it is given, and are then re-sealed
/// under `master_key`; otherwise they must open under `master_key`.
pub async fn import(store: &SqlStore, master_key: &MasterKey, source_key: Option<&MasterKey>, input: impl BufRead) -> Result<Counts, String> {
    let mut lines = input.lines();
    let header: Value = match lines.next() {
        Some(line) => serde_json::from_str(&line.map_err(|error| error.to_string())?).map_err(|_| "the file does not start with an export header".to_string())?,
        None => return Err("the file is empty".into()),
    };
    if header["format"] != FORMAT || header["version"] != VERSION {
        return Err(format!("not a {FORMAT} file of version {VERSION}"));
    }
    if let Some(check) = header["masterKeyCheck"].as_str() {
        match source_key {
            Some(source_key) if source_key.open(check, MASTER_KEY_CHECK).is_err() => {
                return Err("the export's secrets are not sealed under the given source master key".into());
            }
            None if master_key.open(check, MASTER_KEY_CHECK).is_err() => {
                return Err("the export's secrets are sealed under another master key: give the source's master key \
                            (--source-master-key-file to re-seal them under this one, or run with it)"
                    .into());
            }
            _ => {}
        }
    }
    let mut reseal = source_key.map(|source_key| Reseal::new(source_key.clone(), master_key.clone()));
    if !store.is_empty_for_import().await.map_err(|error| error.to_string())? {
        return Err("the target database is not empty: import into a new database".into());
    }
    let mut import = store.begin_import().await.map_err(|error| error.to_string())?;
    let mut counts: Counts = TABLES.iter().map(|table| (table.name, 0)).collect();
    for (number, line) in lines.enumerate() {
        let line = line.map_err(|error| error.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let chunk: Value = serde_json::from_str(&line).map_err(|error| format!("line {}: {error}", number + 2))?;
        let name = chunk["table"].as_str().unwrap_or("");
        let Some(index) = TABLES.iter().position(|table| table.name == name) else {
            return Err(format!("line {}: unknown table {name:?}", number + 2));
        };
        let mut rows: Vec<Vec<Value>> = serde_json::from_value(chunk["rows"].clone()).map_err(|error| format!("line {}: {error}", number + 2))?;
        if let Some(reseal) = &mut reseal {
            let columns = TABLES[index].column_names();
            for row in &mut rows {
                reseal.row(name, &columns, row).map_err(|error| format!("line {}: {error}", number + 2))?;
            }
        }
        import.insert(&TABLES[index], &rows).await.map_err(|error| format!("line {} ({name}): {error}", number + 2))?;
        counts[index].1 += rows.len() as u64;
    }
    import.commit().await.map_err(|error| error.to_string())?;
    Ok(counts)
}

//! Whole-database export and import, table by table and row by row, the same on SQLite and
//! PostgreSQL: `cognate export` reads every table a page at a time, `cognate import` writes the
//! rows into an empty database in one transaction (all of it or nothing). Values are JSON: text,
//! integers or null. Challenge sessions (minutes long) and the cluster's master-key check (the
//! target has its own) are not carried.

use serde_json::Value;

use super::*;

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Text(&'static str),
    Integer(&'static str),
    /// An integer that may be null.
    MaybeInteger(&'static str),
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Text(name) | Column::Integer(name) | Column::MaybeInteger(name) => name,
        }
    }
}

/// A table that is carried, with its columns and its key (the order it is read in).
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub key: &'static str,
}

use Column::{Integer, MaybeInteger, Text};

impl Table {
    pub fn column_names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|column| column.name()).collect()
    }
}

/// Every table that is carried, parents before children.
pub const TABLES: &[Table] = &[
    Table { name: "user_pools", columns: &[Text("id"), Text("data")], key: "id" },
    Table { name: "app_clients", columns: &[Text("pool_id"), Text("client_id"), Text("data")], key: "pool_id, client_id" },
    Table {
        name: "users",
        columns: &[Text("pool_id"), Text("username_key"), Text("sub"), Integer("version"), Text("data")],
        key: "pool_id, username_key",
    },
    Table {
        name: "user_search",
        columns: &[Text("pool_id"), Text("attribute"), Text("value"), Text("username_key")],
        key: "pool_id, attribute, value, username_key",
    },
    Table {
        name: "user_aliases",
        columns: &[Text("pool_id"), Text("attribute"), Text("value"), Text("username_key")],
        key: "pool_id, attribute, value",
    },
    Table { name: "user_groups", columns: &[Text("pool_id"), Text("group_name"), Text("data")], key: "pool_id, group_name" },
    Table {
        name: "group_members",
        columns: &[Text("pool_id"), Text("group_name"), Text("username_key")],
        key: "pool_id, group_name, username_key",
    },
    Table { name: "signing_keys", columns: &[Text("pool_id"), Text("kid"), Integer("created_ms"), Text("data")], key: "pool_id, kid" },
    Table {
        name: "refresh_tokens",
        columns: &[
            Text("token_hash"),
            Text("pool_id"),
            Text("username_key"),
            Text("origin_jti"),
            Integer("revoked"),
            Text("data"),
            MaybeInteger("expires_ms"),
            MaybeInteger("rotated_ms"),
        ],
        key: "token_hash",
    },
    Table { name: "outbox", columns: &[Text("id"), Text("pool_id"), Integer("created_ms"), Text("data")], key: "id" },
    Table {
        name: "records",
        columns: &[Text("kind"), Text("scope"), Text("key"), MaybeInteger("expires_ms"), Text("data")],
        key: "kind, scope, key",
    },
    Table {
        name: "sync_datasets",
        columns: &[Text("identity_id"), Text("name"), Text("pool_id"), Integer("sync_count"), Text("data")],
        key: "identity_id, name",
    },
    Table {
        name: "sync_records",
        columns: &[Text("identity_id"), Text("dataset"), Text("key"), Integer("sync_count"), Text("data")],
        key: "identity_id, dataset, key",
    },
];

impl SqlStore {
    /// Rows `offset..offset + limit` of `table`, in key order.
    pub async fn export_rows(&self, table: &Table, offset: u64, limit: u32) -> StoreResult<Vec<Vec<Value>>> {
        let columns: Vec<&str> = table.columns.iter().map(|column| column.name()).collect();
        let statement = format!("SELECT {} FROM {} ORDER BY {} LIMIT $1 OFFSET $2", columns.join(", "), table.name, table.key);
        let rows = sqlx::query(&statement).bind(i64::from(limit)).bind(offset as i64).fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(index, column)| match column {
                        Text(_) => row.try_get::<String, _>(index).map(Value::String),
                        Integer(_) => row.try_get::<i64, _>(index).map(Value::from),
                        MaybeInteger(_) => row.try_get::<Option<i64>, _>(index).map(|value| value.map_or(Value::Null, Value::from)),
                    })
                    .collect::<Result<Vec<Value>, _>>()
                    .map_err(backend)
            })
            .collect()
    }

    /// Whether the database holds nothing that an import would write over.
    pub async fn is_empty_for_import(&self) -> StoreResult<bool> {
        for table in TABLES {
            let statement = format!("SELECT 1 FROM {} LIMIT 1", table.name);
            if sqlx::query(&statement).fetch_optional(&self.pool).await.map_err(backend)?.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Begins an import: one transaction for every row.
    pub async fn begin_import(&self) -> StoreResult<Import> {
        Ok(Import { transaction: self.begin().await? })
    }
}

/// An import under way; nothing of it is visible until [`Import::commit`].
pub struct Import {
    transaction: Tx,
}

impl Import {
    /// Writes `rows` (each with a value per column of `table`).
    pub async fn insert(&mut self, table: &Table, rows: &[Vec<Value>]) -> StoreResult<()> {
        let columns: Vec<&str> = table.columns.iter().map(|column| column.name()).collect();
        let placeholders: Vec<String> = (1..=columns.len()).map(|index| format!("${index}")).collect();
        let statement = format!("INSERT INTO {} ({}) VALUES ({})", table.name, columns.join(", "), placeholders.join(", "));
        for row in rows {
            if row.len() != columns.len() {
                return Err(StoreError::Backend(format!("a row of {} has {} values, not {}", table.name, row.len(), columns.len())));
            }
            let mut query = sqlx::query(&statement);
            for (column, value) in table.columns.iter().zip(row) {
                query = match (column, value) {
                    (Text(_), Value::String(text)) => query.bind(text.clone()),
                    (Integer(_) | MaybeInteger(_), Value::Number(number)) if number.is_i64() => query.bind(number.as_i64()),
                    (MaybeInteger(_), Value::Null) => query.bind(Option::<i64>::None),
                    _ => return Err(StoreError::Backend(format!("{}.{} cannot hold {value}", table.name, column.name()))),
                };
            }
            query.execute(self.transaction.conn()).await.map_err(|error| {
                if is_unique_violation(&error) {
                    StoreError::Conflict(ConflictOn::Key)
                } else {
                    backend(error)
                }
            })?;
        }
        Ok(())
    }

    /// Commits the whole import.
    pub async fn commit(self) -> StoreResult<()> {
        self.transaction.commit().await
    }
}

//! `cognate check-config`'s database check: connects without creating, migrating or writing
//! anything, and says what it found.

use std::time::Duration;

use sqlx::{Connection, Row};

use crate::Dialect;

/// How long the check waits for the database.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One line about the database `url` names: its server version or file and the migration it is
/// at; an error when it cannot be reached or read.
pub async fn probe(url: &str) -> Result<String, String> {
    sqlx::any::install_default_drivers();
    let dialect = Dialect::of_url(url).ok_or("unsupported database URL (want sqlite: or postgres://)")?;
    if dialect == Dialect::Sqlite {
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or("");
        let path = path.split('?').next().unwrap_or("");
        if !path.is_empty() && !path.contains(":memory:") && !std::path::Path::new(path).exists() {
            return Ok(format!("{path} does not exist yet; `cognate serve` creates it"));
        }
    }
    let url = match dialect {
        Dialect::Sqlite if !url.contains("mode=") => format!("{url}{}mode=ro", if url.contains('?') { '&' } else { '?' }),
        _ => url.to_string(),
    };
    let checked = async {
        let mut connection = sqlx::AnyConnection::connect(&url).await.map_err(|error| error.to_string())?;
        let version_query = match dialect {
            Dialect::Sqlite => "SELECT 'SQLite ' || sqlite_version()",
            Dialect::Postgres => "SELECT version()",
        };
        let server: String = sqlx::query(version_query).fetch_one(&mut connection).await.map_err(|error| error.to_string())?.try_get(0).map_err(|error| error.to_string())?;
        let migration = match sqlx::query("SELECT MAX(version) FROM schema_migrations").fetch_one(&mut connection).await {
            Ok(row) => match row.try_get::<Option<i64>, _>(0) {
                Ok(Some(version)) => format!("at migration {version}"),
                _ => "no migration applied yet".to_string(),
            },
            Err(_) => "not yet migrated".to_string(),
        };
        let _ = connection.close().await;
        Ok::<_, String>(format!("reachable ({}), {migration}", server.split(" on ").next().unwrap_or(&server)))
    };
    tokio::time::timeout(PROBE_TIMEOUT, checked).await.map_err(|_| format!("no answer within {} seconds", PROBE_TIMEOUT.as_secs()))?
}

//! `Step`: one SQL statement described as data (its text, its parameters, and the conflict it
//! means when it changes no row or meets a duplicate key), so that the pool's path and the
//! local writer's path run the same description; and the steps of each record write.

use cognate_domain::store::{ConflictOn, RecordWrite};

/// A value bound to a statement.
pub(crate) enum Param<'a> {
    Text(&'a str),
    Int(Option<i64>),
}

/// One statement of a record write, and what it means when it changes no row or meets a row
/// with the same key: one description that the pool's and the local writer's paths both run.
pub(crate) struct Step<'a> {
    pub(crate) sql: &'static str,
    pub(crate) params: Vec<Param<'a>>,
    /// The conflict when the statement changes no row.
    pub(crate) untouched: Option<ConflictOn>,
    /// The conflict when it meets a row with the same key.
    pub(crate) duplicate: Option<ConflictOn>,
}

const INSERT_RECORD: &str = "INSERT INTO records (kind, scope, key, expires_ms, data) VALUES ($1, $2, $3, $4, $5)";
const INSERT_RECORD_IF_ABSENT: &str = "INSERT INTO records (kind, scope, key, expires_ms, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const DELETE_RECORD: &str = "DELETE FROM records WHERE kind = $1 AND scope = $2 AND key = $3";

/// The statements of one record write: an insert answers `Conflict(Key)` when the key is
/// taken, a replace `Conflict(Absent)` when there is no record, a swap `Conflict(Stale)` when
/// the stored data is not the expected data.
pub(crate) fn steps(write: &RecordWrite) -> Vec<Step<'_>> {
    use Param::{Int, Text};
    let step = |sql, params, untouched, duplicate| Step { sql, params, untouched, duplicate };
    match write {
        RecordWrite::Insert { kind, scope, key, data, expires_ms } => {
            vec![step(INSERT_RECORD_IF_ABSENT, vec![Text(kind), Text(scope), Text(key), Int(*expires_ms), Text(data)], Some(ConflictOn::Key), None)]
        }
        RecordWrite::Put { kind, scope, key, data, expires_ms } => vec![
            step(DELETE_RECORD, vec![Text(kind), Text(scope), Text(key)], None, None),
            step(INSERT_RECORD, vec![Text(kind), Text(scope), Text(key), Int(*expires_ms), Text(data)], None, Some(ConflictOn::Key)),
        ],
        RecordWrite::Replace { kind, scope, key, data } => vec![step(
            "UPDATE records SET data = $4 WHERE kind = $1 AND scope = $2 AND key = $3",
            vec![Text(kind), Text(scope), Text(key), Text(data)],
            Some(ConflictOn::Absent),
            None,
        )],
        RecordWrite::Swap { kind, scope, key, expected, data } => vec![step(
            "UPDATE records SET data = $4 WHERE kind = $1 AND scope = $2 AND key = $3 AND data = $5",
            vec![Text(kind), Text(scope), Text(key), Text(data), Text(expected)],
            Some(ConflictOn::Stale),
            None,
        )],
        RecordWrite::Delete { kind, scope, key } => vec![step(DELETE_RECORD, vec![Text(kind), Text(scope), Text(key)], None, None)],
        RecordWrite::DeleteScope { kind, scope } => {
            vec![step("DELETE FROM records WHERE kind = $1 AND scope = $2", vec![Text(kind), Text(scope)], None, None)]
        }
    }
}

//! `Step`: one SQL statement described as data (its text, its parameters, and the conflict it
//! means when it changes no row or meets a duplicate key), so that the pool's path and the
//! local writer's path run the same description.

use cognate_domain::store::ConflictOn;

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

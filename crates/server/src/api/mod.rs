//! The AWS front ends, one module per service: cognito-idp and cognito-identity (AWS JSON 1.1
//! on `POST /`), STS and IAM (the query protocol), and cognito-sync (REST-JSON under
//! `/identitypools`). Each parses the wire, calls the domain once per operation and renders the
//! answer; authorisation comes from [`crate::auth`].

pub mod iam;
pub mod identity;
pub mod idp;
pub mod sts;
pub mod sync;

/// The status an operation has in a `docs/compat/` table (`implemented`, `partial`, `not yet`).
#[cfg(test)]
pub(crate) fn compat_status(table: &str, operation: &str) -> String {
    let row = table
        .lines()
        .find(|line| line.starts_with(&format!("| {operation} |")))
        .unwrap_or_else(|| panic!("{operation} has no row in the compatibility table"));
    row.split('|').nth(3).unwrap().trim().to_string()
}

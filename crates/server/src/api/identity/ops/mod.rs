//! The cognito-identity handlers, one family per file: each parses its typed request from the
//! body, makes one domain call and writes its typed answer.

pub mod developer;
pub mod identities;
pub mod pools;

use serde::de::DeserializeOwned;

use crate::aws::json::{parse_input_as, ApiError};

/// An operation's typed request; a missing required member is Cognito Identity's
/// ValidationException.
pub fn input<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    parse_input_as(body, "ValidationException")
}

/// An `IdentityPoolId` member, parsed where it enters.
pub fn pool_id(value: &str) -> Result<cognate_domain::ids::IdentityPoolId, ApiError> {
    cognate_domain::ids::IdentityPoolId::parse(value).map_err(crate::api::identity::error::error_from_domain)
}

/// An `IdentityId` member, parsed where it enters.
pub fn identity_id(value: &str) -> Result<cognate_domain::ids::IdentityId, ApiError> {
    cognate_domain::ids::IdentityId::parse(value).map_err(crate::api::identity::error::error_from_domain)
}

/// `MaxResults`, which the listings require.
pub fn max_results(value: Option<i64>) -> Result<i32, ApiError> {
    value.map(|value| value as i32).ok_or_else(|| {
        ApiError::client("ValidationException", crate::aws::validation::missing("maxResults"))
    })
}

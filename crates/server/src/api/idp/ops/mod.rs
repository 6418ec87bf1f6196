//! The cognito-idp handlers, a file per operation family. Each parses its wire input, calls the
//! domain and renders the wire output. Every operation here is signed with the root credentials.

pub mod auth;
pub mod clients;
pub mod devices;
pub mod events;
pub mod groups;
pub mod hosted;
pub mod import;
pub mod mfa;
pub mod oauth;
pub mod passkeys;
pub mod pools;
pub mod sign_up;
pub mod users;

use crate::aws::json::ApiError;

pub use crate::aws::json::empty;

/// A `ClientId` member, parsed where it enters.
pub fn client_id(value: &str) -> Result<cognate_domain::ids::ClientId, ApiError> {
    cognate_domain::ids::ClientId::parse(value).map_err(crate::api::idp::error::error_from_domain)
}

/// A `UserPoolId` member, parsed where it enters.
pub fn pool_id(value: &str) -> Result<cognate_domain::ids::UserPoolId, ApiError> {
    cognate_domain::ids::UserPoolId::parse(value).map_err(crate::api::idp::error::error_from_domain)
}

/// The error of a required member the request left out (one that the operation's shape leaves
/// optional because another form of the operation does not need it).
pub fn missing_member(member: &str) -> ApiError {
    ApiError::client("InvalidParameterException", crate::aws::validation::missing(member))
}

//! The cognito-idp handlers, a file per operation family. Each parses its wire input, calls the
//! domain and renders the wire output. Every operation here is signed with the root credentials.

pub mod auth;
pub mod clients;
pub mod groups;
pub mod hosted;
pub mod oauth;
pub mod pools;
pub mod sign_up;
pub mod users;

use serde_json::Value;

use crate::aws::json::{parse_input, ApiError};

pub use crate::aws::json::empty;

/// A `ClientId` member, parsed where it enters.
pub fn client_id(value: &str) -> Result<cognate_domain::ids::ClientId, ApiError> {
    cognate_domain::ids::ClientId::parse(value).map_err(crate::api::idp::error::error_from_domain)
}

/// A `UserPoolId` member, parsed where it enters.
pub fn pool_id(value: &str) -> Result<cognate_domain::ids::UserPoolId, ApiError> {
    cognate_domain::ids::UserPoolId::parse(value).map_err(crate::api::idp::error::error_from_domain)
}

/// Copies the members the domain keeps without interpreting, checking each has the JSON type
/// the model gives it (`true`: structure, `false`: string).
pub fn opaque_members(
    raw: &[u8],
    members: &[(&str, bool)],
) -> Result<cognate_domain::user_pool::OpaqueSettings, ApiError> {
    // The opaque settings are kept as their wire JSON (the domain stores them uninterpreted), so
    // these members, and only these, are read as JSON values.
    let body: std::collections::BTreeMap<String, Value> = parse_input(raw)?;
    let mut opaque = cognate_domain::user_pool::OpaqueSettings::new();
    for (name, is_structure) in members {
        match body.get(*name) {
            None | Some(Value::Null) => {}
            Some(value) if (*is_structure && value.is_object()) || (!*is_structure && value.is_string()) => {
                opaque.insert(name.to_string(), value.clone());
            }
            Some(_) => {
                return Err(ApiError::serialization(format!(
                    "{name} must be a {}.",
                    if *is_structure { "structure" } else { "string" }
                )))
            }
        }
    }
    Ok(opaque)
}

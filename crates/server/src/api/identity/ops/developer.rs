//! Developer-authenticated identities: GetOpenIdTokenForDeveloperIdentity,
//! LookupDeveloperIdentity, MergeDeveloperIdentities and UnlinkDeveloperIdentity. Authorisation:
//! SigV4 (root, or a session the policy engine allows on the pool's ARN).

use serde_json::Value;

use super::{identity_id, pool_id};
use super::input;
use crate::aws::json::{empty, to_body};
use crate::api::identity::error::error_from_domain;
use crate::api::identity::wire::*;
use crate::aws::json::ApiError;
use crate::state::AppState;

pub async fn get_open_id_token_for_developer_identity(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: GetOpenIdTokenForDeveloperIdentityRequest = input(body)?;
    let (identity_id, token) = state
        .identity_pools
        .get_open_id_token_for_developer_identity(
            &pool_id(&request.identity_pool_id)?,
            request.identity_id.as_deref(),
            &request.logins.unwrap_or_default(),
            request.token_duration,
        )
        .await
        .map_err(error_from_domain)?;
    to_body(&OpenIdTokenResponse { identity_id, token })
}

pub async fn lookup_developer_identity(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: LookupDeveloperIdentityRequest = input(body)?;
    let (identity_id, developer_user_identifier_list) = state
        .identity_pools
        .lookup_developer_identity(&pool_id(&request.identity_pool_id)?, request.identity_id.as_deref(), request.developer_user_identifier.as_deref())
        .await
        .map_err(error_from_domain)?;
    to_body(&LookupDeveloperIdentityResponse { identity_id, developer_user_identifier_list })
}

pub async fn merge_developer_identities(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: MergeDeveloperIdentitiesRequest = input(body)?;
    // The merged-away identity's sync datasets go with it, in the same transaction.
    let identity_id = state
        .sync
        .merge_developer_identities(
            &pool_id(&request.identity_pool_id)?,
            &request.developer_provider_name,
            &request.source_user_identifier,
            &request.destination_user_identifier,
        )
        .await
        .map_err(error_from_domain)?;
    to_body(&IdentityIdResponse { identity_id })
}

pub async fn unlink_developer_identity(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: UnlinkDeveloperIdentityRequest = input(body)?;
    state
        .identity_pools
        .unlink_developer_identity(&pool_id(&request.identity_pool_id)?, &identity_id(&request.identity_id)?, &request.developer_provider_name, &request.developer_user_identifier)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

//! Identities and the trade of logins: GetId, GetCredentialsForIdentity, GetOpenIdToken and
//! UnlinkIdentity (unsigned: the logins are the proof), and DescribeIdentity, ListIdentities and
//! DeleteIdentities (SigV4; a session is checked against each identity's own pool).

use serde_json::Value;

use super::{identity_id, pool_id};
use super::{input, max_results};
use crate::aws::json::{empty, to_body};
use crate::api::identity::error::error_from_domain;
use crate::api::identity::wire::*;
use crate::aws::json::ApiError;
use crate::state::AppState;

pub async fn get_id(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: GetIdRequest = input(body)?;
    if let Some(account) = &request.account_id {
        if *account != state.config.account_id {
            return Err(ApiError::client("NotAuthorizedException", "The account id does not own this identity pool."));
        }
    }
    let identity_id =
        state.identity_pools.get_id(&pool_id(&request.identity_pool_id)?, &request.logins.unwrap_or_default()).await.map_err(error_from_domain)?;
    to_body(&IdentityIdResponse { identity_id })
}

pub async fn get_credentials_for_identity(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: GetCredentialsForIdentityRequest = input(body)?;
    let result = state
        .identity_pools
        .get_credentials_for_identity(&identity_id(&request.identity_id)?, &request.logins.unwrap_or_default(), request.custom_role_arn.as_deref())
        .await
        .map_err(error_from_domain)?;
    to_body(&GetCredentialsForIdentityResponse {
        identity_id: result.identity_id,
        credentials: CredentialsShape {
            access_key_id: result.credentials.access_key_id,
            secret_key: result.credentials.secret_access_key,
            session_token: result.credentials.session_token,
            expiration: result.credentials.expiration_ms.div_euclid(1000),
        },
    })
}

pub async fn get_open_id_token(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: GetOpenIdTokenRequest = input(body)?;
    let (identity_id, token) =
        state.identity_pools.get_open_id_token(&identity_id(&request.identity_id)?, &request.logins.unwrap_or_default()).await.map_err(error_from_domain)?;
    to_body(&OpenIdTokenResponse { identity_id, token })
}

pub async fn unlink_identity(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: UnlinkIdentityRequest = input(body)?;
    state
        .identity_pools
        .unlink_identity(&identity_id(&request.identity_id)?, &request.logins.unwrap_or_default(), &request.logins_to_remove.unwrap_or_default())
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn describe_identity(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: IdentityIdInput = input(body)?;
    let identity = state.identity_pools.describe_identity(&identity_id(&request.identity_id)?).await.map_err(error_from_domain)?;
    to_body(&IdentityDescription::of(&identity))
}

pub async fn list_identities(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: ListIdentitiesRequest = input(body)?;
    let max = max_results(request.max_results)?;
    let (identities, next_token) = state
        .identity_pools
        .list_identities(&pool_id(&request.identity_pool_id)?, max, request.next_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    to_body(&ListIdentitiesResponse {
        identity_pool_id: request.identity_pool_id,
        identities: identities.iter().map(IdentityDescription::of).collect(),
        next_token,
    })
}

pub async fn delete_identities(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: DeleteIdentitiesRequest = input(body)?;
    let unprocessed = state.identity_pools.delete_identities(&request.identity_ids_to_delete.unwrap_or_default()).await.map_err(error_from_domain)?;
    to_body(&DeleteIdentitiesResponse {
        unprocessed_identity_ids: unprocessed
            .into_iter()
            .map(|identity_id| UnprocessedIdentityId { identity_id, error_code: "InternalServerError" })
            .collect(),
    })
}

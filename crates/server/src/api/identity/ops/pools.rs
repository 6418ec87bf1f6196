//! Identity pools: CreateIdentityPool, DescribeIdentityPool, UpdateIdentityPool,
//! DeleteIdentityPool, ListIdentityPools, SetIdentityPoolRoles, GetIdentityPoolRoles, the
//! principal tag mappings (Get/SetPrincipalTagAttributeMap) and the tagging operations. Authorisation: SigV4 (root, or a session the policy engine allows on the
//! pool's ARN).

use serde_json::Value;

use cognate_domain::DomainResult;

use super::pool_id;
use super::{input, max_results};
use crate::aws::json::{empty, to_body};
use crate::api::identity::error::error_from_domain;
use crate::api::identity::wire::*;
use crate::aws::json::{parse_input, ApiError};
use crate::state::AppState;

pub async fn create_identity_pool(state: &AppState, body: &[u8], region: &str) -> Result<Value, ApiError> {
    let request: IdentityPoolInput = parse_input(body)?;
    let pool = state.identity_pools.create_pool_in(region, request.settings()?).await.map_err(error_from_domain)?;
    to_body(&IdentityPoolShape::of(&pool))
}

pub async fn describe_identity_pool(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: IdentityPoolIdInput = input(body)?;
    let pool = state.identity_pools.describe_pool(&pool_id(&request.identity_pool_id)?).await.map_err(error_from_domain)?;
    to_body(&IdentityPoolShape::of(&pool))
}

pub async fn update_identity_pool(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: IdentityPoolInput = parse_input(body)?;
    let given = request.identity_pool_id.as_deref().ok_or_else(|| {
        ApiError::client("ValidationException", crate::aws::validation::missing("identityPoolId"))
    })?;
    let pool_id = pool_id(given)?;
    let tags_given = request.identity_pool_tags.is_some();
    let pool = state.identity_pools.update_pool(&pool_id, request.settings()?, tags_given).await.map_err(error_from_domain)?;
    to_body(&IdentityPoolShape::of(&pool))
}

pub async fn delete_identity_pool(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: IdentityPoolIdInput = input(body)?;
    state.identity_pools.delete_pool(&pool_id(&request.identity_pool_id)?).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_identity_pools(state: &AppState, body: &[u8], region: &str) -> Result<Value, ApiError> {
    let request: ListIdentityPoolsRequest = input(body)?;
    let max = max_results(request.max_results)?;
    let (pools, next_token) = state.identity_pools.list_pools_in(region, max, request.next_token.as_deref()).await.map_err(error_from_domain)?;
    to_body(&ListIdentityPoolsResponse {
        identity_pools: pools
            .iter()
            .map(|pool| IdentityPoolShortDescription { identity_pool_id: pool.id.to_string(), identity_pool_name: pool.settings.name.clone() })
            .collect(),
        next_token,
    })
}

pub async fn set_identity_pool_roles(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: SetIdentityPoolRolesRequest = input(body)?;
    let mappings = request
        .role_mappings
        .unwrap_or_default()
        .into_iter()
        .map(|(provider, shape)| Ok((provider, shape.into_domain()?)))
        .collect::<DomainResult<_>>()
        .map_err(error_from_domain)?;
    state
        .identity_pools
        .set_roles(&pool_id(&request.identity_pool_id)?, request.roles.unwrap_or_default(), mappings)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn get_identity_pool_roles(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: IdentityPoolIdInput = input(body)?;
    let pool = state.identity_pools.describe_pool(&pool_id(&request.identity_pool_id)?).await.map_err(error_from_domain)?;
    let mappings: std::collections::BTreeMap<String, RoleMappingShape> =
        pool.role_mappings.iter().map(|(provider, mapping)| (provider.clone(), RoleMappingShape::of(mapping))).collect();
    to_body(&GetIdentityPoolRolesResponse {
        identity_pool_id: pool.id.to_string(),
        roles: pool.roles.clone(),
        role_mappings: (!mappings.is_empty()).then_some(mappings),
    })
}

pub async fn set_principal_tag_attribute_map(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: SetPrincipalTagMapInput = input(body)?;
    let map = cognate_domain::identity_pool::PrincipalTagMap {
        use_defaults: request.use_defaults.unwrap_or(false),
        tags: request.principal_tags.unwrap_or_default(),
    };
    let pool_id = pool_id(&request.identity_pool_id)?;
    let map = state.identity_pools.set_principal_tags(&pool_id, &request.identity_provider_name, map).await.map_err(error_from_domain)?;
    principal_tag_answer(&pool_id, request.identity_provider_name, map)
}

pub async fn get_principal_tag_attribute_map(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: PrincipalTagMapInput = input(body)?;
    let pool_id = pool_id(&request.identity_pool_id)?;
    let map = state.identity_pools.principal_tags(&pool_id, &request.identity_provider_name).await.map_err(error_from_domain)?;
    principal_tag_answer(&pool_id, request.identity_provider_name, map)
}

/// Get/SetPrincipalTagAttributeMap's answer.
fn principal_tag_answer(
    pool_id: &cognate_domain::ids::IdentityPoolId,
    provider: String,
    map: cognate_domain::identity_pool::PrincipalTagMap,
) -> Result<Value, ApiError> {
    to_body(&PrincipalTagMapResponse {
        identity_pool_id: pool_id.to_string(),
        identity_provider_name: provider,
        use_defaults: map.use_defaults,
        principal_tags: map.tags,
    })
}

pub async fn tag_resource(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: TagResourceRequest = input(body)?;
    state.identity_pools.tag_pool(&request.resource_arn, request.tags.unwrap_or_default()).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn untag_resource(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: UntagResourceRequest = input(body)?;
    state.identity_pools.untag_pool(&request.resource_arn, &request.tag_keys.unwrap_or_default()).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_tags_for_resource(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let request: ResourceArnInput = input(body)?;
    let pool = state.identity_pools.pool_of_arn(&request.resource_arn).await.map_err(error_from_domain)?;
    to_body(&TagsResponse { tags: pool.settings.tags.clone() })
}

//! CreateResourceServer, DescribeResourceServer, UpdateResourceServer, DeleteResourceServer and
//! ListResourceServers. Authorisation: SigV4.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use cognate_domain::user_pool::oauth::{ResourceServer, ResourceServerScope};

use super::pool_id;
use super::empty;
use crate::state::AppState;
use crate::aws::json::{parse_input, ApiError};
use crate::api::idp::error::error_from_domain;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ScopeShape {
    scope_name: String,
    scope_description: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceServerRequest {
    user_pool_id: String,
    identifier: String,
    name: String,
    #[serde(default)]
    scopes: Option<Vec<ScopeShape>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceServerKey {
    user_pool_id: String,
    identifier: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    user_pool_id: String,
    max_results: i32,
    #[serde(default)]
    next_token: Option<String>,
}

fn server_of(request: ResourceServerRequest) -> Result<ResourceServer, ApiError> {
    Ok(ResourceServer {
        pool_id: pool_id(&request.user_pool_id)?,
        identifier: request.identifier,
        name: request.name,
        scopes: request
            .scopes
            .unwrap_or_default()
            .into_iter()
            .map(|scope| ResourceServerScope { name: scope.scope_name, description: scope.scope_description })
            .collect(),
    })
}

fn server_output(server: &ResourceServer) -> Value {
    let mut output = json!({
        "UserPoolId": server.pool_id,
        "Identifier": server.identifier,
        "Name": server.name,
    });
    // A resource server created without scopes has no Scopes member, as in Cognito.
    if !server.scopes.is_empty() {
        output["Scopes"] = server.scopes.iter().map(|scope| json!({"ScopeName": scope.name, "ScopeDescription": scope.description})).collect();
    }
    output
}

pub async fn create_resource_server(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ResourceServerRequest = parse_input(input)?;
    let server = state.user_pools.create_resource_server(server_of(request)?).await.map_err(error_from_domain)?;
    Ok(json!({"ResourceServer": server_output(&server)}))
}

pub async fn update_resource_server(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ResourceServerRequest = parse_input(input)?;
    let server = state.user_pools.update_resource_server(server_of(request)?).await.map_err(error_from_domain)?;
    Ok(json!({"ResourceServer": server_output(&server)}))
}

pub async fn describe_resource_server(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let key: ResourceServerKey = parse_input(input)?;
    let server = state.user_pools.describe_resource_server(&pool_id(&key.user_pool_id)?, &key.identifier).await.map_err(error_from_domain)?;
    Ok(json!({"ResourceServer": server_output(&server)}))
}

pub async fn delete_resource_server(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let key: ResourceServerKey = parse_input(input)?;
    state.user_pools.delete_resource_server(&pool_id(&key.user_pool_id)?, &key.identifier).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_resource_servers(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ListRequest = parse_input(input)?;
    let (servers, next) = state
        .user_pools
        .list_resource_servers(&pool_id(&request.user_pool_id)?, request.max_results, request.next_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    Ok(json!({"ResourceServers": servers.iter().map(server_output).collect::<Vec<_>>(), "NextToken": next}))
}

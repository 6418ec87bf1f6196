//! Usage: DescribeIdentityUsage, DescribeIdentityPoolUsage and ListIdentityPoolUsage (the last
//! for the developer only).

use serde_json::Value;

use super::Call;
use crate::aws::json::to_body;
use crate::api::sync::error::error_from_domain;
use crate::api::sync::router::{integer_param, query_param};
use crate::api::sync::wire::*;
use crate::aws::json::ApiError;

pub async fn describe_identity_usage(call: &Call<'_>) -> Result<Value, ApiError> {
    let usage = call.state.sync.identity_usage(&call.pool()?, &call.identity()?).await.map_err(error_from_domain)?;
    to_body(&IdentityUsageResponse { identity_usage: IdentityUsageShape::of(&usage) })
}

pub async fn describe_identity_pool_usage(call: &Call<'_>) -> Result<Value, ApiError> {
    let usage = call.state.sync.pool_usage(&call.pool()?).await.map_err(error_from_domain)?;
    to_body(&PoolUsageResponse { identity_pool_usage: PoolUsageShape::of(&usage) })
}

pub async fn list_identity_pool_usage(call: &Call<'_>) -> Result<Value, ApiError> {
    let (usages, max_results, next_token) = call
        .state
        .sync
        .list_pool_usage(integer_param(call.uri, "maxResults")?, query_param(call.uri, "nextToken").as_deref())
        .await
        .map_err(error_from_domain)?;
    to_body(&ListPoolUsageResponse {
        identity_pool_usages: usages.iter().map(PoolUsageShape::of).collect(),
        max_results,
        count: usages.len(),
        next_token,
    })
}

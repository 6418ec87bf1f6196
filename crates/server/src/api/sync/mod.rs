//! The Cognito Sync API (REST-JSON, 2014-06-30) under `/identitypools`: datasets and records,
//! usage, devices and subscriptions, pool configuration and the Sync trigger. Every request is
//! SigV4-signed for `cognito-sync`. Temporary credentials of an identity reach only that
//! identity's data and must be allowed `cognito-sync:<Operation>` on the resource by their
//! role's policies; the operations for developers (pool configuration, events, bulk publish,
//! pool usage) take the root credentials.

pub mod error;
pub mod operations;
mod ops;
pub mod router;
pub mod wire;

pub use error::error_from_domain;

use std::net::SocketAddr;

use async_trait::async_trait;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use serde_json::Value;

use crate::auth::{AuthFailure, Principal};
use crate::dispatch::{serve_rest, Answer, AwsApi, AwsRequest, OperationRef, Protocol, Refusal};
use crate::aws::json::ApiError;
use crate::state::{AppState, OperationName, RequestId};
use operations::{Operation, DEVELOPER_ONLY, IDENTITY_ONLY};
use ops::Call;
use router::{route, Route};

/// The identity a principal acts as: an identity session's own identity, or None for the
/// developer's credentials (the root's, or an IAM user's as its policies allow).
fn session_identity(principal: &Principal) -> Result<Option<String>, ApiError> {
    match principal {
        Principal::Root | Principal::User(_) | Principal::RootSession(_) => Ok(None),
        Principal::Session(session) => session
            .context
            .get("cognito-identity.amazonaws.com:sub")
            .and_then(|values| values.first())
            .cloned()
            .map(Some)
            .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "NotAuthorizedException", "These credentials do not belong to an identity.")),
    }
}

fn resource_arn(state: &AppState, route: &Route) -> String {
    // In the identity pool's own region (the default one for account-wide operations).
    let region = route.pool_id.as_deref().map(cognate_domain::ids::region_of).filter(|region| !region.is_empty()).unwrap_or(&state.config.region);
    cognate_domain::ids::arn::sync_resource(
        region,
        &state.config.account_id,
        route.pool_id.as_deref(),
        route.identity_id.as_deref(),
        route.dataset.as_deref(),
    )
}

/// Cognito Sync as the generic server serves it, for one request already routed by its method
/// and path.
pub struct SyncApi {
    route: Route,
}

#[async_trait]
impl AwsApi for SyncApi {
    fn service(&self) -> &'static str {
        "cognito-sync"
    }

    fn protocol(&self) -> Protocol {
        Protocol::RestJson
    }

    fn operation(&self, name: &str) -> Option<OperationRef> {
        Operation::lookup(name)
    }

    /// An identity's credentials reach only that identity's data, and never the developer's
    /// operations; the developer's reach neither the device operations.
    fn check_principal(&self, _state: &AppState, operation: OperationRef, principal: &Principal, _request: &AwsRequest<'_>) -> Result<(), Refusal> {
        let forbidden = |message: String| Refusal::Json(ApiError::new(StatusCode::FORBIDDEN, "NotAuthorizedException", message));
        let (route, acting, name) = (&self.route, self.route.operation, operation.name);
        match session_identity(principal).map_err(Refusal::Json)? {
            Some(own) => {
                if DEVELOPER_ONLY.contains(&acting) || route.identity_id.is_none() {
                    return Err(forbidden(format!("{name} needs developer credentials.")));
                }
                if route.identity_id.as_deref().is_some_and(|identity| identity != own) {
                    return Err(forbidden(format!("Access to Identity '{}' is forbidden.", route.identity_id.clone().unwrap_or_default())));
                }
                Ok(())
            }
            None if IDENTITY_ONLY.contains(&acting) => Err(forbidden(format!("{name} needs the identity's own credentials."))),
            None => Ok(()),
        }
    }

    /// The dataset, identity or pool of the path.
    async fn resources(&self, state: &AppState, _operation: OperationRef, _request: &AwsRequest<'_>) -> Vec<String> {
        vec![resource_arn(state, &self.route)]
    }

    /// A policy's refusal is Cognito Sync's NotAuthorizedException.
    fn policy_refusal(&self, failure: AuthFailure) -> Refusal {
        match failure {
            AuthFailure::Denied(message) => Refusal::Json(ApiError::new(StatusCode::FORBIDDEN, "NotAuthorizedException", message)),
            other => Refusal::Json(other.into_json()),
        }
    }

    async fn handle(&self, state: &AppState, _operation: OperationRef, request: AwsRequest<'_>) -> Result<Answer, Refusal> {
        let acting_identity = match request.principal {
            Some(principal) => session_identity(principal).map_err(Refusal::Json)?,
            None => None,
        };
        let modified_by = acting_identity.clone().unwrap_or_else(|| state.config.account_id.clone());
        let call = Call { state, route: &self.route, uri: request.uri, body: request.body, modified_by: &modified_by, by_identity: acting_identity.is_some() };
        run(&call).await.map(Answer::Json).map_err(Refusal::Json)
    }
}

/// Every `/identitypools…` request: routed here, then served by the generic server.
pub async fn handle(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(route) = route(&method, uri.path()) else {
        let error = ApiError::new(StatusCode::NOT_FOUND, "UnknownOperationException", format!("No route for {method} {}", uri.path()));
        return error.into_response_with(&request_id.0);
    };
    let operation = route.operation;
    let Ok(body) = to_bytes(body, state.config.max_body_bytes).await else {
        let error = ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLargeException", "The request body is too large.");
        let mut response = error.into_response_with(&request_id.0);
        response.extensions_mut().insert(OperationName(operation.name()));
        return response;
    };
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let reference = OperationRef { name: operation.name(), authentication: operation.authentication() };
    serve_rest(&state, &SyncApi { route }, reference, &request_id.0, peer, method.as_str(), &uri, &headers, &body).await
}

/// Runs one routed, authorised call.
async fn run(call: &Call<'_>) -> Result<Value, ApiError> {
    use Operation::*;
    match call.route.operation {
        ListRecords => ops::datasets::list_records(call).await,
        UpdateRecords => ops::datasets::update_records(call).await,
        DescribeDataset => ops::datasets::describe_dataset(call).await,
        DeleteDataset => ops::datasets::delete_dataset(call).await,
        ListDatasets => ops::datasets::list_datasets(call).await,
        DescribeIdentityUsage => ops::usage::describe_identity_usage(call).await,
        DescribeIdentityPoolUsage => ops::usage::describe_identity_pool_usage(call).await,
        ListIdentityPoolUsage => ops::usage::list_identity_pool_usage(call).await,
        RegisterDevice => ops::devices::register_device(call).await,
        SubscribeToDataset => ops::devices::subscribe_to_dataset(call, true).await,
        UnsubscribeFromDataset => ops::devices::subscribe_to_dataset(call, false).await,
        GetIdentityPoolConfiguration => ops::config::get_identity_pool_configuration(call).await,
        SetIdentityPoolConfiguration => ops::config::set_identity_pool_configuration(call).await,
        GetCognitoEvents => ops::config::get_cognito_events(call).await,
        SetCognitoEvents => ops::config::set_cognito_events(call).await,
        BulkPublish => ops::config::bulk_publish(call).await,
        GetBulkPublishDetails => ops::config::get_bulk_publish_details(call).await,
    }
}

#[cfg(test)]
mod compat {
    use super::operations::{Operation, NOT_IMPLEMENTED};

    /// docs/compat/cognito-sync.md lists every operation; the two not built say so.
    #[test]
    fn sync_table_matches_the_router() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/cognito-sync.md")).unwrap();
        for operation in Operation::ALL {
            let status = crate::api::compat_status(&table, operation.name());
            let built = !NOT_IMPLEMENTED.contains(operation);
            assert_eq!(status != "not yet", built, "{operation:?} is listed as {status}");
        }
        assert_eq!(Operation::ALL.len(), 17);
    }
}

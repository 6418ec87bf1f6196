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

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use serde_json::Value;

use crate::auth::{authenticate, AuthFailure, Principal};
use crate::aws::json::{self, ApiError};
use crate::state::{AppState, OperationName, RequestId};
use operations::{Operation, DEVELOPER_ONLY, IDENTITY_ONLY};
use ops::Call;
use router::{route, Route};

/// The identity a principal acts as: an identity session's own identity, or None for the
/// developer (root) credentials.
fn session_identity(principal: &Principal) -> Result<Option<String>, ApiError> {
    match principal {
        Principal::Root => Ok(None),
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
    let mut arn = format!("arn:aws:cognito-sync:{region}:{}:identitypool", state.config.account_id);
    if let Some(pool) = &route.pool_id {
        arn.push_str(&format!("/{pool}"));
    } else {
        arn.push_str("/*");
    }
    if let Some(identity) = &route.identity_id {
        arn.push_str(&format!("/identity/{identity}"));
    }
    if let Some(dataset) = &route.dataset {
        arn.push_str(&format!("/dataset/{dataset}"));
    }
    arn
}

/// Every `/identitypools…` request.
pub async fn handle(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
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
    let name = operation.name();
    let outcome = async {
        let body = to_bytes(body, state.config.max_body_bytes).await.map_err(|_| {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLargeException", "The request body is too large.")
        })?;
        let (principal, _) = authenticate(&state, "cognito-sync", method.as_str(), &uri, &headers, &body).await.map_err(AuthFailure::into_json)?;
        let acting_identity = session_identity(&principal)?;
        let forbidden = |message: String| ApiError::new(StatusCode::FORBIDDEN, "NotAuthorizedException", message);
        match &acting_identity {
            Some(own) => {
                if DEVELOPER_ONLY.contains(&operation) {
                    return Err(forbidden(format!("{name} needs developer credentials.")));
                }
                if route.identity_id.as_deref().is_some_and(|identity| identity != own) {
                    return Err(forbidden(format!("Access to Identity '{}' is forbidden.", route.identity_id.clone().unwrap_or_default())));
                }
                if route.identity_id.is_none() {
                    return Err(forbidden(format!("{name} needs developer credentials.")));
                }
                let resource = resource_arn(&state, &route);
                crate::auth::authorize(&state, &principal, &format!("cognito-sync:{name}"), &resource)
                    .await
                    .map_err(|failure| match failure {
                        AuthFailure::Denied(message) => forbidden(message),
                        other => other.into_json(),
                    })?;
            }
            None if IDENTITY_ONLY.contains(&operation) => {
                return Err(forbidden(format!("{name} needs the identity's own credentials.")));
            }
            None => {}
        }
        let modified_by = acting_identity.clone().unwrap_or_else(|| state.config.account_id.clone());
        json::check_body(&body)?;
        let call = Call { state: &state, route: &route, uri: &uri, body: &body, modified_by: &modified_by, by_identity: acting_identity.is_some() };
        run(&call).await
    }
    .await;
    let mut response = match outcome {
        Ok(value) => json::success(value, &request_id.0),
        Err(error) => error.into_response_with(&request_id.0),
    };
    response.extensions_mut().insert(OperationName(name));
    response
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

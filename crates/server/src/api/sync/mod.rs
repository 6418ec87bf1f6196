//! The Cognito Sync API (REST-JSON, 2014-06-30) under `/identitypools`: datasets and records,
//! usage, devices and subscriptions, pool configuration and the Sync trigger. Every request is
//! SigV4-signed for `cognito-sync`. Temporary credentials of an identity reach only that
//! identity's data and must be allowed `cognito-sync:<Operation>` on the resource by their
//! role's policies; the operations for developers (pool configuration, events, bulk publish,
//! pool usage) take the root credentials.

pub mod error;
pub mod streams;

pub use error::error_from_domain;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};

use cognate_domain::sync::{DatasetRecord, PoolSyncConfiguration, RecordPatch, SyncRecord};
use cognate_domain::DomainError;

use crate::state::{AppState, OperationName, RequestId};
use crate::aws::json::{self, timestamp, ApiError};
use crate::auth::{authenticate, AuthFailure, Principal};

/// Every operation of the cognito-sync model.
pub const OPERATIONS: &[&str] = &[
    "BulkPublish",
    "DeleteDataset",
    "DescribeDataset",
    "DescribeIdentityPoolUsage",
    "DescribeIdentityUsage",
    "GetBulkPublishDetails",
    "GetCognitoEvents",
    "GetIdentityPoolConfiguration",
    "ListDatasets",
    "ListIdentityPoolUsage",
    "ListRecords",
    "RegisterDevice",
    "SetCognitoEvents",
    "SetIdentityPoolConfiguration",
    "SubscribeToDataset",
    "UnsubscribeFromDataset",
    "UpdateRecords",
];

/// The operations that answer NotImplementedException.
pub const NOT_IMPLEMENTED: &[&str] = &[];

/// Operations only developer (root) credentials may call.
const DEVELOPER_ONLY: &[&str] = &[
    "BulkPublish",
    "GetBulkPublishDetails",
    "GetCognitoEvents",
    "SetCognitoEvents",
    "GetIdentityPoolConfiguration",
    "SetIdentityPoolConfiguration",
    "ListIdentityPoolUsage",
];

/// Operations only identity credentials may call.
const IDENTITY_ONLY: &[&str] = &["RegisterDevice", "SubscribeToDataset", "UnsubscribeFromDataset"];


/// A request matched to an operation, with its path parameters decoded.
struct Route {
    operation: &'static str,
    pool_id: Option<String>,
    identity_id: Option<String>,
    dataset: Option<String>,
    device_id: Option<String>,
}

fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let segments: Vec<String> = path.trim_matches('/').split('/').map(decode_segment).collect();
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    let delete = *method == Method::DELETE;
    let mut route = Route { operation: "", pool_id: None, identity_id: None, dataset: None, device_id: None };
    let operation = match parts.as_slice() {
        ["identitypools"] if get => "ListIdentityPoolUsage",
        ["identitypools", pool] => {
            route.pool_id = Some(pool.to_string());
            if get { "DescribeIdentityPoolUsage" } else { return None }
        }
        ["identitypools", pool, action] => {
            route.pool_id = Some(pool.to_string());
            match (*action, post, get) {
                ("bulkpublish", true, _) => "BulkPublish",
                ("getBulkPublishDetails", true, _) => "GetBulkPublishDetails",
                ("events", _, true) => "GetCognitoEvents",
                ("events", true, _) => "SetCognitoEvents",
                ("configuration", _, true) => "GetIdentityPoolConfiguration",
                ("configuration", true, _) => "SetIdentityPoolConfiguration",
                _ => return None,
            }
        }
        ["identitypools", pool, "identities", identity] if get => {
            route.pool_id = Some(pool.to_string());
            route.identity_id = Some(identity.to_string());
            "DescribeIdentityUsage"
        }
        ["identitypools", pool, "identity", identity, "device"] if post => {
            route.pool_id = Some(pool.to_string());
            route.identity_id = Some(identity.to_string());
            "RegisterDevice"
        }
        ["identitypools", pool, "identities", identity, "datasets"] if get => {
            route.pool_id = Some(pool.to_string());
            route.identity_id = Some(identity.to_string());
            "ListDatasets"
        }
        ["identitypools", pool, "identities", identity, "datasets", dataset, rest @ ..] => {
            route.pool_id = Some(pool.to_string());
            route.identity_id = Some(identity.to_string());
            route.dataset = Some(dataset.to_string());
            match (rest, method.clone()) {
                ([], Method::GET) => "DescribeDataset",
                ([], Method::DELETE) => "DeleteDataset",
                ([], Method::POST) => "UpdateRecords",
                (["records"], Method::GET) => "ListRecords",
                (["subscriptions", device], _) if post || delete => {
                    route.device_id = Some(device.to_string());
                    if post { "SubscribeToDataset" } else { "UnsubscribeFromDataset" }
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    route.operation = operation;
    Some(route)
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| decode_segment(&value.replace('+', " ")))
    })
}

fn integer_param(uri: &Uri, name: &str) -> Result<Option<i64>, ApiError> {
    query_param(uri, name)
        .map(|value| value.parse::<i64>().map_err(|_| ApiError::client("InvalidParameterException", format!("{name} must be an integer."))))
        .transpose()
}

fn dataset_output(dataset: &DatasetRecord) -> Value {
    json!({
        "IdentityId": dataset.identity_id,
        "DatasetName": dataset.name,
        "CreationDate": timestamp(dataset.created_ms),
        "LastModifiedDate": timestamp(dataset.modified_ms),
        "LastModifiedBy": dataset.last_modified_by,
        "DataStorage": dataset.storage_bytes,
        "NumRecords": dataset.record_count,
    })
}

fn record_output(record: &SyncRecord) -> Value {
    let mut output = json!({
        "Key": record.key,
        "SyncCount": record.sync_count,
        "LastModifiedDate": timestamp(record.modified_ms),
        "LastModifiedBy": record.modified_by,
    });
    if let Some(value) = &record.value {
        output["Value"] = json!(value);
    }
    if let Some(device_modified) = record.device_modified_ms {
        output["DeviceLastModifiedDate"] = json!(timestamp(device_modified));
    }
    output
}

fn configuration_output(pool_id: &str, configuration: &PoolSyncConfiguration) -> Value {
    let mut output = json!({"IdentityPoolId": pool_id});
    if configuration.push_application_arns.is_some() || configuration.push_role_arn.is_some() {
        output["PushSync"] = json!({"ApplicationArns": configuration.push_application_arns, "RoleArn": configuration.push_role_arn});
    }
    if configuration.stream_name.is_some() || configuration.streaming_status.is_some() {
        output["CognitoStreams"] = json!({
            "StreamName": configuration.stream_name,
            "RoleArn": configuration.stream_role_arn,
            "StreamingStatus": configuration.streaming_status,
        });
    }
    output
}

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
                    return Err(forbidden(format!("{operation} needs developer credentials.")));
                }
                if route.identity_id.as_deref().is_some_and(|identity| identity != own) {
                    return Err(forbidden(format!("Access to Identity '{}' is forbidden.", route.identity_id.clone().unwrap_or_default())));
                }
                if route.identity_id.is_none() {
                    return Err(forbidden(format!("{operation} needs developer credentials.")));
                }
                let resource = resource_arn(&state, &route);
                crate::auth::authorize(&state, &principal, &format!("cognito-sync:{operation}"), &resource)
                    .await
                    .map_err(|failure| match failure {
                        AuthFailure::Denied(message) => forbidden(message),
                        other => other.into_json(),
                    })?;
            }
            None if IDENTITY_ONLY.contains(&operation) => {
                return Err(forbidden(format!("{operation} needs the identity's own credentials.")));
            }
            None => {}
        }
        let modified_by = acting_identity.clone().unwrap_or_else(|| state.config.account_id.clone());
        let input = if body.is_empty() { json!({}) } else { json::check_body(&body).and_then(|()| serde_json::from_slice(&body).map_err(|error| ApiError::serialization(error.to_string())))? };
        run(&state, &route, &uri, input, &modified_by, acting_identity.is_some()).await
    }
    .await;
    let mut response = match outcome {
        Ok(value) => json::success(value, &request_id.0),
        Err(error) => error.into_response_with(&request_id.0),
    };
    response.extensions_mut().insert(OperationName(operation));
    response
}

/// Runs one operation; `by_identity` is true for an identity's own credentials (the Sync
/// trigger runs only for those).
async fn run(
    state: &AppState,
    route: &Route,
    uri: &Uri,
    input: Value,
    modified_by: &str,
    by_identity: bool,
) -> Result<Value, ApiError> {
    let sync = &state.sync;
    let pool = route.pool_id.clone().unwrap_or_default();
    let identity = route.identity_id.clone().unwrap_or_default();
    let dataset = route.dataset.clone().unwrap_or_default();
    let domain = |error: DomainError| error_from_domain(error);
    match route.operation {
        "ListRecords" => {
            let page = sync
                .list_records(
                    &pool,
                    &identity,
                    &dataset,
                    integer_param(uri, "lastSyncCount")?,
                    query_param(uri, "nextToken").as_deref(),
                    integer_param(uri, "maxResults")?,
                )
                .await
                .map_err(domain)?;
            Ok(json!({
                "Records": page.records.iter().map(record_output).collect::<Vec<_>>(),
                "NextToken": page.next_token,
                "Count": page.records.len(),
                "DatasetSyncCount": page.dataset_sync_count,
                "LastModifiedBy": page.last_modified_by,
                "MergedDatasetNames": page.merged_dataset_names,
                "DatasetExists": page.exists,
                "DatasetDeletedAfterRequestedSyncCount": page.deleted_after_requested,
                "SyncSessionToken": page.session_token,
            }))
        }
        "UpdateRecords" => {
            let token = input.get("SyncSessionToken").and_then(Value::as_str).ok_or_else(|| {
                ApiError::client("InvalidParameterException", "1 validation error detected: Value null at 'syncSessionToken' failed to satisfy constraint: Member must not be null")
            })?;
            let device_id = input.get("DeviceId").and_then(Value::as_str);
            let mut patches = Vec::new();
            for patch in input.get("RecordPatches").and_then(Value::as_array).cloned().unwrap_or_default() {
                let op = patch.get("Op").and_then(Value::as_str).unwrap_or("");
                if op != "replace" && op != "remove" {
                    return Err(ApiError::client("InvalidParameterException", format!("Op must be replace or remove, not '{op}'.")));
                }
                let key = patch.get("Key").and_then(Value::as_str).ok_or_else(|| ApiError::client("InvalidParameterException", "Each record patch needs a Key."))?;
                let sync_count = patch.get("SyncCount").and_then(Value::as_i64).ok_or_else(|| ApiError::client("InvalidParameterException", "Each record patch needs a SyncCount."))?;
                let device_modified_ms = patch.get("DeviceLastModifiedDate").and_then(Value::as_f64).map(|seconds| (seconds * 1000.0) as i64);
                patches.push(RecordPatch {
                    remove: op == "remove",
                    key: key.to_string(),
                    value: patch.get("Value").and_then(Value::as_str).map(str::to_string),
                    sync_count,
                    device_modified_ms,
                });
            }
            let records =
                sync.update_records(&pool, &identity, &dataset, device_id, &patches, token, modified_by, by_identity).await.map_err(domain)?;
            let output = json!({"Records": records.iter().map(record_output).collect::<Vec<_>>()});
            crate::api::sync::streams::after_write(state, &pool, &identity, &dataset, "replace", records);
            Ok(output)
        }
        "DescribeDataset" => Ok(json!({"Dataset": dataset_output(&sync.describe_dataset(&pool, &identity, &dataset).await.map_err(domain)?)})),
        "DeleteDataset" => {
            let deleted = sync.delete_dataset(&pool, &identity, &dataset, modified_by).await.map_err(domain)?;
            crate::api::sync::streams::after_write(state, &pool, &identity, &dataset, "remove", Vec::new());
            Ok(json!({"Dataset": dataset_output(&deleted)}))
        }
        "BulkPublish" => crate::api::sync::streams::bulk_publish(state, &pool).await,
        "GetBulkPublishDetails" => crate::api::sync::streams::bulk_publish_details(state, &pool).await,
        "ListDatasets" => {
            let (datasets, next) = sync
                .list_datasets(&pool, &identity, query_param(uri, "nextToken").as_deref(), integer_param(uri, "maxResults")?)
                .await
                .map_err(domain)?;
            Ok(json!({"Datasets": datasets.iter().map(dataset_output).collect::<Vec<_>>(), "Count": datasets.len(), "NextToken": next}))
        }
        "DescribeIdentityUsage" => {
            let usage = sync.identity_usage(&pool, &identity).await.map_err(domain)?;
            Ok(json!({"IdentityUsage": {
                "IdentityId": usage.identity_id,
                "IdentityPoolId": usage.pool_id,
                "LastModifiedDate": usage.last_modified_ms.map(timestamp),
                "DatasetCount": usage.dataset_count,
                "DataStorage": usage.storage_bytes,
            }}))
        }
        "DescribeIdentityPoolUsage" => {
            let usage = sync.pool_usage(&pool).await.map_err(domain)?;
            Ok(json!({"IdentityPoolUsage": {
                "IdentityPoolId": usage.pool_id,
                "DataStorage": usage.storage_bytes,
                "LastModifiedDate": usage.last_modified_ms.map(timestamp),
            }}))
        }
        "ListIdentityPoolUsage" => {
            let max = integer_param(uri, "maxResults")?.unwrap_or(60).clamp(1, 60) as i32;
            let (pools, next) = state.identity_pools.list_pools(max, query_param(uri, "nextToken").as_deref()).await.map_err(domain)?;
            let mut usages = Vec::with_capacity(pools.len());
            for pool in &pools {
                let usage = sync.pool_usage(&pool.id).await.map_err(domain)?;
                usages.push(json!({
                    "IdentityPoolId": usage.pool_id,
                    "DataStorage": usage.storage_bytes,
                    "LastModifiedDate": usage.last_modified_ms.map(timestamp),
                }));
            }
            Ok(json!({"IdentityPoolUsages": usages, "MaxResults": max, "Count": usages.len(), "NextToken": next}))
        }
        "RegisterDevice" => {
            let platform = input.get("Platform").and_then(Value::as_str).unwrap_or("");
            let token = input.get("Token").and_then(Value::as_str).unwrap_or("");
            let device_id = sync.register_device(&pool, &identity, platform, token).await.map_err(domain)?;
            Ok(json!({"DeviceId": device_id}))
        }
        "SubscribeToDataset" | "UnsubscribeFromDataset" => {
            let device = route.device_id.clone().unwrap_or_default();
            sync.subscribe(&pool, &identity, &dataset, &device, route.operation == "SubscribeToDataset").await.map_err(domain)?;
            Ok(json!({}))
        }
        "GetIdentityPoolConfiguration" => {
            let configuration = sync.configuration(&pool).await.map_err(domain)?;
            Ok(configuration_output(&pool, &configuration))
        }
        "SetIdentityPoolConfiguration" => {
            let mut configuration = sync.configuration(&pool).await.map_err(domain)?;
            if let Some(push) = input.get("PushSync") {
                configuration.push_application_arns = push
                    .get("ApplicationArns")
                    .and_then(Value::as_array)
                    .map(|items| items.iter().filter_map(Value::as_str).map(str::to_string).collect());
                configuration.push_role_arn = push.get("RoleArn").and_then(Value::as_str).map(str::to_string);
            }
            if let Some(streams) = input.get("CognitoStreams") {
                configuration.stream_name = streams.get("StreamName").and_then(Value::as_str).map(str::to_string);
                configuration.stream_role_arn = streams.get("RoleArn").and_then(Value::as_str).map(str::to_string);
                configuration.streaming_status = streams.get("StreamingStatus").and_then(Value::as_str).map(str::to_string);
            }
            sync.set_configuration(&pool, &configuration).await.map_err(domain)?;
            Ok(configuration_output(&pool, &configuration))
        }
        "GetCognitoEvents" => Ok(json!({"Events": sync.configuration(&pool).await.map_err(domain)?.events})),
        "SetCognitoEvents" => {
            let events: std::collections::BTreeMap<String, String> = input
                .get("Events")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|_| ApiError::client("InvalidParameterException", "Events must map event names to function ARNs or URLs."))?
                .unwrap_or_default();
            if events.keys().any(|name| name != "SyncTrigger") {
                return Err(ApiError::client("InvalidParameterException", "The only event is SyncTrigger."));
            }
            let mut configuration = sync.configuration(&pool).await.map_err(domain)?;
            configuration.events = events.into_iter().filter(|(_, target)| !target.is_empty()).collect();
            sync.set_configuration(&pool, &configuration).await.map_err(domain)?;
            Ok(json!({}))
        }
        other => Err(ApiError::new(StatusCode::NOT_IMPLEMENTED, "NotImplementedException", format!("cognate does not implement {other} yet."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_model() {
        let table = [
            (Method::GET, "/identitypools", "ListIdentityPoolUsage"),
            (Method::GET, "/identitypools/us-east-1%3Ap", "DescribeIdentityPoolUsage"),
            (Method::GET, "/identitypools/p/identities/us-east-1%3Ai", "DescribeIdentityUsage"),
            (Method::GET, "/identitypools/p/identities/i/datasets", "ListDatasets"),
            (Method::GET, "/identitypools/p/identities/i/datasets/d", "DescribeDataset"),
            (Method::DELETE, "/identitypools/p/identities/i/datasets/d", "DeleteDataset"),
            (Method::POST, "/identitypools/p/identities/i/datasets/d", "UpdateRecords"),
            (Method::GET, "/identitypools/p/identities/i/datasets/d/records", "ListRecords"),
            (Method::POST, "/identitypools/p/identity/i/device", "RegisterDevice"),
            (Method::POST, "/identitypools/p/identities/i/datasets/d/subscriptions/dev", "SubscribeToDataset"),
            (Method::DELETE, "/identitypools/p/identities/i/datasets/d/subscriptions/dev", "UnsubscribeFromDataset"),
            (Method::POST, "/identitypools/p/bulkpublish", "BulkPublish"),
            (Method::POST, "/identitypools/p/getBulkPublishDetails", "GetBulkPublishDetails"),
            (Method::GET, "/identitypools/p/events", "GetCognitoEvents"),
            (Method::POST, "/identitypools/p/events", "SetCognitoEvents"),
            (Method::GET, "/identitypools/p/configuration", "GetIdentityPoolConfiguration"),
            (Method::POST, "/identitypools/p/configuration", "SetIdentityPoolConfiguration"),
        ];
        for (method, path, operation) in &table {
            assert_eq!(route(method, path).map(|route| route.operation), Some(*operation), "{method} {path}");
        }
        assert_eq!(route(&Method::GET, "/identitypools/us-east-1%3Ap").unwrap().pool_id.as_deref(), Some("us-east-1:p"));
        assert!(route(&Method::PUT, "/identitypools/p/identities/i/datasets/d").is_none());
        assert!(OPERATIONS.iter().all(|operation| table.iter().any(|(_, _, routed)| routed == operation)));
    }
}

#[cfg(test)]
mod compat {
    /// docs/compat/cognito-sync.md lists every operation; the two not built say so.
    #[test]
    fn sync_table_matches_the_router() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/cognito-sync.md")).unwrap();
        for operation in super::OPERATIONS {
            let row = table
                .lines()
                .find(|line| line.starts_with(&format!("| {operation} |")))
                .unwrap_or_else(|| panic!("{operation} has no row in docs/compat/cognito-sync.md"));
            let status = row.split('|').nth(3).unwrap().trim();
            let built = !super::NOT_IMPLEMENTED.contains(operation);
            assert_eq!(status != "not yet", built, "{operation} is listed as {status}");
        }
        assert_eq!(super::OPERATIONS.len(), 17);
    }
}

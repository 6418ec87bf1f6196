//! `POST /` (and `GET /?Action=…`): reads the body within the size limit, picks the API by
//! `X-Amz-Target` (AWS JSON 1.1: cognito-idp, cognito-identity) or by the query protocol's
//! `Action` and `Version` (IAM, STS), authenticates signed requests (the root credentials or
//! temporary credentials from STS), authorises temporary credentials with the policy engine,
//! and renders the answer in the protocol's own format.

use std::net::{IpAddr, SocketAddr};

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use serde_json::Value;
use tracing::Instrument;


use crate::state::{AppState, OperationName, RequestId};
use crate::aws::json::{self, ApiError};
use crate::aws::query::{self, QueryError, QueryInput};
use crate::auth::{authenticate, authorize, AuthFailure};
use crate::api::{iam, identity, idp, sts};

const IDP_TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService";
const IDENTITY_TARGET_PREFIX: &str = "AWSCognitoIdentityService";

pub async fn aws_post(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let span = tracing::info_span!("request", request_id = %request_id.0);
    async move {
        let body = match to_bytes(body, state.config.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(_) => {
                let error = ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLargeException",
                    format!("The request body is larger than {} bytes.", state.config.max_body_bytes),
                );
                return error.into_response_with(&request_id.0);
            }
        };
        if headers.contains_key("x-amz-target") {
            let (operation_name, outcome) = handle_json(&state, peer, &uri, &headers, &body).await;
            let mut response = match outcome {
                Ok(value) => json::success(value, &request_id.0),
                Err(error) => error.into_response_with(&request_id.0),
            };
            response.extensions_mut().insert(OperationName(operation_name));
            response
        } else {
            handle_query(&state, &request_id.0, "POST", &uri, &headers, &body, &body).await
        }
    }
    .instrument(span)
    .await
}

/// `GET /?Action=…&Version=…`: the query protocol with its parameters in the URL.
pub async fn aws_get(State(state): State<AppState>, Extension(request_id): Extension<RequestId>, uri: Uri, headers: HeaderMap) -> Response {
    let query = uri.query().unwrap_or("").as_bytes().to_vec();
    handle_query(&state, &request_id.0, "GET", &uri, &headers, &query, b"").await
}

async fn handle_json(state: &AppState, peer: Option<IpAddr>, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> (&'static str, Result<Value, ApiError>) {
    let target = headers.get("x-amz-target").and_then(|value| value.to_str().ok()).unwrap_or("");
    let Some((prefix, operation_name)) = target.split_once('.') else {
        return ("-", Err(ApiError::client("UnknownOperationException", "The request has no X-Amz-Target header naming an operation.")));
    };
    match prefix {
        IDP_TARGET_PREFIX => {
            let Some(operation) = idp::operations::Operation::from_name(operation_name) else {
                return ("-", Err(ApiError::client("UnknownOperationException", format!("Unknown operation {operation_name}."))));
            };
            let outcome = async {
                let mut region = state.config.region.clone();
                let input = if operation.authentication() == idp::operations::Authentication::Signed {
                    let (principal, signed_region) =
                        authenticate(state, "cognito-idp", "POST", uri, headers, body).await.map_err(AuthFailure::into_json)?;
                    region = signed_region;
                    let input = json::parse_body(body)?;
                    let resource = idp::resource_of(state, operation, &input).await;
                    authorize(state, &principal, &format!("cognito-idp:{}", operation.name()), &resource)
                        .await
                        .map_err(AuthFailure::into_json)?;
                    input
                } else {
                    let input = json::parse_body(body)?;
                    if crate::rate::guessable_idp_operation(operation.name()) {
                        let client_id = input.get("ClientId").and_then(Value::as_str);
                        if !state.rate_limits.allow(peer, client_id) {
                            return Err(ApiError::new(
                                StatusCode::TOO_MANY_REQUESTS,
                                "TooManyRequestsException",
                                "Too many requests. Try again in a moment.",
                            ));
                        }
                    }
                    input
                };
                idp::handle(state, operation, input, &region).await
            }
            .await;
            (operation.name(), outcome)
        }
        IDENTITY_TARGET_PREFIX => {
            let Some((name, signed)) = identity::operation(operation_name) else {
                return ("-", Err(ApiError::client("UnknownOperationException", format!("Unknown operation {operation_name}."))));
            };
            let outcome = async {
                let input = json::parse_body(body)?;
                let mut region = state.config.region.clone();
                if signed {
                    let (principal, signed_region) =
                        authenticate(state, "cognito-identity", "POST", uri, headers, body).await.map_err(AuthFailure::into_json)?;
                    region = signed_region;
                    let action = format!("cognito-identity:{name}");
                    for resource in identity::resources_of(state, name, &input).await {
                        authorize(state, &principal, &action, &resource).await.map_err(AuthFailure::into_json)?;
                    }
                }
                identity::handle(state, name, input, &region).await
            }
            .await;
            (name, outcome)
        }
        _ => ("-", Err(ApiError::client("UnknownOperationException", format!("Unknown service target {prefix}.")))),
    }
}

/// Which query-protocol service an action belongs to.
enum QueryService {
    Sts,
    Iam,
}

async fn handle_query(
    state: &AppState,
    request_id: &str,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    parameters: &[u8],
    body: &[u8],
) -> Response {
    let input = match QueryInput::parse(parameters) {
        Ok(input) => input,
        Err(error) => return error.render(sts::NAMESPACE, request_id),
    };
    let action = input.get("Action").unwrap_or("").to_string();
    let service = match input.get("Version") {
        Some(sts::VERSION) => Some(QueryService::Sts),
        Some(iam::VERSION) => Some(QueryService::Iam),
        _ if sts::ACTIONS.iter().any(|(name, _)| *name == action) => Some(QueryService::Sts),
        _ if iam::MODEL_ACTIONS.contains(&action.as_str()) => Some(QueryService::Iam),
        _ => None,
    };
    let name: &'static str = sts::ACTIONS
        .iter()
        .map(|(name, _)| *name)
        .chain(iam::ACTIONS.iter().copied())
        .find(|name| *name == action)
        .unwrap_or("-");
    let mut response = match service {
        None => QueryError::sender("InvalidAction", format!("Could not find operation {action} for version {}", input.get("Version").unwrap_or("")))
            .render(sts::NAMESPACE, request_id),
        Some(QueryService::Sts) => {
            let signed = sts::ACTIONS.iter().find(|(known, _)| *known == action).is_none_or(|(_, signed)| *signed);
            let outcome = async {
                let principal = if signed {
                    Some(authenticate(state, "sts", method, uri, headers, body).await.map_err(AuthFailure::into_query)?.0)
                } else {
                    None
                };
                sts::handle(state, principal.as_ref(), &action, &input).await
            }
            .await;
            match outcome {
                Ok(inner) => query::success(&action, sts::NAMESPACE, &inner, request_id),
                Err(error) => error.render(sts::NAMESPACE, request_id),
            }
        }
        Some(QueryService::Iam) => {
            let outcome = async {
                if !iam::MODEL_ACTIONS.contains(&action.as_str()) {
                    return Err(QueryError::sender("InvalidAction", format!("Could not find operation {action} for version {}", iam::VERSION)));
                }
                let (principal, _) = authenticate(state, "iam", method, uri, headers, body).await.map_err(AuthFailure::into_query)?;
                let resource = iam::resource_of(state, &action, &input);
                authorize(state, &principal, &format!("iam:{action}"), &resource).await.map_err(AuthFailure::into_query)?;
                iam::handle(state, &action, &input).await
            }
            .await;
            match outcome {
                Ok(inner) => query::success(&action, iam::NAMESPACE, &inner, request_id),
                Err(error) => error.render(iam::NAMESPACE, request_id),
            }
        }
    };
    response.extensions_mut().insert(OperationName(name));
    response
}


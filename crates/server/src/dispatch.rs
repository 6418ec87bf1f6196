//! `POST /`: reads the body within the size limit, picks the API by `X-Amz-Target`, checks the
//! signature when the operation needs one, and renders the answer in AWS JSON 1.1.

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use tracing::Instrument;

use crate::app::{AppState, OperationName, RequestId};
use crate::aws::json::{self, ApiError};
use crate::aws::sigv4::{self, SignatureError, SignedParts};
use crate::idp;

const IDP_TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService";

pub async fn aws_post(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let span = tracing::info_span!("request", request_id = %request_id.0);
    async move {
        let (operation_name, outcome) = handle(&state, &uri, &headers, body).await;
        let mut response = match outcome {
            Ok(value) => json::success(value, &request_id.0),
            Err(error) => error.into_response_with(&request_id.0),
        };
        response.extensions_mut().insert(OperationName(operation_name));
        response
    }
    .instrument(span)
    .await
}

async fn handle(state: &AppState, uri: &Uri, headers: &HeaderMap, body: Body) -> (&'static str, Result<serde_json::Value, ApiError>) {
    let body = match to_bytes(body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                "-",
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLargeException",
                    format!("The request body is larger than {} bytes.", state.config.max_body_bytes),
                )),
            )
        }
    };
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
                if operation.authentication() == idp::operations::Authentication::Signed {
                    check_signature(state, "cognito-idp", uri, headers, &body)?;
                }
                let input = json::parse_body(&body)?;
                idp::handle(state, operation, input).await
            }
            .await;
            (operation.name(), outcome)
        }
        _ => ("-", Err(ApiError::client("UnknownOperationException", format!("Unknown service target {prefix}.")))),
    }
}

/// Verifies a request signed with the root credentials.
pub fn check_signature(state: &AppState, service: &str, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let parts = SignedParts {
        method: "POST",
        raw_path: uri.path(),
        raw_query: uri.query().unwrap_or(""),
        headers,
        body,
    };
    let expectation = sigv4::Expectation {
        service,
        region: &state.config.region,
        now_seconds: state.clock.now_millis().div_euclid(1000),
    };
    let root = &state.root;
    let secret_for = |access_key_id: &str| {
        cognate_domain::crypto::constant_time_eq(access_key_id.as_bytes(), root.access_key_id.as_bytes())
            .then(|| root.secret_access_key.0.clone())
    };
    match sigv4::verify(&parts, &expectation, secret_for, state.config.insecure_accept_any_signature) {
        Ok(_) => Ok(()),
        Err(SignatureError::Missing) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )),
        Err(SignatureError::Incomplete(message)) => {
            Err(ApiError::new(StatusCode::FORBIDDEN, "IncompleteSignatureException", message))
        }
        Err(SignatureError::UnknownAccessKey) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )),
        Err(SignatureError::Invalid(message)) => Err(ApiError::new(StatusCode::FORBIDDEN, "InvalidSignatureException", message)),
    }
}

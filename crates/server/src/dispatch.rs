//! `POST /` (and `GET /?Action=…`): the one generic server of the AWS front ends, in the manner
//! of garage's `ApiHandler`. Each API implements [`AwsApi`]; `app.rs` hands in the table of them
//! ([`AwsApis`]) and this module imports none. It reads the body within the size limit, picks
//! the API by `X-Amz-Target` (AWS JSON 1.1) or by the query protocol's `Version` and `Action`,
//! authenticates signed operations (the root credentials or temporary credentials from STS),
//! asks the policy engine about a session for every resource the operation acts on, and renders
//! the answer in the API's own protocol.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use serde_json::Value;
use tracing::Instrument;

use crate::auth::{authenticate, authorize, AuthFailure, Principal};
use crate::aws::json::{self, ApiError};
pub use crate::aws::operations::OperationRef;
use crate::aws::operations::Authentication;
use crate::aws::query::{self, QueryError, QueryInput};
use crate::state::{AppState, OperationName, RequestId};

/// How an API is reached and answers.
#[derive(Debug, Clone, Copy)]
pub enum Protocol {
    /// AWS JSON 1.1: `X-Amz-Target: <prefix>.<Operation>`.
    Json { target_prefix: &'static str },
    /// The query protocol: `Action=<Operation>&Version=<version>`, answered in XML.
    Query { version: &'static str, namespace: &'static str },
    /// REST-JSON: the operation is the method and path (Cognito Sync), answered in JSON.
    RestJson,
}

/// What an API is handed for one request: the body of an AWS JSON request (bytes, parsed by
/// the operation into its own typed request) or the parameters of a query-protocol one, who
/// signed it, the region it was signed for, and the client's address.
pub struct AwsRequest<'a> {
    pub uri: &'a Uri,
    pub body: &'a [u8],
    pub query: Option<&'a QueryInput>,
    pub principal: Option<&'a Principal>,
    pub region: &'a str,
    pub peer: Option<IpAddr>,
}

/// A successful answer in the API's protocol: a JSON body, or the XML of a query result.
pub enum Answer {
    Json(Value),
    Xml(String),
}

/// A refusal in the API's protocol.
pub enum Refusal {
    Json(ApiError),
    Query(QueryError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal::Json(error)
    }
}

impl From<QueryError> for Refusal {
    fn from(error: QueryError) -> Self {
        Refusal::Query(error)
    }
}

/// An AWS front end: its operations, the resources each acts on, and the handling of one.
#[async_trait]
pub trait AwsApi: Send + Sync + 'static {
    /// The SigV4 service name, which is also the prefix of its IAM actions (`cognito-idp`).
    fn service(&self) -> &'static str;
    fn protocol(&self) -> Protocol;
    /// The operation a name designates, if the API has it (implemented or not).
    fn operation(&self, name: &str) -> Option<OperationRef>;
    /// The resources a signed operation acts on, taken from the members the operation itself
    /// acts on; a session principal must be allowed `<service>:<operation>` on each. Empty: no
    /// policy check (STS answers any valid signature).
    async fn resources(&self, state: &AppState, operation: OperationRef, request: &AwsRequest<'_>) -> Vec<String>;
    /// Checks of who signed, before the policy engine is asked (Cognito Sync: whose data an
    /// identity's credentials may reach at all).
    fn check_principal(&self, _state: &AppState, _operation: OperationRef, _principal: &Principal, _request: &AwsRequest<'_>) -> Result<(), Refusal> {
        Ok(())
    }
    /// How a refusal of the policy engine is answered.
    fn policy_refusal(&self, failure: AuthFailure) -> Refusal {
        auth_refusal(self.protocol(), failure)
    }
    /// Checks made before an unsigned operation runs (the rate limits of guessable ones).
    fn admit(&self, _state: &AppState, _operation: OperationRef, _request: &AwsRequest<'_>) -> Result<(), Refusal> {
        Ok(())
    }
    async fn handle(&self, state: &AppState, operation: OperationRef, request: AwsRequest<'_>) -> Result<Answer, Refusal>;
}

/// The APIs served on `POST /`, handed in by `app.rs`.
#[derive(Clone)]
pub struct AwsApis(pub Arc<Vec<Arc<dyn AwsApi>>>);

impl AwsApis {
    fn by_target(&self, prefix: &str) -> Option<&Arc<dyn AwsApi>> {
        self.0.iter().find(|api| matches!(api.protocol(), Protocol::Json { target_prefix } if target_prefix == prefix))
    }

    /// The query API of a request: by its Version, else by the API that has the action.
    fn by_query(&self, version: Option<&str>, action: &str) -> Option<&Arc<dyn AwsApi>> {
        let query_apis = || self.0.iter().filter(|api| matches!(api.protocol(), Protocol::Query { .. }));
        query_apis()
            .find(|api| matches!(api.protocol(), Protocol::Query { version: own, .. } if Some(own) == version))
            .or_else(|| query_apis().find(|api| api.operation(action).is_some()))
    }

    /// The namespace of query-protocol errors that belong to no API.
    fn default_namespace(&self) -> &'static str {
        self.0
            .iter()
            .find_map(|api| match api.protocol() {
                Protocol::Query { namespace, .. } => Some(namespace),
                Protocol::Json { .. } | Protocol::RestJson => None,
            })
            .unwrap_or("")
    }
}

/// A refusal of authentication or authorisation in a protocol's own format.
pub fn auth_refusal(protocol: Protocol, failure: AuthFailure) -> Refusal {
    match protocol {
        Protocol::Json { .. } | Protocol::RestJson => Refusal::Json(failure.into_json()),
        Protocol::Query { .. } => Refusal::Query(failure.into_query()),
    }
}

fn render(protocol: Protocol, action: &str, outcome: Result<Answer, Refusal>, request_id: &str) -> Response {
    let namespace = match protocol {
        Protocol::Query { namespace, .. } => namespace,
        Protocol::Json { .. } | Protocol::RestJson => "",
    };
    match outcome {
        Ok(Answer::Json(value)) => json::success(value, request_id),
        Ok(Answer::Xml(inner)) => query::success(action, namespace, &inner, request_id),
        Err(Refusal::Json(error)) => error.into_response_with(request_id),
        Err(Refusal::Query(error)) => error.render(namespace, request_id),
    }
}

/// Authenticates, admits and authorises one operation, then hands it to its API.
#[allow(clippy::too_many_arguments)]
async fn serve(
    state: &AppState,
    api: &dyn AwsApi,
    operation: OperationRef,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    signed_body: &[u8],
    body: &[u8],
    query: Option<&QueryInput>,
    peer: Option<IpAddr>,
) -> Result<Answer, Refusal> {
    let protocol = api.protocol();
    let mut principal = None;
    let mut region = state.config.region.clone();
    if operation.authentication == Authentication::Signed {
        let (signer, signed_region) =
            authenticate(state, api.service(), method, uri, headers, signed_body).await.map_err(|failure| auth_refusal(protocol, failure))?;
        principal = Some(signer);
        region = signed_region;
    }
    if matches!(protocol, Protocol::Json { .. } | Protocol::RestJson) {
        // The body must be a JSON object before anything reads members from it.
        json::check_body(body)?;
    }
    let request = AwsRequest { uri, body, query, principal: principal.as_ref(), region: &region, peer };
    match &principal {
        Some(signer) => {
            api.check_principal(state, operation, signer, &request)?;
            if let Some(message) = session_credentials_refusal(api.service(), operation.name, signer) {
                return Err(api.policy_refusal(AuthFailure::Denied(message)));
            }
            let action = format!("{}:{}", api.service(), operation.name);
            for resource in api.resources(state, operation, &request).await {
                authorize(state, signer, &action, &resource).await.map_err(|failure| api.policy_refusal(failure))?;
            }
        }
        None => api.admit(state, operation, &request)?,
    }
    api.handle(state, operation, request).await
}

/// What the temporary credentials of an IAM user or of the root may not do, as in AWS:
/// GetFederationToken's call neither IAM nor STS but GetCallerIdentity; GetSessionToken's call
/// IAM only with MFA proven for the session, and STS only for AssumeRole and GetCallerIdentity
/// (the root's may not assume roles at all).
fn session_credentials_refusal(service: &str, operation: &str, principal: &Principal) -> Option<String> {
    let session = match principal {
        Principal::User(signer) => signer.session.as_ref()?,
        Principal::RootSession(session) => session,
        _ => return None,
    };
    if matches!(principal, Principal::RootSession(_)) && service == "sts" && operation == "AssumeRole" {
        return Some("The root's session credentials may not assume a role.".into());
    }
    if session.federated_name.is_some() {
        return match service {
            "iam" => Some(format!("Cannot call {operation} with the credentials of a federated user.")),
            "sts" if operation != "GetCallerIdentity" => Some(format!("Cannot call {operation} with the credentials of a federated user.")),
            _ => None,
        };
    }
    match service {
        "iam" if session.mfa_ms.is_none() => Some(format!("Cannot call {operation} with session credentials that were not issued with MFA.")),
        "sts" if !matches!(operation, "AssumeRole" | "GetCallerIdentity") => Some(format!("Cannot call {operation} with session credentials.")),
        _ => None,
    }
}

pub async fn aws_post(
    State(state): State<AppState>,
    Extension(apis): Extension<AwsApis>,
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
            handle_json(&state, &apis, &request_id.0, peer, &uri, &headers, &body).await
        } else {
            handle_query(&state, &apis, &request_id.0, peer, "POST", &uri, &headers, &body, &body).await
        }
    }
    .instrument(span)
    .await
}

/// Serves one REST-JSON operation an API has routed by its method and path (Cognito Sync).
#[allow(clippy::too_many_arguments)]
pub async fn serve_rest(
    state: &AppState,
    api: &dyn AwsApi,
    operation: OperationRef,
    request_id: &str,
    peer: Option<IpAddr>,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let outcome = serve(state, api, operation, method, uri, headers, body, body, None, peer).await;
    with_service(api.service(), with_operation(render(api.protocol(), operation.name, outcome, request_id), operation.name))
}

/// `GET /?Action=…&Version=…`: the query protocol with its parameters in the URL.
pub async fn aws_get(
    State(state): State<AppState>,
    Extension(apis): Extension<AwsApis>,
    Extension(request_id): Extension<RequestId>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let query = uri.query().unwrap_or("").as_bytes().to_vec();
    handle_query(&state, &apis, &request_id.0, peer, "GET", &uri, &headers, &query, b"").await
}

fn with_service(service: &'static str, mut response: Response) -> Response {
    response.extensions_mut().insert(crate::state::ServiceName(service));
    response
}

fn with_operation(mut response: Response, name: &'static str) -> Response {
    response.extensions_mut().insert(OperationName(name));
    response
}

async fn handle_json(
    state: &AppState,
    apis: &AwsApis,
    request_id: &str,
    peer: Option<IpAddr>,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let target = headers.get("x-amz-target").and_then(|value| value.to_str().ok()).unwrap_or("");
    let unknown = |message: String| with_operation(ApiError::client("UnknownOperationException", message).into_response_with(request_id), "-");
    let Some((prefix, operation_name)) = target.split_once('.') else {
        return unknown("The request has no X-Amz-Target header naming an operation.".into());
    };
    let Some(api) = apis.by_target(prefix) else {
        return unknown(format!("Unknown service target {prefix}."));
    };
    let Some(operation) = api.operation(operation_name) else {
        return unknown(format!("Unknown operation {operation_name}."));
    };
    let outcome = serve(state, api.as_ref(), operation, "POST", uri, headers, body, body, None, peer).await;
    with_service(api.service(), with_operation(render(api.protocol(), operation.name, outcome, request_id), operation.name))
}

#[allow(clippy::too_many_arguments)]
async fn handle_query(
    state: &AppState,
    apis: &AwsApis,
    request_id: &str,
    peer: Option<IpAddr>,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    parameters: &[u8],
    body: &[u8],
) -> Response {
    let namespace = apis.default_namespace();
    let input = match QueryInput::parse(parameters) {
        Ok(input) => input,
        Err(error) => return with_operation(error.render(namespace, request_id), "-"),
    };
    let action = input.get("Action").unwrap_or("").to_string();
    let version = input.get("Version");
    let invalid_action = |version: &str| {
        with_operation(
            QueryError::sender("InvalidAction", format!("Could not find operation {action} for version {version}")).render(namespace, request_id),
            "-",
        )
    };
    let Some(api) = apis.by_query(version, &action) else {
        return invalid_action(version.unwrap_or(""));
    };
    let protocol = api.protocol();
    let Some(operation) = api.operation(&action) else {
        let Protocol::Query { version: own, namespace, .. } = protocol else { return invalid_action(version.unwrap_or("")) };
        let error = QueryError::sender("InvalidAction", format!("Could not find operation {action} for version {own}"));
        return with_operation(error.render(namespace, request_id), "-");
    };
    let outcome = serve(state, api.as_ref(), operation, method, uri, headers, body, b"", Some(&input), peer).await;
    with_service(api.service(), with_operation(render(protocol, operation.name, outcome, request_id), operation.name))
}

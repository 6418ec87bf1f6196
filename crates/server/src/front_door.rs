//! The front door: what every request passes through before it is routed, in one middleware
//! rather than a layer each (every layer costs a boxed future and a clone of the service behind
//! it on every request). In order: the request gets its id; a request on a pool's domain is
//! sent to the pool's paths; a CORS preflight is answered; the request's time is bounded; a
//! guessable form over its address's limit is refused; and the outcome is counted and logged.

use std::future::Future;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cognate_domain::user_pool::auth_events::{with_call_context, CallContext};

use crate::state::{AppState, OperationName, RequestId};

pub(crate) async fn front_door(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = cognate_domain::ids::new_uuid();
    request.extensions_mut().insert(RequestId(request_id.clone()));
    crate::web::hosted::route_domain(&state, &mut request).await;
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let origin = request.headers().get("origin").cloned();
    let mut response = if method == Method::OPTIONS {
        preflight(request.headers())
    } else {
        within_deadline(&state, request, |request| async {
            match crate::web::rate_limit::refusal(&state, &request) {
                Some(refused) => refused,
                None => next.run(request).await,
            }
        })
        .await
    };
    add_cors_headers(response.headers_mut(), origin);
    log(&state, &request_id, &method, &path, &response, started);
    response
}

/// The answer to a CORS preflight.
fn preflight(headers: &HeaderMap) -> Response {
    let requested_headers = headers.get("access-control-request-headers").cloned();
    let mut preflight = StatusCode::NO_CONTENT.into_response();
    let headers = preflight.headers_mut();
    headers.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST, OPTIONS"));
    headers.insert("access-control-max-age", HeaderValue::from_static("86400"));
    headers.insert(
        "access-control-allow-headers",
        requested_headers.unwrap_or_else(|| {
            HeaderValue::from_static("content-type, x-amz-target, x-amz-user-agent, authorization, x-amz-date, x-amz-security-token, amz-sdk-invocation-id, amz-sdk-request, cache-control")
        }),
    );
    preflight
}

/// Bounds the time of one request, reading its body included (a client that trickles a body
/// holds nothing past this): 408 RequestTimeout, in the protocol's own format (AWS JSON, the
/// query protocol's XML, plain text for pages). A WebSocket upgrade answers at once, so the
/// push connection it starts is not bounded here. The request runs with its caller's address
/// and user agent, which a sign-in records.
async fn within_deadline<F: Future<Output = Response>>(state: &AppState, request: Request, handle: impl FnOnce(Request) -> F) -> Response {
    let limit = state.config.connections.request_timeout;
    let agent = [axum::http::header::USER_AGENT.as_str(), "x-amz-user-agent"]
        .iter()
        .find_map(|name| request.headers().get(*name).and_then(|value| value.to_str().ok()).map(str::to_string));
    let caller = CallContext { ip: crate::rate::peer_address(&request).map(|ip| ip.to_string()), user_agent: agent };
    let aws_root = request.uri().path() == "/";
    let json = request.headers().contains_key("x-amz-target") || request.uri().path().starts_with("/identitypools");
    let message = || format!("The request did not complete within {} seconds.", limit.as_secs());
    match tokio::time::timeout(limit, with_call_context(caller, handle(request))).await {
        Ok(response) => response,
        Err(_) if json => {
            crate::aws::json::ApiError::new(StatusCode::REQUEST_TIMEOUT, "RequestTimeoutException", message()).into_response_with("-")
        }
        Err(_) if aws_root => crate::aws::query::QueryError::new(StatusCode::REQUEST_TIMEOUT, "RequestTimeout", message())
            .render(crate::api::sts::NAMESPACE, "-"),
        Err(_) => (StatusCode::REQUEST_TIMEOUT, [("content-type", "text/plain; charset=utf-8")], message()).into_response(),
    }
}

/// Counts the request and logs one line with its operation, status and latency.
fn log(state: &AppState, request_id: &str, method: &Method, path: &str, response: &Response, started: Instant) {
    let operation = response.extensions().get::<OperationName>().map(|name| name.0).unwrap_or("-");
    let service = response.extensions().get::<crate::state::ServiceName>().map(|name| name.0).unwrap_or("web");
    let query_error = response.extensions().get::<crate::aws::query::QueryErrorCode>().map(|code| code.0.as_str());
    let error = response.headers().get("x-amzn-errortype").and_then(|value| value.to_str().ok()).map(|value| value.split(':').next().unwrap_or(value));
    let error = error.or(query_error);
    state.metrics.observe(&crate::counters::Observed { method: method.as_str(), api: service, operation, status: response.status().as_u16(), error, latency: started.elapsed() });
    tracing::info!(
        request_id = %request_id,
        method = %method,
        path = %path,
        operation,
        status = response.status().as_u16(),
        error = error.unwrap_or("-"),
        latency_ms = format_args!("{:.3}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
}

fn add_cors_headers(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    headers.insert("access-control-allow-origin", origin.unwrap_or_else(|| HeaderValue::from_static("*")));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date"),
    );
    headers.append("vary", HeaderValue::from_static("Origin"));
}

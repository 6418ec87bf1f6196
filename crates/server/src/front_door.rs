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
    let (status, latency) = (response.status().as_u16(), started.elapsed());
    state.metrics.observe(&crate::counters::Observed { method: method.as_str(), api: service, operation, status, error, latency });
    log_line(&crate::log_writer::RequestLine { request_id, method: method.as_str(), path, operation, status, error: error.unwrap_or("-"), latency });
}

/// A request's line: written directly when lines are plain, else through the subscriber.
fn log_line(line: &crate::log_writer::RequestLine<'_>) {
    if tracing::enabled!(tracing::Level::INFO) && !crate::log_writer::request_line(line, std::time::SystemTime::now()) {
        log_through_subscriber(line);
    }
}

fn log_through_subscriber(line: &crate::log_writer::RequestLine<'_>) {
    tracing::info!(
        request_id = %line.request_id,
        method = %line.method,
        path = %line.path,
        operation = line.operation,
        status = line.status,
        error = line.error,
        latency_ms = format_args!("{:.3}", line.latency.as_secs_f64() * 1000.0),
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, SystemTime};

    use crate::log_writer::{format_request_line, subscriber, LineForm, RequestLine};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// A request line written directly is the line the subscriber writes for the same request,
    /// to the byte, in text and in JSON: a log collector cannot tell the two apart.
    #[test]
    fn a_request_line_written_directly_is_the_subscribers_line() {
        let lines = [
            RequestLine { request_id: "47427229-1501-40f9-9a7b-99d10a3cedf5", method: "POST", path: "/", operation: "InitiateAuth", status: 200, error: "-", latency: Duration::from_micros(7245) },
            RequestLine { request_id: "r", method: "GET", path: "/a%22b/x\"y\\z\u{e9}", operation: "-", status: 404, error: "Odd\"Code\\", latency: Duration::from_nanos(1_999_999_999) },
        ];
        for form in [LineForm::Text, LineForm::Json] {
            for line in &lines {
                let captured = Captured::default();
                let filter = tracing_subscriber::EnvFilter::new("info");
                let before = SystemTime::now();
                tracing::subscriber::with_default(subscriber(form, false, filter, captured.clone()), || super::log_through_subscriber(line));
                let after = SystemTime::now();
                let theirs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
                let ours = format_request_line(form, line, before);
                // The same line but for the time, which each took when it wrote.
                let stamp_at = if form == LineForm::Json { r#"{"timestamp":""#.len() } else { 0 };
                let stamp = stamp_at..stamp_at + "2026-12-07T21:32:26.163569Z".len();
                assert_eq!(theirs[..stamp.start], ours[..stamp.start], "{form:?}");
                assert_eq!(theirs[stamp.end..], ours[stamp.end..], "{form:?}");
                // Fixed-width RFC 3339 sorts as time does: theirs was taken between our two.
                let latest = format_request_line(form, line, after);
                assert!(ours[stamp.clone()] <= theirs[stamp.clone()] && theirs[stamp.clone()] <= latest[stamp.clone()], "{theirs} vs {ours}");
            }
        }
    }
}

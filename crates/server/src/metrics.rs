//! `GET /metrics`: this node's [counters](crate::counters::Metrics) and gauges in the
//! Prometheus text format. Reading it needs the bearer token of `--metrics-token` or the root
//! credentials as HTTP Basic.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use cognate_domain::crypto::constant_time_eq;

use crate::state::AppState;

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = headers.get("authorization").and_then(|value| value.to_str().ok()).and_then(|value| value.strip_prefix("Bearer "));
    let token_ok = match (&state.config.observing.metrics_token, bearer) {
        (Some(token), Some(given)) => constant_time_eq(token.0.as_bytes(), given.trim().as_bytes()),
        _ => false,
    };
    if !state.config.observing.metrics {
        return (StatusCode::NOT_FOUND, "This server counts nothing: it was started with --metrics false.\n").into_response();
    }
    if !token_ok && !crate::auth::root_basic::authorised(&state, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Bearer realm=\"cognate\", Basic realm=\"cognate\"")],
            "The metrics token (Bearer) or the root credentials (Basic) are required.\n",
        )
            .into_response();
    }
    let body = state.metrics.render(state.push.counts(), state.store.pool_use());
    (StatusCode::OK, [("content-type", "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

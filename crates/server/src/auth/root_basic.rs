//! HTTP Basic with the root credentials (the access key id as user, the secret as password),
//! for the operator's endpoints: the outbox, the signing-key rotation and the import jobs' row
//! errors.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use cognate_domain::crypto::constant_time_eq;

use crate::state::AppState;

/// Whether the request carries the root credentials as HTTP Basic (compared in constant time).
pub fn authorised(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(encoded) = headers.get("authorization").and_then(|value| value.to_str().ok()).and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = BASE64.decode(encoded.trim()) else { return false };
    let Ok(text) = String::from_utf8(decoded) else { return false };
    let Some((key_id, secret)) = text.split_once(':') else { return false };
    let key_ok = constant_time_eq(key_id.as_bytes(), state.root.access_key_id.as_bytes());
    let secret_ok = constant_time_eq(secret.as_bytes(), state.root.secret_access_key.0.as_bytes());
    key_ok & secret_ok
}

/// The answer to a request without them: 401 with a Basic challenge.
pub fn required() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [("www-authenticate", "Basic realm=\"cognate\"")],
        axum::Json(serde_json::json!({ "message": "The root credentials are required, as HTTP Basic." })),
    )
        .into_response()
}

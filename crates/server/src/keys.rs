//! `POST /_cognate/signing-keys/rotate?UserPoolId=<pool id>`: rotates a pool's signing keys.
//! Authorisation: the root credentials as HTTP Basic, as for the outbox. New keys sign at once
//! on every node (the rotation raises the store's config version); the replaced keys stay in the
//! JWKS and keep verifying for a day, the longest a token signed by them lives.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use cognate_domain::DomainError;

use crate::state::{AppState, OperationName};

pub async fn rotate(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    let mut response = if !crate::auth::root_basic::authorised(&state, &headers) {
        crate::auth::root_basic::required()
    } else {
        let pool_id = cognate_domain::ids::UserPoolId::parse(query.get("UserPoolId").map(String::as_str).unwrap_or(""));
        let rotated = match pool_id {
            Ok(pool_id) => state.user_pools.rotate_signing_keys(&pool_id).await,
            Err(error) => Err(error),
        };
        match rotated {
            Ok(kids) => axum::Json(json!({ "Kids": kids })).into_response(),
            Err(DomainError::NotFound(message) | DomainError::InvalidParameter(message)) => {
                (StatusCode::NOT_FOUND, axum::Json(json!({ "message": message }))).into_response()
            }
            Err(DomainError::InvalidMember(invalid)) => (StatusCode::NOT_FOUND, axum::Json(json!({ "message": invalid.to_string() }))).into_response(),
            Err(other) => {
                tracing::error!(error = %other, "rotating signing keys");
                (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "message": "Internal server error." }))).into_response()
            }
        }
    };
    response.extensions_mut().insert(OperationName("signing-keys/rotate"));
    response
}

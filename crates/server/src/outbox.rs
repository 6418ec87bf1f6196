//! `GET /_cognate/outbox`: the messages cognate has sent (codes, invitations), newest last, for
//! local development and tests when no email or SMS channel is configured. Authorisation: the
//! root credentials as HTTP Basic (access key id as user, secret access key as password).
//! Query: `UserPoolId` (optional), `Limit` (default 50, at most 1000).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use cognate_domain::DomainError;

use crate::state::AppState;
use crate::aws::json::timestamp;


pub async fn list(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    if !crate::auth::root_basic::authorised(&state, &headers) {
        return crate::auth::root_basic::required();
    }
    let limit = match query.get("Limit").map(|text| text.parse::<u32>()) {
        None => 50,
        Some(Ok(limit)) if (1..=1000).contains(&limit) => limit,
        Some(_) => {
            return (StatusCode::BAD_REQUEST, axum::Json(json!({ "message": "Limit must be between 1 and 1000." }))).into_response()
        }
    };
    match state.user_pools.outbox(query.get("UserPoolId").map(String::as_str), limit).await {
        Ok(messages) => {
            let messages: Vec<_> = messages
                .iter()
                .map(|message| {
                    json!({
                        "Id": message.id,
                        "UserPoolId": message.pool_id,
                        "Username": message.username,
                        "DeliveryMedium": message.medium,
                        "Destination": message.destination,
                        "Subject": message.subject,
                        "Body": message.body,
                        "CreatedDate": timestamp(message.created_ms),
                    })
                })
                .collect();
            axum::Json(json!({ "Messages": messages })).into_response()
        }
        Err(DomainError::NotFound(message) | DomainError::InvalidParameter(message)) => {
            (StatusCode::NOT_FOUND, axum::Json(json!({ "message": message }))).into_response()
        }
        Err(DomainError::InvalidMember(invalid)) => (StatusCode::NOT_FOUND, axum::Json(json!({ "message": invalid.to_string() }))).into_response(),
        Err(other) => {
            tracing::error!(error = %other, "reading the outbox");
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "message": "Internal server error." }))).into_response()
        }
    }
}

//! `GET /sync/push`: the WebSocket a device keeps open, authenticated by a SigV4-presigned URL for
//! `cognito-sync` before the upgrade (temporary credentials reach only their own identity, and
//! the policy must allow `cognito-sync:SubscribeToDataset`).

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use cognate_domain::ids::{IdentityId, IdentityPoolId};
use crate::auth::{authenticate_presigned, authorize, AuthFailure, Principal};
use crate::push::hub::serve_connection;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PushQuery {
    identity_pool_id: String,
    identity_id: String,
    device_id: String,
}

fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    (status, [("content-type", "application/json"), ("x-amzn-errortype", code)], json!({"__type": code, "message": message}).to_string())
        .into_response()
}

/// `GET /sync/push`: authenticates before the upgrade, then streams notifications.
pub async fn websocket(
    State(state): State<AppState>,
    Query(query): Query<PushQuery>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let principal = match authenticate_presigned(&state, "cognito-sync", &uri, &headers).await {
        Ok(principal) => principal,
        Err(failure) => {
            let error = failure.into_json();
            return refuse(error.status, error.type_name, error.message);
        }
    };
    if let Principal::Session(session) = &principal {
        let own = session.context.get("cognito-identity.amazonaws.com:sub").and_then(|values| values.first());
        if own != Some(&query.identity_id) {
            return refuse(StatusCode::FORBIDDEN, "NotAuthorizedException", format!("Access to Identity '{}' is forbidden.", query.identity_id));
        }
    }
    if !matches!(principal, Principal::Root) {
        let resource = cognate_domain::ids::arn::sync_resource(
            cognate_domain::ids::region_of(&query.identity_pool_id),
            &state.config.account_id,
            Some(&query.identity_pool_id),
            Some(&query.identity_id),
            None,
        );
        if let Err(failure) = authorize(&state, &principal, "cognito-sync:SubscribeToDataset", &resource).await {
            let message = match failure {
                AuthFailure::Denied(message) => message,
                _ => "Not authorized.".into(),
            };
            return refuse(StatusCode::FORBIDDEN, "NotAuthorizedException", message);
        }
    }
    let ids = IdentityPoolId::parse(query.identity_pool_id.as_str()).and_then(|pool_id| Ok((pool_id, IdentityId::parse(query.identity_id.as_str())?)));
    let found = match ids {
        Ok((pool_id, identity_id)) => state.sync.device(&pool_id, &identity_id, &query.device_id).await,
        Err(error) => Err(error),
    };
    if let Err(error) = found {
        let error = crate::api::sync::error::error_from_domain(error);
        return refuse(error.status, error.type_name, error.message);
    }
    let hub = state.push.clone();
    upgrade.on_upgrade(move |socket| serve_connection(hub, socket, query.identity_pool_id, query.identity_id, query.device_id))
}

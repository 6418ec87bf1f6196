//! `/<pool id>/.well-known/jwks.json` and `/<pool id>/.well-known/openid-configuration`: the
//! public keys that verify a pool's tokens, and the discovery document that points at them.
//! Authorisation: none.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use cognate_domain::ids::UserPoolId;
use cognate_domain::tokens::PublicJwk;
use cognate_domain::DomainError;

use crate::state::AppState;

fn failure(error: DomainError) -> Response {
    match error {
        DomainError::NotFound(message) | DomainError::InvalidParameter(message) => {
            (StatusCode::NOT_FOUND, axum::Json(json!({ "message": message }))).into_response()
        }
        DomainError::InvalidMember(invalid) => (StatusCode::NOT_FOUND, axum::Json(json!({ "message": invalid.to_string() }))).into_response(),
        other => {
            tracing::error!(error = %other, "serving a well-known document");
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "message": "Internal server error." }))).into_response()
        }
    }
}

/// The path under the public URL where identity pools' OpenID tokens are issued; their keys
/// are at `/<path>/.well-known/jwks_uri`, as Cognito Identity names it.
pub const IDENTITY_PATH: &str = "cognito-identity";

fn jwks_document(keys: &[PublicJwk]) -> Response {
    let keys: Vec<_> = keys
        .iter()
        .map(|key| {
            let algorithm = key.algorithm.clone().unwrap_or_else(|| "RS256".into());
            json!({ "alg": algorithm, "e": key.exponent, "kid": key.kid, "kty": "RSA", "n": key.modulus, "use": "sig" })
        })
        .collect();
    axum::Json(json!({ "keys": keys })).into_response()
}

pub async fn jwks(State(state): State<AppState>, Path(pool_id): Path<String>) -> Response {
    let pool_id = match UserPoolId::parse(pool_id) {
        Ok(pool_id) => pool_id,
        Err(error) => return failure(error),
    };
    match state.user_pools.jwks(&pool_id).await {
        Ok(keys) => jwks_document(&keys),
        Err(error) => failure(error),
    }
}

/// `/cognito-identity/.well-known/jwks_uri`: the keys of the OpenID tokens.
pub async fn identity_jwks(State(state): State<AppState>) -> Response {
    match state.identity_pools.openid_jwks().await {
        Ok(keys) => jwks_document(&keys),
        Err(error) => failure(error),
    }
}

pub async fn openid_configuration(State(state): State<AppState>, Path(pool_id): Path<String>) -> Response {
    if pool_id == IDENTITY_PATH {
        let issuer = state.identity_pools.issuer();
        return axum::Json(json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/.well-known/jwks_uri"),
            "response_types_supported": ["code", "id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS512"],
            "claims_supported": ["sub", "aud", "amr", "iss", "exp", "iat"],
        }))
        .into_response();
    }
    let pool_id = match UserPoolId::parse(pool_id) {
        Ok(pool_id) => pool_id,
        Err(error) => return failure(error),
    };
    match state.user_pools.pool_issuer(&pool_id).await {
        Ok(issuer) => axum::Json(json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
            "token_endpoint": format!("{issuer}/oauth2/token"),
            "end_session_endpoint": format!("{issuer}/logout"),
            "userinfo_endpoint": format!("{issuer}/oauth2/userInfo"),
            "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
            "grant_types_supported": ["authorization_code", "implicit", "client_credentials", "refresh_token"],
            "response_types_supported": ["code", "token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "scopes_supported": ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "token_use", "cognito:username", "cognito:groups", "email", "email_verified", "phone_number", "phone_number_verified", "nonce", "at_hash", "identities"],
        }))
        .into_response(),
        Err(error) => failure(error),
    }
}

//! The OAuth 2.0 token endpoint of a user pool, under its issuer:
//! `POST <public URL>/<pool id>/oauth2/token` (form-encoded) with the authorization_code (PKCE),
//! client_credentials and refresh_token grants; client authentication by HTTP Basic (`client_secret_basic`) or by body
//! (`client_secret_post`), never both. Errors are RFC 6749's JSON. Also `/oauth2/revoke`
//! (RFC 7009) and `/oauth2/userInfo` (Bearer access token).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::json;

use cognate_domain::ids::{ClientId, UserPoolId};
use cognate_domain::user_pool::oauth::OAuthError;

use crate::state::{AppState, OperationName};
use crate::aws::query::QueryInput;

fn answer(status: StatusCode, body: impl serde::Serialize) -> Response {
    let body = serde_json::to_string(&body).expect("a JSON body serializes");
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json;charset=UTF-8"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
    response
}

/// The token endpoint's answer, serialized straight from the tokens (not copied into a JSON value).
#[derive(serde::Serialize)]
struct Tokens<'a> {
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    token_type: &'static str,
    expires_in: i64,
}

impl<'a> Tokens<'a> {
    fn bearer(access_token: &'a str, expires_in: i64) -> Tokens<'a> {
        Tokens { access_token, id_token: None, refresh_token: None, token_type: "Bearer", expires_in }
    }
}

fn refuse(error: OAuthError, basic: bool) -> Response {
    let status = match (&error, basic) {
        (OAuthError::InvalidClient(_), true) => StatusCode::UNAUTHORIZED,
        (OAuthError::Server(_), _) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = answer(status, json!({"error": error.code(), "error_description": error.description()}));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert("www-authenticate", HeaderValue::from_static("Basic realm=\"cognate\""));
    }
    response
}

/// `(client_id, client_secret, whether HTTP Basic was used)`.
/// The client a token request authenticates as: its id (parsed here), the secret it gave, and
/// whether it used HTTP Basic.
fn client_credentials(headers: &HeaderMap, form: &QueryInput) -> Result<(ClientId, Option<String>, bool), OAuthError> {
    let (id, secret, basic) = given_credentials(headers, form)?;
    let id = ClientId::parse(id).map_err(|_| OAuthError::InvalidClient("Client authentication failed.".into()))?;
    Ok((id, secret, basic))
}

fn given_credentials(headers: &HeaderMap, form: &QueryInput) -> Result<(String, Option<String>, bool), OAuthError> {
    let basic = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")));
    match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => Err(OAuthError::InvalidRequest("Authenticate the client one way: HTTP Basic or the body, not both.".into())),
        (Some(encoded), None) => {
            let decoded = BASE64.decode(encoded.trim()).ok().and_then(|bytes| String::from_utf8(bytes).ok());
            let (id, secret) = decoded
                .as_deref()
                .and_then(|text| text.split_once(':'))
                .ok_or_else(|| OAuthError::InvalidClient("The Authorization header is not client_id:client_secret.".into()))?;
            if form.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::InvalidRequest("client_id differs from the authenticated client.".into()));
            }
            Ok((id.to_string(), Some(secret.to_string()), true))
        }
        (None, secret) => {
            let id = form.get("client_id").ok_or_else(|| OAuthError::InvalidClient("No client authentication.".into()))?;
            Ok((id.to_string(), secret.map(str::to_string), false))
        }
    }
}

pub async fn token(State(state): State<AppState>, Path(pool_id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let mut response = token_response(&state, &pool_id, &headers, &body).await;
    response.extensions_mut().insert(OperationName("oauth2/token"));
    response
}

async fn token_response(state: &AppState, pool_id: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let pool_id = &match UserPoolId::parse(pool_id) {
        Ok(pool_id) => pool_id,
        Err(error) => return refuse(error.into(), false),
    };
    let form = match form_of(headers, body) {
        Ok(form) => form,
        Err(error) => return refuse(error, false),
    };
    let (client_id, secret, basic) = match client_credentials(headers, &form) {
        Ok(credentials) => credentials,
        Err(error) => return refuse(error, false),
    };
    if !state.rate_limits.per_client.allow(&client_id) {
        return answer(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "slow_down", "error_description": "Too many requests for this client."}),
        );
    }
    match form.get("grant_type") {
        Some("client_credentials") => {
            match state.user_pools.client_credentials_grant(pool_id, &client_id, secret.as_deref(), form.get("scope")).await {
                Ok(issued) => answer(StatusCode::OK, Tokens::bearer(&issued.access_token, issued.expires_in)),
                Err(error) => refuse(error, basic),
            }
        }
        Some("refresh_token") => {
            let Some(refresh_token) = form.get("refresh_token") else {
                return refuse(OAuthError::InvalidRequest("refresh_token is required.".into()), basic);
            };
            match state.user_pools.refresh_token_grant(pool_id, &client_id, secret.as_deref(), refresh_token).await {
                Ok(tokens) => answer(
                    StatusCode::OK,
                    Tokens { id_token: Some(&tokens.id_token), refresh_token: tokens.refresh_token.as_deref(), ..Tokens::bearer(&tokens.access_token, tokens.expires_in) },
                ),
                Err(error) => refuse(error, basic),
            }
        }
        Some("authorization_code") => {
            let Some(code) = form.get("code") else {
                return refuse(OAuthError::InvalidRequest("code is required.".into()), basic);
            };
            let outcome = state
                .user_pools
                .authorization_code_grant(pool_id, &client_id, secret.as_deref(), code, form.get("redirect_uri"), form.get("code_verifier"))
                .await;
            match outcome {
                Ok(tokens) => answer(
                    StatusCode::OK,
                    Tokens { id_token: tokens.id_token.as_deref(), refresh_token: tokens.refresh_token.as_deref(), ..Tokens::bearer(&tokens.access_token, tokens.expires_in) },
                ),
                Err(error) => refuse(error, basic),
            }
        }
        Some(other) => refuse(OAuthError::UnsupportedGrantType(format!("The grant type {other} is not supported.")), basic),
        None => refuse(OAuthError::InvalidRequest("grant_type is required.".into()), basic),
    }
}

/// Reads a form body, refusing other content types.
fn form_of(headers: &HeaderMap, body: &[u8]) -> Result<QueryInput, OAuthError> {
    let form_encoded = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return Err(OAuthError::InvalidRequest("The body must be application/x-www-form-urlencoded.".into()));
    }
    QueryInput::parse(body).map_err(|_| OAuthError::InvalidRequest("The body is not UTF-8.".into()))
}

/// `POST /<pool id>/oauth2/revoke`: revokes a refresh token (RFC 7009); 200 with an empty body.
pub async fn revoke(State(state): State<AppState>, Path(pool_id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let outcome = async {
        let form = form_of(&headers, &body).map_err(|error| (error, false))?;
        let (client_id, secret, basic) = client_credentials(&headers, &form).map_err(|error| (error, false))?;
        let token = form.get("token").ok_or((OAuthError::InvalidRequest("token is required.".into()), basic))?;
        let pool_id = UserPoolId::parse(pool_id.as_str()).map_err(|error| (error.into(), basic))?;
        state.user_pools.revoke_grant(&pool_id, &client_id, secret.as_deref(), token).await.map_err(|error| (error, basic))
    }
    .await;
    let mut response = match outcome {
        Ok(()) => answer(StatusCode::OK, json!({})),
        Err((error, basic)) => refuse(error, basic),
    };
    response.extensions_mut().insert(OperationName("oauth2/revoke"));
    response
}

/// `GET|POST /<pool id>/oauth2/userInfo` with `Authorization: Bearer <access token>`.
pub async fn user_info(State(state): State<AppState>, Path(pool_id): Path<String>, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")));
    let outcome = match token {
        Some(token) => match UserPoolId::parse(pool_id) {
            Ok(pool_id) => state.user_pools.user_info(&pool_id, token.trim()).await,
            Err(error) => Err(error),
        }
        .map_err(|error| match error {
            cognate_domain::DomainError::Internal(detail) => {
                tracing::error!(%detail, "internal error at userInfo");
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
            cognate_domain::DomainError::NotFound(_)
            | cognate_domain::DomainError::UserNotFound(_)
            | cognate_domain::DomainError::GroupExists(_)
            | cognate_domain::DomainError::UsernameExists(_)
            | cognate_domain::DomainError::AliasExists(_)
            | cognate_domain::DomainError::InvalidParameter(_)
            | cognate_domain::DomainError::InvalidMember(_)
            | cognate_domain::DomainError::RefreshTokenReused(_)
            | cognate_domain::DomainError::InvalidPassword(_)
            | cognate_domain::DomainError::PasswordReused(_)
            | cognate_domain::DomainError::NotAuthorized(_)
            | cognate_domain::DomainError::UnsupportedUserState(_)
            | cognate_domain::DomainError::UserNotConfirmed(_)
            | cognate_domain::DomainError::PasswordResetRequired(_)
            | cognate_domain::DomainError::CodeMismatch(_)
            | cognate_domain::DomainError::EnableSoftwareTokenMfa(_)
            | cognate_domain::DomainError::SoftwareTokenMfaNotFound(_)
            | cognate_domain::DomainError::DeviceKeyExists(_)
            | cognate_domain::DomainError::TriggerRefused(_)
            | cognate_domain::DomainError::WebAuthn(..)
            | cognate_domain::DomainError::ExpiredCode(_)
            | cognate_domain::DomainError::PreconditionNotMet(_)
            | cognate_domain::DomainError::UnsupportedOperation(_)
            | cognate_domain::DomainError::UnauthorizedClient(_)
            | cognate_domain::DomainError::NotImplemented(_)
            | cognate_domain::DomainError::LimitExceeded(_)
            | cognate_domain::DomainError::Conflict(_)
            | cognate_domain::DomainError::DuplicateRequest(_)
            | cognate_domain::DomainError::AlreadyStreamed(_)
            | cognate_domain::DomainError::InUse(_)
            | cognate_domain::DomainError::MalformedPolicy(_)
            | cognate_domain::DomainError::InvalidIdentityToken(_)
            | cognate_domain::DomainError::AccessDenied(_)
            | cognate_domain::DomainError::ExpiredToken(_)
            | cognate_domain::DomainError::InvalidConfiguration(_)
            | cognate_domain::DomainError::ProviderUnreachable(_)
            | cognate_domain::DomainError::TriggerOutputInvalid(_)
            | cognate_domain::DomainError::TriggerUnavailable(_)
            | cognate_domain::DomainError::TooManyRequests(_)
            | cognate_domain::DomainError::Unavailable(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
        }),
        None => Err((StatusCode::UNAUTHORIZED, "invalid_request")),
    };
    let mut response = match outcome {
        Ok(info) => answer(StatusCode::OK, info),
        Err((status, code)) => {
            let mut response = answer(status, json!({"error": code, "error_description": "The access token is missing, invalid, expired or revoked."}));
            if let Ok(value) = HeaderValue::from_str(&format!("Bearer error=\"{code}\"")) {
                response.headers_mut().insert("www-authenticate", value);
            }
            response
        }
    };
    response.extensions_mut().insert(OperationName("oauth2/userInfo"));
    response
}

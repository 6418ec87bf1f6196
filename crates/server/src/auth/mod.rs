//! Who sent a request and whether they may: SigV4 verification against the root credentials, an
//! IAM user's access key or an STS session's ([`authenticate`], [`authenticate_presigned`]), the
//! policy check of a user or session ([`authorize`]), and HTTP Basic with the root credentials for the operator's
//! endpoints ([`root_basic`]). A leaf: it imports no API and no page.

pub mod root_basic;

use axum::http::{HeaderMap, StatusCode, Uri};

use cognate_domain::iam::{AccessKey, IamUser, StsSession};
use cognate_domain::DomainError;

use crate::aws::json::ApiError;
use crate::aws::query::QueryError;
use crate::aws::sigv4::{self, SignatureError, SignedParts};
use crate::state::AppState;

/// Who signed a request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The root credentials: may do anything.
    Root,
    /// Temporary credentials of an assumed role: may do what the role's policies allow.
    Session(Box<StsSession>),
    /// An IAM user's access key: may do what the user's policies allow.
    User(Box<UserKey>),
    /// Temporary credentials the root asked for (GetSessionToken, GetFederationToken): may do
    /// what the root may, a federated user's within its session policies.
    RootSession(Box<StsSession>),
}

/// An IAM user and the key it signed with: one of its access keys, or temporary credentials
/// of GetSessionToken (which act as the user, with the session's MFA context).
#[derive(Debug, Clone)]
pub struct UserKey {
    pub user: IamUser,
    pub key: Option<AccessKey>,
    pub session: Option<Box<StsSession>>,
}

impl UserKey {
    /// The federated user a GetFederationToken session acts as.
    pub fn federated_name(&self) -> Option<&str> {
        self.session.as_ref().and_then(|session| session.federated_name.as_deref())
    }
}

/// Why a signed request was refused.
#[derive(Debug, Clone)]
pub enum AuthFailure {
    Signature(SignatureError),
    Expired(String),
    Internal,
    /// Authenticated, but the policy engine denies the action.
    Denied(String),
}

impl AuthFailure {
    pub fn into_json(self) -> ApiError {
        match self {
            AuthFailure::Signature(SignatureError::Missing) => {
                ApiError::new(StatusCode::FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token")
            }
            AuthFailure::Signature(SignatureError::Incomplete(message)) => {
                ApiError::new(StatusCode::FORBIDDEN, "IncompleteSignatureException", message)
            }
            AuthFailure::Signature(SignatureError::UnknownAccessKey) => ApiError::new(
                StatusCode::FORBIDDEN,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ),
            AuthFailure::Signature(SignatureError::Invalid(message)) => {
                ApiError::new(StatusCode::FORBIDDEN, "InvalidSignatureException", message)
            }
            AuthFailure::Expired(message) => ApiError::new(StatusCode::BAD_REQUEST, "ExpiredTokenException", message),
            AuthFailure::Denied(message) => ApiError::new(StatusCode::FORBIDDEN, "AccessDeniedException", message),
            AuthFailure::Internal => ApiError::internal(),
        }
    }

    pub fn into_query(self) -> QueryError {
        match self {
            AuthFailure::Signature(SignatureError::Missing) => {
                QueryError::new(StatusCode::FORBIDDEN, "MissingAuthenticationToken", "Request is missing Authentication Token")
            }
            AuthFailure::Signature(SignatureError::Incomplete(message)) => QueryError::sender("IncompleteSignature", message),
            AuthFailure::Signature(SignatureError::UnknownAccessKey) => QueryError::new(
                StatusCode::FORBIDDEN,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            AuthFailure::Signature(SignatureError::Invalid(message)) => {
                QueryError::new(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message)
            }
            AuthFailure::Expired(message) => QueryError::sender("ExpiredToken", message),
            AuthFailure::Denied(message) => QueryError::new(StatusCode::FORBIDDEN, "AccessDenied", message),
            AuthFailure::Internal => QueryError::internal(),
        }
    }
}

/// Authenticates a SigV4-signed request: by the root credentials, or by temporary credentials
/// whose session token (`X-Amz-Security-Token`) matches and has not expired. Also answers the
/// region the request was signed for: any region is served, and what a request creates or
/// lists belongs to its region, as in AWS.
pub async fn authenticate(
    state: &AppState,
    service: &str,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Principal, String), AuthFailure> {
    let header = headers.get("authorization").ok_or(AuthFailure::Signature(SignatureError::Missing))?;
    let header = header
        .to_str()
        .map_err(|_| AuthFailure::Signature(SignatureError::Incomplete("The Authorization header is not ASCII.".into())))?;
    let access_key_id = sigv4::parse_authorization(header).map_err(AuthFailure::Signature)?.access_key_id;
    let token = headers.get("x-amz-security-token").and_then(|value| value.to_str().ok());
    let (principal, secret) = resolve_key(state, &access_key_id, token).await?;
    let accept_any = state.config.insecure_accept_any_signature;
    if secret.is_none() && !accept_any {
        return Err(AuthFailure::Signature(SignatureError::UnknownAccessKey));
    }
    let parts = SignedParts { method, raw_path: uri.path(), raw_query: uri.query().unwrap_or(""), headers, body };
    let expectation = sigv4::Expectation {
        service,
        region: None,
        also_region: None,
        now_seconds: state.clock.now_millis().div_euclid(1000),
    };
    let caller = sigv4::verify(&parts, &expectation, |_| secret.clone(), accept_any).map_err(AuthFailure::Signature)?;
    // IAM and STS are global: whatever region they are signed for, they answer as the default.
    let region = if matches!(service, "iam" | "sts") || !sigv4::is_region(&caller.region) { state.config.region.clone() } else { caller.region };
    note_key_used(state, &principal, service, &region).await;
    Ok((principal, region))
}

/// The principal and secret of an access key: the root's, or an STS session's whose token
/// matches. `(Root, None)` when the key is unknown.
pub(crate) async fn resolve_key(state: &AppState, access_key_id: &str, session_token: Option<&str>) -> Result<(Principal, Option<String>), AuthFailure> {
    let root = &state.root;
    if cognate_domain::crypto::constant_time_eq(access_key_id.as_bytes(), root.access_key_id.as_bytes()) {
        return Ok((Principal::Root, Some(root.secret_access_key.0.clone())));
    }
    if access_key_id.starts_with("AKIA") {
        return match state.iam.open_access_key(access_key_id).await {
            Ok(Some((user, key, secret))) => Ok((Principal::User(Box::new(UserKey { user, key: Some(key), session: None })), Some(secret))),
            Ok(None) => Ok((Principal::Root, None)),
            Err(error) => {
                tracing::error!(%error, "opening an access key");
                Err(AuthFailure::Internal)
            }
        };
    }
    match state.iam.open_session(access_key_id, session_token).await {
        Ok(Some((session, secret))) if session.root => Ok((Principal::RootSession(Box::new(session)), Some(secret))),
        Ok(Some((session, secret))) if session.user_name.is_some() => match state.iam.session_user(&session).await {
            Ok(Some(user)) => Ok((Principal::User(Box::new(UserKey { user, key: None, session: Some(Box::new(session)) })), Some(secret))),
            Ok(None) => Ok((Principal::Root, None)),
            Err(error) => {
                tracing::error!(%error, "opening a session's user");
                Err(AuthFailure::Internal)
            }
        },
        Ok(Some((session, secret))) => Ok((Principal::Session(Box::new(session)), Some(secret))),
        Ok(None) => Ok((Principal::Root, None)),
        Err(DomainError::ExpiredToken(message)) => Err(AuthFailure::Expired(message)),
        Err(error) => {
            tracing::error!(%error, "opening a session");
            Err(AuthFailure::Internal)
        }
    }
}

/// Authenticates a GET presigned with SigV4 query parameters (the push WebSocket).
pub async fn authenticate_presigned(state: &AppState, service: &str, uri: &Uri, headers: &HeaderMap) -> Result<Principal, AuthFailure> {
    let raw_query = uri.query().unwrap_or("");
    let caller = crate::aws::presigned::presigned_caller(raw_query).map_err(AuthFailure::Signature)?;
    let (principal, secret) = resolve_key(state, &caller.access_key_id, caller.session_token.as_deref()).await?;
    let accept_any = state.config.insecure_accept_any_signature;
    if secret.is_none() && !accept_any {
        return Err(AuthFailure::Signature(SignatureError::UnknownAccessKey));
    }
    let parts = SignedParts { method: "GET", raw_path: uri.path(), raw_query, headers, body: b"" };
    let expectation = sigv4::Expectation {
        service,
        region: None,
        also_region: None,
        now_seconds: state.clock.now_millis().div_euclid(1000),
    };
    crate::aws::presigned::verify_presigned(&parts, &expectation, |_| secret.clone(), accept_any).map_err(AuthFailure::Signature)?;
    note_key_used(state, &principal, service, &state.config.region).await;
    Ok(principal)
}

/// GetAccessKeyLastUsed's record of a user's key that signed a verified request.
pub(crate) async fn note_key_used(state: &AppState, principal: &Principal, service: &str, region: &str) {
    if let Some(key) = match principal {
        Principal::User(signer) => signer.key.as_ref(),
        _ => None,
    } {
        if let Err(error) = state.iam.note_key_used(key, service, region).await {
            tracing::warn!(%error, "noting an access key's last use");
        }
    }
}

/// Lets the root do anything, and an IAM user or a role session what its policies allow.
pub async fn authorize(state: &AppState, principal: &Principal, action: &str, resource: &str) -> Result<(), AuthFailure> {
    authorize_with(state, principal, action, resource, &[]).await
}

/// [`authorize`] with request context keys of the action (`s3:prefix`, `dynamodb:LeadingKeys`, …).
pub async fn authorize_with(
    state: &AppState,
    principal: &Principal,
    action: &str,
    resource: &str,
    context: &[(&str, Vec<String>)],
) -> Result<(), AuthFailure> {
    let decision = match principal {
        Principal::Root => return Ok(()),
        Principal::Session(session) => state.iam.authorize(session, action, resource, context).await,
        Principal::User(signer) => state.iam.authorize_user_session(&signer.user, signer.session.as_deref(), action, resource, context).await,
        Principal::RootSession(session) => state.iam.authorize_root_session(session, action, resource, context).await,
    };
    match decision {
        Ok(decision) if decision.is_allowed() => Ok(()),
        Ok(_) => Err(AuthFailure::Denied(format!(
            "User: {} is not authorized to perform: {action} on resource: {resource}",
            principal.arn(&state.config.account_id)
        ))),
        Err(error) => {
            tracing::error!(%error, "authorising a request");
            Err(AuthFailure::Internal)
        }
    }
}

impl Principal {
    /// The federated user a GetFederationToken session (an IAM user's or the root's) acts as.
    pub fn federated_name(&self) -> Option<&str> {
        match self {
            Principal::User(signer) => signer.federated_name(),
            Principal::RootSession(session) => session.federated_name.as_deref(),
            Principal::Root | Principal::Session(_) => None,
        }
    }

    /// The ARN a refusal, an access log or GetCallerIdentity names.
    pub fn arn(&self, account_id: &str) -> String {
        if let Some(name) = self.federated_name() {
            return cognate_domain::ids::arn::federated_user(account_id, name);
        }
        match self {
            Principal::Root | Principal::RootSession(_) => cognate_domain::ids::arn::iam_root(account_id),
            Principal::Session(session) => session.assumed_role_arn(account_id),
            Principal::User(signer) => signer.user.arn.clone(),
        }
    }
}

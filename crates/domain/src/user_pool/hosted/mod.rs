//! The hosted sign-in of a user pool: its domain, the pages' customization, the checks of the
//! authorization endpoint, the browser's signed-in session, and authorization codes with their
//! exchange at the token endpoint (PKCE S256). The pages themselves are the server's.

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::{random_token, sha256_hex, Issue, OAuthGrant};
use super::oauth::OAuthError;
use super::{AppClient, User, UserPool, UserPoolService};
use crate::ids::{ClientId, UserPoolId};
use crate::crypto::constant_time_eq;
use crate::federation::percent_encode;
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::records::{Document, Record, Records};
use crate::store::{ConflictOn, RecordWrite, StoreError};

mod authorize;
mod codes;
mod domains;
mod ui;

const DOMAIN: &str = "user_pool_domain";
const POOL_DOMAIN: &str = "pool_domain";
const UI_CUSTOMIZATION: &str = "ui_customization";
const HOSTED_SESSION: &str = "hosted_session";
const HOSTED_SIGN_OUT: &str = "hosted_sign_out";
const AUTH_CODE: &str = "auth_code";
const AUTH_CODE_USED: &str = "auth_code_used";

/// How long the browser stays signed in to the hosted pages.
pub const HOSTED_SESSION_MS: i64 = 60 * 60 * 1000;
/// How long an authorization code may be exchanged.
const CODE_VALIDITY_MS: i64 = 5 * 60 * 1000;
const MAX_CSS_CHARS: usize = 131_072;
const MAX_IMAGE_BYTES: usize = 100 * 1024;
/// The scopes every pool knows, besides resource servers' custom scopes.
pub const STANDARD_SCOPES: &[&str] = &["openid", "email", "phone", "profile", super::auth::ADMIN_SCOPE];

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidParameter(message.into())
}

/// A pool's domain: a prefix (`<prefix>.<public host>`) or a custom host name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPoolDomain {
    pub domain: String,
    pub pool_id: String,
    /// The certificate ARN of a custom domain; None for a prefix domain.
    pub certificate_arn: Option<String>,
    pub managed_login_version: Option<i32>,
    pub created_ms: i64,
}

/// The logo and CSS of a pool's pages, for all clients (`ALL`) or one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiCustomization {
    pub pool_id: String,
    pub client_id: String,
    pub css: Option<String>,
    /// Base64 of the image file, and its media type.
    pub image: Option<String>,
    pub image_type: Option<String>,
    pub css_version: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// The parameters of `/oauth2/authorize`, carried from page to page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub response_type: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub identity_provider: Option<String>,
    pub idp_identifier: Option<String>,
    pub prompt: Option<String>,
}

/// Which OAuth flow an authorization runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    Code,
    Token,
}

/// An authorization request that passed every check.
#[derive(Debug, Clone)]
pub struct CheckedAuthorize {
    pub pool: UserPool,
    pub client: AppClient,
    pub request: AuthorizeRequest,
    pub kind: ResponseKind,
    pub scopes: Vec<String>,
    /// The client's identity providers other than COGNITO, in its order.
    pub external_providers: Vec<String>,
    /// Whether the client allows the pool's own users (`COGNITO`).
    pub cognito_allowed: bool,
    /// The upstream provider the request asks for, if any.
    pub upstream: Option<String>,
    /// Whether some of those providers have IdpIdentifiers, so the sign-in page routes by the
    /// domain of a corporate email.
    pub routes_by_email: bool,
}

/// Why an authorization request is refused: an error page when the client or redirect URI
/// cannot be trusted, otherwise an error sent back to the redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    Page(String),
    Redirect { error: &'static str, description: String },
}

/// Why a federated sign-in did not finish.
#[derive(Debug)]
pub enum UpstreamFailure {
    /// Shown on an error page: the state is unknown or spent, or the provider's answer was not
    /// accepted.
    Page(DomainError),
    /// A trigger (PreSignUp_ExternalProvider) refused the user: as Cognito does, the browser
    /// goes back to the app's redirect URI with `error=invalid_request` and the trigger's
    /// message as `error_description`, so the app can show it.
    App { request: AuthorizeRequest, error: DomainError },
}

/// Where a finished authorization sends the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRedirect(pub String);

/// Tokens from the authorization_code grant.
#[derive(Debug, Clone)]
pub struct CodeTokens {
    pub access_token: String,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodeRecord {
    client_id: String,
    redirect_uri: String,
    username_key: String,
    sub: String,
    scopes: Vec<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    auth_time_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionRecord {
    username_key: String,
    sub: String,
    auth_time_ms: i64,
}

/// When a user was signed out of every hosted session (by their IdP's single logout): sessions
/// that started then or before are over.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedOutRecord {
    at_ms: i64,
}

/// `base` with `pairs` appended as a query (or, for the implicit flow, as the fragment).
pub fn with_parameters(base: &str, pairs: &[(&str, &str)], fragment: bool) -> String {
    let encoded: Vec<String> = pairs.iter().map(|(name, value)| format!("{name}={}", percent_encode(value))).collect();
    let joined = encoded.join("&");
    if fragment {
        format!("{base}#{joined}")
    } else if base.contains('?') {
        format!("{base}&{joined}")
    } else {
        format!("{base}?{joined}")
    }
}

/// A prefix domain: lower-case letters, digits and inner hyphens, 1 to 63 characters, and none
/// of the reserved words.
fn check_prefix_domain(domain: &str) -> DomainResult<()> {
    let bytes = domain.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-';
    if !well_formed {
        return Err(InvalidMember::error("domain", domain, Constraint::Pattern("^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$")));
    }
    for reserved in ["aws", "amazon", "cognito"] {
        if domain.contains(reserved) {
            return Err(invalid(format!("Domain cannot contain reserved word: {reserved}")));
        }
    }
    Ok(())
}

/// A custom domain: a host name of dot-separated labels.
fn check_custom_domain(domain: &str) -> DomainResult<()> {
    let labels_ok = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if labels_ok {
        Ok(())
    } else {
        Err(invalid(format!("{domain} is not a valid custom domain name.")))
    }
}

fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// The PKCE S256 transformation: BASE64URL(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn check_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'))
}

impl Document for UserPoolDomain {
    const KIND: &'static str = DOMAIN;
}

impl Record for UserPoolDomain {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.domain.clone()
    }
}

impl Document for UiCustomization {
    const KIND: &'static str = UI_CUSTOMIZATION;
}

impl Record for UiCustomization {
    fn scope(&self) -> String {
        self.pool_id.clone()
    }

    fn key(&self) -> String {
        self.client_id.clone()
    }
}

/// Filed under the pool and the hash of the code.
impl Document for CodeRecord {
    const KIND: &'static str = AUTH_CODE;
}

/// Filed under the pool and the hash of the session token.
impl Document for SessionRecord {
    const KIND: &'static str = HOSTED_SESSION;
}

/// Filed under the pool and the user's sub, kept as long as a session lasts.
impl Document for SignedOutRecord {
    const KIND: &'static str = HOSTED_SIGN_OUT;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_domains_follow_cognitos_rules() {
        assert!(check_prefix_domain("my-app").is_ok());
        assert!(check_prefix_domain("a").is_ok());
        assert!(check_prefix_domain("-app").is_err());
        assert!(check_prefix_domain("App").is_err());
        assert!(check_prefix_domain("my.app").is_err());
        assert!(check_prefix_domain("my-aws-app").is_err());
        assert!(check_custom_domain("auth.example.com").is_ok());
        assert!(check_custom_domain("example").is_err());
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(check_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!check_verifier("short"));
    }

    #[test]
    fn parameters_go_in_the_query_or_the_fragment() {
        assert_eq!(with_parameters("https://app/cb", &[("code", "a b"), ("state", "x&y")], false), "https://app/cb?code=a%20b&state=x%26y");
        assert_eq!(with_parameters("https://app/cb?k=1", &[("code", "c")], false), "https://app/cb?k=1&code=c");
        assert_eq!(with_parameters("https://app/cb", &[("access_token", "t")], true), "https://app/cb#access_token=t");
    }
}

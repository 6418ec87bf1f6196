//! The hosted sign-in of a user pool: its domain, the pages' customization, the checks of the
//! authorization endpoint, the browser's signed-in session, and authorization codes with their
//! exchange at the token endpoint (PKCE S256). The pages themselves are the server's.

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::{random_token, sha256_hex, OAuthGrant};
use super::oauth::OAuthError;
use super::{store_error, AppClient, User, UserPool, UserPoolService};
use crate::crypto::constant_time_eq;
use crate::federation::percent_encode;
use crate::error::{DomainError, DomainResult};
use crate::store::{ConflictOn, RecordWrite, StoreError};

const DOMAIN: &str = "user_pool_domain";
const POOL_DOMAIN: &str = "pool_domain";
const UI_CUSTOMIZATION: &str = "ui_customization";
const HOSTED_SESSION: &str = "hosted_session";
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
}

/// Why an authorization request is refused: an error page when the client or redirect URI
/// cannot be trusted, otherwise an error sent back to the redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    Page(String),
    Redirect { error: &'static str, description: String },
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
        return Err(invalid(format!(
            "1 validation error detected: Value '{domain}' at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9](?:[a-z0-9\\-]{{0,61}}[a-z0-9])?$"
        )));
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

impl UserPoolService {
    fn decode<T: for<'de> Deserialize<'de>>(data: Option<String>) -> DomainResult<Option<T>> {
        data.map(|data| serde_json::from_str(&data).map_err(DomainError::internal)).transpose()
    }

    pub async fn create_user_pool_domain(
        &self,
        domain: &str,
        pool_id: &str,
        certificate_arn: Option<String>,
        managed_login_version: Option<i32>,
    ) -> DomainResult<UserPoolDomain> {
        self.load_pool(pool_id).await?;
        let kind_key = if certificate_arn.is_some() { "custom" } else { "prefix" };
        if certificate_arn.is_some() {
            check_custom_domain(domain)?;
        } else {
            check_prefix_domain(domain)?;
        }
        if managed_login_version.is_some_and(|version| !(1..=2).contains(&version)) {
            return Err(invalid("ManagedLoginVersion must be 1 or 2."));
        }
        let record = UserPoolDomain {
            domain: domain.to_string(),
            pool_id: pool_id.to_string(),
            certificate_arn,
            managed_login_version,
            created_ms: self.now(),
        };
        let data = serde_json::to_string(&record).map_err(DomainError::internal)?;
        if self.store.get_record(POOL_DOMAIN, pool_id, kind_key, 0).await.map_err(store_error)?.is_some() {
            return Err(invalid(format!("User pool {pool_id} already has a {kind_key} domain configured.")));
        }
        let writes = [
            RecordWrite::Insert { kind: DOMAIN, scope: String::new(), key: domain.to_string(), data, expires_ms: None },
            RecordWrite::Insert { kind: POOL_DOMAIN, scope: pool_id.to_string(), key: kind_key.into(), data: domain.to_string(), expires_ms: None },
        ];
        match self.store.write_records(&writes).await {
            Ok(()) => Ok(record),
            Err(StoreError::Conflict(_)) => Err(invalid("Domain already associated with another user pool.")),
            Err(other) => Err(store_error(other)),
        }
    }

    /// The domain, if any pool has it.
    pub async fn describe_user_pool_domain(&self, domain: &str) -> DomainResult<Option<UserPoolDomain>> {
        Self::decode(self.store.get_record(DOMAIN, "", domain, 0).await.map_err(store_error)?)
    }

    async fn owned_domain(&self, domain: &str, pool_id: &str) -> DomainResult<UserPoolDomain> {
        self.load_pool(pool_id).await?;
        self.describe_user_pool_domain(domain)
            .await?
            .filter(|record| record.pool_id == pool_id)
            .ok_or_else(|| DomainError::NotFound(format!("Domain {domain} does not exist in user pool {pool_id}.")))
    }

    pub async fn update_user_pool_domain(
        &self,
        domain: &str,
        pool_id: &str,
        certificate_arn: Option<String>,
        managed_login_version: Option<i32>,
    ) -> DomainResult<UserPoolDomain> {
        let mut record = self.owned_domain(domain, pool_id).await?;
        if certificate_arn.is_some() != record.certificate_arn.is_some() {
            return Err(invalid("A prefix domain cannot become a custom domain, nor the other way round."));
        }
        if managed_login_version.is_some_and(|version| !(1..=2).contains(&version)) {
            return Err(invalid("ManagedLoginVersion must be 1 or 2."));
        }
        if certificate_arn.is_some() {
            record.certificate_arn = certificate_arn;
        }
        if managed_login_version.is_some() {
            record.managed_login_version = managed_login_version;
        }
        let data = serde_json::to_string(&record).map_err(DomainError::internal)?;
        self.store
            .write_records(&[RecordWrite::Replace { kind: DOMAIN, scope: String::new(), key: domain.to_string(), data }])
            .await
            .map_err(store_error)?;
        Ok(record)
    }

    pub async fn delete_user_pool_domain(&self, domain: &str, pool_id: &str) -> DomainResult<()> {
        let record = self.owned_domain(domain, pool_id).await?;
        let kind_key = if record.certificate_arn.is_some() { "custom" } else { "prefix" };
        self.store
            .write_records(&[
                RecordWrite::Delete { kind: DOMAIN, scope: String::new(), key: domain.to_string() },
                RecordWrite::Delete { kind: POOL_DOMAIN, scope: pool_id.to_string(), key: kind_key.into() },
            ])
            .await
            .map_err(store_error)
    }

    /// The prefix and custom domains of a pool, for DescribeUserPool.
    pub async fn pool_domains(&self, pool_id: &str) -> DomainResult<(Option<String>, Option<String>)> {
        let prefix = self.store.get_record(POOL_DOMAIN, pool_id, "prefix", 0).await.map_err(store_error)?;
        let custom = self.store.get_record(POOL_DOMAIN, pool_id, "custom", 0).await.map_err(store_error)?;
        Ok((prefix, custom))
    }

    pub async fn set_ui_customization(&self, pool_id: &str, client_id: Option<&str>, css: Option<String>, image: Option<Vec<u8>>) -> DomainResult<UiCustomization> {
        self.load_pool(pool_id).await?;
        let client_id = match client_id.filter(|id| *id != "ALL") {
            Some(id) => self.load_client(pool_id, id).await?.client_id,
            None => "ALL".to_string(),
        };
        if let Some(css) = &css {
            if css.chars().count() > MAX_CSS_CHARS {
                return Err(invalid(format!("The CSS may have at most {MAX_CSS_CHARS} characters.")));
            }
            // The CSS goes into a <style> element of the pages: markup would escape from it.
            if css.contains('<') {
                return Err(invalid("The CSS may not contain '<'."));
            }
        }
        let (image, image_type) = match image {
            Some(bytes) => {
                if bytes.len() > MAX_IMAGE_BYTES {
                    return Err(invalid(format!("The image file may have at most {MAX_IMAGE_BYTES} bytes.")));
                }
                let kind = image_type(&bytes).ok_or_else(|| invalid("The image file must be a PNG or JPEG image."))?;
                (Some(BASE64.encode(&bytes)), Some(kind.to_string()))
            }
            None => (None, None),
        };
        let now = self.now();
        let previous: Option<UiCustomization> = Self::decode(self.store.get_record(UI_CUSTOMIZATION, pool_id, &client_id, 0).await.map_err(store_error)?)?;
        let record = UiCustomization {
            pool_id: pool_id.to_string(),
            client_id: client_id.clone(),
            css,
            image,
            image_type,
            css_version: crate::ids::new_uuid().replace('-', "")[..16].to_string(),
            created_ms: previous.map(|previous| previous.created_ms).unwrap_or(now),
            modified_ms: now,
        };
        let data = serde_json::to_string(&record).map_err(DomainError::internal)?;
        self.store
            .write_records(&[RecordWrite::Put { kind: UI_CUSTOMIZATION, scope: pool_id.to_string(), key: client_id, data, expires_ms: None }])
            .await
            .map_err(store_error)?;
        Ok(record)
    }

    /// The customization a client's pages use: its own, else the pool's (`ALL`), else None.
    pub async fn get_ui_customization(&self, pool_id: &str, client_id: Option<&str>) -> DomainResult<Option<UiCustomization>> {
        self.load_pool(pool_id).await?;
        if let Some(client_id) = client_id.filter(|id| *id != "ALL") {
            self.load_client(pool_id, client_id).await?;
            let own = Self::decode(self.store.get_record(UI_CUSTOMIZATION, pool_id, client_id, 0).await.map_err(store_error)?)?;
            if own.is_some() {
                return Ok(own);
            }
        }
        Self::decode(self.store.get_record(UI_CUSTOMIZATION, pool_id, "ALL", 0).await.map_err(store_error)?)
    }

    /// Checks an authorization request against the client's OAuth settings.
    pub async fn check_authorize(&self, pool_id: &str, request: &AuthorizeRequest) -> Result<CheckedAuthorize, AuthorizeError> {
        let page = |message: &str| AuthorizeError::Page(message.to_string());
        let internal = |error: DomainError| {
            tracing::error!(%error, "checking an authorization request");
            AuthorizeError::Page("An internal error occurred.".into())
        };
        if crate::ids::check_client_id(&request.client_id).is_err() {
            return Err(page("The client_id is missing or unknown."));
        }
        let client = self
            .store
            .find_app_client(&request.client_id)
            .await
            .map_err(|error| internal(store_error(error)))?
            .filter(|client| client.pool_id == pool_id)
            .ok_or_else(|| page("The client_id is missing or unknown."))?;
        let pool = self.load_pool(pool_id).await.map_err(internal)?;
        let oauth = &client.settings.oauth;
        let callbacks = oauth.callback_urls.clone().unwrap_or_default();
        if request.redirect_uri.is_empty() || !callbacks.iter().any(|url| url == &request.redirect_uri) {
            return Err(page("redirect_mismatch: the redirect_uri is not one of the client's callback URLs."));
        }
        let redirect = |error: &'static str, description: &str| AuthorizeError::Redirect { error, description: description.to_string() };
        let kind = match request.response_type.as_str() {
            "code" => ResponseKind::Code,
            "token" => ResponseKind::Token,
            _ => return Err(redirect("unsupported_response_type", "response_type must be code or token.")),
        };
        let flow = if kind == ResponseKind::Code { "code" } else { "implicit" };
        let flow_allowed = oauth.allowed_oauth_flows_user_pool_client && oauth.allowed_oauth_flows.as_ref().is_some_and(|flows| flows.iter().any(|allowed| allowed == flow));
        if !flow_allowed {
            return Err(redirect("unauthorized_client", &format!("The client may not use the {flow} flow.")));
        }
        let allowed_scopes = oauth.allowed_oauth_scopes.clone().unwrap_or_default();
        let scopes: Vec<String> = match request.scope.as_deref().map(str::trim).filter(|scope| !scope.is_empty()) {
            Some(scope) => {
                let mut wanted: Vec<String> = Vec::new();
                for part in scope.split([' ', '+']).filter(|part| !part.is_empty()) {
                    if !allowed_scopes.iter().any(|allowed| allowed == part) {
                        return Err(redirect("invalid_scope", &format!("The scope {part} is not allowed for this client.")));
                    }
                    if !wanted.iter().any(|seen| seen == part) {
                        wanted.push(part.to_string());
                    }
                }
                wanted
            }
            None => allowed_scopes,
        };
        if scopes.is_empty() {
            return Err(redirect("invalid_scope", "The client is allowed no scopes."));
        }
        if kind == ResponseKind::Code {
            match (request.code_challenge.as_deref(), request.code_challenge_method.as_deref()) {
                (Some(challenge), Some("S256")) if challenge.len() == 43 && URL_SAFE_NO_PAD.decode(challenge).is_ok() => {}
                (Some(_), Some("S256")) => return Err(redirect("invalid_request", "code_challenge is not a BASE64URL SHA-256 digest.")),
                (Some(_), None) | (Some(_), Some(_)) => return Err(redirect("invalid_request", "code_challenge_method must be S256.")),
                (None, Some(_)) => return Err(redirect("invalid_request", "code_challenge_method without code_challenge.")),
                (None, None) => {}
            }
        }
        let supported = oauth.supported_identity_providers.clone().unwrap_or_default();
        let cognito_allowed = supported.iter().any(|name| name == "COGNITO");
        let external_providers: Vec<String> = supported.iter().filter(|name| *name != "COGNITO").cloned().collect();
        let upstream = match (request.identity_provider.as_deref(), request.idp_identifier.as_deref()) {
            (Some("COGNITO"), _) if cognito_allowed => None,
            (Some(name), _) if external_providers.iter().any(|supported| supported == name) => Some(name.to_string()),
            (Some(_), _) => return Err(redirect("invalid_request", "The identity_provider is not enabled for this client.")),
            (None, Some(identifier)) => {
                let provider = self.provider_by_identifier(pool_id, identifier).await.map_err(internal)?;
                match provider {
                    Some(name) if external_providers.contains(&name) => Some(name),
                    _ => return Err(redirect("invalid_request", "No identity provider of this client has that idp_identifier.")),
                }
            }
            (None, None) if !cognito_allowed && external_providers.len() == 1 => Some(external_providers[0].clone()),
            (None, None) if !cognito_allowed && external_providers.is_empty() => {
                return Err(redirect("unauthorized_client", "The client has no identity providers."));
            }
            (None, None) => None,
        };
        Ok(CheckedAuthorize { pool, client, request: request.clone(), kind, scopes, external_providers, cognito_allowed, upstream })
    }

    /// Starts the browser's signed-in session; the token goes in a cookie.
    pub async fn start_hosted_session(&self, pool_id: &str, user: &User, auth_time_ms: i64) -> DomainResult<String> {
        let token = random_token(32);
        let pool = self.load_pool(pool_id).await?;
        let record = SessionRecord { username_key: pool.username_key(&user.username), sub: user.sub.clone(), auth_time_ms };
        let data = serde_json::to_string(&record).map_err(DomainError::internal)?;
        let write = RecordWrite::Put {
            kind: HOSTED_SESSION,
            scope: pool_id.to_string(),
            key: sha256_hex(&token),
            data,
            expires_ms: Some(self.now() + HOSTED_SESSION_MS),
        };
        self.store.write_records(&[write]).await.map_err(store_error)?;
        Ok(token)
    }

    /// The user of a live session cookie, with the time they signed in; None when the session
    /// is unknown, expired, or its user is gone or disabled.
    pub async fn hosted_session_user(&self, pool_id: &str, token: &str) -> DomainResult<Option<(User, i64)>> {
        let record: Option<SessionRecord> = Self::decode(self.store.get_record(HOSTED_SESSION, pool_id, &sha256_hex(token), self.now()).await.map_err(store_error)?)?;
        let Some(record) = record else { return Ok(None) };
        let user = self.store.get_user(pool_id, &record.username_key).await.map_err(store_error)?;
        Ok(user.filter(|user| user.sub == record.sub && user.enabled).map(|user| (user, record.auth_time_ms)))
    }

    pub async fn end_hosted_session(&self, pool_id: &str, token: &str) -> DomainResult<()> {
        self.store
            .write_records(&[RecordWrite::Delete { kind: HOSTED_SESSION, scope: pool_id.to_string(), key: sha256_hex(token) }])
            .await
            .map_err(store_error)
    }

    /// Finishes an authorization for a signed-in user: a code for the code flow, tokens in the
    /// fragment for the implicit flow; `state` goes back either way.
    pub async fn complete_authorize(&self, checked: &CheckedAuthorize, user: &User, auth_time_ms: i64) -> DomainResult<AuthorizeRedirect> {
        let request = &checked.request;
        let state = request.state.as_deref();
        match checked.kind {
            ResponseKind::Code => {
                let code = random_token(32);
                let record = CodeRecord {
                    client_id: checked.client.client_id.clone(),
                    redirect_uri: request.redirect_uri.clone(),
                    username_key: checked.pool.username_key(&user.username),
                    sub: user.sub.clone(),
                    scopes: checked.scopes.clone(),
                    nonce: request.nonce.clone(),
                    code_challenge: request.code_challenge.clone(),
                    auth_time_ms,
                };
                let data = serde_json::to_string(&record).map_err(DomainError::internal)?;
                let write = RecordWrite::Insert {
                    kind: AUTH_CODE,
                    scope: checked.pool.id.clone(),
                    key: sha256_hex(&code),
                    data,
                    expires_ms: Some(self.now() + CODE_VALIDITY_MS),
                };
                self.store.write_records(&[write]).await.map_err(store_error)?;
                let mut pairs = vec![("code", code.as_str())];
                if let Some(state) = state {
                    pairs.push(("state", state));
                }
                Ok(AuthorizeRedirect(with_parameters(&request.redirect_uri, &pairs, false)))
            }
            ResponseKind::Token => {
                let grant = OAuthGrant { scopes: checked.scopes.clone(), nonce: request.nonce.clone(), refresh: false, sign_in_id: None };
                let tokens = self.issue_tokens(&checked.pool, &checked.client, user, auth_time_ms, None, Some(&grant)).await?;
                let expires_in = tokens.expires_in.to_string();
                let mut pairs = vec![("access_token", tokens.access_token.as_str())];
                if !tokens.id_token.is_empty() {
                    pairs.push(("id_token", tokens.id_token.as_str()));
                }
                pairs.extend([("token_type", "Bearer"), ("expires_in", expires_in.as_str())]);
                if let Some(state) = state {
                    pairs.push(("state", state));
                }
                Ok(AuthorizeRedirect(with_parameters(&request.redirect_uri, &pairs, true)))
            }
        }
    }

    /// The authorization_code grant: the code is single-use (spent even when the exchange then
    /// fails), bound to its client and redirect URI, and to the PKCE challenge if one was given.
    pub async fn authorization_code_grant(
        &self,
        pool_id: &str,
        client_id: &str,
        client_secret: Option<&str>,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
    ) -> Result<CodeTokens, OAuthError> {
        let client = self.token_client(pool_id, client_id, client_secret).await?;
        let bad = |message: &str| OAuthError::InvalidGrant(message.to_string());
        let key = sha256_hex(code);
        let data = self.store.get_record(AUTH_CODE, pool_id, &key, self.now()).await.map_err(store_error)?;
        let Some(record) = Self::decode::<CodeRecord>(data)? else {
            return Err(self.refuse_replayed_code(pool_id, &key).await?);
        };
        let refusal = if record.client_id != client.client_id {
            Some("The code was issued to another client.")
        } else if redirect_uri != Some(record.redirect_uri.as_str()) {
            Some("redirect_uri differs from the one of the authorization request.")
        } else {
            match (&record.code_challenge, code_verifier) {
                (Some(challenge), Some(verifier)) => {
                    let matches = check_verifier(verifier) && constant_time_eq(pkce_challenge(verifier).as_bytes(), challenge.as_bytes());
                    (!matches).then_some("The code_verifier does not match the code_challenge.")
                }
                (Some(_), None) => Some("code_verifier is required."),
                (None, Some(_)) => Some("The authorization request had no code_challenge."),
                (None, None) => None,
            }
        };
        // The code is spent whatever the outcome, and remembers the sign-in it leads to.
        let now = self.now();
        let sign_in_id = crate::ids::new_uuid();
        let spend = [
            RecordWrite::Insert {
                kind: AUTH_CODE_USED,
                scope: pool_id.to_string(),
                key: key.clone(),
                data: sign_in_id.clone(),
                expires_ms: Some(now + 2 * CODE_VALIDITY_MS),
            },
            RecordWrite::Delete { kind: AUTH_CODE, scope: pool_id.to_string(), key: key.clone() },
        ];
        match self.store.write_records(&spend).await {
            Ok(()) => {}
            Err(StoreError::Conflict(ConflictOn::Key)) => return Err(self.refuse_replayed_code(pool_id, &key).await?),
            Err(other) => return Err(store_error(other).into()),
        }
        if let Some(message) = refusal {
            return Err(bad(message));
        }
        let grant = OAuthGrant { scopes: record.scopes, nonce: record.nonce, refresh: true, sign_in_id: Some(sign_in_id) };
        let pool = self.load_pool(pool_id).await?;
        let user = self
            .store
            .get_user(pool_id, &record.username_key)
            .await
            .map_err(store_error)?
            .filter(|user| user.sub == record.sub && user.enabled)
            .ok_or_else(|| bad("The user of the code no longer exists or is disabled."))?;
        let tokens = self.issue_tokens(&pool, &client, &user, record.auth_time_ms, None, Some(&grant)).await?;
        Ok(CodeTokens {
            access_token: tokens.access_token,
            id_token: Some(tokens.id_token).filter(|token| !token.is_empty()),
            refresh_token: tokens.refresh_token,
            expires_in: tokens.expires_in,
        })
    }

    /// The answer to a code that is not (or no longer) there. A code spent already is a replay:
    /// as RFC 6749 §4.1.2 advises, the tokens issued for it are revoked.
    async fn refuse_replayed_code(&self, pool_id: &str, key: &str) -> DomainResult<OAuthError> {
        let spent = self.store.get_record(AUTH_CODE_USED, pool_id, key, self.now()).await.map_err(store_error)?;
        match spent.filter(|sign_in_id| !sign_in_id.is_empty()) {
            Some(sign_in_id) => {
                self.store.revoke_token_family(&sign_in_id).await.map_err(store_error)?;
                tracing::warn!(pool_id, "an authorization code was replayed; the tokens issued for it are revoked");
                Ok(OAuthError::InvalidGrant("The code has already been used.".into()))
            }
            None => Ok(OAuthError::InvalidGrant("The code is invalid or expired.".into())),
        }
    }

    /// The logout endpoint's check: `logout_uri` must be one of the client's LogoutURLs.
    pub async fn check_logout(&self, pool_id: &str, client_id: &str, logout_uri: &str) -> DomainResult<()> {
        let client = self.load_client(pool_id, client_id).await?;
        let allowed = client.settings.oauth.logout_urls.unwrap_or_default();
        if allowed.iter().any(|url| url == logout_uri) {
            Ok(())
        } else {
            Err(invalid("The logout_uri is not one of the client's sign-out URLs."))
        }
    }

    /// The app client of a pool, for the pages (the secret lets them compute SECRET_HASH).
    pub async fn hosted_client(&self, pool_id: &str, client_id: &str) -> DomainResult<(UserPool, AppClient, Option<String>)> {
        let pool = self.load_pool(pool_id).await?;
        let client = self.load_client(pool_id, client_id).await?;
        let secret = self.client_secret(&client)?;
        Ok((pool, client, secret))
    }
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

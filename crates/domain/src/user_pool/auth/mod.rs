//! Signing in and the tokens that result: InitiateAuth and AdminInitiateAuth with passwords and
//! refresh tokens, the NEW_PASSWORD_REQUIRED challenge, access-token checks for the token-holder
//! operations, sign-out and revocation, and the per-pool signing keys behind the JWKS.

pub use super::signing_key_cache::SigningKeyCache;
pub(crate) use super::signing_key_cache::CachedKeys;

mod challenges;
mod custom;
mod flows;
mod issue;
mod keys;
pub(crate) mod refresh;
mod sessions;
mod srp_flow;
pub mod user_auth;
mod verify;

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{
    attributes, password, set_attribute, validation::validity_seconds, AppClient, Attribute, AttributeWrite, User, UserPool,
    UserPoolService, UserStatus,
};
use crate::ids::{ClientId, UserPoolId};
use crate::crypto::constant_time_eq;
use crate::error::{DomainError, DomainResult};
use crate::tokens::{self, KeyPurpose, LoadedSigningKey, PublicJwk, SigningKeyRecord};
use crate::user_pool::auth_events::recording::StepOutcome;
use crate::user_pool::auth_events::types::EventResponse;
use crate::user_pool::{AuthSessionRecord, ChallengeName, ExplicitAuthFlow, RefreshTokenRecord};

/// The scope of tokens issued through the API (as opposed to OAuth).
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";
/// How long a node trusts its cached copy of a pool's keys before reading them again.
/// How long a replaced signing key keeps verifying: the longest ID or access token lifetime
/// (one day) and a margin for clocks.
const RETIRED_KEY_GRACE_MS: i64 = 24 * 60 * 60 * 1000 + 5 * 60 * 1000;
/// Failed attempts allowed before the lockout starts, and its longest step.
const FREE_ATTEMPTS: u32 = 5;
const MAX_LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// Fifteen minutes without a failure forget the earlier failures.
const FAILURE_MEMORY_MS: i64 = 15 * 60 * 1000;
/// How far an SRP claim's TIMESTAMP may be from the server's clock.
const SRP_TIMESTAMP_SKEW_SECONDS: i64 = 5 * 60;
/// The sealing context of SRP SECRET_BLOCKs.
use crate::sealing::SRP_BLOCK as SRP_BLOCK_CONTEXT;

pub(crate) fn incorrect_credentials() -> DomainError {
    DomainError::NotAuthorized("Incorrect username or password.".into())
}

pub(crate) fn invalid_session() -> DomainError {
    DomainError::NotAuthorized("Invalid session for the user, session is expired.".into())
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub(crate) fn random_token(n_bytes: usize) -> String {
    let mut bytes = vec![0u8; n_bytes];
    crate::crypto::fill_random(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The keys (of `purpose`, or all) that verify at `now`: the newest of each purpose, and older
/// ones whose successor is younger than [`RETIRED_KEY_GRACE_MS`].
fn live_keys(records: &[SigningKeyRecord], purpose: Option<KeyPurpose>, now: i64) -> impl Iterator<Item = &SigningKeyRecord> {
    records.iter().filter(move |record| {
        purpose.is_none_or(|purpose| record.purpose == purpose)
            && !records.iter().any(|newer| {
                newer.purpose == record.purpose
                    && (newer.created_ms, &newer.kid) > (record.created_ms, &record.kid)
                    && now - newer.created_ms > RETIRED_KEY_GRACE_MS
            })
    })
}

/// `SECRET_HASH` as Cognito defines it: Base64(HMAC-SHA256(client secret, username + client id)).
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}


/// How an app client proves itself on the operations that name it by id (SignUp, its
/// confirmation and the password recovery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientProof<'a> {
    /// A caller of the public API: SECRET_HASH, required when the client has a secret.
    SecretHash(Option<&'a str>),
    /// This server's hosted pages, which act for the client they were opened for.
    HostedPages,
}

/// Tokens handed to a client.
#[derive(Debug, Clone)]
pub struct AuthenticationResult {
    pub access_token: String,
    pub id_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
    /// The key a pool that remembers devices gives a sign-in from a device it does not know.
    pub new_device: Option<NewDeviceMetadata>,
}

/// `NewDeviceMetadata`: the device key and the group key the client computes its device
/// verifier with (then ConfirmDevice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeviceMetadata {
    pub device_key: String,
    pub device_group_key: String,
}

/// What a sign-in has established so far: when its first factor passed (the tokens'
/// `auth_time`) and the remembered device it has authenticated, if one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub auth_time_ms: i64,
    pub device_key: Option<String>,
}

impl Progress {
    pub fn at(auth_time_ms: i64) -> Progress {
        Progress { auth_time_ms, device_key: None }
    }
}

/// How tokens are issued beyond the user and the time of sign-in: for a refresh, the sign-in's
/// `origin_jti`; for OAuth, the grant; the device the tokens are bound to (`device_key`); and
/// what PreTokenGeneration is told the occasion is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Issue<'a> {
    pub origin_jti: Option<String>,
    pub grant: Option<&'a OAuthGrant>,
    pub device_key: Option<String>,
    /// The PreTokenGeneration `triggerSource` (`TokenGeneration_Authentication` when None).
    pub source: Option<&'static str>,
    /// The user's groups when already read (a refresh reads them with its token); None: read them.
    pub groups: Option<Vec<crate::user_pool::Group>>,
    /// The store's config version when already read (a refresh reads it with its token); None:
    /// read it.
    pub config_version: Option<i64>,
}

/// What a sign-in step produced: tokens, or a challenge to answer with the session.
#[derive(Debug, Clone)]
pub enum AuthOutcome {
    Authenticated(AuthenticationResult),
    Challenge { name: ChallengeName, parameters: BTreeMap<String, String>, session: Option<String> },
    /// USER_AUTH's SELECT_CHALLENGE: the first factors the user may choose among.
    SelectChallenge { available: Vec<String>, session: String },
}

/// What an OAuth authorization granted: the scopes, the RP's nonce, and whether a refresh
/// token goes with the tokens (not for the implicit flow).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OAuthGrant {
    pub scopes: Vec<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub refresh: bool,
    /// The id (`origin_jti`) a new sign-in takes, when the caller chose it beforehand (the code
    /// exchange records it with the spent code, to revoke the tokens if the code is replayed).
    #[serde(skip)]
    pub sign_in_id: Option<String>,
}

impl StepOutcome for AuthOutcome {
    fn response(&self) -> EventResponse {
        match self {
            AuthOutcome::Authenticated(_) => EventResponse::Pass,
            _ => EventResponse::InProgress,
        }
    }
    fn session(&self) -> Option<&str> {
        match self {
            AuthOutcome::Challenge { session, .. } => session.as_deref(),
            AuthOutcome::SelectChallenge { session, .. } => Some(session),
            AuthOutcome::Authenticated(_) => None,
        }
    }
}

/// Where the hosted sign-in page's password check leaves the user.
#[derive(Debug, Clone)]
pub enum HostedStep {
    SignedIn(User),
    /// The user must choose a password (and give the attributes named in `required`).
    NewPasswordRequired { username: String, session: String, required: Vec<String> },
    /// The user has not confirmed the account: a confirmation code was sent (when it could be),
    /// and the page asks for it.
    ConfirmationCodeSent,
    /// The user must reset the password: a reset code was sent (when it could be), and the page
    /// asks for it with the new password.
    ResetCodeSent,
    /// The password was right and a second factor follows, or a code was sent as the only
    /// factor: the challenge the page asks.
    SecondFactor { username: String, challenge: ChallengeName, parameters: BTreeMap<String, String>, session: String },
    /// A passkey is asked: the page hands the browser these CREDENTIAL_REQUEST_OPTIONS.
    Passkey { username: String, options: String, session: String },
}

impl StepOutcome for HostedStep {
    fn response(&self) -> EventResponse {
        match self {
            HostedStep::SignedIn(_) => EventResponse::Pass,
            HostedStep::ConfirmationCodeSent | HostedStep::ResetCodeSent => EventResponse::Fail,
            _ => EventResponse::InProgress,
        }
    }
    fn session(&self) -> Option<&str> {
        match self {
            HostedStep::NewPasswordRequired { session, .. } | HostedStep::SecondFactor { session, .. } | HostedStep::Passkey { session, .. } => Some(session),
            _ => None,
        }
    }
}

/// Who asked: a public client call (InitiateAuth) or an administrator naming the pool
/// (AdminInitiateAuth, signed).
#[derive(Debug, Clone)]
pub enum Caller {
    Client,
    Admin { pool_id: String },
}

/// A verified access token: its pool, user and claims.
#[derive(Debug, Clone)]
pub struct AccessTokenHolder {
    pub pool: UserPool,
    pub user: User,
    pub claims: Value,
}

/// The `ALLOW_` flows a client allows: Cognito's defaults when it names none, and refresh and
/// SRP besides its own when it names legacy flows.
fn allowed_flows(client: &AppClient) -> Vec<ExplicitAuthFlow> {
    use ExplicitAuthFlow::*;
    let Some(flows) = &client.settings.explicit_auth_flows else {
        return vec![AllowRefreshTokenAuth, AllowUserSrpAuth, AllowCustomAuth];
    };
    let mut allowed = Vec::new();
    if flows.iter().any(|flow| flow.is_legacy()) {
        allowed.extend([AllowRefreshTokenAuth, AllowUserSrpAuth]);
    }
    allowed.extend(flows.iter().map(|flow| flow.allowed()));
    allowed
}

fn require_flow(client: &AppClient, flow: ExplicitAuthFlow) -> DomainResult<()> {
    if allowed_flows(client).contains(&flow) {
        Ok(())
    } else {
        Err(DomainError::InvalidParameter("Auth flow not enabled for this client".into()))
    }
}

pub(crate) fn parameter<'a>(parameters: &'a BTreeMap<String, String>, name: &str) -> DomainResult<&'a str> {
    parameters
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| DomainError::InvalidParameter(format!("Missing required parameter {name}")))
}

/// A claim value for a user attribute: booleans and numbers where Cognito puts them.
fn claim_value(attribute: &Attribute) -> Value {
    match attribute.name.as_str() {
        "email_verified" | "phone_number_verified" => Value::Bool(attribute.value == "true"),
        "identities" => serde_json::from_str(&attribute.value).unwrap_or_else(|_| Value::String(attribute.value.clone())),
        "updated_at" => attribute.value.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(attribute.value.clone())),
        _ => Value::String(attribute.value.clone()),
    }
}

/// When the lockout of a user ends, if one applies: after five failures, 2^(n-5) seconds
/// counted from the last failure, up to fifteen minutes.
fn lockout_end(user: &User) -> Option<i64> {
    if user.failed_sign_ins < FREE_ATTEMPTS {
        return None;
    }
    let exponent = (user.failed_sign_ins - FREE_ATTEMPTS).min(20);
    let lock_ms = (1000i64 << exponent).min(MAX_LOCKOUT_MS);
    user.last_failed_sign_in_ms.map(|last| last + lock_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hash_matches_the_documented_construction() {
        // HMAC-SHA256("secret", "alice" + "client") in base64, computed independently with
        // `printf 'aliceclient' | openssl dgst -sha256 -hmac secret -binary | base64`.
        assert_eq!(secret_hash("secret", "alice", "client"), "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=");
    }

    #[test]
    fn lockout_grows_and_caps() {
        let mut user = User {
            pool_id: "p".into(),
            username: "u".into(),
            sub: "s".into(),
            attributes: vec![],
            enabled: true,
            status: UserStatus::Confirmed,
            password_hash: None,
            temporary_password_expires_ms: None,
            created_ms: 0,
            modified_ms: 0,
            failed_sign_ins: 4,
            last_failed_sign_in_ms: Some(10_000),
            sealed_srp_verifier: None,
            pending_codes: Vec::new(),
            hourly_attempts: Vec::new(),
            password_history: Vec::new(),
            mfa: Default::default(),
            password_at_source: false,
            version: 0,
        };
        assert_eq!(lockout_end(&user), None);
        user.failed_sign_ins = 5;
        assert_eq!(lockout_end(&user), Some(11_000));
        user.failed_sign_ins = 7;
        assert_eq!(lockout_end(&user), Some(14_000));
        user.failed_sign_ins = 40;
        assert_eq!(lockout_end(&user), Some(10_000 + MAX_LOCKOUT_MS));
    }
}

//! Signing in and the tokens that result: InitiateAuth and AdminInitiateAuth with passwords and
//! refresh tokens, the NEW_PASSWORD_REQUIRED challenge, access-token checks for the token-holder
//! operations, sign-out and revocation, and the per-pool signing keys behind the JWKS.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{
    attributes, password, set_attribute, store_error, validation::validity_seconds, AppClient, Attribute, AttributeWrite, User, UserPool,
    UserPoolService, UserStatus,
};
use crate::crypto::constant_time_eq;
use crate::error::{DomainError, DomainResult};
use crate::tokens::{self, KeyPurpose, LoadedSigningKey, PublicJwk, SigningKeyRecord};
use crate::user_pool::{AuthSessionRecord, RefreshTokenRecord};

/// The scope of tokens issued through the API (as opposed to OAuth).
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";
/// How long a node trusts its cached copy of a pool's keys before reading them again.
const KEY_CACHE_TTL: Duration = Duration::from_secs(60);
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
const SRP_BLOCK_CONTEXT: &str = "srp-secret-block";

fn incorrect_credentials() -> DomainError {
    DomainError::NotAuthorized("Incorrect username or password.".into())
}

fn invalid_session() -> DomainError {
    DomainError::NotAuthorized("Invalid session for the user, session is expired.".into())
}

pub(super) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub(super) fn random_token(n_bytes: usize) -> String {
    let mut bytes = vec![0u8; n_bytes];
    OsRng.fill_bytes(&mut bytes);
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

/// The keys a node has opened for one pool.
pub(super) struct CachedKeys {
    loaded_at: Instant,
    records: Vec<SigningKeyRecord>,
    pub(super) id_key: Arc<LoadedSigningKey>,
    pub(super) access_key: Arc<LoadedSigningKey>,
}

/// Opened signing keys per pool, re-read from the store after [`KEY_CACHE_TTL`] so that a key
/// added by another node is picked up.
#[derive(Default)]
pub struct SigningKeyCache {
    pools: Mutex<HashMap<String, Arc<CachedKeys>>>,
}

/// Tokens handed to a client.
#[derive(Debug, Clone)]
pub struct AuthenticationResult {
    pub access_token: String,
    pub id_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

/// What a sign-in step produced: tokens, or a challenge to answer with the session.
#[derive(Debug, Clone)]
pub enum AuthOutcome {
    Authenticated(AuthenticationResult),
    Challenge { name: String, parameters: BTreeMap<String, String>, session: Option<String> },
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

/// Where the hosted sign-in page's password check leaves the user.
#[derive(Debug, Clone)]
pub enum HostedStep {
    SignedIn(User),
    /// The user must choose a password (and give the attributes named in `required`).
    NewPasswordRequired { username: String, session: String, required: Vec<String> },
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

fn allowed_flows(client: &AppClient) -> Vec<&'static str> {
    let Some(flows) = &client.settings.explicit_auth_flows else {
        return vec!["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"];
    };
    let mut allowed = Vec::new();
    let legacy = flows.iter().any(|flow| !flow.starts_with("ALLOW_"));
    if legacy {
        allowed.extend(["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]);
    }
    for flow in flows {
        allowed.push(match flow.as_str() {
            "ADMIN_NO_SRP_AUTH" | "ALLOW_ADMIN_USER_PASSWORD_AUTH" => "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "USER_PASSWORD_AUTH" | "ALLOW_USER_PASSWORD_AUTH" => "ALLOW_USER_PASSWORD_AUTH",
            "CUSTOM_AUTH_FLOW_ONLY" | "ALLOW_CUSTOM_AUTH" => "ALLOW_CUSTOM_AUTH",
            "ALLOW_USER_SRP_AUTH" => "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH" => "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_AUTH" => "ALLOW_USER_AUTH",
            _ => continue,
        });
    }
    allowed
}

fn require_flow(client: &AppClient, flow: &str) -> DomainResult<()> {
    if allowed_flows(client).contains(&flow) {
        Ok(())
    } else {
        Err(DomainError::InvalidParameter("Auth flow not enabled for this client".into()))
    }
}

fn parameter<'a>(parameters: &'a BTreeMap<String, String>, name: &str) -> DomainResult<&'a str> {
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

impl UserPoolService {
    pub(super) fn issuer(&self, pool_id: &str) -> String {
        format!("{}/{pool_id}", self.issuer_base)
    }

    /// The opened keys of a pool, creating them on first use.
    pub(super) async fn pool_keys(&self, pool_id: &str) -> DomainResult<Arc<CachedKeys>> {
        if let Some(cached) = self.signing_keys.pools.lock().expect("key cache lock").get(pool_id) {
            if cached.loaded_at.elapsed() < KEY_CACHE_TTL {
                return Ok(cached.clone());
            }
        }
        let mut records = self.store.list_signing_keys(pool_id).await.map_err(store_error)?;
        for purpose in [KeyPurpose::IdToken, KeyPurpose::AccessToken] {
            if !records.iter().any(|record| record.purpose == purpose) {
                // RSA key generation takes tens of milliseconds; it happens once per pool.
                let record = tokens::generate_signing_key(&self.master_key, pool_id, purpose, self.now())?;
                self.store.insert_signing_key(&record).await.map_err(store_error)?;
                // Two nodes may race to create a key; both keys are published and the oldest
                // signs, so every node signs with the same one.
                records = self.store.list_signing_keys(pool_id).await.map_err(store_error)?;
            }
        }
        // The newest key of each purpose signs; older ones still verify until retired.
        let active = |purpose: KeyPurpose| -> DomainResult<Arc<LoadedSigningKey>> {
            let record = records
                .iter()
                .filter(|record| record.purpose == purpose)
                .max_by_key(|record| (record.created_ms, record.kid.clone()))
                .ok_or_else(|| DomainError::internal("a pool lost its signing key"))?;
            Ok(Arc::new(tokens::load_signing_key(&self.master_key, record)?))
        };
        let cached = Arc::new(CachedKeys {
            loaded_at: Instant::now(),
            id_key: active(KeyPurpose::IdToken)?,
            access_key: active(KeyPurpose::AccessToken)?,
            records,
        });
        self.signing_keys.pools.lock().expect("key cache lock").insert(pool_id.to_string(), cached.clone());
        Ok(cached)
    }

    /// The public keys of a pool, for `/<pool id>/.well-known/jwks.json`: the signing keys and
    /// the keys they replaced less than a token lifetime ago.
    pub async fn jwks(&self, pool_id: &str) -> DomainResult<Vec<PublicJwk>> {
        self.load_pool(pool_id).await?;
        let keys = self.pool_keys(pool_id).await?;
        Ok(live_keys(&keys.records, None, self.now()).map(SigningKeyRecord::public_jwk).collect())
    }

    /// Rotates a pool's signing keys: new ID-token and access-token keys sign from now on (on
    /// this node at once, on other nodes within a minute); the old keys stay in the JWKS and
    /// keep verifying until every token they signed has expired. Returns the new key ids.
    pub async fn rotate_signing_keys(&self, pool_id: &str) -> DomainResult<Vec<String>> {
        self.load_pool(pool_id).await?;
        // Strictly newer than every key there is, so the new keys sign even within the same
        // millisecond (or under a clock that stands still).
        let newest = self.store.list_signing_keys(pool_id).await.map_err(store_error)?.iter().map(|record| record.created_ms).max();
        let created_ms = newest.map_or(self.now(), |newest| self.now().max(newest + 1));
        let mut kids = Vec::new();
        for purpose in [KeyPurpose::IdToken, KeyPurpose::AccessToken] {
            let record = tokens::generate_signing_key(&self.master_key, pool_id, purpose, created_ms)?;
            self.store.insert_signing_key(&record).await.map_err(store_error)?;
            kids.push(record.kid);
        }
        self.signing_keys.pools.lock().expect("key cache lock").remove(pool_id);
        Ok(kids)
    }

    /// The issuer URL of a pool that exists.
    pub async fn pool_issuer(&self, pool_id: &str) -> DomainResult<String> {
        self.load_pool(pool_id).await?;
        Ok(self.issuer(pool_id))
    }

    pub(super) async fn client_for(&self, client_id: &str, caller: &Caller) -> DomainResult<(UserPool, AppClient)> {
        crate::ids::check_client_id(client_id)?;
        let client = self
            .store
            .find_app_client(client_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| DomainError::NotFound(format!("User pool client {client_id} does not exist.")))?;
        if let Caller::Admin { pool_id } = caller {
            self.load_pool(pool_id).await?;
            if &client.pool_id != pool_id {
                return Err(DomainError::NotFound(format!("User pool client {client_id} does not exist.")));
            }
        }
        let pool = self.load_pool(&client.pool_id).await?;
        Ok((pool, client))
    }

    pub(super) fn check_secret_hash(&self, client: &AppClient, usernames: &[&str], given: Option<&str>) -> DomainResult<()> {
        let Some(secret) = self.client_secret(client)? else { return Ok(()) };
        let given = given.ok_or_else(|| {
            DomainError::NotAuthorized(format!(
                "Client {} is configured with secret but SECRET_HASH was not received",
                client.client_id
            ))
        })?;
        let matches = usernames
            .iter()
            .any(|username| constant_time_eq(secret_hash(&secret, username, &client.client_id).as_bytes(), given.as_bytes()));
        if matches {
            Ok(())
        } else {
            Err(DomainError::NotAuthorized(format!("Unable to verify secret hash for client {}", client.client_id)))
        }
    }

    /// InitiateAuth and AdminInitiateAuth.
    pub async fn initiate_auth(
        &self,
        caller: Caller,
        client_id: &str,
        flow: &str,
        parameters: &BTreeMap<String, String>,
    ) -> DomainResult<AuthOutcome> {
        let (pool, client) = self.client_for(client_id, &caller).await?;
        match (flow, &caller) {
            ("USER_PASSWORD_AUTH", _) => {
                require_flow(&client, "ALLOW_USER_PASSWORD_AUTH")?;
                self.password_sign_in(&pool, &client, parameters).await
            }
            ("ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH", Caller::Admin { .. }) => {
                require_flow(&client, "ALLOW_ADMIN_USER_PASSWORD_AUTH")?;
                self.password_sign_in(&pool, &client, parameters).await
            }
            ("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN", _) => {
                require_flow(&client, "ALLOW_REFRESH_TOKEN_AUTH")?;
                self.refresh(&pool, &client, parameters).await
            }
            ("USER_SRP_AUTH", _) => {
                require_flow(&client, "ALLOW_USER_SRP_AUTH")?;
                self.srp_start(&pool, &client, parameters).await
            }
            ("CUSTOM_AUTH" | "USER_AUTH", _) => {
                Err(DomainError::NotImplemented(format!("The {flow} flow is not implemented by cognate yet.")))
            }
            _ => Err(DomainError::InvalidParameter(format!("Invalid AuthFlow {flow} for this operation."))),
        }
    }

    async fn password_sign_in(
        &self,
        pool: &UserPool,
        client: &AppClient,
        parameters: &BTreeMap<String, String>,
    ) -> DomainResult<AuthOutcome> {
        let username = parameter(parameters, "USERNAME")?;
        let password = parameter(parameters, "PASSWORD")?;
        let secret_hash = parameters.get("SECRET_HASH").map(String::as_str);
        let Some(mut user) = self.find_signing_in_user(pool, client, username, secret_hash).await? else {
            self.decoy_check(password).await?;
            return Err(incorrect_credentials());
        };
        self.reserve_sign_in(pool, &mut user).await?;
        let password_ok = self.password_matches(&user, password).await?;
        self.after_first_factor(pool, client, user, password_ok).await
    }

    /// The user a sign-in names, after the SECRET_HASH check. None when the user does not exist
    /// and the client hides that; UserNotFoundException when it does not.
    pub(super) async fn find_signing_in_user(
        &self,
        pool: &UserPool,
        client: &AppClient,
        username: &str,
        secret_hash: Option<&str>,
    ) -> DomainResult<Option<User>> {
        match self.resolve_user(pool, username).await {
            Ok(user) => {
                self.check_secret_hash(client, &[username, user.username.as_str()], secret_hash)?;
                Ok(Some(user))
            }
            Err(DomainError::UserNotFound(message)) => {
                self.check_secret_hash(client, &[username], secret_hash)?;
                if client.settings.prevent_user_existence_errors == "ENABLED" {
                    Ok(None)
                } else {
                    Err(DomainError::UserNotFound(message))
                }
            }
            Err(other) => Err(other),
        }
    }

    /// Whether `password` is the user's; a user without a password costs the same time. The
    /// check runs on the CPU pool (TooManyRequests when its queue is full).
    async fn password_matches(&self, user: &User, password: &str) -> DomainResult<bool> {
        match &user.password_hash {
            Some(hash) => self.verify_on_pool(password, hash).await,
            None => self.decoy_check(password).await.map(|()| false),
        }
    }

    /// Counts this sign-in attempt as a failure before its password or SRP claim is checked,
    /// refusing it while the user is locked out: parallel guesses each take a place in the
    /// count (redone on a fresh read when another request changed the user meanwhile), so no
    /// more of them are evaluated than the lockout allows. A first factor that then succeeds
    /// clears the count ([`Self::record_first_factor`]). `user` is then the stored user.
    async fn reserve_sign_in(&self, pool: &UserPool, user: &mut User) -> DomainResult<()> {
        self.change_user_document(pool, user, |user| {
            self.check_lockout(user)?;
            user.failed_sign_ins = user.failed_sign_ins.saturating_add(1);
            user.last_failed_sign_in_ms = Some(self.now());
            Ok(())
        })
        .await
    }

    /// Refuses a sign-in while the user is locked out; forgets failures older than 15 minutes.
    fn check_lockout(&self, user: &mut User) -> DomainResult<()> {
        let now = self.now();
        if user.last_failed_sign_in_ms.is_some_and(|last| now - last > FAILURE_MEMORY_MS) {
            user.failed_sign_ins = 0;
        }
        match lockout_end(user) {
            Some(locked_until) if now < locked_until => Err(DomainError::NotAuthorized("Password attempts exceeded".into())),
            _ => Ok(()),
        }
    }

    /// Records the outcome of the first factor and, when it succeeded, continues the sign-in:
    /// a challenge, an error for the user's state, or tokens.
    async fn after_first_factor(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: User,
        first_factor_ok: bool,
    ) -> DomainResult<AuthOutcome> {
        let user = self.record_first_factor(pool, user, first_factor_ok).await?;
        match user.status {
            UserStatus::Confirmed => self.issue_tokens(pool, client, &user, self.now(), None, None).await.map(AuthOutcome::Authenticated),
            UserStatus::ForceChangePassword => self.new_password_challenge(pool, client, &user).await,
            _ => Err(DomainError::internal("record_first_factor let through a user who cannot sign in")),
        }
    }

    /// After [`Self::reserve_sign_in`] counted the attempt as a failure: keeps that count when
    /// the first factor failed, or clears the failures when it succeeded, and refuses users who
    /// may not sign in: disabled, unconfirmed, reset required, or with an expired temporary
    /// password. What passes is Confirmed or ForceChangePassword.
    pub(super) async fn record_first_factor(&self, pool: &UserPool, mut user: User, first_factor_ok: bool) -> DomainResult<User> {
        let now = self.now();
        if !first_factor_ok {
            return Err(if user.failed_sign_ins > FREE_ATTEMPTS {
                DomainError::NotAuthorized("Password attempts exceeded".into())
            } else {
                incorrect_credentials()
            });
        }
        if user.failed_sign_ins > 0 {
            self.change_user_document(pool, &mut user, |user| {
                user.failed_sign_ins = 0;
                user.last_failed_sign_in_ms = None;
                Ok(())
            })
            .await?;
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        match user.status {
            UserStatus::Confirmed => Ok(user),
            UserStatus::ForceChangePassword => {
                if user.temporary_password_expires_ms.is_some_and(|expires| now > expires) {
                    return Err(DomainError::NotAuthorized(
                        "Temporary password has expired and must be reset by an administrator.".into(),
                    ));
                }
                Ok(user)
            }
            UserStatus::Unconfirmed => Err(DomainError::UserNotConfirmed("User is not confirmed.".into())),
            UserStatus::ResetRequired => {
                Err(DomainError::PasswordResetRequired("Password reset required for the user".into()))
            }
            UserStatus::Archived | UserStatus::Compromised | UserStatus::Unknown | UserStatus::ExternalProvider => {
                Err(incorrect_credentials())
            }
        }
    }

    /// The hosted sign-in page's password check: the user when the password is right (with the
    /// lockout and the user-state refusals of InitiateAuth), or NEW_PASSWORD_REQUIRED's session.
    /// Whether the user exists is never told.
    pub async fn hosted_password_sign_in(&self, pool: &UserPool, client: &AppClient, username: &str, password: &str) -> DomainResult<HostedStep> {
        let mut user = match self.resolve_user(pool, username).await {
            Ok(user) => user,
            Err(DomainError::UserNotFound(_)) => {
                self.decoy_check(password).await?;
                return Err(incorrect_credentials());
            }
            Err(other) => return Err(other),
        };
        self.reserve_sign_in(pool, &mut user).await?;
        let password_ok = self.password_matches(&user, password).await?;
        let user = self.record_first_factor(pool, user, password_ok).await?;
        if user.status == UserStatus::ForceChangePassword {
            let AuthOutcome::Challenge { parameters, session: Some(session), .. } = self.new_password_challenge(pool, client, &user).await? else {
                return Err(DomainError::internal("the new-password challenge has no session"));
            };
            let required = parameters
                .get("requiredAttributes")
                .and_then(|text| serde_json::from_str::<Vec<String>>(text).ok())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|name| name.strip_prefix("userAttributes.").map(str::to_string))
                .collect();
            return Ok(HostedStep::NewPasswordRequired { username: user.username, session, required });
        }
        Ok(HostedStep::SignedIn(user))
    }

    /// USER_SRP_AUTH, first step: answers PASSWORD_VERIFIER with the salt, B and a sealed
    /// SECRET_BLOCK that carries this attempt's state (so the answer may come without Session).
    async fn srp_start(&self, pool: &UserPool, client: &AppClient, parameters: &BTreeMap<String, String>) -> DomainResult<AuthOutcome> {
        let username = parameter(parameters, "USERNAME")?;
        let a_hex = parameter(parameters, "SRP_A")?;
        let user = self.find_signing_in_user(pool, client, username, parameters.get("SECRET_HASH").map(String::as_str)).await?;
        let verifier = match &user {
            Some(user) => self.srp_verifier(pool, user)?,
            None => None,
        };
        // An unknown user (when hidden) or one without a verifier gets a decoy challenge that
        // can never be answered, so the first step looks the same for every username.
        // The decoy's salt is derived from the pool and the username, so it is as stable from
        // one request to the next as a real user's (a random one would tell them apart).
        let (user_id, (salt_hex, verifier_hex)) = match (&user, verifier) {
            (Some(user), Some(verifier)) => (user.username.clone(), verifier),
            (Some(user), None) => (user.username.clone(), crate::srp::decoy_verifier(&self.decoy_seed(pool, &user.username))),
            (None, _) => (username.to_string(), crate::srp::decoy_verifier(&self.decoy_seed(pool, username))),
        };
        let challenge = crate::srp::server_challenge(&verifier_hex, a_hex)
            .ok_or_else(|| DomainError::InvalidParameter("SRP_A is not a valid SRP value.".into()))?;
        let expires_ms = self.now() + i64::from(client.settings.auth_session_validity.clamp(3, 15)) * 60_000;
        let state = json!({
            "pool_id": pool.id,
            "client_id": client.client_id,
            "user_id": user_id,
            "known": user.is_some(),
            "a": a_hex.to_lowercase(),
            "b": crate::srp::to_hex(&challenge.b),
            "big_b": crate::srp::to_hex(&challenge.big_b),
            "expires_ms": expires_ms,
        });
        let secret_block = BASE64.encode(self.master_key.seal(state.to_string().as_bytes(), SRP_BLOCK_CONTEXT));
        self.store
            .insert_auth_session(&AuthSessionRecord {
                session_hash: sha256_hex(&secret_block),
                pool_id: pool.id.clone(),
                client_id: client.client_id.clone(),
                username_key: pool.username_key(&user_id),
                challenge_name: "PASSWORD_VERIFIER".into(),
                expires_ms,
            })
            .await
            .map_err(store_error)?;
        let mut challenge_parameters = BTreeMap::new();
        challenge_parameters.insert("SALT".into(), salt_hex);
        challenge_parameters.insert("SRP_B".into(), crate::srp::to_hex(&challenge.big_b));
        challenge_parameters.insert("SECRET_BLOCK".into(), secret_block);
        challenge_parameters.insert("USER_ID_FOR_SRP".into(), user_id.clone());
        challenge_parameters.insert("USERNAME".into(), user_id);
        Ok(AuthOutcome::Challenge { name: "PASSWORD_VERIFIER".into(), parameters: challenge_parameters, session: None })
    }

    /// PASSWORD_VERIFIER: checks the claim signature against the attempt sealed in SECRET_BLOCK.
    async fn srp_finish(&self, pool: &UserPool, client: &AppClient, responses: &BTreeMap<String, String>) -> DomainResult<AuthOutcome> {
        let secret_block = parameter(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        let signature = parameter(responses, "PASSWORD_CLAIM_SIGNATURE")?;
        let timestamp = parameter(responses, "TIMESTAMP")?;
        let username = parameter(responses, "USERNAME")?;
        // Taking the attempt first makes it single-use, whatever happens next.
        let attempt = self.store.take_auth_session(&sha256_hex(secret_block)).await.map_err(store_error)?.ok_or_else(invalid_session)?;
        let block_bytes = BASE64.decode(secret_block).map_err(|_| invalid_session())?;
        let sealed = std::str::from_utf8(&block_bytes).map_err(|_| invalid_session())?;
        let state: Value = serde_json::from_slice(&self.master_key.open(sealed, SRP_BLOCK_CONTEXT).map_err(|_| invalid_session())?)
            .map_err(|_| invalid_session())?;
        let field = |name: &str| state.get(name).and_then(Value::as_str).unwrap_or("").to_string();
        if field("pool_id") != pool.id || field("client_id") != client.client_id || attempt.expires_ms < self.now() {
            return Err(invalid_session());
        }
        let user_id = field("user_id");
        if state.get("known") != Some(&Value::Bool(true)) {
            return Err(incorrect_credentials());
        }
        let mut user = self.resolve_user(pool, &user_id).await.map_err(|_| incorrect_credentials())?;
        if pool.username_key(username) != pool.username_key(&user.username) {
            let by_alias = self.resolve_user(pool, username).await.ok();
            if by_alias.map(|other| other.sub) != Some(user.sub.clone()) {
                return Err(invalid_session());
            }
        }
        self.check_secret_hash(client, &[username, user.username.as_str()], responses.get("SECRET_HASH").map(String::as_str))?;
        self.reserve_sign_in(pool, &mut user).await?;
        let signed_at = crate::srp::parse_timestamp(timestamp)
            .ok_or_else(|| DomainError::InvalidParameter("TIMESTAMP is not in the expected format.".into()))?;
        let fresh = (signed_at - self.now() / 1000).abs() <= SRP_TIMESTAMP_SKEW_SECONDS;
        let expected = match self.srp_verifier(pool, &user)? {
            Some((_, verifier)) => {
                let b = crate::srp::parse_hex(&field("b")).ok_or_else(invalid_session)?;
                let big_b = crate::srp::parse_hex(&field("big_b")).ok_or_else(invalid_session)?;
                crate::srp::expected_signature(&pool.id, &user.username, &verifier, &field("a"), &b, &big_b, &block_bytes, timestamp)
            }
            None => None,
        };
        let signature_ok = expected.is_some_and(|expected| constant_time_eq(expected.as_bytes(), signature.as_bytes()));
        self.after_first_factor(pool, client, user, signature_ok && fresh).await
    }

    async fn new_password_challenge(&self, pool: &UserPool, client: &AppClient, user: &User) -> DomainResult<AuthOutcome> {
        let session = random_token(48);
        let validity_minutes = i64::from(client.settings.auth_session_validity.clamp(3, 15));
        self.store
            .insert_auth_session(&AuthSessionRecord {
                session_hash: sha256_hex(&session),
                pool_id: pool.id.clone(),
                client_id: client.client_id.clone(),
                username_key: pool.username_key(&user.username),
                challenge_name: "NEW_PASSWORD_REQUIRED".into(),
                expires_ms: self.now() + validity_minutes * 60_000,
            })
            .await
            .map_err(store_error)?;
        let current: Map<String, Value> = user
            .attributes
            .iter()
            .filter(|attribute| attribute.name != "sub")
            .map(|attribute| (attribute.name.clone(), Value::String(attribute.value.clone())))
            .collect();
        let required: Vec<String> = pool
            .shape
            .schema
            .iter()
            .filter(|attribute| attribute.required && attribute.name != "sub" && user.attribute(&attribute.name).is_none())
            .map(|attribute| format!("userAttributes.{}", attribute.name))
            .collect();
        let mut parameters = BTreeMap::new();
        parameters.insert("USER_ID_FOR_SRP".into(), user.username.clone());
        parameters.insert("userAttributes".into(), Value::Object(current).to_string());
        parameters.insert("requiredAttributes".into(), json!(required).to_string());
        Ok(AuthOutcome::Challenge { name: "NEW_PASSWORD_REQUIRED".into(), parameters, session: Some(session) })
    }

    /// RespondToAuthChallenge and AdminRespondToAuthChallenge.
    pub async fn respond_to_auth_challenge(
        &self,
        caller: Caller,
        client_id: &str,
        challenge_name: &str,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
    ) -> DomainResult<AuthOutcome> {
        let (pool, client) = self.client_for(client_id, &caller).await?;
        if challenge_name == "PASSWORD_VERIFIER" {
            return self.srp_finish(&pool, &client, responses).await;
        }
        if challenge_name != "NEW_PASSWORD_REQUIRED" {
            return Err(DomainError::NotImplemented(format!(
                "The {challenge_name} challenge is not implemented by cognate yet."
            )));
        }
        let username = parameter(responses, "USERNAME")?;
        let new_password = parameter(responses, "NEW_PASSWORD")?;
        let changes: Vec<Attribute> = responses
            .iter()
            .filter_map(|(name, value)| {
                name.strip_prefix("userAttributes.").map(|name| Attribute { name: name.to_string(), value: value.clone() })
            })
            .collect();
        let secret_hash = responses.get("SECRET_HASH").map(String::as_str);
        let user = self.complete_new_password(&pool, &client, session, username, new_password, &changes, Some(secret_hash)).await?;
        self.issue_tokens(&pool, &client, &user, self.now(), None, None).await.map(AuthOutcome::Authenticated)
    }

    /// Answers NEW_PASSWORD_REQUIRED: the session must be this client's and this user's, the
    /// password must meet the policy, and the required attributes must be given. `secret_hash`
    /// is None when the caller has authenticated the client itself (the hosted pages).
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_new_password(
        &self,
        pool: &UserPool,
        client: &AppClient,
        session: Option<&str>,
        username: &str,
        new_password: &str,
        changes: &[Attribute],
        secret_hash: Option<Option<&str>>,
    ) -> DomainResult<User> {
        let session = session.filter(|session| !session.is_empty()).ok_or_else(invalid_session)?;
        let record = self.store.take_auth_session(&sha256_hex(session)).await.map_err(store_error)?.ok_or_else(invalid_session)?;
        if record.expires_ms < self.now() || record.client_id != client.client_id || record.challenge_name != "NEW_PASSWORD_REQUIRED" {
            return Err(invalid_session());
        }
        let mut user = self.resolve_user(pool, username).await.map_err(|_| invalid_session())?;
        if pool.username_key(&user.username) != record.username_key {
            return Err(invalid_session());
        }
        if let Some(given) = secret_hash {
            self.check_secret_hash(client, &[username, user.username.as_str()], given)?;
        }
        password::check_password(&pool.settings.password_policy, new_password)?;
        attributes::check_attributes(pool, changes, AttributeWrite::Update)?;
        for change in changes {
            set_attribute(&mut user.attributes, &change.name, &change.value);
        }
        attributes::check_required(pool, &user.attributes)?;
        let now = self.now();
        self.set_password(pool, &mut user, new_password).await?;
        user.status = UserStatus::Confirmed;
        user.temporary_password_expires_ms = None;
        user.modified_ms = now;
        self.save_user(pool, &mut user).await?;
        Ok(user)
    }

    async fn refresh(&self, pool: &UserPool, client: &AppClient, parameters: &BTreeMap<String, String>) -> DomainResult<AuthOutcome> {
        let token = parameter(parameters, "REFRESH_TOKEN")?;
        self.refresh_with(pool, client, token, Some(parameters.get("SECRET_HASH").map(String::as_str))).await
    }

    /// Mints new tokens from a refresh token. `secret_hash` is InitiateAuth's SECRET_HASH;
    /// None when the caller has already authenticated the client by its secret (the token
    /// endpoint).
    pub(super) async fn refresh_with(
        &self,
        pool: &UserPool,
        client: &AppClient,
        token: &str,
        secret_hash: Option<Option<&str>>,
    ) -> DomainResult<AuthOutcome> {
        let invalid = || DomainError::NotAuthorized("Invalid Refresh Token".into());
        let record = self.store.get_refresh_token(&sha256_hex(token)).await.map_err(store_error)?.ok_or_else(invalid)?;
        if record.client_id != client.client_id || record.pool_id != pool.id {
            return Err(invalid());
        }
        if record.revoked {
            return Err(DomainError::NotAuthorized("Refresh Token has been revoked".into()));
        }
        if record.expires_ms < self.now() {
            return Err(DomainError::NotAuthorized("Refresh Token has expired".into()));
        }
        let user = self.store.get_user(&pool.id, &record.username_key).await.map_err(store_error)?.ok_or_else(invalid)?;
        if user.sub != record.sub {
            return Err(invalid());
        }
        if let Some(given) = secret_hash {
            self.check_secret_hash(client, &[user.username.as_str(), user.sub.as_str()], given)?;
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        // Tokens first issued through OAuth keep the scopes granted then.
        let grant = record.scopes.clone().map(|scopes| OAuthGrant { scopes, nonce: None, refresh: true, sign_in_id: None });
        self.issue_tokens(pool, client, &user, record.auth_time_ms, Some(record.origin_jti), grant.as_ref())
            .await
            .map(AuthOutcome::Authenticated)
    }

    /// Mints ID and access tokens, and a refresh token for a new sign-in (`origin_jti` None).
    /// With an OAuth `grant`, the access token carries the granted scopes, the ID token (only
    /// with `openid`; empty otherwise) the nonce and `at_hash`, and the refresh token is issued
    /// only when the grant says so.
    pub(super) async fn issue_tokens(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        auth_time_ms: i64,
        origin_jti: Option<String>,
        grant: Option<&OAuthGrant>,
    ) -> DomainResult<AuthenticationResult> {
        let keys = self.pool_keys(&pool.id).await?;
        let now = self.now();
        let settings = &client.settings;
        let units = settings.token_validity_units.clone().unwrap_or_default();
        let access_seconds = validity_seconds(settings.access_token_validity.unwrap_or(60), units.access_token.as_deref(), if settings.access_token_validity.is_some() { "hours" } else { "minutes" })? as i64;
        let id_seconds = validity_seconds(settings.id_token_validity.unwrap_or(60), units.id_token.as_deref(), if settings.id_token_validity.is_some() { "hours" } else { "minutes" })? as i64;
        let refresh_seconds = validity_seconds(settings.refresh_token_validity, units.refresh_token.as_deref(), "days")? as i64;
        let username_key = pool.username_key(&user.username);
        let groups = self.store.list_groups_for_user(&pool.id, &username_key, None, 100).await.map_err(store_error)?;
        let new_sign_in = origin_jti.is_none();
        let origin_jti = origin_jti.or_else(|| grant.and_then(|grant| grant.sign_in_id.clone())).unwrap_or_else(crate::ids::new_uuid);
        let event_id = crate::ids::new_uuid();
        let issued_at = now / 1000;
        let auth_time = auth_time_ms / 1000;
        let issuer = self.issuer(&pool.id);

        let mut id_claims = Map::new();
        id_claims.insert("sub".into(), json!(user.sub));
        let readable = settings.read_attributes.as_ref();
        for attribute in &user.attributes {
            if attribute.name == "sub" || readable.is_some_and(|names| !names.contains(&attribute.name)) {
                continue;
            }
            id_claims.insert(attribute.name.clone(), claim_value(attribute));
        }
        let mut access_claims = Map::new();
        access_claims.insert("sub".into(), json!(user.sub));
        if !groups.is_empty() {
            let names: Vec<&str> = groups.iter().map(|group| group.name.as_str()).collect();
            id_claims.insert("cognito:groups".into(), json!(names));
            access_claims.insert("cognito:groups".into(), json!(names));
            let mut with_roles: Vec<_> = groups.iter().filter(|group| group.role_arn.is_some()).collect();
            with_roles.sort_by_key(|group| (group.precedence.unwrap_or(u32::MAX), group.name.clone()));
            if let Some(preferred) = with_roles.first() {
                let roles: Vec<&str> = with_roles.iter().filter_map(|group| group.role_arn.as_deref()).collect();
                id_claims.insert("cognito:roles".into(), json!(roles));
                id_claims.insert("cognito:preferred_role".into(), json!(preferred.role_arn));
            }
        }
        for (name, value) in [
            ("iss", json!(issuer)),
            ("cognito:username", json!(user.username)),
            ("origin_jti", json!(origin_jti)),
            ("aud", json!(client.client_id)),
            ("event_id", json!(event_id)),
            ("token_use", json!("id")),
            ("auth_time", json!(auth_time)),
            ("exp", json!(issued_at + id_seconds)),
            ("iat", json!(issued_at)),
            ("jti", json!(crate::ids::new_uuid())),
        ] {
            id_claims.insert(name.into(), value);
        }
        for (name, value) in [
            ("iss", json!(issuer)),
            ("client_id", json!(client.client_id)),
            ("origin_jti", json!(origin_jti)),
            ("event_id", json!(event_id)),
            ("token_use", json!("access")),
            ("scope", json!(grant.map(|grant| grant.scopes.join(" ")).unwrap_or_else(|| ADMIN_SCOPE.to_string()))),
            ("auth_time", json!(auth_time)),
            ("exp", json!(issued_at + access_seconds)),
            ("iat", json!(issued_at)),
            ("jti", json!(crate::ids::new_uuid())),
            ("username", json!(user.username)),
        ] {
            access_claims.insert(name.into(), value);
        }
        let access_token = tokens::sign_jwt(&keys.access_key, &Value::Object(access_claims));
        let id_token = match grant {
            Some(grant) if !grant.scopes.iter().any(|scope| scope == "openid") => String::new(),
            Some(grant) => {
                let digest = Sha256::digest(access_token.as_bytes());
                id_claims.insert("at_hash".into(), json!(URL_SAFE_NO_PAD.encode(&digest[..16])));
                if let Some(nonce) = &grant.nonce {
                    id_claims.insert("nonce".into(), json!(nonce));
                }
                tokens::sign_jwt(&keys.id_key, &Value::Object(id_claims))
            }
            None => tokens::sign_jwt(&keys.id_key, &Value::Object(id_claims)),
        };
        let wants_refresh = grant.is_none_or(|grant| grant.refresh);
        let refresh_token = if new_sign_in && wants_refresh {
            let token = random_token(48);
            self.store
                .insert_refresh_token(&RefreshTokenRecord {
                    token_hash: sha256_hex(&token),
                    pool_id: pool.id.clone(),
                    client_id: client.client_id.clone(),
                    username_key,
                    sub: user.sub.clone(),
                    origin_jti,
                    auth_time_ms,
                    issued_ms: now,
                    expires_ms: now + refresh_seconds * 1000,
                    revoked: false,
                    scopes: grant.map(|grant| grant.scopes.clone()),
                })
                .await
                .map_err(store_error)?;
            Some(token)
        } else {
            None
        };
        Ok(AuthenticationResult { access_token, id_token, refresh_token, expires_in: access_seconds })
    }

    /// Verifies an access token strictly (RS256 with one of the issuing pool's access keys,
    /// issuer, expiry, `token_use`, scope, revocation) and loads its user.
    pub async fn authenticate_access_token(&self, token: &str) -> DomainResult<AccessTokenHolder> {
        self.verify_access_token(token, &[ADMIN_SCOPE]).await
    }

    /// Verifies an access token as [`Self::authenticate_access_token`] does, requiring one of
    /// `scopes` (userInfo takes `openid` as well as the admin scope).
    pub async fn verify_access_token(&self, token: &str, scopes: &[&str]) -> DomainResult<AccessTokenHolder> {
        let invalid = || DomainError::NotAuthorized("Invalid Access Token".into());
        let unverified = tokens::peek_claims(token).map_err(|_| invalid())?;
        let issuer = unverified.get("iss").and_then(Value::as_str).ok_or_else(invalid)?;
        let pool_id = issuer.strip_prefix(&format!("{}/", self.issuer_base)).ok_or_else(invalid)?;
        if crate::ids::check_user_pool_id(pool_id).is_err() {
            return Err(invalid());
        }
        let pool = match self.load_pool(pool_id).await {
            Ok(pool) => pool,
            Err(DomainError::NotFound(_)) => return Err(invalid()),
            Err(other) => return Err(other),
        };
        let keys = self.pool_keys(pool_id).await?;
        let access_keys: Vec<PublicJwk> = live_keys(&keys.records, Some(KeyPurpose::AccessToken), self.now()).map(SigningKeyRecord::public_jwk).collect();
        let claims = tokens::verify_jwt(token, &access_keys).map_err(|_| invalid())?;
        if claims.get("token_use").and_then(Value::as_str) != Some("access") || claims.get("iss") != unverified.get("iss") {
            return Err(invalid());
        }
        let expires = claims.get("exp").and_then(Value::as_i64).ok_or_else(invalid)?;
        if expires * 1000 <= self.now() {
            return Err(DomainError::NotAuthorized("Access Token has expired".into()));
        }
        let origin_jti = claims.get("origin_jti").and_then(Value::as_str).ok_or_else(invalid)?;
        if self.store.is_token_family_revoked(origin_jti).await.map_err(store_error)? {
            return Err(DomainError::NotAuthorized("Access Token has been revoked".into()));
        }
        // The token's client must still be a client of the pool (a deleted client's tokens
        // stop working).
        let client_id = claims.get("client_id").and_then(Value::as_str).ok_or_else(invalid)?;
        if self.store.get_app_client(pool_id, client_id).await.map_err(store_error)?.is_none() {
            return Err(invalid());
        }
        let has_scope = claims
            .get("scope")
            .and_then(Value::as_str)
            .is_some_and(|scope| scope.split(' ').any(|granted| scopes.contains(&granted)));
        if !has_scope {
            return Err(DomainError::NotAuthorized("Access Token does not have required scopes".into()));
        }
        let username = claims.get("username").and_then(Value::as_str).ok_or_else(invalid)?;
        let user = self
            .store
            .get_user(pool_id, &pool.username_key(username))
            .await
            .map_err(store_error)?
            .ok_or_else(|| DomainError::UserNotFound("User does not exist.".into()))?;
        if Some(user.sub.as_str()) != claims.get("sub").and_then(Value::as_str) {
            return Err(DomainError::UserNotFound("User does not exist.".into()));
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        Ok(AccessTokenHolder { pool, user, claims })
    }

    /// The issuer base of this server's user pools: a token's `iss` is `<base>/<pool id>`.
    pub fn issuer_base(&self) -> &str {
        &self.issuer_base
    }

    /// Verifies an ID token of pool `pool_id` as an identity pool does for a login: RS256 with
    /// one of the pool's ID-token keys, `iss`, `token_use` = id, `exp`, and, with
    /// `check_revocation` (ServerSideTokenCheck), that its sign-in was not signed out. Messages
    /// are Cognito Identity's.
    pub async fn verify_id_token_for_login(&self, pool_id: &str, token: &str, check_revocation: bool) -> DomainResult<Value> {
        let invalid = |reason: &str| DomainError::NotAuthorized(format!("Invalid login token. {reason}"));
        let unverified = tokens::peek_claims(token).map_err(|_| invalid("Not a valid OpenId Connect identity token."))?;
        if unverified.get("iss").and_then(Value::as_str) != Some(self.issuer(pool_id).as_str()) {
            return Err(invalid("Issuer doesn't match providerName"));
        }
        if unverified.get("aud").is_none() {
            return Err(invalid("Missing a required claim: aud"));
        }
        if self.store.get_user_pool(pool_id).await.map_err(store_error)?.is_none() {
            return Err(invalid("Couldn't verify signed token."));
        }
        let keys = self.pool_keys(pool_id).await?;
        let id_keys: Vec<PublicJwk> = live_keys(&keys.records, Some(KeyPurpose::IdToken), self.now()).map(SigningKeyRecord::public_jwk).collect();
        let claims = tokens::verify_jwt(token, &id_keys).map_err(|_| invalid("Couldn't verify signed token."))?;
        if claims.get("token_use").and_then(Value::as_str) != Some("id") {
            return Err(invalid("Not an ID token."));
        }
        let expires = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| invalid("Missing a required claim: exp"))?;
        let now = self.now().div_euclid(1000);
        if now >= expires {
            return Err(DomainError::NotAuthorized(format!("Invalid login token. Token expired: {now} >= {expires}")));
        }
        if check_revocation {
            let origin_jti = claims.get("origin_jti").and_then(Value::as_str).ok_or_else(|| invalid("Token has been revoked."))?;
            if self.store.is_token_family_revoked(origin_jti).await.map_err(store_error)? {
                return Err(invalid("Token has been revoked."));
            }
        }
        Ok(claims)
    }

    /// GlobalSignOut: every refresh token of the user is revoked, and with them every access
    /// token minted from those sign-ins.
    pub async fn global_sign_out(&self, access_token: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.store
            .revoke_user_tokens(&holder.pool.id, &holder.pool.username_key(&holder.user.username))
            .await
            .map_err(store_error)
    }

    /// AdminUserGlobalSignOut.
    pub async fn admin_user_global_sign_out(&self, pool_id: &str, username: &str) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        self.store.revoke_user_tokens(&pool.id, &pool.username_key(&user.username)).await.map_err(store_error)
    }

    /// RevokeToken: revokes a refresh token and the access tokens of its sign-in.
    pub async fn revoke_token(&self, token: &str, client_id: &str, client_secret: Option<&str>) -> DomainResult<()> {
        let (_, client) = self.client_for(client_id, &Caller::Client).await?;
        if let Some(secret) = self.client_secret(&client)? {
            let given = client_secret.unwrap_or("");
            if !constant_time_eq(secret.as_bytes(), given.as_bytes()) {
                return Err(DomainError::NotAuthorized("Invalid client secret.".into()));
            }
        }
        if !client.settings.enable_token_revocation {
            return Err(DomainError::UnsupportedOperation("Token revocation is not enabled for this client.".into()));
        }
        let record = self.store.get_refresh_token(&sha256_hex(token)).await.map_err(store_error)?;
        match record {
            Some(record) if record.client_id == client.client_id => {
                self.store.revoke_token_family(&record.origin_jti).await.map_err(store_error)
            }
            Some(_) => Err(DomainError::UnauthorizedClient("The token was not issued to this client.".into())),
            None => Ok(()),
        }
    }

    /// ChangePassword, by the holder of an access token.
    /// The attempt is counted (and stored) before the previous password is checked, so
    /// parallel guesses cannot outrun the hourly limit; the new password is then written only
    /// if the password checked is still the user's.
    pub async fn change_password(&self, access_token: &str, previous: &str, proposed: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        let (pool, mut user) = (holder.pool, holder.user);
        self.record_attempt(&pool, &mut user, "ChangePassword", 5).await?;
        let checked = user.password_hash.clone();
        let previous_ok = match checked.as_deref() {
            Some(hash) => self.verify_on_pool(previous, hash).await?,
            None => false,
        };
        if !previous_ok {
            return Err(incorrect_credentials());
        }
        password::check_password(&pool.settings.password_policy, proposed)?;
        self.set_password(&pool, &mut user, proposed).await?;
        let now = self.now();
        let key = pool.username_key(&user.username);
        self.change_user(&pool, &key, |stored| {
            if stored.password_hash != checked {
                return Err(incorrect_credentials());
            }
            stored.password_hash = user.password_hash.clone();
            stored.password_history = user.password_history.clone();
            stored.sealed_srp_verifier = user.sealed_srp_verifier.clone();
            stored.modified_ms = now;
            Ok(())
        })
        .await
        .map(|_| ())
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

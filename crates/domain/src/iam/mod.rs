//! IAM and STS: roles with trust and inline policies, customer managed policies, IAM users with
//! access keys, OpenID Connect providers, temporary credentials minted for an assumed role, and
//! the decisions the policy engine makes for sessions and users.
//!
//! Temporary credentials are kept as a session record keyed by access key id: the secret sealed
//! under the master key, the session token as its SHA-256, the role, the session policy and the
//! context keys (`cognito-identity.amazonaws.com:sub`, …) the role's policies may test.

mod boundaries;
mod managed;
mod managed_policy;
pub mod policy;
mod oidc;
mod pages;
pub use pages::{page_of, MarkerPage};
use pages::marker_limit;
mod role_policies;
mod roles;
pub mod saml;
mod simulate;
pub mod sts;
mod tags;
mod user_records;
mod groups;
mod holders;
mod login_profiles;
mod mfa_devices;
mod users;
mod user_sessions;
pub mod web_identity;
mod federated;
pub use federated::{web_identity_context, WebIdentity};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::{format_iso8601, Clock};
use crate::crypto::{constant_time_eq, random_string, MasterKey};
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::federation::{acceptable_issuer, issuer_key};
use crate::records::{Document, Record, Records};
use crate::store::{Store, StoreError};
use policy::{Decision, Policy, PolicyKind, RequestContext};
pub use managed_policy::{Bounded, Holder, ManagedPolicy, PolicyVersion, RoleAttachment, Tagged};
use managed_policy::boundary_key;
pub use user_records::{AccessKey, IamGroup, IamUser, LoginProfile, VirtualMfaDevice};

const ROLE: &str = "iam_role";
const ROLE_POLICY: &str = "iam_role_policy";
const OIDC_PROVIDER: &str = "iam_oidc_provider";
const STS_SESSION: &str = "sts_session";

const UPPER_ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const KEY_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A trust policy may be this long (IAM's default ACLSizePerRole quota).
pub const MAX_TRUST_POLICY_CHARS: usize = 2048;
/// The inline policies of one role may total this many characters.
pub const MAX_ROLE_POLICY_CHARS: usize = 10_240;
/// A session policy may be this long before packing.
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;
/// Expired sessions are kept this long so that their use answers "expired" rather than "unknown".
const EXPIRED_SESSION_GRACE_MS: i64 = 24 * 3600 * 1000;
/// Parsed inline policies are reused for this long; writes on this node drop them at once.
const POLICY_CACHE_TTL: Duration = Duration::from_secs(2);

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub role_id: String,
    pub path: String,
    pub arn: String,
    pub created_ms: i64,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub tags: BTreeMap<String, String>,
    /// The ARN of the managed policy that caps its permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// Raised by every write filed under its name (policies, attachments, a login profile, an
    /// MFA device), so that a deletion or rename made meanwhile fails its compare-and-set.
    #[serde(default)]
    pub revision: u64,
}

/// An OpenID Connect identity provider registered in IAM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    pub arn: String,
    /// The issuer URL, with its scheme, as tokens carry it in `iss`.
    pub issuer: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub created_ms: i64,
    pub tags: BTreeMap<String, String>,
}

impl Document for Role {
    const KIND: &'static str = ROLE;
}

impl Record for Role {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        role_key(&self.name)
    }
}

impl Document for OidcProvider {
    const KIND: &'static str = OIDC_PROVIDER;
}

impl Record for OidcProvider {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.url().to_string()
    }
}

impl OidcProvider {
    /// The URL without its scheme, as IAM answers it and as Logins maps name it.
    pub fn url(&self) -> &str {
        issuer_key(&self.issuer)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredRolePolicy {
    name: String,
    document: String,
}

impl Document for StoredRolePolicy {
    const KIND: &'static str = ROLE_POLICY;
}

impl Document for StsSession {
    const KIND: &'static str = STS_SESSION;
}

impl Record for StsSession {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.access_key_id.clone()
    }

    /// A session is kept a day past its expiry, so that its key is answered as expired.
    fn expires_ms(&self) -> Option<i64> {
        Some(self.expires_ms + EXPIRED_SESSION_GRACE_MS)
    }
}

/// Temporary credentials for an assumed role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsSession {
    pub access_key_id: String,
    sealed_secret: String,
    token_hash: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub role_arn: String,
    pub role_id: String,
    pub role_name: String,
    pub session_name: String,
    pub session_policy: Option<String>,
    /// The managed session policies (AssumeRole…'s PolicyArns), read when the session is used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_policy_arns: Vec<String>,
    /// Context keys the role's policies may test, e.g. `cognito-identity.amazonaws.com:sub`.
    pub context: BTreeMap<String, Vec<String>>,
    /// A GetSessionToken session: the IAM user its credentials act as (the role's fields are
    /// empty then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// When MFA was proven for a GetSessionToken session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_ms: Option<i64>,
    /// A GetFederationToken session: the federated user's name (its user is the one that asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated_name: Option<String>,
    /// Asked for by the root key pair (GetSessionToken, GetFederationToken): no user is named.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub root: bool,
}

impl StsSession {
    pub fn assumed_role_arn(&self, account_id: &str) -> String {
        crate::ids::arn::assumed_role(account_id, &self.role_name, &self.session_name)
    }

    pub fn assumed_role_id(&self) -> String {
        format!("{}:{}", self.role_id, self.session_name)
    }
}

/// The key pair and token handed to a client, in clear this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration_ms: i64,
}


/// The result of assuming a role.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub credentials: TemporaryCredentials,
    pub assumed_role_id: String,
    pub arn: String,
    pub packed_policy_size: Option<i64>,
    pub subject: String,
    pub audience: String,
    pub provider: String,
    /// The source identity the session carries (`aws:SourceIdentity`), answered as STS does.
    pub source_identity: Option<String>,
}


/// One row of SimulatePrincipalPolicy's answer.
#[derive(Debug, Clone)]
pub struct SimulationResult {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    /// The statements that decided it: the matching Deny statements of an explicit deny, the
    /// matching Allow statements of the identity policies when allowed, none otherwise.
    pub matched: Vec<policy::MatchedStatement>,
}

/// IAM and STS over the store. Cheap to clone.
#[derive(Clone)]
pub struct IamService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: MasterKey,
    account_id: String,
    policy_cache: Arc<Mutex<HashMap<String, (Instant, Arc<Vec<Policy>>)>>>,
    /// Roles' tags, the principal tags of their sessions, cached as the policies are.
    role_tag_cache: Arc<Mutex<HashMap<String, (Instant, BTreeMap<String, String>)>>>,
    /// Whether SAML signatures may use SHA-1 (`--saml-allow-sha1`); refused by default.
    saml_allow_sha1: bool,
}


fn validation(message: impl Into<String>) -> DomainError {
    DomainError::InvalidParameter(message.into())
}

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// IAM's name pattern `[\w+=,.@-]+` with a length range.
fn check_iam_name(value: &str, member: &str, max: usize) -> DomainResult<()> {
    let valid = !value.is_empty()
        && value.len() <= max
        && value.chars().all(|character| character.is_ascii_alphanumeric() || "_+=,.@-".contains(character));
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error(member, value, Constraint::PatternAndLength { pattern: "[\\w+=,.@-]+", min: 1, max }))
    }
}

fn check_path(path: &str) -> DomainResult<()> {
    let valid = path.len() <= 512 && path.starts_with('/') && path.ends_with('/') && path.chars().all(|character| (' '..='~').contains(&character));
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error("path", path, Constraint::Pattern("(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)")))
    }
}

fn parse_policy(document: &str, kind: PolicyKind) -> DomainResult<Policy> {
    Policy::parse(document, kind).map_err(|error| DomainError::MalformedPolicy(error.0))
}

fn role_key(name: &str) -> String {
    name.to_ascii_lowercase()
}


impl IamService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, master_key: MasterKey, account_id: impl Into<String>) -> Self {
        IamService { store, clock, master_key, account_id: account_id.into(), policy_cache: Arc::default(), role_tag_cache: Arc::default(), saml_allow_sha1: false }
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// A page of the account-wide records of one kind that `keep` keeps, in key order, after
    /// `marker` (the key of the last one of the page before).
    async fn filtered_page<R: Record>(&self, marker: Option<&str>, limit: u32, keep: impl Fn(&R) -> bool + Send) -> DomainResult<MarkerPage<R>> {
        let mut after = marker.map(str::to_string);
        let mut items: Vec<R> = Vec::new();
        loop {
            let rows: Vec<R> = self.store.list_records_of("", after.as_deref(), 200).await?;
            let exhausted = rows.len() < 200;
            for row in rows {
                after = Some(row.key());
                if keep(&row) {
                    if items.len() == limit as usize {
                        let marker = items.last().map(Record::key);
                        return Ok(MarkerPage { items, marker });
                    }
                    items.push(row);
                }
            }
            if exhausted {
                return Ok(MarkerPage { items, marker: None });
            }
        }
    }
}


use crate::sealing::sts_secret as secret_context;

fn check_session_name(name: &str) -> DomainResult<()> {
    let valid = (2..=64).contains(&name.len())
        && name.chars().all(|character| character.is_ascii_alphanumeric() || "_+=,.@-".contains(character));
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error("roleSessionName", name, Constraint::PatternAndLength { pattern: "[\\w+=,.@-]*", min: 2, max: 64 }))
    }
}

/// What minting credentials costs before storage: a fresh key pair and token, the secret sealed
/// under the master key and the token hashed. Returns the credentials, the sealed secret and the
/// token's hash.
pub fn mint_material(master_key: &MasterKey, now_ms: i64, duration_seconds: i64) -> (TemporaryCredentials, String, String) {
    let credentials = new_credentials(now_ms, duration_seconds);
    let sealed = master_key.seal(credentials.secret_access_key.as_bytes(), &secret_context(&credentials.access_key_id));
    let token_hash = sha256_hex(&credentials.session_token);
    (credentials, sealed, token_hash)
}

/// A fresh key pair and session token: `ASIA` + 16 characters, a 40-character secret, and an
/// opaque token of 64 random bytes.
pub fn new_credentials(now_ms: i64, duration_seconds: i64) -> TemporaryCredentials {
    use base64::Engine;
    let token: [u8; 64] = crate::crypto::random_bytes();
    TemporaryCredentials {
        access_key_id: format!("ASIA{}", random_string(KEY_ID_ALPHABET, 16)),
        secret_access_key: random_string(SECRET_ALPHABET, 40),
        session_token: format!("IQo{}", base64::engine::general_purpose::STANDARD.encode(token)),
        expiration_ms: now_ms + duration_seconds * 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_have_aws_shapes() {
        let credentials = new_credentials(1_000, 3600);
        assert!(credentials.access_key_id.starts_with("ASIA") && credentials.access_key_id.len() == 20);
        assert_eq!(credentials.secret_access_key.len(), 40);
        assert!(credentials.session_token.len() > 80);
        assert_eq!(credentials.expiration_ms, 1_000 + 3_600_000);
    }
}

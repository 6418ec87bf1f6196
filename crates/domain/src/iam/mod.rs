//! IAM and STS: roles with trust and inline policies, customer managed policies, IAM users with
//! access keys, OpenID Connect providers, temporary credentials minted for an assumed role, and
//! the decisions the policy engine makes for sessions and users.
//!
//! Temporary credentials carry their session (`session_tokens`): the session token is the role,
//! the session policy, the context keys (`cognito-identity.amazonaws.com:sub`, …) the role's
//! policies may test and the secret, sealed under the master key. Nothing is stored for them.

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
mod session_tokens;
pub use session_tokens::{mint_credentials, StsSession, TemporaryCredentials};
use session_tokens::{KEY_ID_ALPHABET, SECRET_ALPHABET};
pub mod web_identity;
mod federated;
pub use federated::{web_identity_context, WebIdentity};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::{format_iso8601, Clock};
use crate::crypto::{random_string, MasterKey};
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

const UPPER_ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A trust policy may be this long (IAM's default ACLSizePerRole quota).
pub const MAX_TRUST_POLICY_CHARS: usize = 2048;
/// The inline policies of one role may total this many characters.
pub const MAX_ROLE_POLICY_CHARS: usize = 10_240;
/// A session policy may be this long before packing.
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;
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



fn check_session_name(name: &str) -> DomainResult<()> {
    let valid = (2..=64).contains(&name.len())
        && name.chars().all(|character| character.is_ascii_alphanumeric() || "_+=,.@-".contains(character));
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error("roleSessionName", name, Constraint::PatternAndLength { pattern: "[\\w+=,.@-]*", min: 2, max: 64 }))
    }
}

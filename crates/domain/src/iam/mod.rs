//! IAM and STS: roles with trust and inline policies, OpenID Connect providers, temporary
//! credentials minted for an assumed role, and the decisions the policy engine makes for them.
//!
//! Temporary credentials are kept as a session record keyed by access key id: the secret sealed
//! under the master key, the session token as its SHA-256, the role, the session policy and the
//! context keys (`cognito-identity.amazonaws.com:sub`, …) the role's policies may test.

pub mod policy;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::{format_iso8601, Clock};
use crate::crypto::{constant_time_eq, random_string, MasterKey};
use crate::error::{DomainError, DomainResult};
use crate::federation::{acceptable_issuer, issuer_key};
use crate::store::{ConflictOn, RecordWrite, Store, StoreError};
use policy::{Decision, Policy, PolicyKind, RequestContext};

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
    /// Context keys the role's policies may test, e.g. `cognito-identity.amazonaws.com:sub`.
    pub context: BTreeMap<String, Vec<String>>,
}

impl StsSession {
    pub fn assumed_role_arn(&self, account_id: &str) -> String {
        format!("arn:aws:sts::{account_id}:assumed-role/{}/{}", self.role_name, self.session_name)
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

/// A verified web identity presented to assume a role.
#[derive(Debug, Clone)]
pub struct WebIdentity {
    /// The federated principal a trust policy names: `cognito-identity.amazonaws.com` or an
    /// OIDC provider's ARN.
    pub principal: String,
    /// The prefix of the condition keys: `cognito-identity.amazonaws.com` or the provider URL.
    pub key_prefix: String,
    /// What STS answers as `Provider`.
    pub provider: String,
    pub subject: String,
    pub audience: String,
    pub amr: Option<Vec<String>>,
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
}

/// A page of a listing with IAM's marker.
#[derive(Debug, Clone)]
pub struct MarkerPage<T> {
    pub items: Vec<T>,
    pub marker: Option<String>,
}

/// One row of SimulatePrincipalPolicy's answer.
#[derive(Debug, Clone)]
pub struct SimulationResult {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
}

/// IAM and STS over the store. Cheap to clone.
#[derive(Clone)]
pub struct IamService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: MasterKey,
    account_id: String,
    policy_cache: Arc<Mutex<HashMap<String, (Instant, Arc<Vec<Policy>>)>>>,
}

fn store_error(error: StoreError) -> DomainError {
    DomainError::from(error)
}

fn decode<T: serde::de::DeserializeOwned>(data: &str) -> DomainResult<T> {
    serde_json::from_str(data).map_err(DomainError::internal)
}

fn encode<T: Serialize>(value: &T) -> DomainResult<String> {
    serde_json::to_string(value).map_err(DomainError::internal)
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
        Err(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and length 1 to {max}"
        )))
    }
}

fn check_path(path: &str) -> DomainResult<()> {
    let valid = path.len() <= 512 && path.starts_with('/') && path.ends_with('/') && path.chars().all(|character| (' '..='~').contains(&character));
    if valid {
        Ok(())
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{path}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)"
        )))
    }
}

fn parse_policy(document: &str, kind: PolicyKind) -> DomainResult<Policy> {
    Policy::parse(document, kind).map_err(|error| DomainError::MalformedPolicy(error.0))
}

fn role_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The role name of a role ARN `arn:aws:iam::<account>:role/<path>/<name>`.
pub fn role_name_from_arn(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (_, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    path_and_name.rsplit('/').next().filter(|name| !name.is_empty())
}

fn marker_limit(max_items: Option<i32>) -> DomainResult<u32> {
    match max_items {
        None => Ok(100),
        Some(value) if (1..=1000).contains(&value) => Ok(value as u32),
        Some(value) => Err(validation(format!(
            "1 validation error detected: Value '{value}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
        ))),
    }
}

impl IamService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, master_key: MasterKey, account_id: impl Into<String>) -> Self {
        IamService { store, clock, master_key, account_id: account_id.into(), policy_cache: Arc::default() }
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    // Roles.

    #[allow(clippy::too_many_arguments)]
    pub async fn create_role(
        &self,
        name: &str,
        path: Option<&str>,
        trust_policy: &str,
        description: Option<&str>,
        max_session_duration: Option<i64>,
        tags: BTreeMap<String, String>,
    ) -> DomainResult<Role> {
        check_iam_name(name, "roleName", 64)?;
        let path = path.unwrap_or("/");
        check_path(path)?;
        if trust_policy.chars().count() > MAX_TRUST_POLICY_CHARS {
            return Err(DomainError::LimitExceeded(format!("Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY_CHARS}")));
        }
        parse_policy(trust_policy, PolicyKind::Trust)?;
        let max_session_duration = max_session_duration.unwrap_or(3600);
        if !(3600..=43_200).contains(&max_session_duration) {
            return Err(validation(format!(
                "1 validation error detected: Value '{max_session_duration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
            )));
        }
        if description.is_some_and(|text| text.chars().count() > 1000) {
            return Err(validation("The description may be at most 1000 characters."));
        }
        if tags.len() > 50 {
            return Err(DomainError::LimitExceeded("A role may have at most 50 tags.".into()));
        }
        let role = Role {
            name: name.to_string(),
            role_id: format!("AROA{}", random_string(UPPER_ALPHANUMERIC, 17)),
            path: path.to_string(),
            arn: format!("arn:aws:iam::{}:role{path}{name}", self.account_id),
            created_ms: self.now(),
            assume_role_policy_document: trust_policy.to_string(),
            description: description.map(str::to_string),
            max_session_duration,
            tags,
        };
        let write = RecordWrite::Insert { kind: ROLE, scope: String::new(), key: role_key(name), data: encode(&role)?, expires_ms: None };
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(role),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("Role with name {name} already exists."))),
            Err(other) => Err(store_error(other)),
        }
    }

    pub async fn get_role(&self, name: &str) -> DomainResult<Role> {
        check_iam_name(name, "roleName", 64)?;
        let data = self.store.get_record(ROLE, "", &role_key(name), 0).await.map_err(store_error)?;
        match data {
            Some(data) => decode(&data),
            None => Err(DomainError::NotFound(format!("The role with name {name} cannot be found."))),
        }
    }

    /// The role an ARN names, if it exists and the ARN is exactly its ARN.
    pub async fn find_role_by_arn(&self, arn: &str) -> DomainResult<Option<Role>> {
        let Some(name) = role_name_from_arn(arn) else {
            return Ok(None);
        };
        let data = self.store.get_record(ROLE, "", &role_key(name), 0).await.map_err(store_error)?;
        let role: Option<Role> = data.map(|data| decode(&data)).transpose()?;
        Ok(role.filter(|role| role.arn == arn))
    }

    pub async fn list_roles(&self, path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<Role>> {
        let limit = marker_limit(max_items)?;
        let prefix = path_prefix.unwrap_or("/");
        let mut after = marker.map(str::to_string);
        let mut items = Vec::new();
        loop {
            let rows = self.store.list_records(ROLE, "", after.as_deref(), 200).await.map_err(store_error)?;
            let exhausted = rows.len() < 200;
            for (key, data) in rows {
                after = Some(key.clone());
                let role: Role = decode(&data)?;
                if role.path.starts_with(prefix) {
                    if items.len() == limit as usize {
                        let marker = items.last().map(|role: &Role| role_key(&role.name));
                        return Ok(MarkerPage { items, marker });
                    }
                    items.push(role);
                }
            }
            if exhausted {
                return Ok(MarkerPage { items, marker: None });
            }
        }
    }

    pub async fn delete_role(&self, name: &str) -> DomainResult<()> {
        let role = self.get_role(name).await?;
        let policies = self.store.list_records(ROLE_POLICY, &role_key(&role.name), None, 1).await.map_err(store_error)?;
        if !policies.is_empty() {
            return Err(DomainError::InUse("Cannot delete entity, must delete policies first.".into()));
        }
        self.store
            .write_records(&[RecordWrite::Delete { kind: ROLE, scope: String::new(), key: role_key(&role.name) }])
            .await
            .map_err(store_error)?;
        self.forget_policies(&role.name);
        Ok(())
    }

    async fn replace_role(&self, role: &Role) -> DomainResult<()> {
        let write = RecordWrite::Replace { kind: ROLE, scope: String::new(), key: role_key(&role.name), data: encode(role)? };
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(ConflictOn::Absent)) => {
                Err(DomainError::NotFound(format!("The role with name {} cannot be found.", role.name)))
            }
            Err(other) => Err(store_error(other)),
        }
    }

    pub async fn update_assume_role_policy(&self, name: &str, document: &str) -> DomainResult<()> {
        let mut role = self.get_role(name).await?;
        if document.chars().count() > MAX_TRUST_POLICY_CHARS {
            return Err(DomainError::LimitExceeded(format!("Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY_CHARS}")));
        }
        parse_policy(document, PolicyKind::Trust)?;
        role.assume_role_policy_document = document.to_string();
        self.replace_role(&role).await
    }

    pub async fn tag_role(&self, name: &str, tags: BTreeMap<String, String>) -> DomainResult<()> {
        let mut role = self.get_role(name).await?;
        role.tags.extend(tags);
        if role.tags.len() > 50 {
            return Err(DomainError::LimitExceeded("A role may have at most 50 tags.".into()));
        }
        self.replace_role(&role).await
    }

    pub async fn untag_role(&self, name: &str, keys: &[String]) -> DomainResult<()> {
        let mut role = self.get_role(name).await?;
        for key in keys {
            role.tags.remove(key);
        }
        self.replace_role(&role).await
    }

    // Inline role policies.

    pub async fn put_role_policy(&self, role_name: &str, policy_name: &str, document: &str) -> DomainResult<()> {
        let role = self.get_role(role_name).await?;
        check_iam_name(policy_name, "policyName", 128)?;
        parse_policy(document, PolicyKind::Identity)?;
        let existing = self.list_role_policy_documents(&role.name).await?;
        let total: usize = existing
            .iter()
            .filter(|(name, _)| name != policy_name)
            .map(|(_, document)| document.chars().filter(|character| !character.is_whitespace()).count())
            .sum::<usize>()
            + document.chars().filter(|character| !character.is_whitespace()).count();
        if total > MAX_ROLE_POLICY_CHARS {
            return Err(DomainError::LimitExceeded(format!(
                "Maximum policy size of {MAX_ROLE_POLICY_CHARS} bytes exceeded for role {}",
                role.name
            )));
        }
        let stored = StoredRolePolicy { name: policy_name.to_string(), document: document.to_string() };
        self.store
            .write_records(&[RecordWrite::Put {
                kind: ROLE_POLICY,
                scope: role_key(&role.name),
                key: policy_name.to_string(),
                data: encode(&stored)?,
                expires_ms: None,
            }])
            .await
            .map_err(store_error)?;
        self.forget_policies(&role.name);
        Ok(())
    }

    pub async fn get_role_policy(&self, role_name: &str, policy_name: &str) -> DomainResult<(Role, String)> {
        let role = self.get_role(role_name).await?;
        check_iam_name(policy_name, "policyName", 128)?;
        let data = self.store.get_record(ROLE_POLICY, &role_key(&role.name), policy_name, 0).await.map_err(store_error)?;
        match data {
            Some(data) => Ok((role, decode::<StoredRolePolicy>(&data)?.document)),
            None => Err(DomainError::NotFound(format!(
                "The role policy with name {policy_name} cannot be found."
            ))),
        }
    }

    pub async fn delete_role_policy(&self, role_name: &str, policy_name: &str) -> DomainResult<()> {
        let (role, _) = self.get_role_policy(role_name, policy_name).await?;
        self.store
            .write_records(&[RecordWrite::Delete { kind: ROLE_POLICY, scope: role_key(&role.name), key: policy_name.to_string() }])
            .await
            .map_err(store_error)?;
        self.forget_policies(&role.name);
        Ok(())
    }

    pub async fn list_role_policies(&self, role_name: &str, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<String>> {
        let role = self.get_role(role_name).await?;
        let limit = marker_limit(max_items)?;
        let rows = self.store.list_records(ROLE_POLICY, &role_key(&role.name), marker, limit + 1).await.map_err(store_error)?;
        let mut names: Vec<String> = rows.into_iter().map(|(key, _)| key).collect();
        let more = names.len() > limit as usize;
        names.truncate(limit as usize);
        let marker = if more { names.last().cloned() } else { None };
        Ok(MarkerPage { items: names, marker })
    }

    async fn list_role_policy_documents(&self, role_name: &str) -> DomainResult<Vec<(String, String)>> {
        let rows = self.store.list_records(ROLE_POLICY, &role_key(role_name), None, 1000).await.map_err(store_error)?;
        rows.into_iter()
            .map(|(name, data)| Ok((name, decode::<StoredRolePolicy>(&data)?.document)))
            .collect()
    }

    fn forget_policies(&self, role_name: &str) {
        self.policy_cache.lock().expect("policy cache lock").remove(&role_key(role_name));
    }

    /// The parsed inline policies of a role, briefly cached.
    async fn role_policies(&self, role_name: &str) -> DomainResult<Arc<Vec<Policy>>> {
        let key = role_key(role_name);
        if let Some((loaded, policies)) = self.policy_cache.lock().expect("policy cache lock").get(&key) {
            if loaded.elapsed() < POLICY_CACHE_TTL {
                return Ok(policies.clone());
            }
        }
        let documents = self.list_role_policy_documents(role_name).await?;
        let mut policies = Vec::with_capacity(documents.len());
        for (name, document) in documents {
            match Policy::parse(&document, PolicyKind::Identity) {
                Ok(policy) => policies.push(policy),
                Err(error) => tracing::error!(role = role_name, policy = name, %error, "a stored policy no longer parses; ignored"),
            }
        }
        let policies = Arc::new(policies);
        self.policy_cache.lock().expect("policy cache lock").insert(key, (Instant::now(), policies.clone()));
        Ok(policies)
    }

    // OpenID Connect providers.

    pub async fn create_oidc_provider(
        &self,
        url: &str,
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
        tags: BTreeMap<String, String>,
    ) -> DomainResult<OidcProvider> {
        let issuer = url.trim_end_matches('/').to_string();
        if !acceptable_issuer(&issuer) || issuer.contains(['?', '#']) {
            return Err(validation(format!(
                "Invalid OpenID Connect provider URL {url}: it must start with https:// (or http:// on a loopback address)."
            )));
        }
        if client_ids.len() > 100 || client_ids.iter().any(|id| id.is_empty() || id.len() > 255) {
            return Err(validation("Each client id must be 1 to 255 characters, at most 100 of them."));
        }
        if thumbprints.len() > 5 || thumbprints.iter().any(|print| print.len() != 40 || !print.bytes().all(|byte| byte.is_ascii_hexdigit())) {
            return Err(validation("Each thumbprint must be 40 hexadecimal characters, at most 5 of them."));
        }
        let key = issuer_key(&issuer).to_string();
        let provider = OidcProvider {
            arn: format!("arn:aws:iam::{}:oidc-provider/{key}", self.account_id),
            issuer,
            client_ids,
            thumbprints,
            created_ms: self.now(),
            tags,
        };
        let write = RecordWrite::Insert { kind: OIDC_PROVIDER, scope: String::new(), key: key.clone(), data: encode(&provider)?, expires_ms: None };
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(provider),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("Provider with url {url} already exists."))),
            Err(other) => Err(store_error(other)),
        }
    }

    fn provider_key_of_arn<'a>(&self, arn: &'a str) -> Option<&'a str> {
        arn.strip_prefix(&format!("arn:aws:iam::{}:oidc-provider/", self.account_id))
    }

    pub async fn get_oidc_provider(&self, arn: &str) -> DomainResult<OidcProvider> {
        let not_found = || DomainError::NotFound(format!("OpenIDConnect Provider not found for arn {arn}"));
        let key = self.provider_key_of_arn(arn).ok_or_else(not_found)?;
        let data = self.store.get_record(OIDC_PROVIDER, "", key, 0).await.map_err(store_error)?;
        data.map(|data| decode(&data)).transpose()?.ok_or_else(not_found)
    }

    /// The provider registered for an issuer (`iss`), if any.
    pub async fn find_oidc_provider_by_issuer(&self, issuer: &str) -> DomainResult<Option<OidcProvider>> {
        let data = self.store.get_record(OIDC_PROVIDER, "", issuer_key(issuer), 0).await.map_err(store_error)?;
        let provider: Option<OidcProvider> = data.map(|data| decode(&data)).transpose()?;
        Ok(provider.filter(|provider| provider.issuer == issuer.trim_end_matches('/')))
    }

    pub async fn list_oidc_providers(&self) -> DomainResult<Vec<OidcProvider>> {
        let rows = self.store.list_records(OIDC_PROVIDER, "", None, 1000).await.map_err(store_error)?;
        rows.into_iter().map(|(_, data)| decode(&data)).collect()
    }

    pub async fn delete_oidc_provider(&self, arn: &str) -> DomainResult<()> {
        let provider = self.get_oidc_provider(arn).await?;
        self.store
            .write_records(&[RecordWrite::Delete { kind: OIDC_PROVIDER, scope: String::new(), key: provider.url().to_string() }])
            .await
            .map_err(store_error)
    }

    pub async fn update_oidc_provider(&self, provider: &OidcProvider) -> DomainResult<()> {
        let write = RecordWrite::Replace { kind: OIDC_PROVIDER, scope: String::new(), key: provider.url().to_string(), data: encode(provider)? };
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(ConflictOn::Absent)) => {
                Err(DomainError::NotFound(format!("OpenIDConnect Provider not found for arn {}", provider.arn)))
            }
            Err(other) => Err(store_error(other)),
        }
    }

    // STS.

    /// AssumeRoleWithWebIdentity once the token is verified: the role must exist and trust the
    /// identity, the duration must fit the role, and an inline session policy must parse.
    pub async fn assume_role_with_web_identity(
        &self,
        role_arn: &str,
        session_name: &str,
        identity: &WebIdentity,
        duration_seconds: Option<i64>,
        session_policy: Option<&str>,
    ) -> DomainResult<AssumedRole> {
        check_session_name(session_name)?;
        let denied = || DomainError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".into());
        let role = self.find_role_by_arn(role_arn).await?.ok_or_else(denied)?;
        let duration = duration_seconds.unwrap_or(3600);
        if duration < 900 || duration > role.max_session_duration {
            return Err(validation(format!(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role. It must be between 900 and {} seconds.",
                role.max_session_duration
            )));
        }
        let packed_policy_size = match session_policy {
            Some(document) => {
                if document.chars().count() > MAX_SESSION_POLICY_CHARS {
                    return Err(DomainError::LimitExceeded(format!(
                        "Packed policy consumes {}% of allotted space, please use smaller policy for this session.",
                        document.chars().count() * 100 / MAX_SESSION_POLICY_CHARS
                    )));
                }
                parse_policy(document, PolicyKind::Identity)?;
                let compact = document.chars().filter(|character| !character.is_whitespace()).count();
                Some((compact * 100 / MAX_SESSION_POLICY_CHARS).max(1) as i64)
            }
            None => None,
        };
        if !self.check_trust(&role, identity)? {
            return Err(denied());
        }
        let context = web_identity_context(identity);
        let (credentials, session) = self.mint_for_role(&role, session_name, duration, session_policy.map(str::to_string), context).await?;
        Ok(AssumedRole {
            assumed_role_id: session.assumed_role_id(),
            arn: session.assumed_role_arn(&self.account_id),
            credentials,
            packed_policy_size,
            subject: identity.subject.clone(),
            audience: identity.audience.clone(),
            provider: identity.provider.clone(),
        })
    }

    /// Mints credentials for a role and records the session. No trust check: callers make their
    /// own (AssumeRoleWithWebIdentity here, GetCredentialsForIdentity through [`Self::check_trust`]).
    pub async fn mint_for_role(
        &self,
        role: &Role,
        session_name: &str,
        duration_seconds: i64,
        session_policy: Option<String>,
        context: BTreeMap<String, Vec<String>>,
    ) -> DomainResult<(TemporaryCredentials, StsSession)> {
        let (credentials, sealed_secret, token_hash) = mint_material(&self.master_key, self.now(), duration_seconds);
        let session = StsSession {
            access_key_id: credentials.access_key_id.clone(),
            sealed_secret,
            token_hash,
            created_ms: self.now(),
            expires_ms: credentials.expiration_ms,
            role_arn: role.arn.clone(),
            role_id: role.role_id.clone(),
            role_name: role.name.clone(),
            session_name: session_name.to_string(),
            session_policy,
            context,
        };
        self.store
            .write_records(&[RecordWrite::Insert {
                kind: STS_SESSION,
                scope: String::new(),
                key: session.access_key_id.clone(),
                data: encode(&session)?,
                expires_ms: Some(session.expires_ms + EXPIRED_SESSION_GRACE_MS),
            }])
            .await
            .map_err(store_error)?;
        Ok((credentials, session))
    }

    /// The session of a temporary access key and its secret, once the session token matches.
    /// `Ok(None)` when the key is unknown; `ExpiredToken` when it has expired.
    pub async fn open_session(&self, access_key_id: &str, session_token: Option<&str>) -> DomainResult<Option<(StsSession, String)>> {
        let Some(data) = self.store.get_record(STS_SESSION, "", access_key_id, 0).await.map_err(store_error)? else {
            return Ok(None);
        };
        let session: StsSession = decode(&data)?;
        let Some(token) = session_token else {
            return Ok(None);
        };
        if !constant_time_eq(sha256_hex(token).as_bytes(), session.token_hash.as_bytes()) {
            return Ok(None);
        }
        if session.expires_ms <= self.now() {
            return Err(DomainError::ExpiredToken("The security token included in the request is expired".into()));
        }
        let secret = self.master_key.open(&session.sealed_secret, &secret_context(access_key_id))?;
        let secret = String::from_utf8(secret).map_err(DomainError::internal)?;
        Ok(Some((session, secret)))
    }

    /// Decides whether a session may perform `action` on `resource`: the role's inline policies,
    /// narrowed by the session policy, with the session's context keys and `extra` ones.
    pub async fn authorize(&self, session: &StsSession, action: &str, resource: &str, extra: &[(&str, String)]) -> DomainResult<Decision> {
        let identity_policies = self.role_policies(&session.role_name).await?;
        let session_policies = match &session.session_policy {
            Some(document) => vec![parse_policy(document, PolicyKind::Identity)?],
            None => Vec::new(),
        };
        let mut request = RequestContext::new(action, resource);
        for (key, values) in &session.context {
            request.set_all(key, values.clone());
        }
        let now = self.now();
        request.set("aws:CurrentTime", format_iso8601(now.div_euclid(1000)));
        request.set("aws:EpochTime", now.div_euclid(1000).to_string());
        request.set("aws:PrincipalArn", session.role_arn.clone());
        request.set("aws:userid", session.assumed_role_id());
        request.set("aws:PrincipalAccount", self.account_id.clone());
        request.set("aws:TokenIssueTime", format_iso8601(session.created_ms.div_euclid(1000)));
        for (key, value) in extra {
            request.set(key, value.clone());
        }
        Ok(policy::evaluate(&identity_policies, &session_policies, &request))
    }

    /// SimulatePrincipalPolicy for a role: every action on every resource, with the given
    /// context entries and any extra policies.
    pub async fn simulate_role(
        &self,
        role_arn: &str,
        actions: &[String],
        resources: &[String],
        context: &[(String, Vec<String>)],
        extra_policies: &[String],
    ) -> DomainResult<Vec<SimulationResult>> {
        let role = self
            .find_role_by_arn(role_arn)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("Role {role_arn} does not exist.")))?;
        let mut policies: Vec<Policy> = self.role_policies(&role.name).await?.as_ref().clone();
        for document in extra_policies {
            policies.push(parse_policy(document, PolicyKind::Identity)?);
        }
        if actions.is_empty() {
            return Err(validation("ActionNames must name at least one action."));
        }
        let resources: Vec<String> = if resources.is_empty() { vec!["*".into()] } else { resources.to_vec() };
        let mut results = Vec::new();
        for action in actions {
            for resource in &resources {
                let mut request = RequestContext::new(action.clone(), resource.clone());
                for (key, values) in context {
                    request.set_all(key, values.clone());
                }
                results.push(SimulationResult {
                    action: action.clone(),
                    resource: resource.clone(),
                    decision: policy::evaluate(&policies, &[], &request),
                });
            }
        }
        Ok(results)
    }

    /// Whether a role's trust policy lets `identity` assume it with web identity.
    pub fn check_trust(&self, role: &Role, identity: &WebIdentity) -> DomainResult<bool> {
        let trust = parse_policy(&role.assume_role_policy_document, PolicyKind::Trust)?;
        let mut request = RequestContext::new("sts:AssumeRoleWithWebIdentity", role.arn.clone())
            .with_principal("Federated", &identity.principal);
        for (key, values) in web_identity_context(identity) {
            request.set_all(&key, values);
        }
        Ok(trust.decide(&request).is_allowed())
    }
}

/// The condition keys a web identity brings: `<prefix>:aud`, `:sub`, `:amr` (when the
/// provider has one), and for OIDC providers `:oaud` too.
pub fn web_identity_context(identity: &WebIdentity) -> BTreeMap<String, Vec<String>> {
    let prefix = &identity.key_prefix;
    let mut context = BTreeMap::new();
    context.insert(format!("{prefix}:aud"), vec![identity.audience.clone()]);
    context.insert(format!("{prefix}:sub"), vec![identity.subject.clone()]);
    if let Some(amr) = &identity.amr {
        context.insert(format!("{prefix}:amr"), amr.clone());
    } else {
        context.insert(format!("{prefix}:oaud"), vec![identity.audience.clone()]);
    }
    context.insert("aws:FederatedProvider".into(), vec![identity.principal.clone()]);
    context
}

fn secret_context(access_key_id: &str) -> String {
    format!("sts-secret:{access_key_id}")
}

fn check_session_name(name: &str) -> DomainResult<()> {
    let valid = (2..=64).contains(&name.len())
        && name.chars().all(|character| character.is_ascii_alphanumeric() || "_+=,.@-".contains(character));
    if valid {
        Ok(())
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and length 2 to 64"
        )))
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
    use rand::RngCore;
    let mut token = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut token);
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
    fn role_names_come_from_role_arns() {
        assert_eq!(role_name_from_arn("arn:aws:iam::123456789012:role/app/Reader"), Some("Reader"));
        assert_eq!(role_name_from_arn("arn:aws:iam::123456789012:role/Reader"), Some("Reader"));
        assert_eq!(role_name_from_arn("arn:aws:iam::123456789012:user/Reader"), None);
        assert_eq!(role_name_from_arn("Reader"), None);
    }

    #[test]
    fn credentials_have_aws_shapes() {
        let credentials = new_credentials(1_000, 3600);
        assert!(credentials.access_key_id.starts_with("ASIA") && credentials.access_key_id.len() == 20);
        assert_eq!(credentials.secret_access_key.len(), 40);
        assert!(credentials.session_token.len() > 80);
        assert_eq!(credentials.expiration_ms, 1_000 + 3_600_000);
    }
}

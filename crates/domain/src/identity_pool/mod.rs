//! Identity pools (Cognito Identity): pools with their providers and roles, identities (guest
//! or linked to logins), and the trade of a verified login for temporary credentials (the
//! enhanced flow) or for an OpenID token that STS accepts (the basic flow).
//!
//! Records: `identity_pool` (scope "", key pool id), `identity` (scope "", key identity id, so
//! that GetCredentialsForIdentity finds it by id alone), `pool_identity` (scope pool id: the
//! pool's identities in order, for ListIdentities), and `identity_login` (scope pool id, key
//! `provider \u{1} subject`, data identity id: which identity a login belongs to).

pub mod types;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::error::{DomainError, DomainResult};
use crate::federation::{issuer_key, ExternalVerifier};
use crate::iam::{IamService, TemporaryCredentials, WebIdentity};
use crate::store::{ConflictOn, RecordWrite, Store, StoreError};
use crate::tokens::{self, JwsAlgorithm, KeyPurpose, LoadedSigningKey, PublicJwk, SigningKeyRecord};
use crate::user_pool::UserPoolService;
pub use types::*;

const POOL: &str = "identity_pool";
const IDENTITY: &str = "identity";
const POOL_IDENTITY: &str = "pool_identity";
const LOGIN: &str = "identity_login";

/// The federated principal (and condition-key prefix) of identity-pool sessions.
pub const COGNITO_IDENTITY: &str = "cognito-identity.amazonaws.com";
/// The signing-key owner of OpenID tokens in the `signing_keys` table.
const OPENID_KEY_OWNER: &str = "cognito-identity";
/// OpenID tokens from GetOpenIdToken last 15 minutes.
const OPENID_TOKEN_SECONDS: i64 = 900;
/// Credentials from GetCredentialsForIdentity last an hour.
const CREDENTIAL_SECONDS: i64 = 3600;
const KEY_CACHE_TTL: Duration = Duration::from_secs(60);

const SOCIAL_PROVIDERS: [&str; 4] = ["accounts.google.com", "graph.facebook.com", "www.amazon.com", "appleid.apple.com"];

/// A login that verified: which provider, which user there, and what role mapping and `amr`
/// it brings.
#[derive(Debug, Clone)]
struct VerifiedLogin {
    provider: String,
    subject: String,
    amr_entry: String,
    /// The key of the pool's role mapping for this login.
    mapping_key: String,
    claims: Value,
}

impl VerifiedLogin {
    fn linked(&self) -> LinkedLogin {
        LinkedLogin { provider: self.provider.clone(), subject: self.subject.clone() }
    }
}

/// What the Logins map proved.
#[derive(Debug, Default)]
struct ProvenLogins {
    logins: Vec<VerifiedLogin>,
    /// The identity an OpenID token (key `cognito-identity.amazonaws.com`) was issued for, with
    /// the `amr` it carries.
    token_identity: Option<(String, Vec<String>)>,
}

/// Credentials for an identity.
#[derive(Debug, Clone)]
pub struct IdentityCredentials {
    pub identity_id: String,
    pub credentials: TemporaryCredentials,
}

struct CachedOpenIdKeys {
    loaded: Instant,
    records: Vec<SigningKeyRecord>,
    active: Arc<LoadedSigningKey>,
}

/// The identity-pool service. Cheap to clone.
#[derive(Clone)]
pub struct IdentityPoolService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: MasterKey,
    region: String,
    account_id: String,
    /// The `iss` of OpenID tokens.
    issuer: String,
    user_pools: UserPoolService,
    iam: IamService,
    external: ExternalVerifier,
    keys: Arc<Mutex<Option<Arc<CachedOpenIdKeys>>>>,
}

fn store_error(error: StoreError) -> DomainError {
    DomainError::from(error)
}

fn decode<T: serde::de::DeserializeOwned>(data: &str) -> DomainResult<T> {
    serde_json::from_str(data).map_err(DomainError::internal)
}

fn encode<T: serde::Serialize>(value: &T) -> DomainResult<String> {
    serde_json::to_string(value).map_err(DomainError::internal)
}

fn login_key(provider: &str, subject: &str) -> String {
    format!("{provider}\u{1}{subject}")
}

fn not_supported() -> DomainError {
    DomainError::NotAuthorized("Token is not from a supported provider of this identity pool.".into())
}

fn logins_dont_match() -> DomainError {
    DomainError::NotAuthorized("Logins don't match. Please include at least one valid login for this identity or identity pool.".into())
}

fn bad_configuration() -> DomainError {
    DomainError::InvalidConfiguration("Invalid identity pool configuration. Check assigned IAM roles for this pool.".into())
}

fn identity_not_found(identity_id: &str) -> DomainError {
    DomainError::NotFound(format!("Identity '{identity_id}' not found."))
}

fn encode_page_token(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

fn decode_page_token(token: Option<&str>) -> DomainResult<Option<String>> {
    token
        .map(|token| {
            URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| DomainError::InvalidParameter("Invalid pagination token.".into()))
        })
        .transpose()
}

fn max_results(value: i32, max: i32) -> DomainResult<u32> {
    if (1..=max).contains(&value) {
        Ok(value as u32)
    } else {
        Err(DomainError::InvalidParameter(format!(
            "1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and {max}"
        )))
    }
}

/// Whether a claim satisfies a mapping rule. A list claim (such as `cognito:groups`) matches
/// `Contains` when one of its members is the value.
fn rule_matches(rule: &MappingRule, claims: &Value) -> bool {
    let Some(claim) = claims.get(&rule.claim) else {
        return false;
    };
    let text = match claim {
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            if rule.match_type == "Contains" {
                return items.iter().any(|item| item.as_str() == Some(rule.value.as_str()));
            }
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    };
    match rule.match_type.as_str() {
        "Equals" => text == rule.value,
        "Contains" => text.contains(&rule.value),
        "StartsWith" => text.starts_with(&rule.value),
        "NotEqual" => text != rule.value,
        _ => false,
    }
}

impl IdentityPoolService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: MasterKey,
        region: impl Into<String>,
        account_id: impl Into<String>,
        issuer: impl Into<String>,
        user_pools: UserPoolService,
        iam: IamService,
        external: ExternalVerifier,
    ) -> Self {
        IdentityPoolService {
            store,
            clock,
            master_key,
            region: region.into(),
            account_id: account_id.into(),
            issuer: issuer.into(),
            user_pools,
            iam,
            external,
            keys: Arc::default(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn pool_arn(&self, pool_id: &str) -> String {
        crate::ids::identity_pool_arn(crate::ids::region_of(pool_id), &self.account_id, pool_id)
    }

    /// The canonical name of this server's user pool `pool_id` as an identity provider (in the
    /// user pool's own region).
    fn user_pool_provider(&self, pool_id: &str) -> String {
        format!("cognito-idp.{}.amazonaws.com/{pool_id}", crate::ids::region_of(pool_id))
    }

    // Pools.

    /// CreateIdentityPool in this server's default region.
    pub async fn create_pool(&self, settings: IdentityPoolSettings) -> DomainResult<IdentityPool> {
        let region = self.region.clone();
        self.create_pool_in(&region, settings).await
    }

    /// CreateIdentityPool in `region` (the one the request was signed for).
    pub async fn create_pool_in(&self, region: &str, settings: IdentityPoolSettings) -> DomainResult<IdentityPool> {
        settings.check()?;
        let now = self.now();
        let pool = IdentityPool {
            id: format!("{region}:{}", crate::ids::new_uuid()),
            settings,
            roles: BTreeMap::new(),
            role_mappings: BTreeMap::new(),
            created_ms: now,
        };
        self.store
            .write_records(&[RecordWrite::Insert { kind: POOL, scope: String::new(), key: pool.id.clone(), data: encode(&pool)?, expires_ms: None }])
            .await
            .map_err(store_error)?;
        Ok(pool)
    }

    pub async fn describe_pool(&self, pool_id: &str) -> DomainResult<IdentityPool> {
        check_pool_id(pool_id)?;
        let data = self.store.get_record(POOL, "", pool_id, 0).await.map_err(store_error)?;
        data.map(|data| decode(&data))
            .transpose()?
            .ok_or_else(|| DomainError::NotFound(format!("IdentityPool '{pool_id}' not found.")))
    }

    async fn replace_pool(&self, pool: &IdentityPool) -> DomainResult<()> {
        let write = RecordWrite::Replace { kind: POOL, scope: String::new(), key: pool.id.clone(), data: encode(pool)? };
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(ConflictOn::Absent)) => Err(DomainError::NotFound(format!("IdentityPool '{}' not found.", pool.id))),
            Err(other) => Err(store_error(other)),
        }
    }

    /// UpdateIdentityPool replaces the settings (tags are kept unless given).
    pub async fn update_pool(&self, pool_id: &str, mut settings: IdentityPoolSettings, tags_given: bool) -> DomainResult<IdentityPool> {
        let mut pool = self.describe_pool(pool_id).await?;
        settings.check()?;
        if pool.settings.developer_provider_name.is_some() && settings.developer_provider_name != pool.settings.developer_provider_name {
            return Err(DomainError::InvalidParameter("The developer provider name cannot be changed once set.".into()));
        }
        if !tags_given {
            settings.tags = pool.settings.tags.clone();
        }
        pool.settings = settings;
        self.replace_pool(&pool).await?;
        Ok(pool)
    }

    pub async fn delete_pool(&self, pool_id: &str) -> DomainResult<()> {
        self.describe_pool(pool_id).await?;
        // The pool, its login links and its identity index go at once; the identity records
        // themselves follow in batches (an identity whose pool is gone is never served).
        self.store
            .write_records(&[
                RecordWrite::Delete { kind: POOL, scope: String::new(), key: pool_id.to_string() },
                RecordWrite::DeleteScope { kind: LOGIN, scope: pool_id.to_string() },
            ])
            .await
            .map_err(store_error)?;
        loop {
            let page = self.store.list_records(POOL_IDENTITY, pool_id, None, 500).await.map_err(store_error)?;
            if page.is_empty() {
                return Ok(());
            }
            let mut writes = Vec::with_capacity(page.len() * 2);
            for (identity_id, _) in page {
                writes.push(RecordWrite::Delete { kind: IDENTITY, scope: String::new(), key: identity_id.clone() });
                writes.push(RecordWrite::Delete { kind: POOL_IDENTITY, scope: pool_id.to_string(), key: identity_id });
            }
            self.store.write_records(&writes).await.map_err(store_error)?;
        }
    }

    /// ListIdentityPools in this server's default region.
    pub async fn list_pools(&self, max: i32, next_token: Option<&str>) -> DomainResult<(Vec<IdentityPool>, Option<String>)> {
        let region = self.region.clone();
        self.list_pools_in(&region, max, next_token).await
    }

    /// ListIdentityPools in `region`: the pools whose ids name it (they sort together).
    pub async fn list_pools_in(&self, region: &str, max: i32, next_token: Option<&str>) -> DomainResult<(Vec<IdentityPool>, Option<String>)> {
        let limit = max_results(max, 60)?;
        let prefix = format!("{region}:");
        let after = decode_page_token(next_token)?.filter(|after| after.as_str() > prefix.as_str()).unwrap_or_else(|| prefix.clone());
        let mut rows = self.store.list_records(POOL, "", Some(&after), limit + 1).await.map_err(store_error)?;
        rows.retain(|(key, _)| key.starts_with(&prefix));
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(|(key, _)| encode_page_token(key)) } else { None };
        let pools = rows.into_iter().map(|(_, data)| decode(&data)).collect::<DomainResult<Vec<_>>>()?;
        Ok((pools, next))
    }

    pub async fn set_roles(&self, pool_id: &str, roles: BTreeMap<String, String>, mappings: BTreeMap<String, RoleMapping>) -> DomainResult<()> {
        let mut pool = self.describe_pool(pool_id).await?;
        for (kind, arn) in &roles {
            if kind != "authenticated" && kind != "unauthenticated" {
                return Err(DomainError::InvalidParameter(format!("Roles may only be 'authenticated' or 'unauthenticated', not '{kind}'.")));
            }
            if crate::iam::role_name_from_arn(arn).is_none() {
                return Err(DomainError::InvalidParameter(format!("'{arn}' is not a role ARN.")));
            }
        }
        if mappings.len() > 10 {
            return Err(DomainError::LimitExceeded("An identity pool may have at most 10 role mappings.".into()));
        }
        for (provider, mapping) in &mappings {
            mapping.check(provider)?;
        }
        pool.roles = roles;
        pool.role_mappings = mappings;
        self.replace_pool(&pool).await
    }

    pub async fn tag_pool(&self, arn: &str, tags: BTreeMap<String, String>) -> DomainResult<()> {
        let mut pool = self.pool_of_arn(arn).await?;
        pool.settings.tags.extend(tags);
        if pool.settings.tags.len() > 50 {
            return Err(DomainError::LimitExceeded("An identity pool may have at most 50 tags.".into()));
        }
        self.replace_pool(&pool).await
    }

    pub async fn untag_pool(&self, arn: &str, keys: &[String]) -> DomainResult<()> {
        let mut pool = self.pool_of_arn(arn).await?;
        for key in keys {
            pool.settings.tags.remove(key);
        }
        self.replace_pool(&pool).await
    }

    pub async fn pool_of_arn(&self, arn: &str) -> DomainResult<IdentityPool> {
        let not_found = || DomainError::NotFound(format!("Resource {arn} not found."));
        let rest = arn.strip_prefix("arn:aws:cognito-identity:").ok_or_else(not_found)?;
        let (region, rest) = rest.split_once(':').ok_or_else(not_found)?;
        let pool_id = rest.strip_prefix(&format!("{}:identitypool/", self.account_id)).ok_or_else(not_found)?;
        if crate::ids::region_of(pool_id) != region {
            return Err(not_found());
        }
        self.describe_pool(pool_id).await
    }

    // Identities.

    /// The identity pool an identity belongs to, for authorising operations that name only the
    /// identity; None when it is unknown or cannot be read.
    pub async fn pool_of_identity(&self, identity_id: &str) -> Option<String> {
        check_identity_id(identity_id).ok()?;
        let data = self.store.get_record(IDENTITY, "", identity_id, 0).await.ok()??;
        decode::<Identity>(&data).ok().map(|identity| identity.pool_id)
    }

    pub async fn describe_identity(&self, identity_id: &str) -> DomainResult<Identity> {
        check_identity_id(identity_id)?;
        let data = self.store.get_record(IDENTITY, "", identity_id, 0).await.map_err(store_error)?;
        let identity: Identity = data.map(|data| decode(&data)).transpose()?.ok_or_else(|| identity_not_found(identity_id))?;
        if self.store.get_record(POOL, "", &identity.pool_id, 0).await.map_err(store_error)?.is_none() {
            return Err(identity_not_found(identity_id));
        }
        Ok(identity)
    }

    pub async fn list_identities(&self, pool_id: &str, max: i32, next_token: Option<&str>) -> DomainResult<(Vec<Identity>, Option<String>)> {
        self.describe_pool(pool_id).await?;
        let limit = max_results(max, 60)?;
        let after = decode_page_token(next_token)?;
        let mut rows = self.store.list_records(POOL_IDENTITY, pool_id, after.as_deref(), limit + 1).await.map_err(store_error)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(|(key, _)| encode_page_token(key)) } else { None };
        let mut identities = Vec::with_capacity(rows.len());
        for (identity_id, _) in rows {
            if let Some(data) = self.store.get_record(IDENTITY, "", &identity_id, 0).await.map_err(store_error)? {
                identities.push(decode(&data)?);
            }
        }
        Ok((identities, next))
    }

    /// DeleteIdentities: removes each identity with its login links; ids that are not found are
    /// skipped, as Cognito does. Returns the ids it could not process.
    pub async fn delete_identities(&self, identity_ids: &[String]) -> DomainResult<Vec<String>> {
        if identity_ids.is_empty() || identity_ids.len() > 60 {
            return Err(DomainError::InvalidParameter("IdentityIdsToDelete must name 1 to 60 identities.".into()));
        }
        let mut unprocessed = Vec::new();
        for identity_id in identity_ids {
            if check_identity_id(identity_id).is_err() {
                unprocessed.push(identity_id.clone());
                continue;
            }
            let Some(data) = self.store.get_record(IDENTITY, "", identity_id, 0).await.map_err(store_error)? else {
                continue;
            };
            let identity: Identity = decode(&data)?;
            let mut writes = vec![
                RecordWrite::Delete { kind: IDENTITY, scope: String::new(), key: identity.id.clone() },
                RecordWrite::Delete { kind: POOL_IDENTITY, scope: identity.pool_id.clone(), key: identity.id.clone() },
            ];
            for login in &identity.logins {
                writes.push(RecordWrite::Delete { kind: LOGIN, scope: identity.pool_id.clone(), key: login_key(&login.provider, &login.subject) });
            }
            self.store.write_records(&writes).await.map_err(store_error)?;
        }
        Ok(unprocessed)
    }

    /// Creates an identity linked to `logins`, atomically with its links; `Conflict(Key)` when
    /// one of the logins was linked meanwhile.
    async fn insert_identity(&self, pool_id: &str, logins: Vec<LinkedLogin>) -> Result<Identity, StoreError> {
        let now = self.now();
        let identity = Identity {
            id: format!("{}:{}", crate::ids::region_of(pool_id), crate::ids::new_uuid()),
            pool_id: pool_id.to_string(),
            logins,
            created_ms: now,
            modified_ms: now,
        };
        let data = serde_json::to_string(&identity).map_err(|error| StoreError::Backend(error.to_string()))?;
        let mut writes = vec![
            RecordWrite::Insert { kind: IDENTITY, scope: String::new(), key: identity.id.clone(), data, expires_ms: None },
            RecordWrite::Insert { kind: POOL_IDENTITY, scope: pool_id.to_string(), key: identity.id.clone(), data: String::new(), expires_ms: None },
        ];
        for login in &identity.logins {
            writes.push(RecordWrite::Insert {
                kind: LOGIN,
                scope: pool_id.to_string(),
                key: login_key(&login.provider, &login.subject),
                data: identity.id.clone(),
                expires_ms: None,
            });
        }
        self.store.write_records(&writes).await?;
        Ok(identity)
    }

    /// Links `logins` to an existing identity, atomically; a login linked meanwhile to another
    /// identity makes it a conflict.
    async fn link_logins(&self, identity: &mut Identity, logins: &[LinkedLogin]) -> DomainResult<()> {
        let fresh: Vec<&LinkedLogin> = logins.iter().filter(|login| !identity.logins.contains(login)).collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let mut updated = identity.clone();
        updated.logins.extend(fresh.iter().map(|login| (*login).clone()));
        updated.modified_ms = self.now();
        let mut writes = vec![RecordWrite::Replace { kind: IDENTITY, scope: String::new(), key: updated.id.clone(), data: encode(&updated)? }];
        for login in fresh {
            writes.push(RecordWrite::Insert {
                kind: LOGIN,
                scope: updated.pool_id.clone(),
                key: login_key(&login.provider, &login.subject),
                data: updated.id.clone(),
                expires_ms: None,
            });
        }
        match self.store.write_records(&writes).await {
            Ok(()) => {
                *identity = updated;
                Ok(())
            }
            Err(StoreError::Conflict(ConflictOn::Key)) => Err(already_linked()),
            Err(StoreError::Conflict(ConflictOn::Absent)) => Err(identity_not_found(&identity.id)),
            Err(other) => Err(store_error(other)),
        }
    }

    async fn identity_of_login(&self, pool_id: &str, provider: &str, subject: &str) -> DomainResult<Option<String>> {
        self.store.get_record(LOGIN, pool_id, &login_key(provider, subject), 0).await.map_err(store_error)
    }

    /// Verifies every login of a Logins map against the pool's providers.
    async fn prove(&self, pool: &IdentityPool, logins: &BTreeMap<String, String>) -> DomainResult<ProvenLogins> {
        if logins.len() > 10 {
            return Err(DomainError::InvalidParameter("Logins may name at most 10 providers.".into()));
        }
        let mut proven = ProvenLogins::default();
        for (key, token) in logins {
            if token.is_empty() || token.len() > 50_000 {
                return Err(DomainError::InvalidParameter("Invalid login token.".into()));
            }
            if key == COGNITO_IDENTITY {
                let claims = self.verify_openid_token(token).await.map_err(|_| DomainError::NotAuthorized("Invalid login token.".into()))?;
                if claims.get("aud").and_then(Value::as_str) != Some(pool.id.as_str()) {
                    return Err(DomainError::NotAuthorized("Invalid login token. Incorrect token audience.".into()));
                }
                let identity_id = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
                let amr = string_list_claim(&claims, "amr");
                proven.token_identity = Some((identity_id, amr));
                continue;
            }
            proven.logins.push(self.verify_login(pool, key, token).await?);
        }
        Ok(proven)
    }

    async fn verify_login(&self, pool: &IdentityPool, key: &str, token: &str) -> DomainResult<VerifiedLogin> {
        // User pools: the AWS-style key, or the issuer without its scheme (as Amplify derives it).
        let user_pool_id = crate::ids::user_pool_of_provider(key)
            .or_else(|| key.strip_prefix(&format!("{}/", issuer_key(self.user_pools.issuer_base()))))
            .filter(|rest| !rest.contains('/'));
        if let Some(user_pool_id) = user_pool_id {
            let provider = self.user_pool_provider(user_pool_id);
            let configured: Vec<&CognitoProvider> =
                pool.settings.cognito_providers.iter().filter(|entry| entry.provider_name == provider).collect();
            if configured.is_empty() {
                return Err(not_supported());
            }
            let check = configured.iter().any(|entry| entry.server_side_token_check);
            let claims = self.user_pools.verify_id_token_for_login(user_pool_id, token, check).await?;
            let audience = claims.get("aud").and_then(Value::as_str).unwrap_or_default().to_string();
            if !configured.iter().any(|entry| entry.client_id == audience) {
                return Err(not_supported());
            }
            let subject = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
            return Ok(VerifiedLogin {
                amr_entry: format!("{provider}:CognitoSignIn:{subject}"),
                mapping_key: format!("{provider}:{audience}"),
                provider,
                subject,
                claims,
            });
        }
        if SOCIAL_PROVIDERS.contains(&key) {
            let app_ids: Vec<String> = pool
                .settings
                .supported_login_providers
                .get(key)
                .ok_or_else(not_supported)?
                .split(',')
                .map(|id| id.trim().to_string())
                .filter(|id| !id.is_empty())
                .collect();
            let endpoints = self.external.endpoints().clone();
            let identity = match key {
                "accounts.google.com" | "appleid.apple.com" => {
                    let issuer = if key == "accounts.google.com" { &endpoints.google_issuer } else { &endpoints.apple_issuer };
                    let identity = self.external.verify_oidc_token(issuer, token).await.map_err(as_login_error)?;
                    if !identity.audiences.iter().any(|audience| app_ids.contains(audience)) {
                        return Err(DomainError::NotAuthorized("Invalid login token. Incorrect token audience.".into()));
                    }
                    identity
                }
                "graph.facebook.com" => self.verify_with_any(&app_ids, |app_id| self.external.verify_facebook(token, app_id)).await?,
                _ => self.verify_with_any(&app_ids, |client_id| self.external.verify_amazon(token, client_id)).await?,
            };
            return Ok(VerifiedLogin {
                amr_entry: format!("{key}:{}", identity.subject),
                mapping_key: key.to_string(),
                provider: key.to_string(),
                subject: identity.subject,
                claims: identity.claims,
            });
        }
        // OpenID Connect providers registered in IAM and named on the pool.
        for arn in &pool.settings.open_id_connect_provider_arns {
            let Ok(provider) = self.iam.get_oidc_provider(arn).await else {
                continue;
            };
            if provider.url() != key {
                continue;
            }
            let identity = self.external.verify_oidc_token(&provider.issuer, token).await.map_err(as_login_error)?;
            if !identity.audiences.iter().any(|audience| provider.client_ids.contains(audience)) {
                return Err(DomainError::NotAuthorized("Invalid login token. Incorrect token audience.".into()));
            }
            return Ok(VerifiedLogin {
                amr_entry: format!("{key}:{}", identity.subject),
                mapping_key: key.to_string(),
                provider: key.to_string(),
                subject: identity.subject,
                claims: identity.claims,
            });
        }
        Err(not_supported())
    }

    async fn verify_with_any<'a, F, Fut>(&self, ids: &'a [String], verify: F) -> DomainResult<crate::federation::ExternalIdentity>
    where
        F: Fn(&'a str) -> Fut,
        Fut: std::future::Future<Output = DomainResult<crate::federation::ExternalIdentity>>,
    {
        let mut last = not_supported();
        for id in ids {
            match verify(id).await {
                Ok(identity) => return Ok(identity),
                Err(error) => last = as_login_error(error),
            }
        }
        Err(last)
    }

    /// GetId: a new guest identity without logins; with logins, the identity they are linked
    /// to, or a new identity linked to them.
    pub async fn get_id(&self, pool_id: &str, logins: &BTreeMap<String, String>) -> DomainResult<String> {
        let pool = self.describe_pool(pool_id).await?;
        let proven = self.prove(&pool, logins).await?;
        if let Some((identity_id, _)) = &proven.token_identity {
            let mut identity = self.describe_identity(identity_id).await?;
            let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
            self.link_logins(&mut identity, &links).await?;
            return Ok(identity.id);
        }
        if proven.logins.is_empty() {
            if !pool.settings.allow_unauthenticated_identities {
                return Err(DomainError::NotAuthorized("Unauthenticated access is not supported for this identity pool.".into()));
            }
            return self.insert_identity(&pool.id, Vec::new()).await.map(|identity| identity.id).map_err(store_error);
        }
        let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
        for _ in 0..3 {
            let mut owners = Vec::new();
            for login in &links {
                if let Some(owner) = self.identity_of_login(&pool.id, &login.provider, &login.subject).await? {
                    if !owners.contains(&owner) {
                        owners.push(owner);
                    }
                }
            }
            match owners.as_slice() {
                [] => match self.insert_identity(&pool.id, links.clone()).await {
                    Ok(identity) => return Ok(identity.id),
                    Err(StoreError::Conflict(_)) => continue,
                    Err(other) => return Err(store_error(other)),
                },
                [owner] => {
                    let mut identity = self.describe_identity(owner).await?;
                    self.link_logins(&mut identity, &links).await?;
                    return Ok(identity.id);
                }
                _ => return Err(already_linked()),
            }
        }
        Err(DomainError::internal("identity creation kept conflicting"))
    }

    /// The identity and the roles' `amr` of a credentials or token request: checks the logins
    /// against the identity, links new ones, and refuses guests where the pool does.
    async fn authenticate_identity(
        &self,
        identity_id: &str,
        logins: &BTreeMap<String, String>,
    ) -> DomainResult<(IdentityPool, Identity, ProvenLogins, Vec<String>)> {
        let mut identity = self.describe_identity(identity_id).await?;
        let pool = self.describe_pool(&identity.pool_id).await?;
        let proven = self.prove(&pool, logins).await?;
        if let Some((token_identity, amr)) = &proven.token_identity {
            if token_identity != &identity.id {
                return Err(logins_dont_match());
            }
            let amr = amr.clone();
            let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
            self.link_logins(&mut identity, &links).await?;
            return Ok((pool, identity, proven, amr));
        }
        let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
        if identity.logins.is_empty() {
            if links.is_empty() {
                if !pool.settings.allow_unauthenticated_identities {
                    return Err(DomainError::NotAuthorized("Unauthenticated access is not supported for this identity pool.".into()));
                }
                return Ok((pool, identity, proven, vec!["unauthenticated".into()]));
            }
            // A guest who signs in keeps its identity id.
            for login in &links {
                if let Some(owner) = self.identity_of_login(&pool.id, &login.provider, &login.subject).await? {
                    if owner != identity.id {
                        return Err(already_linked());
                    }
                }
            }
            self.link_logins(&mut identity, &links).await?;
        } else {
            if !links.iter().any(|login| identity.logins.contains(login)) {
                return Err(logins_dont_match());
            }
            for login in &links {
                if let Some(owner) = self.identity_of_login(&pool.id, &login.provider, &login.subject).await? {
                    if owner != identity.id {
                        return Err(already_linked());
                    }
                }
            }
            self.link_logins(&mut identity, &links).await?;
        }
        let primary = &proven.logins[0];
        let amr = vec!["authenticated".to_string(), primary.provider.clone(), primary.amr_entry.clone()];
        Ok((pool, identity, proven, amr))
    }

    /// GetCredentialsForIdentity (the enhanced flow).
    pub async fn get_credentials_for_identity(
        &self,
        identity_id: &str,
        logins: &BTreeMap<String, String>,
        custom_role_arn: Option<&str>,
    ) -> DomainResult<IdentityCredentials> {
        let (pool, identity, proven, amr) = self.authenticate_identity(identity_id, logins).await?;
        let authenticated = amr.first().map(String::as_str) == Some("authenticated");
        let role_arn = if authenticated {
            self.choose_role(&pool, proven.logins.first(), custom_role_arn)?
        } else {
            pool.roles.get("unauthenticated").cloned().ok_or_else(bad_configuration)?
        };
        let role = self.iam.find_role_by_arn(&role_arn).await?.ok_or_else(bad_configuration)?;
        let web_identity = WebIdentity {
            principal: COGNITO_IDENTITY.into(),
            key_prefix: COGNITO_IDENTITY.into(),
            provider: COGNITO_IDENTITY.into(),
            subject: identity.id.clone(),
            audience: pool.id.clone(),
            amr: Some(amr),
        };
        if !self.iam.check_trust(&role, &web_identity)? {
            return Err(bad_configuration());
        }
        let context = crate::iam::web_identity_context(&web_identity);
        let (credentials, _) = self.iam.mint_for_role(&role, "CognitoIdentityCredentials", CREDENTIAL_SECONDS, None, context).await?;
        Ok(IdentityCredentials { identity_id: identity.id, credentials })
    }

    /// The role for an authenticated identity: the role mapping of its login's provider, else
    /// the pool's authenticated role.
    fn choose_role(&self, pool: &IdentityPool, login: Option<&VerifiedLogin>, custom_role_arn: Option<&str>) -> DomainResult<String> {
        let default = || pool.roles.get("authenticated").cloned().ok_or_else(bad_configuration);
        let Some(login) = login else {
            return default();
        };
        let Some(mapping) = pool.role_mappings.get(&login.mapping_key).or_else(|| pool.role_mappings.get(&login.provider)) else {
            return default();
        };
        let chosen = match mapping.kind.as_str() {
            "Token" => {
                let roles = string_list_claim(&login.claims, "cognito:roles");
                match custom_role_arn {
                    Some(custom) if roles.iter().any(|role| role == custom) => Some(custom.to_string()),
                    Some(_) => {
                        return Err(DomainError::NotAuthorized("The role ARN is not one of the roles the token allows.".into()))
                    }
                    None => login.claims.get("cognito:preferred_role").and_then(Value::as_str).map(str::to_string),
                }
            }
            _ => mapping.rules.iter().find(|rule| rule_matches(rule, &login.claims)).map(|rule| rule.role_arn.clone()),
        };
        match chosen {
            Some(role) => Ok(role),
            None if mapping.ambiguous_role_resolution.as_deref() == Some("AuthenticatedRole") => default(),
            None => Err(DomainError::InvalidConfiguration(
                "No role matched the login and the role mapping's AmbiguousRoleResolution is Deny.".into(),
            )),
        }
    }

    /// GetOpenIdToken (the basic flow); the pool must allow the classic flow.
    pub async fn get_open_id_token(&self, identity_id: &str, logins: &BTreeMap<String, String>) -> DomainResult<(String, String)> {
        let (pool, identity, _, amr) = self.authenticate_identity(identity_id, logins).await?;
        if !pool.settings.allow_classic_flow {
            return Err(DomainError::InvalidParameter("Basic (classic) flow is not enabled for this identity pool.".into()));
        }
        let token = self.sign_openid_token(&pool, &identity.id, amr, OPENID_TOKEN_SECONDS).await?;
        Ok((identity.id, token))
    }

    // Developer-authenticated identities.

    fn developer_provider<'a>(&self, pool: &'a IdentityPool, name: &str) -> DomainResult<&'a str> {
        match pool.settings.developer_provider_name.as_deref() {
            Some(configured) if configured == name => Ok(configured),
            _ => Err(DomainError::NotAuthorized(format!("Developer provider {name} is not configured for this identity pool."))),
        }
    }

    /// GetOpenIdTokenForDeveloperIdentity (signed): links the developer user id (and any other
    /// logins) to an identity, creating it when needed, and returns an OpenID token for it.
    pub async fn get_open_id_token_for_developer_identity(
        &self,
        pool_id: &str,
        identity_id: Option<&str>,
        logins: &BTreeMap<String, String>,
        token_duration: Option<i64>,
    ) -> DomainResult<(String, String)> {
        let pool = self.describe_pool(pool_id).await?;
        let developer = pool
            .settings
            .developer_provider_name
            .clone()
            .ok_or_else(|| DomainError::InvalidParameter("This identity pool has no developer provider name.".into()))?;
        let duration = token_duration.unwrap_or(OPENID_TOKEN_SECONDS);
        if !(1..=86_400).contains(&duration) {
            return Err(DomainError::InvalidParameter("TokenDuration must be between 1 and 86400 seconds.".into()));
        }
        let user_id = logins
            .get(&developer)
            .ok_or_else(|| DomainError::InvalidParameter(format!("Logins must include the developer provider {developer}.")))?;
        if user_id.is_empty() || user_id.len() > 1024 {
            return Err(DomainError::InvalidParameter("The developer user identifier must be 1 to 1024 characters.".into()));
        }
        let others: BTreeMap<String, String> = logins.iter().filter(|(key, _)| **key != developer).map(|(k, v)| (k.clone(), v.clone())).collect();
        let proven = self.prove(&pool, &others).await?;
        let mut links = vec![LinkedLogin { provider: developer.clone(), subject: user_id.clone() }];
        links.extend(proven.logins.iter().map(VerifiedLogin::linked));
        let owner = self.identity_of_login(&pool.id, &developer, user_id).await?;
        let identity = match (owner, identity_id) {
            (Some(owner), Some(requested)) if owner != requested => return Err(already_linked()),
            (Some(owner), _) => {
                let mut identity = self.describe_identity(&owner).await?;
                self.link_logins(&mut identity, &links).await?;
                identity
            }
            (None, Some(requested)) => {
                let mut identity = self.describe_identity(requested).await?;
                if identity.pool_id != pool.id {
                    return Err(identity_not_found(requested));
                }
                self.link_logins(&mut identity, &links).await?;
                identity
            }
            (None, None) => self.insert_identity(&pool.id, links).await.map_err(|error| match error {
                StoreError::Conflict(_) => already_linked(),
                other => store_error(other),
            })?,
        };
        let amr = vec!["authenticated".into(), developer.clone(), format!("{developer}:{}:{user_id}", pool.id)];
        let token = self.sign_openid_token(&pool, &identity.id, amr, duration).await?;
        Ok((identity.id, token))
    }

    /// LookupDeveloperIdentity: by identity id or developer user id, the identity and its
    /// developer user ids.
    pub async fn lookup_developer_identity(
        &self,
        pool_id: &str,
        identity_id: Option<&str>,
        developer_user_id: Option<&str>,
    ) -> DomainResult<(String, Vec<String>)> {
        let pool = self.describe_pool(pool_id).await?;
        let developer = pool.settings.developer_provider_name.clone().unwrap_or_default();
        let identity_id = match (identity_id, developer_user_id) {
            (Some(identity_id), _) => identity_id.to_string(),
            (None, Some(user_id)) => self
                .identity_of_login(&pool.id, &developer, user_id)
                .await?
                .ok_or_else(|| DomainError::NotFound(format!("Developer user identifier {user_id} not found.")))?,
            (None, None) => {
                return Err(DomainError::InvalidParameter("Give an IdentityId or a DeveloperUserIdentifier.".into()))
            }
        };
        let identity = self.describe_identity(&identity_id).await?;
        if identity.pool_id != pool.id {
            return Err(identity_not_found(&identity_id));
        }
        let ids = identity.logins.iter().filter(|login| login.provider == developer).map(|login| login.subject.clone()).collect();
        Ok((identity.id, ids))
    }

    /// MergeDeveloperIdentities: the source user's identity gives its logins to the
    /// destination user's identity and is deleted. Returns the source and destination identity
    /// ids (the same when both users already share one identity).
    pub async fn merge_developer_identities(
        &self,
        pool_id: &str,
        provider: &str,
        source_user: &str,
        destination_user: &str,
    ) -> DomainResult<(String, String)> {
        let pool = self.describe_pool(pool_id).await?;
        let developer = self.developer_provider(&pool, provider)?.to_string();
        let mut found = Vec::with_capacity(2);
        for user in [source_user, destination_user] {
            found.push(
                self.identity_of_login(&pool.id, &developer, user)
                    .await?
                    .ok_or_else(|| DomainError::NotFound(format!("Developer user identifier {user} not found.")))?,
            );
        }
        let (source_id, destination_id) = (found[0].clone(), found[1].clone());
        if source_id == destination_id {
            return Ok((source_id, destination_id));
        }
        let source = self.describe_identity(&source_id).await?;
        let mut destination = self.describe_identity(&destination_id).await?;
        destination.logins.extend(source.logins.iter().cloned());
        destination.modified_ms = self.now();
        let mut writes = vec![
            RecordWrite::Replace { kind: IDENTITY, scope: String::new(), key: destination.id.clone(), data: encode(&destination)? },
            RecordWrite::Delete { kind: IDENTITY, scope: String::new(), key: source.id.clone() },
            RecordWrite::Delete { kind: POOL_IDENTITY, scope: pool.id.clone(), key: source.id.clone() },
        ];
        for login in &source.logins {
            writes.push(RecordWrite::Put {
                kind: LOGIN,
                scope: pool.id.clone(),
                key: login_key(&login.provider, &login.subject),
                data: destination.id.clone(),
                expires_ms: None,
            });
        }
        self.store.write_records(&writes).await.map_err(store_error)?;
        Ok((source.id, destination.id))
    }

    /// UnlinkDeveloperIdentity (signed).
    pub async fn unlink_developer_identity(&self, pool_id: &str, identity_id: &str, provider: &str, user_id: &str) -> DomainResult<()> {
        let pool = self.describe_pool(pool_id).await?;
        let developer = self.developer_provider(&pool, provider)?.to_string();
        let identity = self.describe_identity(identity_id).await?;
        let link = LinkedLogin { provider: developer, subject: user_id.to_string() };
        if identity.pool_id != pool.id || !identity.logins.contains(&link) {
            return Err(DomainError::NotFound(format!("Developer user identifier {user_id} is not linked to {identity_id}.")));
        }
        self.unlink(identity, &[link]).await
    }

    /// UnlinkIdentity (unsigned): the caller proves a login of the identity and removes the
    /// links of the providers it names.
    pub async fn unlink_identity(&self, identity_id: &str, logins: &BTreeMap<String, String>, remove: &[String]) -> DomainResult<()> {
        let identity = self.describe_identity(identity_id).await?;
        let pool = self.describe_pool(&identity.pool_id).await?;
        let proven = self.prove(&pool, logins).await?;
        let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
        if !links.iter().any(|login| identity.logins.contains(login)) {
            return Err(logins_dont_match());
        }
        let canonical: Vec<String> = remove
            .iter()
            .map(|key| match key.strip_prefix(&format!("{}/", issuer_key(self.user_pools.issuer_base()))) {
                Some(pool_id) => self.user_pool_provider(pool_id),
                None => key.clone(),
            })
            .collect();
        let doomed: Vec<LinkedLogin> = identity.logins.iter().filter(|login| canonical.contains(&login.provider)).cloned().collect();
        self.unlink(identity, &doomed).await
    }

    async fn unlink(&self, mut identity: Identity, doomed: &[LinkedLogin]) -> DomainResult<()> {
        identity.logins.retain(|login| !doomed.contains(login));
        identity.modified_ms = self.now();
        let mut writes = vec![RecordWrite::Replace { kind: IDENTITY, scope: String::new(), key: identity.id.clone(), data: encode(&identity)? }];
        for login in doomed {
            writes.push(RecordWrite::Delete { kind: LOGIN, scope: identity.pool_id.clone(), key: login_key(&login.provider, &login.subject) });
        }
        self.store.write_records(&writes).await.map_err(store_error)
    }

    // OpenID tokens.

    async fn openid_keys(&self) -> DomainResult<Arc<CachedOpenIdKeys>> {
        if let Some(cached) = self.keys.lock().expect("openid key lock").as_ref() {
            if cached.loaded.elapsed() < KEY_CACHE_TTL {
                return Ok(cached.clone());
            }
        }
        let mut records = self.store.list_signing_keys(OPENID_KEY_OWNER).await.map_err(store_error)?;
        if records.is_empty() {
            let record = tokens::generate_signing_key(&self.master_key, OPENID_KEY_OWNER, KeyPurpose::OpenIdToken, self.now())?;
            self.store.insert_signing_key(&record).await.map_err(store_error)?;
            records = self.store.list_signing_keys(OPENID_KEY_OWNER).await.map_err(store_error)?;
        }
        let oldest = records.first().ok_or_else(|| DomainError::internal("the OpenID token key vanished"))?;
        let cached = Arc::new(CachedOpenIdKeys {
            loaded: Instant::now(),
            active: Arc::new(tokens::load_signing_key(&self.master_key, oldest)?),
            records,
        });
        *self.keys.lock().expect("openid key lock") = Some(cached.clone());
        Ok(cached)
    }

    /// The public keys of OpenID tokens, for the JWKS.
    pub async fn openid_jwks(&self) -> DomainResult<Vec<PublicJwk>> {
        Ok(self.openid_keys().await?.records.iter().map(SigningKeyRecord::public_jwk).collect())
    }

    async fn sign_openid_token(&self, pool: &IdentityPool, identity_id: &str, amr: Vec<String>, duration: i64) -> DomainResult<String> {
        let keys = self.openid_keys().await?;
        let now = self.now().div_euclid(1000);
        let claims = json!({
            "sub": identity_id,
            "aud": pool.id,
            "amr": amr,
            "iss": self.issuer,
            "https://cognito-identity.amazonaws.com/identity-pool-arn": self.pool_arn(&pool.id),
            "exp": now + duration,
            "iat": now,
        });
        Ok(tokens::sign_jwt(&keys.active, &claims))
    }

    /// Verifies an OpenID token of this server: RS512 with an OpenID key, `iss`, `exp`.
    pub async fn verify_openid_token(&self, token: &str) -> DomainResult<Value> {
        let invalid = |message: &str| DomainError::InvalidIdentityToken(message.to_string());
        let keys = self.openid_keys().await?;
        let public: Vec<PublicJwk> = keys.records.iter().map(SigningKeyRecord::public_jwk).collect();
        let claims = tokens::verify_jwt_with(token, &public, &[JwsAlgorithm::Rs512]).map_err(|_| invalid("Couldn't verify signed token."))?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(invalid("Issuer doesn't match."));
        }
        let now = self.now().div_euclid(1000);
        let expires = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| invalid("Missing a required claim: exp"))?;
        if now >= expires {
            return Err(DomainError::ExpiredToken(format!("Token expired: {now} >= {expires}")));
        }
        Ok(claims)
    }

    /// The web identity an OpenID token of this server stands for, for AssumeRoleWithWebIdentity
    /// (the basic flow): the pool must still exist and allow the classic flow.
    pub async fn web_identity_of_openid_token(&self, token: &str) -> DomainResult<WebIdentity> {
        let claims = self.verify_openid_token(token).await?;
        let pool_id = claims.get("aud").and_then(Value::as_str).unwrap_or_default();
        let pool = self.describe_pool(pool_id).await.map_err(|_| DomainError::InvalidIdentityToken("The identity pool of this token does not exist.".into()))?;
        let identity_id = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
        let amr = string_list_claim(&claims, "amr");
        Ok(WebIdentity {
            principal: COGNITO_IDENTITY.into(),
            key_prefix: COGNITO_IDENTITY.into(),
            provider: COGNITO_IDENTITY.into(),
            subject: identity_id,
            audience: pool.id,
            amr: Some(amr),
        })
    }
}

/// A claim that holds a list of strings (`amr`, `cognito:roles`); empty when absent.
fn string_list_claim(claims: &Value, name: &str) -> Vec<String> {
    claims
        .get(name)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn already_linked() -> DomainError {
    DomainError::Conflict("Logins are already linked to another identity.".into())
}

/// Turns a token failure into the NotAuthorized answer Cognito Identity gives for logins.
fn as_login_error(error: DomainError) -> DomainError {
    match error {
        DomainError::InvalidIdentityToken(message) | DomainError::ExpiredToken(message) => {
            let message = if message.starts_with("Invalid login token") { message } else { format!("Invalid login token. {message}") };
            DomainError::NotAuthorized(message)
        }
        other => other,
    }
}

/// `<region>:<uuid>`.
pub fn check_pool_id(pool_id: &str) -> DomainResult<()> {
    check_region_uuid(pool_id, "identityPoolId")
}

pub fn check_identity_id(identity_id: &str) -> DomainResult<()> {
    check_region_uuid(identity_id, "identityId")
}

fn check_region_uuid(value: &str, member: &str) -> DomainResult<()> {
    let valid = value.len() <= 55
        && value.split_once(':').is_some_and(|(region, id)| {
            !region.is_empty()
                && region.chars().all(|character| character.is_ascii_alphanumeric() || character == '-')
                && !id.is_empty()
                && id.chars().all(|character| character.is_ascii_hexdigit() || character == '-')
        });
    if valid {
        Ok(())
    } else {
        Err(DomainError::InvalidParameter(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_claims() {
        let rule = |claim: &str, match_type: &str, value: &str| MappingRule {
            claim: claim.into(),
            match_type: match_type.into(),
            value: value.into(),
            role_arn: "arn:aws:iam::000000000000:role/r".into(),
        };
        let claims = json!({"custom:tenant": "acme-east", "cognito:groups": ["admins", "readers"], "email_verified": true});
        assert!(rule_matches(&rule("custom:tenant", "Equals", "acme-east"), &claims));
        assert!(!rule_matches(&rule("custom:tenant", "Equals", "acme"), &claims));
        assert!(rule_matches(&rule("custom:tenant", "StartsWith", "acme"), &claims));
        assert!(rule_matches(&rule("custom:tenant", "Contains", "-ea"), &claims));
        assert!(rule_matches(&rule("custom:tenant", "NotEqual", "globex"), &claims));
        assert!(rule_matches(&rule("cognito:groups", "Contains", "admins"), &claims));
        assert!(!rule_matches(&rule("cognito:groups", "Contains", "admin"), &claims));
        assert!(rule_matches(&rule("email_verified", "Equals", "true"), &claims));
        assert!(!rule_matches(&rule("missing", "NotEqual", "x"), &claims));
    }

    #[test]
    fn identity_ids_are_region_and_uuid() {
        assert!(check_identity_id("us-east-1:4628a310-f743-43bb-8808-6123c744c664").is_ok());
        assert!(check_identity_id("us-east-1").is_err());
        assert!(check_identity_id("us-east-1:not-a-uuid!").is_err());
    }
}


//! Identity pools (Cognito Identity): pools with their providers and roles, identities (guest
//! or linked to logins), and the trade of a verified login for temporary credentials (the
//! enhanced flow) or for an OpenID token that STS accepts (the basic flow).
//!
//! Records: `identity_pool` (scope "", key pool id), `identity` (scope "", key identity id, so
//! that GetCredentialsForIdentity finds it by id alone), `pool_identity` (scope pool id: the
//! pool's identities in order, for ListIdentities), and `identity_login` (scope pool id, key
//! `provider \u{1} subject`, data identity id: which identity a login belongs to).

pub mod types;
mod credentials;
mod developer;
mod identities;
mod logins;
mod openid;
mod pools;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::ids::{IdentityId, IdentityPoolId};
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::federation::{issuer_key, ExternalVerifier};
use crate::iam::{IamService, TemporaryCredentials, WebIdentity};
use crate::records::{Document, Record, Records};
use crate::store::{ConflictOn, RecordWrite, Store, StoreError};
use crate::tokens::{self, JwsAlgorithm, KeyPurpose, LoadedSigningKey, PublicJwk, SigningKeyRecord};
use crate::user_pool::UserPoolService;
pub use types::*;

const POOL: &str = "identity_pool";
const IDENTITY: &str = "identity";
const POOL_IDENTITY: &str = "pool_identity";
const LOGIN: &str = "identity_login";
/// How many times a change of an identity's logins is tried against others at the same time.
const LINK_ATTEMPTS: usize = 8;

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

impl Document for IdentityPool {
    const KIND: &'static str = POOL;
}

impl Record for IdentityPool {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.id.to_string()
    }
}

impl Document for Identity {
    const KIND: &'static str = IDENTITY;
}

impl Record for Identity {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.id.to_string()
    }
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
    /// Identity pools by id, while the config version is unchanged.
    pools: Arc<crate::user_pool::config_cache::ConfigCache<Option<IdentityPool>>>,
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
        Err(InvalidMember::error("maxResults", value.to_string(), Constraint::Range { min: 1, max: max.into() }))
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
            if rule.match_type == MatchType::Contains {
                return items.iter().any(|item| item.as_str() == Some(rule.value.as_str()));
            }
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    };
    match rule.match_type {
        MatchType::Equals => text == rule.value,
        MatchType::Contains => text.contains(&rule.value),
        MatchType::StartsWith => text.starts_with(&rule.value),
        MatchType::NotEqual => text != rule.value,
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
            pools: Arc::default(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn pool_arn(&self, pool_id: &str) -> String {
        crate::ids::arn::identity_pool(crate::ids::region_of(pool_id), &self.account_id, pool_id)
    }

    /// The canonical name of this server's user pool `pool_id` as an identity provider (in the
    /// user pool's own region).
    fn user_pool_provider(&self, pool_id: &str) -> String {
        format!("cognito-idp.{}.amazonaws.com/{pool_id}", crate::ids::region_of(pool_id))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_claims() {
        let rule = |claim: &str, match_type: &str, value: &str| MappingRule {
            claim: claim.into(),
            match_type: MatchType::parse(match_type).unwrap(),
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
}


//! User pools: the directory of users, their app clients and groups, with Cognito's rules for
//! each. [`UserPoolService`] is what the protocol edges call.

pub mod attributes;
pub mod auth;
pub mod auth_events;
pub mod channels;
pub mod filter;
pub mod hosted;
pub mod import;
pub mod inputs;
pub mod messages;
mod migration;
pub mod devices;
pub mod mfa;
pub mod oauth;
pub mod passkeys;
pub mod password;
pub mod providers;
mod resource_server;
mod client_secrets;
mod opened_secrets;
pub mod rotation;
pub mod settings_enums;
pub mod sign_in_records;
pub mod signing_key_cache;
pub(crate) mod config_cache;
pub mod source;
pub mod triggers;
pub mod store;
pub mod types;
mod clients;
mod groups;
mod pools;
mod user_records;
mod users;
mod validation;

use std::collections::BTreeMap;
use std::sync::Arc;


pub use attributes::{AttributeWrite, SchemaAttributeInput};
pub use inputs::*;
pub use settings_enums::{AuthFlow, ChallengeName, DeletionProtection, ExplicitAuthFlow, MfaConfiguration, PreventUserExistenceErrors, UserPoolTier};
pub use types::*;

use crate::ids::{ClientId, UserPoolId};
use crate::clock::Clock;
use crate::crypto::{MasterKey, PasswordHashing};
use crate::error::{DomainError, DomainResult};
use crate::ids;
use crate::paging::{decode_key_token, decode_token, encode_token, page_limit, split_page, MAX_PAGE};
use crate::store::{ConflictOn, Store, StoreError, UserCursor, UserQuery, UserRecord, ValueMatch};


const MAX_GROUPS_PER_USER: i64 = 100;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;


/// A client and its pool as a node keeps them in memory: shared, not copied, by each request.
pub(crate) type PoolAndClient = (Arc<UserPool>, Arc<AppClient>);

/// The user-pool service. Cheap to clone; every clone shares the store.
#[derive(Clone)]
pub struct UserPoolService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: MasterKey,
    region: String,
    account_id: String,
    /// Token issuers are `<issuer_base>/<pool id>`.
    issuer_base: String,
    signing_keys: Arc<signing_key_cache::SigningKeyCache>,
    opened_secrets: Arc<opened_secrets::OpenedSecrets>,
    /// Pools with clients, and resource servers, while the config version is unchanged.
    config: Arc<config_cache::ConfigCache<PoolAndClient>>,
    /// Whether a pool exists, by pool id, while the config version is unchanged.
    pools: Arc<config_cache::ConfigCache<bool>>,
    resource_servers: Arc<config_cache::ConfigCache<Option<resource_server::ResourceServer>>>,
    email_channel: Option<Arc<dyn channels::EmailChannel>>,
    /// Reaches upstream identity providers for the hosted pages' federated sign-in.
    external: Option<crate::federation::ExternalVerifier>,
    sms_channel: Option<Arc<dyn channels::SmsChannel>>,
    password_hashing: PasswordHashing,
    /// A hash no password matches, at the configured cost, verified for users who do not exist
    /// so that the answer takes as long as for a real user.
    decoy_hash: Arc<std::sync::OnceLock<String>>,
    /// Where password hashes and SRP verifiers are computed, off the async workers.
    cpu: crate::work::CpuPool,
    /// Whether SAML providers' signatures may use SHA-1 (`--saml-allow-sha1`).
    saml_allow_sha1: bool,
    /// Whether a password reset (ConfirmForgotPassword, AdminSetUserPassword,
    /// AdminResetUserPassword) signs the user out everywhere; Cognito does not.
    revoke_on_password_reset: bool,
    /// Invokes the pools' Lambda triggers; None: a pool with a trigger cannot run it.
    lambda: Option<Arc<dyn channels::LambdaInvoker>>,
    /// Encrypts the custom senders' codes under the pools' KMSKeyID; None: they get them as they are.
    key_service: Option<Arc<dyn channels::KeyService>>,
    /// Reaches the Cognito pools copied pools came from, for their users' first passwords.
    cognito_api: Option<Arc<dyn channels::CognitoApi>>,
    /// How long sign-in history is kept; None: it is not recorded.
    auth_event_retention_ms: Option<i64>,
    /// Where sign-ins, lockouts, tokens and trigger calls are counted.
    tally: Option<Arc<dyn crate::tally::Tally>>,
}

/// How often a read-modify-write of a user is redone when another request changed the user
/// between its read and its write; past that the caller is told to try again.
const USER_RETRIES: usize = 64;
const STALE_USER: &str = "The user was changed by other requests at the same time. Try again.";

/// The error of a write that found the user changed since it was read.
fn stale_user() -> DomainError {
    DomainError::TooManyRequests(STALE_USER.into())
}

fn is_stale(error: &DomainError) -> bool {
    matches!(error, DomainError::TooManyRequests(message) if message == STALE_USER)
}

/// Runs one read-modify-write of a user (an operation that reads the user, decides, and saves
/// it once) until its save applies to the version it read: each stale save redoes the whole
/// attempt from a fresh read, so every decision (a code still pending, the lockout, a status)
/// is made on the state it changes.
async fn retrying<T, F, Fut>(mut attempt: F) -> DomainResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = DomainResult<T>>,
{
    for _ in 0..USER_RETRIES {
        match attempt().await {
            Err(error) if is_stale(&error) => continue,
            other => return other,
        }
    }
    Err(stale_user())
}

fn pool_not_found(pool_id: &str) -> DomainError {
    DomainError::NotFound(format!("User pool {pool_id} does not exist."))
}

fn client_not_found(client_id: &str) -> DomainError {
    DomainError::NotFound(format!("User pool client {client_id} does not exist."))
}

fn user_not_found() -> DomainError {
    DomainError::UserNotFound("User does not exist.".into())
}

fn group_not_found() -> DomainError {
    DomainError::NotFound("Group not found.".into())
}

fn normalise_alias(attribute: &str, value: &str) -> String {
    if attribute == "email" {
        value.to_lowercase()
    } else {
        value.to_string()
    }
}

fn set_attribute(attributes: &mut Vec<Attribute>, name: &str, value: &str) {
    match attributes.iter_mut().find(|attribute| attribute.name == name) {
        Some(existing) => existing.value = value.to_string(),
        None => attributes.push(Attribute { name: name.to_string(), value: value.to_string() }),
    }
}

pub(crate) fn remove_attribute(attributes: &mut Vec<Attribute>, name: &str) {
    attributes.retain(|attribute| attribute.name != name);
}

/// Keeps the last value given for each name, in first-seen order.
fn dedupe_attributes(attributes: &[Attribute]) -> Vec<Attribute> {
    let mut result: Vec<Attribute> = Vec::with_capacity(attributes.len());
    let mut positions: std::collections::HashMap<&str, usize> = std::collections::HashMap::with_capacity(attributes.len());
    for attribute in attributes {
        let mut value = attribute.value.clone();
        // Boolean values are stored as Cognito reports them: true or false, lowercase.
        if attribute.name.ends_with("_verified") && (value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")) {
            value = value.to_ascii_lowercase();
        }
        match positions.get(attribute.name.as_str()) {
            Some(&index) => result[index].value = value,
            None => {
                positions.insert(&attribute.name, result.len());
                result.push(Attribute { name: attribute.name.clone(), value });
            }
        }
    }
    result
}

impl UserPoolService {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: MasterKey,
        region: impl Into<String>,
        account_id: impl Into<String>,
        issuer_base: impl Into<String>,
    ) -> Self {
        UserPoolService {
            store,
            clock,
            master_key,
            region: region.into(),
            account_id: account_id.into(),
            issuer_base: issuer_base.into().trim_end_matches('/').to_string(),
            signing_keys: Arc::default(),
            opened_secrets: Arc::default(),
            config: Arc::default(),
            pools: Arc::default(),
            resource_servers: Arc::default(),
            email_channel: None,
            external: None,
            sms_channel: None,
            password_hashing: PasswordHashing::default(),
            decoy_hash: Arc::default(),
            cpu: crate::work::CpuPool::for_this_machine(),
            saml_allow_sha1: false,
            revoke_on_password_reset: false,
            lambda: None,
            key_service: None,
            cognito_api: None,
            // Sign-in history is kept 90 days unless the server is told otherwise.
            auth_event_retention_ms: Some(90 * DAY_MS),
            tally: None,
        }
    }

    /// Signs users out everywhere (refresh tokens and the access tokens minted from them) when
    /// their password is reset or set by an administrator.
    pub fn with_revocation_on_password_reset(mut self, revoke: bool) -> Self {
        self.revoke_on_password_reset = revoke;
        self
    }

    /// After a password reset: revokes the user's sessions when this server is set to.
    async fn after_password_reset(&self, pool: &UserPool, user: &User) -> DomainResult<()> {
        if self.revoke_on_password_reset {
            self.store.revoke_user_tokens(&pool.id, &pool.username_key(&user.username)).await?;
        }
        Ok(())
    }

    /// Removes what can no longer be used: refresh tokens a day past their expiry (a day is the
    /// longest an access token they minted lives, so their revocation still counts until
    /// then), challenge sessions past theirs, and outbox messages a week old (the codes in them
    /// last a day; temporary passwords a week by default). Every node runs it; it is idempotent.
    pub async fn purge_stale(&self) -> DomainResult<u64> {
        let now = self.now();
        let cutoffs = crate::store::PurgeCutoffs {
            refresh_tokens_expired_before: now - DAY_MS,
            auth_sessions_expired_before: now,
            outbox_created_before: now - 7 * DAY_MS,
        };
        self.store.purge_stale(&cutoffs).await.map_err(DomainError::from)
    }

    /// Sends email through `channel` instead of keeping it in the outbox.
    /// The master key, for MACs the protocol edges make (the hosted pages' CSRF tokens).
    pub fn master_key(&self) -> &MasterKey {
        &self.master_key
    }

    /// Sets the Argon2id cost of new password hashes.
    pub fn with_password_hashing(mut self, hashing: PasswordHashing) -> Self {
        self.password_hashing = hashing;
        self.decoy_hash = Arc::default();
        self
    }

    /// Runs the pools' Lambda triggers through `invoker`.
    pub fn with_lambda(mut self, invoker: Arc<dyn channels::LambdaInvoker>) -> Self {
        self.lambda = Some(invoker);
        self
    }

    /// Encrypts the codes the custom senders are given under the pools' KMSKeyID, through `keys`.
    pub fn with_key_service(mut self, keys: Arc<dyn channels::KeyService>) -> Self {
        self.key_service = Some(keys);
        self
    }

    /// Sends SMS messages (codes, invitations) through `channel` instead of the outbox.
    pub fn with_sms_channel(mut self, channel: Arc<dyn channels::SmsChannel>) -> Self {
        self.sms_channel = Some(channel);
        self
    }

    /// 32 bytes that stand for `username` in `pool` wherever a user who does not exist must
    /// look like one who does (the SRP salt, a masked destination): a MAC under the master
    /// key, so the same every time and unknowable without the key.
    pub(super) fn decoy_seed(&self, pool: &UserPool, username: &str) -> [u8; 32] {
        self.master_key.mac("user-existence-decoy", format!("{}:{}", pool.id, pool.username_key(username)).as_bytes())
    }

    /// Does the write a request about an existing user would do, for one about a user who
    /// does not exist (PreventUserExistenceErrors): one transaction of as many statements as
    /// the user's own write (its document, search and alias rows; `with_message` adds the
    /// outbox row a code would take), on short-lived records under the decoy seed, so both take
    /// about the same time.
    pub(super) async fn decoy_write(&self, pool: &UserPool, username: &str, with_message: bool) -> DomainResult<()> {
        let seed = hex::encode(self.decoy_seed(pool, username));
        let data = self.master_key.seal(self.now().to_string().as_bytes(), crate::sealing::EXISTENCE_DECOY);
        let rows = if with_message { 5 } else { 4 };
        let writes: Vec<crate::store::RecordWrite> = (0..rows)
            .map(|row| crate::store::RecordWrite::Put {
                kind: "existence_decoy",
                scope: pool.id.to_string(),
                key: format!("{seed}-{row}"),
                data: data.clone(),
                expires_ms: Some(self.now() + 3_600_000),
            })
            .collect();
        self.store.write_records(&writes).await.map_err(DomainError::from)
    }

    /// Verifies `password` against `hash` on the CPU pool.
    pub(super) async fn verify_on_pool(&self, password: &str, hash: &str) -> DomainResult<bool> {
        let (password, hash) = (password.to_string(), hash.to_string());
        self.cpu.run(move || crate::crypto::verify_password(&password, &hash)).await
    }

    /// Spends the time of one password check, for a user who does not exist or has no password.
    pub(super) async fn decoy_check(&self, password: &str) -> DomainResult<()> {
        let decoy = self.decoy_hash().to_string();
        self.verify_on_pool(password, &decoy).await.map(|_| ())
    }

    pub(super) fn decoy_hash(&self) -> &str {
        self.decoy_hash.get_or_init(|| {
            let bytes: [u8; 24] = crate::crypto::random_bytes();
            self.password_hashing.hash(&hex::encode(bytes)).expect("hashing a random password")
        })
    }

    pub fn with_external(mut self, external: crate::federation::ExternalVerifier) -> Self {
        self.external = Some(external);
        self
    }

    pub fn with_email_channel(mut self, channel: Arc<dyn channels::EmailChannel>) -> Self {
        self.email_channel = Some(channel);
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Counts sign-ins, lockouts, tokens and trigger calls in `tally`.
    pub fn with_tally(mut self, tally: Arc<dyn crate::tally::Tally>) -> Self {
        self.tally = Some(tally);
        self
    }

    fn count(&self, counted: crate::tally::Counted) {
        if let Some(tally) = &self.tally {
            tally.count(counted);
        }
    }

    // ----- pools -----

    async fn load_pool(&self, pool_id: &str) -> DomainResult<UserPool> {
        ids::check_user_pool_id(pool_id)?;
        self.store.get_user_pool(pool_id).await?.ok_or_else(|| pool_not_found(pool_id))
    }

}

/// The given temporary password when it passes the policy, else a generated one.
fn temporary_password(pool: &UserPool, given: Option<&str>) -> DomainResult<String> {
    match given {
        Some(given) => {
            password::check_password(&pool.settings.password_policy, given)?;
            Ok(given.to_string())
        }
        None => Ok(password::generate_temporary_password(&pool.settings.password_policy)),
    }
}

use crate::sealing::{client_secret as client_seal_context, srp_verifier as srp_seal_context};

#[cfg(test)]
mod tests {
    use super::*;

    /// The last value of a repeated name wins, in first-seen order; 28,000 names (a 1 MB body)
    /// took 0.68 s of CPU when each was looked up among all before it.
    #[test]
    fn dedupe_keeps_the_last_value_in_linear_time() {
        let attribute = |name: &str, value: &str| Attribute { name: name.into(), value: value.into() };
        let deduped = dedupe_attributes(&[attribute("a", "1"), attribute("b", "2"), attribute("a", "3")]);
        assert_eq!(deduped, vec![attribute("a", "3"), attribute("b", "2")]);
        let many: Vec<Attribute> = (0..28_000).map(|index| attribute(&format!("custom:n{index}"), "x")).collect();
        let started = std::time::Instant::now();
        assert_eq!(dedupe_attributes(&many).len(), 28_000);
        assert!(started.elapsed() < std::time::Duration::from_millis(300), "{:?}", started.elapsed());
    }
}

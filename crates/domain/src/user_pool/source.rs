//! A pool copied from a live Cognito pool (`cognate import --from-cognito`): the link to the
//! source pool, the source's users created here as they are there (username, `sub`, attributes,
//! status, enabled, dates), and the built-in migration step. Cognito never gives out passwords,
//! so a copied user's first password sign-in is checked against the source pool with
//! AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH); a password the source accepts is kept here and
//! the user is ordinary from then on.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::channels::{CognitoApi, SourceEndpoint, SourceError};
use super::{Attribute, User, UserPool, UserPoolService, UserStatus};
use crate::crypto::MasterKey;
use crate::error::{DomainError, DomainResult};
use crate::ids::UserPoolId;
use crate::records::{Document, Record, Records};
use crate::store::ConflictOn;

/// A copied pool's link to its source, kept with the source's keys sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceLink {
    pub pool_id: String,
    pub source_pool_id: String,
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub sealed_secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_session_token: Option<String>,
    /// The source's client that allows ADMIN_USER_PASSWORD_AUTH, and its secret (sealed) if it has one.
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_client_secret: Option<String>,
}

impl Document for SourceLink {
    const KIND: &'static str = "cognito-source";
}

impl Record for SourceLink {
    fn scope(&self) -> String {
        self.pool_id.clone()
    }

    fn key(&self) -> String {
        String::new()
    }
}

impl SourceLink {
    pub fn new(pool_id: &str, source_pool_id: &str, source: &SourceEndpoint, client_id: &str, client_secret: Option<&str>, master_key: &MasterKey) -> SourceLink {
        let context = crate::sealing::cognito_source(pool_id);
        SourceLink {
            pool_id: pool_id.to_string(),
            source_pool_id: source_pool_id.to_string(),
            endpoint: source.endpoint.clone(),
            region: source.region.clone(),
            access_key_id: source.access_key_id.clone(),
            sealed_secret_access_key: master_key.seal(source.secret_access_key.as_bytes(), &context),
            sealed_session_token: source.session_token.as_ref().map(|token| master_key.seal(token.as_bytes(), &context)),
            client_id: client_id.to_string(),
            sealed_client_secret: client_secret.map(|secret| master_key.seal(secret.as_bytes(), &context)),
        }
    }

    fn open(&self, sealed: &str, master_key: &MasterKey) -> DomainResult<String> {
        String::from_utf8(master_key.open(sealed, &crate::sealing::cognito_source(&self.pool_id))?).map_err(DomainError::internal)
    }
}

/// A user of the source pool as ListUsers shows it.
#[derive(Debug, Clone)]
pub struct SourceUser {
    pub username: String,
    pub attributes: Vec<Attribute>,
    pub status: String,
    pub enabled: bool,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// What the source said of a password.
enum Verdict {
    Accepted,
    Refused,
}

impl UserPoolService {
    /// Creates the source's users in the copied pool, each keeping its username, `sub`,
    /// attributes, status and dates. Users with a password at the source keep their status and
    /// prove the password on their first sign-in (when `linked`: the pool can ask the source;
    /// otherwise they reset it here, as RESET_REQUIRED users do); users of external providers
    /// are not copied. Returns each username not copied and why.
    pub async fn import_source_users(&self, pool_id: &UserPoolId, users: Vec<SourceUser>, linked: bool) -> DomainResult<Vec<(String, String)>> {
        let pool = self.load_pool(pool_id).await?;
        let mut refused = Vec::new();
        let mut batch = Vec::new();
        for source in users {
            match self.source_user(&pool, &source, linked) {
                Ok(user) => batch.push(user),
                Err(reason) => refused.push((source.username, reason)),
            }
        }
        let records: Vec<_> = batch.iter().map(|user| self.user_record(&pool, user)).collect();
        for (user, outcome) in batch.iter().zip(self.store.insert_users(&records).await?) {
            match outcome {
                None => {}
                Some(ConflictOn::Key) => refused.push((user.username.clone(), "A user with this username exists.".into())),
                Some(_) => refused.push((user.username.clone(), "An alias of this user is another user's.".into())),
            }
        }
        Ok(refused)
    }

    fn source_user(&self, pool: &UserPool, source: &SourceUser, linked: bool) -> Result<User, String> {
        let (status, at_source) = match source.status.as_str() {
            "EXTERNAL_PROVIDER" => return Err("Users of external providers are not copied; they sign in through the provider again.".into()),
            _ if !linked => (UserStatus::ResetRequired, false),
            "CONFIRMED" => (UserStatus::Confirmed, true),
            "UNCONFIRMED" => (UserStatus::Unconfirmed, true),
            "FORCE_CHANGE_PASSWORD" => (UserStatus::ForceChangePassword, true),
            _ => (UserStatus::ResetRequired, false),
        };
        let sub = source.attributes.iter().find(|attribute| attribute.name == "sub").map(|attribute| attribute.value.clone()).ok_or("The user has no sub.")?;
        let attributes: Vec<Attribute> = source.attributes.iter().filter(|attribute| attribute.name != "sub").cloned().collect();
        let (canonical, mut attributes, _) = self.prepare_new_user(pool, &source.username, &attributes).map_err(|error| error.to_string())?;
        // The user keeps the sub it has at the source.
        attributes.retain(|attribute| attribute.name != "sub");
        attributes.insert(0, Attribute { name: "sub".into(), value: sub.clone() });
        let mut user = User::new(&pool.id, canonical, sub, attributes, status, source.created_ms);
        user.enabled = source.enabled;
        user.modified_ms = source.modified_ms;
        user.password_at_source = at_source;
        Ok(user)
    }

    /// Links a copied pool to its source.
    pub async fn link_source(&self, link: &SourceLink) -> DomainResult<()> {
        Ok(self.store.write_records(&[link.insert_at(&link.scope(), &link.key(), None)?]).await?)
    }

    /// Whether the source pool accepts `password` for a copied user who has not signed in here
    /// yet; a password it accepts becomes the user's here (`user` is then the stored user).
    pub(crate) async fn password_at_source(&self, pool: &UserPool, user: &mut User, password: &str) -> DomainResult<bool> {
        let (Some(api), Some(link)) = (&self.cognito_api, self.store.get_record_of::<SourceLink>(pool.id.as_str(), "", self.now()).await?) else {
            return Ok(false);
        };
        let source = SourceEndpoint {
            endpoint: link.endpoint.clone(),
            region: link.region.clone(),
            access_key_id: link.access_key_id.clone(),
            secret_access_key: link.open(&link.sealed_secret_access_key, &self.master_key)?,
            session_token: link.sealed_session_token.as_ref().map(|sealed| link.open(sealed, &self.master_key)).transpose()?,
        };
        let mut parameters = json!({"USERNAME": user.username, "PASSWORD": password});
        if let Some(sealed) = &link.sealed_client_secret {
            let secret = link.open(sealed, &self.master_key)?;
            parameters["SECRET_HASH"] = Value::String(super::auth::secret_hash(&secret, &user.username, &link.client_id));
        }
        let body = json!({"UserPoolId": link.source_pool_id, "ClientId": link.client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": parameters});
        let verdict = match api.call(&source, "AdminInitiateAuth", &body).await {
            // Tokens, or a challenge that only a right password leads to (MFA, a new password).
            Ok(_) => Verdict::Accepted,
            Err(SourceError::Service { code, .. }) if code == "UserNotConfirmedException" && user.status == UserStatus::Unconfirmed => Verdict::Accepted,
            Err(SourceError::Service { code, .. }) if code == "NotAuthorizedException" || code == "UserNotFoundException" => Verdict::Refused,
            Err(SourceError::Service { code, message }) => {
                return Err(DomainError::internal(format!("the source pool answered {code}: {message}")));
            }
            Err(SourceError::Unreachable(reason)) => return Err(DomainError::internal(format!("the source pool cannot be reached: {reason}"))),
        };
        if let Verdict::Refused = verdict {
            return Ok(false);
        }
        let mut taken = user.clone();
        self.set_password(pool, &mut taken, password).await?;
        let (hash, verifier) = (taken.password_hash, taken.sealed_srp_verifier);
        self.change_user_document(pool, user, |user| {
            user.password_hash = hash.clone();
            user.sealed_srp_verifier = verifier.clone();
            user.password_at_source = false;
            Ok(())
        })
        .await?;
        Ok(true)
    }

    /// Answers AdminInitiateAuth at the source through `api` from now on.
    pub fn with_cognito_api(mut self, api: Arc<dyn CognitoApi>) -> Self {
        self.cognito_api = Some(api);
        self
    }
}

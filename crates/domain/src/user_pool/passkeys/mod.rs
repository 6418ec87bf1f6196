//! Passkeys: StartWebAuthnRegistration and CompleteWebAuthnRegistration, ListWebAuthnCredentials
//! and DeleteWebAuthnCredential. The relying party is the pool's WebAuthnConfiguration
//! (RelyingPartyId, else its custom domain); a registration's challenge is spent once; a
//! credential is kept under the user's `sub` by its id. The WEB_AUTHN sign-in is in `sign_in`;
//! the ceremony checks themselves in `webauthn`.

pub mod authenticator;
mod sign_in;
pub mod webauthn;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use self::webauthn::{b64url, b64url_decode, PublicKey, Refusal};
use super::auth::user_auth::allowed_first_factors;
use super::inputs::Page;
use super::{User, UserPool, UserPoolService};
use crate::error::{DomainError, DomainResult, WebAuthnError};
use crate::paging::{decode_key_token, encode_token, split_page};
use crate::records::{Document, Records};
use crate::store::{ConflictOn, RecordWrite, StoreError};

/// How long a registration's (and a sign-in's) challenge may be answered.
const CEREMONY_MS: i64 = 5 * 60 * 1000;
/// The passkeys a user may hold.
const MAX_PASSKEYS: usize = 20;

/// A user's passkey, filed under the pool and the user's `sub` by its credential id (base64url).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passkey {
    pub credential_id: String,
    pub public_key: PublicKey,
    pub sign_count: u32,
    pub relying_party_id: String,
    #[serde(default)]
    pub transports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    pub friendly_name: String,
    pub created_ms: i64,
}

impl Document for Passkey {
    const KIND: &'static str = "passkey";
}

/// A registration started and not yet completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingRegistration {
    challenge: String,
    relying_party_id: String,
    expires_ms: i64,
    #[serde(default)]
    spent: bool,
}

impl Document for PendingRegistration {
    const KIND: &'static str = "passkey-registration";
}

pub(crate) fn passkey_scope(pool_id: &str, sub: &str) -> String {
    format!("{pool_id}/{sub}")
}

fn refused(kind: WebAuthnError, message: &str) -> DomainError {
    DomainError::WebAuthn(kind, message.to_string())
}

/// A refusal of the registration ceremony, as Cognito names it.
fn registration_error(refusal: Refusal) -> DomainError {
    match refusal {
        Refusal::Malformed(what) => DomainError::InvalidParameter(format!("The credential is not a valid RegistrationResponseJSON: {what}.")),
        Refusal::Challenge => refused(WebAuthnError::ChallengeNotFound, "The credential does not answer the registration's challenge."),
        Refusal::Origin(origin) => DomainError::WebAuthn(WebAuthnError::OriginNotAllowed, format!("The origin {origin} is not allowed for this relying party.")),
        Refusal::RelyingParty => refused(WebAuthnError::RelyingPartyMismatch, "The credential was made for another relying party."),
        Refusal::UserVerification => DomainError::InvalidParameter("The authenticator did not verify the user, and this user pool requires it.".into()),
        Refusal::Unsupported(what) => DomainError::WebAuthn(WebAuthnError::CredentialNotSupported, format!("Not supported: {what}.")),
        Refusal::Signature => DomainError::InvalidParameter("The attestation signature does not verify.".into()),
    }
}

/// A member of a credential JSON document, as text.
pub(crate) fn member<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |value, name| value.get(name)).and_then(Value::as_str)
}

impl UserPoolService {
    /// The pool's relying party ID and whether it requires user verification.
    pub(crate) async fn relying_party(&self, pool: &UserPool) -> DomainResult<(String, bool)> {
        let settings = pool.mfa.web_authn.clone().unwrap_or_default();
        let require_uv = settings.user_verification == "required";
        if let Some(id) = settings.relying_party_id.filter(|id| !id.is_empty()) {
            return Ok((id, require_uv));
        }
        match self.pool_domains(&pool.id).await? {
            (_, Some(custom)) => Ok((custom, require_uv)),
            _ => Err(refused(
                WebAuthnError::ConfigurationMissing,
                "The user pool has no relying party ID: set WebAuthnConfiguration.RelyingPartyId (SetUserPoolMfaConfig) or a custom domain.",
            )),
        }
    }

    /// The user's passkeys (at most [`MAX_PASSKEYS`]).
    pub(crate) async fn passkeys(&self, pool: &UserPool, user: &User) -> DomainResult<Vec<Passkey>> {
        self.store.list_records_of(&passkey_scope(&pool.id, &user.sub), None, MAX_PASSKEYS as u32).await
    }

    /// StartWebAuthnRegistration: CredentialCreationOptions for the pool's relying party.
    pub async fn start_web_authn_registration(&self, access_token: &str) -> DomainResult<Value> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.start_passkey_registration(&holder.pool, &holder.user).await
    }

    /// CredentialCreationOptions for `user` (StartWebAuthnRegistration, and the hosted pages for
    /// a signed-in browser); the challenge is kept for the answer.
    pub async fn start_passkey_registration(&self, pool: &UserPool, user: &User) -> DomainResult<Value> {
        if !allowed_first_factors(pool).iter().any(|name| name == "WEB_AUTHN") {
            return Err(refused(WebAuthnError::NotEnabled, "Passkeys are not enabled for this user pool (SignInPolicy.AllowedFirstAuthFactors)."));
        }
        let (rp_id, require_uv) = self.relying_party(pool).await?;
        let existing = self.passkeys(pool, user).await?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(DomainError::LimitExceeded(format!("A user may register at most {MAX_PASSKEYS} passkeys.")));
        }
        let challenge = super::auth::random_token(32);
        let pending = PendingRegistration { challenge: challenge.clone(), relying_party_id: rp_id.clone(), expires_ms: self.now() + CEREMONY_MS, spent: false };
        let key = passkey_scope(&pool.id, &user.sub);
        self.store.write_records(&[pending.put_at("", &key, Some(pending.expires_ms))?]).await?;
        let exclude: Vec<Value> = existing.iter().map(|passkey| json!({"type": "public-key", "id": passkey.credential_id})).collect();
        Ok(json!({
            "challenge": challenge,
            "rp": {"id": rp_id, "name": pool.settings.name},
            "user": {"id": b64url(user.sub.as_bytes()), "name": user.username, "displayName": user.attribute("email").unwrap_or(&user.username)},
            "pubKeyCredParams": [{"type": "public-key", "alg": webauthn::ES256}, {"type": "public-key", "alg": webauthn::RS256}],
            "timeout": CEREMONY_MS,
            "excludeCredentials": exclude,
            "authenticatorSelection": {
                "residentKey": "required",
                "requireResidentKey": true,
                "userVerification": if require_uv { "required" } else { "preferred" },
            },
        }))
    }

    /// CompleteWebAuthnRegistration: verifies the RegistrationResponseJSON against the pending
    /// challenge (spent by the first answer) and keeps the credential.
    pub async fn complete_web_authn_registration(&self, access_token: &str, credential: &Value) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.complete_passkey_registration(&holder.pool, &holder.user, credential).await
    }

    /// Verifies `user`'s RegistrationResponseJSON and keeps the passkey.
    pub async fn complete_passkey_registration(&self, pool: &UserPool, user: &User, credential: &Value) -> DomainResult<()> {
        let (_, require_uv) = self.relying_party(pool).await?;
        let now = self.now();
        let not_found = || refused(WebAuthnError::ChallengeNotFound, "No passkey registration is waiting for this user.");
        let pending = self
            .store
            .change_record_of::<PendingRegistration, _>("", &passkey_scope(&pool.id, &user.sub), |pending| {
                if pending.spent || pending.expires_ms < now {
                    return Err(not_found());
                }
                pending.spent = true;
                Ok(())
            })
            .await?
            .ok_or_else(not_found)?;
        if member(credential, &["type"]).is_some_and(|kind| kind != "public-key") {
            return Err(refused(WebAuthnError::ClientMismatch, "The credential is not a public-key credential."));
        }
        let decode = |path: &[&str]| member(credential, path).ok_or(Refusal::Malformed("a member is missing")).and_then(b64url_decode);
        let client_data = decode(&["response", "clientDataJSON"]).map_err(registration_error)?;
        let attestation = decode(&["response", "attestationObject"]).map_err(registration_error)?;
        let client_data_hash = match webauthn::check_client_data(&client_data, "webauthn.create", &pending.challenge, &pending.relying_party_id) {
            Err(Refusal::Challenge) if serde_json::from_slice::<Value>(&client_data).ok().and_then(|data| data.get("type").cloned()) != Some(json!("webauthn.create")) => {
                return Err(refused(WebAuthnError::ClientMismatch, "The client data is not of a registration."));
            }
            other => other.map_err(registration_error)?,
        };
        let registration = webauthn::verify_attestation(&attestation, &client_data_hash, &pending.relying_party_id, require_uv).map_err(registration_error)?;
        let credential_id = b64url(&registration.credential_id);
        if decode(&["rawId"]).ok().is_some_and(|raw| raw != registration.credential_id) {
            return Err(DomainError::InvalidParameter("rawId is not the attested credential's id.".into()));
        }
        let transports = credential
            .pointer("/response/transports")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let passkey = Passkey {
            friendly_name: format!("Passkey {}", &credential_id[..credential_id.len().min(8)]),
            credential_id: credential_id.clone(),
            public_key: registration.public_key,
            sign_count: registration.sign_count,
            relying_party_id: pending.relying_party_id,
            transports,
            attachment: member(credential, &["authenticatorAttachment"]).map(str::to_string),
            created_ms: now,
        };
        let write = passkey.insert_at(&passkey_scope(&pool.id, &user.sub), &credential_id, None)?;
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(ConflictOn::Key)) => Err(DomainError::InvalidParameter("This passkey is registered already.".into())),
            Err(other) => Err(other.into()),
        }
    }

    /// ListWebAuthnCredentials.
    pub async fn list_web_authn_credentials(&self, access_token: &str, max_results: Option<i32>, next_token: Option<&str>) -> DomainResult<Page<Passkey>> {
        let holder = self.authenticate_access_token(access_token).await?;
        let limit = match max_results {
            None => MAX_PASSKEYS as u32,
            Some(value) if (1..=MAX_PASSKEYS as i32).contains(&value) => value as u32,
            Some(value) => {
                let constraint = crate::error::Constraint::Range { min: 1, max: MAX_PASSKEYS as i64 };
                return Err(crate::error::InvalidMember::error("maxResults", value.to_string(), constraint));
            }
        };
        let after = decode_key_token(next_token)?;
        let rows = self.store.list_records_of(&passkey_scope(&holder.pool.id, &holder.user.sub), after.as_deref(), limit + 1).await?;
        let (items, more): (Vec<Passkey>, bool) = split_page(rows, limit);
        let next_token = more.then(|| items.last().map(|passkey| encode_token(&[&passkey.credential_id]))).flatten();
        Ok(Page { items, next_token })
    }

    /// The write that removes every passkey of a user (when the user is deleted).
    pub(crate) fn forget_all_passkeys(pool_id: &str, sub: &str) -> RecordWrite {
        RecordWrite::DeleteScope { kind: Passkey::KIND, scope: passkey_scope(pool_id, sub) }
    }

    /// DeleteWebAuthnCredential.
    pub async fn delete_web_authn_credential(&self, access_token: &str, credential_id: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        let scope = passkey_scope(&holder.pool.id, &holder.user.sub);
        let found: Option<Passkey> = self.store.get_record_of(&scope, credential_id, 0).await?;
        if found.is_none() {
            return Err(DomainError::NotFound("The passkey does not exist.".into()));
        }
        self.store.write_records(&[Passkey::delete_at(&scope, credential_id)]).await?;
        Ok(())
    }
}

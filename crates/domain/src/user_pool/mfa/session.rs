//! The Session of a sign-in's second step: a random token handed to the client, filed under its
//! hash with what the step expects. Each code answer is counted on it before it is checked (three
//! are taken), and a right answer spends it; both are compare-and-sets, so they hold across nodes.

use serde::{Deserialize, Serialize};

use super::MfaFactor;
use crate::error::{DomainError, DomainResult};
use crate::records::{Document, Records};
use crate::user_pool::auth::{invalid_session, random_token, sha256_hex, Progress};
use crate::user_pool::{AppClient, User, UserPool, UserPoolService};

/// The answers a session takes (the code answers: a right one spends it sooner).
const MAX_ANSWERS: u32 = 3;

/// What the step expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub(crate) enum Step {
    /// A code sent by SMS or email, kept as a MAC under the master key; `first_factor` when it
    /// is the sign-in's only factor (USER_AUTH's EMAIL_OTP or SMS_OTP).
    Code {
        factor: MfaFactor,
        code_mac: String,
        #[serde(default)]
        first_factor: bool,
    },
    /// A code of the user's authenticator app.
    SoftwareToken,
    /// The user chooses among these factors.
    Select { choices: Vec<MfaFactor> },
    /// The user sets up an authenticator app: AssociateSoftwareToken puts the new secret here,
    /// VerifySoftwareToken checks a code of it and marks the session verified.
    Setup {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sealed_secret: Option<String>,
        #[serde(default)]
        verified: bool,
    },
    /// The client proves it holds a remembered device's secret (DEVICE_SRP_AUTH).
    DeviceSrp { device_key: String },
    /// A passkey assertion answering this challenge (base64url).
    WebAuthn { challenge: String },
    /// USER_AUTH's SELECT_CHALLENGE: the user chooses the first factor among these.
    SelectFirst { choices: Vec<String> },
    /// A CUSTOM_CHALLENGE: the rounds so far (DefineAuthChallenge's `session`), the private
    /// challenge parameters (sealed) and the challenge's metadata.
    Custom {
        history: Vec<serde_json::Value>,
        sealed_private: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metadata: Option<String>,
    },
    /// A sign-up: ConfirmSignUp trades it (`confirmed` false) for one that signs the user in
    /// with USER_AUTH (`confirmed` true), the confirmation code being the first factor.
    SignedUp { confirmed: bool },
}

/// A second-step session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChallengeSession {
    pub pool_id: String,
    pub client_id: String,
    pub username_key: String,
    pub step: Step,
    /// When the first factor was given: the `auth_time` of the tokens.
    pub auth_time_ms: i64,
    /// The remembered device the sign-in has authenticated, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    pub expires_ms: i64,
    #[serde(default)]
    pub answers: u32,
    #[serde(default)]
    pub spent: bool,
}

impl Document for ChallengeSession {
    const KIND: &'static str = "mfa-session";
}

impl ChallengeSession {
    /// What the sign-in had established when the session was opened.
    pub(crate) fn progress(&self) -> Progress {
        Progress { auth_time_ms: self.auth_time_ms, device_key: self.device_key.clone() }
    }
}

/// A session read for answering: the document and the key it is filed under.
pub(crate) struct OpenSession {
    pub session: ChallengeSession,
    key: String,
}

impl UserPoolService {
    /// Files a new session for `user` at `step`, valid for the client's AuthSessionValidity.
    pub(crate) async fn open_challenge(&self, pool: &UserPool, client: &AppClient, user: &User, step: Step, progress: &Progress) -> DomainResult<String> {
        self.open_challenge_for(pool, client, pool.username_key(&user.username), step, progress).await
    }

    /// As [`Self::open_challenge`], for the user filed under `username_key` (who need not exist:
    /// the sessions of a sign-in that hides unknown users).
    pub(crate) async fn open_challenge_for(&self, pool: &UserPool, client: &AppClient, username_key: String, step: Step, progress: &Progress) -> DomainResult<String> {
        let token = random_token(48);
        let validity_minutes = i64::from(client.settings.auth_session_validity.clamp(3, 15));
        let expires_ms = self.now() + validity_minutes * 60_000;
        let session = ChallengeSession {
            pool_id: pool.id.to_string(),
            client_id: client.client_id.to_string(),
            username_key,
            step,
            auth_time_ms: progress.auth_time_ms,
            device_key: progress.device_key.clone(),
            expires_ms,
            answers: 0,
            spent: false,
        };
        self.store.write_records(&[session.insert_at("", &sha256_hex(&token), Some(expires_ms))?]).await?;
        Ok(token)
    }

    /// The live session `token` names: not spent, not expired, and (when given) of this client.
    pub(crate) async fn read_challenge(&self, token: Option<&str>, client: Option<&AppClient>) -> DomainResult<OpenSession> {
        let token = token.filter(|token| !token.is_empty()).ok_or_else(invalid_session)?;
        let key = sha256_hex(token);
        let session: ChallengeSession = self.store.get_record_of("", &key, self.now()).await?.ok_or_else(invalid_session)?;
        if session.spent || session.expires_ms < self.now() || client.is_some_and(|client| client.client_id != session.client_id) {
            return Err(invalid_session());
        }
        Ok(OpenSession { session, key })
    }

    /// Takes one of the session's answers before the answer is checked (a compare-and-set, so
    /// parallel answers each take one): a session takes [`MAX_ANSWERS`], then it is refused.
    pub(crate) async fn reserve_answer(&self, open: &OpenSession) -> DomainResult<()> {
        let now = self.now();
        self.store
            .change_record_of::<ChallengeSession, _>("", &open.key, |session| {
                if session.spent || session.expires_ms < now || session.answers >= MAX_ANSWERS {
                    return Err(invalid_session());
                }
                session.answers += 1;
                Ok(())
            })
            .await?
            .map(|_| ())
            .ok_or_else(invalid_session)
    }

    /// Spends the session, once: a second answer (on any node) finds it spent.
    pub(crate) async fn spend_challenge(&self, open: &OpenSession) -> DomainResult<()> {
        self.store
            .change_record_of::<ChallengeSession, _>("", &open.key, |session| {
                if session.spent {
                    return Err(invalid_session());
                }
                session.spent = true;
                Ok(())
            })
            .await?
            .map(|_| ())
            .ok_or_else(invalid_session)
    }
}

/// The error of a code that is not the one expected.
pub(super) fn code_mismatch() -> DomainError {
    DomainError::CodeMismatch("Invalid code received for user".into())
}

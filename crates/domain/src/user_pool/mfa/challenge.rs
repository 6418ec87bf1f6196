//! A sign-in's second step: which challenge follows a first factor (SMS_MFA, EMAIL_OTP,
//! SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE or MFA_SETUP), the answers to them, and the TOTP set-up
//! that MFA_SETUP runs through AssociateSoftwareToken and VerifySoftwareToken with its Session.

use crate::user_pool::auth_events::recording::{note_attempt, StepOutcome};
use crate::user_pool::auth_events::types::{ChallengeKind, EventResponse};
use std::collections::BTreeMap;

use serde_json::json;

use super::session::{code_mismatch, OpenSession, Step};
use super::{totp, MfaFactor, SoftwareTokenVerified, TotpFactor, TOTP_SECRET_CONTEXT};
use crate::crypto::constant_time_eq;
use crate::error::{DomainError, DomainResult};
use crate::user_pool::auth::{invalid_session, parameter, AuthOutcome, Progress};
use crate::user_pool::messages::new_code;
use crate::user_pool::{AppClient, ChallengeName, MfaConfiguration, User, UserPool, UserPoolService};

/// Where an answer leaves the sign-in: the user has passed (tokens follow, with what the sign-in
/// established), or another challenge follows.
#[derive(Debug, Clone)]
pub enum SecondStep {
    Passed { user: User, progress: Progress },
    Challenge(AuthOutcome),
}

impl StepOutcome for SecondStep {
    fn response(&self) -> EventResponse {
        match self {
            SecondStep::Passed { .. } => EventResponse::Pass,
            SecondStep::Challenge(outcome) => outcome.response(),
        }
    }
    fn session(&self) -> Option<&str> {
        match self {
            SecondStep::Passed { .. } => None,
            SecondStep::Challenge(outcome) => outcome.session(),
        }
    }
}

/// The challenge a code factor is asked as: SMS_OTP for a phone code that is the only factor.
fn code_challenge(factor: MfaFactor, first_factor: bool) -> ChallengeName {
    match (factor, first_factor) {
        (MfaFactor::Sms, true) => ChallengeName::SmsOtp,
        _ => factor.challenge(),
    }
}

/// The factors a sign-in of `user` may use: offered by the pool, enabled by the user, and with
/// somewhere to send a code.
fn usable_factors(pool: &UserPool, user: &User) -> Vec<MfaFactor> {
    MfaFactor::ALL
        .into_iter()
        .filter(|factor| pool.mfa.offers(*factor) && user.mfa.has(*factor) && factor.attribute().is_none_or(|name| user.attribute(name).is_some()))
        .filter(|factor| *factor != MfaFactor::SoftwareToken || user.mfa.totp.is_some())
        .collect()
}

impl UserPoolService {
    /// Whether a sign-in of `user` that passed its first factor goes on to a second.
    pub(crate) fn needs_second_factor(&self, pool: &UserPool, user: &User) -> bool {
        match pool.settings.mfa_configuration {
            MfaConfiguration::Off => false,
            MfaConfiguration::On => true,
            MfaConfiguration::Optional => !usable_factors(pool, user).is_empty(),
        }
    }

    fn code_mac(&self, username_key: &str, code: &str) -> String {
        hex::encode(self.master_key.mac("mfa-code", format!("{username_key}:{code}").as_bytes()))
    }

    /// The step after a first factor: None when the user signs in now, or the challenge that
    /// the pool's MfaConfiguration and the user's factors call for.
    pub(crate) async fn second_factor(&self, pool: &UserPool, client: &AppClient, user: &User, progress: &Progress) -> DomainResult<Option<AuthOutcome>> {
        let usable = usable_factors(pool, user);
        let required = pool.settings.mfa_configuration == MfaConfiguration::On;
        if pool.settings.mfa_configuration == MfaConfiguration::Off || (usable.is_empty() && !required) {
            return Ok(None);
        }
        let outcome = match usable.as_slice() {
            [] => {
                // MFA is required and the user has no factor: a code goes to a phone or an
                // address the user has, where the pool offers that; otherwise the user sets
                // up an authenticator app.
                let fallback = [MfaFactor::Sms, MfaFactor::Email]
                    .into_iter()
                    .find(|factor| pool.mfa.offers(*factor) && factor.attribute().is_some_and(|name| user.attribute(name).is_some()));
                match fallback {
                    Some(factor) => self.begin_factor(pool, client, user, factor, progress).await?,
                    None if pool.mfa.software_token => {
                        let session = self.open_challenge(pool, client, user, Step::Setup { sealed_secret: None, verified: false }, progress).await?;
                        let mut parameters = BTreeMap::new();
                        parameters.insert("MFAS_CAN_SETUP".to_string(), json!([MfaFactor::SoftwareToken.as_str()]).to_string());
                        parameters.insert("USER_ID_FOR_SRP".to_string(), user.username.clone());
                        AuthOutcome::Challenge { name: ChallengeName::MfaSetup, parameters, session: Some(session) }
                    }
                    None => {
                        return Err(DomainError::NotAuthorized(
                            "MFA is required, and the user has no factor this user pool can use.".into(),
                        ))
                    }
                }
            }
            [only] => self.begin_factor(pool, client, user, *only, progress).await?,
            several => match user.mfa.preferred.filter(|preferred| several.contains(preferred)) {
                Some(preferred) => self.begin_factor(pool, client, user, preferred, progress).await?,
                None => {
                    let session = self.open_challenge(pool, client, user, Step::Select { choices: several.to_vec() }, progress).await?;
                    let names: Vec<&str> = several.iter().map(|factor| factor.as_str()).collect();
                    let mut parameters = BTreeMap::new();
                    parameters.insert("MFAS_CAN_CHOOSE".to_string(), json!(names).to_string());
                    parameters.insert("USER_ID_FOR_SRP".to_string(), user.username.clone());
                    AuthOutcome::Challenge { name: ChallengeName::SelectMfaType, parameters, session: Some(session) }
                }
            },
        };
        Ok(Some(outcome))
    }

    /// Opens the challenge of one factor, sending its code where it has one.
    async fn begin_factor(&self, pool: &UserPool, client: &AppClient, user: &User, factor: MfaFactor, progress: &Progress) -> DomainResult<AuthOutcome> {
        self.begin_code_factor(pool, client, user, factor, progress, false).await
    }

    /// Opens the challenge of one factor, sending its code where it has one; `first_factor`
    /// when the code is the sign-in's only factor (EMAIL_OTP, or SMS_OTP for a phone).
    pub(crate) async fn begin_code_factor(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        factor: MfaFactor,
        progress: &Progress,
        first_factor: bool,
    ) -> DomainResult<AuthOutcome> {
        let mut parameters = BTreeMap::new();
        parameters.insert("USER_ID_FOR_SRP".to_string(), user.username.clone());
        let step = match factor.attribute() {
            Some(attribute) => {
                let code = new_code();
                let code_mac = self.code_mac(&pool.username_key(&user.username), &code);
                let draft = Self::sign_in_draft(pool, user, attribute, &code);
                let delivery = crate::user_pool::messages::compose::delivery_details(&draft, attribute);
                let outgoing = self.compose(pool, user, Some(&client.client_id), draft).await?;
                let session = self.open_challenge(pool, client, user, Step::Code { factor, code_mac, first_factor }, progress).await?;
                self.dispatch(pool, user, Some(&client.client_id), outgoing).await?;
                parameters.insert("CODE_DELIVERY_DELIVERY_MEDIUM".to_string(), delivery.delivery_medium);
                parameters.insert("CODE_DELIVERY_DESTINATION".to_string(), delivery.destination);
                return Ok(AuthOutcome::Challenge { name: code_challenge(factor, first_factor), parameters, session: Some(session) });
            }
            None => Step::SoftwareToken,
        };
        if let Some(name) = user.mfa.totp.as_ref().and_then(|totp| totp.friendly_name.clone()) {
            parameters.insert("FRIENDLY_DEVICE_NAME".to_string(), name);
        }
        let session = self.open_challenge(pool, client, user, step, progress).await?;
        Ok(AuthOutcome::Challenge { name: factor.challenge(), parameters, session: Some(session) })
    }

    /// The user a second-step answer is for: USERNAME must name the session's user (by
    /// username or alias), and SECRET_HASH must be right when the client has a secret (unless
    /// `secret_hash` is None: the hosted pages act for their client).
    pub(crate) async fn session_user(
        &self,
        pool: &UserPool,
        client: &AppClient,
        open: &OpenSession,
        responses: &BTreeMap<String, String>,
        secret_hash: Option<Option<&str>>,
    ) -> DomainResult<User> {
        let username = parameter(responses, "USERNAME")?;
        let user = self.store.get_user(&pool.id, &open.session.username_key).await?.ok_or_else(invalid_session)?;
        if !self.names_user(pool, username, &user).await {
            return Err(invalid_session());
        }
        if let Some(given) = secret_hash {
            self.check_secret_hash(client, &[username, user.username.as_str()], given)?;
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        Ok(user)
    }

    /// Answers SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE or MFA_SETUP. A code
    /// answer is counted on the session (three are taken) and as a failed attempt of the user
    /// before it is checked; a right one clears the failures and spends the session.
    pub async fn answer_second_factor(
        &self,
        pool: &UserPool,
        client: &AppClient,
        name: ChallengeName,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
        secret_hash: Option<Option<&str>>,
    ) -> DomainResult<SecondStep> {
        self.recording(pool, &client.client_id, name.as_str(), session, self.check_second_factor(pool, client, name, responses, session, secret_hash)).await
    }

    async fn check_second_factor(
        &self,
        pool: &UserPool,
        client: &AppClient,
        name: ChallengeName,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
        secret_hash: Option<Option<&str>>,
    ) -> DomainResult<SecondStep> {
        let open = self.read_challenge(session, Some(client)).await?;
        if open.session.pool_id != pool.id {
            return Err(invalid_session());
        }
        // A code "sent" to a user who does not exist (USER_AUTH hides that) is answered as a
        // wrong code would be.
        if matches!(open.session.step, Step::Code { first_factor: true, .. }) && self.store.get_user(&pool.id, &open.session.username_key).await?.is_none() {
            self.reserve_answer(&open).await?;
            return Err(code_mismatch());
        }
        let mut user = self.session_user(pool, client, &open, responses, secret_hash).await?;
        let progress = open.session.progress();
        match (&open.session.step, name) {
            (Step::Code { factor, code_mac, first_factor }, _) if code_challenge(*factor, *first_factor) == name => {
                let member = match name {
                    ChallengeName::SmsMfa => "SMS_MFA_CODE",
                    ChallengeName::SmsOtp => "SMS_OTP_CODE",
                    _ => "EMAIL_OTP_CODE",
                };
                let code = parameter(responses, member)?.trim().to_string();
                note_attempt(&user, if *first_factor { ChallengeKind::Password } else { ChallengeKind::Mfa });
                self.reserve_answer(&open).await?;
                self.count_failure(pool, &mut user).await?;
                let expected = self.code_mac(&open.session.username_key, &code);
                if !constant_time_eq(expected.as_bytes(), code_mac.as_bytes()) {
                    return Err(code_mismatch());
                }
                self.spend_challenge(&open).await?;
                self.clear_failures(pool, &mut user).await?;
            }
            (Step::SoftwareToken, ChallengeName::SoftwareTokenMfa) => {
                let code = parameter(responses, "SOFTWARE_TOKEN_MFA_CODE")?.to_string();
                note_attempt(&user, ChallengeKind::Mfa);
                self.reserve_answer(&open).await?;
                self.count_failure(pool, &mut user).await?;
                let now = self.now();
                // Checked on the stored user, in the write that records the step: a code is
                // accepted once, even by answers racing on two nodes.
                self.change_user_document(pool, &mut user, |user| {
                    let factor = user.mfa.totp.as_mut().ok_or_else(code_mismatch)?;
                    let secret = self.master_key.open(&factor.sealed_secret, TOTP_SECRET_CONTEXT)?;
                    let step = totp::matching_step(&secret, &code, now, factor.last_step).ok_or_else(code_mismatch)?;
                    factor.last_step = Some(step);
                    user.failed_sign_ins = 0;
                    user.last_failed_sign_in_ms = None;
                    Ok(())
                })
                .await?;
                self.spend_challenge(&open).await?;
            }
            (Step::Select { choices }, ChallengeName::SelectMfaType) => {
                let answer = parameter(responses, "ANSWER")?;
                let chosen = MfaFactor::from_name(answer)
                    .filter(|factor| choices.contains(factor))
                    .ok_or_else(|| DomainError::InvalidParameter(format!("{answer} is not one of the MFA types the user can choose.")))?;
                self.spend_challenge(&open).await?;
                let client = client.clone();
                return self.begin_factor(pool, &client, &user, chosen, &progress).await.map(SecondStep::Challenge);
            }
            (Step::Setup { verified: true, .. }, ChallengeName::MfaSetup) => {
                self.spend_challenge(&open).await?;
            }
            (Step::Setup { .. }, ChallengeName::MfaSetup) => {
                return Err(DomainError::InvalidParameter("The software token has not been verified for this session.".into()));
            }
            _ => return Err(invalid_session()),
        }
        Ok(SecondStep::Passed { user, progress })
    }

    /// Counts an answer as a failed attempt of the user before it is checked (cleared when it is
    /// right), so wrong codes add up toward the lockout that the next sign-in meets.
    async fn count_failure(&self, pool: &UserPool, user: &mut User) -> DomainResult<()> {
        let now = self.now();
        self.change_user_document(pool, user, |user| {
            user.failed_sign_ins = user.failed_sign_ins.saturating_add(1);
            user.last_failed_sign_in_ms = Some(now);
            Ok(())
        })
        .await
    }

    /// Clears the failed attempts a right answer follows.
    pub(crate) async fn clear_failures(&self, pool: &UserPool, user: &mut User) -> DomainResult<()> {
        self.change_user_document(pool, user, |user| {
            user.failed_sign_ins = 0;
            user.last_failed_sign_in_ms = None;
            Ok(())
        })
        .await
    }

    /// AssociateSoftwareToken with the Session of MFA_SETUP: a new secret, kept on a new session.
    pub(super) async fn associate_software_token_in_session(&self, session: &str) -> DomainResult<(String, String)> {
        let open = self.read_challenge(Some(session), None).await?;
        let Step::Setup { verified: false, .. } = open.session.step else {
            return Err(invalid_session());
        };
        let (pool, client, user) = self.session_parties(&open).await?;
        if !pool.mfa.software_token {
            return Err(DomainError::SoftwareTokenMfaNotFound("Software token MFA is not enabled for this user pool.".into()));
        }
        let secret = totp::new_secret();
        let sealed_secret = Some(self.master_key.seal(&secret, TOTP_SECRET_CONTEXT));
        self.spend_challenge(&open).await?;
        let next = self
            .open_challenge(&pool, &client, &user, Step::Setup { sealed_secret, verified: false }, &open.session.progress())
            .await?;
        Ok((totp::base32(&secret), next))
    }

    /// VerifySoftwareToken with the Session of MFA_SETUP: on a right code the app becomes the
    /// user's enabled (and, if none was, preferred) factor, and a session that completes
    /// MFA_SETUP is returned. A wrong code is EnableSoftwareTokenMFAException.
    pub(super) async fn verify_software_token_in_session(&self, session: &str, code: &str, friendly_name: Option<&str>) -> DomainResult<SoftwareTokenVerified> {
        let open = self.read_challenge(Some(session), None).await?;
        let Step::Setup { sealed_secret: Some(sealed_secret), verified: false } = &open.session.step else {
            return Err(invalid_session());
        };
        let (pool, client, mut user) = self.session_parties(&open).await?;
        self.reserve_answer(&open).await?;
        self.count_failure(&pool, &mut user).await?;
        let secret = self.master_key.open(sealed_secret, TOTP_SECRET_CONTEXT)?;
        let Some(step) = totp::matching_step(&secret, code, self.now(), None) else {
            return Err(DomainError::EnableSoftwareTokenMfa("Code mismatch and fail enable Software Token MFA".into()));
        };
        self.spend_challenge(&open).await?;
        let factor = TotpFactor { sealed_secret: sealed_secret.clone(), friendly_name: friendly_name.map(str::to_string), last_step: Some(step) };
        self.change_user_document(&pool, &mut user, |user| {
            user.mfa.totp = Some(factor.clone());
            user.mfa.pending_totp = None;
            user.mfa.set(MfaFactor::SoftwareToken, true);
            user.mfa.preferred.get_or_insert(MfaFactor::SoftwareToken);
            user.failed_sign_ins = 0;
            user.last_failed_sign_in_ms = None;
            Ok(())
        })
        .await?;
        let next = self
            .open_challenge(&pool, &client, &user, Step::Setup { sealed_secret: None, verified: true }, &open.session.progress())
            .await?;
        Ok(SoftwareTokenVerified { session: Some(next) })
    }

    /// The pool, client and user a session belongs to.
    async fn session_parties(&self, open: &OpenSession) -> DomainResult<(UserPool, AppClient, User)> {
        let pool = self.store.get_user_pool(&open.session.pool_id).await?.ok_or_else(invalid_session)?;
        let client = self.store.get_app_client(&open.session.pool_id, &open.session.client_id).await?.ok_or_else(invalid_session)?;
        let user = self.store.get_user(&open.session.pool_id, &open.session.username_key).await?.ok_or_else(invalid_session)?;
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        Ok((pool, client, user))
    }
}

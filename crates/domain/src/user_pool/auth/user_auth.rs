//! USER_AUTH, choice-based sign-in: the first factors the pool's SignInPolicy allows and the user
//! can use (PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP), PREFERRED_CHALLENGE when it is one of
//! them, SELECT_CHALLENGE otherwise, and GetUserAuthFactors. A code sent by email or SMS is the
//! sign-in's only factor; a password goes on to the second factor as any password sign-in does.
//! For a user who does not exist (when the client hides that) the answers look the same as for
//! one who does, and can never be passed.

use super::*;
use crate::user_pool::mfa::session::Step;
use crate::user_pool::mfa::MfaFactor;

/// A first factor of USER_AUTH, in the order Cognito lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstFactor {
    Password,
    PasswordSrp,
    EmailOtp,
    SmsOtp,
    WebAuthn,
}

impl FirstFactor {
    pub const ALL: [FirstFactor; 5] = [FirstFactor::Password, FirstFactor::PasswordSrp, FirstFactor::EmailOtp, FirstFactor::SmsOtp, FirstFactor::WebAuthn];

    pub fn as_str(self) -> &'static str {
        match self {
            FirstFactor::Password => "PASSWORD",
            FirstFactor::PasswordSrp => "PASSWORD_SRP",
            FirstFactor::EmailOtp => "EMAIL_OTP",
            FirstFactor::SmsOtp => "SMS_OTP",
            FirstFactor::WebAuthn => "WEB_AUTHN",
        }
    }

    pub fn from_name(name: &str) -> Option<FirstFactor> {
        FirstFactor::ALL.into_iter().find(|factor| factor.as_str() == name)
    }

    /// The pool's SignInPolicy names PASSWORD for both password factors.
    fn policy_name(self) -> &'static str {
        match self {
            FirstFactor::PasswordSrp => "PASSWORD",
            other => other.as_str(),
        }
    }

    /// The code factor, for EMAIL_OTP and SMS_OTP.
    fn code_factor(self) -> Option<MfaFactor> {
        match self {
            FirstFactor::EmailOtp => Some(MfaFactor::Email),
            FirstFactor::SmsOtp => Some(MfaFactor::Sms),
            _ => None,
        }
    }
}

/// The pool's `Policies.SignInPolicy.AllowedFirstAuthFactors` (PASSWORD when it names none).
pub fn allowed_first_factors(pool: &UserPool) -> Vec<String> {
    pool.settings
        .other_policies
        .get("SignInPolicy")
        .and_then(|policy| policy.get("AllowedFirstAuthFactors"))
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_else(|| vec!["PASSWORD".to_string()])
}

/// Whether the pool lets users sign in without a password (so SignUp may leave it out).
pub fn allows_passwordless(pool: &UserPool) -> bool {
    allowed_first_factors(pool).iter().any(|name| matches!(name.as_str(), "EMAIL_OTP" | "SMS_OTP" | "WEB_AUTHN"))
}

/// Whether the user's `attribute` (email or phone_number) is there and verified.
fn verified(user: &User, attribute: &str) -> bool {
    user.attribute(attribute).is_some() && user.attribute(&format!("{attribute}_verified")) == Some("true")
}

/// The first factors `user` can sign in with: allowed by the pool, and (for a user who exists)
/// set up: a password, a verified address or phone, a passkey (`has_passkeys`). A user who does
/// not exist seems to have them all.
pub(crate) fn available_first_factors(pool: &UserPool, user: Option<&User>, has_passkeys: bool) -> Vec<FirstFactor> {
    let allowed = allowed_first_factors(pool);
    FirstFactor::ALL
        .into_iter()
        .filter(|factor| allowed.iter().any(|name| name == factor.policy_name()))
        .filter(|factor| match (factor, user) {
            (_, None) => true,
            (FirstFactor::WebAuthn, Some(_)) => has_passkeys,
            (FirstFactor::Password | FirstFactor::PasswordSrp, Some(user)) => user.password_hash.is_some(),
            (FirstFactor::EmailOtp, Some(user)) => verified(user, "email"),
            (FirstFactor::SmsOtp, Some(user)) => verified(user, "phone_number"),
        })
        .collect()
}

impl UserPoolService {
    /// InitiateAuth's USER_AUTH: the preferred first factor when the user can use it, the choice
    /// (SELECT_CHALLENGE with AvailableChallenges) otherwise.
    pub(crate) async fn user_auth(&self, pool: &UserPool, client: &AppClient, parameters: &BTreeMap<String, String>, session: Option<&str>) -> DomainResult<AuthOutcome> {
        if let Some(session) = session.filter(|session| !session.is_empty()) {
            return self.sign_in_after_sign_up(pool, client, parameters, session).await;
        }
        let username = parameter(parameters, "USERNAME")?;
        let secret_hash = parameters.get("SECRET_HASH").map(String::as_str);
        let user = self.find_signing_in_user(pool, client, username, ClientProof::SecretHash(secret_hash)).await?;
        let has_passkeys = self.has_passkeys(pool, user.as_ref()).await?;
        let available = available_first_factors(pool, user.as_ref(), has_passkeys);
        let preferred = parameters.get("PREFERRED_CHALLENGE").and_then(|name| FirstFactor::from_name(name)).filter(|factor| available.contains(factor));
        match preferred {
            Some(factor) => self.begin_first_factor(pool, client, username, user, factor, parameters).await,
            None => {
                let choices: Vec<String> = available.iter().map(|factor| factor.as_str().to_string()).collect();
                if choices.is_empty() {
                    return Err(DomainError::NotAuthorized("The user has no sign-in method this user pool allows.".into()));
                }
                let step = Step::SelectFirst { choices: choices.clone() };
                let session = self.open_challenge_for(pool, client, pool.username_key(username), step, &Progress::at(self.now())).await?;
                Ok(AuthOutcome::SelectChallenge { available: choices, session })
            }
        }
    }

    /// SELECT_CHALLENGE's answer (ANSWER and the chosen factor's members), and the PASSWORD and
    /// PASSWORD_SRP challenge names that Amplify answers a choice with.
    pub(crate) async fn answer_select_challenge(
        &self,
        pool: &UserPool,
        client: &AppClient,
        name: ChallengeName,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
    ) -> DomainResult<AuthOutcome> {
        let open = self.read_challenge(session, Some(client)).await?;
        let Step::SelectFirst { choices } = &open.session.step else {
            return Err(invalid_session());
        };
        let answer = match name {
            ChallengeName::SelectChallenge => parameter(responses, "ANSWER")?,
            other => other.as_str(),
        };
        let factor = FirstFactor::from_name(answer)
            .filter(|factor| choices.iter().any(|choice| choice == factor.as_str()))
            .ok_or_else(|| DomainError::InvalidParameter(format!("{answer} is not one of the available challenges.")))?;
        let username = parameter(responses, "USERNAME")?;
        let (user, _) = self.answering_user(pool, client, &open, responses).await?;
        self.begin_first_factor(pool, client, username, user, factor, responses).await
    }

    /// Runs the chosen first factor: the password checked now, SRP's PASSWORD_VERIFIER, or a code
    /// sent (a decoy challenge for a user who does not exist).
    async fn begin_first_factor(
        &self,
        pool: &UserPool,
        client: &AppClient,
        username: &str,
        user: Option<User>,
        factor: FirstFactor,
        parameters: &BTreeMap<String, String>,
    ) -> DomainResult<AuthOutcome> {
        // The password factors run PreAuthentication as they check; the others before the code
        // is sent or the passkey asked.
        if let (Some(user), FirstFactor::EmailOtp | FirstFactor::SmsOtp | FirstFactor::WebAuthn) = (&user, factor) {
            self.pre_authentication(pool, &client.client_id, user).await?;
        }
        match factor {
            FirstFactor::Password => self.password_sign_in(pool, client, parameters).await,
            FirstFactor::PasswordSrp => self.srp_start(pool, client, parameters, false).await,
            FirstFactor::WebAuthn => self.web_authn_challenge(pool, client, username, user.as_ref()).await,
            FirstFactor::EmailOtp | FirstFactor::SmsOtp => {
                let code_factor = factor.code_factor().ok_or_else(|| DomainError::internal("a code factor without a code"))?;
                let progress = Progress::at(self.now());
                let Some(mut user) = user else {
                    return self.decoy_code_challenge(pool, client, username, code_factor, &progress).await;
                };
                self.check_lockout(&mut user)?;
                if !user.enabled {
                    return Err(DomainError::NotAuthorized("User is disabled.".into()));
                }
                if user.status != UserStatus::Confirmed {
                    return Err(DomainError::NotAuthorized("The user cannot sign in with a one-time code in its current status.".into()));
                }
                self.begin_code_factor(pool, client, &user, code_factor, &progress, true).await
            }
        }
    }

    /// The challenge a code sent to a user who does not exist would be: the same parameters,
    /// with a destination made up from the username, and a session no code passes.
    async fn decoy_code_challenge(&self, pool: &UserPool, client: &AppClient, username: &str, factor: MfaFactor, progress: &Progress) -> DomainResult<AuthOutcome> {
        let step = Step::Code { factor, code_mac: String::new(), first_factor: true };
        let session = self.open_challenge_for(pool, client, pool.username_key(username), step, progress).await?;
        let delivery = self.decoy_sign_in_delivery(pool, username, factor);
        let mut parameters = BTreeMap::new();
        parameters.insert("USER_ID_FOR_SRP".to_string(), username.to_string());
        parameters.insert("CODE_DELIVERY_DELIVERY_MEDIUM".to_string(), delivery.delivery_medium);
        parameters.insert("CODE_DELIVERY_DESTINATION".to_string(), delivery.destination);
        let name = if factor == MfaFactor::Sms { ChallengeName::SmsOtp } else { ChallengeName::EmailOtp };
        Ok(AuthOutcome::Challenge { name, parameters, session: Some(session) })
    }

    /// Whether the user has a passkey (asked only where the pool allows WEB_AUTHN).
    async fn has_passkeys(&self, pool: &UserPool, user: Option<&User>) -> DomainResult<bool> {
        match user {
            Some(user) if allowed_first_factors(pool).iter().any(|name| name == "WEB_AUTHN") => Ok(!self.passkeys(pool, user).await?.is_empty()),
            _ => Ok(false),
        }
    }

    /// The Session SignUp answers to a client that allows USER_AUTH: ConfirmSignUp trades it for
    /// one that signs the user in.
    pub(crate) async fn sign_up_session(&self, pool: &UserPool, client: &AppClient, user: &User) -> DomainResult<Option<String>> {
        if !allowed_flows(client).contains(&ExplicitAuthFlow::AllowUserAuth) {
            return Ok(None);
        }
        let step = Step::SignedUp { confirmed: false };
        self.open_challenge(pool, client, user, step, &Progress::at(self.now())).await.map(Some)
    }

    /// Whether `session` is a live sign-up session of `user` at this client (checked before the
    /// confirmation code is spent).
    pub(crate) async fn is_sign_up_session(&self, pool: &UserPool, client: &AppClient, user: &User, session: &str) -> bool {
        match self.read_challenge(Some(session), Some(client)).await {
            Ok(open) => open.session.step == (Step::SignedUp { confirmed: false }) && open.session.username_key == pool.username_key(&user.username),
            Err(_) => false,
        }
    }

    /// After ConfirmSignUp: spends the sign-up's Session when one was given, and (for a client
    /// that allows USER_AUTH) answers the Session that InitiateAuth signs the user in with.
    pub(crate) async fn confirmed_sign_up_session(&self, pool: &UserPool, client: &AppClient, user: &User, session: Option<&str>) -> DomainResult<Option<String>> {
        if let Some(session) = session {
            let open = self.read_challenge(Some(session), Some(client)).await?;
            if open.session.step != (Step::SignedUp { confirmed: false }) || open.session.username_key != pool.username_key(&user.username) {
                return Err(invalid_session());
            }
            self.spend_challenge(&open).await?;
        }
        if !allowed_flows(client).contains(&ExplicitAuthFlow::AllowUserAuth) {
            return Ok(None);
        }
        self.open_challenge(pool, client, user, Step::SignedUp { confirmed: true }, &Progress::at(self.now())).await.map(Some)
    }

    /// InitiateAuth (USER_AUTH) with the Session of a confirmed sign-up: the confirmation code was
    /// the first factor; the second follows if the pool calls for one.
    pub(crate) async fn sign_in_after_sign_up(&self, pool: &UserPool, client: &AppClient, parameters: &BTreeMap<String, String>, session: &str) -> DomainResult<AuthOutcome> {
        let open = self.read_challenge(Some(session), Some(client)).await?;
        let username = parameter(parameters, "USERNAME")?;
        let user = self.store.get_user(&pool.id, &open.session.username_key).await?.ok_or_else(invalid_session)?;
        let names_the_user = self.names_user(pool, username, &user).await;
        if open.session.step != (Step::SignedUp { confirmed: true }) || open.session.pool_id != pool.id || !names_the_user {
            return Err(invalid_session());
        }
        self.check_secret_hash(client, &[username, user.username.as_str()], parameters.get("SECRET_HASH").map(String::as_str))?;
        self.spend_challenge(&open).await?;
        if !user.enabled || user.status != UserStatus::Confirmed {
            return Err(invalid_session());
        }
        self.second_step_or_tokens(pool, client, &user, &open.session.progress()).await
    }

    /// The hosted pages' passwordless sign-in: a code sent by email or SMS, or a passkey asked,
    /// when the pool allows it and the user can use it (a user who does not exist seems to).
    pub async fn hosted_first_factor(&self, pool: &UserPool, client: &AppClient, username: &str, factor: FirstFactor) -> DomainResult<HostedStep> {
        self.recording(pool, &client.client_id, "hosted:first_factor", None, self.hosted_factor_start(pool, client, username, factor)).await
    }

    async fn hosted_factor_start(&self, pool: &UserPool, client: &AppClient, username: &str, factor: FirstFactor) -> DomainResult<HostedStep> {
        let user = self.find_signing_in_user(pool, client, username, ClientProof::HostedPages).await?;
        let has_passkeys = self.has_passkeys(pool, user.as_ref()).await?;
        if !available_first_factors(pool, user.as_ref(), has_passkeys).contains(&factor) || factor.code_factor().is_none() && factor != FirstFactor::WebAuthn {
            return Err(DomainError::NotAuthorized(format!("Signing in with {} is not available for this user.", factor.as_str())));
        }
        match self.begin_first_factor(pool, client, username, user, factor, &BTreeMap::new()).await? {
            AuthOutcome::Challenge { name: ChallengeName::WebAuthn, mut parameters, session: Some(session) } => Ok(HostedStep::Passkey {
                username: username.to_string(),
                options: parameters.remove("CREDENTIAL_REQUEST_OPTIONS").unwrap_or_default(),
                session,
            }),
            AuthOutcome::Challenge { name, parameters, session: Some(session) } => {
                Ok(HostedStep::SecondFactor { username: username.to_string(), challenge: name, parameters, session })
            }
            _ => Err(DomainError::internal("a passwordless first factor without a challenge")),
        }
    }

    /// GetUserAuthFactors: the user's MFA settings and the first factors USER_AUTH offers them.
    pub async fn get_user_auth_factors(&self, access_token: &str) -> DomainResult<(User, Vec<String>)> {
        let holder = self.authenticate_access_token(access_token).await?;
        let has_passkeys = self.has_passkeys(&holder.pool, Some(&holder.user)).await?;
        let factors = available_first_factors(&holder.pool, Some(&holder.user), has_passkeys)
            .into_iter()
            .filter(|factor| *factor != FirstFactor::PasswordSrp)
            .map(|factor| factor.as_str().to_string())
            .collect();
        Ok((holder.user, factors))
    }
}

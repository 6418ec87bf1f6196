//! InitiateAuth's first factors: the flow a client may use, the password sign-in with its
//! lockout (an attempt is counted before the password is checked), and the hosted page's
//! sign-in.

use super::*;
use crate::user_pool::devices::RememberedDevice;
use crate::user_pool::auth_events::recording::{note_attempt, note_first_factor};
use crate::user_pool::auth_events::types::ChallengeKind;
use crate::user_pool::settings_enums::AuthFlow;

impl UserPoolService {
    /// InitiateAuth and AdminInitiateAuth. `flow` is the parsed `AuthFlow` (None when the name,
    /// `flow_name`, is none of the model's), refused only after the client is found, as
    /// Cognito does. `session` is a confirmed sign-up's (USER_AUTH only).
    pub async fn initiate_auth(
        &self,
        caller: Caller,
        client_id: &ClientId,
        flow: Option<AuthFlow>,
        flow_name: &str,
        parameters: &BTreeMap<String, String>,
        session: Option<&str>,
    ) -> DomainResult<AuthOutcome> {
        if matches!(flow, Some(AuthFlow::RefreshTokenAuth | AuthFlow::RefreshToken)) {
            // The token first: it is read with its user, groups and the config version, so that
            // an unchanged pool and client come from memory and the refresh is one read.
            let context = match parameters.get("REFRESH_TOKEN") {
                Some(token) => self.store.get_refresh_context(&sha256_hex(token)).await?,
                None => None,
            };
            let version = match &context {
                Some(context) => context.config_version,
                None => self.store.config_version().await?,
            };
            let (pool, client) = self.client_at(client_id, &caller, version).await?;
            require_flow(&client, ExplicitAuthFlow::AllowRefreshTokenAuth)?;
            return Box::pin(self.refresh(&pool, &client, parameters, context)).await;
        }
        let (pool, client) = self.client_for(client_id, &caller).await?;
        // Boxed apart, each path allocates its own size: a refresh's future does not carry the
        // room every first factor needs.
        let first_factor = Box::pin(self.first_factor(caller, &pool, &client, flow, flow_name, parameters, session));
        self.recording(&pool, &client.client_id, flow.map_or("unknown", AuthFlow::as_str), session, first_factor).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn first_factor(
        &self,
        caller: Caller,
        pool: &UserPool,
        client: &AppClient,
        flow: Option<AuthFlow>,
        flow_name: &str,
        parameters: &BTreeMap<String, String>,
        session: Option<&str>,
    ) -> DomainResult<AuthOutcome> {
        match (flow, &caller) {
            (Some(AuthFlow::UserPasswordAuth), _) => {
                require_flow(&client, ExplicitAuthFlow::AllowUserPasswordAuth)?;
                self.password_sign_in(&pool, &client, parameters).await
            }
            (Some(AuthFlow::AdminUserPasswordAuth | AuthFlow::AdminNoSrpAuth), Caller::Admin { .. }) => {
                require_flow(&client, ExplicitAuthFlow::AllowAdminUserPasswordAuth)?;
                self.password_sign_in(&pool, &client, parameters).await
            }
            (Some(AuthFlow::RefreshTokenAuth | AuthFlow::RefreshToken), _) => Err(DomainError::internal("refreshes are not first factors")),
            (Some(AuthFlow::UserSrpAuth), _) => {
                require_flow(&client, ExplicitAuthFlow::AllowUserSrpAuth)?;
                self.srp_start(&pool, &client, parameters, false).await
            }
            (Some(AuthFlow::UserAuth), _) => {
                require_flow(&client, ExplicitAuthFlow::AllowUserAuth)?;
                self.user_auth(&pool, &client, parameters, session).await
            }
            (Some(AuthFlow::CustomAuth), _) => {
                require_flow(&client, ExplicitAuthFlow::AllowCustomAuth)?;
                self.custom_auth(&pool, &client, parameters).await
            }
            // An admin flow through InitiateAuth, or a name that is no flow.
            (Some(AuthFlow::AdminUserPasswordAuth | AuthFlow::AdminNoSrpAuth), Caller::Client) | (None, _) => {
                Err(DomainError::InvalidParameter(format!("Invalid AuthFlow {flow_name} for this operation.")))
            }
        }
    }

    pub(crate) async fn password_sign_in(
        &self,
        pool: &UserPool,
        client: &AppClient,
        parameters: &BTreeMap<String, String>,
    ) -> DomainResult<AuthOutcome> {
        let username = parameter(parameters, "USERNAME")?;
        let password = parameter(parameters, "PASSWORD")?;
        let secret_hash = parameters.get("SECRET_HASH").map(String::as_str);
        let Some(mut user) = self.find_or_migrate(pool, client, username, ClientProof::SecretHash(secret_hash), Some(password)).await? else {
            self.decoy_check(password).await?;
            return Err(incorrect_credentials());
        };
        let device = self.named_device(pool, &user, parameters.get("DEVICE_KEY").map(String::as_str)).await?;
        self.pre_authentication(pool, &client.client_id, &user).await?;
        self.reserve_sign_in(pool, &mut user, ChallengeKind::Password).await?;
        let password_ok = self.password_matches(pool, &mut user, password).await?;
        self.after_first_factor(pool, client, user, password_ok, device).await
    }

    /// As [`Self::find_signing_in_user`], bringing in a user the pool does not know through its
    /// UserMigration trigger (with the password of a sign-in, or none for ForgotPassword).
    pub(crate) async fn find_or_migrate(
        &self,
        pool: &UserPool,
        client: &AppClient,
        username: &str,
        proof: ClientProof<'_>,
        password: Option<&str>,
    ) -> DomainResult<Option<User>> {
        let (found, unknown) = match self.find_signing_in_user(pool, client, username, proof).await {
            Ok(found) => (found, None),
            Err(error @ DomainError::UserNotFound(_)) => (None, Some(error)),
            Err(other) => return Err(other),
        };
        if found.is_some() {
            return Ok(found);
        }
        match (self.migrate_user(pool, &client.client_id, username, password).await?, unknown) {
            (Some(user), _) => Ok(Some(user)),
            (None, Some(error)) => Err(error),
            (None, None) => Ok(None),
        }
    }

    /// The user a sign-in names, after the SECRET_HASH check. None when the user does not exist
    /// and the client hides that; UserNotFoundException when it does not.
    pub(crate) async fn find_signing_in_user(
        &self,
        pool: &UserPool,
        client: &AppClient,
        username: &str,
        proof: ClientProof<'_>,
    ) -> DomainResult<Option<User>> {
        match self.resolve_user(pool, username).await {
            Ok(user) => {
                self.check_client_proof(client, &[username, user.username.as_str()], proof)?;
                Ok(Some(user))
            }
            Err(DomainError::UserNotFound(message)) => {
                self.check_client_proof(client, &[username], proof)?;
                if client.settings.prevent_user_existence_errors == crate::user_pool::settings_enums::PreventUserExistenceErrors::Enabled {
                    Ok(None)
                } else {
                    Err(DomainError::UserNotFound(message))
                }
            }
            Err(other) => Err(other),
        }
    }

    /// Whether `password` is the user's; a user without a password costs the same time. The
    /// check runs on the CPU pool (TooManyRequests when its queue is full). A user copied from
    /// a Cognito pool proves the first password there, which is then kept (`user` is then the
    /// stored user).
    pub(crate) async fn password_matches(&self, pool: &UserPool, user: &mut User, password: &str) -> DomainResult<bool> {
        match &user.password_hash {
            Some(hash) => self.verify_on_pool(password, hash).await,
            None if user.password_at_source => self.password_at_source(pool, user, password).await,
            None => self.decoy_check(password).await.map(|()| false),
        }
    }

    /// Counts this sign-in attempt as a failure before its password or SRP claim is checked,
    /// refusing it while the user is locked out: parallel guesses each take a place in the
    /// count (redone on a fresh read when another request changed the user meanwhile), so no
    /// more of them are evaluated than the lockout allows. A first factor that then succeeds
    /// clears the count ([`Self::record_first_factor`]). `user` is then the stored user.
    /// `kind` is what the attempt proves, for the user's sign-in history.
    pub(crate) async fn reserve_sign_in(&self, pool: &UserPool, user: &mut User, kind: ChallengeKind) -> DomainResult<()> {
        note_attempt(user, kind);
        self.change_user_document(pool, user, |user| {
            self.check_lockout(user)?;
            user.failed_sign_ins = user.failed_sign_ins.saturating_add(1);
            user.last_failed_sign_in_ms = Some(self.now());
            Ok(())
        })
        .await
    }

    /// Refuses a sign-in while the user is locked out; forgets failures older than 15 minutes.
    pub(crate) fn check_lockout(&self, user: &mut User) -> DomainResult<()> {
        let now = self.now();
        if user.last_failed_sign_in_ms.is_some_and(|last| now - last > FAILURE_MEMORY_MS) {
            user.failed_sign_ins = 0;
        }
        match lockout_end(user) {
            Some(locked_until) if now < locked_until => {
                self.count(crate::tally::Counted::Lockout);
                Err(DomainError::NotAuthorized("Password attempts exceeded".into()))
            }
            _ => Ok(()),
        }
    }

    /// Records the outcome of the first factor and, when it succeeded, continues the sign-in:
    /// a challenge (the device's proof when a remembered device was named), an error for the
    /// user's state, or tokens.
    pub(crate) async fn after_first_factor(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: User,
        first_factor_ok: bool,
        device: Option<RememberedDevice>,
    ) -> DomainResult<AuthOutcome> {
        let device_follows = device.is_some() && user.status == UserStatus::Confirmed;
        let user = self.record_first_factor(pool, user, first_factor_ok, device_follows).await?;
        let progress = Progress::at(self.now());
        match (user.status, device) {
            (UserStatus::Confirmed, Some(device)) => self.device_challenge(pool, client, &user, &device, &progress).await,
            (UserStatus::Confirmed, None) => self.second_step_or_tokens(pool, client, &user, &progress).await,
            (UserStatus::ForceChangePassword, _) => self.new_password_challenge(pool, client, &user).await,
            _ => Err(DomainError::internal("record_first_factor let through a user who cannot sign in")),
        }
    }

    /// After [`Self::reserve_sign_in`] counted the attempt as a failure: keeps that count when
    /// the first factor failed, or clears the failures when it succeeded, and refuses users who
    /// may not sign in: disabled, unconfirmed, reset required, or with an expired temporary
    /// password. What passes is Confirmed or ForceChangePassword. `device_follows` says a
    /// remembered device's proof comes next (then, as before a second factor, only this attempt
    /// is taken back).
    pub(crate) async fn record_first_factor(&self, pool: &UserPool, mut user: User, first_factor_ok: bool, device_follows: bool) -> DomainResult<User> {
        note_first_factor(first_factor_ok);
        let now = self.now();
        // An imported user has no password to check yet: every attempt is told to reset it.
        if user.status == UserStatus::ResetRequired && user.password_hash.is_none() && user.enabled {
            return Err(DomainError::PasswordResetRequired("Password reset required for the user".into()));
        }
        if !first_factor_ok {
            return Err(if user.failed_sign_ins > FREE_ATTEMPTS {
                DomainError::NotAuthorized("Password attempts exceeded".into())
            } else {
                incorrect_credentials()
            });
        }
        // Failures are forgiven when the sign-in is complete. When a second factor follows, only
        // this attempt is taken back: wrong MFA codes add up across sign-ins toward the lockout.
        if user.failed_sign_ins > 0 {
            let second_factor_follows = device_follows || self.needs_second_factor(pool, &user);
            self.change_user_document(pool, &mut user, |user| {
                if second_factor_follows {
                    user.failed_sign_ins = user.failed_sign_ins.saturating_sub(1);
                } else {
                    user.failed_sign_ins = 0;
                    user.last_failed_sign_in_ms = None;
                }
                Ok(())
            })
            .await?;
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        match user.status {
            UserStatus::Confirmed => Ok(user),
            UserStatus::ForceChangePassword => {
                if user.temporary_password_expires_ms.is_some_and(|expires| now > expires) {
                    return Err(DomainError::NotAuthorized(
                        "Temporary password has expired and must be reset by an administrator.".into(),
                    ));
                }
                Ok(user)
            }
            UserStatus::Unconfirmed => Err(DomainError::UserNotConfirmed("User is not confirmed.".into())),
            UserStatus::ResetRequired => {
                Err(DomainError::PasswordResetRequired("Password reset required for the user".into()))
            }
            UserStatus::Archived | UserStatus::Compromised | UserStatus::Unknown | UserStatus::ExternalProvider => {
                Err(incorrect_credentials())
            }
        }
    }

    /// The hosted sign-in page's password sign-in and what follows it: the user when the password
    /// is right, NEW_PASSWORD_REQUIRED's session, or, for a user who must first confirm the
    /// account or reset the password, the code sent for that (the pages act for their client, so
    /// no SECRET_HASH is asked). Whether the user exists is never told.
    /// `device_cookie` is the browser's remembered-device cookie, if it has one.
    pub async fn hosted_password_sign_in(&self, pool: &UserPool, client: &AppClient, username: &str, password: &str, device_cookie: Option<&str>) -> DomainResult<HostedStep> {
        let checked = self.recording(pool, &client.client_id, "hosted:password", None, self.hosted_password_check(pool, client, username, password, device_cookie)).await;
        match checked {
            Err(DomainError::UserNotConfirmed(_)) => {
                if let Err(error) = self.resend_confirmation_code(&client.client_id, username, ClientProof::HostedPages).await {
                    tracing::info!(%error, "resending a confirmation code from the sign-in page");
                }
                Ok(HostedStep::ConfirmationCodeSent)
            }
            Err(DomainError::PasswordResetRequired(_)) => {
                if let Err(error) = self.forgot_password(&client.client_id, username, ClientProof::HostedPages).await {
                    tracing::info!(%error, "sending a reset code from the sign-in page");
                }
                Ok(HostedStep::ResetCodeSent)
            }
            other => other,
        }
    }

    /// The password check itself: the user when the password is right (with the lockout and the
    /// user-state refusals of InitiateAuth), or NEW_PASSWORD_REQUIRED's session.
    async fn hosted_password_check(&self, pool: &UserPool, client: &AppClient, username: &str, password: &str, device_cookie: Option<&str>) -> DomainResult<HostedStep> {
        let mut user = match self.find_or_migrate(pool, client, username, ClientProof::HostedPages, Some(password)).await {
            Ok(Some(user)) => user,
            Ok(None) | Err(DomainError::UserNotFound(_)) => {
                self.decoy_check(password).await?;
                return Err(incorrect_credentials());
            }
            Err(other) => return Err(other),
        };
        self.pre_authentication(pool, &client.client_id, &user).await?;
        self.reserve_sign_in(pool, &mut user, ChallengeKind::Password).await?;
        let password_ok = self.password_matches(pool, &mut user, password).await?;
        let user = self.record_first_factor(pool, user, password_ok, false).await?;
        if user.status == UserStatus::ForceChangePassword {
            let AuthOutcome::Challenge { parameters, session: Some(session), .. } = self.new_password_challenge(pool, client, &user).await? else {
                return Err(DomainError::internal("the new-password challenge has no session"));
            };
            let required = parameters
                .get("requiredAttributes")
                .and_then(|text| serde_json::from_str::<Vec<String>>(text).ok())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|name| name.strip_prefix("userAttributes.").map(str::to_string))
                .collect();
            return Ok(HostedStep::NewPasswordRequired { username: user.username, session, required });
        }
        self.hosted_second_step(pool, client, user, device_cookie).await
    }

    /// Where the hosted pages go once the password (and any new password) is settled: the second
    /// factor's challenge when the pool and the user call for one, signed in otherwise (also when
    /// the browser is a remembered device that skips it).
    pub async fn hosted_second_step(&self, pool: &UserPool, client: &AppClient, user: User, device_cookie: Option<&str>) -> DomainResult<HostedStep> {
        if self.needs_second_factor(pool, &user) && self.browser_skips_second_factor(pool, &user, device_cookie).await? {
            return Ok(HostedStep::SignedIn(user));
        }
        match self.second_factor(pool, client, &user, &Progress::at(self.now())).await? {
            Some(AuthOutcome::Challenge { name, parameters, session: Some(session) }) => {
                Ok(HostedStep::SecondFactor { username: user.username, challenge: name, parameters, session })
            }
            Some(_) => Err(DomainError::internal("a second factor's challenge has no session")),
            None => Ok(HostedStep::SignedIn(user)),
        }
    }
}

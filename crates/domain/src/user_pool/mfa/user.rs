//! A user's factors: SetUserMFAPreference and AdminSetUserMFAPreference, the legacy
//! SetUserSettings and AdminSetUserSettings, AssociateSoftwareToken and VerifySoftwareToken (by
//! access token, or by the Session of MFA_SETUP), and how GetUser shows them.

use super::{totp, FactorPreference, MfaFactor, MfaView, SoftwareTokenVerified, TotpFactor, UserMfa, TOTP_SECRET_CONTEXT};
use crate::error::{DomainError, DomainResult};
use crate::ids::UserPoolId;
use crate::user_pool::{User, UserPool, UserPoolService};

impl UserMfa {
    pub fn view(&self) -> MfaView {
        MfaView {
            settings: self.enabled.iter().map(|factor| factor.as_str()).collect(),
            preferred: self.preferred.map(MfaFactor::as_str),
            sms_option: self.has(MfaFactor::Sms),
        }
    }
}

/// Applies SetUserMFAPreference's settings to `user`, refusing a factor the user cannot use.
fn apply_preferences(user: &mut User, preferences: &[FactorPreference]) -> DomainResult<()> {
    for preference in preferences {
        let factor = preference.factor;
        if preference.enabled == Some(true) || preference.preferred == Some(true) {
            let ready = match factor {
                MfaFactor::SoftwareToken => user.mfa.totp.is_some(),
                MfaFactor::Sms => user.attribute("phone_number").is_some(),
                MfaFactor::Email => user.attribute("email").is_some(),
            };
            if !ready {
                return Err(DomainError::InvalidParameter(match factor {
                    MfaFactor::SoftwareToken => "User has not verified software token mfa".into(),
                    other => format!("User does not have delivery config set to turn on {}", other.as_str()),
                }));
            }
        }
        match preference.enabled {
            Some(enabled) => user.mfa.set(factor, enabled),
            // PreferredMfa alone enables the factor it prefers.
            None if preference.preferred == Some(true) => user.mfa.set(factor, true),
            None => {}
        }
        match preference.preferred {
            Some(true) if user.mfa.has(factor) => user.mfa.preferred = Some(factor),
            Some(true) => return Err(DomainError::InvalidParameter(format!("{} is not enabled, so it cannot be preferred.", factor.as_str()))),
            Some(false) if user.mfa.preferred == Some(factor) => user.mfa.preferred = None,
            _ => {}
        }
    }
    Ok(())
}

impl UserPoolService {
    async fn change_user_mfa(&self, pool: &UserPool, user: &User, change: impl Fn(&mut User) -> DomainResult<()>) -> DomainResult<()> {
        let now = self.now();
        let mut user = user.clone();
        self.change_user_document(pool, &mut user, |user| {
            change(user)?;
            user.modified_ms = now;
            Ok(())
        })
        .await
    }

    /// SetUserMFAPreference, by the holder of an access token.
    pub async fn set_user_mfa_preference(&self, access_token: &str, preferences: &[FactorPreference]) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.change_user_mfa(&holder.pool, &holder.user, |user| apply_preferences(user, preferences)).await
    }

    /// AdminSetUserMFAPreference.
    pub async fn admin_set_user_mfa_preference(&self, pool_id: &UserPoolId, username: &str, preferences: &[FactorPreference]) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        self.change_user_mfa(&pool, &user, |user| apply_preferences(user, preferences)).await
    }

    /// SetUserSettings (legacy): MFAOptions of `SMS` to `phone_number` turn SMS MFA on, an
    /// empty list turns it off.
    pub async fn set_user_settings(&self, access_token: &str, sms_options: &[(String, String)]) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        let preference = sms_preference(sms_options)?;
        self.change_user_mfa(&holder.pool, &holder.user, |user| apply_preferences(user, &[preference])).await
    }

    /// AdminSetUserSettings (legacy).
    pub async fn admin_set_user_settings(&self, pool_id: &UserPoolId, username: &str, sms_options: &[(String, String)]) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        let preference = sms_preference(sms_options)?;
        self.change_user_mfa(&pool, &user, |user| apply_preferences(user, &[preference])).await
    }

    /// AssociateSoftwareToken: a new authenticator secret (base32) for the holder of an access
    /// token, kept until VerifySoftwareToken; or, with the Session of MFA_SETUP, for the user
    /// signing in, with a new session.
    pub async fn associate_software_token(&self, access_token: Option<&str>, session: Option<&str>) -> DomainResult<(String, Option<String>)> {
        match (access_token, session) {
            (Some(access_token), None) => {
                let holder = self.authenticate_access_token(access_token).await?;
                let secret = totp::new_secret();
                let sealed = self.master_key.seal(&secret, TOTP_SECRET_CONTEXT);
                self.change_user_mfa(&holder.pool, &holder.user, |user| {
                    user.mfa.pending_totp = Some(sealed.clone());
                    Ok(())
                })
                .await?;
                Ok((totp::base32(&secret), None))
            }
            (None, Some(session)) => self.associate_software_token_in_session(session).await.map(|(secret, session)| (secret, Some(session))),
            _ => Err(DomainError::InvalidParameter("Exactly one of AccessToken and Session is required.".into())),
        }
    }

    /// VerifySoftwareToken: checks a code of the secret AssociateSoftwareToken gave; on success
    /// the app becomes the user's verified authenticator (SetUserMFAPreference enables it).
    pub async fn verify_software_token(
        &self,
        access_token: Option<&str>,
        session: Option<&str>,
        code: &str,
        friendly_name: Option<&str>,
    ) -> DomainResult<SoftwareTokenVerified> {
        match (access_token, session) {
            (Some(access_token), None) => {
                let holder = self.authenticate_access_token(access_token).await?;
                let (pool, mut user) = (holder.pool, holder.user);
                self.record_attempt(&pool, &mut user, "VerifySoftwareToken", 20).await?;
                let sealed = user
                    .mfa
                    .pending_totp
                    .clone()
                    .ok_or_else(|| DomainError::SoftwareTokenMfaNotFound("Software token MFA has not been associated for the user.".into()))?;
                let secret = self.master_key.open(&sealed, TOTP_SECRET_CONTEXT)?;
                let step = totp::matching_step(&secret, code, self.now(), None)
                    .ok_or_else(|| DomainError::EnableSoftwareTokenMfa("Code mismatch and fail enable Software Token MFA".into()))?;
                let factor = TotpFactor { sealed_secret: sealed.clone(), friendly_name: friendly_name.map(str::to_string), last_step: Some(step) };
                self.change_user_mfa(&pool, &user, |user| {
                    // The secret verified must still be the one being set up.
                    if user.mfa.pending_totp.as_deref() != Some(sealed.as_str()) {
                        return Err(DomainError::SoftwareTokenMfaNotFound("Software token MFA has not been associated for the user.".into()));
                    }
                    user.mfa.totp = Some(factor.clone());
                    user.mfa.pending_totp = None;
                    Ok(())
                })
                .await?;
                Ok(SoftwareTokenVerified { session: None })
            }
            (None, Some(session)) => self.verify_software_token_in_session(session, code, friendly_name).await,
            _ => Err(DomainError::InvalidParameter("Exactly one of AccessToken and Session is required.".into())),
        }
    }
}

/// The SMS preference that SetUserSettings' MFAOptions (DeliveryMedium, AttributeName) mean.
fn sms_preference(options: &[(String, String)]) -> DomainResult<FactorPreference> {
    for (medium, attribute) in options {
        if medium != "SMS" || attribute != "phone_number" {
            return Err(DomainError::InvalidParameter("Only SMS to phone_number can be set in MFAOptions.".into()));
        }
    }
    Ok(FactorPreference { factor: MfaFactor::Sms, enabled: Some(!options.is_empty()), preferred: None })
}

//! SetUserPoolMfaConfig and GetUserPoolMfaConfig.

use super::{MfaConfigInput, MfaFactor, PoolMfa};
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::ids::UserPoolId;
use crate::user_pool::{MfaConfiguration, UserPoolService};

fn check_message(member: &'static str, message: Option<&str>, max: usize) -> DomainResult<()> {
    let Some(message) = message else { return Ok(()) };
    let length = message.chars().count();
    if !(6..=max).contains(&length) {
        return Err(InvalidMember::error(member, message, Constraint::Length { min: 6, max }));
    }
    if !message.contains("{####}") {
        return Err(InvalidMember::error(member, message, Constraint::Pattern(".*\\{####\\}.*")));
    }
    Ok(())
}

fn check_input(input: &MfaConfigInput) -> DomainResult<()> {
    if let Some(sms) = &input.sms {
        check_message("smsMfaConfiguration.smsAuthenticationMessage", sms.message.as_deref(), 140)?;
    }
    if let Some(email) = &input.email {
        check_message("emailMfaConfiguration.message", email.message.as_deref(), 20_000)?;
        if email.subject.as_deref().is_some_and(|subject| subject.trim().is_empty() || subject.chars().count() > 140) {
            return Err(InvalidMember::error(
                "emailMfaConfiguration.subject",
                email.subject.clone().unwrap_or_default(),
                Constraint::Length { min: 1, max: 140 },
            ));
        }
    }
    if let Some(web_authn) = &input.web_authn {
        if !matches!(web_authn.user_verification.as_str(), "required" | "preferred") {
            return Err(InvalidMember::error(
                "webAuthnConfiguration.userVerification",
                web_authn.user_verification.clone(),
                Constraint::OneOf(vec!["required", "preferred"]),
            ));
        }
        if let Some(id) = &web_authn.relying_party_id {
            if !(1..=127).contains(&id.len()) {
                return Err(InvalidMember::error("webAuthnConfiguration.relyingPartyId", id.clone(), Constraint::Length { min: 1, max: 127 }));
            }
        }
    }
    Ok(())
}

impl UserPoolService {
    /// SetUserPoolMfaConfig: the pool's factors and MfaConfiguration, changed together (a
    /// compare-and-set of the pool). ON or OPTIONAL needs a factor.
    pub async fn set_user_pool_mfa_config(&self, pool_id: &UserPoolId, input: MfaConfigInput) -> DomainResult<(MfaConfiguration, PoolMfa)> {
        check_input(&input)?;
        let now = self.now();
        let pool = self
            .change_pool(pool_id, |pool| {
                let mut mfa = pool.mfa.clone();
                mfa.sms = input.sms.clone();
                mfa.email = input.email.clone();
                if let Some(enabled) = input.software_token {
                    mfa.software_token = enabled;
                }
                if let Some(web_authn) = &input.web_authn {
                    mfa.web_authn = Some(web_authn.clone());
                }
                let configuration = input.mfa_configuration.unwrap_or(pool.settings.mfa_configuration);
                if configuration != MfaConfiguration::Off && !MfaFactor::ALL.into_iter().any(|factor| mfa.offers(factor)) {
                    return Err(DomainError::InvalidParameter(
                        "Invalid MFA configuration given, can't turn on MFA without any enabled MFA factor.".into(),
                    ));
                }
                pool.mfa = mfa;
                pool.settings.mfa_configuration = configuration;
                pool.modified_ms = now;
                Ok(())
            })
            .await?;
        Ok((pool.settings.mfa_configuration, pool.mfa))
    }

    /// GetUserPoolMfaConfig.
    pub async fn get_user_pool_mfa_config(&self, pool_id: &UserPoolId) -> DomainResult<(MfaConfiguration, PoolMfa)> {
        let pool = self.load_pool(pool_id).await?;
        Ok((pool.settings.mfa_configuration, pool.mfa))
    }
}

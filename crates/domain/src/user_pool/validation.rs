//! The checks of pool, client and group settings, with Cognito's wording: sign-in attributes,
//! enumerated members, token validities, callback URLs and tags.

use super::types::{AppClientSettings, UserPool, UserPoolSettings};
use super::inputs::GroupChanges;
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};

/// Tags a pool may carry.
pub(super) const MAX_TAGS: usize = 50;

pub(super) fn check_tag(key: &str, value: &str) -> DomainResult<()> {
    let key_length = key.chars().count();
    if !(1..=128).contains(&key_length) || value.chars().count() > 256 {
        return Err(DomainError::InvalidParameter(
            "Tag keys must be 1 to 128 characters and values at most 256 characters.".into(),
        ));
    }
    Ok(())
}

pub(super) fn check_one_of(value: &str, allowed: &[&'static str], member: &str) -> DomainResult<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(InvalidMember::error(member, value, Constraint::OneOf(allowed.to_vec())))
    }
}

pub(super) fn check_settings(settings: &UserPoolSettings) -> DomainResult<()> {
    let name_length = settings.name.chars().count();
    let name_valid = (1..=128).contains(&name_length)
        && settings
            .name
            .chars()
            .all(|character| character.is_alphanumeric() || " _+=,.@-\t".contains(character));
    if !name_valid {
        return Err(InvalidMember::error("poolName", &settings.name, Constraint::Pattern("[\\w\\s+=,.@-]+")));
    }
    let policy = &settings.password_policy;
    if !(6..=99).contains(&policy.minimum_length) {
        return Err(DomainError::InvalidParameter(
            "Password policy minimum length must be between 6 and 99.".into(),
        ));
    }
    if policy.temporary_password_validity_days > 365 {
        return Err(DomainError::InvalidParameter(
            "TemporaryPasswordValidityDays must be between 0 and 365.".into(),
        ));
    }
    if let Some(history) = policy.password_history_size {
        if history > 24 {
            return Err(DomainError::InvalidParameter("PasswordHistorySize must be between 0 and 24.".into()));
        }
    }
    for attribute in &settings.auto_verified_attributes {
        check_one_of(attribute, &["email", "phone_number"], "autoVerifiedAttributes")?;
    }
    if let Some(mechanisms) = &settings.account_recovery {
        if mechanisms.is_empty() || mechanisms.len() > 2 {
            return Err(DomainError::InvalidParameter(
                "AccountRecoverySetting must have one or two recovery mechanisms.".into(),
            ));
        }
        for mechanism in mechanisms {
            check_one_of(&mechanism.name, &["verified_email", "verified_phone_number", "admin_only"], "recoveryMechanisms.name")?;
            if !(1..=2).contains(&mechanism.priority) {
                return Err(DomainError::InvalidParameter("Recovery mechanism priority must be 1 or 2.".into()));
            }
        }
        if mechanisms.len() == 2 && mechanisms.iter().any(|mechanism| mechanism.name == "admin_only") {
            return Err(DomainError::InvalidParameter(
                "admin_only cannot be combined with another recovery mechanism.".into(),
            ));
        }
    }
    if let Some(days) = settings.admin_create_user.unused_account_validity_days {
        if days > 365 {
            return Err(DomainError::InvalidParameter("UnusedAccountValidityDays must be between 0 and 365.".into()));
        }
    }
    if settings.tags.len() > MAX_TAGS {
        return Err(DomainError::InvalidParameter(format!("A user pool can have at most {MAX_TAGS} tags.")));
    }
    for (key, value) in &settings.tags {
        check_tag(key, value)?;
    }
    Ok(())
}

pub(super) fn check_sign_in_attributes(alias_attributes: &[String], username_attributes: &[String]) -> DomainResult<()> {
    for attribute in alias_attributes {
        check_one_of(attribute, &["phone_number", "email", "preferred_username"], "aliasAttributes")?;
    }
    for attribute in username_attributes {
        check_one_of(attribute, &["phone_number", "email"], "usernameAttributes")?;
    }
    if !alias_attributes.is_empty() && !username_attributes.is_empty() {
        return Err(DomainError::InvalidParameter(
            "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.".into(),
        ));
    }
    Ok(())
}

/// A validity in seconds, given its value and unit.
pub(super) fn validity_seconds(value: u32, unit: Option<&str>, default_unit: &str) -> DomainResult<u64> {
    let unit = unit.unwrap_or(default_unit);
    let factor = match unit {
        "seconds" => 1,
        "minutes" => 60,
        "hours" => 3600,
        "days" => 86400,
        other => return Err(InvalidMember::error("tokenValidityUnits", other, Constraint::OneOf(vec!["seconds", "minutes", "hours", "days"]))),
    };
    Ok(value as u64 * factor)
}

pub(super) fn check_client_settings(pool: &UserPool, settings: &AppClientSettings) -> DomainResult<()> {
    super::rotation::RefreshTokenRotation::check(settings)?;
    let name_length = settings.name.chars().count();
    let name_valid = (1..=128).contains(&name_length)
        && settings.name.chars().all(|character| character.is_alphanumeric() || " _+=,.@-\t".contains(character));
    if !name_valid {
        return Err(InvalidMember::error("clientName", &settings.name, Constraint::Pattern("[\\w\\s+=,.@-]+")));
    }
    if let Some(flows) = &settings.explicit_auth_flows {
        let legacy = flows.iter().any(|flow| flow.is_legacy());
        let modern = flows.iter().any(|flow| !flow.is_legacy());
        if legacy && modern {
            return Err(DomainError::InvalidParameter(
                "The combination of old and new ExplicitAuthFlows values is not supported.".into(),
            ));
        }
    }
    let units = settings.token_validity_units.clone().unwrap_or_default();
    let within = |value: Option<u32>, unit: Option<&str>, default_unit: &str, low: u64, high: u64, member: &str| -> DomainResult<()> {
        if let Some(value) = value {
            let seconds = validity_seconds(value, unit, default_unit)?;
            if seconds < low || seconds > high {
                return Err(DomainError::InvalidParameter(format!(
                    "Invalid range for token validity: {member} must be between {low} and {high} seconds."
                )));
            }
        }
        Ok(())
    };
    within(settings.access_token_validity, units.access_token.as_deref(), "hours", 300, 86_400, "AccessTokenValidity")?;
    within(settings.id_token_validity, units.id_token.as_deref(), "hours", 300, 86_400, "IdTokenValidity")?;
    within(Some(settings.refresh_token_validity), units.refresh_token.as_deref(), "days", 3_600, 315_360_000, "RefreshTokenValidity")?;
    if !(3..=15).contains(&settings.auth_session_validity) {
        return Err(InvalidMember::error("authSessionValidity", settings.auth_session_validity.to_string(), Constraint::Range { min: 3, max: 15 }));
    }
    for names in [&settings.read_attributes, &settings.write_attributes].into_iter().flatten() {
        for name in names {
            if pool.schema_attribute(name).is_none() {
                return Err(DomainError::InvalidParameter(format!("Invalid read or write attribute: {name}")));
            }
        }
    }
    if let Some(write) = &settings.write_attributes {
        if write.iter().any(|name| name == "sub") {
            return Err(DomainError::InvalidParameter("Invalid write attributes specified while creating a client".into()));
        }
    }
    let oauth = &settings.oauth;
    if let Some(flows) = &oauth.allowed_oauth_flows {
        for flow in flows {
            check_one_of(flow, &["code", "implicit", "client_credentials"], "allowedOAuthFlows")?;
        }
    }
    for urls in [&oauth.callback_urls, &oauth.logout_urls].into_iter().flatten() {
        if urls.len() > 100 {
            return Err(DomainError::InvalidParameter("At most 100 callback or logout URLs are allowed.".into()));
        }
        for url in urls {
            check_redirect_url(url)?;
        }
    }
    if let Some(default) = &oauth.default_redirect_uri {
        let listed = oauth.callback_urls.as_ref().is_some_and(|urls| urls.contains(default));
        if !listed {
            return Err(DomainError::InvalidParameter("DefaultRedirectURI must be one of the CallbackURLs.".into()));
        }
    }
    if oauth.allowed_oauth_flows_user_pool_client {
        let has_flows = oauth.allowed_oauth_flows.as_ref().is_some_and(|flows| !flows.is_empty());
        if !has_flows {
            return Err(DomainError::InvalidParameter("AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true.".into()));
        }
    }
    Ok(())
}

/// Callback URLs must be absolute, without a fragment; plain http only for loopback hosts.
pub(super) fn check_redirect_url(url: &str) -> DomainResult<()> {
    let invalid = || DomainError::InvalidParameter(format!("Invalid redirect URL: {url}"));
    let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
    if rest.is_empty() || url.contains('#') || url.len() > 1024 || scheme.is_empty() {
        return Err(invalid());
    }
    if scheme == "http" {
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = host.rsplit_once(':').map(|(host, _)| host).unwrap_or(host);
        if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            return Err(invalid());
        }
    }
    Ok(())
}

pub(super) fn check_group_changes(changes: &GroupChanges) -> DomainResult<()> {
    if let Some(description) = &changes.description {
        if description.chars().count() > 2048 {
            return Err(InvalidMember::error("description", "…", Constraint::MaxLength(2048)));
        }
    }
    if let Some(role_arn) = &changes.role_arn {
        check_arn("roleArn", role_arn)?;
    }
    Ok(())
}

/// A member of the model's `ArnType`.
pub(crate) fn check_arn(member: &str, arn: &str) -> DomainResult<()> {
    let valid = arn.starts_with("arn:") && (20..=2048).contains(&arn.len()) && arn.split(':').count() >= 6;
    if !valid {
        return Err(InvalidMember::error(member, arn, Constraint::Pattern("arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?")));
    }
    Ok(())
}

//! The records of identity pools: the pool with its providers and roles, role mappings, and
//! identities with their linked logins.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::ids::{IdentityId, IdentityPoolId};

/// A user pool app client accepted as a login provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CognitoProvider {
    /// `cognito-idp.<region>.amazonaws.com/<user pool id>`.
    pub provider_name: String,
    pub client_id: String,
    /// Refuse ID tokens whose sign-in was signed out or revoked.
    pub server_side_token_check: bool,
}

/// What CreateIdentityPool and UpdateIdentityPool set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct IdentityPoolSettings {
    pub name: String,
    pub allow_unauthenticated_identities: bool,
    pub allow_classic_flow: bool,
    pub cognito_providers: Vec<CognitoProvider>,
    /// Social provider key → app or client id(s), comma-separated.
    pub supported_login_providers: BTreeMap<String, String>,
    pub open_id_connect_provider_arns: Vec<String>,
    pub saml_provider_arns: Vec<String>,
    pub developer_provider_name: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// An identity pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityPool {
    pub id: IdentityPoolId,
    pub settings: IdentityPoolSettings,
    /// `authenticated` / `unauthenticated` → role ARN.
    pub roles: BTreeMap<String, String>,
    /// Provider (`<user pool provider>:<client id>` or a provider key) → mapping.
    pub role_mappings: BTreeMap<String, RoleMapping>,
    pub created_ms: i64,
    /// Provider name → which of its token's claims become session tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub principal_tags: BTreeMap<String, PrincipalTagMap>,
}

/// SetPrincipalTagAttributeMap's mapping for one provider: tag name → claim name, or the
/// defaults (`username` from `sub`, `client` from `aud`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalTagMap {
    pub use_defaults: bool,
    pub tags: BTreeMap<String, String>,
}

impl PrincipalTagMap {
    /// Tag name → claim name, as credentials are minted.
    pub fn effective(&self) -> BTreeMap<String, String> {
        if self.use_defaults {
            BTreeMap::from([("username".to_string(), "sub".to_string()), ("client".to_string(), "aud".to_string())])
        } else {
            self.tags.clone()
        }
    }
}

crate::named::named_enum! {
    /// How a role mapping chooses: by the token's `cognito:preferred_role` / `cognito:roles`, or
    /// by claim rules.
    RoleMappingType, "type" { Token => "Token", Rules => "Rules" }
}

crate::named::named_enum! {
    /// What a role mapping does when nothing matches.
    AmbiguousRoleResolution, "ambiguousRoleResolution" { AuthenticatedRole => "AuthenticatedRole", Deny => "Deny" }
}

crate::named::named_enum! {
    /// How a rule compares its claim with its value.
    MatchType, "matchType" { Equals => "Equals", Contains => "Contains", StartsWith => "StartsWith", NotEqual => "NotEqual" }
}

/// How roles are chosen for logins of one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    pub kind: RoleMappingType,
    /// Required by every mapping the pool accepts.
    pub ambiguous_role_resolution: Option<AmbiguousRoleResolution>,
    pub rules: Vec<MappingRule>,
}

/// One claim rule of a `Rules` mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRule {
    pub claim: String,
    pub match_type: MatchType,
    pub value: String,
    pub role_arn: String,
}

/// A login linked to an identity: the provider key and the user's id there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedLogin {
    pub provider: String,
    pub subject: String,
}

/// An identity: a guest when it has no logins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub id: IdentityId,
    pub pool_id: IdentityPoolId,
    pub logins: Vec<LinkedLogin>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

impl Identity {
    /// The provider keys of its logins, without repeats, as DescribeIdentity lists them.
    pub fn login_providers(&self) -> Vec<String> {
        let mut providers: Vec<String> = Vec::new();
        for login in &self.logins {
            if !providers.contains(&login.provider) {
                providers.push(login.provider.clone());
            }
        }
        providers
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidParameter(message.into())
}

impl IdentityPoolSettings {
    pub(super) fn check(&self) -> DomainResult<()> {
        let name_ok = !self.name.is_empty()
            && self.name.chars().count() <= 128
            && self.name.chars().all(|character| character.is_alphanumeric() || character.is_whitespace() || "_+=,.@-".contains(character));
        if !name_ok {
            return Err(InvalidMember::error("identityPoolName", &self.name, Constraint::Pattern("[\\w\\s+=,.@-]+")));
        }
        if let Some(developer) = &self.developer_provider_name {
            let ok = !developer.is_empty()
                && developer.len() <= 128
                && developer.chars().all(|character| character.is_ascii_alphanumeric() || "_.-".contains(character));
            if !ok {
                return Err(InvalidMember::error("developerProviderName", developer, Constraint::Pattern("[\\w._-]+")));
            }
        }
        for provider in &self.cognito_providers {
            let pool_id = crate::ids::user_pool_of_provider(&provider.provider_name).ok_or_else(|| {
                invalid(format!(
                    "Invalid Cognito Identity Provider name {}: expected cognito-idp.<region>.amazonaws.com/<user pool id> in the pool's region.",
                    provider.provider_name
                ))
            })?;
            crate::ids::check_user_pool_id(pool_id)?;
            crate::ids::check_client_id(&provider.client_id)?;
        }
        if self.supported_login_providers.len() > 10 {
            return Err(invalid("SupportedLoginProviders may name at most 10 providers."));
        }
        for (key, value) in &self.supported_login_providers {
            if key.is_empty() || key.len() > 128 || value.is_empty() || value.len() > 128 {
                return Err(invalid(format!("Invalid SupportedLoginProviders entry {key}.")));
            }
        }
        for arn in &self.open_id_connect_provider_arns {
            if !crate::ids::arn::is_oidc_provider(arn) {
                return Err(invalid(format!("Invalid OpenIdConnectProviderARN {arn}.")));
            }
        }
        if self.tags.len() > 50 {
            return Err(DomainError::LimitExceeded("An identity pool may have at most 50 tags.".into()));
        }
        Ok(())
    }
}

impl RoleMapping {
    pub(super) fn check(&self, provider: &str) -> DomainResult<()> {
        if self.kind == RoleMappingType::Rules {
            if self.rules.is_empty() || self.rules.len() > 25 {
                return Err(invalid(format!("The Rules mapping for {provider} needs 1 to 25 rules.")));
            }
            for rule in &self.rules {
                if rule.claim.is_empty() || crate::ids::arn::role_name_of(&rule.role_arn).is_none() {
                    return Err(invalid("Each rule needs a claim and a role ARN."));
                }
            }
        }
        match self.ambiguous_role_resolution {
            Some(_) => Ok(()),
            None => Err(invalid(format!("The role mapping for {provider} needs AmbiguousRoleResolution AuthenticatedRole or Deny."))),
        }
    }
}

/// The record writes of a MergeDeveloperIdentities, to be applied in one transaction.
#[derive(Debug, Clone)]
pub struct DeveloperMerge {
    pub source_id: String,
    pub destination_id: String,
    pub writes: Vec<crate::records::RecordWrite>,
}

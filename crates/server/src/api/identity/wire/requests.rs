//! cognito-identity's request shapes, parsed straight from the body, with their conversions to
//! the domain's settings and role mappings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use cognate_domain::identity_pool::{AmbiguousRoleResolution, CognitoProvider, IdentityPoolSettings, MappingRule, MatchType, RoleMapping, RoleMappingType};
use cognate_domain::DomainResult;

use crate::aws::json::ApiError;

pub type StringMap = BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CognitoIdentityProviderShape {
    pub provider_name: Option<String>,
    pub client_id: Option<String>,
    pub server_side_token_check: Option<bool>,
}

/// CreateIdentityPool and UpdateIdentityPool.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityPoolInput {
    #[serde(default)]
    pub identity_pool_id: Option<String>,
    pub identity_pool_name: String,
    pub allow_unauthenticated_identities: bool,
    #[serde(default)]
    pub allow_classic_flow: Option<bool>,
    #[serde(default)]
    pub supported_login_providers: Option<StringMap>,
    #[serde(default)]
    pub developer_provider_name: Option<String>,
    #[serde(default, rename = "OpenIdConnectProviderARNs")]
    pub open_id_connect_provider_arns: Option<Vec<String>>,
    #[serde(default)]
    pub cognito_identity_providers: Option<Vec<CognitoIdentityProviderShape>>,
    #[serde(default, rename = "SamlProviderARNs")]
    pub saml_provider_arns: Option<Vec<String>>,
    #[serde(default)]
    pub identity_pool_tags: Option<StringMap>,
}

impl IdentityPoolInput {
    pub fn settings(&self) -> Result<IdentityPoolSettings, ApiError> {
        let mut providers = Vec::new();
        for provider in self.cognito_identity_providers.clone().unwrap_or_default() {
            let (Some(provider_name), Some(client_id)) = (provider.provider_name, provider.client_id) else {
                return Err(ApiError::client("InvalidParameterException", "Each CognitoIdentityProvider needs a ProviderName and a ClientId."));
            };
            providers.push(CognitoProvider { provider_name, client_id, server_side_token_check: provider.server_side_token_check.unwrap_or(false) });
        }
        Ok(IdentityPoolSettings {
            name: self.identity_pool_name.clone(),
            allow_unauthenticated_identities: self.allow_unauthenticated_identities,
            allow_classic_flow: self.allow_classic_flow.unwrap_or(false),
            cognito_providers: providers,
            supported_login_providers: self.supported_login_providers.clone().unwrap_or_default(),
            open_id_connect_provider_arns: self.open_id_connect_provider_arns.clone().unwrap_or_default(),
            saml_provider_arns: self.saml_provider_arns.clone().unwrap_or_default(),
            developer_provider_name: self.developer_provider_name.clone(),
            tags: self.identity_pool_tags.clone().unwrap_or_default(),
        })
    }
}

/// The operations that name only an identity pool.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityPoolIdInput {
    pub identity_pool_id: String,
}

/// GetPrincipalTagAttributeMap.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrincipalTagMapInput {
    pub identity_pool_id: String,
    pub identity_provider_name: String,
}

/// SetPrincipalTagAttributeMap.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetPrincipalTagMapInput {
    pub identity_pool_id: String,
    pub identity_provider_name: String,
    pub use_defaults: Option<bool>,
    pub principal_tags: Option<StringMap>,
}

/// The operations that name only an identity.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityIdInput {
    pub identity_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIdentityPoolsRequest {
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIdentitiesRequest {
    pub identity_pool_id: String,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MappingRuleShape {
    pub claim: String,
    pub match_type: String,
    pub value: String,
    #[serde(rename = "RoleARN")]
    pub role_arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RulesConfigurationShape {
    pub rules: Vec<MappingRuleShape>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleMappingShape {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambiguous_role_resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_configuration: Option<RulesConfigurationShape>,
}

impl RoleMappingShape {
    /// The mapping, its names parsed.
    pub fn into_domain(self) -> DomainResult<RoleMapping> {
        let rules = self
            .rules_configuration
            .map(|config| config.rules)
            .unwrap_or_default()
            .into_iter()
            .map(|rule| {
                let match_type = MatchType::parse(&rule.match_type)?;
                Ok(MappingRule { claim: rule.claim, match_type, value: rule.value, role_arn: rule.role_arn })
            })
            .collect::<DomainResult<Vec<_>>>()?;
        Ok(RoleMapping {
            kind: RoleMappingType::parse(&self.kind)?,
            ambiguous_role_resolution: self.ambiguous_role_resolution.as_deref().map(AmbiguousRoleResolution::parse).transpose()?,
            rules,
        })
    }

    pub fn of(mapping: &RoleMapping) -> RoleMappingShape {
        let rules_configuration = (mapping.kind == RoleMappingType::Rules).then(|| RulesConfigurationShape {
            rules: mapping
                .rules
                .iter()
                .map(|rule| MappingRuleShape {
                    claim: rule.claim.clone(),
                    match_type: rule.match_type.as_str().to_string(),
                    value: rule.value.clone(),
                    role_arn: rule.role_arn.clone(),
                })
                .collect(),
        });
        RoleMappingShape {
            kind: mapping.kind.as_str().to_string(),
            ambiguous_role_resolution: mapping.ambiguous_role_resolution.map(|resolution| resolution.as_str().to_string()),
            rules_configuration,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetIdentityPoolRolesRequest {
    pub identity_pool_id: String,
    pub roles: Option<StringMap>,
    pub role_mappings: Option<BTreeMap<String, RoleMappingShape>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    pub resource_arn: String,
    pub tags: Option<StringMap>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    pub resource_arn: String,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceArnInput {
    pub resource_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetIdRequest {
    pub identity_pool_id: String,
    pub logins: Option<StringMap>,
    pub account_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetCredentialsForIdentityRequest {
    pub identity_id: String,
    pub logins: Option<StringMap>,
    pub custom_role_arn: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetOpenIdTokenRequest {
    pub identity_id: String,
    pub logins: Option<StringMap>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetOpenIdTokenForDeveloperIdentityRequest {
    pub identity_pool_id: String,
    pub identity_id: Option<String>,
    pub logins: Option<StringMap>,
    pub token_duration: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupDeveloperIdentityRequest {
    pub identity_pool_id: String,
    pub identity_id: Option<String>,
    pub developer_user_identifier: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MergeDeveloperIdentitiesRequest {
    pub identity_pool_id: String,
    pub developer_provider_name: String,
    pub source_user_identifier: String,
    pub destination_user_identifier: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnlinkDeveloperIdentityRequest {
    pub identity_pool_id: String,
    pub identity_id: String,
    pub developer_provider_name: String,
    pub developer_user_identifier: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnlinkIdentityRequest {
    pub identity_id: String,
    pub logins: Option<StringMap>,
    pub logins_to_remove: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteIdentitiesRequest {
    pub identity_ids_to_delete: Option<Vec<String>>,
}

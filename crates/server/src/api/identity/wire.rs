//! cognito-identity's wire shapes, named as the service model names them, parsed straight from
//! the request body and converted by hand to and from the domain's types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use cognate_domain::identity_pool::{CognitoProvider, Identity, IdentityPool, IdentityPoolSettings, MappingRule, RoleMapping};

use crate::aws::json::{timestamp, ApiError};

pub type StringMap = BTreeMap<String, String>;

// ----- requests -----

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
    pub fn into_domain(self) -> RoleMapping {
        let rules = self
            .rules_configuration
            .map(|config| {
                config
                    .rules
                    .into_iter()
                    .map(|rule| MappingRule { claim: rule.claim, match_type: rule.match_type, value: rule.value, role_arn: rule.role_arn })
                    .collect()
            })
            .unwrap_or_default();
        RoleMapping { kind: self.kind, ambiguous_role_resolution: self.ambiguous_role_resolution, rules }
    }

    pub fn of(mapping: &RoleMapping) -> RoleMappingShape {
        let rules_configuration = (mapping.kind == "Rules").then(|| RulesConfigurationShape {
            rules: mapping
                .rules
                .iter()
                .map(|rule| MappingRuleShape {
                    claim: rule.claim.clone(),
                    match_type: rule.match_type.clone(),
                    value: rule.value.clone(),
                    role_arn: rule.role_arn.clone(),
                })
                .collect(),
        });
        RoleMappingShape { kind: mapping.kind.clone(), ambiguous_role_resolution: mapping.ambiguous_role_resolution.clone(), rules_configuration }
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

// ----- responses (absent members are dropped when the body is written) -----

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityPoolShape {
    pub identity_pool_id: String,
    pub identity_pool_name: String,
    pub allow_unauthenticated_identities: bool,
    pub allow_classic_flow: bool,
    pub identity_pool_tags: StringMap,
    /// Cognito answers this map even when it is empty.
    pub supported_login_providers: StringMap,
    pub developer_provider_name: Option<String>,
    #[serde(rename = "OpenIdConnectProviderARNs")]
    pub open_id_connect_provider_arns: Option<Vec<String>>,
    #[serde(rename = "SamlProviderARNs")]
    pub saml_provider_arns: Option<Vec<String>>,
    pub cognito_identity_providers: Option<Vec<CognitoIdentityProviderShape>>,
}

impl IdentityPoolShape {
    pub fn of(pool: &IdentityPool) -> IdentityPoolShape {
        let settings = &pool.settings;
        let non_empty = |list: &Vec<String>| (!list.is_empty()).then(|| list.clone());
        IdentityPoolShape {
            identity_pool_id: pool.id.clone(),
            identity_pool_name: settings.name.clone(),
            allow_unauthenticated_identities: settings.allow_unauthenticated_identities,
            allow_classic_flow: settings.allow_classic_flow,
            identity_pool_tags: settings.tags.clone(),
            supported_login_providers: settings.supported_login_providers.clone(),
            developer_provider_name: settings.developer_provider_name.clone(),
            open_id_connect_provider_arns: non_empty(&settings.open_id_connect_provider_arns),
            saml_provider_arns: non_empty(&settings.saml_provider_arns),
            cognito_identity_providers: (!settings.cognito_providers.is_empty()).then(|| {
                settings
                    .cognito_providers
                    .iter()
                    .map(|provider| CognitoIdentityProviderShape {
                        provider_name: Some(provider.provider_name.clone()),
                        client_id: Some(provider.client_id.clone()),
                        server_side_token_check: Some(provider.server_side_token_check),
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityPoolShortDescription {
    pub identity_pool_id: String,
    pub identity_pool_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIdentityPoolsResponse {
    pub identity_pools: Vec<IdentityPoolShortDescription>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetIdentityPoolRolesResponse {
    pub identity_pool_id: String,
    pub roles: StringMap,
    pub role_mappings: Option<BTreeMap<String, RoleMappingShape>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagsResponse {
    pub tags: StringMap,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityIdResponse {
    pub identity_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CredentialsShape {
    pub access_key_id: String,
    pub secret_key: String,
    pub session_token: String,
    /// Epoch seconds.
    pub expiration: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetCredentialsForIdentityResponse {
    pub identity_id: String,
    pub credentials: CredentialsShape,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OpenIdTokenResponse {
    pub identity_id: String,
    pub token: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupDeveloperIdentityResponse {
    pub identity_id: String,
    pub developer_user_identifier_list: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityDescription {
    pub identity_id: String,
    pub logins: Vec<String>,
    pub creation_date: f64,
    pub last_modified_date: f64,
}

impl IdentityDescription {
    pub fn of(identity: &Identity) -> IdentityDescription {
        IdentityDescription {
            identity_id: identity.id.clone(),
            logins: identity.login_providers(),
            creation_date: timestamp(identity.created_ms),
            last_modified_date: timestamp(identity.modified_ms),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIdentitiesResponse {
    pub identity_pool_id: String,
    pub identities: Vec<IdentityDescription>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnprocessedIdentityId {
    pub identity_id: String,
    pub error_code: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteIdentitiesResponse {
    pub unprocessed_identity_ids: Vec<UnprocessedIdentityId>,
}

//! cognito-identity's answer shapes (absent members are dropped when the body is written), built
//! from the domain's pools and identities.

use std::collections::BTreeMap;

use serde::Serialize;

use cognate_domain::identity_pool::{Identity, IdentityPool};

use crate::aws::json::timestamp;


use super::requests::{CognitoIdentityProviderShape, RoleMappingShape, StringMap};

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
            identity_pool_id: pool.id.to_string(),
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

/// Get/SetPrincipalTagAttributeMap's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrincipalTagMapResponse {
    pub identity_pool_id: String,
    pub identity_provider_name: String,
    pub use_defaults: bool,
    pub principal_tags: StringMap,
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
            identity_id: identity.id.to_string(),
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

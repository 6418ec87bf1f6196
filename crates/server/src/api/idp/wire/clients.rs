//! The app-client shapes: settings, creation extras, listing and `UserPoolClientType`.


use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::shared::*;

/// The members CreateUserPoolClient and UpdateUserPoolClient share.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolClientSettingsInput {
    pub client_name: Option<String>,
    pub refresh_token_validity: Option<u32>,
    pub access_token_validity: Option<u32>,
    pub id_token_validity: Option<u32>,
    pub token_validity_units: Option<TokenValidityUnitsType>,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
    pub explicit_auth_flows: Option<Vec<String>>,
    pub supported_identity_providers: Option<Vec<String>>,
    #[serde(rename = "CallbackURLs")]
    pub callback_urls: Option<Vec<String>>,
    #[serde(rename = "LogoutURLs")]
    pub logout_urls: Option<Vec<String>>,
    #[serde(rename = "DefaultRedirectURI")]
    pub default_redirect_uri: Option<String>,
    #[serde(rename = "AllowedOAuthFlows")]
    pub allowed_oauth_flows: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthScopes")]
    pub allowed_oauth_scopes: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    pub allowed_oauth_flows_user_pool_client: Option<bool>,
    pub prevent_user_existence_errors: Option<String>,
    pub enable_token_revocation: Option<bool>,
    pub enable_propagate_additional_user_context_data: Option<bool>,
    pub auth_session_validity: Option<u32>,
    #[serde(flatten)]
    pub opaque: ClientOpaqueInput,
}

/// The client settings cognate keeps as given and answers back without interpreting them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientOpaqueInput {
    pub analytics_configuration: Option<serde_json::Map<String, serde_json::Value>>,
    pub refresh_token_rotation: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ClientOpaqueInput {
    /// The members given, under their model names.
    pub fn into_opaque(self) -> cognate_domain::user_pool::OpaqueSettings {
        opaque_settings([("AnalyticsConfiguration", self.analytics_configuration), ("RefreshTokenRotation", self.refresh_token_rotation)], [])
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserPoolClientExtra {
    pub user_pool_id: String,
    pub client_name: String,
    pub generate_secret: Option<bool>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientIdInput {
    pub user_pool_id: String,
    pub client_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserPoolClientsRequest {
    pub user_pool_id: String,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolClientType {
    pub user_pool_id: String,
    pub client_name: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub last_modified_date: f64,
    pub creation_date: f64,
    pub refresh_token_validity: u32,
    pub access_token_validity: Option<u32>,
    pub id_token_validity: Option<u32>,
    pub token_validity_units: Option<TokenValidityUnitsType>,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
    pub explicit_auth_flows: Option<Vec<String>>,
    pub supported_identity_providers: Option<Vec<String>>,
    #[serde(rename = "CallbackURLs")]
    pub callback_urls: Option<Vec<String>>,
    #[serde(rename = "LogoutURLs")]
    pub logout_urls: Option<Vec<String>>,
    #[serde(rename = "DefaultRedirectURI")]
    pub default_redirect_uri: Option<String>,
    #[serde(rename = "AllowedOAuthFlows")]
    pub allowed_oauth_flows: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthScopes")]
    pub allowed_oauth_scopes: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    pub allowed_oauth_flows_user_pool_client: bool,
    pub analytics_configuration: Option<Value>,
    pub prevent_user_existence_errors: String,
    pub enable_token_revocation: bool,
    pub enable_propagate_additional_user_context_data: bool,
    pub auth_session_validity: u32,
    pub refresh_token_rotation: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolClientDescription {
    pub client_id: String,
    pub user_pool_id: String,
    pub client_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddUserPoolClientSecretRequest {
    pub user_pool_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserPoolClientSecretsRequest {
    pub user_pool_id: String,
    pub client_id: String,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteUserPoolClientSecretRequest {
    pub user_pool_id: String,
    pub client_id: String,
    pub client_secret_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientSecretDescriptorType {
    pub client_secret_id: String,
    pub client_secret_value: Option<String>,
    pub client_secret_create_date: f64,
}

//! The sign-in shapes: InitiateAuth, RespondToAuthChallenge, tokens, revocation and password
//! change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};


#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateAuthRequest {
    pub user_pool_id: Option<String>,
    pub client_id: String,
    pub auth_flow: String,
    #[serde(default)]
    pub auth_parameters: BTreeMap<String, String>,
    pub client_metadata: Option<BTreeMap<String, String>>,
    pub session: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTokensFromRefreshTokenRequest {
    pub refresh_token: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub device_key: Option<String>,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RespondToAuthChallengeRequest {
    pub user_pool_id: Option<String>,
    pub client_id: String,
    pub challenge_name: String,
    pub session: Option<String>,
    #[serde(default)]
    pub challenge_responses: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthenticationResultType {
    pub access_token: String,
    pub expires_in: i64,
    pub token_type: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub new_device_metadata: Option<NewDeviceMetadataType>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewDeviceMetadataType {
    pub device_key: String,
    pub device_group_key: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessTokenInput {
    pub access_token: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RevokeTokenRequest {
    pub token: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangePasswordRequest {
    pub previous_password: Option<String>,
    pub proposed_password: String,
    pub access_token: String,
}

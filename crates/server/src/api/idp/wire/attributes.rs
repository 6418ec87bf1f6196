//! The token holder's attribute shapes.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::shared::*;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateUserAttributesRequest {
    pub user_attributes: Vec<AttributeType>,
    pub access_token: String,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeNameRequest {
    pub access_token: String,
    pub attribute_name: String,
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteUserAttributesRequest {
    pub user_attribute_names: Vec<String>,
    pub access_token: String,
}

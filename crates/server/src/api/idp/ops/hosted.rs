//! The configuration of the hosted sign-in: CreateUserPoolDomain, DescribeUserPoolDomain,
//! UpdateUserPoolDomain, DeleteUserPoolDomain, SetUICustomization, GetUICustomization, the
//! identity-provider operations, GetSigningCertificate, AdminLinkProviderForUser and
//! AdminDisableProviderForUser.
//! Authorisation: SigV4.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use cognate_domain::user_pool::hosted::{UiCustomization, UserPoolDomain};
use cognate_domain::user_pool::providers::IdentityProvider;

use super::pool_id;
use super::empty;
use crate::state::AppState;
use crate::aws::json::{parse_input, ApiError};
use crate::api::idp::error::error_from_domain;

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CustomDomainConfig {
    certificate_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DomainRequest {
    domain: String,
    user_pool_id: String,
    #[serde(default)]
    custom_domain_config: Option<CustomDomainConfig>,
    #[serde(default)]
    managed_login_version: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DomainOnly {
    domain: String,
}

/// The host name a domain answers on: a custom domain as it is, a prefix under the public host.
fn cloudfront_domain(state: &AppState, record: &UserPoolDomain) -> String {
    if record.certificate_arn.is_some() {
        return record.domain.clone();
    }
    let host = state.config.public_url.split("://").nth(1).unwrap_or("").split('/').next().unwrap_or("");
    // On a loopback address, `<prefix>.localhost` reaches this server without any DNS set-up.
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => (name, Some(port)),
        _ => (host, None),
    };
    let loopback = name == "localhost" || name.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback());
    let name = if loopback { "localhost" } else { name };
    match port {
        Some(port) => format!("{}.{name}:{port}", record.domain),
        None => format!("{}.{name}", record.domain),
    }
}

pub async fn create_user_pool_domain(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: DomainRequest = parse_input(input)?;
    let record = state
        .user_pools
        .create_user_pool_domain(&request.domain, &pool_id(&request.user_pool_id)?, request.custom_domain_config.map(|config| config.certificate_arn), request.managed_login_version)
        .await
        .map_err(error_from_domain)?;
    Ok(json!({"CloudFrontDomain": cloudfront_domain(state, &record), "ManagedLoginVersion": record.managed_login_version.unwrap_or(1)}))
}

pub async fn update_user_pool_domain(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: DomainRequest = parse_input(input)?;
    let record = state
        .user_pools
        .update_user_pool_domain(&request.domain, &pool_id(&request.user_pool_id)?, request.custom_domain_config.map(|config| config.certificate_arn), request.managed_login_version)
        .await
        .map_err(error_from_domain)?;
    Ok(json!({"CloudFrontDomain": cloudfront_domain(state, &record), "ManagedLoginVersion": record.managed_login_version.unwrap_or(1)}))
}

pub async fn describe_user_pool_domain(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: DomainOnly = parse_input(input)?;
    let Some(record) = state.user_pools.describe_user_pool_domain(&request.domain).await.map_err(error_from_domain)? else {
        return Ok(json!({"DomainDescription": {}}));
    };
    let mut description = json!({
        "UserPoolId": record.pool_id,
        "AWSAccountId": state.config.account_id,
        "Domain": record.domain,
        "CloudFrontDistribution": cloudfront_domain(state, &record),
        "Version": "1",
        "Status": "ACTIVE",
        "ManagedLoginVersion": record.managed_login_version.unwrap_or(1),
    });
    if let Some(arn) = &record.certificate_arn {
        description["CustomDomainConfig"] = json!({"CertificateArn": arn});
    }
    Ok(json!({"DomainDescription": description}))
}

pub async fn delete_user_pool_domain(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: DomainRequest = parse_input(input)?;
    state.user_pools.delete_user_pool_domain(&request.domain, &pool_id(&request.user_pool_id)?).await.map_err(error_from_domain)?;
    Ok(empty())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UiRequest {
    user_pool_id: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default, rename = "CSS")]
    css: Option<String>,
    #[serde(default)]
    image_file: Option<String>,
}

fn customization_output(state: &AppState, pool_id: &str, client_id: &str, record: Option<&UiCustomization>) -> Value {
    let Some(record) = record else {
        return json!({"UserPoolId": pool_id, "ClientId": client_id});
    };
    let mut output = json!({
        "UserPoolId": record.pool_id,
        "ClientId": record.client_id,
        "CSSVersion": record.css_version,
        "LastModifiedDate": seconds(record.modified_ms),
        "CreationDate": seconds(record.created_ms),
    });
    if let Some(css) = &record.css {
        output["CSS"] = json!(css);
    }
    if record.image.is_some() {
        output["ImageUrl"] = json!(format!("{}/{}/_ui/{}/logo?v={}", state.config.public_url, record.pool_id, record.client_id, record.css_version));
    }
    output
}

pub async fn set_ui_customization(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: UiRequest = parse_input(input)?;
    let image = request
        .image_file
        .map(|encoded| BASE64.decode(encoded.as_bytes()).map_err(|_| ApiError::serialization("ImageFile is not base64.")))
        .transpose()?;
    let record = state
        .user_pools
        .set_ui_customization(&pool_id(&request.user_pool_id)?, request.client_id.as_deref(), request.css, image)
        .await
        .map_err(error_from_domain)?;
    Ok(json!({"UICustomization": customization_output(state, &pool_id(&request.user_pool_id)?, &record.client_id, Some(&record))}))
}

pub async fn get_ui_customization(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: UiRequest = parse_input(input)?;
    let record = state.user_pools.get_ui_customization(&pool_id(&request.user_pool_id)?, request.client_id.as_deref()).await.map_err(error_from_domain)?;
    let client_id = request.client_id.unwrap_or_else(|| "ALL".into());
    Ok(json!({"UICustomization": customization_output(state, &pool_id(&request.user_pool_id)?, &client_id, record.as_ref())}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProviderRequest {
    user_pool_id: String,
    provider_name: String,
    #[serde(default)]
    provider_type: Option<String>,
    #[serde(default)]
    provider_details: Option<BTreeMap<String, String>>,
    #[serde(default)]
    attribute_mapping: Option<BTreeMap<String, String>>,
    #[serde(default)]
    idp_identifiers: Option<Vec<String>>,
}

fn provider_output(provider: &IdentityProvider) -> Value {
    json!({
        "UserPoolId": provider.pool_id,
        "ProviderName": provider.name,
        "ProviderType": provider.provider_type,
        "ProviderDetails": provider.details,
        "AttributeMapping": provider.attribute_mapping,
        "IdpIdentifiers": provider.idp_identifiers,
        "LastModifiedDate": seconds(provider.modified_ms),
        "CreationDate": seconds(provider.created_ms),
    })
}

pub async fn create_identity_provider(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ProviderRequest = parse_input(input)?;
    let provider_type = request.provider_type.ok_or_else(|| ApiError::client("InvalidParameterException", "ProviderType is required."))?;
    let details = request.provider_details.ok_or_else(|| ApiError::client("InvalidParameterException", "ProviderDetails is required."))?;
    let provider = state
        .user_pools
        .create_identity_provider(
            &pool_id(&request.user_pool_id)?,
            &request.provider_name,
            &provider_type,
            details,
            request.attribute_mapping.unwrap_or_default(),
            request.idp_identifiers.unwrap_or_default(),
        )
        .await
        .map_err(provider_error)?;
    Ok(json!({"IdentityProvider": provider_output(&provider)}))
}

/// A provider name or identifier taken is DuplicateProviderException.
fn provider_error(error: cognate_domain::DomainError) -> ApiError {
    match error {
        cognate_domain::DomainError::Conflict(message) => ApiError::client("DuplicateProviderException", message),
        other => error_from_domain(other),
    }
}

pub async fn update_identity_provider(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ProviderRequest = parse_input(input)?;
    let provider = state
        .user_pools
        .update_identity_provider(&pool_id(&request.user_pool_id)?, &request.provider_name, request.provider_details, request.attribute_mapping, request.idp_identifiers)
        .await
        .map_err(provider_error)?;
    Ok(json!({"IdentityProvider": provider_output(&provider)}))
}

pub async fn describe_identity_provider(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ProviderRequest = parse_input(input)?;
    let provider = state.user_pools.describe_identity_provider(&pool_id(&request.user_pool_id)?, &request.provider_name).await.map_err(error_from_domain)?;
    Ok(json!({"IdentityProvider": provider_output(&provider)}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SigningCertificateRequest {
    user_pool_id: String,
}

/// GetSigningCertificate: the certificate of the key the pool signs its SAML requests with.
pub async fn get_signing_certificate(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: SigningCertificateRequest = parse_input(input)?;
    let certificate = state.user_pools.get_signing_certificate(&pool_id(&request.user_pool_id)?).await.map_err(error_from_domain)?;
    Ok(json!({"Certificate": certificate}))
}

pub async fn delete_identity_provider(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ProviderRequest = parse_input(input)?;
    state.user_pools.delete_identity_provider(&pool_id(&request.user_pool_id)?, &request.provider_name).await.map_err(error_from_domain)?;
    Ok(empty())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListProvidersRequest {
    user_pool_id: String,
    #[serde(default)]
    max_results: Option<i32>,
    #[serde(default)]
    next_token: Option<String>,
}

pub async fn list_identity_providers(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ListProvidersRequest = parse_input(input)?;
    let (providers, next) = state
        .user_pools
        .list_identity_providers(&pool_id(&request.user_pool_id)?, request.max_results, request.next_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    let providers: Vec<Value> = providers
        .iter()
        .map(|provider| {
            json!({
                "ProviderName": provider.name,
                "ProviderType": provider.provider_type,
                "LastModifiedDate": seconds(provider.modified_ms),
                "CreationDate": seconds(provider.created_ms),
            })
        })
        .collect();
    Ok(json!({"Providers": providers, "NextToken": next}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ByIdentifierRequest {
    user_pool_id: String,
    idp_identifier: String,
}

pub async fn get_identity_provider_by_identifier(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: ByIdentifierRequest = parse_input(input)?;
    let provider = state
        .user_pools
        .get_identity_provider_by_identifier(&pool_id(&request.user_pool_id)?, &request.idp_identifier)
        .await
        .map_err(error_from_domain)?;
    Ok(json!({"IdentityProvider": provider_output(&provider)}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProviderUser {
    #[serde(default)]
    provider_name: String,
    #[serde(default)]
    provider_attribute_name: Option<String>,
    #[serde(default)]
    provider_attribute_value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LinkRequest {
    user_pool_id: String,
    destination_user: ProviderUser,
    source_user: ProviderUser,
}

pub async fn admin_link_provider_for_user(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: LinkRequest = parse_input(input)?;
    let source = &request.source_user;
    state
        .user_pools
        .admin_link_provider_for_user(
            &pool_id(&request.user_pool_id)?,
            (&request.destination_user.provider_name, &request.destination_user.provider_attribute_value),
            (&source.provider_name, source.provider_attribute_name.as_deref().unwrap_or(""), &source.provider_attribute_value),
        )
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DisableRequest {
    user_pool_id: String,
    user: ProviderUser,
}

pub async fn admin_disable_provider_for_user(state: &AppState, input: &[u8]) -> Result<Value, ApiError> {
    let request: DisableRequest = parse_input(input)?;
    let user = &request.user;
    state
        .user_pools
        .admin_disable_provider_for_user(&pool_id(&request.user_pool_id)?, &user.provider_name, user.provider_attribute_name.as_deref().unwrap_or(""), &user.provider_attribute_value)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

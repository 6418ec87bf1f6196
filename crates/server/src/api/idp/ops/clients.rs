//! CreateUserPoolClient, DescribeUserPoolClient, UpdateUserPoolClient, DeleteUserPoolClient and
//! ListUserPoolClients. Authorisation: SigV4 with the root credentials.

use serde_json::{json, Value};

use cognate_domain::user_pool::{AppClient, AppClientSettings, ClientOAuthSettings, ClientSecretDescriptor, ExplicitAuthFlow, PreventUserExistenceErrors, TokenValidityUnits};

use super::{client_id, empty, pool_id};
use crate::state::AppState;
use crate::aws::json::{parse_input, timestamp, to_body, ApiError};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;

fn settings_from_input(input: UserPoolClientSettingsInput) -> Result<AppClientSettings, ApiError> {
    Ok(AppClientSettings {
        name: input.client_name.unwrap_or_default(),
        refresh_token_validity: input.refresh_token_validity.unwrap_or(30),
        access_token_validity: input.access_token_validity,
        id_token_validity: input.id_token_validity,
        token_validity_units: input.token_validity_units.map(|units| TokenValidityUnits {
            access_token: units.access_token,
            id_token: units.id_token,
            refresh_token: units.refresh_token,
        }),
        read_attributes: input.read_attributes,
        write_attributes: input.write_attributes,
        explicit_auth_flows: input
            .explicit_auth_flows
            .map(|flows| flows.iter().map(|flow| ExplicitAuthFlow::parse(flow)).collect::<Result<Vec<_>, _>>())
            .transpose()
            .map_err(error_from_domain)?,
        prevent_user_existence_errors: input
            .prevent_user_existence_errors
            .as_deref()
            .map(PreventUserExistenceErrors::parse)
            .transpose()
            .map_err(error_from_domain)?
            .unwrap_or(PreventUserExistenceErrors::Legacy),
        enable_token_revocation: input.enable_token_revocation.unwrap_or(true),
        enable_propagate_additional_user_context_data: input.enable_propagate_additional_user_context_data.unwrap_or(false),
        auth_session_validity: input.auth_session_validity.unwrap_or(3),
        oauth: ClientOAuthSettings {
            supported_identity_providers: input.supported_identity_providers,
            callback_urls: input.callback_urls,
            logout_urls: input.logout_urls,
            default_redirect_uri: input.default_redirect_uri,
            allowed_oauth_flows: input.allowed_oauth_flows,
            allowed_oauth_scopes: input.allowed_oauth_scopes,
            allowed_oauth_flows_user_pool_client: input.allowed_oauth_flows_user_pool_client.unwrap_or(false),
        },
        opaque: input.opaque.into_opaque(),
    })
}

fn client_output(client: &AppClient, secret: Option<String>) -> UserPoolClientType {
    let settings = &client.settings;
    UserPoolClientType {
        user_pool_id: client.pool_id.to_string(),
        client_name: settings.name.clone(),
        client_id: client.client_id.to_string(),
        client_secret: secret,
        last_modified_date: timestamp(client.modified_ms),
        creation_date: timestamp(client.created_ms),
        refresh_token_validity: settings.refresh_token_validity,
        access_token_validity: settings.access_token_validity,
        id_token_validity: settings.id_token_validity,
        token_validity_units: settings.token_validity_units.as_ref().map(|units| TokenValidityUnitsType {
            access_token: units.access_token.clone(),
            id_token: units.id_token.clone(),
            refresh_token: units.refresh_token.clone(),
        }),
        read_attributes: settings.read_attributes.clone(),
        write_attributes: settings.write_attributes.clone(),
        explicit_auth_flows: settings
            .explicit_auth_flows
            .as_ref()
            .map(|flows| flows.iter().map(|flow| flow.as_str().to_string()).collect()),
        supported_identity_providers: settings.oauth.supported_identity_providers.clone(),
        callback_urls: settings.oauth.callback_urls.clone(),
        logout_urls: settings.oauth.logout_urls.clone(),
        default_redirect_uri: settings.oauth.default_redirect_uri.clone(),
        allowed_oauth_flows: settings.oauth.allowed_oauth_flows.clone(),
        allowed_oauth_scopes: settings.oauth.allowed_oauth_scopes.clone(),
        allowed_oauth_flows_user_pool_client: settings.oauth.allowed_oauth_flows_user_pool_client,
        analytics_configuration: settings.opaque.get("AnalyticsConfiguration").cloned(),
        prevent_user_existence_errors: settings.prevent_user_existence_errors.as_str().to_string(),
        enable_token_revocation: settings.enable_token_revocation,
        enable_propagate_additional_user_context_data: settings.enable_propagate_additional_user_context_data,
        auth_session_validity: settings.auth_session_validity,
        refresh_token_rotation: settings.opaque.get("RefreshTokenRotation").cloned(),
    }
}

/// CreateUserPoolClient's client settings as the domain takes them.
pub fn create_user_pool_client_settings(raw: &[u8]) -> Result<AppClientSettings, ApiError> {
    let extra: CreateUserPoolClientExtra = parse_input(raw)?;
    let mut settings_input: UserPoolClientSettingsInput = parse_input(raw)?;
    settings_input.client_name = Some(extra.client_name);
    settings_from_input(settings_input)
}

pub async fn create_user_pool_client(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let extra: CreateUserPoolClientExtra = parse_input(raw)?;
    let settings = create_user_pool_client_settings(raw)?;
    let (client, secret) = state
        .user_pools
        .create_user_pool_client(&pool_id(&extra.user_pool_id)?, settings, extra.generate_secret.unwrap_or(false), extra.client_secret)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "UserPoolClient": client_output(&client, secret) }))
}

pub async fn describe_user_pool_client(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ClientIdInput = parse_input(raw)?;
    let (client, secret) = state
        .user_pools
        .describe_user_pool_client(&pool_id(&input.user_pool_id)?, &client_id(&input.client_id)?)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "UserPoolClient": client_output(&client, secret) }))
}

pub async fn update_user_pool_client(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let ids: ClientIdInput = parse_input(raw)?;
    let settings_input: UserPoolClientSettingsInput = parse_input(raw)?;
    let settings = settings_from_input(settings_input)?;
    let (client, secret) = state
        .user_pools
        .update_user_pool_client(&pool_id(&ids.user_pool_id)?, &client_id(&ids.client_id)?, settings)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "UserPoolClient": client_output(&client, secret) }))
}

pub async fn delete_user_pool_client(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ClientIdInput = parse_input(raw)?;
    state
        .user_pools
        .delete_user_pool_client(&pool_id(&input.user_pool_id)?, &client_id(&input.client_id)?)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_user_pool_clients(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ListUserPoolClientsRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .list_user_pool_clients(&pool_id(&input.user_pool_id)?, input.next_token.as_deref(), input.max_results)
        .await
        .map_err(error_from_domain)?;
    let clients: Vec<UserPoolClientDescription> = page
        .items
        .iter()
        .map(|client| UserPoolClientDescription {
            client_id: client.client_id.to_string(),
            user_pool_id: client.pool_id.to_string(),
            client_name: client.settings.name.clone(),
        })
        .collect();
    to_body(&json!({ "UserPoolClients": clients, "NextToken": page.next_token }))
}

fn secret_output(secret: ClientSecretDescriptor) -> ClientSecretDescriptorType {
    ClientSecretDescriptorType {
        client_secret_id: secret.id,
        client_secret_value: secret.value,
        client_secret_create_date: timestamp(secret.created_ms),
    }
}

/// AddUserPoolClientSecret: a second secret for a confidential client (the generated value is
/// answered this once).
pub async fn add_user_pool_client_secret(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AddUserPoolClientSecretRequest = parse_input(raw)?;
    let secret = state
        .user_pools
        .add_user_pool_client_secret(&pool_id(&input.user_pool_id)?, &client_id(&input.client_id)?, input.client_secret)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "ClientSecretDescriptor": secret_output(secret) }))
}

/// ListUserPoolClientSecrets: the ids and creation times of a client's secrets.
pub async fn list_user_pool_client_secrets(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ListUserPoolClientSecretsRequest = parse_input(raw)?;
    let secrets = state
        .user_pools
        .list_user_pool_client_secrets(&pool_id(&input.user_pool_id)?, &client_id(&input.client_id)?)
        .await
        .map_err(error_from_domain)?;
    let secrets: Vec<ClientSecretDescriptorType> = secrets.into_iter().map(secret_output).collect();
    to_body(&json!({ "ClientSecrets": secrets }))
}

/// DeleteUserPoolClientSecret: any secret but a client's last.
pub async fn delete_user_pool_client_secret(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: DeleteUserPoolClientSecretRequest = parse_input(raw)?;
    state
        .user_pools
        .delete_user_pool_client_secret(&pool_id(&input.user_pool_id)?, &client_id(&input.client_id)?, &input.client_secret_id)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

//! StartWebAuthnRegistration, CompleteWebAuthnRegistration, ListWebAuthnCredentials and
//! DeleteWebAuthnCredential. Authorisation: the user's access token.

use serde_json::Value;

use super::empty;
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;
use crate::aws::json::{parse_input, timestamp, to_body, ApiError};
use crate::state::AppState;

pub async fn start_web_authn_registration(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AccessTokenInput = parse_input(raw)?;
    let options = state.user_pools.start_web_authn_registration(&input.access_token).await.map_err(error_from_domain)?;
    to_body(&StartWebAuthnRegistrationResponse { credential_creation_options: options })
}

pub async fn complete_web_authn_registration(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: CompleteWebAuthnRegistrationRequest = parse_input(raw)?;
    state.user_pools.complete_web_authn_registration(&input.access_token, &input.credential).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_web_authn_credentials(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ListWebAuthnCredentialsRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .list_web_authn_credentials(&input.access_token, input.max_results, input.next_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    let credentials = page
        .items
        .into_iter()
        .map(|passkey| WebAuthnCredentialDescription {
            credential_id: passkey.credential_id,
            friendly_credential_name: passkey.friendly_name,
            relying_party_id: passkey.relying_party_id,
            authenticator_attachment: passkey.attachment,
            authenticator_transports: passkey.transports,
            created_at: timestamp(passkey.created_ms),
        })
        .collect();
    to_body(&ListWebAuthnCredentialsResponse { credentials, next_token: page.next_token })
}

pub async fn delete_web_authn_credential(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: DeleteWebAuthnCredentialRequest = parse_input(raw)?;
    state.user_pools.delete_web_authn_credential(&input.access_token, &input.credential_id).await.map_err(error_from_domain)?;
    Ok(empty())
}

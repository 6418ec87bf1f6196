//! OpenID Connect providers: CreateOpenIDConnectProvider, GetOpenIDConnectProvider,
//! ListOpenIDConnectProviders, DeleteOpenIDConnectProvider and their client ids.

use crate::api::iam::error::error_from_domain;
use crate::api::iam::wire::*;
use crate::aws::query::{QueryError, QueryInput, Xml};
use crate::state::AppState;

pub async fn create_oidc_provider(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = CreateOidcProviderRequest::from_query(input)?;
    let provider = state
        .iam
        .create_oidc_provider(&request.url, request.client_ids, request.thumbprints, request.tags)
        .await
        .map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.text("OpenIDConnectProviderArn", &provider.arn);
    tags_xml(&mut xml, &provider.tags);
    Ok(xml.finish())
}

pub async fn get_oidc_provider(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = OidcProviderArnRequest::from_query(input)?;
    let provider = state.iam.get_oidc_provider(&request.arn).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    provider_xml(&mut xml, &provider);
    Ok(xml.finish())
}

pub async fn list_oidc_providers(state: &AppState) -> Result<String, QueryError> {
    let providers = state.iam.list_oidc_providers().await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("OpenIDConnectProviderList");
    for provider in &providers {
        xml.open("member").text("Arn", &provider.arn).close("member");
    }
    xml.close("OpenIDConnectProviderList");
    Ok(xml.finish())
}

pub async fn delete_oidc_provider(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = OidcProviderArnRequest::from_query(input)?;
    state.iam.delete_oidc_provider(&request.arn).await.map_err(error_from_domain)?;
    Ok(String::new())
}

/// AddClientIDToOpenIDConnectProvider (`add`) and RemoveClientIDFromOpenIDConnectProvider.
pub async fn change_client_id(state: &AppState, input: &QueryInput, add: bool) -> Result<String, QueryError> {
    let request = OidcClientIdRequest::from_query(input)?;
    state.iam.change_oidc_client_id(&request.arn, &request.client_id, add).await.map_err(error_from_domain)?;
    Ok(String::new())
}

//! SAML providers: CreateSAMLProvider, GetSAMLProvider, ListSAMLProviders, UpdateSAMLProvider
//! and DeleteSAMLProvider.

use crate::api::iam::error::error_from_domain;
use crate::api::iam::saml_wire::*;
use crate::api::iam::wire::{tags_xml, FromQuery};
use crate::aws::query::{QueryError, QueryInput, Xml};
use crate::state::AppState;

pub async fn create_saml_provider(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = CreateSamlProviderRequest::from_query(input)?;
    let provider = state.iam.create_saml_provider(&request.name, &request.metadata_document, request.tags, &request.encryption).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.text("SAMLProviderArn", &provider.arn);
    tags_xml(&mut xml, &provider.tags);
    Ok(xml.finish())
}

pub async fn get_saml_provider(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = SamlProviderArnRequest::from_query(input)?;
    let provider = state.iam.get_saml_provider(&request.arn).await.map_err(error_from_domain)?;
    Ok(saml_provider_xml(&provider))
}

pub async fn list_saml_providers(state: &AppState) -> Result<String, QueryError> {
    let providers = state.iam.list_saml_providers().await.map_err(error_from_domain)?;
    Ok(saml_providers_xml(&providers))
}

pub async fn update_saml_provider(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = UpdateSamlProviderRequest::from_query(input)?;
    let provider = state.iam.update_saml_provider(&request.arn, request.metadata_document.as_deref(), &request.encryption).await.map_err(error_from_domain)?;
    Ok(Xml::new().text("SAMLProviderArn", &provider.arn).finish())
}

pub async fn delete_saml_provider(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = SamlProviderArnRequest::from_query(input)?;
    state.iam.delete_saml_provider(&request.arn).await.map_err(error_from_domain)?;
    Ok(String::new())
}

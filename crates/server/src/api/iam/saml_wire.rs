//! The typed requests of IAM's SAML providers, each naming the provider ARN a policy decides
//! on, and the XML of their answers.

use std::collections::BTreeMap;

use cognate_domain::clock::format_iso8601;
use cognate_domain::iam::saml::{SamlEncryptionChange, SamlProvider};
use cognate_domain::ids::arn;

use crate::api::iam::wire::{required, tags_xml, ActsOn, FromQuery};
use crate::aws::query::{QueryError, QueryInput, Xml};

pub struct CreateSamlProviderRequest {
    pub name: String,
    pub metadata_document: String,
    pub tags: BTreeMap<String, String>,
    pub encryption: SamlEncryptionChange,
}

/// GetSAMLProvider and DeleteSAMLProvider.
pub struct SamlProviderArnRequest {
    pub arn: String,
}

pub struct UpdateSamlProviderRequest {
    pub arn: String,
    pub metadata_document: Option<String>,
    pub encryption: SamlEncryptionChange,
}

/// AssertionEncryptionMode, AddPrivateKey and RemovePrivateKey.
fn encryption_change(input: &QueryInput) -> SamlEncryptionChange {
    let member = |name: &str| input.get(name).map(str::to_string);
    SamlEncryptionChange { mode: member("AssertionEncryptionMode"), add_key: member("AddPrivateKey"), remove_key: member("RemovePrivateKey") }
}

impl FromQuery for CreateSamlProviderRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(CreateSamlProviderRequest {
            name: required(input, "Name")?,
            metadata_document: required(input, "SAMLMetadataDocument")?,
            tags: input.tags("Tags"),
            encryption: encryption_change(input),
        })
    }
}

impl FromQuery for SamlProviderArnRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(SamlProviderArnRequest { arn: required(input, "SAMLProviderArn")? })
    }
}

impl FromQuery for UpdateSamlProviderRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(UpdateSamlProviderRequest {
            arn: required(input, "SAMLProviderArn")?,
            metadata_document: input.get("SAMLMetadataDocument").map(str::to_string),
            encryption: encryption_change(input),
        })
    }
}

impl ActsOn for CreateSamlProviderRequest {
    fn resource(&self, account_id: &str) -> String {
        arn::saml_provider(account_id, &self.name)
    }
}

impl ActsOn for SamlProviderArnRequest {
    fn resource(&self, _account_id: &str) -> String {
        self.arn.clone()
    }
}

impl ActsOn for UpdateSamlProviderRequest {
    fn resource(&self, _account_id: &str) -> String {
        self.arn.clone()
    }
}

/// The members of GetSAMLProvider.
pub fn saml_provider_xml(provider: &SamlProvider) -> String {
    let mut xml = Xml::new();
    xml.text("SAMLProviderUUID", &provider.uuid)
        .text("SAMLMetadataDocument", &provider.metadata_document)
        .text("CreateDate", &format_iso8601(provider.created_ms.div_euclid(1000)))
        .text("ValidUntil", &format_iso8601(provider.valid_until))
        .text("AssertionEncryptionMode", provider.encryption_mode());
    if !provider.private_keys.is_empty() {
        xml.open("PrivateKeyList");
        for key in &provider.private_keys {
            xml.open("member").text("KeyId", &key.key_id).text("Timestamp", &format_iso8601(key.created_ms.div_euclid(1000))).close("member");
        }
        xml.close("PrivateKeyList");
    }
    tags_xml(&mut xml, &provider.tags);
    xml.finish()
}

/// The members of ListSAMLProviders.
pub fn saml_providers_xml(providers: &[SamlProvider]) -> String {
    let mut xml = Xml::new();
    xml.open("SAMLProviderList");
    for provider in providers {
        xml.open("member")
            .text("Arn", &provider.arn)
            .text("ValidUntil", &format_iso8601(provider.valid_until))
            .text("CreateDate", &format_iso8601(provider.created_ms.div_euclid(1000)))
            .close("member");
    }
    xml.close("SAMLProviderList");
    xml.finish()
}

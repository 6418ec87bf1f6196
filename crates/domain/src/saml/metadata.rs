//! An identity provider's SAML metadata: its entity id, the certificates it signs with, its
//! single sign-on and logout endpoints, and how long the document says it is valid.

use roxmltree::Node;

use super::der::rsa_public_key;
use super::xml::{base64_of, children, is, parse, text_of, DS, MD};
use crate::clock::parse_iso8601;
use crate::error::{DomainError, DomainResult};

pub const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// What a relying party takes from an IdP's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    pub entity_id: String,
    /// The signing certificates' RSA public keys (PKCS#1 DER).
    pub signing_keys: Vec<Vec<u8>>,
    /// `validUntil` of the entity (or of the document around it), epoch seconds.
    pub valid_until: Option<i64>,
    /// SingleSignOnService locations by binding.
    pub sign_on: Vec<(String, String)>,
    /// SingleLogoutService locations by binding.
    pub logout: Vec<(String, String)>,
}

fn refused(message: impl Into<String>) -> DomainError {
    DomainError::InvalidParameter(message.into())
}

impl IdpMetadata {
    /// Reads a metadata document: one EntityDescriptor with an IDPSSODescriptor (alone or as
    /// the only identity provider of an EntitiesDescriptor) and at least one signing certificate
    /// with an RSA key.
    pub fn parse(text: &str) -> DomainResult<IdpMetadata> {
        let document = parse(text, "SAML metadata document").map_err(|error| refused(error.to_string()))?;
        let root = document.root_element();
        let (entity, outer_valid_until) = if is(root, MD, "EntityDescriptor") {
            (root, None)
        } else if is(root, MD, "EntitiesDescriptor") {
            let mut idps = root.descendants().filter(|node| is(*node, MD, "EntityDescriptor") && children(*node, MD, "IDPSSODescriptor").next().is_some());
            let entity = idps.next().ok_or_else(|| refused("The SAML metadata describes no identity provider."))?;
            if idps.next().is_some() {
                return Err(refused("The SAML metadata describes more than one identity provider."));
            }
            (entity, root.attribute("validUntil"))
        } else {
            return Err(refused("The SAML metadata document is not an EntityDescriptor."));
        };
        let entity_id = entity.attribute("entityID").filter(|id| !id.is_empty() && id.len() <= 1024).ok_or_else(|| refused("The SAML metadata has no entityID."))?;
        let descriptor = children(entity, MD, "IDPSSODescriptor").next().ok_or_else(|| refused("The SAML metadata has no IDPSSODescriptor."))?;
        let mut signing_keys = Vec::new();
        for key in children(descriptor, MD, "KeyDescriptor").filter(|key| key.attribute("use").is_none_or(|usage| usage == "signing")) {
            for certificate in key.descendants().filter(|node| is(*node, DS, "X509Certificate")) {
                let der = base64_of(&text_of(certificate)).map_err(|_| refused("A certificate in the SAML metadata is not base64."))?;
                signing_keys.push(rsa_public_key(&der)?);
            }
        }
        if signing_keys.is_empty() {
            return Err(refused("The SAML metadata has no signing certificate."));
        }
        let valid_until = match entity.attribute("validUntil").or(outer_valid_until) {
            Some(text) => Some(parse_iso8601(text).ok_or_else(|| refused("The SAML metadata's validUntil is not a date."))?),
            None => None,
        };
        Ok(IdpMetadata {
            entity_id: entity_id.to_string(),
            signing_keys,
            valid_until,
            sign_on: endpoints(descriptor, "SingleSignOnService"),
            logout: endpoints(descriptor, "SingleLogoutService"),
        })
    }
}

fn endpoints(descriptor: Node<'_, '_>, name: &str) -> Vec<(String, String)> {
    children(descriptor, MD, name)
        .filter_map(|service| Some((service.attribute("Binding")?.to_string(), service.attribute("Location")?.to_string())))
        .collect()
}

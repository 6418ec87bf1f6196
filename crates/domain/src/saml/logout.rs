//! Single logout as a service provider: the LogoutRequest this side sends for a user's IdP
//! session, and the IdP's LogoutResponse (HTTP-POST binding) verified: signed over itself by a
//! key of the metadata, addressed to this side's logout URL, answering the request sent, from
//! the IdP's entity id, with status Success.

use super::dsig::verify_enveloped;
use super::metadata::IdpMetadata;
use super::xml::{decoded, invalid, is, only_child, parse, status_of, text_of, SAML, SAMLP};
use crate::error::DomainResult;

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// What a LogoutRequest names: the request's ID, where it goes, who sends it, and the IdP's
/// session (the NameID, its format, the SessionIndex of the sign-in).
pub struct LogoutRequest<'a> {
    pub id: &'a str,
    pub issue_instant: &'a str,
    pub destination: &'a str,
    pub issuer: &'a str,
    pub name_id: &'a str,
    pub name_id_format: Option<&'a str>,
    pub session_index: Option<&'a str>,
}

impl LogoutRequest<'_> {
    pub fn xml(&self) -> String {
        let format = self.name_id_format.map(|format| format!(" Format=\"{}\"", escape(format))).unwrap_or_default();
        let session = self.session_index.map(|index| format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", escape(index))).unwrap_or_default();
        format!(
            "<samlp:LogoutRequest xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{}\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{}\">\
             <saml:Issuer>{}</saml:Issuer><saml:NameID{format}>{}</saml:NameID>{session}</samlp:LogoutRequest>",
            escape(self.id),
            escape(self.issue_instant),
            escape(self.destination),
            escape(self.issuer),
            escape(self.name_id),
        )
    }
}

/// Verifies a base64 LogoutResponse posted to `destination` in answer to `request_id`.
pub fn verify_logout_response(encoded: &str, metadata: &IdpMetadata, destination: &str, request_id: &str) -> DomainResult<()> {
    let source = decoded(encoded, "SAML logout response", 64 * 1024)?;
    let document = parse(&source, "SAML logout response")?;
    let response = document.root_element();
    if !is(response, SAMLP, "LogoutResponse") || response.attribute("Version") != Some("2.0") {
        return Err(invalid("The document is not a SAML 2.0 LogoutResponse."));
    }
    if response.attribute("Destination").is_some_and(|stated| stated != destination) {
        return Err(invalid("The SAML logout response is addressed to another service."));
    }
    if response.attribute("InResponseTo") != Some(request_id) {
        return Err(invalid("The SAML logout response does not answer this service's request."));
    }
    if only_child(response, SAML, "Issuer")?.map(text_of).as_deref() != Some(metadata.entity_id.as_str()) {
        return Err(invalid("The SAML logout response's issuer is not the identity provider."));
    }
    if !verify_enveloped(&source, response, &metadata.signing_keys, false)? {
        return Err(invalid("The SAML logout response is not signed."));
    }
    let status = status_of(response)?;
    if status != SUCCESS {
        return Err(invalid(format!("The identity provider did not sign the user out (status {status}).")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Over a pysaml2 identity provider's own LogoutResponse (`testdata/`, `make_fixtures.py`).
    use super::*;
    use base64::Engine as _;

    const METADATA: &str = include_str!("testdata/idp_metadata.xml");
    const RESPONSE: &str = include_str!("testdata/logout_response.xml");
    const LOGOUT_URL: &str = "https://sp.corp.test/saml2/logout";

    fn check(xml: &str, destination: &str, request_id: &str) -> DomainResult<()> {
        let metadata = IdpMetadata::parse(METADATA).unwrap();
        verify_logout_response(&base64::engine::general_purpose::STANDARD.encode(xml), &metadata, destination, request_id)
    }

    #[test]
    fn the_identity_providers_logout_response_verifies() {
        check(RESPONSE, LOGOUT_URL, "_logout-request-1").unwrap();
    }

    #[test]
    fn another_request_another_destination_or_a_changed_status_is_refused() {
        assert!(check(RESPONSE, LOGOUT_URL, "_logout-request-2").unwrap_err().to_string().contains("does not answer"));
        assert!(check(RESPONSE, "https://other.example/saml2/logout", "_logout-request-1").unwrap_err().to_string().contains("another service"));
        let failed = RESPONSE.replace("status:Success", "status:Responder");
        assert_ne!(failed, RESPONSE);
        assert!(check(&failed, LOGOUT_URL, "_logout-request-1").unwrap_err().to_string().contains("digest"));
        let start = RESPONSE.find("<ns2:Signature").unwrap();
        let end = RESPONSE.find("</ns2:Signature>").unwrap() + "</ns2:Signature>".len();
        let unsigned = format!("{}{}", &RESPONSE[..start], &RESPONSE[end..]);
        assert!(check(&unsigned, LOGOUT_URL, "_logout-request-1").unwrap_err().to_string().contains("not signed"));
    }
}

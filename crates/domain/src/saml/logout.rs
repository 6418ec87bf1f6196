//! Single logout as a service provider: the LogoutRequest this side sends for a user's IdP
//! session and the IdP's LogoutResponse to it, and the LogoutRequest an IdP sends when the user
//! signs out there, with this side's LogoutResponse. What arrives is verified: signed by a key of
//! the metadata (over itself for HTTP-POST, over the query for HTTP-Redirect, checked by the
//! caller), addressed to this side's logout URL, from the IdP's entity id; a response answers
//! the request sent and says Success, a request is recent.

use roxmltree::Node;

use super::dsig::verify_enveloped;
use super::metadata::IdpMetadata;
use super::response::{time_of, SKEW_MS};
use super::xml::{children, decoded, invalid, is, only_child, parse, status_of, text_of, SAML, SAMLP};
use crate::error::DomainResult;

pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
pub const UNKNOWN_PRINCIPAL: &str = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal";
/// How old an IdP's LogoutRequest may be (its IssueInstant), beside the clock skew.
const REQUEST_LIFETIME_MS: i64 = 5 * 60 * 1000;

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

/// This side's LogoutResponse to an IdP's LogoutRequest: the status, and under it a second-level
/// status when there is one.
pub struct LogoutResponse<'a> {
    pub id: &'a str,
    pub issue_instant: &'a str,
    pub destination: &'a str,
    pub issuer: &'a str,
    pub in_response_to: &'a str,
    pub status: &'a str,
    pub detail: Option<&'a str>,
}

impl LogoutResponse<'_> {
    pub fn xml(&self) -> String {
        let detail = self.detail.map(|detail| format!("<samlp:StatusCode Value=\"{}\"/>", escape(detail))).unwrap_or_default();
        format!(
            "<samlp:LogoutResponse xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{}\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{}\" InResponseTo=\"{}\">\
             <saml:Issuer>{}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"{}\">{detail}</samlp:StatusCode></samlp:Status></samlp:LogoutResponse>",
            escape(self.id),
            escape(self.issue_instant),
            escape(self.destination),
            escape(self.in_response_to),
            escape(self.issuer),
            escape(self.status),
        )
    }
}

/// The XML of a message of the HTTP-POST binding (base64, at most 64 KiB).
pub fn posted_message(encoded: &str) -> DomainResult<String> {
    decoded(encoded, "SAML message", 64 * 1024)
}

/// The issuer a SAML protocol message names, unverified: it says whose keys to verify it with.
pub fn claimed_message_issuer(xml: &str) -> Option<String> {
    let document = parse(xml, "SAML message").ok()?;
    only_child(document.root_element(), SAML, "Issuer").ok()?.map(text_of)
}

/// What every logout message from the IdP must be: the element `kind` of SAML 2.0 (`what` in
/// errors), addressed to `destination` when it names one, issued by the IdP, and signed by a key
/// of its metadata — over itself, or over the HTTP-Redirect query (`signed_by_binding`, checked
/// before this).
struct Envelope<'a> {
    kind: &'a str,
    what: &'a str,
    metadata: &'a IdpMetadata,
    destination: &'a str,
    signed_by_binding: bool,
    allow_sha1: bool,
}

impl Envelope<'_> {
    fn check(&self, xml: &str, message: Node<'_, '_>) -> DomainResult<()> {
        let what = self.what;
        if !is(message, SAMLP, self.kind) || message.attribute("Version") != Some("2.0") {
            return Err(invalid(format!("The document is not a SAML 2.0 {}.", self.kind)));
        }
        if message.attribute("Destination").is_some_and(|stated| stated != self.destination) {
            return Err(invalid(format!("The {what} is addressed to another service.")));
        }
        if only_child(message, SAML, "Issuer")?.map(text_of).as_deref() != Some(self.metadata.entity_id.as_str()) {
            return Err(invalid(format!("The {what}'s issuer is not the identity provider.")));
        }
        if !verify_enveloped(xml, message, &self.metadata.signing_keys, self.allow_sha1)? && !self.signed_by_binding {
            return Err(invalid(format!("The {what} is not signed.")));
        }
        Ok(())
    }
}

/// Verifies an IdP's LogoutResponse `xml` posted or redirected to `destination` in answer to
/// `request_id`. `signed_by_binding`: the HTTP-Redirect query's signature was verified;
/// otherwise the response must carry its own.
pub fn verify_logout_response(xml: &str, metadata: &IdpMetadata, destination: &str, request_id: &str, signed_by_binding: bool) -> DomainResult<()> {
    let document = parse(xml, "SAML logout response")?;
    let response = document.root_element();
    let envelope = Envelope { kind: "LogoutResponse", what: "SAML logout response", metadata, destination, signed_by_binding, allow_sha1: false };
    envelope.check(xml, response)?;
    if response.attribute("InResponseTo") != Some(request_id) {
        return Err(invalid("The SAML logout response does not answer this service's request."));
    }
    let status = status_of(response)?;
    if status != SUCCESS {
        return Err(invalid(format!("The identity provider did not sign the user out (status {status}).")));
    }
    Ok(())
}

/// What an IdP's LogoutRequest asks: that the session of NameID end (those of the SessionIndexes
/// it lists, or all of them when it lists none).
#[derive(Debug)]
pub struct IdpLogoutRequest {
    pub id: String,
    pub name_id: String,
    pub session_indexes: Vec<String>,
    /// Until when the request could be taken, so until when its ID must be remembered.
    pub valid_until_ms: i64,
}

/// Verifies an IdP's LogoutRequest `xml` sent to `destination`, as [`verify_logout_response`]
/// does a response; it must have been issued in the last few minutes and not be past its
/// NotOnOrAfter. Encrypted NameIDs are refused.
pub fn verify_logout_request(xml: &str, metadata: &IdpMetadata, destination: &str, now_ms: i64, signed_by_binding: bool, allow_sha1: bool) -> DomainResult<IdpLogoutRequest> {
    const WHAT: &str = "SAML logout request";
    let document = parse(xml, WHAT)?;
    let request = document.root_element();
    let envelope = Envelope { kind: "LogoutRequest", what: WHAT, metadata, destination, signed_by_binding, allow_sha1 };
    envelope.check(xml, request)?;
    let id = request.attribute("ID").filter(|id| !id.is_empty() && id.len() <= 256).ok_or_else(|| invalid("The SAML logout request has no ID."))?;
    let time = |name: &str| time_of(request, name, WHAT);
    let issued = time("IssueInstant")?.ok_or_else(|| invalid("The SAML logout request has no IssueInstant."))?;
    if issued > now_ms + SKEW_MS || issued + REQUEST_LIFETIME_MS + SKEW_MS <= now_ms {
        return Err(invalid("The SAML logout request was not issued within the last few minutes."));
    }
    let not_on_or_after = time("NotOnOrAfter")?;
    if not_on_or_after.is_some_and(|until| until + SKEW_MS <= now_ms) {
        return Err(invalid("The SAML logout request has expired (NotOnOrAfter)."));
    }
    if only_child(request, SAML, "EncryptedID")?.is_some() {
        return Err(invalid("An encrypted NameID in a logout request is not accepted here."));
    }
    let name_id = only_child(request, SAML, "NameID")?.map(text_of).filter(|name| !name.is_empty()).ok_or_else(|| invalid("The SAML logout request names no NameID."))?;
    let session_indexes = children(request, SAMLP, "SessionIndex").map(text_of).collect();
    let valid_until_ms = issued + REQUEST_LIFETIME_MS + SKEW_MS;
    Ok(IdpLogoutRequest { id: id.to_string(), name_id, session_indexes, valid_until_ms })
}

#[cfg(test)]
mod tests {
    //! Over a pysaml2 identity provider's own LogoutResponse (`testdata/`, `make_fixtures.py`).
    use super::*;

    const METADATA: &str = include_str!("testdata/idp_metadata.xml");
    const RESPONSE: &str = include_str!("testdata/logout_response.xml");
    const REQUEST: &str = include_str!("testdata/logout_request.xml");
    const LOGOUT_URL: &str = "https://sp.corp.test/saml2/logout";

    fn check(xml: &str, destination: &str, request_id: &str) -> DomainResult<()> {
        let metadata = IdpMetadata::parse(METADATA).unwrap();
        verify_logout_response(xml, &metadata, destination, request_id, false)
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

    fn issued_ms(xml: &str) -> i64 {
        let document = parse(xml, "test").unwrap();
        time_of(document.root_element(), "IssueInstant", "test").unwrap().unwrap()
    }

    fn take(xml: &str, now_ms: i64, signed_by_binding: bool) -> DomainResult<IdpLogoutRequest> {
        let metadata = IdpMetadata::parse(METADATA).unwrap();
        verify_logout_request(xml, &metadata, LOGOUT_URL, now_ms, signed_by_binding, false)
    }

    #[test]
    fn the_identity_providers_logout_request_verifies_while_it_is_recent() {
        let issued = issued_ms(REQUEST);
        let request = take(REQUEST, issued + 60_000, false).unwrap();
        assert_eq!((request.id.as_str(), request.name_id.as_str()), ("_idp-logout-1", "alice"));
        assert_eq!(request.session_indexes, vec!["_session-1".to_string()]);
        assert!(request.valid_until_ms > issued + REQUEST_LIFETIME_MS);
        assert!(take(REQUEST, issued + REQUEST_LIFETIME_MS + SKEW_MS, false).unwrap_err().to_string().contains("last few minutes"));
        assert!(take(REQUEST, issued - SKEW_MS - 1_000, false).unwrap_err().to_string().contains("last few minutes"));
        assert_eq!(claimed_message_issuer(REQUEST).as_deref(), Some("https://idp.corp.test/saml"));
    }

    #[test]
    fn a_changed_unsigned_or_misaddressed_logout_request_is_refused() {
        let now = issued_ms(REQUEST) + 1_000;
        let bob = REQUEST.replace(">alice<", ">bob<");
        assert_ne!(bob, REQUEST);
        assert!(take(&bob, now, false).unwrap_err().to_string().contains("digest"));
        let start = REQUEST.find("<ns2:Signature").unwrap();
        let end = REQUEST.find("</ns2:Signature>").unwrap() + "</ns2:Signature>".len();
        let unsigned = format!("{}{}", &REQUEST[..start], &REQUEST[end..]);
        assert!(take(&unsigned, now, false).unwrap_err().to_string().contains("not signed"));
        // Over HTTP-Redirect the query carries the signature, checked before this.
        assert_eq!(take(&unsigned, now, true).unwrap().name_id, "alice");
        let elsewhere = unsigned.replace("https://sp.corp.test/saml2/logout", "https://other.example/saml2/logout");
        assert!(take(&elsewhere, now, true).unwrap_err().to_string().contains("another service"));
        let stranger = unsigned.replace("https://idp.corp.test/saml<", "https://evil.example/saml<");
        assert!(take(&stranger, now, true).unwrap_err().to_string().contains("issuer"));
    }

    #[test]
    fn a_logout_response_of_this_side_names_its_request_and_status() {
        let xml = LogoutResponse {
            id: "_r1",
            issue_instant: "2026-01-01T00:00:00Z",
            destination: "https://idp.corp.test/slo?a=1&b=2",
            issuer: "urn:amazon:cognito:sp:pool",
            in_response_to: "_idp-logout-1",
            status: REQUESTER,
            detail: Some(UNKNOWN_PRINCIPAL),
        }
        .xml();
        let document = parse(&xml, "test").unwrap();
        let root = document.root_element();
        assert_eq!(root.attribute("InResponseTo"), Some("_idp-logout-1"));
        assert_eq!(root.attribute("Destination"), Some("https://idp.corp.test/slo?a=1&b=2"));
        assert_eq!(status_of(root).unwrap(), REQUESTER);
        assert!(xml.contains(UNKNOWN_PRINCIPAL));
    }
}

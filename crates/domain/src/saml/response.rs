//! A `<samlp:Response>` verified and read. The response must hold exactly one assertion, as a
//! child of the response, and no other assertion anywhere (so the assertion read is the one a
//! signature covers), in the clear or encrypted to the relying party's key (`xmlenc`); the
//! response or that assertion must carry a valid signature; the issuer
//! must be the IdP's entity id; a bearer subject confirmation must name an accepted recipient;
//! the conditions must name an accepted audience and hold now, within a small clock skew.

use std::collections::BTreeMap;

use roxmltree::Node;

use super::dsig::verify_enveloped;
use super::metadata::IdpMetadata;
use super::xml::{children, decoded, invalid, is, only_child, parse, status_of, text_of, SAML, SAMLP};
use super::xmlenc::{decrypt_assertion, undecryptable};
use crate::clock::parse_iso8601;
use crate::error::{DomainError, DomainResult};

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// How errors name a response.
const RESPONSE: &str = "SAML response";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// The clock skew allowed on either side of an assertion's time conditions.
pub const SKEW_MS: i64 = 90_000;
/// The largest response taken, decoded.
const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// What the relying party expects of a response.
pub struct Expectation<'a> {
    pub metadata: &'a IdpMetadata,
    /// Accepted Destination and Recipient values (the relying party's ACS URLs).
    pub recipients: &'a [String],
    /// Accepted audiences (the relying party's entity ids).
    pub audiences: &'a [String],
    /// Which request the response must answer.
    pub in_response_to: Solicitation<'a>,
    pub now_ms: i64,
    pub allow_sha1: bool,
    /// The relying party's key for encrypted assertions; without one they are refused.
    pub decryption: Option<Decryption<'a>>,
}

/// How a relying party takes encrypted assertions.
#[derive(Debug, Clone, Copy)]
pub struct Decryption<'a> {
    /// PKCS#8 of the RSA keys the identity provider may encrypt to (two while one replaces
    /// the other).
    pub keys: &'a [Vec<u8>],
    /// Whether assertions in the clear are refused.
    pub required: bool,
}

/// Which request a response must answer (its InResponseTo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solicitation<'a> {
    /// Any, or none: STS and identity pools take responses whoever asked for them.
    Any,
    /// None: an IdP-initiated sign-in; a response to some request is not one.
    Unsolicited,
    /// The AuthnRequest with this ID.
    Answering(&'a str),
}

/// What a verified assertion says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// The assertion's ID (what a replay cache keys on).
    pub id: String,
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    /// The bearer confirmation's Recipient.
    pub recipient: String,
    /// The earliest NotOnOrAfter of the conditions and the confirmation, epoch milliseconds.
    pub not_on_or_after_ms: i64,
    pub session_not_on_or_after_ms: Option<i64>,
    pub session_index: Option<String>,
    /// Attribute values by attribute Name.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// A time attribute of `node` in epoch milliseconds (None when absent); `what` names the message
/// in the error.
pub(super) fn time_of(node: Node<'_, '_>, name: &str, what: &str) -> DomainResult<Option<i64>> {
    match node.attribute(name) {
        Some(text) => parse_iso8601(text).map(|seconds| Some(seconds * 1000)).ok_or_else(|| invalid(format!("The {what}'s {name} is not a date."))),
        None => Ok(None),
    }
}

/// Decodes (base64), verifies and reads a SAML response.
pub fn verify_response(encoded: &str, expect: &Expectation<'_>) -> DomainResult<VerifiedAssertion> {
    let source = decoded(encoded, "SAML response", MAX_RESPONSE_BYTES)?;
    let document = parse(&source, "SAML response")?;
    let response = document.root_element();
    if !is(response, SAMLP, "Response") || response.attribute("Version") != Some("2.0") {
        return Err(invalid("The document is not a SAML 2.0 Response."));
    }
    if let Some(destination) = response.attribute("Destination") {
        if !expect.recipients.iter().any(|accepted| accepted == destination) {
            return Err(invalid(format!("The SAML response is addressed to {destination}, not to this service.")));
        }
    }
    check_in_response_to(response.attribute("InResponseTo"), expect)?;
    let status = status_of(response)?;
    if status != SUCCESS {
        return Err(invalid(format!("The identity provider did not sign the user in (status {status}).")));
    }
    // Exactly one assertion, in the clear or encrypted, a child of the response.
    let assertions = document.descendants().filter(|node| is(*node, SAML, "Assertion")).count();
    let encrypted = document.descendants().filter(|node| is(*node, SAML, "EncryptedAssertion")).count();
    let name = if encrypted > 0 { "EncryptedAssertion" } else { "Assertion" };
    let holder = only_child(response, SAML, name)?.filter(|_| assertions + encrypted == 1).ok_or_else(|| invalid("The SAML response must hold exactly one assertion."))?;
    match (encrypted, expect.decryption) {
        (0, Some(Decryption { required: true, .. })) => return Err(invalid("The SAML assertion must be encrypted for this service.")),
        (1, None) => return Err(invalid("Encrypted SAML assertions are not accepted here.")),
        _ => {}
    }

    let keys = &expect.metadata.signing_keys;
    let response_signed = verify_enveloped(&source, response, keys, expect.allow_sha1)?;
    let entity_id = expect.metadata.entity_id.as_str();
    if let Some(issuer) = only_child(response, SAML, "Issuer")? {
        if text_of(issuer) != entity_id {
            return Err(invalid("The SAML response's issuer is not the identity provider's entity id."));
        }
    }
    let Some(decryption) = expect.decryption.filter(|_| encrypted == 1) else {
        let assertion_signed = verify_enveloped(&source, holder, keys, expect.allow_sha1)?;
        if !response_signed && !assertion_signed {
            return Err(invalid("The SAML response is not signed."));
        }
        return read_assertion(holder, expect);
    };
    let plain = decrypt_assertion(holder, decryption.keys)?;
    // The assertion read in the namespaces in scope where it was, as XML Encryption puts it
    // back. When the response is unsigned, what follows is the assertion's only protection:
    // any failure of it says what a failed decryption says (no padding oracle for AES-CBC).
    let wrapped = format!("<decrypted{}>{plain}</decrypted>", namespaces_in_scope(holder));
    let hidden = |error: DomainError| if response_signed { error } else { undecryptable() };
    let inner = parse(&wrapped, "decrypted SAML assertion").map_err(hidden)?;
    let mut elements = inner.root_element().children().filter(Node::is_element);
    let assertion = elements.next().filter(|node| is(*node, SAML, "Assertion")).ok_or_else(|| hidden(invalid("The encrypted SAML element is not an assertion.")))?;
    if elements.next().is_some() || inner.descendants().filter(|node| is(*node, SAML, "Assertion")).count() != 1 {
        return Err(hidden(invalid("The SAML response must hold exactly one assertion.")));
    }
    let assertion_signed = verify_enveloped(&wrapped, assertion, keys, expect.allow_sha1).map_err(hidden)?;
    if !response_signed && !assertion_signed {
        return Err(undecryptable());
    }
    read_assertion(assertion, expect)
}

/// The namespace declarations in scope at `node`, as attributes of an element that stands in
/// for its parent.
fn namespaces_in_scope(node: Node<'_, '_>) -> String {
    let escape = |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    node.namespaces()
        .map(|namespace| match namespace.name() {
            Some(prefix) => format!(" xmlns:{prefix}=\"{}\"", escape(namespace.uri())),
            None => format!(" xmlns=\"{}\"", escape(namespace.uri())),
        })
        .collect()
}

/// Reads a verified assertion: its issuer, subject, confirmation, conditions and attributes.
fn read_assertion(assertion: Node<'_, '_>, expect: &Expectation<'_>) -> DomainResult<VerifiedAssertion> {
    let entity_id = expect.metadata.entity_id.as_str();
    let issuer = only_child(assertion, SAML, "Issuer")?.map(text_of).unwrap_or_default();
    if issuer != entity_id {
        return Err(invalid("The SAML assertion's issuer is not the identity provider's entity id."));
    }
    let id = assertion.attribute("ID").unwrap_or_default().to_string();
    let now = expect.now_ms;

    let subject = only_child(assertion, SAML, "Subject")?.ok_or_else(|| invalid("The SAML assertion has no Subject."))?;
    let name_id = only_child(subject, SAML, "NameID")?.ok_or_else(|| invalid("The SAML assertion's subject has no NameID."))?;
    let mut confirmed: Option<(String, i64)> = None;
    for confirmation in children(subject, SAML, "SubjectConfirmation").filter(|confirmation| confirmation.attribute("Method") == Some(BEARER)) {
        let Some(data) = only_child(confirmation, SAML, "SubjectConfirmationData")? else { continue };
        let recipient = data.attribute("Recipient").unwrap_or_default();
        let until = time_of(data, "NotOnOrAfter", RESPONSE)?;
        let from = time_of(data, "NotBefore", RESPONSE)?;
        if !expect.recipients.iter().any(|accepted| accepted == recipient) || until.is_none() || from.is_some() {
            continue;
        }
        check_in_response_to(data.attribute("InResponseTo"), expect)?;
        let until = until.unwrap_or_default();
        if until + SKEW_MS <= now {
            return Err(DomainError::ExpiredToken("The SAML assertion has expired.".into()));
        }
        confirmed = Some((recipient.to_string(), until));
        break;
    }
    let (recipient, confirmed_until) = confirmed.ok_or_else(|| invalid("The SAML assertion has no bearer confirmation for this service's recipient."))?;

    let conditions = only_child(assertion, SAML, "Conditions")?.ok_or_else(|| invalid("The SAML assertion has no Conditions."))?;
    if time_of(conditions, "NotBefore", RESPONSE)?.is_some_and(|from| from > now + SKEW_MS) {
        return Err(invalid("The SAML assertion is not valid yet."));
    }
    let conditions_until = time_of(conditions, "NotOnOrAfter", RESPONSE)?;
    if conditions_until.is_some_and(|until| until + SKEW_MS <= now) {
        return Err(DomainError::ExpiredToken("The SAML assertion has expired.".into()));
    }
    let mut restrictions = children(conditions, SAML, "AudienceRestriction").peekable();
    if restrictions.peek().is_none() {
        return Err(invalid("The SAML assertion names no audience."));
    }
    for restriction in restrictions {
        if !children(restriction, SAML, "Audience").any(|audience| expect.audiences.contains(&text_of(audience))) {
            return Err(invalid("The SAML assertion's audience is not this service."));
        }
    }

    let authn = children(assertion, SAML, "AuthnStatement").next();
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in children(assertion, SAML, "AttributeStatement") {
        for attribute in children(statement, SAML, "Attribute") {
            let Some(name) = attribute.attribute("Name") else { continue };
            let values = attributes.entry(name.to_string()).or_default();
            values.extend(children(attribute, SAML, "AttributeValue").map(text_of));
        }
    }
    Ok(VerifiedAssertion {
        id,
        issuer,
        name_id: text_of(name_id),
        name_id_format: name_id.attribute("Format").map(str::to_string),
        recipient,
        not_on_or_after_ms: conditions_until.map_or(confirmed_until, |until| until.min(confirmed_until)),
        session_not_on_or_after_ms: authn.map(|statement| time_of(statement, "SessionNotOnOrAfter", RESPONSE)).transpose()?.flatten(),
        session_index: authn.and_then(|statement| statement.attribute("SessionIndex")).map(str::to_string),
        attributes,
    })
}

fn check_in_response_to(stated: Option<&str>, expect: &Expectation<'_>) -> DomainResult<()> {
    match (expect.in_response_to, stated) {
        (Solicitation::Answering(expected), Some(stated)) if stated == expected => Ok(()),
        (Solicitation::Answering(_), _) => Err(invalid("The SAML response does not answer this service's request.")),
        (Solicitation::Unsolicited, Some(_)) => Err(invalid("The SAML response answers a request, but this sign-in was started by the identity provider.")),
        (Solicitation::Unsolicited | Solicitation::Any, _) => Ok(()),
    }
}

/// The Issuer a response names, unverified: only to choose whose metadata verifies it.
pub fn claimed_issuer(encoded: &str) -> Option<String> {
    let source = decoded(encoded, "SAML response", MAX_RESPONSE_BYTES).ok()?;
    let document = parse(&source, "SAML response").ok()?;
    let response = document.root_element();
    let assertion = only_child(response, SAML, "Assertion").ok().flatten();
    let issuer = only_child(response, SAML, "Issuer").ok().flatten().or_else(|| assertion.and_then(|assertion| only_child(assertion, SAML, "Issuer").ok().flatten()));
    issuer.map(text_of)
}

#[cfg(test)]
mod tests {
    //! Over a pysaml2 identity provider's own responses (`testdata/`, made by
    //! `make_fixtures.py`), at clock readings chosen around their conditions.
    use super::*;
    use base64::Engine as _;

    const METADATA: &str = include_str!("testdata/idp_metadata.xml");
    const SIGNED_ASSERTION: &str = include_str!("testdata/response_signed_assertion.xml");
    const SIGNED_RESPONSE: &str = include_str!("testdata/response_signed_response.xml");
    const ACS: &str = "https://signin.aws.amazon.com/saml";

    fn encoded(xml: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(xml)
    }

    /// The first value of `attribute="…"` in `xml`, as epoch milliseconds.
    fn time_in(xml: &str, attribute: &str) -> i64 {
        let start = xml.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
        let end = start + xml[start..].find('"').unwrap();
        parse_iso8601(&xml[start..end]).unwrap() * 1000
    }

    fn verify(xml: &str, metadata: &IdpMetadata, now_ms: i64, recipient: &str, audience: &str) -> DomainResult<VerifiedAssertion> {
        let recipients = [recipient.to_string()];
        let audiences = [audience.to_string()];
        let expect = Expectation { metadata, recipients: &recipients, audiences: &audiences, in_response_to: Solicitation::Any, now_ms, allow_sha1: false, decryption: None };
        verify_response(&encoded(xml), &expect)
    }

    fn at(xml: &str, now_ms: i64) -> DomainResult<VerifiedAssertion> {
        verify(xml, &IdpMetadata::parse(METADATA).unwrap(), now_ms, ACS, "urn:amazon:webservices")
    }

    fn issued(xml: &str) -> i64 {
        time_in(xml, "IssueInstant") + 60_000
    }

    fn message(result: DomainResult<VerifiedAssertion>) -> String {
        match result {
            Ok(_) => "accepted".into(),
            Err(error) => error.to_string(),
        }
    }

    /// The assertion element of a response, whole.
    fn assertion_of(xml: &str) -> &str {
        let start = xml.find("<ns1:Assertion").unwrap();
        let end = xml.find("</ns1:Assertion>").unwrap() + "</ns1:Assertion>".len();
        &xml[start..end]
    }

    #[test]
    fn an_identity_providers_responses_verify_and_read() {
        for xml in [SIGNED_ASSERTION, SIGNED_RESPONSE] {
            let assertion = at(xml, issued(xml)).unwrap();
            assert_eq!(assertion.issuer, "https://idp.corp.test/saml");
            assert_eq!(assertion.name_id, "alice@corp.test.evil.example");
            assert_eq!(assertion.name_id_format.as_deref(), Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"));
            assert_eq!(assertion.recipient, ACS);
            assert_eq!(assertion.attributes["https://aws.amazon.com/SAML/Attributes/RoleSessionName"], vec!["alice".to_string()]);
        }
    }

    #[test]
    fn conditions_hold_only_in_their_window_with_a_small_skew() {
        let xml = SIGNED_ASSERTION;
        let from = time_in(assertion_of(xml), "NotBefore");
        let until = time_in(assertion_of(xml), "NotOnOrAfter");
        assert!(message(at(xml, from - SKEW_MS - 1_000)).contains("not valid yet"));
        assert!(at(xml, from - SKEW_MS + 1_000).is_ok());
        assert!(at(xml, until + SKEW_MS - 1_000).is_ok());
        assert!(matches!(at(xml, until + SKEW_MS), Err(DomainError::ExpiredToken(_))));
    }

    #[test]
    fn another_recipient_or_audience_is_refused() {
        let metadata = IdpMetadata::parse(METADATA).unwrap();
        let now = issued(SIGNED_ASSERTION);
        assert!(message(verify(SIGNED_ASSERTION, &metadata, now, "https://other.example/acs", "urn:amazon:webservices")).contains("addressed to"));
        assert!(message(verify(SIGNED_ASSERTION, &metadata, now, ACS, "https://other.example/sp")).contains("audience"));
    }

    #[test]
    fn a_changed_value_or_a_key_outside_the_metadata_is_refused() {
        let now = issued(SIGNED_ASSERTION);
        assert!(message(at(&SIGNED_ASSERTION.replace(">alice<", ">admin<"), now)).contains("digest"));
        assert!(message(at(&SIGNED_RESPONSE.replace(">alice<", ">admin<"), now)).contains("digest"));
        let certificate = {
            let (key, _) = crate::crypto::new_rsa_key().unwrap();
            base64::engine::general_purpose::STANDARD.encode(crate::saml::certificate::self_signed(&key, "intruder", 0, 4_000_000_000).unwrap())
        };
        let start = METADATA.find("X509Certificate>").unwrap() + "X509Certificate>".len();
        let end = start + METADATA[start..].find('<').unwrap();
        let foreign = IdpMetadata::parse(&format!("{}{certificate}{}", &METADATA[..start], &METADATA[end..])).unwrap();
        assert!(message(verify(SIGNED_ASSERTION, &foreign, now, ACS, "urn:amazon:webservices")).contains("does not verify"));
    }

    #[test]
    fn signature_wrapping_is_refused() {
        let now = issued(SIGNED_ASSERTION);
        for xml in [SIGNED_ASSERTION, SIGNED_RESPONSE] {
            let signed = assertion_of(xml);
            let forged = signed.replacen(">alice<", ">admin<", 1).replacen("ID=\"id-", "ID=\"forged-", 1);
            let forged_unsigned = match (forged.find("<ns2:Signature"), forged.find("</ns2:Signature>")) {
                (Some(start), Some(end)) => format!("{}{}", &forged[..start], &forged[end + "</ns2:Signature>".len()..]),
                _ => forged.clone(),
            };
            // Duplicated: the forgery beside the signed assertion.
            let duplicated = xml.replace(signed, &format!("{forged_unsigned}{signed}"));
            // Nested: the signed assertion inside the forgery's Advice.
            let nested = xml.replace(signed, &forged_unsigned.replacen("</ns1:Subject>", &format!("</ns1:Subject><ns1:Advice>{signed}</ns1:Advice>"), 1));
            // Moved: the signed assertion into the response's Extensions, the forgery in its place.
            let moved = xml
                .replace(signed, &forged_unsigned)
                .replacen("<ns0:Status>", &format!("<ns0:Extensions>{signed}</ns0:Extensions><ns0:Status>"), 1);
            for (name, attack) in [("duplicated", duplicated), ("nested", nested), ("moved", moved)] {
                assert!(message(at(&attack, now)).to_lowercase().contains("one assertion"), "{name}: {}", message(at(&attack, now)));
            }
        }
    }

    #[test]
    fn a_comment_inside_the_name_id_neither_breaks_the_signature_nor_shortens_the_name() {
        let xml = SIGNED_ASSERTION.replace(">alice@corp.test.evil.example<", ">alice@corp.test<!-- -->.evil.example<");
        assert_ne!(xml, SIGNED_ASSERTION);
        assert_eq!(at(&xml, issued(SIGNED_ASSERTION)).unwrap().name_id, "alice@corp.test.evil.example");
    }

    #[test]
    fn entity_declarations_are_refused_before_anything_is_read() {
        let body = SIGNED_ASSERTION.trim_start_matches("<?xml version=\"1.0\"?>");
        let external = format!("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}", body.replacen(">alice<", ">&x;<", 1));
        assert!(message(at(&external, issued(SIGNED_ASSERTION))).contains("well-formed"));
        let expansion = format!("<!DOCTYPE r [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>{body}");
        assert!(message(at(&expansion, issued(SIGNED_ASSERTION))).contains("well-formed"));
    }
}

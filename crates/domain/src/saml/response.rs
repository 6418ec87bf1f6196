//! A `<samlp:Response>` verified and read. The response must hold exactly one assertion, as a
//! child of the response, and no other assertion anywhere (so the assertion read is the one a
//! signature covers); the response or that assertion must carry a valid signature; the issuer
//! must be the IdP's entity id; a bearer subject confirmation must name an accepted recipient;
//! the conditions must name an accepted audience and hold now, within a small clock skew.

use std::collections::BTreeMap;

use roxmltree::Node;

use super::dsig::verify_enveloped;
use super::metadata::IdpMetadata;
use super::xml::{base64_of, children, invalid, is, only_child, parse, text_of, SAML, SAMLP};
use crate::clock::parse_iso8601;
use crate::error::{DomainError, DomainResult};

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
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
    /// The ID of the AuthnRequest this answers; `None` accepts an unsolicited response.
    pub in_response_to: Option<&'a str>,
    pub now_ms: i64,
    pub allow_sha1: bool,
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

fn time_of(node: Node<'_, '_>, name: &str) -> DomainResult<Option<i64>> {
    match node.attribute(name) {
        Some(text) => parse_iso8601(text).map(|seconds| Some(seconds * 1000)).ok_or_else(|| invalid(format!("The SAML response's {name} is not a date."))),
        None => Ok(None),
    }
}

/// Decodes (base64), verifies and reads a SAML response.
pub fn verify_response(encoded: &str, expect: &Expectation<'_>) -> DomainResult<VerifiedAssertion> {
    let bytes = base64_of(encoded).map_err(|_| invalid("The SAML response is not base64."))?;
    if bytes.len() > MAX_RESPONSE_BYTES {
        return Err(invalid("The SAML response is too large."));
    }
    let source = String::from_utf8(bytes).map_err(|_| invalid("The SAML response is not UTF-8."))?;
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
    let status = only_child(response, SAMLP, "Status")?
        .and_then(|status| only_child(status, SAMLP, "StatusCode").ok().flatten())
        .and_then(|code| code.attribute("Value"))
        .unwrap_or_default();
    if status != SUCCESS {
        return Err(invalid(format!("The identity provider did not sign the user in (status {status}).")));
    }
    if document.descendants().any(|node| is(node, SAML, "EncryptedAssertion")) {
        return Err(invalid("Encrypted SAML assertions are not accepted here."));
    }
    let assertions = document.descendants().filter(|node| is(*node, SAML, "Assertion")).count();
    let assertion = only_child(response, SAML, "Assertion")?.filter(|_| assertions == 1).ok_or_else(|| invalid("The SAML response must hold exactly one assertion."))?;

    let keys = &expect.metadata.signing_keys;
    let response_signed = verify_enveloped(&source, response, keys, expect.allow_sha1)?;
    let assertion_signed = verify_enveloped(&source, assertion, keys, expect.allow_sha1)?;
    if !response_signed && !assertion_signed {
        return Err(invalid("The SAML response is not signed."));
    }

    let entity_id = expect.metadata.entity_id.as_str();
    if let Some(issuer) = only_child(response, SAML, "Issuer")? {
        if text_of(issuer) != entity_id {
            return Err(invalid("The SAML response's issuer is not the identity provider's entity id."));
        }
    }
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
        let until = time_of(data, "NotOnOrAfter")?;
        let from = time_of(data, "NotBefore")?;
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
    if time_of(conditions, "NotBefore")?.is_some_and(|from| from > now + SKEW_MS) {
        return Err(invalid("The SAML assertion is not valid yet."));
    }
    let conditions_until = time_of(conditions, "NotOnOrAfter")?;
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
        session_not_on_or_after_ms: authn.map(|statement| time_of(statement, "SessionNotOnOrAfter")).transpose()?.flatten(),
        session_index: authn.and_then(|statement| statement.attribute("SessionIndex")).map(str::to_string),
        attributes,
    })
}

fn check_in_response_to(stated: Option<&str>, expect: &Expectation<'_>) -> DomainResult<()> {
    match (expect.in_response_to, stated) {
        (Some(expected), Some(stated)) if stated == expected => Ok(()),
        (Some(_), _) => Err(invalid("The SAML response does not answer this service's request.")),
        (None, _) => Ok(()),
    }
}

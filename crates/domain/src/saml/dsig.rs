//! The XML signature of a SAML element, verified as the element is then used: the signature
//! must be the element's own child (enveloped), its one reference must name the element's ID
//! (an ID found once in the document), its transforms only the enveloped-signature transform
//! and exclusive canonicalisation, and it must verify under a key from the IdP's metadata, never
//! one the message carries. SHA-1 is refused unless the caller allows it.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use roxmltree::Node;
use sha2::Digest as _;

use super::c14n::canonicalize;
use super::xml::{base64_of, children, invalid, only_child, DS, EXC_C14N};
use crate::crypto::constant_time_eq;
use crate::error::DomainResult;

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub(super) const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub(super) const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
pub(super) const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// Whether `element` carries a signature over itself that verifies under one of `keys` (PKCS#1
/// RSA public keys). `Ok(false)` when it has no signature; an error when it has one that does
/// not hold.
pub fn verify_enveloped(source: &str, element: Node<'_, '_>, keys: &[Vec<u8>], allow_sha1: bool) -> DomainResult<bool> {
    let Some(signature) = only_child(element, DS, "Signature")? else {
        return Ok(false);
    };
    let refused = |why: &str| invalid(format!("The SAML signature is not valid: {why}."));
    let signed_info = only_child(signature, DS, "SignedInfo")?.ok_or_else(|| refused("no SignedInfo"))?;
    let value = only_child(signature, DS, "SignatureValue")?.ok_or_else(|| refused("no SignatureValue"))?;

    let method = only_child(signed_info, DS, "CanonicalizationMethod")?.ok_or_else(|| refused("no CanonicalizationMethod"))?;
    if method.attribute("Algorithm") != Some(EXC_C14N) {
        return Err(refused("only exclusive canonicalisation without comments is accepted"));
    }
    let info_prefixes = inclusive_prefixes(method);
    let algorithm: &'static dyn VerificationAlgorithm = match only_child(signed_info, DS, "SignatureMethod")?.and_then(|method| method.attribute("Algorithm")) {
        Some(RSA_SHA256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        Some(RSA_SHA512) => &signature::RSA_PKCS1_2048_8192_SHA512,
        Some(RSA_SHA1) if allow_sha1 => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        Some(RSA_SHA1) => return Err(refused("RSA-SHA1 signatures are refused")),
        _ => return Err(refused("the signature method is not RSA-SHA256 or RSA-SHA512")),
    };

    let mut references = children(signed_info, DS, "Reference");
    let reference = references.next().ok_or_else(|| refused("no Reference"))?;
    if references.next().is_some() {
        return Err(refused("more than one Reference"));
    }
    let id = element.attribute("ID").filter(|id| !id.is_empty()).ok_or_else(|| refused("the signed element has no ID"))?;
    if reference.attribute("URI") != Some(&format!("#{id}")) {
        return Err(refused("the reference does not name the signed element"));
    }
    let document_root = element.document().root();
    let holders = document_root
        .descendants()
        .filter(|node| node.attributes().any(|attribute| matches!(attribute.name(), "ID" | "Id" | "id" | "AssertionID") && attribute.value() == id))
        .count();
    if holders != 1 {
        return Err(refused("the signed element's ID is not unique in the document"));
    }

    let mut enveloped = false;
    let mut prefixes = Vec::new();
    if let Some(transforms) = only_child(reference, DS, "Transforms")? {
        for transform in children(transforms, DS, "Transform") {
            match transform.attribute("Algorithm") {
                Some(ENVELOPED) if !enveloped => enveloped = true,
                Some(EXC_C14N) => prefixes = inclusive_prefixes(transform),
                _ => return Err(refused("a transform other than enveloped-signature and exclusive canonicalisation")),
            }
        }
    }
    if !enveloped {
        return Err(refused("the signature is not an enveloped signature"));
    }
    let digest_method = only_child(reference, DS, "DigestMethod")?.and_then(|method| method.attribute("Algorithm"));
    let canonical = canonicalize(source, element, Some(signature), &prefixes);
    let digest = match digest_method {
        Some(SHA256) => sha2::Sha256::digest(canonical.as_bytes()).to_vec(),
        Some(SHA512) => sha2::Sha512::digest(canonical.as_bytes()).to_vec(),
        Some(SHA1) if allow_sha1 => aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, canonical.as_bytes()).as_ref().to_vec(),
        Some(SHA1) => return Err(refused("SHA-1 digests are refused")),
        _ => return Err(refused("the digest method is not SHA-256 or SHA-512")),
    };
    let stated = only_child(reference, DS, "DigestValue")?.and_then(|value| value.text()).ok_or_else(|| refused("no DigestValue"))?;
    if !constant_time_eq(&base64_of(stated)?, &digest) {
        return Err(refused("the digest of the signed element does not match"));
    }

    let signed = canonicalize(source, signed_info, None, &info_prefixes);
    let signature_bytes = base64_of(value.text().unwrap_or_default())?;
    if keys.iter().any(|key| UnparsedPublicKey::new(algorithm, key).verify(signed.as_bytes(), &signature_bytes).is_ok()) {
        Ok(true)
    } else {
        Err(refused("it does not verify under the identity provider's signing certificates"))
    }
}

/// The PrefixList of a canonicalisation method's or transform's InclusiveNamespaces.
fn inclusive_prefixes(method: Node<'_, '_>) -> Vec<String> {
    children(method, EXC_C14N, "InclusiveNamespaces")
        .filter_map(|list| list.attribute("PrefixList"))
        .flat_map(|list| list.split_ascii_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

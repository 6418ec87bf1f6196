//! The HTTP-Redirect binding as received: a SAML message in a query string, DEFLATE-compressed
//! and base64-encoded, and the signature over the query itself — `SAMLRequest` (or
//! `SAMLResponse`), `RelayState` and `SigAlg`, in that order and exactly as they were encoded —
//! checked against the identity provider's keys. The message is read before the signature is
//! checked only so that its issuer can name the keys; nothing in it is trusted until then.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use super::dsig::{RSA_SHA1, RSA_SHA256, RSA_SHA512};
use super::xml::{base64_of, invalid};
use crate::error::DomainResult;

/// The largest message inflated (a LogoutRequest is well under 4 KiB).
const MAX_INFLATED: usize = 64 * 1024;

/// A message taken from a redirect's query; its signature, if any, not yet checked.
#[derive(Debug)]
pub struct RedirectMessage {
    pub xml: String,
    pub relay_state: Option<String>,
    signed: Option<SignedQuery>,
}

#[derive(Debug)]
struct SignedQuery {
    text: String,
    algorithm: String,
    signature: Vec<u8>,
}

/// Reads the `parameter` message (`SAMLRequest` or `SAMLResponse`) of a raw query string.
/// Each of the binding's parameters may appear once.
pub fn read_redirect(raw_query: &str, parameter: &str) -> DomainResult<RedirectMessage> {
    let mut message = None;
    let mut relay_state = None;
    let mut algorithm = None;
    let mut signature = None;
    for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match name {
            name if name == parameter => &mut message,
            "RelayState" => &mut relay_state,
            "SigAlg" => &mut algorithm,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(invalid(format!("The redirect names {name} more than once.")));
        }
    }
    let raw_message = message.ok_or_else(|| invalid(format!("The redirect carries no {parameter}.")))?;
    let deflated = base64_of(&percent_decode(raw_message)?.replace(' ', "+")).map_err(|_| invalid(format!("The {parameter} is not base64.")))?;
    let inflated = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_INFLATED).map_err(|_| invalid(format!("The {parameter} is not DEFLATE data of at most 64 KiB.")))?;
    let xml = String::from_utf8(inflated).map_err(|_| invalid(format!("The {parameter} is not UTF-8.")))?;
    let signed = match (algorithm, signature) {
        (Some(algorithm), Some(signature)) => {
            let mut text = format!("{parameter}={raw_message}");
            if let Some(relay_state) = relay_state {
                text.push_str(&format!("&RelayState={relay_state}"));
            }
            text.push_str(&format!("&SigAlg={algorithm}"));
            let signature = base64_of(&percent_decode(signature)?.replace(' ', "+")).map_err(|_| invalid("The redirect's Signature is not base64."))?;
            Some(SignedQuery { text, algorithm: percent_decode(algorithm)?, signature })
        }
        (None, None) => None,
        _ => return Err(invalid("The redirect has SigAlg without Signature, or Signature without SigAlg.")),
    };
    let relay_state = relay_state.map(percent_decode).transpose()?;
    Ok(RedirectMessage { xml, relay_state, signed })
}

impl RedirectMessage {
    /// Checks the query's signature under one of `keys` (PKCS#1 RSA public keys); an unsigned
    /// redirect is refused. SHA-1 is refused unless `allow_sha1`.
    pub fn verify(&self, keys: &[Vec<u8>], allow_sha1: bool) -> DomainResult<()> {
        let signed = self.signed.as_ref().ok_or_else(|| invalid("The redirect is not signed (SigAlg and Signature)."))?;
        let algorithm: &'static dyn VerificationAlgorithm = match signed.algorithm.as_str() {
            RSA_SHA256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            RSA_SHA512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            RSA_SHA1 if allow_sha1 => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            RSA_SHA1 => return Err(invalid("The redirect's signature is not valid: RSA-SHA1 signatures are refused.")),
            _ => return Err(invalid("The redirect's signature is not valid: SigAlg is not RSA-SHA256 or RSA-SHA512.")),
        };
        if keys.iter().any(|key| UnparsedPublicKey::new(algorithm, key).verify(signed.text.as_bytes(), &signed.signature).is_ok()) {
            Ok(())
        } else {
            Err(invalid("The redirect's signature is not valid: it does not verify under the identity provider's signing certificates."))
        }
    }
}

/// A query value's `%XX` escapes decoded (`+` is left as it is: the caller knows whether the
/// value is base64).
fn percent_decode(value: &str) -> DomainResult<String> {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = bytes.get(at + 1..at + 3).and_then(|pair| std::str::from_utf8(pair).ok()).and_then(|pair| u8::from_str_radix(pair, 16).ok());
            decoded.push(hex.ok_or_else(|| invalid("The redirect's query has a broken %-escape."))?);
            at += 3;
        } else {
            decoded.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| invalid("The redirect's query is not UTF-8."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::percent_encode;
    use aws_lc_rs::signature::KeyPair as _;
    use base64::Engine as _;

    fn deflated(xml: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(miniz_oxide::deflate::compress_to_vec(xml.as_bytes(), 6))
    }

    fn signed_query(xml: &str, relay_state: &str) -> (String, Vec<u8>) {
        let (key, _) = crate::crypto::new_rsa_key().unwrap();
        let mut query = format!("SAMLRequest={}&RelayState={}&SigAlg={}", percent_encode(&deflated(xml)), percent_encode(relay_state), percent_encode(RSA_SHA256));
        let mut signature = vec![0u8; key.public_modulus_len()];
        key.sign(&signature::RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), query.as_bytes(), &mut signature).unwrap();
        query.push_str(&format!("&Signature={}", percent_encode(&base64::engine::general_purpose::STANDARD.encode(signature))));
        (query, key.public_key().as_ref().to_vec())
    }

    #[test]
    fn a_signed_redirect_reads_and_verifies_and_a_changed_one_does_not() {
        let (query, key) = signed_query("<samlp:LogoutRequest/>", "back to the app");
        let message = read_redirect(&query, "SAMLRequest").unwrap();
        assert_eq!(message.xml, "<samlp:LogoutRequest/>");
        assert_eq!(message.relay_state.as_deref(), Some("back to the app"));
        message.verify(&[key.clone()], false).unwrap();
        let (_, other_key) = signed_query("<x/>", "");
        assert!(message.verify(&[other_key], false).unwrap_err().to_string().contains("does not verify"));
        let changed = query.replace("RelayState=back", "RelayState=Back");
        assert!(read_redirect(&changed, "SAMLRequest").unwrap().verify(&[key.clone()], false).is_err());
        let unsigned = query.split("&SigAlg=").next().unwrap();
        assert!(read_redirect(unsigned, "SAMLRequest").unwrap().verify(&[key], false).unwrap_err().to_string().contains("not signed"));
    }

    #[test]
    fn repeated_parameters_bombs_and_broken_escapes_are_refused() {
        let (query, _) = signed_query("<a/>", "s");
        assert!(read_redirect(&format!("{query}&RelayState=t"), "SAMLRequest").unwrap_err().to_string().contains("more than once"));
        let bomb = deflated(&"a".repeat(MAX_INFLATED + 1));
        assert!(read_redirect(&format!("SAMLRequest={}", percent_encode(&bomb)), "SAMLRequest").unwrap_err().to_string().contains("at most 64 KiB"));
        assert!(read_redirect("SAMLRequest=%zz", "SAMLRequest").unwrap_err().to_string().contains("%-escape"));
        assert!(read_redirect("RelayState=x", "SAMLRequest").unwrap_err().to_string().contains("no SAMLRequest"));
    }
}

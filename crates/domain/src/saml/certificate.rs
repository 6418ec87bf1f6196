//! A self-signed X.509 certificate for an RSA key, written in DER: what a service provider
//! publishes in its metadata (and Cognito's GetSigningCertificate answers) so that IdPs can
//! check its signed requests. Version 3, SHA-256 with RSA, the same name as issuer and subject,
//! no extensions.

use aws_lc_rs::rand::SecureRandom;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};

use crate::clock::civil_from_days;
use crate::error::{DomainError, DomainResult};

/// 1.2.840.113549.1.1.11, sha256WithRSAEncryption.
const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
/// 1.2.840.113549.1.1.1, rsaEncryption.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// 2.5.4.3, commonName.
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

fn element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length.to_be_bytes().iter().copied().skip_while(|byte| *byte == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    element(0x30, &parts.concat())
}

fn algorithm(oid: &[u8]) -> Vec<u8> {
    sequence(&[element(0x06, oid), vec![0x05, 0x00]])
}

fn name(common_name: &str) -> Vec<u8> {
    let attribute = sequence(&[element(0x06, COMMON_NAME), element(0x0c, common_name.as_bytes())]);
    sequence(&[element(0x31, &attribute)])
}

/// UTCTime before 2050, GeneralizedTime from then on, as RFC 5280 asks.
fn time(seconds: i64) -> Vec<u8> {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    let clock = format!("{month:02}{day:02}{:02}{:02}{:02}Z", in_day / 3600, in_day % 3600 / 60, in_day % 60);
    if year < 2050 {
        element(0x17, format!("{:02}{clock}", year % 100).as_bytes())
    } else {
        element(0x18, format!("{year:04}{clock}").as_bytes())
    }
}

/// A self-signed certificate of `key` for `common_name`, valid from `not_before` to
/// `not_after` (epoch seconds), with a random serial number.
pub fn self_signed(key: &RsaKeyPair, common_name: &str, not_before: i64, not_after: i64) -> DomainResult<Vec<u8>> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut serial = [0u8; 16];
    rng.fill(&mut serial).map_err(|_| DomainError::internal("no random serial number"))?;
    serial[0] &= 0x7f;
    serial[0] |= 0x40;
    let mut key_bits = vec![0x00];
    key_bits.extend_from_slice(key.public_key().as_ref());
    let tbs = sequence(&[
        element(0xa0, &element(0x02, &[0x02])),
        element(0x02, &serial),
        algorithm(SHA256_WITH_RSA),
        name(common_name),
        sequence(&[time(not_before), time(not_after)]),
        name(common_name),
        sequence(&[algorithm(RSA_ENCRYPTION), element(0x03, &key_bits)]),
    ]);
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &rng, &tbs, &mut signature).map_err(|_| DomainError::internal("the certificate could not be signed"))?;
    let mut signature_bits = vec![0x00];
    signature_bits.extend_from_slice(&signature);
    Ok(sequence(&[tbs, algorithm(SHA256_WITH_RSA), element(0x03, &signature_bits)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_carries_its_key_and_verifies_under_it() {
        let (key, _) = crate::crypto::new_rsa_key().unwrap();
        let certificate = self_signed(&key, "urn:amazon:cognito:sp:us-east-1_test", 1_700_000_000, 2_700_000_000).unwrap();
        // Our own reader finds the key in it, and the signature over the TBS part verifies.
        assert_eq!(crate::saml::der::rsa_public_key(&certificate).unwrap(), key.public_key().as_ref());
        let (tag, body, _) = super::super::der::element_of(&certificate).unwrap();
        assert_eq!(tag, 0x30);
        let (_, tbs_content, rest) = super::super::der::element_of(body).unwrap();
        let tbs = &body[..body.len() - rest.len()];
        assert!(tbs.len() > tbs_content.len());
        let (_, _, rest) = super::super::der::element_of(rest).unwrap();
        let (_, bits, _) = super::super::der::element_of(rest).unwrap();
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, key.public_key().as_ref());
        assert!(public.verify(tbs, &bits[1..]).is_ok());
        // After 2049 the dates are GeneralizedTime.
        assert_eq!(time(2_556_144_000)[0], 0x18);
        assert_eq!(time(1_700_000_000)[0], 0x17);
    }
}

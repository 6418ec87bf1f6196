//! The RSA public key of an X.509 certificate (DER), read with the few DER rules the path to it
//! needs: certificates come from an IdP's metadata and only their key is used (as AWS and
//! Cognito do, their validity dates and issuer are not checked).

use crate::error::{DomainError, DomainResult};

const SEQUENCE: u8 = 0x30;
const BIT_STRING: u8 = 0x03;
const OBJECT_ID: u8 = 0x06;
const VERSION: u8 = 0xa0;
/// 1.2.840.113549.1.1.1, rsaEncryption.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// One DER element: its tag, its content and what follows it.
#[cfg(test)]
pub fn element_of(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    element(input)
}

/// One DER element: its tag, its content and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count].iter().fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, content, rest) = element(input)?;
    (found == tag).then_some((content, rest))
}

/// The PKCS#1 `RSAPublicKey` of a certificate, as AWS-LC's RSA verification takes it.
pub fn rsa_public_key(certificate: &[u8]) -> DomainResult<Vec<u8>> {
    read_key(certificate).ok_or_else(|| DomainError::InvalidParameter("A certificate in the SAML metadata is not an X.509 certificate with an RSA key.".into()))
}

fn read_key(certificate: &[u8]) -> Option<Vec<u8>> {
    let (body, _) = expect(certificate, SEQUENCE)?;
    let (mut tbs, _) = expect(body, SEQUENCE)?;
    if tbs.first() == Some(&VERSION) {
        tbs = element(tbs)?.2;
    }
    // serial number, signature algorithm, issuer, validity, subject
    for _ in 0..5 {
        tbs = element(tbs)?.2;
    }
    let (key_info, _) = expect(tbs, SEQUENCE)?;
    let (algorithm, rest) = expect(key_info, SEQUENCE)?;
    let (oid, _) = expect(algorithm, OBJECT_ID)?;
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (bits, _) = expect(rest, BIT_STRING)?;
    let (&unused, key) = bits.split_first()?;
    (unused == 0 && expect(key, SEQUENCE).is_some()).then(|| key.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_foreign_input_is_refused() {
        assert!(rsa_public_key(&[]).is_err());
        assert!(rsa_public_key(&[0x30, 0x82, 0xff, 0xff, 0x30]).is_err());
        assert!(rsa_public_key(b"not a certificate").is_err());
    }
}

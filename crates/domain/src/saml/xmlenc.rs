//! An `<saml:EncryptedAssertion>` opened with the service provider's key (XML Encryption): the
//! content key unwrapped by RSA-OAEP (`rsa-oaep-mgf1p`, or XML Encryption 1.1's `rsa-oaep` with
//! matching digest and mask functions), the assertion decrypted by AES-GCM or AES-CBC. RSA
//! PKCS#1 v1.5 key transport (Bleichenbacher's oracle) and triple DES are refused. Every
//! failure after the algorithms are read says the same thing, so that a sender learns nothing
//! from which step refused its ciphertext.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{DecryptingKey, DecryptionContext, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{OaepAlgorithm, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use roxmltree::Node;

use super::xml::{base64_of, children, invalid, only_child, text_of, DS};
use crate::error::{DomainError, DomainResult};

const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
const XENC11: &str = "http://www.w3.org/2009/xmlenc11#";
const ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
const MGF1_SHA1: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha1";
const MGF1_SHA256: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha256";
const MGF1_SHA512: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha512";

/// The data encryption algorithms taken, by URI: key length and mode.
const CIPHERS: [(&str, usize, Mode); 6] = [
    ("http://www.w3.org/2009/xmlenc11#aes128-gcm", 16, Mode::Gcm),
    ("http://www.w3.org/2009/xmlenc11#aes192-gcm", 24, Mode::Gcm),
    ("http://www.w3.org/2009/xmlenc11#aes256-gcm", 32, Mode::Gcm),
    ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", 16, Mode::Cbc),
    ("http://www.w3.org/2001/04/xmlenc#aes192-cbc", 24, Mode::Cbc),
    ("http://www.w3.org/2001/04/xmlenc#aes256-cbc", 32, Mode::Cbc),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Gcm,
    Cbc,
}

/// The data encryption algorithms taken, for the service provider's metadata.
pub fn data_algorithms() -> impl Iterator<Item = &'static str> {
    CIPHERS.iter().map(|(uri, _, _)| *uri)
}

/// Key transport algorithms taken, for the service provider's metadata.
pub const KEY_ALGORITHMS: [&str; 2] = [RSA_OAEP_MGF1P, RSA_OAEP];

/// What every failure to open an encrypted assertion says.
pub fn undecryptable() -> DomainError {
    invalid("The encrypted SAML assertion could not be decrypted with this service's key.")
}

/// The bytes of an element's `CipherData/CipherValue`.
fn cipher_value(node: Node<'_, '_>) -> Option<Vec<u8>> {
    let data = only_child(node, XENC, "CipherData").ok().flatten()?;
    let value = only_child(data, XENC, "CipherValue").ok().flatten()?;
    base64_of(&text_of(value)).ok()
}

/// Decrypts `encrypted` (an EncryptedAssertion) with the first of `keys` (PKCS#8 of the relying
/// party's RSA keys) that unwraps its content key: the assertion's XML, as the identity provider
/// serialised it.
pub fn decrypt_assertion(encrypted: Node<'_, '_>, keys: &[Vec<u8>]) -> DomainResult<String> {
    let data = only_child(encrypted, XENC, "EncryptedData")?.ok_or_else(|| invalid("The encrypted SAML assertion has no EncryptedData."))?;
    if data.attribute("Type").is_some_and(|kind| kind != ELEMENT) {
        return Err(invalid("The encrypted SAML assertion must encrypt an element."));
    }
    let method = only_child(data, XENC, "EncryptionMethod")?.and_then(|method| method.attribute("Algorithm")).unwrap_or_default();
    let (_, key_length, mode) = CIPHERS
        .iter()
        .find(|(uri, _, _)| *uri == method)
        .ok_or_else(|| invalid(format!("The encrypted SAML assertion's algorithm {method} is not AES-GCM or AES-CBC.")))?;
    // The wrapped key: in the data's KeyInfo, or beside the data in the EncryptedAssertion.
    let in_key_info = only_child(data, DS, "KeyInfo")?.into_iter().flat_map(|info| children(info, XENC, "EncryptedKey"));
    let wrapped: Vec<Node<'_, '_>> = in_key_info.chain(children(encrypted, XENC, "EncryptedKey")).collect();
    if wrapped.is_empty() {
        return Err(invalid("The encrypted SAML assertion carries no EncryptedKey."));
    }
    let transports = wrapped.iter().map(|wrapped| transport_of(*wrapped)).collect::<DomainResult<Vec<_>>>()?;

    let mut content_key = None;
    'keys: for key in keys {
        let unloadable = || DomainError::internal("a SAML decryption key does not load");
        let private = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(key).map_err(|_| unloadable())?).map_err(|_| unloadable())?;
        for (wrapped, algorithm) in wrapped.iter().zip(&transports) {
            let Some(cipher) = cipher_value(*wrapped) else { continue };
            let mut plain = vec![0u8; private.key_size_bytes()];
            if let Ok(unwrapped) = private.decrypt(algorithm, &cipher, &mut plain, None) {
                if unwrapped.len() == *key_length {
                    content_key = Some(unwrapped.to_vec());
                    break 'keys;
                }
            }
        }
    }
    let content_key = content_key.ok_or_else(undecryptable)?;
    let mut sealed = cipher_value(data).ok_or_else(undecryptable)?;
    let (plain, intact) = match mode {
        Mode::Gcm => (open_gcm(&content_key, &mut sealed)?, true),
        Mode::Cbc => open_cbc(&content_key, &mut sealed)?,
    };
    // The text is checked whether or not the CBC padding held, so that a bad padding takes as
    // long to refuse as text that is not UTF-8 (what a changed block almost always makes).
    match (intact, std::hint::black_box(std::str::from_utf8(plain))) {
        (true, Ok(text)) => Ok(text.to_string()),
        _ => Err(undecryptable()),
    }
}

/// The OAEP parameters an EncryptedKey names; PKCS#1 v1.5 and mismatched digests are refused.
fn transport_of(wrapped: Node<'_, '_>) -> DomainResult<&'static OaepAlgorithm> {
    let method = only_child(wrapped, XENC, "EncryptionMethod")?.ok_or_else(|| invalid("The SAML EncryptedKey names no algorithm."))?;
    let digest = only_child(method, DS, "DigestMethod")?.and_then(|digest| digest.attribute("Algorithm")).unwrap_or(SHA1);
    let mask = only_child(method, XENC11, "MGF")?.and_then(|mask| mask.attribute("Algorithm"));
    if only_child(method, XENC, "OAEPparams")?.is_some() {
        return Err(invalid("The SAML EncryptedKey's OAEP parameters (a label) are not supported."));
    }
    let algorithm = method.attribute("Algorithm").unwrap_or_default();
    let chosen = match (algorithm, digest, mask) {
        (RSA_OAEP_MGF1P, SHA1, None) | (RSA_OAEP, SHA1, None | Some(MGF1_SHA1)) => Some(&aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1),
        (RSA_OAEP, SHA256, Some(MGF1_SHA256)) => Some(&aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256),
        (RSA_OAEP, SHA512, Some(MGF1_SHA512)) => Some(&aws_lc_rs::rsa::OAEP_SHA512_MGF1SHA512),
        (RSA_OAEP_MGF1P | RSA_OAEP, _, _) => None,
        _ => return Err(invalid(format!("The SAML EncryptedKey's algorithm {algorithm} is not RSA-OAEP."))),
    };
    chosen.ok_or_else(|| invalid("The SAML EncryptedKey's OAEP digest and mask function must be the same SHA-1, SHA-256 or SHA-512."))
}

/// AES-GCM as XML Encryption 1.1 lays it out: a 96-bit IV, the ciphertext, a 128-bit tag.
fn open_gcm<'a>(key: &[u8], sealed: &'a mut [u8]) -> DomainResult<&'a [u8]> {
    let algorithm = match key.len() {
        16 => &aws_lc_rs::aead::AES_128_GCM,
        24 => &aws_lc_rs::aead::AES_192_GCM,
        _ => &aws_lc_rs::aead::AES_256_GCM,
    };
    if sealed.len() < 12 + 16 {
        return Err(undecryptable());
    }
    let (iv, rest) = sealed.split_at_mut(12);
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| undecryptable())?;
    let key = LessSafeKey::new(UnboundKey::new(algorithm, key).map_err(|_| undecryptable())?);
    key.open_in_place(nonce, Aad::empty(), rest).map(|plain| &*plain).map_err(|_| undecryptable())
}

/// AES-CBC as XML Encryption lays it out: a 128-bit IV, then blocks whose last byte counts
/// the padding bytes (ISO 10126: the others are arbitrary). The plaintext, and whether its
/// padding held (when it did not, all but the last byte, for the caller to treat alike).
fn open_cbc<'a>(key: &[u8], sealed: &'a mut [u8]) -> DomainResult<(&'a [u8], bool)> {
    let algorithm = match key.len() {
        16 => &aws_lc_rs::cipher::AES_128,
        24 => &aws_lc_rs::cipher::AES_192,
        _ => &aws_lc_rs::cipher::AES_256,
    };
    if sealed.len() < 32 || sealed.len() % 16 != 0 {
        return Err(undecryptable());
    }
    let (iv, rest) = sealed.split_at_mut(16);
    let iv: [u8; 16] = (&*iv).try_into().map_err(|_| undecryptable())?;
    let key = DecryptingKey::cbc(UnboundCipherKey::new(algorithm, key).map_err(|_| undecryptable())?).map_err(|_| undecryptable())?;
    let plain = key.decrypt(rest, DecryptionContext::Iv128(FixedLength::from(iv))).map_err(|_| undecryptable())?;
    let padding = usize::from(*plain.last().ok_or_else(undecryptable)?);
    let intact = (1..=16).contains(&padding) && padding <= plain.len();
    let kept = plain.len() - if intact { padding } else { 1 };
    Ok((&plain[..kept], intact))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::{verify_response, Decryption, Expectation, IdpMetadata, Solicitation};
    use base64::Engine as _;

    const METADATA: &str = include_str!("testdata/idp_metadata.xml");
    const SIGNED_ASSERTION: &str = include_str!("testdata/response_signed_assertion.xml");
    const SIGNED_RESPONSE: &str = include_str!("testdata/response_signed_response.xml");
    const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    /// `xml` with its assertion encrypted to `key` (PKCS#8) as an identity provider does it:
    /// a fresh AES key wrapped by RSA-OAEP (SHA-1), the assertion under AES-128-GCM or -CBC.
    fn encrypted(xml: &str, key: &[u8], gcm: bool) -> String {
        let start = xml.find("<ns1:Assertion").unwrap();
        let end = xml.find("</ns1:Assertion>").unwrap() + "</ns1:Assertion>".len();
        let content_key = crate::crypto::random_bytes::<16>();
        let public = PrivateDecryptingKey::from_pkcs8(key).unwrap().public_key();
        let public = aws_lc_rs::rsa::OaepPublicEncryptingKey::new(public).unwrap();
        let mut wrapped = vec![0u8; public.ciphertext_size()];
        let wrapped = public.encrypt(&aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1, &content_key, &mut wrapped, None).unwrap().to_vec();
        let mut data = xml[start..end].as_bytes().to_vec();
        let (algorithm, sealed) = if gcm {
            let sealing = LessSafeKey::new(UnboundKey::new(&aws_lc_rs::aead::AES_128_GCM, &content_key).unwrap());
            let iv = crate::crypto::random_bytes::<12>();
            sealing.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut data).unwrap();
            ("http://www.w3.org/2009/xmlenc11#aes128-gcm", [iv.to_vec(), data].concat())
        } else {
            let padding = 16 - data.len() % 16;
            data.extend(std::iter::repeat_n(0xA5, padding - 1));
            data.push(padding as u8);
            let iv = crate::crypto::random_bytes::<16>();
            let encrypting = aws_lc_rs::cipher::EncryptingKey::cbc(UnboundCipherKey::new(&aws_lc_rs::cipher::AES_128, &content_key).unwrap()).unwrap();
            encrypting.less_safe_encrypt(&mut data, aws_lc_rs::cipher::EncryptionContext::Iv128(FixedLength::from(iv))).unwrap();
            ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", [iv.to_vec(), data].concat())
        };
        let element = format!(
            "<ns1:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"{XENC}\" Type=\"{ELEMENT}\"><xenc:EncryptionMethod Algorithm=\"{algorithm}\"/>\
             <ds:KeyInfo xmlns:ds=\"{DS}\"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm=\"{RSA_OAEP_MGF1P}\"/><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>\
             <xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></ns1:EncryptedAssertion>",
            BASE64.encode(wrapped),
            BASE64.encode(sealed)
        );
        format!("{}{element}{}", &xml[..start], &xml[end..])
    }

    fn verify(xml: &str, decryption: Option<Decryption<'_>>) -> DomainResult<String> {
        let metadata = IdpMetadata::parse(METADATA).unwrap();
        let start = xml.find("IssueInstant=\"").unwrap() + "IssueInstant=\"".len();
        let now_ms = crate::clock::parse_iso8601(&xml[start..start + 20]).unwrap() * 1000 + 60_000;
        let recipients = ["https://signin.aws.amazon.com/saml".to_string()];
        let audiences = ["urn:amazon:webservices".to_string()];
        let expect = Expectation { metadata: &metadata, recipients: &recipients, audiences: &audiences, in_response_to: Solicitation::Any, now_ms, allow_sha1: false, decryption };
        verify_response(&BASE64.encode(xml), &expect).map(|assertion| assertion.name_id)
    }

    #[test]
    fn encrypted_assertions_open_with_the_relying_partys_key_only() {
        let (_, key) = crate::crypto::new_rsa_key().unwrap();
        let (_, other) = crate::crypto::new_rsa_key().unwrap();
        let required = Some(Decryption { keys: std::slice::from_ref(&key), required: true });
        for (xml, gcm) in [(SIGNED_ASSERTION, true), (SIGNED_ASSERTION, false), (SIGNED_RESPONSE, true), (SIGNED_RESPONSE, false)] {
            let sealed = encrypted(xml, &key, gcm);
            if xml == SIGNED_ASSERTION {
                assert_eq!(verify(&sealed, required).unwrap(), "alice@corp.test.evil.example");
            } else {
                // The response's signature covered the assertion in the clear: encrypting it
                // afterwards breaks that signature, as a change anywhere would.
                assert!(verify(&sealed, required).unwrap_err().to_string().contains("digest"));
            }
        }
        let sealed = encrypted(SIGNED_ASSERTION, &key, true);
        let refused = |result: DomainResult<String>| result.unwrap_err().to_string();
        assert!(refused(verify(&sealed, None)).contains("not accepted here"));
        assert_eq!(refused(verify(&sealed, Some(Decryption { keys: std::slice::from_ref(&other), required: true }))), undecryptable().to_string());
        assert!(refused(verify(SIGNED_ASSERTION, required)).contains("must be encrypted"));
        assert!(verify(SIGNED_ASSERTION, Some(Decryption { keys: std::slice::from_ref(&key), required: false })).is_ok());
        // A changed byte of the ciphertext, in either mode, says only that it does not decrypt.
        for gcm in [true, false] {
            let sealed = encrypted(SIGNED_ASSERTION, &key, gcm);
            let value = sealed.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len() + 30;
            let flipped = if &sealed[value..value + 1] == "A" { "B" } else { "A" };
            let tampered = format!("{}{flipped}{}", &sealed[..value], &sealed[value + 1..]);
            assert_eq!(refused(verify(&tampered, required)), undecryptable().to_string(), "gcm: {gcm}");
        }
        // An assertion in the clear beside the encrypted one is refused (no wrapping).
        let start = SIGNED_ASSERTION.find("<ns1:Assertion").unwrap();
        let end = SIGNED_ASSERTION.find("</ns1:Assertion>").unwrap() + "</ns1:Assertion>".len();
        let element = &SIGNED_ASSERTION[start..end];
        let doubled = sealed.replacen("<ns1:EncryptedAssertion>", &format!("{element}<ns1:EncryptedAssertion>"), 1);
        assert!(refused(verify(&doubled, required)).contains("exactly one assertion"));
    }

    #[test]
    fn transports_other_than_oaep_and_mismatched_digests_are_refused() {
        let method = |inner: &str, algorithm: &str| {
            format!("<xenc:EncryptedKey xmlns:xenc=\"{XENC}\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:xenc11=\"{XENC11}\"><xenc:EncryptionMethod Algorithm=\"{algorithm}\">{inner}</xenc:EncryptionMethod></xenc:EncryptedKey>")
        };
        let read = |xml: String| {
            let document = roxmltree::Document::parse(&xml).unwrap();
            transport_of(document.root_element()).map(|algorithm| format!("{algorithm:?}")).map_err(|error| error.to_string())
        };
        assert!(read(method("", RSA_OAEP_MGF1P)).is_ok());
        assert!(read(method(&format!("<ds:DigestMethod Algorithm=\"{SHA256}\"/><xenc11:MGF Algorithm=\"{MGF1_SHA256}\"/>"), RSA_OAEP)).is_ok());
        assert!(read(method(&format!("<ds:DigestMethod Algorithm=\"{SHA256}\"/>"), RSA_OAEP)).unwrap_err().contains("the same"));
        assert!(read(method("", "http://www.w3.org/2001/04/xmlenc#rsa-1_5")).unwrap_err().contains("not RSA-OAEP"));
    }

    #[test]
    fn cbc_padding_is_checked_and_gcm_tags_bind_the_ciphertext() {
        // AES-128-CBC of one block "0123456789abcde" + padding 0x01, under key 0x00.., IV 0x00..
        let key = [0u8; 16];
        let mut block = *b"0123456789abcde\x01";
        let encrypting = aws_lc_rs::cipher::EncryptingKey::cbc(UnboundCipherKey::new(&aws_lc_rs::cipher::AES_128, &key).unwrap()).unwrap();
        encrypting.less_safe_encrypt(&mut block, aws_lc_rs::cipher::EncryptionContext::Iv128(FixedLength::from([0u8; 16]))).unwrap();
        let mut sealed = [[0u8; 16], block].concat();
        assert_eq!(open_cbc(&key, &mut sealed.clone()).unwrap(), (&b"0123456789abcde"[..], true));
        // A padding byte beyond the block size does not hold; the text goes on to the same
        // UTF-8 check as a held padding's, and is then refused with the one message.
        sealed[15] ^= 0x01 ^ 0x20;
        assert_eq!(open_cbc(&key, &mut sealed).unwrap(), (&b"0123456789abcde"[..], false));

        let gcm = LessSafeKey::new(UnboundKey::new(&aws_lc_rs::aead::AES_128_GCM, &key).unwrap());
        let mut text = b"<saml:Assertion/>".to_vec();
        gcm.seal_in_place_append_tag(Nonce::assume_unique_for_key([7; 12]), Aad::empty(), &mut text).unwrap();
        let mut sealed = [vec![7u8; 12], text].concat();
        assert_eq!(open_gcm(&key, &mut sealed.clone()).unwrap(), b"<saml:Assertion/>");
        sealed[13] ^= 1;
        assert!(open_gcm(&key, &mut sealed).is_err());
    }
}

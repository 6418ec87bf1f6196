//! The WebAuthn checks a relying party makes, written from the W3C Web Authentication spec (level
//! 2): client data (type, challenge, origin), authenticator data (RP ID hash, flags, counter,
//! attested credential), COSE public keys (ES256 on P-256, RS256), signatures verified with aws-lc-rs,
//! and the `none` and `packed` attestation statements (self attestation, or an attestation
//! certificate whose signature is checked; its chain is not judged against a metadata service).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value as Cbor;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// COSE algorithm identifiers.
pub const ES256: i64 = -7;
pub const RS256: i64 = -257;

/// Authenticator data flags.
const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const ATTESTED_CREDENTIAL: u8 = 0x40;

/// Why a credential or an assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed: not base64url, not JSON or CBOR, fields missing.
    Malformed(&'static str),
    /// The client data is not of this ceremony, or its challenge is not the one issued.
    Challenge,
    /// The origin is not the relying party's.
    Origin(String),
    /// The authenticator data names another relying party.
    RelyingParty,
    /// The user was not present, or not verified where verification is required.
    UserVerification,
    /// An algorithm or attestation format this server does not take.
    Unsupported(String),
    /// A signature that does not verify.
    Signature,
}

/// A credential's public key, as its COSE key gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "alg")]
pub enum PublicKey {
    /// ES256: the P-256 point, uncompressed (0x04 || x || y), hex.
    Es256 { point: String },
    /// RS256: modulus and exponent, hex.
    Rs256 { n: String, e: String },
}

impl PublicKey {
    /// Whether `signature` over `message` verifies under this key.
    pub fn verifies(&self, message: &[u8], signature_bytes: &[u8]) -> bool {
        match self {
            PublicKey::Es256 { point } => hex::decode(point)
                .map(|point| UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point).verify(message, signature_bytes).is_ok())
                .unwrap_or(false),
            PublicKey::Rs256 { n, e } => match (hex::decode(n), hex::decode(e)) {
                (Ok(n), Ok(e)) => signature::RsaPublicKeyComponents { n, e }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature_bytes)
                    .is_ok(),
                _ => false,
            },
        }
    }

    fn alg(&self) -> i64 {
        match self {
            PublicKey::Es256 { .. } => ES256,
            PublicKey::Rs256 { .. } => RS256,
        }
    }
}

pub fn b64url_decode(text: &str) -> Result<Vec<u8>, Refusal> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|_| Refusal::Malformed("a member is not base64url"))
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The parts of `clientDataJSON` a relying party checks.
#[derive(Debug, Deserialize)]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
}

/// Whether `origin` may speak for `rp_id`: https on the RP ID or a subdomain of it, or http on
/// `localhost` or a name under it (secure contexts in browsers).
pub fn origin_allowed(origin: &str, rp_id: &str) -> bool {
    let (scheme, rest) = match origin.split_once("://") {
        Some(parts) => parts,
        None => return false,
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit())).map(|(host, _)| host).unwrap_or(host);
    let matches = host == rp_id || host.ends_with(&format!(".{rp_id}"));
    let loopback_name = host == "localhost" || host.ends_with(".localhost");
    matches && (scheme == "https" || (scheme == "http" && loopback_name))
}

/// Checks `clientDataJSON` (raw bytes) for a ceremony of `kind` (`webauthn.create` or
/// `webauthn.get`), the `challenge` issued (base64url) and an origin of `rp_id`. Answers its
/// SHA-256, which the signatures cover.
pub fn check_client_data(client_data_json: &[u8], kind: &str, challenge: &str, rp_id: &str) -> Result<[u8; 32], Refusal> {
    let data: ClientData = serde_json::from_slice(client_data_json).map_err(|_| Refusal::Malformed("clientDataJSON"))?;
    if data.kind != kind || !crate::crypto::constant_time_eq(data.challenge.trim_end_matches('=').as_bytes(), challenge.as_bytes()) {
        return Err(Refusal::Challenge);
    }
    if !origin_allowed(&data.origin, rp_id) {
        return Err(Refusal::Origin(data.origin));
    }
    Ok(Sha256::digest(client_data_json).into())
}

/// Authenticator data, parsed.
#[derive(Debug, Clone)]
pub struct AuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    /// The attested credential (registration): AAGUID, credential id and public key.
    pub credential: Option<(Vec<u8>, Vec<u8>, PublicKey)>,
}

impl AuthenticatorData {
    pub fn parse(bytes: &[u8]) -> Result<AuthenticatorData, Refusal> {
        let short = || Refusal::Malformed("authenticator data is too short");
        if bytes.len() < 37 {
            return Err(short());
        }
        let rp_id_hash: [u8; 32] = bytes[..32].try_into().map_err(|_| short())?;
        let flags = bytes[32];
        let sign_count = u32::from_be_bytes(bytes[33..37].try_into().map_err(|_| short())?);
        let credential = if flags & ATTESTED_CREDENTIAL != 0 {
            let rest = &bytes[37..];
            if rest.len() < 18 {
                return Err(short());
            }
            let aaguid = rest[..16].to_vec();
            let id_length = u16::from_be_bytes([rest[16], rest[17]]) as usize;
            let id = rest.get(18..18 + id_length).ok_or_else(short)?.to_vec();
            let key: Cbor = ciborium::from_reader(&rest[18 + id_length..]).map_err(|_| Refusal::Malformed("the credential public key"))?;
            Some((aaguid, id, cose_key(&key)?))
        } else {
            None
        };
        Ok(AuthenticatorData { rp_id_hash, flags, sign_count, credential })
    }

    /// Checks the RP ID hash and the user's presence (and verification, when `require_uv`).
    pub fn check(&self, rp_id: &str, require_uv: bool) -> Result<(), Refusal> {
        let expected: [u8; 32] = Sha256::digest(rp_id.as_bytes()).into();
        if !crate::crypto::constant_time_eq(&expected, &self.rp_id_hash) {
            return Err(Refusal::RelyingParty);
        }
        if self.flags & USER_PRESENT == 0 || (require_uv && self.flags & USER_VERIFIED == 0) {
            return Err(Refusal::UserVerification);
        }
        Ok(())
    }

    pub fn user_verified(&self) -> bool {
        self.flags & USER_VERIFIED != 0
    }
}

fn map_get<'a>(map: &'a [(Cbor, Cbor)], key: i64) -> Option<&'a Cbor> {
    map.iter().find(|(name, _)| name.as_integer().is_some_and(|name| i128::from(name) == i128::from(key))).map(|(_, value)| value)
}

fn text_get<'a>(map: &'a [(Cbor, Cbor)], key: &str) -> Option<&'a Cbor> {
    map.iter().find(|(name, _)| name.as_text() == Some(key)).map(|(_, value)| value)
}

fn integer(value: Option<&Cbor>) -> Option<i64> {
    value.and_then(Cbor::as_integer).and_then(|value| i64::try_from(value).ok())
}

/// A COSE_Key: EC2 on P-256 with ES256, or RSA with RS256.
fn cose_key(key: &Cbor) -> Result<PublicKey, Refusal> {
    let map = key.as_map().ok_or(Refusal::Malformed("the credential public key is not a map"))?;
    let bytes = |label: i64| map_get(map, label).and_then(Cbor::as_bytes).cloned();
    match (integer(map_get(map, 1)), integer(map_get(map, 3))) {
        (Some(2), Some(ES256)) => {
            let (x, y) = (bytes(-2).unwrap_or_default(), bytes(-3).unwrap_or_default());
            if integer(map_get(map, -1)) != Some(1) || x.len() != 32 || y.len() != 32 {
                return Err(Refusal::Unsupported("an EC2 key that is not on P-256".into()));
            }
            Ok(PublicKey::Es256 { point: format!("04{}{}", hex::encode(x), hex::encode(y)) })
        }
        (Some(3), Some(RS256)) => {
            let (n, e) = (bytes(-1).unwrap_or_default(), bytes(-2).unwrap_or_default());
            if n.len() < 256 || e.is_empty() {
                return Err(Refusal::Unsupported("an RSA key under 2048 bits".into()));
            }
            Ok(PublicKey::Rs256 { n: hex::encode(n), e: hex::encode(e) })
        }
        (kty, alg) => Err(Refusal::Unsupported(format!("COSE key type {kty:?} with algorithm {alg:?} (ES256 and RS256 are taken)"))),
    }
}

/// A verified registration: the attested credential and the authenticator data it came in.
#[derive(Debug, Clone)]
pub struct Registration {
    pub credential_id: Vec<u8>,
    pub aaguid: Vec<u8>,
    pub public_key: PublicKey,
    pub sign_count: u32,
    pub format: String,
}

/// Verifies an attestation object (`none`, or `packed` with self attestation or an attestation
/// certificate) for the client data hash, the RP ID and the user verification requirement.
pub fn verify_attestation(attestation_object: &[u8], client_data_hash: &[u8; 32], rp_id: &str, require_uv: bool) -> Result<Registration, Refusal> {
    let object: Cbor = ciborium::from_reader(attestation_object).map_err(|_| Refusal::Malformed("attestationObject is not CBOR"))?;
    let map = object.as_map().ok_or(Refusal::Malformed("attestationObject is not a map"))?;
    let format = text_get(map, "fmt").and_then(Cbor::as_text).ok_or(Refusal::Malformed("attestationObject has no fmt"))?.to_string();
    let auth_data_bytes = text_get(map, "authData").and_then(Cbor::as_bytes).ok_or(Refusal::Malformed("attestationObject has no authData"))?;
    let statement = text_get(map, "attStmt").and_then(Cbor::as_map).ok_or(Refusal::Malformed("attestationObject has no attStmt"))?;
    let auth_data = AuthenticatorData::parse(auth_data_bytes)?;
    auth_data.check(rp_id, require_uv)?;
    let (aaguid, credential_id, public_key) = auth_data.credential.clone().ok_or(Refusal::Malformed("authData has no attested credential"))?;
    match format.as_str() {
        "none" => {}
        "packed" => {
            let alg = integer(text_get(statement, "alg")).ok_or(Refusal::Malformed("a packed statement has no alg"))?;
            let sig = text_get(statement, "sig").and_then(Cbor::as_bytes).ok_or(Refusal::Malformed("a packed statement has no sig"))?;
            let mut signed = auth_data_bytes.clone();
            signed.extend_from_slice(client_data_hash);
            let verifier = match text_get(statement, "x5c").and_then(Cbor::as_array) {
                Some(chain) => {
                    let certificate = chain.first().and_then(Cbor::as_bytes).ok_or(Refusal::Malformed("x5c is empty"))?;
                    certificate_key(certificate, alg)?
                }
                None if alg == public_key.alg() => public_key.clone(),
                None => return Err(Refusal::Signature),
            };
            if !verifier.verifies(&signed, sig) {
                return Err(Refusal::Signature);
            }
        }
        other => return Err(Refusal::Unsupported(format!("attestation format {other}"))),
    }
    Ok(Registration { credential_id, aaguid, public_key, sign_count: auth_data.sign_count, format })
}

/// One DER element: its tag, its contents and what follows it.
fn der_element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        (rest[..count].iter().fold(0usize, |length, byte| (length << 8) | *byte as usize), &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

/// The public key of an X.509 certificate (its SubjectPublicKeyInfo), for `alg`.
fn certificate_key(certificate: &[u8], alg: i64) -> Result<PublicKey, Refusal> {
    let bad = || Refusal::Malformed("the attestation certificate");
    let (_, certificate, _) = der_element(certificate).ok_or_else(bad)?;
    let (_, tbs, _) = der_element(certificate).ok_or_else(bad)?;
    let mut rest = tbs;
    let mut fields = Vec::new();
    while let Some((tag, contents, next)) = der_element(rest) {
        fields.push((tag, contents));
        rest = next;
    }
    // [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo.
    let offset = usize::from(fields.first().is_some_and(|(tag, _)| *tag == 0xa0));
    let (_, spki) = *fields.get(offset + 5).ok_or_else(bad)?;
    let (_, algorithm, rest) = der_element(spki).ok_or_else(bad)?;
    let (tag, key_bits, _) = der_element(rest).ok_or_else(bad)?;
    if tag != 0x03 || key_bits.is_empty() {
        return Err(bad());
    }
    let key = &key_bits[1..];
    const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (_, oid, _) = der_element(algorithm).ok_or_else(bad)?;
    match alg {
        ES256 if oid == EC_PUBLIC_KEY && key.len() == 65 => Ok(PublicKey::Es256 { point: hex::encode(key) }),
        RS256 if oid == RSA_ENCRYPTION => {
            let (_, sequence, _) = der_element(key).ok_or_else(bad)?;
            let (_, n, rest) = der_element(sequence).ok_or_else(bad)?;
            let (_, e, _) = der_element(rest).ok_or_else(bad)?;
            let n = n.strip_prefix(&[0]).unwrap_or(n);
            Ok(PublicKey::Rs256 { n: hex::encode(n), e: hex::encode(e) })
        }
        _ => Err(Refusal::Unsupported(format!("an attestation certificate key for algorithm {alg}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::KeyPair;

    #[test]
    fn origins_are_the_relying_partys() {
        assert!(origin_allowed("https://example.com", "example.com"));
        assert!(origin_allowed("https://login.example.com:8443", "example.com"));
        assert!(origin_allowed("http://localhost:9229", "localhost"));
        assert!(origin_allowed("http://demo.localhost:9229", "demo.localhost"));
        assert!(!origin_allowed("http://example.com", "example.com"), "plain http only on localhost");
        assert!(!origin_allowed("https://example.com.evil.test", "example.com"));
        assert!(!origin_allowed("https://notexample.com", "example.com"));
        assert!(!origin_allowed("example.com", "example.com"));
    }

    #[test]
    fn der_elements_with_long_lengths() {
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat(7u8).take(0x80));
        long.push(0x05);
        let (tag, contents, rest) = der_element(&long).unwrap();
        assert_eq!((tag, contents.len(), rest), (0x04, 0x80, &[0x05][..]));
        assert!(der_element(&[0x04, 0x82, 0x01]).is_none());
    }

    fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if contents.len() < 0x80 {
            out.push(contents.len() as u8);
        } else {
            out.extend([0x82, (contents.len() >> 8) as u8, contents.len() as u8]);
        }
        out.extend_from_slice(contents);
        out
    }

    fn p256_key() -> aws_lc_rs::signature::EcdsaKeyPair {
        let random = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &random).unwrap();
        aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap()
    }

    /// A minimal certificate holding `point` (only its SubjectPublicKeyInfo is read).
    fn certificate(point: &[u8]) -> Vec<u8> {
        let ec_oid = der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
        let curve = der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
        let mut bits = vec![0];
        bits.extend_from_slice(point);
        let spki = der(0x30, &[der(0x30, &[ec_oid, curve].concat()), der(0x03, &bits)].concat());
        let signature_alg = der(0x30, &der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
        let tbs = der(0x30, &[der(0xa0, &der(0x02, &[2])), der(0x02, &[1]), signature_alg.clone(), der(0x30, &[]), der(0x30, &[]), der(0x30, &[]), spki].concat());
        der(0x30, &[tbs, signature_alg, der(0x03, &[0])].concat())
    }

    #[test]
    fn packed_attestation_with_a_certificate_is_checked_against_its_key() {
        let random = aws_lc_rs::rand::SystemRandom::new();
        let (credential_key, attestation_key) = (p256_key(), p256_key());
        let point = credential_key.public_key().as_ref();
        let mut cose = Vec::new();
        let int = |value: i64| Cbor::Integer(value.into());
        let key = Cbor::Map(vec![(int(1), int(2)), (int(3), int(ES256)), (int(-1), int(1)), (int(-2), Cbor::Bytes(point[1..33].to_vec())), (int(-3), Cbor::Bytes(point[33..].to_vec()))]);
        ciborium::into_writer(&key, &mut cose).unwrap();
        let mut auth_data = Sha256::digest(b"example.com").to_vec();
        auth_data.extend([USER_PRESENT | ATTESTED_CREDENTIAL, 0, 0, 0, 0]);
        auth_data.extend([7u8; 16]);
        auth_data.extend([0, 4, 1, 2, 3, 4]);
        auth_data.extend(cose);
        let client_data_hash = [9u8; 32];
        let signed = [auth_data.clone(), client_data_hash.to_vec()].concat();
        let object = |signer: &aws_lc_rs::signature::EcdsaKeyPair| {
            let statement = Cbor::Map(vec![
                (Cbor::Text("alg".into()), int(ES256)),
                (Cbor::Text("sig".into()), Cbor::Bytes(signer.sign(&random, &signed).unwrap().as_ref().to_vec())),
                (Cbor::Text("x5c".into()), Cbor::Array(vec![Cbor::Bytes(certificate(attestation_key.public_key().as_ref()))])),
            ]);
            let map = Cbor::Map(vec![
                (Cbor::Text("fmt".into()), Cbor::Text("packed".into())),
                (Cbor::Text("attStmt".into()), statement),
                (Cbor::Text("authData".into()), Cbor::Bytes(auth_data.clone())),
            ]);
            let mut bytes = Vec::new();
            ciborium::into_writer(&map, &mut bytes).unwrap();
            bytes
        };
        let registration = verify_attestation(&object(&attestation_key), &client_data_hash, "example.com", false).unwrap();
        assert_eq!(registration.credential_id, vec![1, 2, 3, 4]);
        assert_eq!(registration.public_key, PublicKey::Es256 { point: hex::encode(point) });
        assert_eq!(verify_attestation(&object(&credential_key), &client_data_hash, "example.com", false).err(), Some(Refusal::Signature), "signed by a key the certificate does not hold");
        assert_eq!(verify_attestation(&object(&attestation_key), &client_data_hash, "other.com", false).err(), Some(Refusal::RelyingParty));
    }

    #[test]
    fn short_or_foreign_authenticator_data_is_refused() {
        assert!(AuthenticatorData::parse(&[0u8; 36]).is_err());
        let mut data = Sha256::digest(b"example.com").to_vec();
        data.extend([USER_PRESENT, 0, 0, 0, 9]);
        let parsed = AuthenticatorData::parse(&data).unwrap();
        assert_eq!(parsed.sign_count, 9);
        assert!(parsed.check("example.com", false).is_ok());
        assert_eq!(parsed.check("example.com", true), Err(Refusal::UserVerification));
        assert_eq!(parsed.check("other.com", false), Err(Refusal::RelyingParty));
    }
}

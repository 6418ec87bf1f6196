//! A software passkey authenticator, as a browser with a platform authenticator answers
//! `navigator.credentials.create()` and `.get()`: one credential with an ES256 key (aws-lc-rs) or an
//! RS256 key (aws-lc-rs), `none` or `packed` self attestation, and a signature counter. For
//! the load generator and the tests, which register and use passkeys without a browser.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value as Cbor;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, RSA_PKCS1_SHA256};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).unwrap();
    bytes
}

enum Key {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair, Vec<u8>, Vec<u8>),
}

/// A software authenticator: one credential, its key and its signature counter.
pub struct SoftAuthenticator {
    key: Key,
    pub credential_id: Vec<u8>,
    pub sign_count: u32,
    packed: bool,
}

impl SoftAuthenticator {
    pub fn es256(packed: bool) -> SoftAuthenticator {
        let random = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &random).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        SoftAuthenticator { key: Key::Es256(key), credential_id: crate::crypto::random_bytes::<16>().to_vec(), sign_count: 0, packed }
    }

    pub fn rs256(packed: bool) -> SoftAuthenticator {
        let (key, _) = crate::crypto::new_rsa_key().unwrap();
        let (n, e) = crate::crypto::rsa_public_numbers(&key);
        SoftAuthenticator { key: Key::Rs256(key, n, e), credential_id: crate::crypto::random_bytes::<16>().to_vec(), sign_count: 0, packed }
    }

    fn alg(&self) -> i64 {
        match self.key {
            Key::Es256(_) => -7,
            Key::Rs256(..) => -257,
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let random = SystemRandom::new();
        match &self.key {
            Key::Es256(key) => key.sign(&random, message).unwrap().as_ref().to_vec(),
            Key::Rs256(key, _, _) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &random, message, &mut signature).unwrap();
                signature
            }
        }
    }

    fn cose_key(&self) -> Cbor {
        let int = |value: i64| Cbor::Integer(value.into());
        match &self.key {
            Key::Es256(key) => {
                let point = key.public_key().as_ref();
                Cbor::Map(vec![
                    (int(1), int(2)),
                    (int(3), int(-7)),
                    (int(-1), int(1)),
                    (int(-2), Cbor::Bytes(point[1..33].to_vec())),
                    (int(-3), Cbor::Bytes(point[33..].to_vec())),
                ])
            }
            Key::Rs256(_, n, e) => Cbor::Map(vec![(int(1), int(3)), (int(3), int(-257)), (int(-1), Cbor::Bytes(n.clone())), (int(-2), Cbor::Bytes(e.clone()))]),
        }
    }

    fn authenticator_data(&self, rp_id: &str, attested: bool) -> Vec<u8> {
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(0x01 | 0x04 | if attested { 0x40 } else { 0 });
        data.extend(self.sign_count.to_be_bytes());
        if attested {
            data.extend([0u8; 16]);
            data.extend((self.credential_id.len() as u16).to_be_bytes());
            data.extend(&self.credential_id);
            data.extend(cbor(&self.cose_key()));
        }
        data
    }

    /// navigator.credentials.create() as a browser answers it, for `origin`.
    pub fn register(&self, options: &Value, origin: &str) -> Value {
        let rp_id = options["rp"]["id"].as_str().unwrap();
        let client_data = json!({"type": "webauthn.create", "challenge": options["challenge"], "origin": origin, "crossOrigin": false}).to_string();
        let auth_data = self.authenticator_data(rp_id, true);
        let statement = if self.packed {
            let mut signed = auth_data.clone();
            signed.extend(Sha256::digest(client_data.as_bytes()));
            Cbor::Map(vec![(Cbor::Text("alg".into()), Cbor::Integer(self.alg().into())), (Cbor::Text("sig".into()), Cbor::Bytes(self.sign(&signed)))])
        } else {
            Cbor::Map(vec![])
        };
        let attestation = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text(if self.packed { "packed" } else { "none" }.into())),
            (Cbor::Text("attStmt".into()), statement),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "attestationObject": b64(&cbor(&attestation)),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// navigator.credentials.get() for CREDENTIAL_REQUEST_OPTIONS, for `origin`; the counter grows.
    pub fn assert(&mut self, options: &Value, origin: &str) -> Value {
        self.sign_count += 1;
        let client_data = json!({"type": "webauthn.get", "challenge": options["challenge"], "origin": origin}).to_string();
        let auth_data = self.authenticator_data(options["rpId"].as_str().unwrap(), false);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(client_data.as_bytes()));
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&self.sign(&signed)),
                "userHandle": null,
            },
            "clientExtensionResults": {},
        })
    }
}

//! Passkeys driven by the AWS SDK for Rust with a software authenticator written here from the
//! WebAuthn spec (ES256 keys from ring, RS256 keys from the rsa crate, `none` and `packed` self
//! attestation): StartWebAuthnRegistration and CompleteWebAuthnRegistration, the WEB_AUTHN
//! challenge of USER_AUTH answered with an assertion, ListWebAuthnCredentials and
//! DeleteWebAuthnCredential; and the refusals: another origin, another relying party, a bad
//! signature, a replayed assertion (its counter does not grow), a spent registration challenge.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFactorType, AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType, MessageActionType, SignInPolicyType,
    UserPoolPolicyType, WebAuthnConfigurationType,
};
use aws_smithy_types::{Document, Number};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value as Cbor;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, RSA_PKCS1_SHA256};
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::PASSWORD;
use crate::harness::{error_code, unique, TestServer};
use crate::on_both_backends;

const RP_ID: &str = "localhost";
const ORIGIN: &str = "http://localhost:3000";

pub fn to_document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(flag) => Document::Bool(*flag),
        Value::Number(number) => match (number.as_u64(), number.as_i64()) {
            (Some(unsigned), _) => Document::Number(Number::PosInt(unsigned)),
            (None, Some(signed)) => Document::Number(Number::NegInt(signed)),
            _ => Document::Number(Number::Float(number.as_f64().unwrap_or_default())),
        },
        Value::String(text) => Document::String(text.clone()),
        Value::Array(items) => Document::Array(items.iter().map(to_document).collect()),
        Value::Object(map) => Document::Object(map.iter().map(|(key, value)| (key.clone(), to_document(value))).collect::<HashMap<_, _>>()),
    }
}

pub fn from_document(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(flag) => json!(flag),
        Document::Number(Number::PosInt(value)) => json!(value),
        Document::Number(Number::NegInt(value)) => json!(value),
        Document::Number(Number::Float(value)) => json!(value),
        Document::String(text) => json!(text),
        Document::Array(items) => Value::Array(items.iter().map(from_document).collect()),
        Document::Object(map) => Value::Object(map.iter().map(|(key, value)| (key.clone(), from_document(value))).collect()),
    }
}

fn b64(bytes: &[u8]) -> String {
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
    credential_id: Vec<u8>,
    sign_count: u32,
    packed: bool,
}

impl SoftAuthenticator {
    pub fn es256(packed: bool) -> SoftAuthenticator {
        let random = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &random).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &random).unwrap();
        SoftAuthenticator { key: Key::Es256(key), credential_id: uuid::Uuid::new_v4().as_bytes().to_vec(), sign_count: 0, packed }
    }

    pub fn rs256(packed: bool) -> SoftAuthenticator {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let (n, e) = (private.n().to_bytes_be(), private.e().to_bytes_be());
        let key = RsaKeyPair::from_pkcs8(private.to_pkcs8_der().unwrap().as_bytes()).unwrap();
        SoftAuthenticator { key: Key::Rs256(key, n, e), credential_id: uuid::Uuid::new_v4().as_bytes().to_vec(), sign_count: 0, packed }
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
                let mut signature = vec![0; key.public().modulus_len()];
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

/// A pool that allows passwords and passkeys (relying party `localhost`), a client allowing
/// USER_AUTH and password sign-in, and a user with a password; the user's access token.
async fn passkey_pool(server: &TestServer) -> (String, String, String) {
    let pool = server
        .idp
        .create_user_pool()
        .pool_name(unique("passkeys"))
        .policies(
            UserPoolPolicyType::builder()
                .sign_in_policy(SignInPolicyType::builder().allowed_first_auth_factors(AuthFactorType::Password).allowed_first_auth_factors(AuthFactorType::WebAuthn).build())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let client = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("app")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    let email = AttributeType::builder().name("email").value("kai@example.com").build().unwrap();
    server.idp.admin_create_user().user_pool_id(&pool).username("kai").user_attributes(email).message_action(MessageActionType::Suppress).send().await.unwrap();
    server.idp.admin_set_user_password().user_pool_id(&pool).username("kai").password(PASSWORD).permanent(true).send().await.unwrap();
    let token = server
        .idp
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "kai")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap()
        .access_token
        .unwrap();
    (pool, client, token)
}

async fn start(server: &TestServer, token: &str) -> Result<Value, String> {
    server
        .idp
        .start_web_authn_registration()
        .access_token(token)
        .send()
        .await
        .map(|output| from_document(&output.credential_creation_options))
        .map_err(|error| error_code(&error))
}

async fn complete(server: &TestServer, token: &str, credential: &Value) -> Result<(), String> {
    server.idp.complete_web_authn_registration().access_token(token).credential(to_document(credential)).send().await.map(|_| ()).map_err(|error| error_code(&error))
}

/// USER_AUTH with WEB_AUTHN preferred: the request options and the session.
async fn passkey_challenge(server: &TestServer, client: &str) -> (Value, String) {
    let challenge = server
        .idp
        .initiate_auth()
        .client_id(client)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "kai")
        .auth_parameters("PREFERRED_CHALLENGE", "WEB_AUTHN")
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.challenge_name, Some(ChallengeNameType::WebAuthn));
    let options: Value = serde_json::from_str(&challenge.challenge_parameters.unwrap()["CREDENTIAL_REQUEST_OPTIONS"]).unwrap();
    (options, challenge.session.unwrap())
}

async fn answer(server: &TestServer, client: &str, session: &str, credential: &Value) -> Result<String, String> {
    server
        .idp
        .respond_to_auth_challenge()
        .client_id(client)
        .challenge_name(ChallengeNameType::WebAuthn)
        .session(session)
        .challenge_responses("USERNAME", "kai")
        .challenge_responses("CREDENTIAL", credential.to_string())
        .send()
        .await
        .map(|output| output.authentication_result.and_then(|result| result.access_token).expect("tokens"))
        .map_err(|error| error_code(&error))
}

async fn passkeys_register_and_sign_in(server: TestServer) {
    let (pool, client, token) = passkey_pool(&server).await;

    // No relying party yet: the configuration is missing.
    assert_eq!(start(&server, &token).await.unwrap_err(), "WebAuthnConfigurationMissingException");
    server
        .idp
        .set_user_pool_mfa_config()
        .user_pool_id(&pool)
        .web_authn_configuration(WebAuthnConfigurationType::builder().relying_party_id(RP_ID).user_verification(aws_sdk_cognitoidentityprovider::types::UserVerificationType::Required).build())
        .send()
        .await
        .unwrap();

    // ES256 with packed self attestation; the options name the relying party and the user.
    let options = start(&server, &token).await.unwrap();
    assert_eq!(options["rp"]["id"], RP_ID);
    assert_eq!(options["user"]["name"], "kai");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    let mut es256 = SoftAuthenticator::es256(true);
    let foreign = es256.register(&options, "https://evil.example");
    assert_eq!(complete(&server, &token, &foreign).await.unwrap_err(), "WebAuthnOriginNotAllowedException");
    assert_eq!(complete(&server, &token, &es256.register(&options, ORIGIN)).await.unwrap_err(), "WebAuthnChallengeNotFoundException", "the challenge was spent");
    let options = start(&server, &token).await.unwrap();
    let mut other_rp = options.clone();
    other_rp["rp"]["id"] = json!("example.com");
    assert_eq!(complete(&server, &token, &es256.register(&other_rp, ORIGIN)).await.unwrap_err(), "WebAuthnRelyingPartyMismatchException");
    let options = start(&server, &token).await.unwrap();
    complete(&server, &token, &es256.register(&options, ORIGIN)).await.unwrap();

    // RS256 with attestation none.
    let options = start(&server, &token).await.unwrap();
    assert_eq!(options["excludeCredentials"].as_array().unwrap().len(), 1);
    let mut rs256 = SoftAuthenticator::rs256(false);
    complete(&server, &token, &rs256.register(&options, ORIGIN)).await.unwrap();
    let listed = server.idp.list_web_authn_credentials().access_token(&token).send().await.unwrap().credentials;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|credential| credential.relying_party_id == RP_ID && credential.authenticator_transports == vec!["internal"]));
    let factors = server.idp.get_user_auth_factors().access_token(&token).send().await.unwrap();
    assert_eq!(factors.configured_user_auth_factors.unwrap_or_default(), vec![AuthFactorType::Password, AuthFactorType::WebAuthn]);

    // Sign-in with each passkey.
    let (request, session) = passkey_challenge(&server, &client).await;
    assert_eq!(request["rpId"], RP_ID);
    assert_eq!(request["allowCredentials"].as_array().unwrap().len(), 2);
    let assertion = es256.assert(&request, ORIGIN);
    assert!(answer(&server, &client, &session, &assertion).await.is_ok());
    let (request, session) = passkey_challenge(&server, &client).await;
    assert!(answer(&server, &client, &session, &rs256.assert(&request, ORIGIN)).await.is_ok());

    // Refusals: a replayed assertion, another origin, a bad signature; the session takes three.
    let (request, session) = passkey_challenge(&server, &client).await;
    assert_eq!(answer(&server, &client, &session, &assertion).await.unwrap_err(), "NotAuthorizedException", "an old challenge and counter");
    assert_eq!(answer(&server, &client, &session, &es256.assert(&request, "https://evil.example")).await.unwrap_err(), "NotAuthorizedException");
    let mut forged = es256.assert(&request, ORIGIN);
    forged["response"]["signature"] = json!(b64(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]));
    assert_eq!(answer(&server, &client, &session, &forged).await.unwrap_err(), "NotAuthorizedException");
    assert_eq!(answer(&server, &client, &session, &es256.assert(&request, ORIGIN)).await.unwrap_err(), "NotAuthorizedException", "three answers per session");
    let (request, session) = passkey_challenge(&server, &client).await;
    es256.sign_count = 0;
    let stale = es256.assert(&request, ORIGIN);
    assert_eq!(answer(&server, &client, &session, &stale).await.unwrap_err(), "NotAuthorizedException", "a counter that did not grow");

    // DeleteWebAuthnCredential: the passkey no longer signs in.
    let es256_id = b64(&es256.credential_id);
    server.idp.delete_web_authn_credential().access_token(&token).credential_id(&es256_id).send().await.unwrap();
    let missing = server.idp.delete_web_authn_credential().access_token(&token).credential_id(&es256_id).send().await.unwrap_err();
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
    let (request, session) = passkey_challenge(&server, &client).await;
    assert_eq!(request["allowCredentials"].as_array().unwrap().len(), 1);
    es256.sign_count += 10;
    assert_eq!(answer(&server, &client, &session, &es256.assert(&request, ORIGIN)).await.unwrap_err(), "NotAuthorizedException");
}

on_both_backends!(passkeys_are_registered_and_sign_in, super::passkeys_register_and_sign_in);

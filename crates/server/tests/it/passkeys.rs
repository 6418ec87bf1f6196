//! Passkeys driven by the AWS SDK for Rust with the software authenticator of
//! `cognate_domain::user_pool::passkeys::authenticator` (ES256 keys from aws-lc-rs, RS256 keys from
//! aws-lc-rs, `none` and `packed` self attestation): StartWebAuthnRegistration and CompleteWebAuthnRegistration, the WEB_AUTHN
//! challenge of USER_AUTH answered with an assertion, ListWebAuthnCredentials and
//! DeleteWebAuthnCredential; and the refusals: another origin, another relying party, a bad
//! signature, a replayed assertion (its counter does not grow), a spent registration challenge.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFactorType, AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType, MessageActionType, WebAuthnConfigurationType,
};
use aws_smithy_types::{Document, Number};
use cognate_domain::user_pool::passkeys::authenticator::{b64, SoftAuthenticator};
use serde_json::{json, Value};

use crate::auth::PASSWORD;
use crate::harness::{error_code, TestServer};
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

/// A pool that allows passwords and passkeys (relying party `localhost`), a client allowing
/// USER_AUTH and password sign-in, and a user with a password; the user's access token.
async fn passkey_pool(server: &TestServer) -> (String, String, String) {
    let flows = [ExplicitAuthFlowsType::AllowUserPasswordAuth, ExplicitAuthFlowsType::AllowRefreshTokenAuth];
    let (pool, client) = crate::user_auth::first_factor_pool(server, &[AuthFactorType::WebAuthn], &flows).await;
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

//! Remembered devices driven by the AWS SDK for Rust, with the client's side of device SRP
//! computed as amazon-cognito-identity-js computes it: NewDeviceMetadata at sign-in, ConfirmDevice,
//! DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER replacing the emailed MFA code on a remembered
//! device, the code asked again when the device is not remembered or forgotten, refresh with
//! DeviceKey, the listings and the Admin forms; and the refusals: a wrong device secret, replayed
//! answers, a key the sign-in was not given, an unknown device.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ChallengeNameType, DeviceConfigurationType, DeviceRememberedStatusType, DeviceSecretVerifierConfigType,
    EmailMfaConfigType, UserPoolMfaType,
};
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use cognate_domain::clock::{Clock, ManualClock};
use cognate_domain::srp::{format_timestamp, make_verifier, pad, parse_hex, ClientAttempt};

use crate::auth::{claims, fixture, Fixture, PASSWORD};
use crate::harness::{database_url, error_code, test_config, Backend, TestServer};
use crate::on_each_backend;
use crate::sign_up::latest_code;

async fn server_with_clock(backend: Backend) -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(backend, data_dir.path()).await;
    (TestServer::start_with_clock(test_config(data_dir.path(), &url), data_dir, clock.clone()).await, clock)
}

/// A device as the client keeps it: its key, group key and random password.
struct Device {
    key: String,
    group_key: String,
    password: String,
}

async fn password_sign_in(server: &TestServer, fixture: &Fixture, device_key: Option<&str>) -> Result<InitiateAuthOutput, String> {
    server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .set_auth_parameters(Some(
            [("USERNAME", "dora"), ("PASSWORD", PASSWORD)]
                .into_iter()
                .chain(device_key.map(|key| ("DEVICE_KEY", key)))
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        ))
        .send()
        .await
        .map_err(|error| error_code(&error))
}

/// The newest code emailed to dora; the clock moves on a second after each, so that the next
/// one is the newest.
async fn emailed_code(server: &TestServer, clock: &ManualClock, fixture: &Fixture) -> String {
    let code = latest_code(server, &fixture.pool_id, "dora@example.com").await;
    clock.advance_millis(1_000);
    code
}

/// Answers the emailed code of an EMAIL_OTP challenge (`challenge`, its name, with `session`).
async fn answer_email_code(
    server: &TestServer,
    clock: &ManualClock,
    fixture: &Fixture,
    challenge: Option<ChallengeNameType>,
    session: String,
) -> aws_sdk_cognitoidentityprovider::types::AuthenticationResultType {
    assert_eq!(challenge, Some(ChallengeNameType::EmailOtp));
    let code = emailed_code(server, clock, fixture).await;
    server
        .idp
        .respond_to_auth_challenge()
        .client_id(&fixture.client_id)
        .challenge_name(ChallengeNameType::EmailOtp)
        .session(session)
        .challenge_responses("USERNAME", "dora")
        .challenge_responses("EMAIL_OTP_CODE", code)
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap()
}

/// A password sign-in from a new device, answered with the emailed code.
async fn email_sign_in(server: &TestServer, clock: &ManualClock, fixture: &Fixture) -> aws_sdk_cognitoidentityprovider::types::AuthenticationResultType {
    let challenge = password_sign_in(server, fixture, None).await.unwrap();
    answer_email_code(server, clock, fixture, challenge.challenge_name, challenge.session.unwrap()).await
}

/// The device's proof after DEVICE_SRP_AUTH: its access token, or the error code of the step
/// that refused it. `password` may be wrong.
async fn device_proof(server: &TestServer, clock: &ManualClock, fixture: &Fixture, device: &Device, session: String, password: &str) -> Result<Proved, String> {
    let attempt = ClientAttempt::new();
    let verifier = server
        .idp
        .respond_to_auth_challenge()
        .client_id(&fixture.client_id)
        .challenge_name(ChallengeNameType::DeviceSrpAuth)
        .session(session)
        .challenge_responses("USERNAME", "dora")
        .challenge_responses("DEVICE_KEY", &device.key)
        .challenge_responses("SRP_A", attempt.big_a_hex())
        .send()
        .await
        .map_err(|error| error_code(&error))?;
    assert_eq!(verifier.challenge_name, Some(ChallengeNameType::DevicePasswordVerifier));
    let parameters = verifier.challenge_parameters.unwrap();
    let timestamp = format_timestamp(clock.now_millis() / 1000);
    let signature = attempt
        .claim(&device.group_key, &device.key, password, &parameters["SALT"], &parameters["SRP_B"], &parameters["SECRET_BLOCK"], &timestamp)
        .expect("a usable B");
    let respond = || {
        server
            .idp
            .respond_to_auth_challenge()
            .client_id(&fixture.client_id)
            .challenge_name(ChallengeNameType::DevicePasswordVerifier)
            .challenge_responses("USERNAME", "dora")
            .challenge_responses("DEVICE_KEY", &device.key)
            .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", &parameters["SECRET_BLOCK"])
            .challenge_responses("PASSWORD_CLAIM_SIGNATURE", &signature)
            .challenge_responses("TIMESTAMP", &timestamp)
    };
    let answered = respond().send().await.map_err(|error| error_code(&error))?;
    let replayed = respond().send().await.unwrap_err();
    assert_eq!(error_code(&replayed), "NotAuthorizedException", "a SECRET_BLOCK is answered once");
    Ok(Proved { challenge: answered.challenge_name, session: answered.session, result: answered.authentication_result })
}

/// Where the device's proof left the sign-in.
struct Proved {
    challenge: Option<ChallengeNameType>,
    session: Option<String>,
    result: Option<aws_sdk_cognitoidentityprovider::types::AuthenticationResultType>,
}

async fn remembered_devices(backend: Backend) {
    let (server, clock) = server_with_clock(backend).await;
    let fixture = fixture(&server, "dora", false).await;
    let pool = &fixture.pool_id;

    // Without DeviceConfiguration the pool gives no device key, and ignores one.
    let plain = password_sign_in(&server, &fixture, Some("us-east-1_00000000-0000-4000-8000-000000000000")).await.unwrap();
    assert!(plain.authentication_result.unwrap().new_device_metadata.is_none());

    server
        .idp
        .update_user_pool()
        .user_pool_id(pool)
        .device_configuration(DeviceConfigurationType::builder().challenge_required_on_new_device(true).device_only_remembered_on_user_prompt(false).build())
        .send()
        .await
        .unwrap();
    server
        .idp
        .set_user_pool_mfa_config()
        .user_pool_id(pool)
        .email_mfa_configuration(EmailMfaConfigType::builder().message("Your code is {####}").subject("Sign-in code").build())
        .mfa_configuration(UserPoolMfaType::On)
        .send()
        .await
        .unwrap();

    // A sign-in from a new device: the emailed code, then a device key bound to the tokens.
    let tokens = email_sign_in(&server, &clock, &fixture).await;
    let metadata = tokens.new_device_metadata.clone().expect("NewDeviceMetadata");
    let key = metadata.device_key.unwrap();
    let group_key = metadata.device_group_key.unwrap();
    let (region, uuid) = key.split_once('_').unwrap();
    assert_eq!(region, pool.split_once('_').unwrap().0);
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{key}");
    let access_token = tokens.access_token.clone().unwrap();
    assert_eq!(claims(&access_token)["device_key"], key.as_str());
    let device = Device { key: key.clone(), group_key, password: "h3JYlmX2m3nGQ1Tq2yZb0M5p6o8N9sWcFq0L3rA5v7eU4t1kD8xwYQ==".into() };

    // ConfirmDevice with the verifier the client computes, sent as amazon-cognito-identity-js
    // sends it: the bytes of padHex(salt) and padHex(verifier) (the hex itself may be of odd
    // length, as it was in one run out of sixteen before this used `pad`).
    let (salt_hex, verifier_hex) = make_verifier(&device.group_key, &device.key, &device.password);
    let bytes = |hex: &str| pad(&parse_hex(hex).unwrap());
    let config = DeviceSecretVerifierConfigType::builder()
        .salt(BASE64.encode(bytes(&salt_hex)))
        .password_verifier(BASE64.encode(bytes(&verifier_hex)))
        .build();
    let other_key = format!("{region}_{}", uuid::Uuid::new_v4());
    let not_given = server.idp.confirm_device().access_token(&access_token).device_key(&other_key).device_secret_verifier_config(config.clone()).send().await.unwrap_err();
    assert_eq!(error_code(&not_given), "ResourceNotFoundException", "only the key this sign-in was given");
    let confirmed = server
        .idp
        .confirm_device()
        .access_token(&access_token)
        .device_key(&key)
        .device_secret_verifier_config(config.clone())
        .device_name("laptop")
        .send()
        .await
        .unwrap();
    assert!(!confirmed.user_confirmation_necessary);
    let again = server.idp.confirm_device().access_token(&access_token).device_key(&key).device_secret_verifier_config(config.clone()).send().await.unwrap_err();
    assert_eq!(error_code(&again), "DeviceKeyExistsException");

    let listed = server.idp.list_devices().access_token(&access_token).send().await.unwrap().devices.unwrap();
    assert_eq!(listed.len(), 1);
    let attributes: std::collections::HashMap<String, String> =
        listed[0].device_attributes().iter().map(|attribute| (attribute.name.clone(), attribute.value.clone().unwrap_or_default())).collect();
    assert_eq!(attributes["device_name"], "laptop");
    assert_eq!(attributes["dev:device_remembered_status"], "remembered");
    assert_eq!(attributes["last_ip_used"], "127.0.0.1");
    assert_eq!(listed[0].device_key.as_deref(), Some(key.as_str()));

    // The remembered device proves itself and skips the emailed code.
    let challenge = password_sign_in(&server, &fixture, Some(&key)).await.unwrap();
    assert_eq!(challenge.challenge_name, Some(ChallengeNameType::DeviceSrpAuth));
    let session = challenge.session.unwrap();
    let signed_in = device_proof(&server, &clock, &fixture, &device, session.clone(), &device.password).await.unwrap();
    let result = signed_in.result.expect("tokens without a second factor");
    assert!(result.new_device_metadata.is_none(), "a known device gets no new key");
    assert_eq!(claims(result.access_token.as_deref().unwrap())["device_key"], key.as_str());
    let replayed = device_proof(&server, &clock, &fixture, &device, session, &device.password).await.err();
    assert_eq!(replayed.as_deref(), Some("NotAuthorizedException"), "DEVICE_SRP_AUTH's session is spent");

    // A wrong device secret is refused.
    let challenge = password_sign_in(&server, &fixture, Some(&key)).await.unwrap();
    let wrong = device_proof(&server, &clock, &fixture, &device, challenge.session.unwrap(), "another-secret").await.err();
    assert_eq!(wrong.as_deref(), Some("NotAuthorizedException"));

    // Refresh with the device's key; another key is refused.
    let refresh_token = result.refresh_token.clone().unwrap();
    let refresh = |device_key: String| {
        server
            .idp
            .initiate_auth()
            .client_id(&fixture.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", &refresh_token)
            .auth_parameters("DEVICE_KEY", device_key)
            .send()
    };
    let refreshed = refresh(key.clone()).await.unwrap().authentication_result.unwrap();
    assert_eq!(claims(refreshed.access_token.as_deref().unwrap())["device_key"], key.as_str());
    assert_eq!(error_code(&refresh(other_key.clone()).await.unwrap_err()), "NotAuthorizedException");

    // Not remembered: the device still proves itself, and the code is asked as well.
    server
        .idp
        .update_device_status()
        .access_token(&access_token)
        .device_key(&key)
        .device_remembered_status(DeviceRememberedStatusType::NotRemembered)
        .send()
        .await
        .unwrap();
    let challenge = password_sign_in(&server, &fixture, Some(&key)).await.unwrap();
    let proved = device_proof(&server, &clock, &fixture, &device, challenge.session.unwrap(), &device.password).await.unwrap();
    let after_code = answer_email_code(&server, &clock, &fixture, proved.challenge, proved.session.unwrap()).await;
    assert!(after_code.new_device_metadata.is_none());
    assert_eq!(claims(after_code.access_token.as_deref().unwrap())["device_key"], key.as_str());

    // The Admin forms.
    server
        .idp
        .admin_update_device_status()
        .user_pool_id(pool)
        .username("dora")
        .device_key(&key)
        .device_remembered_status(DeviceRememberedStatusType::Remembered)
        .send()
        .await
        .unwrap();
    let got = server.idp.admin_get_device().user_pool_id(pool).username("dora").device_key(&key).send().await.unwrap().device.unwrap();
    assert!(got.device_attributes().iter().any(|attribute| attribute.name == "dev:device_remembered_status" && attribute.value.as_deref() == Some("remembered")));
    assert!(got.device_last_authenticated_date.is_some());
    let admin_listed = server.idp.admin_list_devices().user_pool_id(pool).username("dora").send().await.unwrap();
    assert_eq!(admin_listed.devices.unwrap().len(), 1);
    let missing = server.idp.get_device().access_token(&access_token).device_key(&other_key).send().await.unwrap_err();
    assert_eq!(error_code(&missing), "ResourceNotFoundException");

    // Forgotten: a sign-in naming it is told the device does not exist, and one without it is
    // asked for the code and given a new key.
    server.idp.forget_device().access_token(&access_token).device_key(&key).send().await.unwrap();
    let forgotten = password_sign_in(&server, &fixture, Some(&key)).await.unwrap_err();
    assert_eq!(forgotten, "ResourceNotFoundException");
    let fresh = email_sign_in(&server, &clock, &fixture).await;
    assert_ne!(fresh.new_device_metadata.unwrap().device_key.unwrap(), key);
    assert!(server.idp.admin_list_devices().user_pool_id(pool).username("dora").send().await.unwrap().devices.unwrap().is_empty());

    // A pool that remembers devices only when the user says so.
    server
        .idp
        .update_user_pool()
        .user_pool_id(pool)
        .mfa_configuration(UserPoolMfaType::Off)
        .device_configuration(DeviceConfigurationType::builder().device_only_remembered_on_user_prompt(true).build())
        .send()
        .await
        .unwrap();
    let prompted = password_sign_in(&server, &fixture, None).await.unwrap().authentication_result.unwrap();
    let prompted_key = prompted.new_device_metadata.unwrap().device_key.unwrap();
    let necessary = server
        .idp
        .confirm_device()
        .access_token(prompted.access_token.unwrap())
        .device_key(&prompted_key)
        .device_secret_verifier_config(config)
        .send()
        .await
        .unwrap();
    assert!(necessary.user_confirmation_necessary);
    server.idp.admin_forget_device().user_pool_id(pool).username("dora").device_key(&prompted_key).send().await.unwrap();
    let gone = server.idp.admin_get_device().user_pool_id(pool).username("dora").device_key(&prompted_key).send().await.unwrap_err();
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
    server.stop().await;
}

on_each_backend!(remembered_devices_replace_the_second_factor, super::remembered_devices);

//! MFA driven by the AWS SDK for Rust: the pool's MFA configuration, TOTP set up during sign-in
//! (MFA_SETUP through AssociateSoftwareToken and VerifySoftwareToken with the Session) and by
//! access token, SOFTWARE_TOKEN_MFA with each code accepted once, SMS and email codes from the
//! outbox, SELECT_MFA_TYPE, the user's preference as GetUser shows it, and the refusals: wrong,
//! reused and late codes, replayed and expired sessions, and the lockout wrong codes lead to.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, ChallengeNameType, EmailMfaConfigType, MfaOptionType, DeliveryMediumType, SmsMfaConfigType,
    SmsMfaSettingsType, SoftwareTokenMfaConfigType, SoftwareTokenMfaSettingsType, EmailMfaSettingsType, UserPoolMfaType,
    VerifySoftwareTokenResponseType,
};
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use cognate_domain::clock::{Clock, ManualClock};
use cognate_domain::user_pool::mfa::totp;

use crate::auth::{fixture, sign_in, Fixture, PASSWORD};
use crate::harness::{database_url, error_code, test_config, Backend, TestServer};
use crate::on_each_backend;
use crate::sign_up::latest_code;

async fn server_with_clock(backend: Backend) -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(backend, data_dir.path()).await;
    (TestServer::start_with_clock(test_config(data_dir.path(), &url), data_dir, clock.clone()).await, clock)
}

async fn start_sign_in(server: &TestServer, fixture: &Fixture, username: &str) -> InitiateAuthOutput {
    server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("the password is right")
}

/// Answers a challenge; the access token, or the error code.
async fn answer(server: &TestServer, fixture: &Fixture, name: ChallengeNameType, session: &str, responses: &[(&str, &str)]) -> Result<Option<String>, String> {
    let responses: HashMap<String, String> = responses.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect();
    server
        .idp
        .respond_to_auth_challenge()
        .client_id(&fixture.client_id)
        .challenge_name(name)
        .session(session)
        .set_challenge_responses(Some(responses))
        .send()
        .await
        .map(|output| output.authentication_result.and_then(|result| result.access_token))
        .map_err(|error| error_code(&error))
}

async fn totp_set_up_and_sign_in(backend: Backend) {
    let (server, clock) = server_with_clock(backend).await;
    let fixture = fixture(&server, "tina", false).await;
    let pool = &fixture.pool_id;

    // ON with no factor is refused; with TOTP it is taken, and read back.
    let refused = server.idp.set_user_pool_mfa_config().user_pool_id(pool).mfa_configuration(UserPoolMfaType::On).send().await.unwrap_err();
    assert_eq!(error_code(&refused), "InvalidParameterException");
    let set = server
        .idp
        .set_user_pool_mfa_config()
        .user_pool_id(pool)
        .software_token_mfa_configuration(SoftwareTokenMfaConfigType::builder().enabled(true).build())
        .mfa_configuration(UserPoolMfaType::On)
        .send()
        .await
        .unwrap();
    assert_eq!(set.mfa_configuration, Some(UserPoolMfaType::On));
    let read = server.idp.get_user_pool_mfa_config().user_pool_id(pool).send().await.unwrap();
    assert_eq!(read.software_token_mfa_configuration.map(|config| config.enabled), Some(true));
    assert!(read.sms_mfa_configuration.is_none());
    assert_eq!(read.mfa_configuration, Some(UserPoolMfaType::On));

    // MFA is required and the user has no factor: MFA_SETUP.
    let setup = start_sign_in(&server, &fixture, "tina").await;
    assert_eq!(setup.challenge_name, Some(ChallengeNameType::MfaSetup));
    let parameters = setup.challenge_parameters.unwrap();
    assert_eq!(parameters["MFAS_CAN_SETUP"], "[\"SOFTWARE_TOKEN_MFA\"]");
    let session = setup.session.clone().unwrap();
    let associated = server.idp.associate_software_token().session(&session).send().await.unwrap();
    let secret_code = associated.secret_code.unwrap();
    assert_eq!(secret_code.len(), 32, "160 bits in base32");
    let secret = totp::base32_decode(&secret_code).expect("base32");
    let session = associated.session.unwrap();
    let replayed = server.idp.associate_software_token().session(setup.session.as_deref().unwrap()).send().await.unwrap_err();
    assert_eq!(error_code(&replayed), "NotAuthorizedException", "a session is spent by its answer");

    let now = || clock.now_millis();
    let wrong = format!("{:06}", (totp::code_at_step(&secret, totp::step_of(now())).parse::<u32>().unwrap() + 1) % 1_000_000);
    let mismatch = server.idp.verify_software_token().session(&session).user_code(&wrong).send().await.unwrap_err();
    assert_eq!(error_code(&mismatch), "EnableSoftwareTokenMFAException");
    let verified = server
        .idp
        .verify_software_token()
        .session(&session)
        .user_code(totp::code_at_step(&secret, totp::step_of(now())))
        .friendly_device_name("phone")
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status, Some(VerifySoftwareTokenResponseType::Success));
    let session = verified.session.unwrap();
    assert!(answer(&server, &fixture, ChallengeNameType::MfaSetup, &session, &[("USERNAME", "tina")]).await.unwrap().is_some());
    assert_eq!(
        answer(&server, &fixture, ChallengeNameType::MfaSetup, &session, &[("USERNAME", "tina")]).await.unwrap_err(),
        "NotAuthorizedException",
        "the completed session is spent"
    );
    let user = server.idp.admin_get_user().user_pool_id(pool).username("tina").send().await.unwrap();
    assert_eq!(user.user_mfa_setting_list.unwrap_or_default(), vec!["SOFTWARE_TOKEN_MFA"]);
    assert_eq!(user.preferred_mfa_setting.as_deref(), Some("SOFTWARE_TOKEN_MFA"));

    // The next sign-in asks for a code; the one used at set-up is spent, the next step's is not.
    let challenge = start_sign_in(&server, &fixture, "tina").await;
    assert_eq!(challenge.challenge_name, Some(ChallengeNameType::SoftwareTokenMfa));
    assert_eq!(challenge.challenge_parameters.unwrap()["FRIENDLY_DEVICE_NAME"], "phone");
    let session = challenge.session.unwrap();
    let used = totp::code_at_step(&secret, totp::step_of(now()));
    let reused = answer(&server, &fixture, ChallengeNameType::SoftwareTokenMfa, &session, &[("USERNAME", "tina"), ("SOFTWARE_TOKEN_MFA_CODE", &used)]).await;
    assert_eq!(reused.unwrap_err(), "CodeMismatchException", "a code is accepted once");
    let next = totp::code_at_step(&secret, totp::step_of(now()) + 1);
    let access_token = answer(&server, &fixture, ChallengeNameType::SoftwareTokenMfa, &session, &[("USERNAME", "tina"), ("SOFTWARE_TOKEN_MFA_CODE", &next)])
        .await
        .unwrap()
        .expect("tokens");
    let holder = server.idp.get_user().access_token(&access_token).send().await.unwrap();
    assert_eq!(holder.user_mfa_setting_list.unwrap_or_default(), vec!["SOFTWARE_TOKEN_MFA"]);

    // A session is good for AuthSessionValidity (three minutes by default), no longer.
    clock.advance_millis(60_000);
    let challenge = start_sign_in(&server, &fixture, "tina").await;
    clock.advance_millis(3 * 60_000 + 1_000);
    let late = totp::code_at_step(&secret, totp::step_of(now()));
    let expired = answer(&server, &fixture, ChallengeNameType::SoftwareTokenMfa, challenge.session.as_deref().unwrap(), &[("USERNAME", "tina"), ("SOFTWARE_TOKEN_MFA_CODE", &late)]).await;
    assert_eq!(expired.unwrap_err(), "NotAuthorizedException");

    // Three wrong codes spend a session; wrong codes add up toward the lockout across sign-ins,
    // and while it lasts even the right password is refused.
    let challenge = start_sign_in(&server, &fixture, "tina").await;
    let session = challenge.session.unwrap();
    let wrong = format!("{:06}", (totp::code_at_step(&secret, totp::step_of(now())).parse::<u32>().unwrap() + 500_000) % 1_000_000);
    for _ in 0..3 {
        let result = answer(&server, &fixture, ChallengeNameType::SoftwareTokenMfa, &session, &[("USERNAME", "tina"), ("SOFTWARE_TOKEN_MFA_CODE", &wrong)]).await;
        assert_eq!(result.unwrap_err(), "CodeMismatchException");
    }
    let right = totp::code_at_step(&secret, totp::step_of(now()));
    let spent = answer(&server, &fixture, ChallengeNameType::SoftwareTokenMfa, &session, &[("USERNAME", "tina"), ("SOFTWARE_TOKEN_MFA_CODE", &right)]).await;
    assert_eq!(spent.unwrap_err(), "NotAuthorizedException", "three wrong answers spend the session");
    let challenge = start_sign_in(&server, &fixture, "tina").await;
    for _ in 0..2 {
        let result = answer(&server, &fixture, ChallengeNameType::SoftwareTokenMfa, challenge.session.as_deref().unwrap(), &[("USERNAME", "tina"), ("SOFTWARE_TOKEN_MFA_CODE", &wrong)]).await;
        assert_eq!(result.unwrap_err(), "CodeMismatchException");
    }
    let locked = sign_in(&server, &fixture, "tina", PASSWORD).await.unwrap_err();
    assert_eq!(locked, "NotAuthorizedException", "locked out after five failures, the right password too");
    clock.advance_millis(60_000);
    let challenge = start_sign_in(&server, &fixture, "tina").await;
    let code = totp::code_at_step(&secret, totp::step_of(now()));
    assert!(answer(&server, &fixture, ChallengeNameType::SoftwareTokenMfa, challenge.session.as_deref().unwrap(), &[("USERNAME", "tina"), ("SOFTWARE_TOKEN_MFA_CODE", &code)]).await.is_ok());
}
on_each_backend!(totp_is_set_up_and_asked_for, super::totp_set_up_and_sign_in);

async fn codes_by_sms_and_email(backend: Backend) {
    let (server, clock) = server_with_clock(backend).await;
    let fixture = fixture(&server, "sam", false).await;
    let pool = &fixture.pool_id;
    let phone = AttributeType::builder().name("phone_number").value("+14155550123").build().unwrap();
    server.idp.admin_update_user_attributes().user_pool_id(pool).username("sam").user_attributes(phone).send().await.unwrap();
    server
        .idp
        .set_user_pool_mfa_config()
        .user_pool_id(pool)
        .sms_mfa_configuration(SmsMfaConfigType::builder().sms_authentication_message("Code: {####}").build())
        .email_mfa_configuration(EmailMfaConfigType::builder().message("Your code is {####}").subject("Sign-in code").build())
        .mfa_configuration(UserPoolMfaType::Optional)
        .send()
        .await
        .unwrap();

    // OPTIONAL, and the user has no factor: tokens at once.
    let direct = start_sign_in(&server, &fixture, "sam").await;
    assert!(direct.authentication_result.is_some());

    // Two factors and no preference: the user chooses.
    server
        .idp
        .admin_set_user_mfa_preference()
        .user_pool_id(pool)
        .username("sam")
        .sms_mfa_settings(SmsMfaSettingsType::builder().enabled(true).build())
        .email_mfa_settings(EmailMfaSettingsType::builder().enabled(true).build())
        .send()
        .await
        .unwrap();
    let totp_refused = server
        .idp
        .admin_set_user_mfa_preference()
        .user_pool_id(pool)
        .username("sam")
        .software_token_mfa_settings(SoftwareTokenMfaSettingsType::builder().enabled(true).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&totp_refused), "InvalidParameterException", "no verified authenticator");
    let select = start_sign_in(&server, &fixture, "sam").await;
    assert_eq!(select.challenge_name, Some(ChallengeNameType::SelectMfaType));
    assert_eq!(select.challenge_parameters.unwrap()["MFAS_CAN_CHOOSE"], "[\"SMS_MFA\",\"EMAIL_OTP\"]");
    let chosen = server
        .idp
        .respond_to_auth_challenge()
        .client_id(&fixture.client_id)
        .challenge_name(ChallengeNameType::SelectMfaType)
        .session(select.session.unwrap())
        .challenge_responses("USERNAME", "sam")
        .challenge_responses("ANSWER", "EMAIL_OTP")
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.challenge_name, Some(ChallengeNameType::EmailOtp));
    let parameters = chosen.challenge_parameters.unwrap();
    assert_eq!(parameters["CODE_DELIVERY_DELIVERY_MEDIUM"], "EMAIL");
    assert_eq!(parameters["CODE_DELIVERY_DESTINATION"], "s***@e***");
    let code = latest_code(&server, pool, "sam@example.com").await;
    let session = chosen.session.unwrap();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(answer(&server, &fixture, ChallengeNameType::EmailOtp, &session, &[("USERNAME", "sam"), ("EMAIL_OTP_CODE", &wrong)]).await.unwrap_err(), "CodeMismatchException");
    assert_eq!(
        answer(&server, &fixture, ChallengeNameType::SmsMfa, &session, &[("USERNAME", "sam"), ("SMS_MFA_CODE", &code)]).await.unwrap_err(),
        "NotAuthorizedException",
        "an answer to another challenge"
    );
    assert!(answer(&server, &fixture, ChallengeNameType::EmailOtp, &session, &[("USERNAME", "sam"), ("EMAIL_OTP_CODE", &code)]).await.unwrap().is_some());
    assert_eq!(
        answer(&server, &fixture, ChallengeNameType::EmailOtp, &session, &[("USERNAME", "sam"), ("EMAIL_OTP_CODE", &code)]).await.unwrap_err(),
        "NotAuthorizedException",
        "a code is spent with its session"
    );

    // The preferred factor is asked at once; the SMS goes out with the pool's message.
    server
        .idp
        .admin_set_user_mfa_preference()
        .user_pool_id(pool)
        .username("sam")
        .sms_mfa_settings(SmsMfaSettingsType::builder().enabled(true).preferred_mfa(true).build())
        .send()
        .await
        .unwrap();
    let user = server.idp.admin_get_user().user_pool_id(pool).username("sam").send().await.unwrap();
    assert_eq!(user.user_mfa_setting_list.unwrap_or_default(), vec!["SMS_MFA", "EMAIL_OTP"]);
    assert_eq!(user.preferred_mfa_setting.as_deref(), Some("SMS_MFA"));
    assert_eq!(user.mfa_options.unwrap_or_default(), vec![MfaOptionType::builder().delivery_medium(DeliveryMediumType::Sms).attribute_name("phone_number").build()]);
    let sms = start_sign_in(&server, &fixture, "sam").await;
    assert_eq!(sms.challenge_name, Some(ChallengeNameType::SmsMfa));
    let parameters = sms.challenge_parameters.unwrap();
    assert_eq!(parameters["CODE_DELIVERY_DELIVERY_MEDIUM"], "SMS");
    assert_eq!(parameters["CODE_DELIVERY_DESTINATION"], "+*******0123");
    let code = latest_code(&server, pool, "+14155550123").await;
    let messages = crate::sign_up::outbox(&server, pool).await;
    assert!(messages.iter().any(|message| message["Body"] == format!("Code: {code}")), "the pool's SMS message");
    // An SMS code lasts as long as its session.
    clock.advance_millis(3 * 60_000 + 1_000);
    let late = answer(&server, &fixture, ChallengeNameType::SmsMfa, sms.session.as_deref().unwrap(), &[("USERNAME", "sam"), ("SMS_MFA_CODE", &code)]).await;
    assert_eq!(late.unwrap_err(), "NotAuthorizedException");

    // The legacy SetUserSettings turns SMS MFA off; email remains.
    server.idp.admin_set_user_settings().user_pool_id(pool).username("sam").set_mfa_options(Some(vec![])).send().await.unwrap();
    let user = server.idp.admin_get_user().user_pool_id(pool).username("sam").send().await.unwrap();
    assert_eq!(user.user_mfa_setting_list.unwrap_or_default(), vec!["EMAIL_OTP"]);
    assert!(user.preferred_mfa_setting.is_none());
    let email = start_sign_in(&server, &fixture, "sam").await;
    assert_eq!(email.challenge_name, Some(ChallengeNameType::EmailOtp));
    // The right code sent eight times at once signs in once.
    let code = latest_code(&server, pool, "sam@example.com").await;
    let session = email.session.unwrap();
    let responses = [("USERNAME", "sam"), ("EMAIL_OTP_CODE", code.as_str())];
    let answers = (0..8).map(|_| answer(&server, &fixture, ChallengeNameType::EmailOtp, &session, &responses));
    let results = futures_util::future::join_all(answers).await;
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().filter_map(|result| result.as_ref().err()).all(|error| error == "NotAuthorizedException"));

    // Without email MFA in the pool, the user's email factor is not asked (OPTIONAL).
    server
        .idp
        .set_user_pool_mfa_config()
        .user_pool_id(pool)
        .sms_mfa_configuration(SmsMfaConfigType::builder().build())
        .mfa_configuration(UserPoolMfaType::Optional)
        .send()
        .await
        .unwrap();
    assert!(start_sign_in(&server, &fixture, "sam").await.authentication_result.is_some());
}
on_each_backend!(codes_go_by_sms_and_email, super::codes_by_sms_and_email);

//! Choice-based sign-in (USER_AUTH) and passwordless users, driven by the AWS SDK for Rust:
//! SignUp without a password and the sign-in straight after ConfirmSignUp with its Session,
//! SELECT_CHALLENGE with AvailableChallenges, PREFERRED_CHALLENGE, EMAIL_OTP as the only factor,
//! PASSWORD through the choice, GetUserAuthFactors; and the refusals: a wrong or late code, a
//! replayed session, a user who does not exist (answered as a real one would be), a pool that
//! requires passwords, a client that does not allow USER_AUTH.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFactorType, AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType, MessageActionType, PreventUserExistenceErrorTypes,
    SignInPolicyType, UserPoolPolicyType, VerifiedAttributeType,
};
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use cognate_domain::clock::ManualClock;

use crate::auth::PASSWORD;
use crate::harness::{database_url, error_code, test_config, unique, Backend, TestServer};
use crate::on_each_backend;
use crate::sign_up::latest_code;

async fn server_with_clock(backend: Backend) -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(backend, data_dir.path()).await;
    (TestServer::start_with_clock(test_config(data_dir.path(), &url), data_dir, clock.clone()).await, clock)
}

fn email(value: &str) -> AttributeType {
    AttributeType::builder().name("email").value(value).build().unwrap()
}

/// A pool whose users may sign in with a password or any of `factors` first (and whose email
/// is auto-verified), and a client allowing USER_AUTH (with `flows` besides) that hides unknown
/// users: their ids.
pub(crate) async fn first_factor_pool(server: &TestServer, factors: &[AuthFactorType], flows: &[ExplicitAuthFlowsType]) -> (String, String) {
    let mut policy = SignInPolicyType::builder().allowed_first_auth_factors(AuthFactorType::Password);
    for factor in factors {
        policy = policy.allowed_first_auth_factors(factor.clone());
    }
    let pool = server
        .idp
        .create_user_pool()
        .pool_name(unique("first-factors"))
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .policies(UserPoolPolicyType::builder().sign_in_policy(policy.build()).build())
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
        .set_explicit_auth_flows(Some([vec![ExplicitAuthFlowsType::AllowUserAuth], flows.to_vec()].concat()))
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    (pool, client)
}

async fn user_auth(server: &TestServer, client: &str, username: &str, extra: &[(&str, &str)]) -> Result<InitiateAuthOutput, String> {
    let mut request = server.idp.initiate_auth().client_id(client).auth_flow(AuthFlowType::UserAuth).auth_parameters("USERNAME", username);
    for (name, value) in extra {
        request = request.auth_parameters(*name, *value);
    }
    request.send().await.map_err(|error| error_code(&error))
}

async fn respond(server: &TestServer, client: &str, name: ChallengeNameType, session: &str, responses: &[(&str, &str)]) -> Result<aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput, String> {
    let mut request = server.idp.respond_to_auth_challenge().client_id(client).challenge_name(name).session(session);
    for (key, value) in responses {
        request = request.challenge_responses(*key, *value);
    }
    request.send().await.map_err(|error| error_code(&error))
}

async fn choice_based_sign_in(backend: Backend) {
    let (server, clock) = server_with_clock(backend).await;
    let (pool, client) = first_factor_pool(&server, &[AuthFactorType::EmailOtp], &[ExplicitAuthFlowsType::AllowRefreshTokenAuth]).await;

    // SignUp without a password, ConfirmSignUp with its Session, and the sign-in straight after.
    let signed_up = server.idp.sign_up().client_id(&client).username("pia").user_attributes(email("pia@example.com")).send().await.unwrap();
    let sign_up_session = signed_up.session.expect("a Session for the sign-in after confirmation");
    let code = latest_code(&server, &pool, "pia@example.com").await;
    clock.advance_millis(1_000);
    let confirmed = server.idp.confirm_sign_up().client_id(&client).username("pia").confirmation_code(code).session(&sign_up_session).send().await.unwrap();
    let session = confirmed.session.expect("a Session to sign in with");
    let sign_in = || server.idp.initiate_auth().client_id(&client).auth_flow(AuthFlowType::UserAuth).auth_parameters("USERNAME", "pia").session(&session).send();
    let tokens = sign_in().await.unwrap().authentication_result.expect("tokens without another code");
    assert!(tokens.access_token.is_some() && tokens.refresh_token.is_some());
    assert_eq!(error_code(&sign_in().await.unwrap_err()), "NotAuthorizedException", "the session signs in once");

    let factors = server.idp.get_user_auth_factors().access_token(tokens.access_token.unwrap()).send().await.unwrap();
    assert_eq!(factors.username, "pia");
    assert_eq!(factors.configured_user_auth_factors.unwrap_or_default(), vec![AuthFactorType::EmailOtp], "no password, a verified address");

    // No preference: the choice, limited to what the user has.
    let select = user_auth(&server, &client, "pia", &[]).await.unwrap();
    assert_eq!(select.challenge_name, Some(ChallengeNameType::SelectChallenge));
    assert_eq!(select.available_challenges.clone().unwrap_or_default(), vec![ChallengeNameType::EmailOtp]);
    let select_session = select.session.unwrap();
    let refused = respond(&server, &client, ChallengeNameType::SelectChallenge, &select_session, &[("USERNAME", "pia"), ("ANSWER", "PASSWORD"), ("PASSWORD", PASSWORD)]).await.unwrap_err();
    assert_eq!(refused, "InvalidParameterException", "PASSWORD is not among the available challenges");
    let sent = respond(&server, &client, ChallengeNameType::SelectChallenge, &select_session, &[("USERNAME", "pia"), ("ANSWER", "EMAIL_OTP")]).await.unwrap();
    assert_eq!(sent.challenge_name, Some(ChallengeNameType::EmailOtp));
    assert_eq!(sent.challenge_parameters.unwrap()["CODE_DELIVERY_DESTINATION"], "p***@e***");
    let otp_session = sent.session.unwrap();
    let code = latest_code(&server, &pool, "pia@example.com").await;
    clock.advance_millis(1_000);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(respond(&server, &client, ChallengeNameType::EmailOtp, &otp_session, &[("USERNAME", "pia"), ("EMAIL_OTP_CODE", &wrong)]).await.unwrap_err(), "CodeMismatchException");
    let passed = respond(&server, &client, ChallengeNameType::EmailOtp, &otp_session, &[("USERNAME", "pia"), ("EMAIL_OTP_CODE", &code)]).await.unwrap();
    assert!(passed.authentication_result.and_then(|result| result.access_token).is_some(), "the code is the only factor");
    assert_eq!(
        respond(&server, &client, ChallengeNameType::EmailOtp, &otp_session, &[("USERNAME", "pia"), ("EMAIL_OTP_CODE", &code)]).await.unwrap_err(),
        "NotAuthorizedException",
        "a spent session"
    );

    // PREFERRED_CHALLENGE: the code at once; too late after the session's three minutes.
    let preferred = user_auth(&server, &client, "pia", &[("PREFERRED_CHALLENGE", "EMAIL_OTP")]).await.unwrap();
    assert_eq!(preferred.challenge_name, Some(ChallengeNameType::EmailOtp));
    let code = latest_code(&server, &pool, "pia@example.com").await;
    clock.advance_millis(3 * 60_000 + 1_000);
    let late = respond(&server, &client, ChallengeNameType::EmailOtp, preferred.session.as_deref().unwrap(), &[("USERNAME", "pia"), ("EMAIL_OTP_CODE", &code)]).await.unwrap_err();
    assert_eq!(late, "NotAuthorizedException");

    // A user with a password and a verified address has all three.
    server
        .idp
        .admin_create_user()
        .user_pool_id(&pool)
        .username("hal")
        .user_attributes(email("hal@example.com"))
        .user_attributes(AttributeType::builder().name("email_verified").value("true").build().unwrap())
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    server.idp.admin_set_user_password().user_pool_id(&pool).username("hal").password(PASSWORD).permanent(true).send().await.unwrap();
    let select = user_auth(&server, &client, "hal", &[]).await.unwrap();
    assert_eq!(
        select.available_challenges.unwrap_or_default(),
        vec![ChallengeNameType::Password, ChallengeNameType::PasswordSrp, ChallengeNameType::EmailOtp]
    );
    let by_password = respond(&server, &client, ChallengeNameType::SelectChallenge, select.session.as_deref().unwrap(), &[("USERNAME", "hal"), ("ANSWER", "PASSWORD"), ("PASSWORD", PASSWORD)]).await.unwrap();
    assert!(by_password.authentication_result.is_some());
    let preferred = user_auth(&server, &client, "hal", &[("PREFERRED_CHALLENGE", "PASSWORD"), ("PASSWORD", PASSWORD)]).await.unwrap();
    assert!(preferred.authentication_result.is_some(), "PREFERRED_CHALLENGE PASSWORD signs in at once");
    assert_eq!(user_auth(&server, &client, "hal", &[("PREFERRED_CHALLENGE", "PASSWORD"), ("PASSWORD", "Wrong-Password-1")]).await.unwrap_err(), "NotAuthorizedException");
    let srp = user_auth(&server, &client, "hal", &[("PREFERRED_CHALLENGE", "PASSWORD_SRP"), ("SRP_A", &cognate_domain::srp::ClientAttempt::new().big_a_hex())]).await.unwrap();
    assert_eq!(srp.challenge_name, Some(ChallengeNameType::PasswordVerifier));

    // A user who does not exist is offered what a real one would be, and no code passes.
    let unknown = user_auth(&server, &client, "nobody", &[]).await.unwrap();
    assert_eq!(unknown.challenge_name, Some(ChallengeNameType::SelectChallenge));
    assert_eq!(unknown.available_challenges.unwrap_or_default().len(), 3);
    let decoy = user_auth(&server, &client, "nobody@example.com", &[("PREFERRED_CHALLENGE", "EMAIL_OTP")]).await.unwrap();
    assert_eq!(decoy.challenge_name, Some(ChallengeNameType::EmailOtp));
    assert_eq!(decoy.challenge_parameters.unwrap()["CODE_DELIVERY_DESTINATION"], "n***@e***");
    let no_code = respond(&server, &client, ChallengeNameType::EmailOtp, decoy.session.as_deref().unwrap(), &[("USERNAME", "nobody@example.com"), ("EMAIL_OTP_CODE", "123456")]).await.unwrap_err();
    assert_eq!(no_code, "CodeMismatchException");

    // A code by SMS as the only factor (SMS_OTP), to a verified phone.
    let (sms_pool, sms_client) = first_factor_pool(&server, &[AuthFactorType::SmsOtp], &[]).await;
    server
        .idp
        .admin_create_user()
        .user_pool_id(&sms_pool)
        .username("sol")
        .user_attributes(AttributeType::builder().name("phone_number").value("+14155550188").build().unwrap())
        .user_attributes(AttributeType::builder().name("phone_number_verified").value("true").build().unwrap())
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    server.idp.admin_set_user_password().user_pool_id(&sms_pool).username("sol").password(PASSWORD).permanent(true).send().await.unwrap();
    let texted = user_auth(&server, &sms_client, "sol", &[("PREFERRED_CHALLENGE", "SMS_OTP")]).await.unwrap();
    assert_eq!(texted.challenge_name, Some(ChallengeNameType::SmsOtp));
    let parameters = texted.challenge_parameters.unwrap();
    assert_eq!(parameters["CODE_DELIVERY_DELIVERY_MEDIUM"], "SMS");
    assert_eq!(parameters["CODE_DELIVERY_DESTINATION"], "+*******0188");
    let code = latest_code(&server, &sms_pool, "+14155550188").await;
    let sms_session = texted.session.unwrap();
    let misnamed = respond(&server, &sms_client, ChallengeNameType::SmsOtp, &sms_session, &[("USERNAME", "sol"), ("SMS_MFA_CODE", &code)]).await.unwrap_err();
    assert_eq!(misnamed, "InvalidParameterException", "SMS_OTP is answered with SMS_OTP_CODE");
    let passed = respond(&server, &sms_client, ChallengeNameType::SmsOtp, &sms_session, &[("USERNAME", "sol"), ("SMS_OTP_CODE", &code)]).await.unwrap();
    assert!(passed.authentication_result.and_then(|result| result.access_token).is_some(), "the texted code is the only factor");

    // A pool that requires passwords refuses a sign-up without one; a client without
    // ALLOW_USER_AUTH refuses the flow.
    let fixture = crate::auth::fixture(&server, "ned", true).await;
    let no_password = server.idp.sign_up().client_id(&fixture.client_id).username("ola").user_attributes(email("ola@example.com")).send().await.unwrap_err();
    assert_eq!(error_code(&no_password), "InvalidParameterException");
    assert_eq!(user_auth(&server, &fixture.client_id, "ned", &[]).await.unwrap_err(), "InvalidParameterException");
    server.stop().await;
}

on_each_backend!(choice_based_sign_in_and_passwordless_users, super::choice_based_sign_in);

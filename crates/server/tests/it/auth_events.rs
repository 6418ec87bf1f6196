//! Sign-in history driven by the AWS SDK for Rust: every sign-in step and account event lands
//! in the user's history (AdminListUserAuthEvents, newest first, paged) with its response, its
//! challenges, the caller's address and device; a challenge answered later completes the event
//! that asked it; feedback by an administrator and by the user's token; a deleted user's history
//! goes with them; and a server that keeps no history records none.

use aws_sdk_cognitoidentityprovider::types::{
    AuthEventType, ChallengeName, ChallengeNameType, ChallengeResponse, ChallengeResponseType, EmailMfaConfigType, EmailMfaSettingsType, EventResponseType,
    EventType, FeedbackValueType, UserPoolMfaType,
};

use crate::auth::{fixture, sign_in, PASSWORD};
use crate::harness::{database_url, error_code, test_config, Backend, TestServer};
use crate::on_each_backend;
use crate::sign_up::latest_code;

async fn history(server: &TestServer, pool_id: &str, username: &str) -> Vec<AuthEventType> {
    let mut events = Vec::new();
    let mut next_token = None;
    loop {
        let page = server
            .idp
            .admin_list_user_auth_events()
            .user_pool_id(pool_id)
            .username(username)
            .max_results(2)
            .set_next_token(next_token)
            .send()
            .await
            .unwrap();
        let items = page.auth_events.unwrap_or_default();
        assert!(items.len() <= 2, "a page holds at most MaxResults events");
        events.extend(items);
        next_token = page.next_token;
        if next_token.is_none() {
            return events;
        }
    }
}

fn challenges(event: &AuthEventType) -> Vec<(ChallengeName, ChallengeResponse)> {
    event
        .challenge_responses
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|challenge: &ChallengeResponseType| (challenge.challenge_name.clone().unwrap(), challenge.challenge_response.clone().unwrap()))
        .collect()
}

async fn sign_ins_are_recorded(backend: Backend) {
    let server = TestServer::start(backend).await;
    let fixture = fixture(&server, "hana", false).await;
    let pool = fixture.pool_id.as_str();

    assert_eq!(sign_in(&server, &fixture, "hana", "Wrong-Horse-1").await.unwrap_err(), "NotAuthorizedException");
    sign_in(&server, &fixture, "hana", PASSWORD).await.unwrap();
    let events = history(&server, pool, "hana").await;
    assert_eq!(events.len(), 2, "{events:?}");
    let (passed, failed) = (&events[0], &events[1]);
    assert!(passed.creation_date.unwrap() >= failed.creation_date.unwrap(), "newest first");
    assert_eq!(passed.event_type, Some(EventType::SignIn));
    assert_eq!(passed.event_response, Some(EventResponseType::Pass));
    assert_eq!(challenges(passed), vec![(ChallengeName::Password, ChallengeResponse::Success)]);
    assert_eq!(failed.event_response, Some(EventResponseType::Fail));
    assert_eq!(challenges(failed), vec![(ChallengeName::Password, ChallengeResponse::Failure)]);
    let context = passed.event_context_data.clone().unwrap();
    assert_eq!(context.ip_address.as_deref(), Some("127.0.0.1"));
    let device = context.device_name.unwrap();
    assert!(device.starts_with("aws-sdk-rust/"), "the SDK's user agent names the device: {device}");
    assert_eq!(passed.event_risk.clone().unwrap().risk_decision.unwrap().as_str(), "NoRisk");

    // An MFA code asked at sign-in completes the same event: a wrong code fails it, the right
    // one then passes it.
    server
        .idp
        .set_user_pool_mfa_config()
        .user_pool_id(pool)
        .email_mfa_configuration(EmailMfaConfigType::builder().message("Your code is {####}").subject("Sign-in code").build())
        .mfa_configuration(UserPoolMfaType::Optional)
        .send()
        .await
        .unwrap();
    server
        .idp
        .admin_set_user_mfa_preference()
        .user_pool_id(pool)
        .username("hana")
        .email_mfa_settings(EmailMfaSettingsType::builder().enabled(true).preferred_mfa(true).build())
        .send()
        .await
        .unwrap();
    let started = server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "hana")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(started.challenge_name, Some(ChallengeNameType::EmailOtp));
    let session = started.session.unwrap();
    let in_progress = history(&server, pool, "hana").await;
    assert_eq!(in_progress.len(), 3);
    assert_eq!(in_progress[0].event_response, Some(EventResponseType::InProgress));
    let code = latest_code(&server, pool, "hana@example.com").await;
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let answer = |code: String| {
        server
            .idp
            .respond_to_auth_challenge()
            .client_id(&fixture.client_id)
            .challenge_name(ChallengeNameType::EmailOtp)
            .session(&session)
            .challenge_responses("USERNAME", "hana")
            .challenge_responses("EMAIL_OTP_CODE", code)
            .send()
    };
    assert_eq!(error_code(&answer(wrong).await.unwrap_err()), "CodeMismatchException");
    let failed_step = history(&server, pool, "hana").await;
    assert_eq!(failed_step.len(), 3, "the answer updates the event of its sign-in");
    assert_eq!(failed_step[0].event_response, Some(EventResponseType::Fail));
    assert!(answer(code).await.unwrap().authentication_result.is_some());
    let completed = history(&server, pool, "hana").await;
    assert_eq!(completed.len(), 3);
    assert_eq!(completed[0].event_response, Some(EventResponseType::Pass));
    assert_eq!(
        challenges(&completed[0]),
        vec![
            (ChallengeName::Password, ChallengeResponse::Success),
            (ChallengeName::Mfa, ChallengeResponse::Failure),
            (ChallengeName::Mfa, ChallengeResponse::Success),
        ]
    );

    // Account events: a password recovery.
    let verified = aws_sdk_cognitoidentityprovider::types::AttributeType::builder().name("email_verified").value("true").build().unwrap();
    server.idp.admin_update_user_attributes().user_pool_id(pool).username("hana").user_attributes(verified).send().await.unwrap();
    server.idp.forgot_password().client_id(&fixture.client_id).username("hana").send().await.unwrap();
    let events = history(&server, pool, "hana").await;
    assert_eq!(events[0].event_type, Some(EventType::ForgotPassword));
    assert_eq!(events[0].event_response, Some(EventResponseType::Pass));

    // Feedback: by an administrator; by the user only with the event's token.
    let event_id = completed[0].event_id.clone().unwrap();
    server
        .idp
        .admin_update_auth_event_feedback()
        .user_pool_id(pool)
        .username("hana")
        .event_id(&event_id)
        .feedback_value(FeedbackValueType::Invalid)
        .send()
        .await
        .unwrap();
    let marked = history(&server, pool, "hana").await.into_iter().find(|event| event.event_id.as_deref() == Some(&event_id)).unwrap();
    let feedback = marked.event_feedback.unwrap();
    assert_eq!((feedback.feedback_value, feedback.provider.as_str()), (FeedbackValueType::Invalid, "Admin"));
    assert!(feedback.feedback_date.is_some());
    let forged = server
        .idp
        .update_auth_event_feedback()
        .user_pool_id(pool)
        .username("hana")
        .event_id(&event_id)
        .feedback_token("0".repeat(64))
        .feedback_value(FeedbackValueType::Valid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&forged), "NotAuthorizedException");
    let unknown = server
        .idp
        .admin_update_auth_event_feedback()
        .user_pool_id(pool)
        .username("hana")
        .event_id("00000000-0000-0000-0000-000000000000")
        .feedback_value(FeedbackValueType::Valid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown), "ResourceNotFoundException");
    let bad_id = server
        .idp
        .admin_update_auth_event_feedback()
        .user_pool_id(pool)
        .username("hana")
        .event_id("not/an/id")
        .feedback_value(FeedbackValueType::Valid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_id), "InvalidParameterException");
    let too_many = server.idp.admin_list_user_auth_events().user_pool_id(pool).username("hana").max_results(61).send().await.unwrap_err();
    assert_eq!(error_code(&too_many), "InvalidParameterException");

    // A deleted user's history goes with them: a new user of the same name starts with none.
    server.idp.admin_delete_user().user_pool_id(pool).username("hana").send().await.unwrap();
    let gone = server.idp.admin_list_user_auth_events().user_pool_id(pool).username("hana").send().await.unwrap_err();
    assert_eq!(error_code(&gone), "UserNotFoundException");
    server
        .idp
        .admin_create_user()
        .user_pool_id(pool)
        .username("hana")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    assert!(history(&server, pool, "hana").await.is_empty());
    server.stop().await;
}

on_each_backend!(sign_ins_and_account_events_make_the_history, super::sign_ins_are_recorded);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_history_is_kept_when_retention_is_zero() {
    let data_dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Sqlite, data_dir.path()).await;
    let mut config = test_config(data_dir.path(), &url);
    config.observing.auth_event_retention_days = 0;
    let server = TestServer::start_with(config, data_dir).await;
    let fixture = fixture(&server, "ivo", false).await;
    sign_in(&server, &fixture, "ivo", PASSWORD).await.unwrap();
    assert!(history(&server, &fixture.pool_id, "ivo").await.is_empty());
    server.stop().await;
}

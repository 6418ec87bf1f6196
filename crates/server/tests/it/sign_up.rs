//! Sign-up and confirmation, account recovery, invitations, and the outbox that carries codes.

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, ChallengeNameType, DeliveryMediumType, VerifiedAttributeType,
};
use serde_json::Value;

use crate::harness::{error_code, unique, TestServer, ACCESS_KEY_ID, SECRET_ACCESS_KEY};
use crate::on_both_backends;

fn email(value: &str) -> AttributeType {
    AttributeType::builder().name("email").value(value).build().unwrap()
}

/// The newest messages of a pool, read with the root credentials.
pub async fn outbox(server: &TestServer, pool_id: &str) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(format!("{}/_cognate/outbox?UserPoolId={pool_id}", server.base_url))
        .basic_auth(ACCESS_KEY_ID, Some(SECRET_ACCESS_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    body["Messages"].as_array().unwrap().clone()
}

/// The six-digit code in the newest message to `destination`.
pub async fn latest_code(server: &TestServer, pool_id: &str, destination: &str) -> String {
    let messages = outbox(server, pool_id).await;
    let message = messages.iter().rev().find(|message| message["Destination"] == destination).expect("a message");
    let body = message["Body"].as_str().unwrap();
    body.split(|character: char| !character.is_ascii_digit())
        .find(|word| word.len() == 6)
        .unwrap_or_else(|| panic!("no code in {body}"))
        .to_string()
}

async fn sign_in_error(server: &TestServer, client_id: &str, username: &str, password: &str) -> Option<String> {
    server
        .idp
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .err()
        .map(|error| error_code(&error))
}

async fn sign_up_and_recovery(server: TestServer) {
    let pool_id = crate::harness::pool_from(server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .auto_verified_attributes(VerifiedAttributeType::Email)).await;
    let client_id = crate::harness::password_client(&server, &pool_id).await;

    let signed_up = server
        .idp
        .sign_up()
        .client_id(&client_id)
        .username("gina")
        .password("Correct-Horse-1")
        .user_attributes(email("gina@example.com"))
        .send()
        .await
        .unwrap();
    assert!(!signed_up.user_confirmed);
    assert!(uuid::Uuid::parse_str(&signed_up.user_sub).is_ok());
    let delivery = signed_up.code_delivery_details.unwrap();
    assert_eq!(delivery.delivery_medium, Some(DeliveryMediumType::Email));
    assert_eq!(delivery.destination.as_deref(), Some("g***@e***"));
    assert_eq!(delivery.attribute_name.as_deref(), Some("email"));
    assert_eq!(sign_in_error(&server, &client_id, "gina", "Correct-Horse-1").await.as_deref(), Some("UserNotConfirmedException"));

    let duplicate = server.idp.sign_up().client_id(&client_id).username("gina").password("Correct-Horse-1").send().await.unwrap_err();
    assert_eq!(error_code(&duplicate), "UsernameExistsException");
    let weak = server.idp.sign_up().client_id(&client_id).username("hank").password("weak").send().await.unwrap_err();
    assert_eq!(error_code(&weak), "InvalidPasswordException");
    let unknown_client = server.idp.sign_up().client_id("nosuchclient000000000000000").username("x").password("Correct-Horse-1").send().await.unwrap_err();
    assert_eq!(error_code(&unknown_client), "ResourceNotFoundException");

    let code = latest_code(&server, &pool_id, "gina@example.com").await;
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong = server.idp.confirm_sign_up().client_id(&client_id).username("gina").confirmation_code(wrong_code).send().await.unwrap_err();
    assert_eq!(error_code(&wrong), "CodeMismatchException");
    server.idp.confirm_sign_up().client_id(&client_id).username("gina").confirmation_code(&code).send().await.unwrap();
    let again = server.idp.confirm_sign_up().client_id(&client_id).username("gina").confirmation_code(&code).send().await.unwrap_err();
    assert_eq!(error_code(&again), "NotAuthorizedException");
    let gina = server.idp.admin_get_user().user_pool_id(&pool_id).username("gina").send().await.unwrap();
    assert_eq!(gina.user_status.as_ref().map(|status| status.as_str()), Some("CONFIRMED"));
    assert!(gina.user_attributes().iter().any(|attribute| attribute.name == "email_verified" && attribute.value.as_deref() == Some("true")));
    assert_eq!(sign_in_error(&server, &client_id, "gina", "Correct-Horse-1").await, None);

    // A resent code replaces the first one.
    server.idp.sign_up().client_id(&client_id).username("ivan").password("Correct-Horse-1").user_attributes(email("ivan@example.com")).send().await.unwrap();
    let first_code = latest_code(&server, &pool_id, "ivan@example.com").await;
    let resent = server.idp.resend_confirmation_code().client_id(&client_id).username("ivan").send().await.unwrap();
    assert_eq!(resent.code_delivery_details.unwrap().attribute_name.as_deref(), Some("email"));
    let second_code = latest_code(&server, &pool_id, "ivan@example.com").await;
    let mut n_failures = 0;
    if first_code != second_code {
        n_failures += 1;
        let stale = server.idp.confirm_sign_up().client_id(&client_id).username("ivan").confirmation_code(&first_code).send().await.unwrap_err();
        assert_eq!(error_code(&stale), "CodeMismatchException");
    }
    // Five wrong guesses withdraw the code.
    let wrong_code = if second_code == "000000" { "111111" } else { "000000" };
    while n_failures < 5 {
        n_failures += 1;
        let error = server.idp.confirm_sign_up().client_id(&client_id).username("ivan").confirmation_code(wrong_code).send().await.unwrap_err();
        let expected = if n_failures < 5 { "CodeMismatchException" } else { "LimitExceededException" };
        assert_eq!(error_code(&error), expected, "failure {n_failures}");
    }
    let withdrawn = server.idp.confirm_sign_up().client_id(&client_id).username("ivan").confirmation_code(&second_code).send().await.unwrap_err();
    assert_eq!(error_code(&withdrawn), "CodeMismatchException");
    server.idp.admin_confirm_sign_up().user_pool_id(&pool_id).username("ivan").send().await.unwrap();
    assert_eq!(sign_in_error(&server, &client_id, "ivan", "Correct-Horse-1").await, None);

    // Forgotten password, by the verified email.
    let forgot = server.idp.forgot_password().client_id(&client_id).username("gina").send().await.unwrap();
    assert_eq!(forgot.code_delivery_details.unwrap().destination.as_deref(), Some("g***@e***"));
    let reset_code = latest_code(&server, &pool_id, "gina@example.com").await;
    let weak = server
        .idp
        .confirm_forgot_password()
        .client_id(&client_id)
        .username("gina")
        .confirmation_code(&reset_code)
        .password("weak")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&weak), "InvalidPasswordException");
    server
        .idp
        .confirm_forgot_password()
        .client_id(&client_id)
        .username("gina")
        .confirmation_code(&reset_code)
        .password("Battery-Staple-2")
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in_error(&server, &client_id, "gina", "Correct-Horse-1").await.as_deref(), Some("NotAuthorizedException"));
    assert_eq!(sign_in_error(&server, &client_id, "gina", "Battery-Staple-2").await, None);
    let no_channel = server.idp.forgot_password().client_id(&client_id).username("ivan").send().await.unwrap_err();
    assert_eq!(error_code(&no_channel), "InvalidParameterException", "ivan's email was never verified");

    // An administrator's reset: sign-in refused until the code sets a new password.
    server.idp.admin_reset_user_password().user_pool_id(&pool_id).username("gina").send().await.unwrap();
    assert_eq!(sign_in_error(&server, &client_id, "gina", "Battery-Staple-2").await.as_deref(), Some("PasswordResetRequiredException"));
    let admin_code = latest_code(&server, &pool_id, "gina@example.com").await;
    server
        .idp
        .confirm_forgot_password()
        .client_id(&client_id)
        .username("gina")
        .confirmation_code(&admin_code)
        .password("Third-Password-3")
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in_error(&server, &client_id, "gina", "Third-Password-3").await, None);

    // The token holder changes and verifies attributes, then deletes the account.
    let tokens = server
        .idp
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "gina")
        .auth_parameters("PASSWORD", "Third-Password-3")
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    let access_token = tokens.access_token.unwrap();
    let updated = server
        .idp
        .update_user_attributes()
        .access_token(&access_token)
        .user_attributes(email("gina@new.example.com"))
        .user_attributes(AttributeType::builder().name("name").value("Gina").build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(updated.code_delivery_details_list().len(), 1, "the new email gets a code");
    let mark_verified = server
        .idp
        .update_user_attributes()
        .access_token(&access_token)
        .user_attributes(AttributeType::builder().name("email_verified").value("true").build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&mark_verified), "NotAuthorizedException");
    let attribute = |user: &aws_sdk_cognitoidentityprovider::operation::get_user::GetUserOutput, name: &str| {
        user.user_attributes().iter().find(|attribute| attribute.name == name).and_then(|attribute| attribute.value.clone())
    };
    let fetched = server.idp.get_user().access_token(&access_token).send().await.unwrap();
    assert_eq!(attribute(&fetched, "email").as_deref(), Some("gina@new.example.com"));
    assert_eq!(attribute(&fetched, "email_verified").as_deref(), Some("false"));
    let verify_code = latest_code(&server, &pool_id, "gina@new.example.com").await;
    let wrong_code = if verify_code == "000000" { "111111" } else { "000000" };
    let wrong = server.idp.verify_user_attribute().access_token(&access_token).attribute_name("email").code(wrong_code).send().await.unwrap_err();
    assert_eq!(error_code(&wrong), "CodeMismatchException");
    server.idp.verify_user_attribute().access_token(&access_token).attribute_name("email").code(&verify_code).send().await.unwrap();
    let fetched = server.idp.get_user().access_token(&access_token).send().await.unwrap();
    assert_eq!(attribute(&fetched, "email_verified").as_deref(), Some("true"));
    let resent = server.idp.get_user_attribute_verification_code().access_token(&access_token).attribute_name("email").send().await.unwrap();
    assert_eq!(resent.code_delivery_details.unwrap().destination.as_deref(), Some("g***@n***"));
    server.idp.delete_user_attributes().access_token(&access_token).user_attribute_names("name").send().await.unwrap();
    let fetched = server.idp.get_user().access_token(&access_token).send().await.unwrap();
    assert_eq!(attribute(&fetched, "name"), None);
    server.idp.delete_user().access_token(&access_token).send().await.unwrap();
    let gone = server.idp.admin_get_user().user_pool_id(&pool_id).username("gina").send().await.unwrap_err();
    assert_eq!(error_code(&gone), "UserNotFoundException");
    let after_delete = server.idp.get_user().access_token(&access_token).send().await.unwrap_err();
    assert_eq!(error_code(&after_delete), "UserNotFoundException");

    // Invitations carry the temporary password.
    server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("judy")
        .user_attributes(email("judy@example.com"))
        .desired_delivery_mediums(DeliveryMediumType::Email)
        .send()
        .await
        .unwrap();
    let messages = outbox(&server, &pool_id).await;
    let invitation = messages.iter().rev().find(|message| message["Destination"] == "judy@example.com").expect("an invitation");
    let body = invitation["Body"].as_str().unwrap();
    let temporary_password = body.rsplit("temporary password is ").next().unwrap().trim_end_matches('.').to_string();
    let challenge = server
        .idp
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "judy")
        .auth_parameters("PASSWORD", &temporary_password)
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.challenge_name, Some(ChallengeNameType::NewPasswordRequired), "the invited password works");

    let refused = reqwest::Client::new()
        .get(format!("{}/_cognate/outbox", server.base_url))
        .basic_auth(ACCESS_KEY_ID, Some("not-the-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let anonymous = reqwest::get(format!("{}/_cognate/outbox", server.base_url)).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}
on_both_backends!(sign_up_confirmation_and_recovery, super::sign_up_and_recovery);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_that_cannot_be_sent_stays_in_the_outbox() {
    let data_dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let mut config = crate::harness::test_config(data_dir.path(), &format!("sqlite://{}/db", data_dir.path().display()));
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    config.smtp_url = Some(cognate_server::config::Secret(format!("smtp://127.0.0.1:{closed_port}")));
    let server = TestServer::start_with(config, data_dir).await;
    let pool_id = crate::harness::pool_from(server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .auto_verified_attributes(VerifiedAttributeType::Email)).await;
    let client_id =
        server.idp.create_user_pool_client().user_pool_id(&pool_id).client_name("app").send().await.unwrap().user_pool_client.unwrap().client_id.unwrap();
    server.idp.sign_up().client_id(&client_id).username("kim").password("Correct-Horse-1").user_attributes(email("kim@example.com")).send().await.unwrap();
    let code = latest_code(&server, &pool_id, "kim@example.com").await;
    server.idp.confirm_sign_up().client_id(&client_id).username("kim").confirmation_code(code).send().await.unwrap();
}

/// With --sms-webhook-url, SMS codes are POSTed to the webhook (and not kept in the outbox);
/// when the webhook fails, the message stays in the outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_goes_to_the_webhook() {
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let failing = Arc::new(Mutex::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let webhook = format!("http://{}/sms", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post({
            let (received, failing) = (received.clone(), failing.clone());
            move |axum::Json(message): axum::Json<Value>| {
                let (received, failing) = (received.clone(), failing.clone());
                async move {
                    if *failing.lock().unwrap() {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    received.lock().unwrap().push(message);
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let data_dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let mut config = crate::harness::test_config(data_dir.path(), &format!("sqlite://{}/db", data_dir.path().display()));
    config.sms_webhook_url = Some(webhook);
    let server = TestServer::start_with(config, data_dir).await;
    let pool_id = crate::harness::pool_from(server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .auto_verified_attributes(VerifiedAttributeType::PhoneNumber)).await;
    let client_id =
        server.idp.create_user_pool_client().user_pool_id(&pool_id).client_name("app").send().await.unwrap().user_pool_client.unwrap().client_id.unwrap();
    let phone = |number: &str| aws_sdk_cognitoidentityprovider::types::AttributeType::builder().name("phone_number").value(number).build().unwrap();
    let signed_up = server.idp.sign_up().client_id(&client_id).username("sam").password("Correct-Horse-1").user_attributes(phone("+15555550100")).send().await.unwrap();
    assert_eq!(signed_up.code_delivery_details().unwrap().delivery_medium().map(|medium| medium.as_str()), Some("SMS"));
    let message = received.lock().unwrap().last().cloned().expect("the webhook got the SMS");
    assert_eq!((message["phoneNumber"].as_str(), message["userPoolId"].as_str(), message["username"].as_str()), (Some("+15555550100"), Some(pool_id.as_str()), Some("sam")));
    let code: String = message["message"].as_str().unwrap().chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{message}");
    assert!(outbox(&server, &pool_id).await.is_empty(), "a sent SMS is not kept");
    server.idp.confirm_sign_up().client_id(&client_id).username("sam").confirmation_code(&code).send().await.unwrap();

    *failing.lock().unwrap() = true;
    server.idp.sign_up().client_id(&client_id).username("tom").password("Correct-Horse-1").user_attributes(phone("+15555550101")).send().await.unwrap();
    let kept = latest_code(&server, &pool_id, "+15555550101").await;
    server.idp.confirm_sign_up().client_id(&client_id).username("tom").confirmation_code(kept).send().await.unwrap();
}

/// AttributesRequireVerificationBeforeUpdate: a verified email keeps its value (and stays the
/// sign-in alias) until the code sent to the new address comes back.
async fn update_waits_for_verification(server: TestServer) {
    let pool_id = crate::harness::pool_from(server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .alias_attributes(aws_sdk_cognitoidentityprovider::types::AliasAttributeType::Email)
        .user_attribute_update_settings(
            aws_sdk_cognitoidentityprovider::types::UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        )).await;
    let client_id = crate::harness::password_client(&server, &pool_id).await;
    server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("hugo")
        .user_attributes(email("hugo@old.example.com"))
        .user_attributes(AttributeType::builder().name("email_verified").value("true").build().unwrap())
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    server.idp.admin_set_user_password().user_pool_id(&pool_id).username("hugo").password("Correct-Horse-1").permanent(true).send().await.unwrap();
    let access_token = server
        .idp
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "hugo")
        .auth_parameters("PASSWORD", "Correct-Horse-1")
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap()
        .access_token
        .unwrap();
    let updated = server.idp.update_user_attributes().access_token(&access_token).user_attributes(email("hugo@new.example.com")).send().await.unwrap();
    assert_eq!(updated.code_delivery_details_list()[0].destination(), Some("h***@n***"), "the code goes to the new address");
    let attribute = |user: &aws_sdk_cognitoidentityprovider::operation::get_user::GetUserOutput, name: &str| {
        user.user_attributes().iter().find(|attribute| attribute.name == name).and_then(|attribute| attribute.value.clone())
    };
    let fetched = server.idp.get_user().access_token(&access_token).send().await.unwrap();
    assert_eq!(attribute(&fetched, "email").as_deref(), Some("hugo@old.example.com"), "the old value stays until verified");
    assert_eq!(attribute(&fetched, "email_verified").as_deref(), Some("true"));
    assert_eq!(sign_in_error(&server, &client_id, "hugo@old.example.com", "Correct-Horse-1").await, None, "the old alias still signs in");
    let code = latest_code(&server, &pool_id, "hugo@new.example.com").await;
    server.idp.verify_user_attribute().access_token(&access_token).attribute_name("email").code(&code).send().await.unwrap();
    let fetched = server.idp.get_user().access_token(&access_token).send().await.unwrap();
    assert_eq!(attribute(&fetched, "email").as_deref(), Some("hugo@new.example.com"));
    assert_eq!(attribute(&fetched, "email_verified").as_deref(), Some("true"));
    assert_eq!(sign_in_error(&server, &client_id, "hugo@new.example.com", "Correct-Horse-1").await, None, "the new alias signs in");
    assert_eq!(sign_in_error(&server, &client_id, "hugo@old.example.com", "Correct-Horse-1").await.as_deref(), Some("UserNotFoundException"));
}
on_both_backends!(attributes_require_verification_before_update, super::update_waits_for_verification);

/// ConfirmSignUp with an email alias another user holds: AliasExistsException, unless
/// ForceAliasCreation moves the alias (the other user's email becomes unverified).
async fn force_alias_creation(server: TestServer) {
    let pool_id = crate::harness::pool_from(server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .alias_attributes(aws_sdk_cognitoidentityprovider::types::AliasAttributeType::Email)).await;
    let client_id = crate::harness::password_client(&server, &pool_id).await;
    for name in ["ana", "bea", "cat"] {
        server.idp.sign_up().client_id(&client_id).username(name).password("Correct-Horse-1").user_attributes(email("shared@example.com")).send().await.unwrap();
    }
    let code = latest_code(&server, &pool_id, "shared@example.com").await;
    // Codes are per user; each user's newest message carries its own.
    let codes: Vec<(String, String)> = outbox(&server, &pool_id)
        .await
        .iter()
        .map(|message| {
            let body = message["Body"].as_str().unwrap();
            let code = body.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() == 6).unwrap().to_string();
            (message["Username"].as_str().unwrap().to_string(), code)
        })
        .collect();
    let code_of = |name: &str| codes.iter().rev().find(|(user, _)| user == name).map(|(_, code)| code.clone()).unwrap();
    assert_eq!(code, code_of("cat"));
    server.idp.confirm_sign_up().client_id(&client_id).username("ana").confirmation_code(code_of("ana")).send().await.unwrap();
    let taken = server.idp.confirm_sign_up().client_id(&client_id).username("bea").confirmation_code(code_of("bea")).send().await.unwrap_err();
    assert_eq!(error_code(&taken), "AliasExistsException");
    server.idp.confirm_sign_up().client_id(&client_id).username("cat").confirmation_code(code_of("cat")).force_alias_creation(true).send().await.unwrap();
    assert_eq!(sign_in_error(&server, &client_id, "shared@example.com", "Correct-Horse-1").await, None, "the alias now names cat");
    let ana = server.idp.admin_get_user().user_pool_id(&pool_id).username("ana").send().await.unwrap();
    let verified = ana.user_attributes().iter().find(|attribute| attribute.name == "email_verified").and_then(|attribute| attribute.value.clone());
    assert_eq!(verified.as_deref(), Some("false"));
}
on_both_backends!(confirm_sign_up_force_alias_creation, super::force_alias_creation);

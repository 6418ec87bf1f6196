//! Signing in with passwords and refresh tokens, the NEW_PASSWORD_REQUIRED challenge, the
//! tokens that result (verified against the JWKS), and the token-holder operations.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType, MessageActionType, PreventUserExistenceErrorTypes,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::harness::{create_pool, error_code, test_config, unique, Backend, TestServer};
use crate::on_both_backends;

pub(crate) const PASSWORD: &str = "Correct-Horse-1";

pub(crate) fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header(token: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap()
}

pub(crate) struct Fixture {
    pub(crate) pool_id: String,
    pub(crate) client_id: String,
}

/// A pool, a public client allowing password and refresh flows, and a confirmed user `name`.
pub(crate) async fn fixture(server: &TestServer, name: &str, prevent_existence_errors: bool) -> Fixture {
    let pool_id = create_pool(server).await;
    let client_id = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("app")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .prevent_user_existence_errors(if prevent_existence_errors {
            PreventUserExistenceErrorTypes::Enabled
        } else {
            PreventUserExistenceErrorTypes::Legacy
        })
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username(name)
        .user_attributes(aws_sdk_cognitoidentityprovider::types::AttributeType::builder().name("email").value(format!("{name}@example.com")).build().unwrap())
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    server
        .idp
        .admin_set_user_password()
        .user_pool_id(&pool_id)
        .username(name)
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .unwrap();
    Fixture { pool_id, client_id }
}

pub(crate) async fn sign_in(server: &TestServer, fixture: &Fixture, username: &str, password: &str) -> Result<aws_sdk_cognitoidentityprovider::types::AuthenticationResultType, String> {
    server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .map(|output| output.authentication_result.expect("tokens"))
        .map_err(|error| error_code(&error))
}

async fn password_sign_in_and_tokens(server: TestServer) {
    let fixture = fixture(&server, "alice", false).await;
    server.idp.create_group().user_pool_id(&fixture.pool_id).group_name("admins").role_arn("arn:aws:iam::123456789012:role/admins").precedence(1).send().await.unwrap();
    server.idp.admin_add_user_to_group().user_pool_id(&fixture.pool_id).username("alice").group_name("admins").send().await.unwrap();

    let tokens = sign_in(&server, &fixture, "alice", PASSWORD).await.expect("signed in");
    assert_eq!(tokens.token_type.as_deref(), Some("Bearer"));
    assert_eq!(tokens.expires_in, 3600);
    let access_token = tokens.access_token.clone().unwrap();
    let id_token = tokens.id_token.clone().unwrap();
    let refresh_token = tokens.refresh_token.clone().unwrap();
    assert_eq!(header(&access_token)["alg"], "RS256");
    assert_ne!(header(&access_token)["kid"], header(&id_token)["kid"], "ID and access tokens use different keys");
    let issuer = format!("{}/{}", server.base_url, fixture.pool_id);
    let id_claims = claims(&id_token);
    assert_eq!(id_claims["iss"], issuer.as_str());
    assert_eq!(id_claims["aud"], fixture.client_id.as_str());
    assert_eq!(id_claims["token_use"], "id");
    assert_eq!(id_claims["cognito:username"], "alice");
    assert_eq!(id_claims["email"], "alice@example.com");
    assert_eq!(id_claims["cognito:groups"][0], "admins");
    assert_eq!(id_claims["cognito:preferred_role"], "arn:aws:iam::123456789012:role/admins");
    let access_claims = claims(&access_token);
    assert_eq!(access_claims["token_use"], "access");
    assert_eq!(access_claims["client_id"], fixture.client_id.as_str());
    assert_eq!(access_claims["scope"], "aws.cognito.signin.user.admin");
    assert_eq!(access_claims["origin_jti"], id_claims["origin_jti"]);
    assert!(access_claims.get("aud").is_none());
    assert_eq!(access_claims["exp"].as_i64().unwrap() - access_claims["iat"].as_i64().unwrap(), 3600);

    let jwks: Value = reqwest::get(format!("{issuer}/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|key| key["kid"].as_str().unwrap()).collect();
    assert!(kids.contains(&header(&access_token)["kid"].as_str().unwrap()));
    assert!(kids.contains(&header(&id_token)["kid"].as_str().unwrap()));
    let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(discovery["jwks_uri"], format!("{issuer}/.well-known/jwks.json").as_str());
    let missing = reqwest::get(format!("{}/us-east-1_000000000/.well-known/jwks.json", server.base_url)).await.unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    let user = server.idp.get_user().access_token(&access_token).send().await.unwrap();
    assert_eq!(user.username, "alice");
    assert!(user.user_attributes.iter().any(|attribute| attribute.name == "email"));

    assert_eq!(sign_in(&server, &fixture, "alice", "Wrong-Password-1").await.unwrap_err(), "NotAuthorizedException");
    assert_eq!(sign_in(&server, &fixture, "nobody", PASSWORD).await.unwrap_err(), "UserNotFoundException");

    let refreshed = server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", &refresh_token)
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    assert!(refreshed.refresh_token.is_none(), "refresh answers without a new refresh token");
    let refreshed_claims = claims(refreshed.id_token.as_deref().unwrap());
    assert_eq!(refreshed_claims["auth_time"], id_claims["auth_time"]);
    assert_eq!(refreshed_claims["origin_jti"], id_claims["origin_jti"]);
    assert_ne!(refreshed_claims["jti"], id_claims["jti"]);

    let admin = server
        .idp
        .admin_initiate_auth()
        .user_pool_id(&fixture.pool_id)
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "alice")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    assert!(admin.authentication_result.is_some());
    let public_admin_flow = server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "alice")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&public_admin_flow), "InvalidParameterException");

    server
        .idp
        .change_password()
        .access_token(&access_token)
        .previous_password(PASSWORD)
        .proposed_password("Battery-Staple-2")
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in(&server, &fixture, "alice", PASSWORD).await.unwrap_err(), "NotAuthorizedException");
    let fresh = sign_in(&server, &fixture, "alice", "Battery-Staple-2").await.expect("the new password works");

    server.idp.global_sign_out().access_token(&access_token).send().await.unwrap();
    for token in [&access_token, fresh.access_token.as_ref().unwrap()] {
        let revoked = server.idp.get_user().access_token(token).send().await.unwrap_err();
        assert_eq!(error_code(&revoked), "NotAuthorizedException");
    }
    let refresh_after = server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", &refresh_token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&refresh_after), "NotAuthorizedException");

    server.idp.admin_disable_user().user_pool_id(&fixture.pool_id).username("alice").send().await.unwrap();
    assert_eq!(sign_in(&server, &fixture, "alice", "Battery-Staple-2").await.unwrap_err(), "NotAuthorizedException");
}
on_both_backends!(password_sign_in_issues_verifiable_tokens, super::password_sign_in_and_tokens);

async fn new_password_required(server: TestServer) {
    let fixture = fixture(&server, "seed", true).await;
    server
        .idp
        .admin_create_user()
        .user_pool_id(&fixture.pool_id)
        .username("bob")
        .temporary_password("Temp-Pass-123")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let challenge = server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "bob")
        .auth_parameters("PASSWORD", "Temp-Pass-123")
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.challenge_name, Some(ChallengeNameType::NewPasswordRequired));
    let parameters = challenge.challenge_parameters.unwrap();
    assert_eq!(parameters.get("USER_ID_FOR_SRP").map(String::as_str), Some("bob"));
    assert!(parameters.contains_key("requiredAttributes"));
    let session = challenge.session.unwrap();
    let weak = server
        .idp
        .respond_to_auth_challenge()
        .client_id(&fixture.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(&session)
        .challenge_responses("USERNAME", "bob")
        .challenge_responses("NEW_PASSWORD", "weak")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&weak), "InvalidPasswordException");
    let used = server
        .idp
        .respond_to_auth_challenge()
        .client_id(&fixture.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(&session)
        .challenge_responses("USERNAME", "bob")
        .challenge_responses("NEW_PASSWORD", "Brand-New-Pass-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&used), "NotAuthorizedException", "a session works once, even when the answer was refused");

    let challenge = server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "bob")
        .auth_parameters("PASSWORD", "Temp-Pass-123")
        .send()
        .await
        .unwrap();
    let answered = server
        .idp
        .respond_to_auth_challenge()
        .client_id(&fixture.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(challenge.session.unwrap())
        .challenge_responses("USERNAME", "bob")
        .challenge_responses("NEW_PASSWORD", "Brand-New-Pass-1")
        .challenge_responses("userAttributes.name", "Bob")
        .send()
        .await
        .unwrap();
    let id_token = answered.authentication_result.unwrap().id_token.unwrap();
    assert_eq!(claims(&id_token)["name"], "Bob");
    let status = server.idp.admin_get_user().user_pool_id(&fixture.pool_id).username("bob").send().await.unwrap();
    assert_eq!(status.user_status.unwrap().as_str(), "CONFIRMED");

    let bad_session = server
        .idp
        .respond_to_auth_challenge()
        .client_id(&fixture.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session("x".repeat(64))
        .challenge_responses("USERNAME", "bob")
        .challenge_responses("NEW_PASSWORD", "Brand-New-Pass-2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_session), "NotAuthorizedException");
    assert_eq!(sign_in(&server, &fixture, "nobody", PASSWORD).await.unwrap_err(), "NotAuthorizedException", "existence is hidden");
}
on_both_backends!(new_password_required_challenge, super::new_password_required);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_hash_is_required_for_clients_with_a_secret() {
    use hmac::{Hmac, Mac};
    let server = TestServer::start(Backend::Sqlite).await;
    let fixture = fixture(&server, "carol", false).await;
    let client = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&fixture.pool_id)
        .client_name("confidential")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    let (client_id, secret) = (client.client_id.unwrap(), client.client_secret.unwrap());
    let attempt = |secret_hash: Option<String>| {
        let mut request = server
            .idp
            .initiate_auth()
            .client_id(&client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "carol")
            .auth_parameters("PASSWORD", PASSWORD);
        if let Some(secret_hash) = secret_hash {
            request = request.auth_parameters("SECRET_HASH", secret_hash);
        }
        request.send()
    };
    assert_eq!(error_code(&attempt(None).await.unwrap_err()), "NotAuthorizedException");
    assert_eq!(error_code(&attempt(Some("bm90LXRoZS1oYXNo".into())).await.unwrap_err()), "NotAuthorizedException");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("carol{client_id}").as_bytes());
    let secret_hash = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let tokens = attempt(Some(secret_hash)).await.unwrap().authentication_result.unwrap();

    let wrong_client_revoke = server.idp.revoke_token().token(tokens.refresh_token.clone().unwrap()).client_id(&client_id).client_secret("wrong").send().await.unwrap_err();
    assert_eq!(error_code(&wrong_client_revoke), "NotAuthorizedException");
    server.idp.revoke_token().token(tokens.refresh_token.clone().unwrap()).client_id(&client_id).client_secret(&secret).send().await.unwrap();
    let revoked = server.idp.get_user().access_token(tokens.access_token.unwrap()).send().await.unwrap_err();
    assert_eq!(error_code(&revoked), "NotAuthorizedException", "revoking a refresh token revokes its access tokens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_expired_tokens_are_refused() {
    let clock = Arc::new(cognate_domain::clock::ManualClock::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    ));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = format!("sqlite://{}/db", data_dir.path().display());
    let server = TestServer::start_with_clock(test_config(data_dir.path(), &url), data_dir, clock.clone()).await;
    let fixture = fixture(&server, "dave", false).await;
    let tokens = sign_in(&server, &fixture, "dave", PASSWORD).await.unwrap();
    let (access_token, id_token) = (tokens.access_token.unwrap(), tokens.id_token.unwrap());
    server.idp.get_user().access_token(&access_token).send().await.expect("a genuine token works");

    let parts: Vec<&str> = access_token.split('.').collect();
    let kid = header(&access_token)["kid"].as_str().unwrap().to_string();
    let mut tampered_claims = claims(&access_token);
    tampered_claims["username"] = Value::from("someone-else");
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(tampered_claims.to_string()), parts[2]);
    let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(format!(r#"{{"kid":"{kid}","alg":"none"}}"#)), parts[1]);
    // HS256 keyed with the public modulus, the classic algorithm-confusion forgery.
    let jwks: Value = reqwest::get(format!("{}/{}/.well-known/jwks.json", server.base_url, fixture.pool_id)).await.unwrap().json().await.unwrap();
    let public_n = jwks["keys"].as_array().unwrap().iter().find(|key| key["kid"] == kid.as_str()).unwrap()["n"].as_str().unwrap().to_string();
    let hs_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"kid":"{kid}","alg":"HS256"}}"#));
    let hs_input = format!("{hs_header}.{}", parts[1]);
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(public_n.as_bytes()).unwrap();
    mac.update(hs_input.as_bytes());
    let hs256 = format!("{hs_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
    let unknown_kid = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(r#"{"kid":"unknown","alg":"RS256"}"#), parts[1], parts[2]);
    for (label, forged) in [
        ("tampered", tampered.as_str()),
        ("alg none", none.as_str()),
        ("HS256 with the public key", hs256.as_str()),
        ("unknown kid", unknown_kid.as_str()),
        ("an ID token", id_token.as_str()),
        ("garbage", "not-a-token"),
    ] {
        let refused = server.idp.get_user().access_token(forged).send().await.unwrap_err();
        assert_eq!(error_code(&refused), "NotAuthorizedException", "{label}");
    }

    clock.advance_millis(61 * 60 * 1000);
    let expired = server.idp.get_user().access_token(&access_token).send().await.unwrap_err();
    assert_eq!(error_code(&expired), "NotAuthorizedException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_account() {
    let server = TestServer::start(Backend::Sqlite).await;
    let fixture = fixture(&server, unique("erin").as_str(), false).await;
    let username = server.idp.list_users().user_pool_id(&fixture.pool_id).send().await.unwrap().users.unwrap()[0].username.clone().unwrap();
    for _ in 0..6 {
        assert_eq!(sign_in(&server, &fixture, &username, "Wrong-Password-1").await.unwrap_err(), "NotAuthorizedException");
    }
    let locked = server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &username)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&locked), "NotAuthorizedException");
    assert!(format!("{locked:?}").contains("Password attempts exceeded"), "{locked:?}");
    server.idp.admin_set_user_password().user_pool_id(&fixture.pool_id).username(&username).password(PASSWORD).permanent(true).send().await.unwrap();
    let tokens = sign_in(&server, &fixture, &username, PASSWORD).await.expect("an administrator's reset lifts the lockout");
    let access_token = tokens.access_token.unwrap();
    for attempt in 1..=6 {
        let error = server
            .idp
            .change_password()
            .access_token(&access_token)
            .previous_password("Wrong-Password-1")
            .proposed_password("Another-Pass-1")
            .send()
            .await
            .unwrap_err();
        let expected = if attempt <= 5 { "NotAuthorizedException" } else { "LimitExceededException" };
        assert_eq!(error_code(&error), expected, "ChangePassword attempt {attempt}");
    }
}

async fn srp_refusals(server: TestServer) {
    let fixture = fixture(&server, "frank", false).await;
    let srp_client = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&fixture.pool_id)
        .client_name("spa")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    let start = |a: &'static str, client: String| {
        server
            .idp
            .initiate_auth()
            .client_id(client)
            .auth_flow(AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", "frank")
            .auth_parameters("SRP_A", a)
            .send()
    };
    assert_eq!(error_code(&start("0", srp_client.clone()).await.unwrap_err()), "InvalidParameterException", "A = 0 is refused");
    assert_eq!(
        error_code(&start("02", fixture.client_id.clone()).await.unwrap_err()),
        "InvalidParameterException",
        "the flow must be enabled for the client"
    );
    let challenge = start("02", srp_client.clone()).await.unwrap();
    assert_eq!(challenge.challenge_name, Some(ChallengeNameType::PasswordVerifier));
    let parameters = challenge.challenge_parameters.unwrap();
    for key in ["SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"] {
        assert!(parameters.contains_key(key), "{key}");
    }
    let answer = || {
        server
            .idp
            .respond_to_auth_challenge()
            .client_id(&srp_client)
            .challenge_name(ChallengeNameType::PasswordVerifier)
            .challenge_responses("USERNAME", "frank")
            .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", parameters["SECRET_BLOCK"].clone())
            .challenge_responses("PASSWORD_CLAIM_SIGNATURE", "bm90IGEgc2lnbmF0dXJl")
            .challenge_responses("TIMESTAMP", "Sat Nov 7 01:02:03 UTC 2026")
            .send()
    };
    assert_eq!(error_code(&answer().await.unwrap_err()), "NotAuthorizedException", "a wrong claim is refused");
    assert_eq!(error_code(&answer().await.unwrap_err()), "NotAuthorizedException", "a secret block works once");
    let forged_block = server
        .idp
        .respond_to_auth_challenge()
        .client_id(&srp_client)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .challenge_responses("USERNAME", "frank")
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", "Zm9yZ2Vk")
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", "bm90IGEgc2lnbmF0dXJl")
        .challenge_responses("TIMESTAMP", "Sat Nov 7 01:02:03 UTC 2026")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&forged_block), "NotAuthorizedException");
}
on_both_backends!(srp_refuses_bad_values_and_replays, super::srp_refusals);

/// Rotating a pool's signing keys: new tokens carry the new kids, tokens signed before still
/// verify while they live, and the old keys leave the JWKS a day after they were replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_keys_rotate() {
    let clock = Arc::new(cognate_domain::clock::ManualClock::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    ));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = format!("sqlite://{}/db", data_dir.path().display());
    let server = TestServer::start_with_clock(test_config(data_dir.path(), &url), data_dir, clock.clone()).await;
    let fixture = fixture(&server, "kim", false).await;
    let before = sign_in(&server, &fixture, "kim", PASSWORD).await.unwrap();
    let old_access = before.access_token.unwrap();
    let old_kid = header(&old_access)["kid"].as_str().unwrap().to_string();
    let jwks_url = format!("{}/{}/.well-known/jwks.json", server.base_url, fixture.pool_id);
    let kids = |jwks: Value| -> Vec<String> { jwks["keys"].as_array().unwrap().iter().map(|key| key["kid"].as_str().unwrap().to_string()).collect() };
    assert_eq!(kids(reqwest::get(&jwks_url).await.unwrap().json().await.unwrap()).len(), 2);

    let rotate = |credentials: (&'static str, &'static str)| {
        reqwest::Client::new()
            .post(format!("{}/_cognate/signing-keys/rotate?UserPoolId={}", server.base_url, fixture.pool_id))
            .basic_auth(credentials.0, Some(credentials.1))
            .send()
    };
    assert_eq!(rotate((crate::harness::ACCESS_KEY_ID, "wrong")).await.unwrap().status().as_u16(), 401);
    let answer: Value = rotate((crate::harness::ACCESS_KEY_ID, crate::harness::SECRET_ACCESS_KEY)).await.unwrap().json().await.unwrap();
    let new_kids: Vec<String> = answer["Kids"].as_array().unwrap().iter().map(|kid| kid.as_str().unwrap().to_string()).collect();
    assert_eq!(new_kids.len(), 2);

    let after = sign_in(&server, &fixture, "kim", PASSWORD).await.unwrap();
    let new_access = after.access_token.unwrap();
    assert!(new_kids.contains(&header(&new_access)["kid"].as_str().unwrap().to_string()), "new tokens use the new keys");
    assert!(new_kids.contains(&header(after.id_token.as_deref().unwrap())["kid"].as_str().unwrap().to_string()));
    let published = kids(reqwest::get(&jwks_url).await.unwrap().json().await.unwrap());
    assert_eq!(published.len(), 4, "old and new keys are both published");
    assert!(published.contains(&old_kid));
    server.idp.get_user().access_token(&old_access).send().await.expect("a token signed before the rotation still verifies");

    // A day and a bit later the replaced keys are gone; the new ones still sign.
    clock.advance_millis(25 * 60 * 60 * 1000);
    let published = kids(reqwest::get(&jwks_url).await.unwrap().json().await.unwrap());
    assert_eq!(published.len(), 2);
    assert!(!published.contains(&old_kid));
    let later = sign_in(&server, &fixture, "kim", PASSWORD).await.unwrap();
    assert!(new_kids.contains(&header(&later.access_token.unwrap())["kid"].as_str().unwrap().to_string()));
}

/// PasswordHistorySize: a user may not go back to the current password nor the ones before it,
/// within the pool's count; older passwords are allowed again.
async fn password_history(server: TestServer) {
    let fixture = fixture(&server, "lena", false).await;
    let policy = aws_sdk_cognitoidentityprovider::types::PasswordPolicyType::builder()
        .minimum_length(8)
        .require_lowercase(true)
        .require_uppercase(true)
        .require_numbers(true)
        .require_symbols(true)
        .password_history_size(2)
        .build();
    let policies = aws_sdk_cognitoidentityprovider::types::UserPoolPolicyType::builder().password_policy(policy).build();
    server.idp.update_user_pool().user_pool_id(&fixture.pool_id).policies(policies).send().await.unwrap();
    let described = server.idp.describe_user_pool().user_pool_id(&fixture.pool_id).send().await.unwrap();
    assert_eq!(described.user_pool().unwrap().policies().unwrap().password_policy().unwrap().password_history_size(), Some(2));

    let access = sign_in(&server, &fixture, "lena", PASSWORD).await.unwrap().access_token.unwrap();
    let change = |previous: &'static str, proposed: &'static str| {
        server.idp.change_password().access_token(&access).previous_password(previous).proposed_password(proposed).send()
    };
    let same = change(PASSWORD, PASSWORD).await.unwrap_err();
    assert_eq!(error_code(&same), "PasswordHistoryPolicyViolationException");
    change(PASSWORD, "Second-Pass-2").await.unwrap();
    let back = change("Second-Pass-2", PASSWORD).await.unwrap_err();
    assert_eq!(error_code(&back), "PasswordHistoryPolicyViolationException", "the one before the current is remembered");
    change("Second-Pass-2", "Third-Pass-3").await.unwrap();
    // Two back is beyond a history of two: allowed again, also for an administrator.
    server.idp.admin_set_user_password().user_pool_id(&fixture.pool_id).username("lena").password(PASSWORD).permanent(true).send().await.unwrap();
    let admin_reuse = server.idp.admin_set_user_password().user_pool_id(&fixture.pool_id).username("lena").password("Third-Pass-3").permanent(true).send().await.unwrap_err();
    assert_eq!(error_code(&admin_reuse), "PasswordHistoryPolicyViolationException");
    assert!(sign_in(&server, &fixture, "lena", PASSWORD).await.is_ok());
}
on_both_backends!(password_history_is_enforced, super::password_history);


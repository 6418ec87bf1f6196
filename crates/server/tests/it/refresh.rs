//! GetTokensFromRefreshToken and refresh token rotation, driven by the AWS SDK for Rust: a
//! refresh without rotation answers no refresh token; with rotation each refresh answers a new
//! one, the old one works for the grace period and then answers RefreshTokenReuseException;
//! REFRESH_TOKEN_AUTH is refused for a rotating client; a client with a secret must present it,
//! and may have two secrets at once while one is rotated.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType, FeatureType, RefreshTokenRotationType};

use crate::auth::{fixture, sign_in, Fixture, PASSWORD};
use crate::on_each_backend;
use crate::harness::{database_url, error_code, test_config, Backend, TestServer};

async fn server_with_clock(backend: Backend) -> (TestServer, Arc<cognate_domain::clock::ManualClock>) {
    let clock = Arc::new(cognate_domain::clock::ManualClock::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    ));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(backend, data_dir.path()).await;
    (TestServer::start_with_clock(test_config(data_dir.path(), &url), data_dir, clock.clone()).await, clock)
}

/// Sets the client's rotation (None: disabled), keeping its flows.
async fn set_rotation(server: &TestServer, fixture: &Fixture, grace_seconds: Option<i32>) {
    let rotation = match grace_seconds {
        Some(seconds) => RefreshTokenRotationType::builder().feature(FeatureType::Enabled).retry_grace_period_seconds(seconds).build().unwrap(),
        None => RefreshTokenRotationType::builder().feature(FeatureType::Disabled).build().unwrap(),
    };
    server
        .idp
        .update_user_pool_client()
        .user_pool_id(&fixture.pool_id)
        .client_id(&fixture.client_id)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .refresh_token_rotation(rotation)
        .send()
        .await
        .unwrap();
}

async fn refresh(server: &TestServer, client_id: &str, token: &str, secret: Option<&str>) -> Result<aws_sdk_cognitoidentityprovider::types::AuthenticationResultType, String> {
    server
        .idp
        .get_tokens_from_refresh_token()
        .client_id(client_id)
        .refresh_token(token)
        .set_client_secret(secret.map(str::to_string))
        .send()
        .await
        .map(|output| output.authentication_result.expect("tokens"))
        .map_err(|error| error_code(&error))
}

async fn rotation(backend: Backend) {
    let (server, clock) = server_with_clock(backend).await;
    let fixture = fixture(&server, "rita", false).await;
    let first = sign_in(&server, &fixture, "rita", PASSWORD).await.unwrap().refresh_token.unwrap();

    // Without rotation: new ID and access tokens, no refresh token, the old one still works.
    let plain = refresh(&server, &fixture.client_id, &first, None).await.unwrap();
    assert!(plain.access_token.is_some() && plain.id_token.is_some());
    assert_eq!(plain.refresh_token, None);
    refresh(&server, &fixture.client_id, &first, None).await.expect("a refresh token lasts without rotation");
    assert_eq!(refresh(&server, &fixture.client_id, "not-a-token", None).await.unwrap_err(), "NotAuthorizedException");

    // With rotation and no grace period: each refresh answers a new token; the old one is spent.
    set_rotation(&server, &fixture, Some(0)).await;
    let by_initiate_auth = server
        .idp
        .initiate_auth()
        .client_id(&fixture.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", &first)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&by_initiate_auth), "InvalidParameterException", "a rotating client refreshes only with GetTokensFromRefreshToken");
    let second = refresh(&server, &fixture.client_id, &first, None).await.unwrap().refresh_token.expect("a rotated refresh token");
    assert_ne!(second, first);
    clock.advance_millis(1_000);
    assert_eq!(refresh(&server, &fixture.client_id, &first, None).await.unwrap_err(), "RefreshTokenReuseException");
    let third = refresh(&server, &fixture.client_id, &second, None).await.unwrap().refresh_token.unwrap();

    // A grace period lets the rotated-out token retry for that long, and no longer.
    set_rotation(&server, &fixture, Some(30)).await;
    let fourth = refresh(&server, &fixture.client_id, &third, None).await.unwrap().refresh_token.unwrap();
    clock.advance_millis(10_000);
    let retried = refresh(&server, &fixture.client_id, &third, None).await.expect("a retry within the grace period");
    assert!(retried.refresh_token.is_some());
    clock.advance_millis(25_000);
    assert_eq!(refresh(&server, &fixture.client_id, &third, None).await.unwrap_err(), "RefreshTokenReuseException");
    refresh(&server, &fixture.client_id, &fourth, None).await.expect("the new token works");

    // The token endpoint's refresh_token grant rotates as well.
    let spare = retried.refresh_token.unwrap();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/{}/oauth2/token", server.base_url, fixture.pool_id))
        .form(&[("grant_type", "refresh_token"), ("client_id", fixture.client_id.as_str()), ("refresh_token", spare.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let from_endpoint = answer["refresh_token"].as_str().expect("the token endpoint answers a rotated refresh token");
    assert_ne!(from_endpoint, spare);
    refresh(&server, &fixture.client_id, from_endpoint, None).await.expect("the endpoint's new token works");

    // Revoking the sign-in ends every token of its rotation.
    server.idp.revoke_token().client_id(&fixture.client_id).token(&fourth).send().await.unwrap();
    assert_eq!(refresh(&server, &fixture.client_id, &fourth, None).await.unwrap_err(), "NotAuthorizedException");

    // Rotation settings are checked as the model constrains them.
    let bad_grace = server
        .idp
        .update_user_pool_client()
        .user_pool_id(&fixture.pool_id)
        .client_id(&fixture.client_id)
        .refresh_token_rotation(RefreshTokenRotationType::builder().feature(FeatureType::Enabled).retry_grace_period_seconds(61).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_grace), "InvalidParameterException");
    let described = server.idp.describe_user_pool_client().user_pool_id(&fixture.pool_id).client_id(&fixture.client_id).send().await.unwrap();
    let kept = described.user_pool_client.unwrap().refresh_token_rotation.expect("the rotation setting is answered");
    assert_eq!(kept.feature(), &FeatureType::Enabled);
    assert_eq!(kept.retry_grace_period_seconds(), Some(30));
}

/// sam's password sign-in through a confidential client, with the SECRET_HASH of `secret`.
async fn admin_sign_in(
    server: &TestServer,
    fixture: &Fixture,
    client_id: &str,
    secret: &str,
) -> Result<aws_sdk_cognitoidentityprovider::types::AuthenticationResultType, String> {
    server
        .idp
        .admin_initiate_auth()
        .user_pool_id(&fixture.pool_id)
        .client_id(client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "sam")
        .auth_parameters("PASSWORD", PASSWORD)
        .auth_parameters("SECRET_HASH", cognate_domain::user_pool::auth::secret_hash(secret, "sam", client_id))
        .send()
        .await
        .map(|output| output.authentication_result.expect("tokens"))
        .map_err(|error| error_code(&error))
}

async fn client_secrets(backend: Backend) {
    let (server, _clock) = server_with_clock(backend).await;
    let fixture = fixture(&server, "sam", false).await;
    let confidential = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&fixture.pool_id)
        .client_name("backend")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    let (client_id, secret) = (confidential.client_id.unwrap(), confidential.client_secret.unwrap());
    let token = admin_sign_in(&server, &fixture, &client_id, &secret).await.expect("signed in").refresh_token.unwrap();
    assert_eq!(refresh(&server, &client_id, &token, None).await.unwrap_err(), "NotAuthorizedException", "the secret is required");
    assert_eq!(refresh(&server, &client_id, &token, Some("not-the-secret")).await.unwrap_err(), "NotAuthorizedException");
    refresh(&server, &client_id, &token, Some(&secret)).await.expect("the client's secret");
    // A refresh token of one client is refused by another.
    assert_eq!(refresh(&server, &fixture.client_id, &token, None).await.unwrap_err(), "NotAuthorizedException");

    // A second secret, for a rotation without downtime: both work until the first is deleted.
    let added = server
        .idp
        .add_user_pool_client_secret()
        .user_pool_id(&fixture.pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap()
        .client_secret_descriptor
        .unwrap();
    let (second_id, second) = (added.client_secret_id.unwrap(), added.client_secret_value.expect("a generated secret is answered once"));
    assert!(second_id.starts_with(&format!("{client_id}--")));
    let listed = server.idp.list_user_pool_client_secrets().user_pool_id(&fixture.pool_id).client_id(&client_id).send().await.unwrap();
    let listed = listed.client_secrets.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|secret| secret.client_secret_value.is_none() && secret.client_secret_create_date.is_some()), "a list never shows values");
    let first_id = listed.iter().map(|secret| secret.client_secret_id.clone().unwrap()).find(|id| *id != second_id).unwrap();
    refresh(&server, &client_id, &token, Some(&secret)).await.expect("the first secret still works");
    refresh(&server, &client_id, &token, Some(&second)).await.expect("the second secret works");
    admin_sign_in(&server, &fixture, &client_id, &second).await.expect("SECRET_HASH from the second secret");
    let third = server.idp.add_user_pool_client_secret().user_pool_id(&fixture.pool_id).client_id(&client_id).send().await.unwrap_err();
    assert_eq!(error_code(&third), "LimitExceededException");
    let public = server.idp.add_user_pool_client_secret().user_pool_id(&fixture.pool_id).client_id(&fixture.client_id).send().await.unwrap_err();
    assert_eq!(error_code(&public), "InvalidParameterException", "a public client has no secrets to rotate");

    server.idp.delete_user_pool_client_secret().user_pool_id(&fixture.pool_id).client_id(&client_id).client_secret_id(&first_id).send().await.unwrap();
    assert_eq!(refresh(&server, &client_id, &token, Some(&secret)).await.unwrap_err(), "NotAuthorizedException", "a deleted secret is refused");
    refresh(&server, &client_id, &token, Some(&second)).await.expect("the remaining secret works");
    let described = server.idp.describe_user_pool_client().user_pool_id(&fixture.pool_id).client_id(&client_id).send().await.unwrap();
    assert_eq!(described.user_pool_client.unwrap().client_secret.as_deref(), Some(second.as_str()));
    let last = server.idp.delete_user_pool_client_secret().user_pool_id(&fixture.pool_id).client_id(&client_id).client_secret_id(&second_id).send().await.unwrap_err();
    assert_eq!(error_code(&last), "InvalidParameterException", "the last secret stays");
    let unknown = server.idp.delete_user_pool_client_secret().user_pool_id(&fixture.pool_id).client_id(&client_id).client_secret_id(&first_id).send().await.unwrap_err();
    assert_eq!(error_code(&unknown), "ResourceNotFoundException");
    let given = server
        .idp
        .add_user_pool_client_secret()
        .user_pool_id(&fixture.pool_id)
        .client_id(&client_id)
        .client_secret("a-given-secret-of-enough-length".replace('-', "_"))
        .send()
        .await
        .unwrap()
        .client_secret_descriptor
        .unwrap();
    assert_eq!(given.client_secret_value, None, "a given secret is not answered back");
    refresh(&server, &client_id, &token, Some("a_given_secret_of_enough_length")).await.expect("a given secret works");
}

on_each_backend!(refresh_tokens_rotate, super::rotation);
on_each_backend!(refresh_needs_the_client_secret, super::client_secrets);

//! App clients: create with and without a secret, describe, update, list, delete.

use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, OAuthFlowType, TimeUnitsType, TokenValidityUnitsType};

use crate::harness::{create_pool, error_code, TestServer};
use crate::on_both_backends;

async fn client_lifecycle(server: TestServer) {
    let pool_id = create_pool(&server).await;
    let created = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("web")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .access_token_validity(30)
        .token_validity_units(TokenValidityUnitsType::builder().access_token(TimeUnitsType::Minutes).build())
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    let client_id = created.client_id.clone().unwrap();
    assert_eq!(client_id.len(), 26);
    assert!(client_id.chars().all(|character| character.is_ascii_digit() || ('a'..='v').contains(&character)));
    let secret = created.client_secret.clone().expect("a generated secret");
    assert!(secret.len() >= 40);
    assert_eq!(created.refresh_token_validity, 30);
    assert_eq!(created.access_token_validity, Some(30));

    let described = server
        .idp
        .describe_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert_eq!(described.client_secret.as_deref(), Some(secret.as_str()), "the secret opens after storage");
    assert_eq!(described.explicit_auth_flows.unwrap().len(), 2);

    let updated = server
        .idp
        .update_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&client_id)
        .client_name("web-renamed")
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_scopes("openid")
        .callback_urls("https://app.example.com/callback")
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert_eq!(updated.client_name.as_deref(), Some("web-renamed"));
    assert_eq!(updated.callback_urls.unwrap(), vec!["https://app.example.com/callback".to_string()]);
    assert_eq!(updated.explicit_auth_flows, None, "members left out of an update return to their defaults");
    assert_eq!(updated.client_secret.as_deref(), Some(secret.as_str()));

    let public = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("mobile")
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert_eq!(public.client_secret, None);

    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let page = server
            .idp
            .list_user_pool_clients()
            .user_pool_id(&pool_id)
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        listed.extend(page.user_pool_clients.unwrap_or_default().into_iter().map(|client| client.client_name.unwrap()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    listed.sort();
    assert_eq!(listed, vec!["mobile".to_string(), "web-renamed".to_string()]);

    server.idp.delete_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap();
    let gone = server.idp.describe_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap_err();
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
    let gone_again = server.idp.delete_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap_err();
    assert_eq!(error_code(&gone_again), "ResourceNotFoundException");
}
on_both_backends!(client_lifecycle_works, super::client_lifecycle);

async fn client_settings_are_validated(server: TestServer) {
    let pool_id = create_pool(&server).await;
    let mixed_flows = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("mixed")
        .explicit_auth_flows(ExplicitAuthFlowsType::UserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&mixed_flows), "InvalidParameterException");
    let too_long = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("long")
        .access_token_validity(2)
        .token_validity_units(TokenValidityUnitsType::builder().access_token(TimeUnitsType::Days).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&too_long), "InvalidParameterException");
    let insecure_callback = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("callback")
        .callback_urls("http://app.example.com/callback")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&insecure_callback), "InvalidParameterException");
    let unknown_attribute = server
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("attrs")
        .read_attributes("custom:nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown_attribute), "InvalidParameterException");
    let no_pool = server
        .idp
        .create_user_pool_client()
        .user_pool_id("us-east-1_000000000")
        .client_name("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&no_pool), "ResourceNotFoundException");
    let listed = server.idp.list_user_pool_clients().user_pool_id(&pool_id).send().await.unwrap();
    assert!(listed.user_pool_clients.unwrap_or_default().is_empty(), "refused clients were not half-created");
}
on_both_backends!(client_settings_are_validated_with_cognito_errors, super::client_settings_are_validated);

//! Several nodes over one database, restarts, and the master key shared by a cluster.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::MessageActionType;

use crate::harness::{create_pool, database_url, test_config, Backend, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_behave_as_one_service() {
    let data_dir_a = Arc::new(tempfile::tempdir().unwrap());
    let data_dir_b = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Postgres, data_dir_a.path()).await;
    // Both nodes start at once on an empty database: migrations must apply exactly once.
    // Nodes behind one load balancer share one public URL, so their tokens name one issuer.
    let node_config = |data_dir: &std::path::Path| {
        let mut config = test_config(data_dir, &url);
        config.public_url = "https://auth.cluster.test".into();
        config
    };
    let (node_a, node_b) = tokio::join!(
        TestServer::start_with(node_config(data_dir_a.path()), data_dir_a.clone()),
        TestServer::start_with(node_config(data_dir_b.path()), data_dir_b.clone()),
    );
    let pool_id = create_pool(&node_a).await;
    let client = node_a
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("shared")
        .generate_secret(true)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    node_b
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("zoe")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let fetched = node_a.idp.admin_get_user().user_pool_id(&pool_id).username("zoe").send().await.unwrap();
    assert_eq!(fetched.username, "zoe");
    let described = node_b
        .idp
        .describe_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(client.client_id.unwrap())
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert_eq!(described.client_secret, client.client_secret, "node B opens the secret node A sealed");

    // A token signed by one node verifies on the other: the signing keys live in the database.
    let sign_in_client = node_a
        .idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("signin")
        .explicit_auth_flows(aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    node_b.idp.admin_set_user_password().user_pool_id(&pool_id).username("zoe").password("Correct-Horse-1").permanent(true).send().await.unwrap();
    let tokens = node_a
        .idp
        .initiate_auth()
        .client_id(&sign_in_client)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "zoe")
        .auth_parameters("PASSWORD", "Correct-Horse-1")
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    let on_b = node_b.idp.get_user().access_token(tokens.access_token.clone().unwrap()).send().await.unwrap();
    assert_eq!(on_b.username, "zoe");
    node_b
        .idp
        .initiate_auth()
        .client_id(&sign_in_client)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token.clone().unwrap())
        .send()
        .await
        .expect("node B refreshes a token node A issued");
    // Node B now keeps the pool and client in memory; a change made through node A holds on B at
    // once (the config version), and so does a group the user joined (read with the token).
    node_a.idp.create_group().user_pool_id(&pool_id).group_name("crew").send().await.unwrap();
    node_a.idp.admin_add_user_to_group().user_pool_id(&pool_id).username("zoe").group_name("crew").send().await.unwrap();
    let refresh = |node: &TestServer| {
        node.idp
            .initiate_auth()
            .client_id(&sign_in_client)
            .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", tokens.refresh_token.clone().unwrap())
            .send()
    };
    let refreshed = refresh(&node_b).await.unwrap().authentication_result.unwrap();
    let claims = cognate_domain::tokens::peek_claims(&refreshed.id_token.unwrap()).unwrap();
    assert_eq!(claims["cognito:groups"], serde_json::json!(["crew"]), "the refreshed token names the group joined on the other node");
    node_a
        .idp
        .update_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&sign_in_client)
        .explicit_auth_flows(aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap();
    let refused = refresh(&node_b).await.unwrap_err();
    assert_eq!(crate::harness::error_code(&refused), "InvalidParameterException", "node B refuses the refresh the client no longer allows");
    node_a
        .idp
        .update_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&sign_in_client)
        .explicit_auth_flows(aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    refresh(&node_b).await.expect("and allows it again as soon as the client does");
    // Node B has opened the pool's signing keys; a rotation on node A holds on B at once: B signs
    // with the new keys and verifies a token A signed with them.
    let rotated: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/_cognate/signing-keys/rotate?UserPoolId={pool_id}", node_a.base_url))
        .basic_auth(crate::harness::ACCESS_KEY_ID, Some(crate::harness::SECRET_ACCESS_KEY))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_kids: Vec<&str> = rotated["Kids"].as_array().unwrap().iter().filter_map(serde_json::Value::as_str).collect();
    let kid_of = |token: &str| -> String {
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value = serde_json::from_slice(&base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap()).unwrap();
        header["kid"].as_str().unwrap().to_string()
    };
    let signed_on_b = refresh(&node_b).await.unwrap().authentication_result.unwrap();
    assert!(new_kids.contains(&kid_of(signed_on_b.access_token.as_deref().unwrap()).as_str()), "node B signs with the keys rotated on A");
    let signed_on_a = refresh(&node_a).await.unwrap().authentication_result.unwrap();
    let on_b = node_b.idp.get_user().access_token(signed_on_a.access_token.unwrap()).send().await.expect("node B verifies a token signed with A's new key");
    assert_eq!(on_b.username, "zoe");
    node_b.idp.global_sign_out().access_token(tokens.access_token.clone().unwrap()).send().await.unwrap();
    let refused = node_a.idp.get_user().access_token(tokens.access_token.unwrap()).send().await.unwrap_err();
    assert_eq!(crate::harness::error_code(&refused), "NotAuthorizedException", "a sign-out on B holds on A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_another_master_key_refuses_to_start() {
    let data_dir = tempfile::tempdir().unwrap();
    let url = database_url(Backend::Postgres, data_dir.path()).await;
    cognate_server::app::build_app(test_config(data_dir.path(), &url)).await.expect("first node starts");
    let mut other = test_config(data_dir.path(), &url);
    other.master_key = Some(cognate_server::config::Secret("ff".repeat(32)));
    let refused = cognate_server::app::build_app(other).await.err().expect("a different master key is refused");
    assert!(refused.contains("master key"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_data_survives_a_restart() {
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Sqlite, data_dir.path()).await;
    let mut config = test_config(data_dir.path(), &url);
    config.master_key = None;
    config.root_credentials = None;
    let first = TestServer::start_with(config.clone(), data_dir.clone()).await;
    let root_file = std::fs::read_to_string(data_dir.path().join("root-credentials")).expect("generated root credentials");
    let value = |name: &str| {
        root_file.lines().find_map(|line| line.strip_prefix(&format!("{name}="))).unwrap().to_string()
    };
    let (key_id, secret) = (value("access_key_id"), value("secret_access_key"));
    assert!(key_id.starts_with("AKIA") && key_id.len() == 20);
    let client = crate::harness::idp_client(&first.base_url, &key_id, &secret);
    let pool_id = client.create_user_pool().pool_name("durable").send().await.unwrap().user_pool.unwrap().id.unwrap();
    let app_client = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("c")
        .generate_secret(true)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    first.stop().await;
    assert!(data_dir.path().join("master.key").exists());

    let second = TestServer::start_with(config, data_dir.clone()).await;
    let client = crate::harness::idp_client(&second.base_url, &key_id, &secret);
    let described = client.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap().user_pool.unwrap();
    assert_eq!(described.name.as_deref(), Some("durable"));
    let reopened = client
        .describe_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(app_client.client_id.unwrap())
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert_eq!(reopened.client_secret, app_client.client_secret);
    let database = std::fs::read(data_dir.path().join("cognate.db")).unwrap();
    let secret_text = app_client.client_secret.unwrap();
    assert!(
        !database.windows(secret_text.len()).any(|window| window == secret_text.as_bytes()),
        "the client secret is not stored in clear"
    );
}

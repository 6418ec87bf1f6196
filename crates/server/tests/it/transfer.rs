//! `cognate export` and `cognate import`: a deployment moved from SQLite to PostgreSQL and back
//! (the way back under a new master key, every sealed secret re-sealed), with its users signing
//! in with their passwords and refresh tokens, its clients' secrets and its signing keys as they
//! were.

use std::sync::Arc;

use cognate_domain::crypto::MasterKey;
use cognate_store::SqlStore;

use crate::harness::{create_pool, database_url, password_client, raw_post, test_config, Backend, TestServer, MASTER_KEY};

const PASSWORD: &str = "Moved-Pass-1";

async fn sign_in(base_url: &str, client: &str) -> serde_json::Value {
    let body = serde_json::json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "mover", "PASSWORD": PASSWORD}});
    let (status, answer, _) = raw_post(base_url, "AWSCognitoIdentityProviderService.InitiateAuth", &body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn refresh(base_url: &str, client: &str, token: &str) -> u16 {
    let body = serde_json::json!({"ClientId": client, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": token}});
    raw_post(base_url, "AWSCognitoIdentityProviderService.InitiateAuth", &body.to_string()).await.0
}

async fn jwks_kids(base_url: &str, pool: &str) -> Vec<String> {
    let jwks: serde_json::Value = reqwest::get(format!("{base_url}/{pool}/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|key| key["kid"].as_str().unwrap().to_string()).collect()
}

/// Every sealed value (`v1:…`) in the rows of an export (its header's key check left out).
fn sealed_values(file: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(file);
    let rows = text.split_once('\n').map_or("", |(_, rows)| rows);
    rows.split('"').filter(|part| part.starts_with("v1:")).map(|part| part.trim_end_matches('\\').to_string()).collect()
}

/// Exports the database at `from` and imports it into a new one of `backend`, under a new master
/// key when `new_key` is given; the server on it, the rows imported and the new database's URL.
async fn moved(from: &str, backend: Backend, new_key: Option<MasterKey>) -> (TestServer, Vec<(&'static str, u64)>, String) {
    let source = SqlStore::connect(from).await.unwrap();
    let mut file = Vec::new();
    cognate_server::transfer::export(&source, &mut file).await.unwrap();
    let directory = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(backend, directory.path()).await;
    let target = SqlStore::connect(&url).await.unwrap();
    let source_key = MasterKey::parse(MASTER_KEY).unwrap();
    let wrong_key = MasterKey::generate();
    let refused = cognate_server::transfer::import(&target, &wrong_key, None, &file[..]).await.unwrap_err();
    assert!(refused.contains("another master key"), "{refused}");
    let mut config = test_config(directory.path(), &url);
    let counts = match &new_key {
        Some(new_key) => {
            let refused = cognate_server::transfer::import(&target, new_key, Some(&wrong_key), &file[..]).await.unwrap_err();
            assert!(refused.contains("not sealed under the given source master key"), "{refused}");
            let counts = cognate_server::transfer::import(&target, new_key, Some(&source_key), &file[..]).await.unwrap();
            config.master_key = Some(cognate_server::config::Secret(new_key.to_text()));
            // Nothing is left sealed under the source's key.
            let mut moved_file = Vec::new();
            cognate_server::transfer::export(&target, &mut moved_file).await.unwrap();
            let (before, after) = (sealed_values(&file), sealed_values(&moved_file));
            assert!(!before.is_empty() && before.len() == after.len(), "{} sealed values, then {}", before.len(), after.len());
            assert!(before.iter().all(|value| !after.contains(value)), "a sealed value was carried unchanged");
            counts
        }
        None => cognate_server::transfer::import(&target, &source_key, None, &file[..]).await.unwrap(),
    };
    let again = cognate_server::transfer::import(&target, &source_key, None, &file[..]).await.unwrap_err();
    assert!(again.contains("not empty"), "{again}");
    (TestServer::start_with(config, directory).await, counts, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_moves_from_sqlite_to_postgres_and_back() {
    let directory = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Sqlite, directory.path()).await;
    let first = TestServer::start_with(test_config(directory.path(), &url), directory.clone()).await;
    let pool = create_pool(&first).await;
    let client = password_client(&first, &pool).await;
    let confidential = first.idp.create_user_pool_client().user_pool_id(&pool).client_name("server").generate_secret(true).send().await.unwrap();
    let confidential = confidential.user_pool_client.unwrap();
    first.idp.admin_create_user().user_pool_id(&pool).username("mover").message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress).send().await.unwrap();
    first.idp.admin_set_user_password().user_pool_id(&pool).username("mover").password(PASSWORD).permanent(true).send().await.unwrap();
    first.idp.create_group().user_pool_id(&pool).group_name("movers").send().await.unwrap();
    first
        .idp
        .create_identity_provider()
        .user_pool_id(&pool)
        .provider_name("Upstream")
        .provider_type(aws_sdk_cognitoidentityprovider::types::IdentityProviderTypeType::Oidc)
        .provider_details("client_id", "upstream-client")
        .provider_details("client_secret", "upstream-secret")
        .provider_details("attributes_request_method", "GET")
        .provider_details("oidc_issuer", "https://upstream.example.com")
        .provider_details("authorize_scopes", "openid")
        .send()
        .await
        .unwrap();
    first.idp.admin_add_user_to_group().user_pool_id(&pool).username("mover").group_name("movers").send().await.unwrap();
    let signed_in = sign_in(&first.base_url, &client).await;
    let refresh_token = signed_in["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    let kids = jwks_kids(&first.base_url, &pool).await;
    first.stop().await;

    let (second, counts, postgres_url) = moved(&url, Backend::Postgres, None).await;
    assert!(counts.contains(&("users", 1)) && counts.contains(&("app_clients", 2)) && counts.contains(&("group_members", 1)), "{counts:?}");
    {
        sign_in(&second.base_url, &client).await;
        assert_eq!(refresh(&second.base_url, &client, &refresh_token).await, 200, "a refresh token of the source works");
        assert_eq!(jwks_kids(&second.base_url, &pool).await, kids, "the signing keys came along");
        let described = second.idp.describe_user_pool_client().user_pool_id(&pool).client_id(confidential.client_id.clone().unwrap()).send().await.unwrap();
        assert_eq!(described.user_pool_client.unwrap().client_secret, confidential.client_secret, "a sealed secret opens at the target");
        let groups = second.idp.admin_list_groups_for_user().user_pool_id(&pool).username("mover").send().await.unwrap();
        assert_eq!(groups.groups.unwrap()[0].group_name.as_deref(), Some("movers"));
        // A change made after the move travels on.
        second.idp.admin_update_user_attributes().user_pool_id(&pool).username("mover")
            .user_attributes(aws_sdk_cognitoidentityprovider::types::AttributeType::builder().name("name").value("Moved Twice").build().unwrap())
            .send().await.unwrap();
    }
    second.stop().await;

    let (third, _, _) = moved(&postgres_url, Backend::Sqlite, Some(MasterKey::generate())).await;
    sign_in(&third.base_url, &client).await;
    assert_eq!(refresh(&third.base_url, &client, &refresh_token).await, 200);
    assert_eq!(jwks_kids(&third.base_url, &pool).await, kids, "the signing keys came along, re-sealed");
    let described = third.idp.describe_user_pool_client().user_pool_id(&pool).client_id(confidential.client_id.clone().unwrap()).send().await.unwrap();
    assert_eq!(described.user_pool_client.unwrap().client_secret, confidential.client_secret, "a re-sealed secret opens under the new key");
    let provider = third.idp.describe_identity_provider().user_pool_id(&pool).provider_name("Upstream").send().await.unwrap();
    assert_eq!(provider.identity_provider().unwrap().provider_details().unwrap().get("client_secret").map(String::as_str), Some("upstream-secret"));
    let user = third.idp.admin_get_user().user_pool_id(&pool).username("mover").send().await.unwrap();
    let name = user.user_attributes.unwrap().into_iter().find(|attribute| attribute.name == "name").and_then(|attribute| attribute.value);
    assert_eq!(name.as_deref(), Some("Moved Twice"));
}

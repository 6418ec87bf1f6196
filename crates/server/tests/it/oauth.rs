//! Resource servers (AWS SDK for Rust) and the client_credentials grant of the token endpoint
//! (reqwest), on both backends: tokens verify against the pool's JWKS; refusals are RFC 6749's.

use aws_sdk_cognitoidentityprovider::types::{OAuthFlowType, ResourceServerScopeType};
use base64::Engine;
use serde_json::Value;

use cognate_domain::tokens::{verify_jwt, PublicJwk};

use crate::harness::{create_pool, error_code, TestServer};

fn scope(name: &str) -> ResourceServerScopeType {
    ResourceServerScopeType::builder().scope_name(name).scope_description(format!("{name} access")).build().unwrap()
}

async fn machine_client(server: &TestServer, pool_id: &str, flows: Vec<OAuthFlowType>, scopes: &[&str]) -> (String, String) {
    let mut request = server.idp.create_user_pool_client().user_pool_id(pool_id).client_name("machine").generate_secret(true);
    for flow in flows {
        request = request.allowed_o_auth_flows(flow);
    }
    for scope in scopes {
        request = request.allowed_o_auth_scopes(*scope);
    }
    let client = request.allowed_o_auth_flows_user_pool_client(true).send().await.unwrap().user_pool_client.unwrap();
    (client.client_id.unwrap(), client.client_secret.unwrap())
}

async fn token(server: &TestServer, pool_id: &str, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(format!("{}/{pool_id}/oauth2/token", server.base_url)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers().get("cache-control").map(|value| value.to_str().unwrap()), Some("no-store"));
    (status, response.json().await.unwrap())
}

async fn client_credentials(server: TestServer) {
    let pool_id = create_pool(&server).await;
    let created = server
        .idp
        .create_resource_server()
        .user_pool_id(&pool_id)
        .identifier("https://api.example.com")
        .name("Example API")
        .scopes(scope("read"))
        .scopes(scope("write"))
        .send()
        .await
        .unwrap()
        .resource_server
        .unwrap();
    assert_eq!(created.scopes().len(), 2);
    let listed = server.idp.list_resource_servers().user_pool_id(&pool_id).max_results(10).send().await.unwrap();
    assert_eq!(listed.resource_servers().len(), 1);
    let bad = server.idp.create_resource_server().user_pool_id(&pool_id).identifier("has space").name("x").send().await;
    assert_eq!(error_code(&bad.unwrap_err()), "InvalidParameterException");

    let read = "https://api.example.com/read";
    let write = "https://api.example.com/write";
    let (client_id, secret) = machine_client(&server, &pool_id, vec![OAuthFlowType::ClientCredentials], &[read, write]).await;

    let discovery: Value =
        reqwest::get(format!("{}/{pool_id}/.well-known/openid-configuration", server.base_url)).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["token_endpoint"], format!("{}/{pool_id}/oauth2/token", server.base_url));

    // HTTP Basic, every allowed scope by default; the token verifies against the pool's JWKS.
    let (status, body) = token(&server, &pool_id, Some((&client_id, &secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let jwks: Value = reqwest::get(discovery["jwks_uri"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    let keys: Vec<PublicJwk> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| PublicJwk {
            kid: key["kid"].as_str().unwrap().into(),
            algorithm: Some("RS256".into()),
            modulus: key["n"].as_str().unwrap().into(),
            exponent: key["e"].as_str().unwrap().into(),
        })
        .collect();
    let claims = verify_jwt(body["access_token"].as_str().unwrap(), &keys).unwrap();
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!(claims["sub"], client_id.as_str());
    assert_eq!(claims["scope"], format!("{read} {write}"));
    assert_eq!(claims["iss"], discovery["issuer"]);

    // Client authentication in the body, one scope.
    let (status, body) =
        token(&server, &pool_id, None, &[("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", &secret), ("scope", read)]).await;
    assert_eq!(status, 200, "{body}");
    let payload = body["access_token"].as_str().unwrap().split('.').nth(1).unwrap().to_string();
    let claims: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["scope"], read);

    // Refusals.
    let refusals: Vec<(Option<(&str, &str)>, Vec<(&str, &str)>, u16, &str)> = vec![
        (Some((&client_id, "wrong-secret")), vec![("grant_type", "client_credentials")], 401, "invalid_client"),
        (None, vec![("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", "wrong")], 400, "invalid_client"),
        (None, vec![("grant_type", "client_credentials"), ("client_id", "nosuchclient1234567890abcd")], 400, "invalid_client"),
        (Some((&client_id, &secret)), vec![("grant_type", "client_credentials"), ("scope", "https://api.example.com/admin")], 400, "invalid_scope"),
        (Some((&client_id, &secret)), vec![("grant_type", "password")], 400, "unsupported_grant_type"),
        (Some((&client_id, &secret)), vec![], 400, "invalid_request"),
        (Some((&client_id, &secret)), vec![("grant_type", "client_credentials"), ("client_secret", &secret)], 400, "invalid_request"),
    ];
    for (basic, form, expected_status, expected_error) in refusals {
        let (status, body) = token(&server, &pool_id, basic, &form).await;
        assert_eq!((status, body["error"].as_str().unwrap_or("")), (expected_status, expected_error), "{form:?}: {body}");
    }
    let other_pool = create_pool(&server).await;
    let (status, body) = token(&server, &other_pool, Some((&client_id, &secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "a client answers only under its own pool");

    // A client without the grant, and a scope whose resource server is gone.
    let (code_client, code_secret) = machine_client(&server, &pool_id, vec![OAuthFlowType::Code], &["openid"]).await;
    let (status, body) = token(&server, &pool_id, Some((&code_client, &code_secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")));
    server.idp.delete_resource_server().user_pool_id(&pool_id).identifier("https://api.example.com").send().await.unwrap();
    let (status, body) = token(&server, &pool_id, Some((&client_id, &secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
    let gone = server.idp.describe_resource_server().user_pool_id(&pool_id).identifier("https://api.example.com").send().await;
    assert_eq!(error_code(&gone.unwrap_err()), "ResourceNotFoundException");
}
crate::on_both_backends!(client_credentials_grant, super::client_credentials);

async fn refresh_revoke_and_user_info(server: TestServer) {
    use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
    let pool_id = create_pool(&server).await;
    let client_id = crate::harness::password_client(&server, &pool_id).await;
    server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("ana")
        .user_attributes(AttributeType::builder().name("email").value("ana@example.com").build().unwrap())
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    server.idp.admin_set_user_password().user_pool_id(&pool_id).username("ana").password("Correct-Horse-1").permanent(true).send().await.unwrap();
    let signed_in = server
        .idp
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "ana")
        .auth_parameters("PASSWORD", "Correct-Horse-1")
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    let refresh = signed_in.refresh_token.unwrap();

    let (status, body) = token(&server, &pool_id, None, &[("grant_type", "refresh_token"), ("client_id", &client_id), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id_token"].is_string() && body.get("refresh_token").is_none());
    let access = body["access_token"].as_str().unwrap().to_string();

    let info = |token: Option<String>| {
        let url = format!("{}/{pool_id}/oauth2/userInfo", server.base_url);
        async move {
            let mut request = reqwest::Client::new().get(url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = info(Some(access.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["username"].as_str(), body["email"].as_str()), (Some("ana"), Some("ana@example.com")));
    assert!(body["sub"].is_string());
    assert_eq!(info(None).await.0, 401);
    let (status, body) = info(Some("not-a-token".into())).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_token")));

    // Another client may not use the refresh token; a secret on a public client is refused.
    let (other, other_secret) = machine_client(&server, &pool_id, vec![OAuthFlowType::ClientCredentials], &[]).await;
    let (status, body) = token(&server, &pool_id, Some((&other, &other_secret)), &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (status, body) =
        token(&server, &pool_id, None, &[("grant_type", "refresh_token"), ("client_id", &client_id), ("client_secret", "x"), ("refresh_token", &refresh)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")), "{body}");

    // Revocation ends the refresh token and the access tokens of its sign-in.
    let response = reqwest::Client::new()
        .post(format!("{}/{pool_id}/oauth2/revoke", server.base_url))
        .form(&[("token", refresh.as_str()), ("client_id", client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (status, body) = token(&server, &pool_id, None, &[("grant_type", "refresh_token"), ("client_id", &client_id), ("refresh_token", &refresh)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(info(Some(access)).await.0, 401);
}
crate::on_both_backends!(refresh_revoke_and_user_info_endpoints, super::refresh_revoke_and_user_info);

//! The load generator's set-up calls: signed requests that must succeed, and users created and
//! signed in before a run.

use super::{unsigned_json, Signer};

/// Sends a signed request and returns the answer's text, panicking on failure (set-up only).
pub(crate) async fn signed_setup_call(endpoint: &str, signer: &Signer, service: &str, headers: &[(&str, &str)], body: &str) -> String {
    let host = endpoint.split("://").nth(1).unwrap_or("").trim_end_matches('/');
    let signed = signer.sign_with(host, service, headers, body);
    let response = reqwest::Client::new().post(format!("{endpoint}/")).headers(signed).body(body.to_string()).send().await.expect("set-up call");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "set-up call to {service} failed: {status} {text}");
    text
}

/// A signed cognito-idp set-up call (`operation` with a JSON body); the answer as JSON.
pub(crate) async fn idp_setup(endpoint: &str, signer: &Signer, operation: &str, body: serde_json::Value) -> serde_json::Value {
    let target = format!("AWSCognitoIdentityProviderService.{operation}");
    let text = signed_setup_call(endpoint, signer, "cognito-idp", &[("x-amz-target", target.as_str())], &body.to_string()).await;
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// Creates `username` in `pool` with `password` and signs them in (USER_PASSWORD_AUTH through
/// `client_id`); the access token.
pub(crate) async fn user_with_token(http: &reqwest::Client, endpoint: &str, signer: &Signer, pool: &str, client_id: &str, username: &str, password: &str) -> String {
    idp_setup(endpoint, signer, "AdminCreateUser", serde_json::json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS"})).await;
    idp_setup(endpoint, signer, "AdminSetUserPassword", serde_json::json!({"UserPoolId": pool, "Username": username, "Password": password, "Permanent": true})).await;
    let signed_in = unsigned_json(http, endpoint, "AWSCognitoIdentityProviderService.InitiateAuth", &serde_json::json!({
        "ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": username, "PASSWORD": password},
    }))
    .await
    .expect("the set-up sign-in");
    signed_in["AuthenticationResult"]["AccessToken"].as_str().expect("tokens").to_string()
}

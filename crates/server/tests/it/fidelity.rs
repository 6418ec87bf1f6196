//! Wire details found by running another project's Cognito test suite against cognate.

use serde_json::{json, Value};

use crate::federation::{identity_call, root};
use crate::harness::{unique, TestServer};
use crate::trust::idp_call;

async fn created_pool(base: &str, body: Value) -> (u16, Value) {
    idp_call(base, &root(), "CreateUserPool", body).await
}

async fn wire_details(server: TestServer) {
    let base = server.base_url.as_str();
    // A custom attribute needs its AttributeDataType.
    let (status, body) = created_pool(base, json!({"PoolName": unique("p"), "Schema": [{"Name": "untyped"}]})).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "{body}");

    // The legacy verification members and the template answer each other.
    let (status, body) = created_pool(
        base,
        json!({"PoolName": unique("p"), "VerificationMessageTemplate": {"EmailMessage": "Code {####}", "EmailSubject": "Your code", "SmsMessage": "SMS {####}"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let pool = &body["UserPool"];
    assert_eq!(pool["EmailVerificationMessage"], "Code {####}", "{pool}");
    assert_eq!(pool["EmailVerificationSubject"], "Your code");
    assert_eq!(pool["SmsVerificationMessage"], "SMS {####}");
    let (status, body) = created_pool(base, json!({"PoolName": unique("p"), "EmailVerificationSubject": "Legacy subject"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["UserPool"]["VerificationMessageTemplate"]["EmailSubject"], "Legacy subject", "{body}");
    let pool_id = body["UserPool"]["Id"].as_str().unwrap().to_string();

    // email_verified takes True and FALSE as Cognito does, and reads back lowercase.
    let create = json!({"UserPoolId": pool_id, "Username": "vera", "MessageAction": "SUPPRESS",
        "UserAttributes": [{"Name": "email", "Value": "vera@example.com"}, {"Name": "email_verified", "Value": "True"}]});
    let (status, body) = idp_call(base, &root(), "AdminCreateUser", create).await;
    assert_eq!(status, 200, "{body}");
    let verified = |user: &Value, list: &str| {
        user[list].as_array().unwrap().iter().find(|attribute| attribute["Name"] == "email_verified").map(|attribute| attribute["Value"].clone())
    };
    assert_eq!(verified(&body["User"], "Attributes"), Some(json!("true")), "{body}");
    let update = json!({"UserPoolId": pool_id, "Username": "vera", "UserAttributes": [{"Name": "email_verified", "Value": "FALSE"}]});
    assert_eq!(idp_call(base, &root(), "AdminUpdateUserAttributes", update).await.0, 200);
    let (_, user) = idp_call(base, &root(), "AdminGetUser", json!({"UserPoolId": pool_id, "Username": "vera"})).await;
    assert_eq!(verified(&user, "UserAttributes"), Some(json!("false")), "{user}");
    let update = json!({"UserPoolId": pool_id, "Username": "vera", "UserAttributes": [{"Name": "email_verified", "Value": "yes"}]});
    assert_eq!(idp_call(base, &root(), "AdminUpdateUserAttributes", update).await.0, 400);

    // A resource server without scopes answers no Scopes member.
    let (status, body) =
        idp_call(base, &root(), "CreateResourceServer", json!({"UserPoolId": pool_id, "Identifier": "https://api.example.com", "Name": "api"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["ResourceServer"].get("Scopes").is_none(), "{body}");

    // An identity pool answers SupportedLoginProviders even when it is empty.
    let (status, body) = identity_call(base, &root(), "CreateIdentityPool", json!({"IdentityPoolName": "empty", "AllowUnauthenticatedIdentities": false})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["SupportedLoginProviders"], json!({}), "{body}");
}
crate::on_both_backends!(wire_details_on, super::wire_details);

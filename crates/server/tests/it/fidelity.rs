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

/// Any region an SDK is configured for is served, and each keeps its own pools: a pool created
/// through eu-west-1 has that region in its id and ARN and is listed there only; an identity
/// pool of that region accepts the pool's ID tokens under `cognito-idp.eu-west-1.amazonaws.com`.
async fn every_region_is_served_apart(server: TestServer) {
    let base = server.base_url.as_str();
    let client_in = |region: &str| {
        aws_sdk_cognitoidentityprovider::Client::from_conf(
            aws_sdk_cognitoidentityprovider::config::Builder::new()
                .behavior_version(aws_sdk_cognitoidentityprovider::config::BehaviorVersion::latest())
                .region(aws_sdk_cognitoidentityprovider::config::Region::new(region.to_string()))
                .credentials_provider(aws_sdk_cognitoidentityprovider::config::Credentials::new(
                    crate::harness::ACCESS_KEY_ID,
                    crate::harness::SECRET_ACCESS_KEY,
                    None,
                    None,
                    "tests",
                ))
                .endpoint_url(base)
                .http_client(aws_smithy_http_client::Builder::new().build_http())
                .build(),
        )
    };
    let europe = client_in("eu-west-1");
    let created = europe.create_user_pool().pool_name(unique("eu")).send().await.expect("a signature for eu-west-1 is accepted").user_pool.unwrap();
    let pool_id = created.id.unwrap();
    assert!(pool_id.starts_with("eu-west-1_"), "{pool_id}");
    assert_eq!(created.arn.unwrap(), format!("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/{pool_id}"));
    let listed = |pools: Vec<aws_sdk_cognitoidentityprovider::types::UserPoolDescriptionType>| pools.into_iter().filter_map(|pool| pool.id).collect::<Vec<_>>();
    let in_europe = listed(europe.list_user_pools().max_results(60).send().await.unwrap().user_pools.unwrap_or_default());
    assert!(in_europe.contains(&pool_id), "{in_europe:?}");
    assert!(in_europe.iter().all(|id| id.starts_with("eu-west-1_")), "{in_europe:?}");
    let in_virginia = listed(server.idp.list_user_pools().max_results(60).send().await.unwrap().user_pools.unwrap_or_default());
    assert!(!in_virginia.contains(&pool_id), "another region's pools are not listed: {in_virginia:?}");
    // The pool works from any client, wherever the id says it lives.
    assert!(server.idp.describe_user_pool().user_pool_id(&pool_id).send().await.is_ok());

    // An identity pool in the same region takes the pool as its provider.
    let client_id = crate::harness::password_client(&server, &pool_id).await;
    let provider = format!("cognito-idp.eu-west-1.amazonaws.com/{pool_id}");
    let body = json!({"IdentityPoolName": "eu", "AllowUnauthenticatedIdentities": false, "CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": client_id}]});
    let target = "AWSCognitoIdentityService.CreateIdentityPool";
    let identity = crate::federation::Keys { access_key_id: crate::harness::ACCESS_KEY_ID.into(), secret: crate::harness::SECRET_ACCESS_KEY.into(), session_token: None };
    let (status, text) = signed_in_region(base, "eu-west-1", &identity, target, &body.to_string()).await;
    assert_eq!(status, 200, "{text}");
    let identity_pool: Value = serde_json::from_str(&text).unwrap();
    let identity_pool_id = identity_pool["IdentityPoolId"].as_str().unwrap().to_string();
    assert!(identity_pool_id.starts_with("eu-west-1:"), "{identity_pool}");
    // A user of the pool signs in, and its ID token gets an identity of that region.
    let (status, body) = idp_call(base, &root(), "AdminCreateUser", json!({"UserPoolId": pool_id, "Username": "eve", "MessageAction": "SUPPRESS"})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = idp_call(base, &root(), "AdminSetUserPassword", json!({"UserPoolId": pool_id, "Username": "eve", "Password": "Good-Pass-123", "Permanent": true})).await;
    assert_eq!(status, 200, "{body}");
    let sign_in = json!({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "eve", "PASSWORD": "Good-Pass-123"}});
    let (status, tokens, _) = crate::harness::raw_post(base, "AWSCognitoIdentityProviderService.InitiateAuth", &sign_in.to_string()).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["AuthenticationResult"]["IdToken"].as_str().unwrap();
    let get_id = json!({"IdentityPoolId": identity_pool_id, "Logins": {provider.clone(): id_token}});
    let (status, got, _) = crate::harness::raw_post(base, "AWSCognitoIdentityService.GetId", &get_id.to_string()).await;
    assert_eq!(status, 200, "{got}");
    assert!(got["IdentityId"].as_str().unwrap().starts_with("eu-west-1:"), "{got}");
    let wrong = json!({"IdentityPoolName": "x", "AllowUnauthenticatedIdentities": false, "CognitoIdentityProviders": [{"ProviderName": format!("cognito-idp.us-east-1.amazonaws.com/{pool_id}"), "ClientId": client_id}]});
    let (status, _) = identity_call(base, &root(), "CreateIdentityPool", wrong).await;
    assert_eq!(status, 400, "a provider name must name the user pool's own region");
    let (status, listed) = identity_call(base, &root(), "ListIdentityPools", json!({"MaxResults": 60})).await;
    assert_eq!(status, 200);
    assert!(!listed.to_string().contains("eu-west-1:"), "{listed}");
}
crate::on_both_backends!(every_region_is_served_apart_on, super::every_region_is_served_apart);

/// A signed Cognito Identity call for `region`.
async fn signed_in_region(base: &str, region: &str, keys: &crate::federation::Keys, target: &str, body: &str) -> (u16, String) {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let identity = aws_credential_types::Credentials::new(&keys.access_key_id, &keys.secret, None, None, "tests").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("cognito-identity")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("{base}/");
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
    let signable = SignableRequest::new("POST", &url, headers.iter().copied(), SignableBody::Bytes(body.as_bytes())).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (signature_headers, _) = instructions.into_parts();
    let mut request = reqwest::Client::new().post(&url).body(body.to_string());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    for header in signature_headers {
        request = request.header(header.name(), header.value());
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// A developer-only attribute is named `dev:custom:<name>`; administrators write it, clients
/// may not, and the user does not read it.
async fn developer_only_attributes(server: TestServer) {
    let base = server.base_url.as_str();
    let schema = json!([{"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": true}]);
    let (status, body) = created_pool(base, json!({"PoolName": unique("p"), "Schema": schema})).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["UserPool"]["SchemaAttributes"].as_array().unwrap().iter().filter_map(|attribute| attribute["Name"].as_str()).collect();
    assert!(names.contains(&"dev:custom:secret"), "{names:?}");
    let pool = body["UserPool"]["Id"].as_str().unwrap().to_string();
    let client = crate::harness::password_client(&server, &pool).await;
    let sign_up = json!({"ClientId": client, "Username": "mallory", "Password": "Good-Pass-123", "UserAttributes": [{"Name": "dev:custom:secret", "Value": "x"}]});
    let (status, body, _) = crate::harness::raw_post(base, "AWSCognitoIdentityProviderService.SignUp", &sign_up.to_string()).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("NotAuthorizedException")), "{body}");
    let create = json!({"UserPoolId": pool, "Username": "walt", "MessageAction": "SUPPRESS", "UserAttributes": [{"Name": "dev:custom:secret", "Value": "tier-1"}]});
    assert_eq!(idp_call(base, &root(), "AdminCreateUser", create).await.0, 200);
    let set = json!({"UserPoolId": pool, "Username": "walt", "Password": "Good-Pass-123", "Permanent": true});
    assert_eq!(idp_call(base, &root(), "AdminSetUserPassword", set).await.0, 200);
    let (_, admin_view) = idp_call(base, &root(), "AdminGetUser", json!({"UserPoolId": pool, "Username": "walt"})).await;
    assert!(admin_view.to_string().contains("tier-1"), "{admin_view}");
    let sign_in = json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "walt", "PASSWORD": "Good-Pass-123"}});
    let (status, tokens, _) = crate::harness::raw_post(base, "AWSCognitoIdentityProviderService.InitiateAuth", &sign_in.to_string()).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["AuthenticationResult"]["AccessToken"].as_str().unwrap();
    let (status, user, _) = crate::harness::raw_post(base, "AWSCognitoIdentityProviderService.GetUser", &json!({"AccessToken": access}).to_string()).await;
    assert_eq!(status, 200, "{user}");
    assert!(!user.to_string().contains("dev:custom:secret"), "{user}");
}
crate::on_both_backends!(developer_only_attributes_on, super::developer_only_attributes);

/// Constraints given for standard attributes are kept and enforced; changing a user's email
/// onto another user's in an email-username pool is AliasExistsException; a Cognito Identity
/// member outside the model's constraints is ValidationException.
async fn constraints_and_conflicts(server: TestServer) {
    let base = server.base_url.as_str();
    let schema = json!([
        {"Name": "email", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "20"}},
        {"Name": "updated_at", "AttributeDataType": "Number", "NumberAttributeConstraints": {"MinValue": "100"}},
    ]);
    let (status, body) = created_pool(base, json!({"PoolName": unique("p"), "Schema": schema, "UsernameAttributes": ["email"]})).await;
    assert_eq!(status, 200, "{body}");
    let pool = body["UserPool"]["Id"].as_str().unwrap().to_string();
    let email = body["UserPool"]["SchemaAttributes"].as_array().unwrap().iter().find(|attribute| attribute["Name"] == "email").cloned().unwrap();
    assert_eq!(email["StringAttributeConstraints"]["MaxLength"], "20", "{email}");
    let create = |username: &str| json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS"});
    let (status, body) = idp_call(base, &root(), "AdminCreateUser", create("a-very-long-address@example.com")).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "an email over MaxLength: {body}");
    for username in ["ann@example.com", "ben@example.com"] {
        let (status, body) = idp_call(base, &root(), "AdminCreateUser", create(username)).await;
        assert_eq!(status, 200, "{body}");
    }
    let stale = json!({"UserPoolId": pool, "Username": "ann@example.com", "UserAttributes": [{"Name": "updated_at", "Value": "5"}]});
    assert_eq!(idp_call(base, &root(), "AdminUpdateUserAttributes", stale).await.0, 400, "updated_at under MinValue");
    let onto = json!({"UserPoolId": pool, "Username": "ann@example.com", "UserAttributes": [{"Name": "email", "Value": "ben@example.com"}]});
    let (status, body) = idp_call(base, &root(), "AdminUpdateUserAttributes", onto).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("AliasExistsException")), "{body}");

    let (status, body) = identity_call(base, &root(), "ListIdentityPools", json!({"MaxResults": 500})).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("ValidationException")), "{body}");
    let (status, body) = identity_call(base, &root(), "DescribeIdentityPool", json!({})).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("ValidationException")), "{body}");
}
crate::on_both_backends!(constraints_and_conflicts_on, super::constraints_and_conflicts);

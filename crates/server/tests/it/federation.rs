//! Identity pools, IAM and STS over the wire on both storage backends: requests signed with
//! aws-sigv4 (the AWS SDK's own signer) for IAM, STS and the signed Cognito Identity operations,
//! unsigned JSON for GetId and GetCredentialsForIdentity, and the SDK for Rust for user-pool
//! sign-in. Also: credentials minted on one node work on another, and expire.

use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde_json::{json, Value};

use crate::harness::{database_url, raw_post, test_config, unique, Backend, TestServer, ACCESS_KEY_ID, SECRET_ACCESS_KEY};

/// Access key, secret and (for temporary credentials) session token.
#[derive(Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub secret: String,
    pub session_token: Option<String>,
}

pub fn root() -> Keys {
    Keys { access_key_id: ACCESS_KEY_ID.into(), secret: SECRET_ACCESS_KEY.into(), session_token: None }
}

/// Sends a POST to `/` signed by aws-sigv4 for `service`; returns status and body text.
pub async fn signed(base_url: &str, service: &str, keys: &Keys, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    signed_request("POST", &format!("{base_url}/"), service, keys, headers, body).await
}

/// Any request signed by aws-sigv4 for `service`.
pub async fn signed_request(method: &str, url: &str, service: &str, keys: &Keys, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let identity = Credentials::new(&keys.access_key_id, &keys.secret, keys.session_token.clone(), None, "tests").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(method, url, headers.iter().copied(), SignableBody::Bytes(body.as_bytes())).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (signature_headers, _) = instructions.into_parts();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new().request(method, url).body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    for header in signature_headers {
        request = request.header(header.name(), header.value());
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// A signed query-protocol call (IAM, STS).
pub async fn query(base_url: &str, service: &str, keys: &Keys, params: &[(&str, &str)]) -> (u16, String) {
    let version = if service == "iam" { "2010-05-08" } else { "2011-06-15" };
    let mut body = format!("Version={version}");
    for (name, value) in params {
        body.push_str(&format!("&{name}={}", percent_encode(value)));
    }
    signed(base_url, service, keys, &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")], &body).await
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// A signed Cognito Identity call.
pub async fn identity_call(base_url: &str, keys: &Keys, operation: &str, body: Value) -> (u16, Value) {
    let target = format!("AWSCognitoIdentityService.{operation}");
    let (status, text) = signed(
        base_url,
        "cognito-identity",
        keys,
        &[("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target.as_str())],
        &body.to_string(),
    )
    .await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub fn xml_value(xml: &str, element: &str) -> Option<String> {
    let start = xml.find(&format!("<{element}>"))? + element.len() + 2;
    let end = xml[start..].find(&format!("</{element}>"))? + start;
    Some(xml[start..end].to_string())
}

const TRUST_TEMPLATE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"POOL"}}}]}"#;

const DESCRIBE_POOLS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cognito-idp:DescribeUserPool","Resource":"*"}]}"#;

/// An identity pool that admits guests, with a guest role allowed to describe user pools;
/// returns (identity pool id, role ARN).
async fn guest_pool(server: &TestServer) -> (String, String) {
    guest_pool_with_policy(&server.base_url, DESCRIBE_POOLS).await
}

/// An identity pool that admits guests, with a guest role whose inline policy is `policy`.
pub async fn guest_pool_with_policy(base_url: &str, policy: &str) -> (String, String) {
    let (status, created) = identity_call(
        base_url,
        &root(),
        "CreateIdentityPool",
        json!({"IdentityPoolName": unique("ip"), "AllowUnauthenticatedIdentities": true}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let pool_id = created["IdentityPoolId"].as_str().unwrap().to_string();
    let role_name = unique("guest");
    let trust = TRUST_TEMPLATE.replace("POOL", &pool_id);
    let (status, xml) = query(base_url, "iam", &root(), &[("Action", "CreateRole"), ("RoleName", &role_name), ("AssumeRolePolicyDocument", &trust)]).await;
    assert_eq!(status, 200, "{xml}");
    let role_arn = xml_value(&xml, "Arn").unwrap();
    let (status, xml) = query(
        base_url,
        "iam",
        &root(),
        &[("Action", "PutRolePolicy"), ("RoleName", &role_name), ("PolicyName", "describe"), ("PolicyDocument", policy)],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let (status, body) = identity_call(
        base_url,
        &root(),
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": pool_id, "Roles": {"unauthenticated": role_arn}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (pool_id, role_arn)
}

/// GetId and GetCredentialsForIdentity for a guest, unsigned.
pub async fn guest_credentials(base_url: &str, pool_id: &str) -> (String, Keys) {
    let (status, got, _) = raw_post(base_url, "AWSCognitoIdentityService.GetId", &json!({"IdentityPoolId": pool_id}).to_string()).await;
    assert_eq!(status, 200, "{got}");
    let identity_id = got["IdentityId"].as_str().unwrap().to_string();
    let (status, got, _) =
        raw_post(base_url, "AWSCognitoIdentityService.GetCredentialsForIdentity", &json!({"IdentityId": identity_id}).to_string()).await;
    assert_eq!(status, 200, "{got}");
    let credentials = &got["Credentials"];
    let keys = Keys {
        access_key_id: credentials["AccessKeyId"].as_str().unwrap().into(),
        secret: credentials["SecretKey"].as_str().unwrap().into(),
        session_token: Some(credentials["SessionToken"].as_str().unwrap().into()),
    };
    (identity_id, keys)
}

async fn guest_credentials_sign_requests(server: TestServer) {
    let (pool_id, role_arn) = guest_pool(&server).await;
    let role_name = role_arn.rsplit('/').next().unwrap().to_string();
    let (identity_id, keys) = guest_credentials(&server.base_url, &pool_id).await;
    assert!(identity_id.starts_with("us-east-1:"));
    assert!(keys.access_key_id.starts_with("ASIA"));

    let (status, xml) = query(&server.base_url, "sts", &keys, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(
        xml_value(&xml, "Arn").unwrap(),
        format!("arn:aws:sts::123456789012:assumed-role/{role_name}/CognitoIdentityCredentials")
    );
    assert!(xml.starts_with("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));

    // The role's policy allows DescribeUserPool and nothing else.
    let user_pool = crate::harness::create_pool(&server).await;
    let target = "AWSCognitoIdentityProviderService.DescribeUserPool";
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
    let (status, text) = signed(&server.base_url, "cognito-idp", &keys, &headers, &json!({"UserPoolId": user_pool}).to_string()).await;
    assert_eq!(status, 200, "{text}");
    let target = "AWSCognitoIdentityProviderService.DeleteUserPool";
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
    let (status, text) = signed(&server.base_url, "cognito-idp", &keys, &headers, &json!({"UserPoolId": user_pool}).to_string()).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("AccessDeniedException"), "{text}");

    // Refusals in the query protocol's XML.
    let wrong = Keys { secret: "x".repeat(40), ..keys.clone() };
    let (status, xml) = query(&server.base_url, "sts", &wrong, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!((status, xml_value(&xml, "Code").as_deref()), (403, Some("SignatureDoesNotMatch")), "{xml}");
    let unknown = Keys { access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(), ..keys.clone() };
    let (status, xml) = query(&server.base_url, "sts", &unknown, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!((status, xml_value(&xml, "Code").as_deref()), (403, Some("InvalidClientTokenId")), "{xml}");
    let (status, xml) = query(&server.base_url, "iam", &root(), &[("Action", "GetRole"), ("RoleName", "no-such-role")]).await;
    assert_eq!((status, xml_value(&xml, "Code").as_deref()), (404, Some("NoSuchEntity")), "{xml}");
    assert!(xml.contains("<Type>Sender</Type>"));
    let (status, xml) = query(&server.base_url, "sts", &root(), &[("Action", "AssumeRoleWithWebIdentity"), ("RoleArn", &role_arn)]).await;
    assert_eq!((status, xml_value(&xml, "Code").as_deref()), (400, Some("ValidationError")), "{xml}");

    // Guest access switched off: no new guests.
    let (status, body) = identity_call(
        &server.base_url,
        &root(),
        "UpdateIdentityPool",
        json!({"IdentityPoolId": pool_id, "IdentityPoolName": "closed", "AllowUnauthenticatedIdentities": false}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = raw_post(&server.base_url, "AWSCognitoIdentityService.GetId", &json!({"IdentityPoolId": pool_id}).to_string()).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("NotAuthorizedException")), "{body}");
}
crate::on_both_backends!(guest_credentials_sign_requests_on, super::guest_credentials_sign_requests);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_minted_on_one_node_work_on_another() {
    let data_a = Arc::new(tempfile::tempdir().unwrap());
    let data_b = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Postgres, data_a.path()).await;
    let node_a = TestServer::start_with(test_config(data_a.path(), &url), data_a).await;
    let node_b = TestServer::start_with(test_config(data_b.path(), &url), data_b).await;
    let (pool_id, role_arn) = guest_pool(&node_a).await;
    let (identity_id, keys) = guest_credentials(&node_a.base_url, &pool_id).await;
    let (status, xml) = query(&node_b.base_url, "sts", &keys, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml_value(&xml, "Arn").unwrap().contains(role_arn.rsplit('/').next().unwrap()));
    // The identity is known on both nodes.
    let (status, body) = identity_call(&node_b.base_url, &root(), "DescribeIdentity", json!({"IdentityId": identity_id})).await;
    assert_eq!(status, 200, "{body}");
    // A policy changed through node A applies on node B once B's short cache lapses.
    let role_name = role_arn.rsplit('/').next().unwrap();
    let (status, _) = query(&node_a.base_url, "iam", &root(), &[("Action", "DeleteRolePolicy"), ("RoleName", role_name), ("PolicyName", "describe")]).await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let user_pool = crate::harness::create_pool(&node_b).await;
    let target = "AWSCognitoIdentityProviderService.DescribeUserPool";
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
    let (status, text) = signed(&node_b.base_url, "cognito-idp", &keys, &headers, &json!({"UserPoolId": user_pool}).to_string()).await;
    assert_eq!(status, 403, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_credentials_expire() {
    let clock = Arc::new(cognate_domain::clock::ManualClock::new(
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as i64,
    ));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Sqlite, data_dir.path()).await;
    let server = TestServer::start_with_clock(test_config(data_dir.path(), &url), data_dir, clock.clone()).await;
    let (pool_id, _) = guest_pool(&server).await;
    let (_, keys) = guest_credentials(&server.base_url, &pool_id).await;
    let (status, _) = query(&server.base_url, "sts", &keys, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(status, 200);
    clock.advance_millis(3601 * 1000);
    let (status, xml) = query(&server.base_url, "sts", &keys, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!((status, xml_value(&xml, "Code").as_deref()), (400, Some("ExpiredToken")), "{xml}");
    let target = "AWSCognitoIdentityProviderService.ListUserPools";
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
    let (status, text) = signed(&server.base_url, "cognito-idp", &keys, &headers, r#"{"MaxResults":10}"#).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("ExpiredTokenException"), "{text}");
}

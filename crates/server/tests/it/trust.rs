//! Regressions from the attack and fault campaign: authorization takes its resource from what an
//! operation acts on (never from members a caller adds), and every `x-amz-*` header must be
//! signed.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde_json::{json, Value};

use crate::federation::{guest_credentials, guest_pool_with_policy, identity_call, query, root, signed, xml_value, Keys};
use crate::harness::{unique, TestServer};

pub async fn idp_call(base_url: &str, keys: &Keys, operation: &str, body: Value) -> (u16, Value) {
    let target = format!("AWSCognitoIdentityProviderService.{operation}");
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target.as_str())];
    let (status, text) = signed(base_url, "cognito-idp", keys, &headers, &body.to_string()).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn denied(outcome: &(u16, Value)) -> bool {
    outcome.0 == 403 && outcome.1["__type"] == "AccessDeniedException"
}

/// Credentials allowed only on identity pool A, user pool X and role R try to act on other
/// resources by naming A, X or R in a member the operation ignores: every attempt is refused
/// and nothing changes; the allowed operations still work.
async fn members_outside_the_operation_do_not_authorise(server: TestServer) {
    let base = server.base_url.as_str();
    let allowed_user_pool = crate::harness::create_pool(&server).await;
    let other_user_pool = crate::harness::create_pool(&server).await;
    let (other_identity_pool, _) = guest_pool_with_policy(base, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#).await;
    let (victim, _) = guest_credentials(base, &other_identity_pool).await;

    let (pool_a, role_arn) = guest_pool_with_policy(base, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#).await;
    let role_name = role_arn.rsplit('/').next().unwrap().to_string();
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-identity:*", "Resource": format!("arn:aws:cognito-identity:*:*:identitypool/{pool_a}")},
        {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": format!("arn:aws:cognito-idp:*:*:userpool/{allowed_user_pool}")},
        {"Effect": "Allow", "Action": "iam:*", "Resource": role_arn},
    ]})
    .to_string();
    let (status, xml) =
        query(base, "iam", &root(), &[("Action", "PutRolePolicy"), ("RoleName", &role_name), ("PolicyName", "describe"), ("PolicyDocument", &policy)]).await;
    assert_eq!(status, 200, "{xml}");
    let (own_identity, keys) = guest_credentials(base, &pool_a).await;

    // Cognito Identity: the identity's own pool decides, not the IdentityPoolId added beside it.
    let attempts = [
        ("DeleteIdentities", json!({"IdentityIdsToDelete": [victim], "IdentityPoolId": pool_a})),
        ("DeleteIdentities", json!({"IdentityIdsToDelete": [own_identity, victim], "IdentityPoolId": pool_a})),
        ("DescribeIdentity", json!({"IdentityId": victim, "IdentityPoolId": pool_a})),
        ("ListIdentityPools", json!({"MaxResults": 10, "IdentityPoolId": pool_a})),
        ("CreateIdentityPool", json!({"IdentityPoolName": unique("ip"), "AllowUnauthenticatedIdentities": false, "IdentityPoolId": pool_a})),
        ("DescribeIdentityPool", json!({"IdentityPoolId": other_identity_pool, "ResourceArn": format!("arn:aws:cognito-identity:us-east-1:123456789012:identitypool/{pool_a}")})),
    ];
    for (operation, body) in attempts {
        let target = format!("AWSCognitoIdentityService.{operation}");
        let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target.as_str())];
        let (status, text) = signed(base, "cognito-identity", &keys, &headers, &body.to_string()).await;
        assert_eq!(status, 403, "{operation} {body}: {text}");
        assert!(text.contains("AccessDeniedException"), "{operation}: {text}");
    }
    let (status, body) = identity_call(base, &root(), "DescribeIdentity", json!({"IdentityId": victim})).await;
    assert_eq!(status, 200, "the other pool's identity is still there: {body}");
    let (status, body) = identity_call(base, &keys, "DescribeIdentity", json!({"IdentityId": own_identity})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = identity_call(base, &keys, "DescribeIdentityPool", json!({"IdentityPoolId": pool_a})).await;
    assert_eq!(status, 200, "{body}");

    // Cognito user pools: tagging acts on the ARN it names; listing and creating on the account.
    let other_arn = format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{other_user_pool}");
    let outcome = idp_call(base, &keys, "TagResource", json!({"ResourceArn": other_arn, "Tags": {"owner": "attacker"}, "UserPoolId": allowed_user_pool})).await;
    assert!(denied(&outcome), "{outcome:?}");
    let outcome = idp_call(base, &keys, "ListUserPools", json!({"MaxResults": 10, "UserPoolId": allowed_user_pool})).await;
    assert!(denied(&outcome), "{outcome:?}");
    let outcome = idp_call(base, &keys, "CreateUserPool", json!({"PoolName": "evil", "UserPoolId": allowed_user_pool})).await;
    assert!(denied(&outcome), "{outcome:?}");
    let outcome = idp_call(base, &root(), "ListTagsForResource", json!({"ResourceArn": other_arn})).await;
    assert_eq!(outcome.0, 200, "{outcome:?}");
    assert_eq!(outcome.1["Tags"].as_object().map(|tags| tags.len()).unwrap_or(0), 0, "{outcome:?}");
    let outcome = idp_call(base, &keys, "DescribeUserPool", json!({"UserPoolId": allowed_user_pool})).await;
    assert_eq!(outcome.0, 200, "{outcome:?}");

    // IAM: a role name beside another action's resource does not authorise it.
    let (status, xml) = query(base, "iam", &keys, &[("Action", "ListRoles"), ("RoleName", &role_name)]).await;
    assert_eq!((status, xml_value(&xml, "Code").as_deref()), (403, Some("AccessDenied")), "{xml}");
    let (status, xml) = query(
        base,
        "iam",
        &root(),
        &[("Action", "CreateOpenIDConnectProvider"), ("Url", "https://issuer.example.com"), ("ClientIDList.member.1", "app"), ("ThumbprintList.member.1", &"a".repeat(40))],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let provider_arn = xml_value(&xml, "OpenIDConnectProviderArn").unwrap();
    let (status, xml) =
        query(base, "iam", &keys, &[("Action", "DeleteOpenIDConnectProvider"), ("OpenIDConnectProviderArn", &provider_arn), ("RoleName", &role_name)]).await;
    assert_eq!((status, xml_value(&xml, "Code").as_deref()), (403, Some("AccessDenied")), "{xml}");
    let (status, xml) = query(base, "iam", &root(), &[("Action", "GetOpenIDConnectProvider"), ("OpenIDConnectProviderArn", &provider_arn)]).await;
    assert_eq!(status, 200, "the provider is still there: {xml}");
    let (status, xml) = query(base, "iam", &keys, &[("Action", "GetRole"), ("RoleName", &role_name)]).await;
    assert_eq!(status, 200, "{xml}");
}
crate::on_both_backends!(members_outside_the_operation_do_not_authorise_on, super::members_outside_the_operation_do_not_authorise);

/// Signs a cognito-idp request as `operation` with `x-amz-target` left out of the signature,
/// then sends it as `sent_as`.
async fn replay_with_unsigned_target(base_url: &str, operation: &str, sent_as: &str, body: &str) -> (u16, Value) {
    let keys = root();
    let identity = Credentials::new(&keys.access_key_id, &keys.secret, None, None, "tests").into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers.get_or_insert_with(Vec::new).push("x-amz-target".into());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("cognito-idp")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signed_target = format!("AWSCognitoIdentityProviderService.{operation}");
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", signed_target.as_str())];
    let url = format!("{base_url}/");
    let signable = SignableRequest::new("POST", &url, headers.iter().copied(), SignableBody::Bytes(body.as_bytes())).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (signature_headers, _) = instructions.into_parts();
    let mut request = reqwest::Client::new()
        .post(&url)
        .body(body.to_string())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{sent_as}"));
    for header in signature_headers {
        request = request.header(header.name(), header.value());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A request whose signature does not cover `X-Amz-Target` cannot be replayed as another
/// operation (nor sent as the one it was made for).
async fn unsigned_target_is_refused(server: TestServer) {
    let pool = crate::harness::create_pool(&server).await;
    let outcome = idp_call(&server.base_url, &root(), "CreateGroup", json!({"UserPoolId": pool, "GroupName": "admins"})).await;
    assert_eq!(outcome.0, 200, "{outcome:?}");
    let body = json!({"UserPoolId": pool, "GroupName": "admins"}).to_string();
    for sent_as in ["DeleteGroup", "GetGroup"] {
        let (status, answer) = replay_with_unsigned_target(&server.base_url, "GetGroup", sent_as, &body).await;
        assert_eq!((status, answer["__type"].as_str()), (403, Some("InvalidSignatureException")), "{answer}");
        assert!(answer["message"].as_str().unwrap_or("").contains("x-amz-target"), "{answer}");
    }
    let outcome = idp_call(&server.base_url, &root(), "GetGroup", json!({"UserPoolId": pool, "GroupName": "admins"})).await;
    assert_eq!(outcome.0, 200, "the group is still there: {outcome:?}");
}
crate::on_both_backends!(unsigned_target_is_refused_on, super::unsigned_target_is_refused);

/// The data directory is private to the server's user, its SQLite files too, and a pending
/// code is stored as a MAC under the master key: the database alone does not give it away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_at_rest_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let root_dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let data_dir = root_dir.path().join("data");
    let database = data_dir.join("cognate.db");
    let config = crate::harness::test_config(&data_dir, &format!("sqlite://{}", database.display()));
    let server = TestServer::start_with(config, root_dir.clone()).await;
    let (status, created) = idp_call(&server.base_url, &root(), "CreateUserPool", json!({"PoolName": "p", "AutoVerifiedAttributes": ["email"]})).await;
    assert_eq!(status, 200, "{created}");
    let pool = created["UserPool"]["Id"].as_str().unwrap().to_string();
    let client = crate::harness::password_client(&server, &pool).await;
    let (status, body, _) = crate::harness::raw_post(
        &server.base_url,
        "AWSCognitoIdentityProviderService.SignUp",
        &json!({"ClientId": client, "Username": "carol", "Password": "Good-Pass-123", "UserAttributes": [{"Name": "email", "Value": "carol@example.com"}]}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sub = body["UserSub"].as_str().unwrap().to_string();
    let code = crate::sign_up::latest_code(&server, &pool, "carol@example.com").await;

    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data_dir), 0o700, "the data directory");
    for suffix in ["", "-wal"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", database.display()));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }

    let reader = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", database.display())).await.unwrap();
    let (data,): (String,) = sqlx::query_as("SELECT data FROM users WHERE username_key = 'carol'").fetch_one(&reader).await.unwrap();
    let user: Value = serde_json::from_str(&data).unwrap();
    let stored = user["pending_codes"][0]["code_hash"].as_str().unwrap().to_string();
    let plain_hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, format!("{sub}:ConfirmSignUp:{code}").as_bytes());
    let plain_hex: String = plain_hash.as_ref().iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(stored.len(), 64);
    assert_ne!(stored, plain_hex, "the code is not recoverable by hashing the million candidates");
    // And the code still works.
    let (status, body, _) = crate::harness::raw_post(
        &server.base_url,
        "AWSCognitoIdentityProviderService.ConfirmSignUp",
        &json!({"ClientId": client, "Username": "carol", "ConfirmationCode": code}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// With PreventUserExistenceErrors, a user who does not exist looks like one who does: the SRP
/// salt is as stable as a real user's, a password reset names a destination that does not give
/// the username away, and a resent confirmation code reports a delivery.
async fn unknown_users_look_like_known_ones(server: TestServer) {
    let base = server.base_url.as_str();
    let pool = crate::harness::create_pool(&server).await;
    let (status, created) = idp_call(
        base,
        &root(),
        "CreateUserPoolClient",
        json!({"UserPoolId": pool, "ClientName": "hidden", "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"], "PreventUserExistenceErrors": "ENABLED"}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let client = created["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let (status, body) = idp_call(base, &root(), "AdminCreateUser", json!({"UserPoolId": pool, "Username": "alice", "MessageAction": "SUPPRESS"})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        idp_call(base, &root(), "AdminSetUserPassword", json!({"UserPoolId": pool, "Username": "alice", "Password": "Good-Pass-123", "Permanent": true})).await;
    assert_eq!(status, 200, "{body}");

    let unsigned = |target: &'static str, body: Value| async move {
        let (status, value, _) = crate::harness::raw_post(base, &format!("AWSCognitoIdentityProviderService.{target}"), &body.to_string()).await;
        (status, value)
    };
    for username in ["alice", "ghost"] {
        let start = json!({"ClientId": client, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": {"USERNAME": username, "SRP_A": "02"}});
        let (first_status, first) = unsigned("InitiateAuth", start.clone()).await;
        let (second_status, second) = unsigned("InitiateAuth", start).await;
        assert_eq!((first_status, second_status), (200, 200), "{first} {second}");
        assert_eq!(first["ChallengeParameters"]["SALT"], second["ChallengeParameters"]["SALT"], "{username}: the salt is stable");
    }

    let mut domain_letters = std::collections::BTreeSet::new();
    for username in ["ghost1", "ghost2", "ghost3", "ghost4", "ghost5", "ghost6"] {
        let (status, first) = unsigned("ForgotPassword", json!({"ClientId": client, "Username": username})).await;
        assert_eq!(status, 200, "{first}");
        let (_, again) = unsigned("ForgotPassword", json!({"ClientId": client, "Username": username})).await;
        let destination = first["CodeDeliveryDetails"]["Destination"].as_str().unwrap().to_string();
        assert_eq!(again["CodeDeliveryDetails"]["Destination"].as_str(), Some(destination.as_str()), "the same on every request");
        domain_letters.insert(destination.split('@').nth(1).unwrap().chars().next().unwrap());
    }
    assert!(domain_letters.len() > 1, "the destinations are not all made the same way: {domain_letters:?}");
    let (status, resent) = unsigned("ResendConfirmationCode", json!({"ClientId": client, "Username": "ghost"})).await;
    assert_eq!(status, 200, "{resent}");
    assert_eq!(resent["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL", "{resent}");
}
crate::on_both_backends!(unknown_users_look_like_known_ones_on, super::unknown_users_look_like_known_ones);

async fn signed_in_tokens(base: &str, client: &str, password: &str) -> (String, String) {
    let body = json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "dora", "PASSWORD": password}});
    let (status, value, _) = crate::harness::raw_post(base, "AWSCognitoIdentityProviderService.InitiateAuth", &body.to_string()).await;
    assert_eq!(status, 200, "{value}");
    let result = &value["AuthenticationResult"];
    (result["AccessToken"].as_str().unwrap().to_string(), result["RefreshToken"].as_str().unwrap().to_string())
}

async fn get_user(base: &str, access_token: &str) -> (u16, Value) {
    let (status, value, _) =
        crate::harness::raw_post(base, "AWSCognitoIdentityProviderService.GetUser", &json!({"AccessToken": access_token}).to_string()).await;
    (status, value)
}

/// A pool with a password client and the user `dora` (password `Good-Pass-123`).
async fn pool_with_dora(server: &TestServer) -> (String, String) {
    let pool = crate::harness::create_pool(server).await;
    let client = crate::harness::password_client(server, &pool).await;
    let (status, body) = idp_call(&server.base_url, &root(), "AdminCreateUser", json!({"UserPoolId": pool, "Username": "dora", "MessageAction": "SUPPRESS"})).await;
    assert_eq!(status, 200, "{body}");
    let set = json!({"UserPoolId": pool, "Username": "dora", "Password": "Good-Pass-123", "Permanent": true});
    let (status, body) = idp_call(&server.base_url, &root(), "AdminSetUserPassword", set).await;
    assert_eq!(status, 200, "{body}");
    (pool, client)
}

/// An access token of a client that was deleted stops working; a password reset signs the
/// user out everywhere when the server is set to (and, as in Cognito, not by default).
async fn tokens_follow_their_client_and_optional_reset_revocation(server: TestServer) {
    let base = server.base_url.as_str();
    let (pool, client) = pool_with_dora(&server).await;
    let (access, _) = signed_in_tokens(base, &client, "Good-Pass-123").await;
    assert_eq!(get_user(base, &access).await.0, 200);
    let (status, body) = idp_call(base, &root(), "DeleteUserPoolClient", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get_user(base, &access).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("NotAuthorizedException")), "{body}");

    // By default a reset leaves sessions alone.
    let client = crate::harness::password_client(&server, &pool).await;
    let (access, _) = signed_in_tokens(base, &client, "Good-Pass-123").await;
    let set = json!({"UserPoolId": pool, "Username": "dora", "Password": "Other-Pass-456", "Permanent": true});
    assert_eq!(idp_call(base, &root(), "AdminSetUserPassword", set).await.0, 200);
    assert_eq!(get_user(base, &access).await.0, 200);
}
crate::on_both_backends!(tokens_follow_their_client_on, super::tokens_follow_their_client_and_optional_reset_revocation);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_revokes_sessions_when_configured() {
    let data = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let url = crate::harness::database_url(crate::harness::Backend::Sqlite, data.path()).await;
    let mut config = crate::harness::test_config(data.path(), &url);
    config.revoke_tokens_on_password_reset = true;
    let server = TestServer::start_with(config, data).await;
    let base = server.base_url.as_str();
    let (pool, client) = pool_with_dora(&server).await;
    let (access, refresh) = signed_in_tokens(base, &client, "Good-Pass-123").await;
    let set = json!({"UserPoolId": pool, "Username": "dora", "Password": "Other-Pass-456", "Permanent": true});
    assert_eq!(idp_call(base, &root(), "AdminSetUserPassword", set).await.0, 200);
    let (status, body) = get_user(base, &access).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("NotAuthorizedException")), "{body}");
    let refresh_body = json!({"ClientId": client, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": refresh}});
    let (status, body, _) = crate::harness::raw_post(base, "AWSCognitoIdentityProviderService.InitiateAuth", &refresh_body.to_string()).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("NotAuthorizedException")), "{body}");
    // The new password signs in afresh.
    signed_in_tokens(base, &client, "Other-Pass-456").await;
}

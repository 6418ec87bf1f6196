//! Bursts of parallel requests across two nodes of one store: a one-time code has exactly one
//! winner, no more guesses are evaluated than the lockout allows, no acknowledged update of a
//! user, of an identity pool, of its Sync configuration or of an IAM role is lost, and nothing
//! is left filed under an IAM user deleted meanwhile.

use std::sync::Arc;
use std::time::SystemTime;

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::federation::{identity_call, query, root, signed_request};
use crate::on_each_backend;
use crate::harness::{database_url, raw_post, test_config, unique, Backend, TestServer};
use crate::sign_up::latest_code;
use crate::trust::idp_call;

const BURST: usize = 60;

/// Two nodes over one store (the same SQLite file, or the same PostgreSQL database), sharing
/// a clock the test holds still.
async fn two_nodes(backend: Backend) -> (TestServer, TestServer) {
    two_nodes_with_clock(backend).await.0
}

async fn two_nodes_with_clock(backend: Backend) -> ((TestServer, TestServer), Arc<cognate_domain::clock::ManualClock>) {
    let clock = Arc::new(cognate_domain::clock::ManualClock::new(
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as i64,
    ));
    let data = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(backend, data.path()).await;
    let first = TestServer::start_with_clock(test_config(data.path(), &url), data.clone(), clock.clone()).await;
    let second = TestServer::start_with_clock(test_config(data.path(), &url), data, clock.clone()).await;
    ((first, second), clock)
}

/// A pool that verifies email by code, a client for password sign-in, and a confirmed user
/// `alice` with a verified email and the password `Initial-Pass-1`.
async fn pool_with_user(node: &TestServer) -> (String, String) {
    let base = node.base_url.as_str();
    let (status, created) = idp_call(base, &root(), "CreateUserPool", json!({"PoolName": unique("p"), "AutoVerifiedAttributes": ["email"]})).await;
    assert_eq!(status, 200, "{created}");
    let pool = created["UserPool"]["Id"].as_str().unwrap().to_string();
    let client = crate::harness::password_client(node, &pool).await;
    let (status, body, _) = raw_post(
        base,
        "AWSCognitoIdentityProviderService.SignUp",
        &json!({"ClientId": client, "Username": "alice", "Password": "Initial-Pass-1", "UserAttributes": [{"Name": "email", "Value": "alice@example.com"}]})
            .to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (pool, client)
}

async fn burst(nodes: &(TestServer, TestServer), target: &str, bodies: Vec<String>) -> Vec<(u16, Value)> {
    let target = format!("AWSCognitoIdentityProviderService.{target}");
    let requests = bodies.into_iter().enumerate().map(|(index, body)| {
        let base = if index % 2 == 0 { nodes.0.base_url.clone() } else { nodes.1.base_url.clone() };
        let target = target.clone();
        async move {
            let (status, value, _) = raw_post(&base, &target, &body).await;
            (status, value)
        }
    });
    join_all(requests).await
}

fn winners(outcomes: &[(u16, Value)]) -> usize {
    for (status, body) in outcomes {
        assert!(*status < 500, "no request may fail with a server error: {status} {body}");
    }
    outcomes.iter().filter(|(status, _)| *status == 200).count()
}

async fn sign_in(node: &TestServer, client: &str, password: &str) -> (u16, Value) {
    let body = json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "alice", "PASSWORD": password}});
    let (status, value, _) = raw_post(&node.base_url, "AWSCognitoIdentityProviderService.InitiateAuth", &body.to_string()).await;
    (status, value)
}

async fn one_code_has_one_winner(backend: Backend) {
    let (nodes, clock) = two_nodes_with_clock(backend).await;
    let (pool, client) = pool_with_user(&nodes.0).await;

    // The sign-up code, sent by 60 clients at once: one confirmation.
    let code = latest_code(&nodes.0, &pool, "alice@example.com").await;
    let body = json!({"ClientId": client, "Username": "alice", "ConfirmationCode": code}).to_string();
    let outcomes = burst(&nodes, "ConfirmSignUp", vec![body; BURST]).await;
    eprintln!("{backend:?}: {} of {BURST} parallel ConfirmSignUp with one code succeeded", winners(&outcomes));
    assert_eq!(winners(&outcomes), 1, "{outcomes:?}");

    // A reset code, sent with 60 different new passwords: one is accepted, and it is the
    // password that works. (The clock moves on so that the outbox orders the two codes.)
    clock.advance_millis(1000);
    let (status, body, _) = raw_post(
        &nodes.1.base_url,
        "AWSCognitoIdentityProviderService.ForgotPassword",
        &json!({"ClientId": client, "Username": "alice"}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let code = latest_code(&nodes.0, &pool, "alice@example.com").await;
    let passwords: Vec<String> = (0..BURST).map(|index| format!("Reset-Pass-{index}")).collect();
    let bodies = passwords
        .iter()
        .map(|password| json!({"ClientId": client, "Username": "alice", "ConfirmationCode": code, "Password": password}).to_string())
        .collect();
    let outcomes = burst(&nodes, "ConfirmForgotPassword", bodies).await;
    eprintln!("{backend:?}: {} of {BURST} parallel ConfirmForgotPassword with one code succeeded", winners(&outcomes));
    assert_eq!(winners(&outcomes), 1, "{outcomes:?}");
    let winner = outcomes.iter().position(|(status, _)| *status == 200).unwrap();
    let (status, body) = sign_in(&nodes.1, &client, &passwords[winner]).await;
    assert_eq!(status, 200, "the acknowledged new password works: {body}");
    let loser = (winner + 1) % BURST;
    let (status, _) = sign_in(&nodes.0, &client, &passwords[loser]).await;
    assert_eq!(status, 400, "a refused new password does not work");
}

async fn guesses_stop_at_the_lockout(backend: Backend) {
    let nodes = two_nodes(backend).await;
    let (pool, client) = pool_with_user(&nodes.0).await;
    let (status, body) = idp_call(&nodes.0.base_url, &root(), "AdminConfirmSignUp", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(status, 200, "{body}");
    // 59 wrong guesses and the right password, at once.
    let bodies = (0..BURST)
        .map(|index| {
            let password = if index == BURST / 2 { "Initial-Pass-1".to_string() } else { format!("Wrong-Pass-{index}") };
            json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "alice", "PASSWORD": password}}).to_string()
        })
        .collect();
    let outcomes = burst(&nodes, "InitiateAuth", bodies).await;
    let successes = winners(&outcomes);
    let evaluated_wrong = outcomes.iter().filter(|(_, body)| body["message"] == "Incorrect username or password.").count();
    let refused = outcomes.iter().filter(|(_, body)| body["message"] == "Password attempts exceeded").count();
    eprintln!("{backend:?}: of {BURST} parallel guesses, {} evaluated ({successes} right), {refused} refused by the lockout", successes + evaluated_wrong);
    // A right password that gets in before the lockout clears the failures counted before it,
    // as Cognito does, so five more wrong guesses may be evaluated after it (the interleaving
    // decides). Lost updates would let dozens in.
    assert!(successes <= 1, "{outcomes:?}");
    assert!(evaluated_wrong <= 5 * (1 + successes), "at most five wrong guesses per lockout are evaluated: {successes} + {evaluated_wrong}; {outcomes:?}");
    assert!(refused >= BURST - 5 * (1 + successes) - 1, "the others are refused by the lockout: {refused}; {outcomes:?}");
}

async fn no_acknowledged_update_is_lost(backend: Backend) {
    let nodes = two_nodes(backend).await;
    let base = nodes.0.base_url.as_str();
    let custom: Vec<Value> = (0..50).map(|index| json!({"Name": format!("c{index}"), "AttributeDataType": "String"})).collect();
    let (status, created) = idp_call(base, &root(), "CreateUserPool", json!({"PoolName": unique("p"), "Schema": custom})).await;
    assert_eq!(status, 200, "{created}");
    let pool = created["UserPool"]["Id"].as_str().unwrap().to_string();
    let (status, body) =
        idp_call(base, &root(), "AdminCreateUser", json!({"UserPoolId": pool, "Username": "bob", "MessageAction": "SUPPRESS"})).await;
    assert_eq!(status, 200, "{body}");
    let mut names: Vec<String> = (0..50).map(|index| format!("custom:c{index}")).collect();
    for standard in ["given_name", "family_name", "middle_name", "nickname", "locale", "zoneinfo", "gender", "website", "profile", "picture"] {
        names.push(standard.to_string());
    }
    assert_eq!(names.len(), BURST);
    let requests = names.iter().enumerate().map(|(index, name)| {
        let base = if index % 2 == 0 { nodes.0.base_url.clone() } else { nodes.1.base_url.clone() };
        let body = json!({"UserPoolId": pool, "Username": "bob", "UserAttributes": [{"Name": name, "Value": format!("v{index}")}]});
        async move { idp_call(&base, &root(), "AdminUpdateUserAttributes", body).await }
    });
    let outcomes = join_all(requests).await;
    let acknowledged: Vec<&String> = names.iter().zip(&outcomes).filter(|(_, (status, _))| *status == 200).map(|(name, _)| name).collect();
    for (status, body) in &outcomes {
        assert!(*status == 200 || body["__type"] == "TooManyRequestsException", "{status} {body}");
    }
    assert!(acknowledged.len() >= BURST / 2, "most updates apply: {}", acknowledged.len());
    let (status, user) = idp_call(base, &root(), "AdminGetUser", json!({"UserPoolId": pool, "Username": "bob"})).await;
    assert_eq!(status, 200, "{user}");
    let stored: Vec<&str> = user["UserAttributes"].as_array().unwrap().iter().filter_map(|attribute| attribute["Name"].as_str()).collect();
    let lost: Vec<&&String> = acknowledged.iter().filter(|name| !stored.contains(&name.as_str())).collect();
    eprintln!("{backend:?}: {} of {BURST} parallel updates acknowledged, {} of them lost", acknowledged.len(), lost.len());
    assert!(lost.is_empty(), "acknowledged updates lost: {lost:?}");
}

/// A new identity pool that admits guests; its id.
async fn identity_pool(base: &str) -> String {
    let (status, created) =
        identity_call(base, &root(), "CreateIdentityPool", json!({"IdentityPoolName": unique("p"), "AllowUnauthenticatedIdentities": true})).await;
    assert_eq!(status, 200, "{created}");
    created["IdentityPoolId"].as_str().unwrap().to_string()
}

/// Push sync, Cognito Streams and the Sync trigger of one pool, changed by different requests on
/// two nodes at once: every change acknowledged is there afterwards.
async fn no_acknowledged_configuration_change_is_lost(backend: Backend) {
    let nodes = two_nodes(backend).await;
    let base = nodes.0.base_url.as_str();
    let pool = identity_pool(base).await;
    let sync = |base: &str, method: &'static str, path: &str, body: Value| {
        let url = format!("{base}/identitypools/{}/{path}", crate::sync_push::encode(&pool));
        async move {
            let body = if body.is_null() { String::new() } else { body.to_string() };
            let (status, text) = signed_request(method, &url, "cognito-sync", &root(), &[("content-type", "application/json")], &body).await;
            (status, serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)))
        }
    };
    for round in 0..12 {
        let role = format!("arn:aws:iam::123456789012:role/push-{round}");
        let stream = format!("stream-{round}");
        let trigger = format!("https://127.0.0.1:9/trigger-{round}");
        let (push, streams, events) = tokio::join!(
            sync(&nodes.0.base_url, "POST", "configuration", json!({"PushSync": {"ApplicationArns": [], "RoleArn": role}})),
            sync(&nodes.1.base_url, "POST", "configuration", json!({"CognitoStreams": {"StreamName": stream, "RoleArn": role, "StreamingStatus": "ENABLED"}})),
            sync(&nodes.0.base_url, "POST", "events", json!({"Events": {"SyncTrigger": trigger}})),
        );
        for (status, body) in [&push, &streams, &events] {
            assert!(*status == 200 || body["__type"] == "TooManyRequestsException", "{status} {body}");
        }
        let (status, configuration) = sync(base, "GET", "configuration", Value::Null).await;
        assert_eq!(status, 200, "{configuration}");
        if push.0 == 200 {
            assert_eq!(configuration["PushSync"]["RoleArn"], role.as_str(), "round {round}: the push change was lost: {configuration}");
        }
        if streams.0 == 200 {
            assert_eq!(configuration["CognitoStreams"]["StreamName"], stream.as_str(), "round {round}: the stream change was lost: {configuration}");
        }
        let (status, stored_events) = sync(base, "GET", "events", Value::Null).await;
        assert_eq!(status, 200, "{stored_events}");
        if events.0 == 200 {
            assert_eq!(stored_events["Events"]["SyncTrigger"], trigger.as_str(), "round {round}: the events change was lost: {stored_events}");
        }
    }
}

/// An identity pool's roles and tags, and an IAM role's trust policy and tags, changed by
/// different requests on two nodes at once: every change acknowledged is there afterwards.
async fn no_acknowledged_pool_or_role_change_is_lost(backend: Backend) {
    let nodes = two_nodes(backend).await;
    let base = nodes.0.base_url.as_str();
    let pool = identity_pool(base).await;
    let pool_arn = format!("arn:aws:cognito-identity:us-east-1:123456789012:identitypool/{pool}");
    let role_name = unique("r");
    let trust = |round: usize| {
        format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"cognito-identity.amazonaws.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"cognito-identity.amazonaws.com:aud":"pool-{round}"}}}}}}]}}"#)
    };
    let (status, body) = query(base, "iam", &root(), &[("Action", "CreateRole"), ("RoleName", &role_name), ("AssumeRolePolicyDocument", &trust(99))]).await;
    assert_eq!(status, 200, "{body}");
    for round in 0..10 {
        let role_arn = format!("arn:aws:iam::123456789012:role/unauth-{round}");
        let tag = format!("t{round}");
        let trust_policy = trust(round);
        let keys = root();
        let trust_params = [("Action", "UpdateAssumeRolePolicy"), ("RoleName", role_name.as_str()), ("PolicyDocument", trust_policy.as_str())];
        let tag_params = [("Action", "TagRole"), ("RoleName", role_name.as_str()), ("Tags.member.1.Key", tag.as_str()), ("Tags.member.1.Value", "v")];
        let (roles, tagged, role_trust, role_tagged) = tokio::join!(
            identity_call(&nodes.0.base_url, &keys, "SetIdentityPoolRoles", json!({"IdentityPoolId": pool, "Roles": {"unauthenticated": role_arn}})),
            identity_call(&nodes.1.base_url, &keys, "TagResource", json!({"ResourceArn": pool_arn, "Tags": {tag.as_str(): "v"}})),
            query(&nodes.0.base_url, "iam", &keys, &trust_params),
            query(&nodes.1.base_url, "iam", &keys, &tag_params),
        );
        for (status, body) in [(roles.0, roles.1.to_string()), (tagged.0, tagged.1.to_string()), role_trust.clone(), role_tagged.clone()] {
            assert!(status == 200 || body.contains("TooManyRequests"), "{status} {body}");
        }
        let (_, described) = identity_call(base, &root(), "DescribeIdentityPool", json!({"IdentityPoolId": pool})).await;
        if tagged.0 == 200 {
            assert_eq!(described["IdentityPoolTags"][tag.as_str()], "v", "round {round}: the pool's tag was lost: {described}");
        }
        let (_, roles_now) = identity_call(base, &root(), "GetIdentityPoolRoles", json!({"IdentityPoolId": pool})).await;
        if roles.0 == 200 {
            assert_eq!(roles_now["Roles"]["unauthenticated"], role_arn.as_str(), "round {round}: the pool's roles were lost: {roles_now}");
        }
        let (_, role) = query(base, "iam", &root(), &[("Action", "GetRole"), ("RoleName", &role_name)]).await;
        if role_trust.0 == 200 {
            assert!(role.contains(&format!("pool-{round}")), "round {round}: the trust policy change was lost: {role}");
        }
        if role_tagged.0 == 200 {
            assert!(role.contains(&format!("<Key>{tag}</Key>")), "round {round}: the role's tag was lost: {role}");
        }
    }
}

/// A user deleted on one node while a policy is put into it on the other, again and again:
/// either the policy is refused or the deletion is, and a user made afterwards under the same
/// name never inherits a policy left under it.
async fn nothing_is_left_under_a_deleted_name(backend: Backend) {
    let nodes = two_nodes(backend).await;
    let base = nodes.0.base_url.as_str();
    let user = unique("u");
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cognito-idp:ListUserPools","Resource":"*"}]}"#;
    let keys = root();
    let (mut deleted, mut put) = (0, 0);
    for round in 0..25 {
        let (status, body) = query(base, "iam", &keys, &[("Action", "CreateUser"), ("UserName", &user)]).await;
        assert_eq!(status, 200, "round {round}: {body}");
        let policy = format!("p{round}");
        let put_params = [("Action", "PutUserPolicy"), ("UserName", user.as_str()), ("PolicyName", policy.as_str()), ("PolicyDocument", document)];
        let delete_params = [("Action", "DeleteUser"), ("UserName", user.as_str())];
        // A third of the rounds race; in the others one side starts a little later, so that
        // each side is seen to win.
        let (put_late, delete_late) = match round % 3 {
            0 => (0, 0),
            1 => (20, 0),
            _ => (0, 20),
        };
        let (put_answer, delete_answer) = tokio::join!(
            async {
                tokio::time::sleep(std::time::Duration::from_millis(put_late)).await;
                query(&nodes.0.base_url, "iam", &keys, &put_params).await
            },
            async {
                tokio::time::sleep(std::time::Duration::from_millis(delete_late)).await;
                query(&nodes.1.base_url, "iam", &keys, &delete_params).await
            },
        );
        for (status, body) in [&put_answer, &delete_answer] {
            let refused = ["NoSuchEntity", "DeleteConflict", "Throttling", "TooManyRequests"].iter().any(|code| body.contains(code));
            assert!(*status == 200 || refused, "round {round}: {status} {body}");
        }
        put += (put_answer.0 == 200) as usize;
        if delete_answer.0 == 200 {
            deleted += 1;
            let (status, body) = query(base, "iam", &keys, &[("Action", "CreateUser"), ("UserName", &user)]).await;
            assert_eq!(status, 200, "round {round}: {body}");
            let (_, listed) = query(base, "iam", &keys, &[("Action", "ListUserPolicies"), ("UserName", &user)]).await;
            assert!(!listed.contains("<member>"), "round {round}: a user made under a deleted name inherited its policy: {listed}");
        } else {
            let (status, body) = query(base, "iam", &keys, &[("Action", "DeleteUserPolicy"), ("UserName", &user), ("PolicyName", &policy)]).await;
            assert!(status == 200 || body.contains("NoSuchEntity"), "round {round}: {status} {body}");
        }
        let (status, body) = query(base, "iam", &keys, &[("Action", "DeleteUser"), ("UserName", &user)]).await;
        assert_eq!(status, 200, "round {round}: {body}");
    }
    assert!(deleted > 0 && put > 0, "both sides won some rounds: {deleted} deletions, {put} policies");
}

/// A user pool changed by two operations at once on two nodes (its MFA configuration and its
/// tags) keeps both changes.
async fn no_acknowledged_user_pool_change_is_lost(backend: Backend) {
    let nodes = two_nodes(backend).await;
    let (pool, _) = pool_with_user(&nodes.0).await;
    let pool_arn = format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool}");
    for round in 0..10 {
        let tag = format!("t{round}");
        let totp = round % 2 == 0;
        let keys = root();
        let (configured, tagged) = tokio::join!(
            idp_call(&nodes.0.base_url, &keys, "SetUserPoolMfaConfig", json!({"UserPoolId": pool, "SoftwareTokenMfaConfiguration": {"Enabled": totp}})),
            idp_call(&nodes.1.base_url, &keys, "TagResource", json!({"ResourceArn": pool_arn, "Tags": {tag.as_str(): "v"}})),
        );
        for (status, body) in [&configured, &tagged] {
            assert!(*status == 200 || body.to_string().contains("TooManyRequests"), "{status} {body}");
        }
        if configured.0 == 200 {
            let (_, read) = idp_call(&nodes.1.base_url, &root(), "GetUserPoolMfaConfig", json!({"UserPoolId": pool})).await;
            assert_eq!(read["SoftwareTokenMfaConfiguration"]["Enabled"], totp, "round {round}: the MFA change was lost: {read}");
        }
        if tagged.0 == 200 {
            let (_, tags) = idp_call(&nodes.0.base_url, &root(), "ListTagsForResource", json!({"ResourceArn": pool_arn})).await;
            assert_eq!(tags["Tags"][tag.as_str()], "v", "round {round}: the tag was lost: {tags}");
        }
    }
}

on_each_backend!(no_acknowledged_user_pool_change_is_lost_on, super::no_acknowledged_user_pool_change_is_lost);
on_each_backend!(nothing_is_left_under_a_deleted_name_on, super::nothing_is_left_under_a_deleted_name);
on_each_backend!(one_code_has_one_winner_on, super::one_code_has_one_winner);
on_each_backend!(guesses_stop_at_the_lockout_on, super::guesses_stop_at_the_lockout);
on_each_backend!(no_acknowledged_update_is_lost_on, super::no_acknowledged_update_is_lost);
on_each_backend!(no_acknowledged_configuration_change_is_lost_on, super::no_acknowledged_configuration_change_is_lost);
on_each_backend!(no_acknowledged_pool_or_role_change_is_lost_on, super::no_acknowledged_pool_or_role_change_is_lost);

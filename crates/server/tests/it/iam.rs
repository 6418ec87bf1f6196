//! IAM users and managed policies across a cluster: a key made on one node signs on the other,
//! and a policy attached or detached on one node holds on the other within seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::federation::{query, root, xml_value, Keys};
use crate::harness::{database_url, test_config, Backend, TestServer};

/// Whether `condition` holds within `seconds`.
async fn eventually<F, Fut>(seconds: u64, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if condition().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_changes_reach_every_node_within_seconds() {
    let data_dir_a = Arc::new(tempfile::tempdir().unwrap());
    let data_dir_b = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Postgres, data_dir_a.path()).await;
    let (node_a, node_b) = tokio::join!(
        TestServer::start_with(test_config(data_dir_a.path(), &url), data_dir_a.clone()),
        TestServer::start_with(test_config(data_dir_b.path(), &url), data_dir_b.clone()),
    );
    let (a, b) = (node_a.base_url.as_str(), node_b.base_url.as_str());
    let (status, body) = query(a, "iam", &root(), &[("Action", "CreateUser"), ("UserName", "ops")]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = query(a, "iam", &root(), &[("Action", "CreateAccessKey"), ("UserName", "ops")]).await;
    assert_eq!(status, 200, "{body}");
    let keys = Keys {
        access_key_id: xml_value(&body, "AccessKeyId").unwrap(),
        secret: xml_value(&body, "SecretAccessKey").unwrap(),
        session_token: None,
    };
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}"#;
    let (status, body) = query(a, "iam", &root(), &[("Action", "CreatePolicy"), ("PolicyName", "list-roles"), ("PolicyDocument", document)]).await;
    assert_eq!(status, 200, "{body}");
    let policy_arn = xml_value(&body, "Arn").unwrap();
    let list_roles = |node: &str| {
        let (node, keys) = (node.to_string(), keys.clone());
        async move { query(&node, "iam", &keys, &[("Action", "ListRoles")]).await.0 }
    };

    // The key made on A signs on B; with no policy it may do nothing there.
    let (status, body) = query(b, "sts", &keys, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(xml_value(&body, "Arn").as_deref(), Some("arn:aws:iam::123456789012:user/ops"));
    assert_eq!(list_roles(b).await, 403);

    // Attached on A: allowed on B within seconds.
    let attached = Instant::now();
    let (status, body) = query(a, "iam", &root(), &[("Action", "AttachUserPolicy"), ("UserName", "ops"), ("PolicyArn", &policy_arn)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(eventually(5, || async { list_roles(b).await == 200 }).await, "the attachment reaches node B");
    eprintln!("attached on A, allowed on B after {:?}", attached.elapsed());
    assert_eq!(list_roles(a).await, 200);

    // Detached on B: refused on A within seconds.
    let detached = Instant::now();
    let (status, body) = query(b, "iam", &root(), &[("Action", "DetachUserPolicy"), ("UserName", "ops"), ("PolicyArn", &policy_arn)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(eventually(5, || async { list_roles(a).await == 403 }).await, "the detachment reaches node A");
    eprintln!("detached on B, refused on A after {:?}", detached.elapsed());

    // A key made inactive on B stops signing on A at once (keys are not cached).
    let (status, body) =
        query(b, "iam", &root(), &[("Action", "UpdateAccessKey"), ("UserName", "ops"), ("AccessKeyId", &keys.access_key_id), ("Status", "Inactive")]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = query(a, "sts", &keys, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(xml_value(&body, "Code").as_deref(), Some("InvalidClientTokenId"));
    node_a.stop().await;
    node_b.stop().await;
}

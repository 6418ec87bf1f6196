//! Sync push across a cluster: two `cognate serve` processes on one PostgreSQL. A device listens
//! on node B's WebSocket (a URL presigned by aws-sigv4); another device of the same identity
//! writes through node A; every change reaches the listener, once and in order.

use std::process::Stdio;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_sigv4::sign::v4;
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::federation::{guest_credentials, guest_pool_with_policy, signed_request, Keys};
use crate::harness::{ACCESS_KEY_ID, MASTER_KEY, SECRET_ACCESS_KEY};

pub const SYNC_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cognito-sync:*","Resource":"arn:aws:cognito-sync:us-east-1:123456789012:identitypool/${cognito-identity.amazonaws.com:aud}/identity/${cognito-identity.amazonaws.com:sub}*"}]}"#;

/// A `cognate serve` process, stopped when dropped.
struct Node {
    child: std::process::Child,
    base_url: String,
    _data_dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_node(database_url: &str) -> Node {
    let data_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cognate"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url, "--account-id", "123456789012"])
        .arg("--data-dir")
        .arg(data_dir.path())
        .env("COGNATE_MASTER_KEY", MASTER_KEY)
        .env("COGNATE_ROOT_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("COGNATE_ROOT_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("COGNATE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start cognate");
    let base_url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{base_url}/health")).send().await.is_ok_and(|response| response.status().is_success()) {
            return Node { child, base_url, _data_dir: data_dir };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cognate did not become ready");
}

pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect()
}

/// A `/sync/push` URL presigned for `cognito-sync` the way SDK presigners do it.
pub fn presigned_push_url(base_url: &str, keys: &Keys, pool_id: &str, identity_id: &str, device_id: &str) -> String {
    let url = format!(
        "{base_url}/sync/push?IdentityPoolId={}&IdentityId={}&DeviceId={}",
        encode(pool_id),
        encode(identity_id),
        encode(device_id)
    );
    let identity = Credentials::new(&keys.access_key_id, &keys.secret, keys.session_token.clone(), None, "tests").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(300));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("cognito-sync")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new("GET", url.as_str(), std::iter::empty(), SignableBody::Bytes(b"")).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (_, query) = instructions.into_parts();
    let mut signed = url.replacen("http://", "ws://", 1);
    for (name, value) in query {
        signed.push_str(&format!("&{name}={}", encode(&value)));
    }
    signed
}

pub async fn sync_call(base_url: &str, keys: &Keys, method: &str, path: &str, body: Value) -> (u16, Value) {
    let body = if method == "GET" || method == "DELETE" { String::new() } else { body.to_string() };
    let (status, text) =
        signed_request(method, &format!("{base_url}{path}"), "cognito-sync", keys, &[("content-type", "application/json")], &body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_written_on_one_node_reach_subscribers_on_another() {
    let database_url = cognate_store::testing::fresh_postgres_database().await;
    let node_a = start_node(&database_url).await;
    let node_b = start_node(&database_url).await;
    let (pool_id, _) = guest_pool_with_policy(&node_a.base_url, SYNC_POLICY).await;
    let (identity_id, keys) = guest_credentials(&node_a.base_url, &pool_id).await;
    let pool_path = encode(&pool_id);
    let identity_path = encode(&identity_id);
    let mut devices = Vec::new();
    for token in ["writer-token", "listener-token"] {
        let (status, body) =
            sync_call(&node_a.base_url, &keys, "POST", &format!("/identitypools/{pool_path}/identity/{identity_path}/device"), json!({"Platform": "GCM", "Token": token})).await;
        assert_eq!(status, 200, "{body}");
        devices.push(body["DeviceId"].as_str().unwrap().to_string());
    }
    let dataset_path = format!("/identitypools/{pool_path}/identities/{identity_path}/datasets/settings");
    for device in &devices {
        let (status, body) = sync_call(&node_b.base_url, &keys, "POST", &format!("{dataset_path}/subscriptions/{device}"), json!({})).await;
        assert_eq!(status, 200, "{body}");
    }

    // A URL signed with another secret is refused before the upgrade.
    let forged = Keys { secret: "x".repeat(40), ..keys.clone() };
    let refused = tokio_tungstenite::connect_async(presigned_push_url(&node_b.base_url, &forged, &pool_id, &identity_id, &devices[1])).await;
    assert!(refused.is_err(), "a forged presigned URL must not upgrade");

    let (mut listener, _) = tokio_tungstenite::connect_async(presigned_push_url(&node_b.base_url, &keys, &pool_id, &identity_id, &devices[1]))
        .await
        .expect("the listener connects to node B");
    let ready = tokio::time::timeout(Duration::from_secs(5), listener.next()).await.unwrap().unwrap().unwrap();
    assert!(ready.to_text().unwrap().contains("ready"));

    let writes = 40;
    for sync_count in 0..writes {
        let (status, listed) = sync_call(&node_a.base_url, &keys, "GET", &format!("{dataset_path}/records"), json!({})).await;
        assert_eq!(status, 200, "{listed}");
        let body = json!({
            "DeviceId": devices[0],
            "SyncSessionToken": listed["SyncSessionToken"],
            "RecordPatches": [{"Op": "replace", "Key": "counter", "Value": sync_count.to_string(), "SyncCount": sync_count}],
        });
        let (status, written) = sync_call(&node_a.base_url, &keys, "POST", &dataset_path, body).await;
        assert_eq!(status, 200, "{written}");
    }
    let mut received = Vec::new();
    while received.len() < writes as usize {
        let message = tokio::time::timeout(Duration::from_secs(10), listener.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {writes} notifications arrived: {received:?}", received.len()))
            .unwrap()
            .unwrap();
        let notification: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
        assert_eq!(notification["source"], "cognito-sync");
        assert_eq!(notification["identityId"], identity_id.as_str());
        assert_eq!(notification["datasetName"], "settings");
        received.push(notification["syncCount"].as_i64().unwrap());
    }
    assert_eq!(received, (1..=writes).collect::<Vec<_>>(), "every change arrives once, in order");
}

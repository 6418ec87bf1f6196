//! A PostgreSQL outage, made by cutting a loopback TCP relay between one node and the shared
//! test server: `/health` and requests answer 503 within seconds instead of waiting out a long
//! pool timeout, and the node recovers when the database is back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

use crate::federation::root;
use crate::harness::{test_config, Backend, TestServer};
use crate::trust::idp_call;

/// Forwards connections to `target` until cut; while cut, it drops every connection.
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (cut_flag, link_list) = (cut.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                if cut_flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                link_list.lock().unwrap().push(link);
            }
        });
        Relay { port, cut, links }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

async fn timed_health(server: &TestServer) -> (u16, Duration) {
    let started = Instant::now();
    let status = reqwest::get(format!("{}/health", server.base_url)).await.map(|response| response.status().as_u16()).unwrap_or(0);
    (status, started.elapsed())
}

/// A node whose PostgreSQL connections all go through a relay the test can cut.
async fn node_behind_relay() -> (TestServer, Relay) {
    let data = Arc::new(tempfile::tempdir().unwrap());
    let direct = crate::harness::database_url(Backend::Postgres, data.path()).await;
    let rest = direct.strip_prefix("postgres://postgres@").unwrap();
    let (address, database) = rest.split_once('/').unwrap();
    let relay = Relay::start(address.to_string()).await;
    let url = format!("postgres://postgres@127.0.0.1:{}/{database}", relay.port);
    (TestServer::start_with(test_config(data.path(), &url), data).await, relay)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_quickly_and_recovers() {
    let (server, relay) = node_behind_relay().await;
    let pool = crate::harness::create_pool(&server).await;
    let (status, client) = idp_call(&server.base_url, &root(), "CreateUserPoolClient", json!({"UserPoolId": pool, "ClientName": "app", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})).await;
    assert_eq!(status, 200, "{client}");
    let client_id = client["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    // A sign-in asks the database only for the configuration version (its own connection) and
    // the user: both must fail fast in the outage and work again after it.
    let sign_in = json!({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "nobody", "PASSWORD": "Passw0rd!x"}});
    let (status, body) = idp_call(&server.base_url, &root(), "InitiateAuth", sign_in.clone()).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("UserNotFoundException")), "{body}");
    // A refresh reads its token, user and groups over the same kind of connection.
    let user = json!({"UserPoolId": pool, "Username": "eve", "MessageAction": "SUPPRESS"});
    assert_eq!(idp_call(&server.base_url, &root(), "AdminCreateUser", user).await.0, 200);
    let password = json!({"UserPoolId": pool, "Username": "eve", "Password": "Good-Pass-123", "Permanent": true});
    assert_eq!(idp_call(&server.base_url, &root(), "AdminSetUserPassword", password).await.0, 200);
    let eve = json!({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "eve", "PASSWORD": "Good-Pass-123"}});
    let (status, body) = idp_call(&server.base_url, &root(), "InitiateAuth", eve).await;
    assert_eq!(status, 200, "{body}");
    let refresh = json!({"ClientId": client_id, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": body["AuthenticationResult"]["RefreshToken"]}});
    let (status, body) = idp_call(&server.base_url, &root(), "InitiateAuth", refresh.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(timed_health(&server).await.0, 200);

    relay.cut();
    let (status, took) = timed_health(&server).await;
    assert_eq!(status, 503, "the outage shows in /health");
    assert!(took < Duration::from_secs(2), "/health answered after {took:?}");
    let started = Instant::now();
    let (status, body) = idp_call(&server.base_url, &root(), "DescribeUserPool", json!({"UserPoolId": pool})).await;
    let took = started.elapsed();
    assert_eq!((status, body["__type"].as_str()), (503, Some("ServiceUnavailableException")), "{body}");
    assert!(took < Duration::from_secs(5), "a request answered after {took:?}");
    let started = Instant::now();
    let (status, body) = idp_call(&server.base_url, &root(), "InitiateAuth", sign_in.clone()).await;
    let took = started.elapsed();
    assert_eq!((status, body["__type"].as_str()), (503, Some("ServiceUnavailableException")), "{body}");
    assert!(took < Duration::from_secs(5), "a sign-in answered after {took:?}");
    let started = Instant::now();
    let (status, body) = idp_call(&server.base_url, &root(), "InitiateAuth", refresh.clone()).await;
    assert_eq!((status, body["__type"].as_str()), (503, Some("ServiceUnavailableException")), "{body}");
    assert!(started.elapsed() < Duration::from_secs(5), "a refresh answered after {:?}", started.elapsed());

    relay.restore();
    let mut recovered = false;
    for _ in 0..50 {
        if timed_health(&server).await.0 == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the node serves again once the database is back");
    let (status, body) = idp_call(&server.base_url, &root(), "DescribeUserPool", json!({"UserPoolId": pool})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = idp_call(&server.base_url, &root(), "InitiateAuth", sign_in).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("UserNotFoundException")), "{body}");
    let (status, body) = idp_call(&server.base_url, &root(), "InitiateAuth", refresh).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["AuthenticationResult"]["AccessToken"].is_string(), "{body}");
}

/// A device connected to a node whose listener for other nodes' changes lost PostgreSQL is
/// told to resynchronise when the listener is back (changes may have been missed meanwhile),
/// and a node that shuts down closes its WebSockets with a close frame (1001).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_devices_resynchronise_after_an_outage_and_get_a_close_frame_at_shutdown() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;

    use crate::sync_push::{encode, presigned_push_url, sync_call, SYNC_POLICY};

    let (server, relay) = node_behind_relay().await;
    let base = server.base_url.clone();

    let (pool_id, _) = crate::federation::guest_pool_with_policy(&base, SYNC_POLICY).await;
    let (identity_id, keys) = crate::federation::guest_credentials(&base, &pool_id).await;
    let device_path = format!("/identitypools/{}/identity/{}/device", encode(&pool_id), encode(&identity_id));
    let (status, body) = sync_call(&base, &keys, "POST", &device_path, json!({"Platform": "GCM", "Token": "t"})).await;
    assert_eq!(status, 200, "{body}");
    let device = body["DeviceId"].as_str().unwrap().to_string();
    let (mut socket, _) = tokio_tungstenite::connect_async(presigned_push_url(&base, &keys, &pool_id, &identity_id, &device)).await.expect("the device connects");
    let ready = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap().unwrap().unwrap();
    assert!(ready.to_text().unwrap().contains("ready"));

    relay.cut();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    relay.restore();
    let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a message after the outage").unwrap().unwrap();
    let text: serde_json::Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
    assert_eq!(text["type"], "resync", "{text}");

    let stopping = tokio::spawn(server.stop());
    let closing = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("a frame at shutdown").unwrap().unwrap();
    match closing {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("expected a close frame, got {other:?}"),
    }
    tokio::time::timeout(Duration::from_secs(5), stopping).await.expect("the server stops within its drain").unwrap();
}

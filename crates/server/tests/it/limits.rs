//! What a connection may hold: a client that never finishes its headers, an idle kept-alive
//! socket, a body that trickles, more connections than the cap, and a half-sent request at
//! SIGTERM are each ended within their bound.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{database_url, test_config, Backend, TestServer};

async fn server_with(limits: cognate_server::config::ConnectionLimits) -> TestServer {
    let data = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Sqlite, data.path()).await;
    let mut config = test_config(data.path(), &url);
    config.connections = limits;
    TestServer::start_with(config, data).await
}

fn address(server: &TestServer) -> String {
    server.base_url.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection; the time it took and what it sent.
async fn until_closed(stream: &mut TcpStream, patience: Duration) -> Option<(Duration, String)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(patience.saturating_sub(started.elapsed()), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some((started.elapsed(), String::from_utf8_lossy(&received).into_owned())),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_) => return None,
        }
    }
}

fn limits(header_seconds: u64, request_seconds: u64, max_connections: usize) -> cognate_server::config::ConnectionLimits {
    cognate_server::config::ConnectionLimits {
        max_connections,
        header_timeout: Duration::from_secs(header_seconds),
        request_timeout: Duration::from_secs(request_seconds),
        drain: Duration::from_secs(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_sockets_are_closed() {
    let server = server_with(limits(1, 30, 64)).await;
    // Headers that never end (slowloris).
    let mut slow = TcpStream::connect(address(&server)).await.unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSCognitoIdentityProviderService.ListUserPools\r\n").await.unwrap();
    // A socket that never says anything.
    let mut idle = TcpStream::connect(address(&server)).await.unwrap();
    // A kept-alive connection, idle after its first answer.
    let mut kept = TcpStream::connect(address(&server)).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut first = [0u8; 512];
    let read = kept.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&first[..read]));
    for (name, stream) in [("slow headers", &mut slow), ("idle socket", &mut idle), ("idle keep-alive", &mut kept)] {
        let (after, _) = until_closed(stream, Duration::from_secs(10)).await.unwrap_or_else(|| panic!("{name}: still open after 10 s"));
        assert!(after < Duration::from_secs(4), "{name}: closed only after {after:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_body_gets_a_timeout() {
    let server = server_with(limits(10, 1, 64)).await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\nContent-Length: 1000\r\n\r\n{\"ClientId\":")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 2048];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await.expect("an answer within 10 s").unwrap();
    let answer = String::from_utf8_lossy(&buffer[..read]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("RequestTimeoutException"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    // The query protocol's answer is its XML error.
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nAction=GetCallerIdentity")
        .await
        .unwrap();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await.expect("an answer within 10 s").unwrap();
    let answer = String::from_utf8_lossy(&buffer[..read]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408") && answer.contains("<Code>RequestTimeout</Code>"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_closed_and_the_port_stays_up() {
    let server = server_with(limits(30, 30, 4)).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(address(&server)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(address(&server)).await.unwrap();
    let _ = extra.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    let (_, answer) = until_closed(&mut extra, Duration::from_secs(5)).await.expect("the connection over the cap is closed at once");
    assert!(answer.is_empty(), "no answer over the cap: {answer}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = reqwest::get(format!("{}/health", server.base_url)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "places come back when connections close");
}

/// `cognate serve` with a half-sent request open exits within its drain deadline of SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_half_sent_request_exits_within_the_drain_deadline() {
    let data_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cognate"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--header-timeout-seconds", "60", "--drain-seconds", "1"])
        .arg("--data-dir")
        .arg(data_dir.path())
        .env("COGNATE_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start cognate");
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..200 {
        if reqwest::get(format!("{base}/health")).await.is_ok_and(|response| response.status().is_success()) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "cognate did not become ready");
    let mut half = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    half.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "{exit:?}");
            break;
        }
        if started.elapsed() > Duration::from_secs(8) {
            let _ = child.kill();
            panic!("still running 8 s after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(4), "exited after {:?}", started.elapsed());
}

async fn server_with_rates(per_address: u32, per_client: u32) -> TestServer {
    let data = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Sqlite, data.path()).await;
    let mut config = test_config(data.path(), &url);
    config.rate_limit_per_address = per_address;
    config.rate_limit_per_client = per_client;
    TestServer::start_with(config, data).await
}

async fn sign_in_burst(server: &TestServer, client: &str, count: usize) -> Vec<(u16, serde_json::Value)> {
    let requests = (0..count).map(|index| {
        let body = serde_json::json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": format!("nobody{index}"), "PASSWORD": "Wrong-Pass-1"}});
        let base = server.base_url.clone();
        async move {
            let (status, value, _) = crate::harness::raw_post(&base, "AWSCognitoIdentityProviderService.InitiateAuth", &body.to_string()).await;
            (status, value)
        }
    });
    futures_util::future::join_all(requests).await
}

fn throttled(outcomes: &[(u16, serde_json::Value)]) -> usize {
    for (status, body) in outcomes {
        assert!(*status < 500, "{status} {body}");
    }
    outcomes.iter().filter(|(status, body)| *status == 429 && body["__type"] == "TooManyRequestsException").count()
}

/// Guessable requests are limited per source address and per app client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_is_rate_limited_per_address_and_per_client() {
    let server = server_with_rates(5, 0).await;
    let pool = crate::harness::create_pool(&server).await;
    let client = crate::harness::password_client(&server, &pool).await;
    let outcomes = sign_in_burst(&server, &client, 30).await;
    let refused = throttled(&outcomes);
    assert!((15..=20).contains(&refused), "a burst of 10 passes, the rest of 30 is refused: {refused}");
    // The hosted forms and the token endpoint are limited by address too.
    let login = reqwest::Client::new().post(format!("{}/{pool}/login", server.base_url)).body("username=a&password=b").send().await.unwrap();
    assert_eq!(login.status().as_u16(), 429);
    let token = reqwest::Client::new().post(format!("{}/{pool}/oauth2/token", server.base_url)).body("grant_type=client_credentials").send().await.unwrap();
    assert_eq!(token.status().as_u16(), 429);
    assert_eq!(token.json::<serde_json::Value>().await.unwrap()["error"], "slow_down");

    let server = server_with_rates(0, 5).await;
    let pool = crate::harness::create_pool(&server).await;
    let client = crate::harness::password_client(&server, &pool).await;
    let other = crate::harness::password_client(&server, &pool).await;
    let refused = throttled(&sign_in_burst(&server, &client, 30).await);
    assert!((15..=20).contains(&refused), "per client: {refused}");
    assert_eq!(throttled(&sign_in_burst(&server, &other, 5).await), 0, "another client has its own bucket");
}

/// Password checks run on a bounded pool: a flood of sign-ins for unknown users (each costs a
/// decoy Argon2id check) is partly shed as TooManyRequestsException, never answered with a
/// server error, and the server keeps answering other requests meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_shed_load_instead_of_blocking_the_server() {
    let server = server_with_rates(0, 0).await;
    let pool = crate::harness::create_pool(&server).await;
    let (status, created) = crate::trust::idp_call(
        &server.base_url,
        &crate::federation::root(),
        "CreateUserPoolClient",
        serde_json::json!({"UserPoolId": pool, "ClientName": "hidden", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"], "PreventUserExistenceErrors": "ENABLED"}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let client = created["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let flood = {
        let client = client.clone();
        let base = server.base_url.clone();
        tokio::spawn(async move {
            let requests = (0..240).map(|index| {
                let body = serde_json::json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": format!("ghost{index}"), "PASSWORD": "Wrong-Pass-1"}});
                let base = base.clone();
                async move { crate::harness::raw_post(&base, "AWSCognitoIdentityProviderService.InitiateAuth", &body.to_string()).await }
            });
            futures_util::future::join_all(requests).await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let health = reqwest::get(format!("{}/health", server.base_url)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let health_took = started.elapsed();
    let outcomes = flood.await.unwrap();
    let shed = outcomes.iter().filter(|(status, body, _)| *status == 429 && body["__type"] == "TooManyRequestsException").count();
    let refused = outcomes.iter().filter(|(_, body, _)| body["__type"] == "NotAuthorizedException").count();
    for (status, body, _) in &outcomes {
        assert!(*status < 500, "{status} {body}");
    }
    assert!(shed > 0, "a queue of 64 in front of the hashing threads sheds part of 240 at once: {shed} shed, {refused} refused");
    assert_eq!(shed + refused, 240);
    assert!(health_took < Duration::from_secs(2), "/health answered in {health_took:?} during the flood");
}

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

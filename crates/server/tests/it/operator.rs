//! Running cognate as an operator does: the `cognate` binary itself, started and signalled —
//! HTTPS with a certificate reloaded on SIGHUP, root credentials written and shown only when
//! the start succeeds, refusals of unsafe settings, `check-config`, the page at `/`, and
//! forwarding headers believed only from a trusted proxy.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::harness::{database_url, test_config, Backend, TestServer};

/// A certificate authority of its own and a server certificate it issued for 127.0.0.1 and
/// localhost, made by the system's `openssl`: (the authority's certificate, the server's
/// certificate, its key).
fn certificate(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let path = |suffix: &str| dir.join(format!("{name}{suffix}"));
    let run = |args: &[&str]| {
        let status = Command::new("openssl").args(args).current_dir(dir).stdout(Stdio::null()).stderr(Stdio::null()).status().expect("run openssl");
        assert!(status.success(), "openssl {args:?}");
    };
    let (ca, ca_key, cert, key, request, extensions) = (path("-ca.crt"), path("-ca.key"), path(".crt"), path(".key"), path(".csr"), path(".ext"));
    let text = |path: &PathBuf| path.to_str().unwrap().to_string();
    run(&["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", &format!("/CN={name} authority"), "-keyout", &text(&ca_key), "-out", &text(&ca)]);
    run(&["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-keyout", &text(&key), "-out", &text(&request)]);
    std::fs::write(&extensions, "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
    run(&["x509", "-req", "-in", &text(&request), "-CA", &text(&ca), "-CAkey", &text(&ca_key), "-CAcreateserial", "-days", "2", "-extfile", &text(&extensions), "-out", &text(&cert)]);
    (ca, cert, key)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn cognate(args: &[&str], data_dir: &Path) -> Command {
    // The clients of these tests take AWS-LC as rustls's provider, as the server's do.
    cognate_server::tls::install_crypto_provider();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cognate"));
    command.args(args).arg("--data-dir").arg(data_dir).env("COGNATE_LOG", "warn");
    command
}

/// A client that trusts only `cert`, on fresh connections each time.
fn trusting(cert: &Path) -> reqwest::Client {
    let pem = std::fs::read(cert).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn wait_until_ready(client: &reqwest::Client, base: &str, child: &mut Child) {
    for _ in 0..200 {
        if client.get(format!("{base}/health")).send().await.is_ok_and(|response| response.status().is_success()) {
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "cognate exited before it was ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cognate did not become ready at {base}");
}

fn stop(mut child: Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

/// `--tls-cert`/`--tls-key` serve HTTPS (the public URL defaults to https://), a plain-HTTP
/// client gets nowhere, and SIGHUP swaps the certificate for new connections; a broken file on
/// SIGHUP keeps the certificate in use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_certificate_reloaded_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (first_ca, first_cert, first_key) = certificate(dir.path(), "first");
    let (second_ca, second_cert, second_key) = certificate(dir.path(), "second");
    let (cert, key) = (dir.path().join("live.crt"), dir.path().join("live.key"));
    std::fs::copy(&first_cert, &cert).unwrap();
    std::fs::copy(&first_key, &key).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = cognate(&["serve", "--listen", &listen, "--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()], &dir.path().join("data"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("https://{listen}");
    let (first, second) = (trusting(&first_ca), trusting(&second_ca));
    wait_until_ready(&first, &base, &mut child).await;

    let landing = first.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(landing.status(), 200);
    assert!(landing.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = landing.text().await.unwrap();
    assert!(page.contains("identity broker") && page.contains(&base), "the page names cognate and its https public URL: {page}");
    assert!(second.get(format!("{base}/health")).send().await.is_err(), "the second certificate is not served yet");
    assert!(reqwest::get(format!("http://{listen}/health")).await.is_err(), "plain HTTP is not answered on the TLS port");

    std::fs::copy(&second_cert, &cert).unwrap();
    std::fs::copy(&second_key, &key).unwrap();
    assert!(Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap().success());
    let mut swapped = false;
    for _ in 0..100 {
        if second.get(format!("{base}/health")).send().await.is_ok() {
            swapped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(swapped, "after SIGHUP new connections get the second certificate");
    assert!(first.get(format!("{base}/health")).send().await.is_err(), "and no longer the first");

    std::fs::write(&cert, "not a certificate").unwrap();
    assert!(Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap().success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(child.try_wait().unwrap().is_none(), "a broken certificate file does not stop the server");
    assert_eq!(second.get(format!("{base}/health")).send().await.unwrap().status(), 200, "the certificate in use stays");
    stop(child);
}

/// Root credentials generated on a first start are written, and printed, only when the start
/// succeeds: a busy port leaves nothing behind, and the next successful start shows them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_root_credentials_are_kept_only_by_a_start_that_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = busy.local_addr().unwrap().to_string();
    let failed = cognate(&["serve", "--listen", &listen], &data).output().unwrap();
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains(&format!("listening on {listen}")), "{stderr}");
    assert!(!data.join("root-credentials").exists(), "a start that failed wrote no credentials");
    drop(busy);

    let port = free_port();
    let mut child = cognate(&["serve", "--listen", &format!("127.0.0.1:{port}")], &data).stdout(Stdio::piped()).spawn().unwrap();
    let plain = reqwest::Client::new();
    wait_until_ready(&plain, &format!("http://127.0.0.1:{port}"), &mut child).await;
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let printed = String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned();
    let stored = std::fs::read_to_string(data.join("root-credentials")).unwrap();
    let key_id = stored.lines().find_map(|line| line.strip_prefix("access_key_id=")).unwrap();
    assert!(printed.contains(&format!("export AWS_ACCESS_KEY_ID={key_id}")), "the credentials written are the ones shown: {printed}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(data.join("root-credentials")).unwrap().permissions().mode() & 0o777, 0o600);
}

/// Listening on every address without a public URL would issue tokens no client can verify:
/// refused, with the reason.
#[test]
fn listening_everywhere_needs_a_public_url() {
    let dir = tempfile::tempdir().unwrap();
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let refused = cognate(&["serve", "--listen", listen], &dir.path().join("data")).output().unwrap();
        assert!(!refused.status.success(), "{listen}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("--public-url") && stderr.contains("issuer"), "{stderr}");
        assert!(!dir.path().join("data").exists(), "nothing was created");
    }
}

/// `check-config` hides every secret, the password of a database URL included, and checks that
/// the database answers (without creating an SQLite file that is not there yet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_redacts_secrets_and_checks_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let unreachable = cognate(&["check-config", "--database-url", "postgres://cognate:hunter2@127.0.0.1:1/cognate", "--master-key", &"ab".repeat(32)], &data)
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&unreachable.stdout), String::from_utf8_lossy(&unreachable.stderr));
    assert!(!unreachable.status.success(), "an unreachable database fails the check: {all}");
    assert!(!all.contains("hunter2") && !all.contains(&"ab".repeat(32)), "no secret shows: {all}");
    assert!(all.contains("postgres://cognate:***@127.0.0.1:1/cognate"), "{all}");

    let postgres = cognate_store::testing::fresh_postgres_database().await;
    let reachable = cognate(&["check-config", "--database-url", &postgres], &data).output().unwrap();
    let stdout = String::from_utf8_lossy(&reachable.stdout);
    assert!(reachable.status.success(), "{stdout}{}", String::from_utf8_lossy(&reachable.stderr));
    assert!(stdout.contains("reachable (PostgreSQL") && stdout.contains("not yet migrated"), "{stdout}");

    let sqlite = cognate(&["check-config"], &data).output().unwrap();
    let stdout = String::from_utf8_lossy(&sqlite.stdout);
    assert!(sqlite.status.success() && stdout.contains("does not exist yet"), "{stdout}");
    assert!(!data.join("cognate.db").exists(), "check-config creates no database");
}

async fn sign_in_burst(base: &str, client: &str, forwarded_for: impl Fn(usize) -> String) -> usize {
    let http = reqwest::Client::new();
    let requests = (0..30).map(|index| {
        let body = serde_json::json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": format!("nobody{index}"), "PASSWORD": "Wrong-Pass-1"}});
        http.post(format!("{base}/"))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
            .header("x-forwarded-for", forwarded_for(index))
            .body(body.to_string())
            .send()
    });
    let answers = futures_util::future::join_all(requests).await;
    answers.into_iter().filter(|answer| answer.as_ref().unwrap().status().as_u16() == 429).count()
}

/// A trusted proxy's X-Forwarded-For names the client the per-address limit counts; anyone
/// else's is ignored, so a client cannot escape the limit by writing the header itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_limit_counts_the_client_a_trusted_proxy_names() {
    for trusted in [true, false] {
        let data = Arc::new(tempfile::tempdir().unwrap());
        let url = database_url(Backend::Sqlite, data.path()).await;
        let mut config = test_config(data.path(), &url);
        config.rate_limit_per_address = 5;
        config.rate_limit_per_client = 0;
        if trusted {
            config.trusted_proxies = Arc::new(cognate_server::proxies::TrustedProxies::parse(&["127.0.0.0/8".into()]).unwrap());
        }
        let server = TestServer::start_with(config, data).await;
        let pool = crate::harness::create_pool(&server).await;
        let client = crate::harness::password_client(&server, &pool).await;
        let refused = sign_in_burst(&server.base_url, &client, |_| "198.51.100.1".into()).await;
        assert!((15..=20).contains(&refused), "one client's burst is limited (trusted proxy: {trusted}): {refused}");
        let spread = sign_in_burst(&server.base_url, &client, |index| format!("198.51.100.{}", 10 + index)).await;
        if trusted {
            assert_eq!(spread, 0, "thirty clients behind the proxy each have their own allowance");
        } else {
            assert!(spread >= 25, "the header of an untrusted peer is ignored: still one address, still limited: {spread}");
        }
        server.stop().await;
    }
}

/// `--log-format json` writes one JSON object per line; a failed request's line carries its
/// error code, in the JSON protocol and in the query protocol alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_error_code_of_a_failed_request() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = cognate(&["serve", "--log-format", "json", "--listen", &format!("127.0.0.1:{port}")], &dir.path().join("data"))
        .env("COGNATE_LOG", "info,sqlx=warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_ready(&http, &base, &mut child).await;
    let refused = http
        .post(format!("{base}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
        .body(r#"{"ClientId":"nosuchclient","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let unsigned = http.get(format!("{base}/?Action=GetCallerIdentity&Version=2011-06-15")).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let output = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("every log line is JSON"))
        .collect();
    let request = |operation: &str| lines.iter().find(|line| line["message"] == "request" && line["operation"] == operation).cloned();
    let initiate = request("InitiateAuth").expect("the InitiateAuth request line");
    assert_eq!((initiate["status"].as_u64(), initiate["error"].as_str()), (Some(400), Some("ResourceNotFoundException")), "{initiate}");
    let caller = request("GetCallerIdentity").expect("the GetCallerIdentity request line");
    assert_eq!(caller["error"], "MissingAuthenticationToken", "{caller}");
    assert!(lines.iter().any(|line| line["message"] == "request" && line["operation"] == "-" && line["error"] == "-"), "successful requests log error \"-\"");
}

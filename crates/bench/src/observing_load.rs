//! `cognate-load observing`: what counting and sign-in history cost a password sign-in. Two
//! servers of the same build: --endpoint with the defaults (metrics counted, every sign-in
//! recorded in the user's history) and --bare-endpoint started with `--metrics false
//! --auth-event-retention-days 0`. Each gets a pool, a client and --users users; then
//! USER_PASSWORD_AUTH sign-ins run at --concurrency against one, then the other, for --rounds
//! rounds of --seconds each (alternating, so drift falls on both), and the sign-ins per second of
//! each are reported with their ratio. Last, the time to scrape `GET /metrics` from the first.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{idp_setup, unsigned_json, uuid_like, Signer};

const PASSWORD: &str = "Observe-Load-Pass-1";

/// A pool, its client and the users' name prefix on one server.
struct Target {
    endpoint: String,
    pool: String,
    client_id: String,
    prefix: String,
}

async fn prepare(endpoint: &str, signer: &Signer, users: usize) -> Target {
    let pool = idp_setup(endpoint, signer, "CreateUserPool", serde_json::json!({"PoolName": format!("observe{}", uuid_like() % 1_000_000)})).await;
    let pool = pool["UserPool"]["Id"].as_str().expect("a pool id").to_string();
    let client = idp_setup(endpoint, signer, "CreateUserPoolClient", serde_json::json!({"UserPoolId": pool, "ClientName": "observe",
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}))
    .await;
    let client_id = client["UserPoolClient"]["ClientId"].as_str().expect("a client id").to_string();
    let prefix = "observer-".to_string();
    for index in 0..users {
        let username = format!("{prefix}{index}");
        idp_setup(endpoint, signer, "AdminCreateUser", serde_json::json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS"})).await;
        idp_setup(endpoint, signer, "AdminSetUserPassword", serde_json::json!({"UserPoolId": pool, "Username": username, "Password": PASSWORD, "Permanent": true})).await;
    }
    Target { endpoint: endpoint.to_string(), pool, client_id, prefix }
}

/// Signs in for `duration` at `concurrency`; the sign-ins that got tokens and the errors.
async fn sign_ins(target: &Arc<Target>, users: usize, concurrency: usize, duration: Duration) -> (usize, usize) {
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, target, next) = (http.clone(), target.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let (mut done, mut errors) = (0usize, 0usize);
            while Instant::now() < deadline {
                let username = format!("{}{}", target.prefix, next.fetch_add(1, Ordering::Relaxed) % users.max(1));
                let answer = unsigned_json(&http, &target.endpoint, "AWSCognitoIdentityProviderService.InitiateAuth", &serde_json::json!({
                    "ClientId": target.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD},
                }))
                .await;
                match answer {
                    Ok(answer) if answer["AuthenticationResult"]["AccessToken"].is_string() => done += 1,
                    other => {
                        if errors == 0 {
                            eprintln!("a sign-in failed: {other:?}");
                        }
                        errors += 1;
                    }
                }
            }
            (done, errors)
        }));
    }
    let mut totals = (0, 0);
    for worker in workers {
        let (done, errors) = worker.await.expect("a sign-in worker");
        totals.0 += done;
        totals.1 += errors;
    }
    totals
}

#[allow(clippy::too_many_arguments)]
pub async fn run(endpoint: &str, bare_endpoint: &str, signer: &Signer, users: usize, concurrency: usize, seconds: u64, rounds: usize) {
    let observed = Arc::new(prepare(endpoint, signer, users).await);
    let bare = Arc::new(prepare(bare_endpoint, signer, users).await);
    let phase = Duration::from_secs(seconds);
    // One short warm-up on each: connections, caches, the Argon2 memory of each CPU thread.
    sign_ins(&observed, users, concurrency, Duration::from_secs(1)).await;
    sign_ins(&bare, users, concurrency, Duration::from_secs(1)).await;
    let (mut with, mut without, mut errors) = (0usize, 0usize, 0usize);
    for _ in 0..rounds.max(1) {
        let (done, failed) = sign_ins(&observed, users, concurrency, phase).await;
        with += done;
        errors += failed;
        let (done, failed) = sign_ins(&bare, users, concurrency, phase).await;
        without += done;
        errors += failed;
    }
    let span = phase.as_secs_f64() * rounds.max(1) as f64;
    let (rate_with, rate_without) = (with as f64 / span, without as f64 / span);
    println!(
        "password sign-ins at concurrency {concurrency}, {} round(s) of {seconds} s each: with metrics and history {rate_with:.1}/s, without {rate_without:.1}/s; ratio {:.3} ({errors} errors)",
        rounds.max(1),
        rate_with / rate_without.max(f64::MIN_POSITIVE),
    );

    // The history the observed server kept (a check that it was on), and the scrape's cost.
    let listed = idp_setup(endpoint, signer, "AdminListUserAuthEvents", serde_json::json!({"UserPoolId": observed.pool, "Username": format!("{}0", observed.prefix), "MaxResults": 60})).await;
    let kept = listed["AuthEvents"].as_array().map_or(0, Vec::len);
    let http = reqwest::Client::new();
    let mut scrapes = Vec::new();
    let mut size = 0;
    for _ in 0..50 {
        let begun = Instant::now();
        let response = http
            .get(format!("{endpoint}/metrics"))
            .basic_auth(&signer.access_key_id, Some(&signer.secret_access_key))
            .send()
            .await
            .expect("GET /metrics");
        assert!(response.status().is_success(), "GET /metrics answered {}", response.status());
        size = response.bytes().await.expect("the metrics").len();
        scrapes.push(begun.elapsed());
    }
    scrapes.sort();
    println!(
        "history kept for user 0: {kept} event(s) on the first page; GET /metrics: {size} bytes, p50 {:.2} ms, p99 {:.2} ms over {} scrapes",
        scrapes[scrapes.len() / 2].as_secs_f64() * 1000.0,
        scrapes[scrapes.len() * 99 / 100].as_secs_f64() * 1000.0,
        scrapes.len()
    );
}

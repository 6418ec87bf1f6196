//! `cognate-load peer`: one sign-in and refresh workload run against cognate and against a
//! peer server that speaks cognito-idp (moto's server mode, for one), in one run on one machine.
//! For each server: a pool, a client and --users users made through the admin API, then
//! USER_PASSWORD_AUTH sign-ins and REFRESH_TOKEN_AUTH refreshes, each at --concurrency for
//! --seconds; requests per second, p50/p99, and requests per server CPU-second when the
//! server's process id is given.

use super::*;

/// One server under test.
pub(crate) struct Peer {
    pub(crate) name: &'static str,
    pub(crate) endpoint: String,
    pub(crate) pid: Option<u32>,
    pub(crate) signer: Signer,
}

/// What one phase measured.
struct Phase {
    ok: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
    cpu_seconds: Option<f64>,
    first_error: Option<String>,
}

/// Sends the unsigned cognito-idp InitiateAuth bodies `body(n)` at `concurrency` until `duration` passes.
async fn drive(endpoint: &str, pid: Option<u32>, concurrency: usize, duration: Duration, body: Arc<dyn Fn(usize) -> String + Send + Sync>) -> Phase {
    let client = reqwest::Client::new();
    let cpu_at_start = pid.and_then(server_cpu::cpu_seconds);
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for worker_index in 0..concurrency {
        let (client, endpoint, body) = (client.clone(), endpoint.to_string(), body.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0usize, None::<String>);
            let mut counter = worker_index;
            while Instant::now() < deadline {
                counter += concurrency;
                let started = Instant::now();
                let sent = client
                    .post(format!("{endpoint}/"))
                    .header("content-type", "application/x-amz-json-1.1")
                    .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
                    .body(body(counter))
                    .send()
                    .await;
                let outcome = match sent {
                    Ok(response) if response.status().is_success() => response.bytes().await.map(|_| ()).map_err(|error| error.to_string()),
                    Ok(response) => Err(format!("{}: {}", response.status(), response.text().await.unwrap_or_default())),
                    Err(error) => Err(error.to_string()),
                };
                latencies.push(started.elapsed());
                if let Err(error) = outcome {
                    errors += 1;
                    first_error.get_or_insert(error);
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0, None);
    for worker in workers {
        let (worker_latencies, worker_errors, worker_error) = worker.await.expect("a load worker");
        latencies.extend(worker_latencies);
        errors += worker_errors;
        first_error = first_error.or(worker_error);
    }
    let cpu_seconds = match (pid.and_then(server_cpu::cpu_seconds), cpu_at_start) {
        (Some(end), Some(start)) => Some(end - start),
        _ => None,
    };
    latencies.sort();
    let percentile = |fraction: f64| {
        latencies.get(((latencies.len() as f64 * fraction) as usize).min(latencies.len().saturating_sub(1))).map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
    };
    Phase { ok: latencies.len() - errors, errors, p50_ms: percentile(0.5), p99_ms: percentile(0.99), cpu_seconds, first_error }
}

/// A pool, a password client and `users` users with `SEEDED_PASSWORD` on `peer`; the client id.
async fn set_up(peer: &Peer, users: usize) -> String {
    let name = format!("peer{}", uuid_like() % 1_000_000);
    let pool = idp_setup(&peer.endpoint, &peer.signer, "CreateUserPool", serde_json::json!({"PoolName": name})).await;
    let pool_id = pool["UserPool"]["Id"].as_str().expect("a pool id").to_string();
    let client = idp_setup(&peer.endpoint, &peer.signer, "CreateUserPoolClient", serde_json::json!({
        "UserPoolId": pool_id, "ClientName": "peer", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    }))
    .await;
    let client_id = client["UserPoolClient"]["ClientId"].as_str().expect("a client id").to_string();
    for index in 0..users {
        let username = format!("user{index:07}");
        idp_setup(&peer.endpoint, &peer.signer, "AdminCreateUser", serde_json::json!({"UserPoolId": pool_id, "Username": username, "MessageAction": "SUPPRESS"})).await;
        idp_setup(&peer.endpoint, &peer.signer, "AdminSetUserPassword", serde_json::json!({
            "UserPoolId": pool_id, "Username": username, "Password": cognate_bench::SEEDED_PASSWORD, "Permanent": true,
        }))
        .await;
    }
    client_id
}

fn report(peer: &Peer, phase_name: &str, phase: &Phase, duration: Duration) -> (f64, Option<f64>) {
    let rate = phase.ok as f64 / duration.as_secs_f64();
    let per_cpu = phase.cpu_seconds.map(|cpu| phase.ok as f64 / cpu.max(0.01));
    let cpu_text = match (phase.cpu_seconds, per_cpu) {
        (Some(cpu), Some(per_cpu)) => format!("; server CPU {cpu:.2} s, {per_cpu:.0} per server CPU-second"),
        _ => String::new(),
    };
    println!(
        "{:<8} {phase_name:<8} {rate:>7.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors{cpu_text}",
        peer.name, phase.p50_ms, phase.p99_ms, phase.errors
    );
    if let Some(error) = &phase.first_error {
        eprintln!("{} {phase_name}: first error: {error}", peer.name);
    }
    (rate, per_cpu)
}

pub(crate) async fn peer_load(peers: [Peer; 2], users: usize, concurrency: usize, duration: Duration) {
    let mut figures = Vec::new();
    for peer in &peers {
        let started = Instant::now();
        let client_id = set_up(peer, users).await;
        eprintln!("{}: a pool, a client and {users} users in {:.1} s", peer.name, started.elapsed().as_secs_f64());
        let sign_in_client = client_id.clone();
        let sign_in = drive(&peer.endpoint, peer.pid, concurrency, duration, Arc::new(move |n| {
            serde_json::json!({"ClientId": sign_in_client, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": format!("user{:07}", n % users.max(1)), "PASSWORD": cognate_bench::SEEDED_PASSWORD}})
            .to_string()
        }))
        .await;
        let signed_in = unsigned_json(&reqwest::Client::new(), &peer.endpoint, "AWSCognitoIdentityProviderService.InitiateAuth", &serde_json::json!({
            "ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "user0000000", "PASSWORD": cognate_bench::SEEDED_PASSWORD},
        }))
        .await
        .expect("a sign-in for the refresh token");
        let refresh_token = signed_in["AuthenticationResult"]["RefreshToken"].as_str().expect("a refresh token").to_string();
        let refresh_body = serde_json::json!({"ClientId": client_id, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": refresh_token}}).to_string();
        let refresh = drive(&peer.endpoint, peer.pid, concurrency, duration, Arc::new(move |_| refresh_body.clone())).await;
        figures.push((report(peer, "sign-in", &sign_in, duration), report(peer, "refresh", &refresh, duration)));
    }
    let ratio = |ours: f64, theirs: f64| if theirs > 0.0 { format!("{:.2}", ours / theirs) } else { "-".into() };
    let [(ours_sign_in, ours_refresh), (theirs_sign_in, theirs_refresh)] = [figures[0], figures[1]];
    println!(
        "{} / {}: sign-in {} per second, refresh {} per second",
        peers[0].name,
        peers[1].name,
        ratio(ours_sign_in.0, theirs_sign_in.0),
        ratio(ours_refresh.0, theirs_refresh.0)
    );
    if let (Some(ours_sign_in), Some(theirs_sign_in), Some(ours_refresh), Some(theirs_refresh)) = (ours_sign_in.1, theirs_sign_in.1, ours_refresh.1, theirs_refresh.1) {
        println!(
            "{} / {}: sign-in {} per server CPU-second, refresh {} per server CPU-second",
            peers[0].name,
            peers[1].name,
            ratio(ours_sign_in, theirs_sign_in),
            ratio(ours_refresh, theirs_refresh)
        );
    }
}

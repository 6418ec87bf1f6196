//! `cognate-load srp`: SRP sign-ins (USER_SRP_AUTH, then PASSWORD_VERIFIER) per second. Set-up:
//! an app client allowing SRP in --pool and --users users with a known password (set through
//! the admin API, so each has an SRP verifier). Each sign-in is two unsigned requests; the
//! client's own SRP arithmetic runs in this process, on the same cores, and its share of each
//! sign-in is reported beside the throughput.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cognate_domain::srp::{format_timestamp, ClientAttempt};

use super::{signed_setup_call, unsigned_json, uuid_like, Signer};

const PASSWORD: &str = "Srp-Load-Pass-1";

pub async fn run(endpoint: &str, signer: &Signer, pool: &str, users: usize, concurrency: usize, duration: Duration) {
    let idp = |operation: &str| format!("AWSCognitoIdentityProviderService.{operation}");
    let target = idp("CreateUserPoolClient");
    let created: serde_json::Value = serde_json::from_str(
        &signed_setup_call(endpoint, signer, "cognito-idp", &[("x-amz-target", target.as_str())],
            &serde_json::json!({"UserPoolId": pool, "ClientName": "srp-load",
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}).to_string()).await,
    )
    .unwrap();
    let client_id = created["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let prefix = format!("srp{}-", uuid_like() % 1_000_000);
    for index in 0..users {
        let username = format!("{prefix}{index}");
        for (operation, body) in [
            ("AdminCreateUser", serde_json::json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS"})),
            ("AdminSetUserPassword", serde_json::json!({"UserPoolId": pool, "Username": username, "Password": PASSWORD, "Permanent": true})),
        ] {
            let target = idp(operation);
            signed_setup_call(endpoint, signer, "cognito-idp", &[("x-amz-target", target.as_str())], &body.to_string()).await;
        }
    }

    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, endpoint, pool, client_id, prefix, next) = (http.clone(), endpoint.to_string(), pool.to_string(), client_id.clone(), prefix.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut client_time, mut errors) = (Vec::new(), Duration::ZERO, 0usize);
            while Instant::now() < deadline {
                let username = format!("{prefix}{}", next.fetch_add(1, Ordering::Relaxed) % users.max(1));
                let begun = Instant::now();
                let outcome = sign_in(&http, &endpoint, &pool, &client_id, &username, &mut client_time).await;
                latencies.push(begun.elapsed());
                if let Err(error) = outcome {
                    if errors == 0 {
                        eprintln!("srp sign-in failed: {error}");
                    }
                    errors += 1;
                }
            }
            (latencies, client_time, errors)
        }));
    }
    let (mut latencies, mut client_time, mut errors) = (Vec::new(), Duration::ZERO, 0);
    for worker in workers {
        let (worker_latencies, worker_client_time, worker_errors) = worker.await.unwrap();
        latencies.extend(worker_latencies);
        client_time += worker_client_time;
        errors += worker_errors;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile = |fraction: f64| latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1)];
    println!(
        "srp sign-ins: {} in {:.1} s at concurrency {concurrency}: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {errors} errors; client-side SRP arithmetic {:.2} ms per sign-in",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
        client_time.as_secs_f64() * 1000.0 / latencies.len().max(1) as f64,
    );
}

async fn sign_in(http: &reqwest::Client, endpoint: &str, pool: &str, client_id: &str, username: &str, client_time: &mut Duration) -> Result<(), String> {
    let computing = Instant::now();
    let attempt = ClientAttempt::new();
    *client_time += computing.elapsed();
    let challenge = unsigned_json(http, endpoint, "AWSCognitoIdentityProviderService.InitiateAuth", &serde_json::json!({
        "ClientId": client_id, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": {"USERNAME": username, "SRP_A": attempt.big_a_hex()},
    }))
    .await?;
    let parameters = &challenge["ChallengeParameters"];
    let text = |name: &str| parameters[name].as_str().unwrap_or("").to_string();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let timestamp = format_timestamp(now);
    let computing = Instant::now();
    let signature = attempt
        .claim(cognate_domain::srp::pool_name(pool), &text("USER_ID_FOR_SRP"), PASSWORD, &text("SALT"), &text("SRP_B"), &text("SECRET_BLOCK"), &timestamp)
        .ok_or("the server's SRP_B was refused")?;
    *client_time += computing.elapsed();
    let answer = unsigned_json(http, endpoint, "AWSCognitoIdentityProviderService.RespondToAuthChallenge", &serde_json::json!({
        "ClientId": client_id, "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeResponses": {"USERNAME": text("USER_ID_FOR_SRP"), "PASSWORD_CLAIM_SECRET_BLOCK": text("SECRET_BLOCK"),
            "PASSWORD_CLAIM_SIGNATURE": signature, "TIMESTAMP": timestamp},
    }))
    .await?;
    if answer["AuthenticationResult"]["AccessToken"].is_string() {
        Ok(())
    } else {
        Err(format!("no tokens: {answer}"))
    }
}

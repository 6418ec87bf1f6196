#![forbid(unsafe_code)]
//! `cognate-load`: drives a running cognate server from a separate process, on loopback only,
//! for a bounded time, and prints throughput and latency percentiles. Also measures start-up
//! time and idle memory, and seeds large pools.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use clap::Parser;

use cognate_server::aws::sigv4;

mod code_load;
mod identity_load;
mod oauth_load;
mod run_load;
mod server_cpu;
mod signer;
mod startup;

use identity_load::{identity_load, unsigned_json};
use oauth_load::oauth_load;
use run_load::run;
use signer::Signer;
use startup::{startup, uuid_like};
mod srp_load;
mod sync_load;
mod totp_load;
mod setup;
use setup::{idp_setup, signed_setup_call, user_with_token};
mod passkey_load;
mod cli;
use cli::{Cli, Command};
mod trigger_load;
mod import_load;
mod gateway_load;
mod observing_load;
mod console_load;
mod peer_load;
mod scheduling;

#[tokio::main]
async fn main() {
    // Every reqwest client here takes AWS-LC as rustls's provider, as the server's do.
    cognate_server::tls::install_crypto_provider();
    let cli = Cli::parse();
    scheduling::yield_to_the_server(cli.normal_scheduling);
    match cli.command {
        Command::Startup { binary, runs } => startup(binary, runs).await,
        Command::Seed { database_url, users } => {
            if let Some(path) = database_url.strip_prefix("sqlite://") {
                if let Some(parent) = std::path::Path::new(path).parent() {
                    std::fs::create_dir_all(parent).expect("create the database directory");
                }
            }
            let store = cognate_store::SqlStore::connect(&database_url).await.expect("open the database");
            let started = Instant::now();
            let seeded = cognate_bench::seed_pool(Arc::new(store), users, 8).await;
            eprintln!(
                "seeded {users} users (password {}) in {:.1} s; pool id, then sign-in client id:",
                cognate_bench::SEEDED_PASSWORD,
                started.elapsed().as_secs_f64()
            );
            println!("{} {}", seeded.pool_id, seeded.client_id);
        }
        Command::Run {
            endpoint,
            target,
            body,
            index_range,
            concurrency,
            seconds,
            access_key_id,
            secret_access_key,
            region,
            refresh_from,
            server_pid,
            signatures,
            rounds,
        } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let body = match refresh_from {
                Some(spec) => body.replace("{refresh}", &first_refresh_token(&endpoint, &spec).await),
                None => body,
            };
            let signer = Arc::new(Signer { access_key_id, secret_access_key, region });
            let mut ratios = Vec::new();
            for _ in 0..rounds.max(1) {
                let watch = server_pid.map(|pid| server_cpu::CpuWatch::start(pid, signatures));
                let requests = run(endpoint.clone(), target.clone(), body.clone(), index_range.clone(), concurrency, Duration::from_secs(seconds.min(600)), signer.clone()).await;
                ratios.extend(watch.map(|watch| watch.report(requests)));
            }
            server_cpu::report_rounds(&ratios);
        }
        Command::Oauth { grant, endpoint, pool, concurrency, seconds, access_key_id, secret_access_key, region, server_pid, rounds } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            match grant.as_str() {
                "client_credentials" => oauth_load(&endpoint, &signer, &pool, concurrency, Duration::from_secs(seconds.min(600)), server_pid, rounds).await,
                "authorization_code" => code_load::run(&endpoint, &signer, &pool, concurrency, Duration::from_secs(seconds.min(600))).await,
                other => panic!("--grant must be client_credentials or authorization_code, not {other}"),
            }
        }
        Command::Argon2 { threads, mode, seconds } => {
            let rate = argon2_rate(threads, mode == "verify", Duration::from_secs(seconds.min(600)));
            println!("argon2id (m=19456 KiB, t=2, p=1) {mode} on {threads} threads: {rate:.1}/s");
        }
        Command::Totp { endpoint, pool, users, concurrency, seconds, access_key_id, secret_access_key, region } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            totp_load::run(&endpoint, &signer, &pool, users, concurrency, Duration::from_secs(seconds.min(600))).await
        }
        Command::Passkey { endpoint, pool, users, concurrency, seconds, access_key_id, secret_access_key, region } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            passkey_load::run(&endpoint, &signer, &pool, users, concurrency, Duration::from_secs(seconds.min(600))).await
        }
        Command::Console { endpoint, pool, filter_prefix, requests, access_key_id, secret_access_key } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region: "us-east-1".into() };
            console_load::run(&endpoint, &signer, &pool, &filter_prefix, requests.max(1)).await
        }
        Command::Observing { endpoint, bare_endpoint, users, concurrency, seconds, rounds, access_key_id, secret_access_key, region } => {
            assert!(is_loopback(&endpoint) && is_loopback(&bare_endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            observing_load::run(&endpoint, &bare_endpoint, &signer, users, concurrency, seconds.min(600), rounds).await
        }
        Command::Srp { endpoint, pool, users, concurrency, seconds, access_key_id, secret_access_key, region } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            srp_load::run(&endpoint, &signer, &pool, users, concurrency, Duration::from_secs(seconds.min(600))).await
        }
        Command::Sync { endpoint, listen_endpoint, concurrency, seconds, writes, access_key_id, secret_access_key } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            assert!(listen_endpoint.as_deref().is_none_or(is_loopback), "cognate-load only sends traffic to loopback addresses");
            sync_load::run(endpoint, listen_endpoint, concurrency, Duration::from_secs(seconds.min(600)), writes, access_key_id, secret_access_key).await
        }
        Command::Triggers { endpoint, pool, lambda_listen, users, concurrency, seconds, access_key_id, secret_access_key, region } => {
            assert!(is_loopback(&endpoint) && is_loopback(&format!("http://{lambda_listen}")), "cognate-load only uses loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            trigger_load::run(&endpoint, &signer, &pool, &lambda_listen, users, concurrency, Duration::from_secs(seconds.min(600))).await
        }
        Command::Import { endpoint, pool, rows, server_pid, access_key_id, secret_access_key, region } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            import_load::run(&endpoint, &signer, &pool, rows, server_pid).await
        }
        Command::Gateway { endpoint, gateway, upstream_listen, server_pid, concurrency, seconds, large_mib, access_key_id, secret_access_key } => {
            let loopback = is_loopback(&endpoint) && is_loopback(&gateway) && is_loopback(&format!("http://{upstream_listen}"));
            assert!(loopback, "cognate-load only uses loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region: "us-east-1".into() };
            let duration = Duration::from_secs(seconds.min(600));
            gateway_load::run(&endpoint, &gateway, &upstream_listen, &signer, server_pid, concurrency, duration, large_mib).await
        }
        Command::Peer { endpoint, server_pid, peer_endpoint, peer_pid, users, concurrency, seconds, access_key_id, secret_access_key, peer_access_key_id, peer_secret_access_key, region } => {
            assert!(is_loopback(&endpoint) && is_loopback(&peer_endpoint), "cognate-load only sends traffic to loopback addresses");
            let peers = [
                peer_load::Peer { name: "cognate", endpoint, pid: server_pid, signer: Signer { access_key_id, secret_access_key, region: region.clone() } },
                peer_load::Peer {
                    name: "peer",
                    endpoint: peer_endpoint,
                    pid: peer_pid,
                    signer: Signer { access_key_id: peer_access_key_id, secret_access_key: peer_secret_access_key, region },
                },
            ];
            peer_load::peer_load(peers, users, concurrency, Duration::from_secs(seconds.min(600))).await
        }
        Command::Identity { endpoint, pool, client, users, concurrency, seconds, access_key_id, secret_access_key, region } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            identity_load(&endpoint, &signer, &pool, &client, users, concurrency, Duration::from_secs(seconds.min(600))).await
        }
    }
}

/// Argon2id hashes (or verifications) per second on `threads` threads for `duration`.
fn argon2_rate(threads: usize, verify: bool, duration: Duration) -> f64 {
    let phc = cognate_domain::crypto::hash_password("Correct-Horse-Battery-1").expect("hash");
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let handles: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let phc = phc.clone();
            std::thread::spawn(move || {
                let mut count = 0u64;
                while Instant::now() < deadline {
                    if verify {
                        assert!(cognate_domain::crypto::verify_password("Correct-Horse-Battery-1", &phc));
                    } else {
                        cognate_domain::crypto::hash_password("Correct-Horse-Battery-1").expect("hash");
                    }
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|handle| handle.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

/// The latencies and error counts of all load workers.
async fn gather(workers: Vec<tokio::task::JoinHandle<(Vec<Duration>, usize)>>) -> (Vec<Duration>, usize) {
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for worker in workers {
        let (worker_latencies, worker_errors) = worker.await.unwrap();
        latencies.extend(worker_latencies);
        errors += worker_errors;
    }
    (latencies, errors)
}

/// Signs in once with USER_PASSWORD_AUTH and returns the refresh token.
async fn first_refresh_token(endpoint: &str, spec: &str) -> String {
    let mut parts = spec.splitn(3, ':');
    let (client_id, username, password) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let body = serde_json::json!({
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": username, "PASSWORD": password},
    });
    let response: serde_json::Value = reqwest::Client::new()
        .post(format!("{endpoint}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
        .body(body.to_string())
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("a JSON answer");
    response["AuthenticationResult"]["RefreshToken"].as_str().expect("a refresh token").to_string()
}

fn is_loopback(endpoint: &str) -> bool {
    let host = endpoint.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    host == "localhost" || host.starts_with("127.") || endpoint.contains("[::1]")
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_endpoints_are_accepted() {
        assert!(super::is_loopback("http://127.0.0.1:9229"));
        assert!(super::is_loopback("http://localhost:9229"));
        assert!(!super::is_loopback("http://10.0.0.1:9229"));
        assert!(!super::is_loopback("http://example.com"));
    }
}

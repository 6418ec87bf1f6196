#![forbid(unsafe_code)]
//! `cognate-load`: drives a running cognate server from a separate process, on loopback only,
//! for a bounded time, and prints throughput and latency percentiles. Also measures start-up
//! time and idle memory, and seeds large pools.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use clap::{Parser, Subcommand};

use cognate_server::aws::sigv4;

mod code_load;
mod identity_load;
mod oauth_load;
mod run_load;
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

#[derive(Parser)]
#[command(name = "cognate-load", about = "Load and start-up measurements for cognate (loopback only).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start `cognate serve` on an empty SQLite store several times; report time to ready and idle RSS.
    Startup {
        #[arg(long, default_value = "target/release/cognate")]
        binary: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Create a pool, a sign-in client and N confirmed users directly in a database (sqlite:// or
    /// postgres://); prints the pool id and the client id.
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        users: usize,
    },
    /// Send one signed cognito-idp operation repeatedly at a fixed concurrency for a bounded time.
    Run {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        /// Operation name, e.g. ListUsers.
        #[arg(long)]
        target: String,
        /// JSON body; `{i}` is replaced by a random index below --index-range, as %07d, and
        /// `{refresh}` by a refresh token obtained once with --refresh-from.
        #[arg(long)]
        body: String,
        #[arg(long, default_value_t = 1)]
        index_range: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// `CLIENT_ID:USERNAME:PASSWORD`: sign in once first and use its refresh token as `{refresh}`.
        #[arg(long)]
        refresh_from: Option<String>,
    },
    /// The token endpoint under load. `--grant client_credentials`: creates a resource server and
    /// a machine client in --pool, then requests access tokens at a fixed concurrency.
    /// `--grant authorization_code`: creates a user and a web client, signs in once through the
    /// hosted page, then for --seconds gets codes from /oauth2/authorize with the session cookie
    /// (PKCE S256), and exchanges every code at the token endpoint at a fixed concurrency.
    Oauth {
        #[arg(long, default_value = "client_credentials")]
        grant: String,
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// The raw Argon2id rate on this machine's cores: --threads threads hash for --seconds
    /// (the yardstick of password sign-ins, measured the way they run: in parallel).
    Argon2 {
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// `hash` (a fresh hash each time, as the library computes it) or `verify` (cognate's
        /// verification, which keeps its Argon2 memory per thread).
        #[arg(long, default_value = "hash")]
        mode: String,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// SRP sign-ins under load: creates an SRP client and --users users in --pool, then signs
    /// them in with USER_SRP_AUTH and PASSWORD_VERIFIER at a fixed concurrency.
    Srp {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 20)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// Cognito Sync under load: UpdateRecords per second (one identity and dataset per worker),
    /// then push latency from a writer on --endpoint to a listener on --listen-endpoint.
    Sync {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        /// Where the listening device connects (another node of the cluster) [default: --endpoint].
        #[arg(long)]
        listen_endpoint: Option<String>,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// How many changes the push-latency phase writes, one at a time.
        #[arg(long, default_value_t = 500)]
        writes: usize,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
    },
    /// Sign-ins with a password and an authenticator code (two calls each) in --pool: sets the
    /// pool's TOTP factor, a client and --users enrolled users; then the raw Argon2id
    /// verification rate, measured in the same run.
    Totp {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 200)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// Sign-ins with a passkey (two calls each) in --pool: lets the pool take passkeys (relying
    /// party `localhost`), a client and --users users with an ES256 passkey of a software
    /// authenticator; then the raw cost of one ES256 verification and two RS256 token
    /// signatures, measured in the same run.
    Passkey {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 50)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// The enhanced flow under load: sets up an IAM role and an identity pool over a seeded user
    /// pool, signs in --users seeded users, then each request pair is GetId followed by
    /// GetCredentialsForIdentity with a user's ID token.
    Identity {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        /// The seeded pool and client (`cognate-load seed` prints them).
        #[arg(long)]
        pool: String,
        #[arg(long)]
        client: String,
        #[arg(long, default_value_t = 200)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
}

#[tokio::main]
async fn main() {
    match Cli::parse().command {
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
        } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let body = match refresh_from {
                Some(spec) => body.replace("{refresh}", &first_refresh_token(&endpoint, &spec).await),
                None => body,
            };
            let signer = Arc::new(Signer { access_key_id, secret_access_key, region });
            run(endpoint, target, body, index_range, concurrency, Duration::from_secs(seconds.min(600)), signer).await
        }
        Command::Oauth { grant, endpoint, pool, concurrency, seconds, access_key_id, secret_access_key, region } => {
            assert!(is_loopback(&endpoint), "cognate-load only sends traffic to loopback addresses");
            let signer = Signer { access_key_id, secret_access_key, region };
            match grant.as_str() {
                "client_credentials" => oauth_load(&endpoint, &signer, &pool, concurrency, Duration::from_secs(seconds.min(600))).await,
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

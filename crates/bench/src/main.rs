#![forbid(unsafe_code)]
//! `cognate-load`: drives a running cognate server from a separate process, on loopback only,
//! for a bounded time, and prints throughput and latency percentiles. Also measures start-up
//! time and idle memory, and seeds large pools.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};

use cognate_server::aws::sigv4;

mod code_load;
mod srp_load;
mod sync_load;

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
            let verify = mode == "verify";
            let phc = cognate_domain::crypto::hash_password("Correct-Horse-Battery-1").expect("hash");
            let deadline = Instant::now() + Duration::from_secs(seconds.min(600));
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
            let elapsed = started.elapsed().as_secs_f64();
            println!("argon2id (m=19456 KiB, t=2, p=1) {mode}: {total} in {elapsed:.1} s on {threads} threads: {:.1}/s", total as f64 / elapsed);
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

async fn oauth_load(endpoint: &str, signer: &Signer, pool: &str, concurrency: usize, duration: Duration) {
    let idp = |operation: &str| format!("AWSCognitoIdentityProviderService.{operation}");
    let identifier = format!("https://load-{}.example.com", uuid_like() % 1_000_000);
    let target = idp("CreateResourceServer");
    signed_setup_call(endpoint, signer, "cognito-idp", &[("x-amz-target", target.as_str())],
        &serde_json::json!({"UserPoolId": pool, "Identifier": identifier, "Name": "load",
            "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}]}).to_string()).await;
    let target = idp("CreateUserPoolClient");
    let created: serde_json::Value = serde_json::from_str(&signed_setup_call(endpoint, signer, "cognito-idp", &[("x-amz-target", target.as_str())],
        &serde_json::json!({"UserPoolId": pool, "ClientName": "machine", "GenerateSecret": true,
            "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthFlowsUserPoolClient": true,
            "AllowedOAuthScopes": [format!("{identifier}/read")]}).to_string()).await).unwrap();
    let client_id = created["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let secret = created["UserPoolClient"]["ClientSecret"].as_str().unwrap().to_string();
    let url = format!("{endpoint}/{pool}/oauth2/token");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, client_id, secret) = (http.clone(), url.clone(), client_id.clone(), secret.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let started = Instant::now();
                let response = http
                    .post(&url)
                    .basic_auth(&client_id, Some(&secret))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
                    .send()
                    .await;
                let ok = match response {
                    Ok(response) => {
                        let good = response.status().is_success();
                        let _ = response.bytes().await;
                        good
                    }
                    Err(_) => false,
                };
                latencies.push(started.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, errors) = gather(workers).await;
    latencies.sort();
    let percentile = |fraction: f64| latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1)];
    println!(
        "client_credentials: {} tokens in {:.1} s at concurrency {concurrency}: {:.0} tokens/s, p50 {:.2} ms, p99 {:.2} ms, {errors} errors",
        latencies.len(),
        duration.as_secs_f64(),
        latencies.len() as f64 / duration.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
    );
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

/// Sends a signed request and returns the answer's text, panicking on failure (set-up only).
async fn signed_setup_call(endpoint: &str, signer: &Signer, service: &str, headers: &[(&str, &str)], body: &str) -> String {
    let host = endpoint.split("://").nth(1).unwrap_or("").trim_end_matches('/');
    let signed = signer.sign_with(host, service, headers, body);
    let response = reqwest::Client::new().post(format!("{endpoint}/")).headers(signed).body(body.to_string()).send().await.expect("set-up call");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "set-up call to {service} failed: {status} {text}");
    text
}

async fn unsigned_json(client: &reqwest::Client, endpoint: &str, target: &str, body: &serde_json::Value) -> Result<serde_json::Value, String> {
    let response = client
        .post(format!("{endpoint}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .body(body.to_string())
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let value: serde_json::Value = response.json().await.map_err(|error| error.to_string())?;
    if status.is_success() {
        Ok(value)
    } else {
        Err(format!("{status}: {value}"))
    }
}

async fn identity_load(endpoint: &str, signer: &Signer, pool: &str, client_id: &str, users: usize, concurrency: usize, duration: Duration) {
    let region = signer.region.clone();
    let identity_pool: serde_json::Value = serde_json::from_str(
        &signed_setup_call(
            endpoint,
            signer,
            "cognito-identity",
            &[("x-amz-target", "AWSCognitoIdentityService.CreateIdentityPool")],
            &serde_json::json!({
                "IdentityPoolName": format!("load{}", uuid_like() % 1_000_000),
                "AllowUnauthenticatedIdentities": false,
                "CognitoIdentityProviders": [{"ProviderName": format!("cognito-idp.{region}.amazonaws.com/{pool}"), "ClientId": client_id}],
            })
            .to_string(),
        )
        .await,
    )
    .unwrap();
    let identity_pool_id = identity_pool["IdentityPoolId"].as_str().unwrap().to_string();
    let role_name = format!("load-{}", uuid_like() % 1_000_000_000);
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id}}}]});
    let form = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={role_name}&AssumeRolePolicyDocument={}",
        sigv4::uri_encode(&trust.to_string(), false)
    );
    let created = signed_setup_call(endpoint, signer, "iam", &[("content-type", "application/x-www-form-urlencoded")], &form).await;
    let role_arn = created.split("<Arn>").nth(1).and_then(|rest| rest.split("</Arn>").next()).unwrap().to_string();
    signed_setup_call(
        endpoint,
        signer,
        "cognito-identity",
        &[("x-amz-target", "AWSCognitoIdentityService.SetIdentityPoolRoles")],
        &serde_json::json!({"IdentityPoolId": identity_pool_id, "Roles": {"authenticated": role_arn}}).to_string(),
    )
    .await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tokens = Vec::with_capacity(users);
    for index in 0..users {
        let answer = unsigned_json(
            &http,
            endpoint,
            "AWSCognitoIdentityProviderService.InitiateAuth",
            &serde_json::json!({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": format!("user{index:07}"), "PASSWORD": cognate_bench::SEEDED_PASSWORD}}),
        )
        .await
        .expect("sign in a seeded user");
        tokens.push(answer["AuthenticationResult"]["IdToken"].as_str().unwrap().to_string());
    }
    eprintln!("signed in {users} users in {:.1} s; identity pool {identity_pool_id}", started.elapsed().as_secs_f64());
    let tokens = Arc::new(tokens);
    let provider = format!("cognito-idp.{region}.amazonaws.com/{pool}");
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for worker_index in 0..concurrency {
        let (http, endpoint, tokens, provider, identity_pool_id) =
            (http.clone(), endpoint.to_string(), tokens.clone(), provider.clone(), identity_pool_id.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut first_error = None;
            let mut counter = worker_index;
            while Instant::now() < deadline {
                counter += concurrency;
                let token = &tokens[counter % tokens.len()];
                let logins = serde_json::json!({ provider.clone(): token });
                let started = Instant::now();
                let outcome = async {
                    let got = unsigned_json(&http, &endpoint, "AWSCognitoIdentityService.GetId",
                        &serde_json::json!({"IdentityPoolId": identity_pool_id, "Logins": logins})).await?;
                    unsigned_json(&http, &endpoint, "AWSCognitoIdentityService.GetCredentialsForIdentity",
                        &serde_json::json!({"IdentityId": got["IdentityId"], "Logins": logins})).await
                }
                .await;
                latencies.push(started.elapsed());
                if let Err(error) = outcome {
                    errors += 1;
                    first_error.get_or_insert(error);
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (worker_latencies, worker_errors, first_error) = worker.await.unwrap();
        latencies.extend(worker_latencies);
        errors += worker_errors;
        if let Some(error) = first_error {
            eprintln!("error: {error}");
        }
    }
    latencies.sort();
    let percentile = |fraction: f64| latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1)];
    println!(
        "GetId + GetCredentialsForIdentity: {} pairs in {:.1} s at concurrency {concurrency}: {:.0} pairs/s, p50 {:.2} ms, p99 {:.2} ms, {errors} errors",
        latencies.len(),
        duration.as_secs_f64(),
        latencies.len() as f64 / duration.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
    );
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

struct Signer {
    access_key_id: String,
    secret_access_key: String,
    region: String,
}

/// Epoch seconds as `YYYYMMDDTHHMMSSZ`.
fn amz_date(epoch_seconds: i64) -> String {
    let (year, month, day) = cognate_domain::clock::civil_from_days(epoch_seconds.div_euclid(86_400));
    let seconds_of_day = epoch_seconds.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60,
        seconds_of_day % 60
    )
}

impl Signer {
    fn sign(&self, host: &str, target: &str, body: &str) -> HeaderMap {
        let target = format!("AWSCognitoIdentityProviderService.{target}");
        self.sign_with(host, "cognito-idp", &[("x-amz-target", target.as_str())], body)
    }

    /// Signs a POST to `service` with the given headers (plus `host` and `x-amz-date`; a JSON
    /// content type unless one is given).
    fn sign_with(&self, host: &str, service: &str, extra: &[(&str, &str)], body: &str) -> HeaderMap {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let date_time = amz_date(now);
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(host).unwrap());
        headers.insert("x-amz-date", HeaderValue::from_str(&date_time).unwrap());
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        for (name, value) in extra {
            headers.insert(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        let mut signed_headers: Vec<String> = headers.keys().map(|name| name.as_str().to_string()).collect();
        signed_headers.sort();
        let parts = sigv4::SignedParts { method: "POST", raw_path: "/", raw_query: "", headers: &headers, body: body.as_bytes() };
        let payload_hash = hex::encode(Sha256::digest(body.as_bytes()));
        let canonical = sigv4::canonical_request(&parts, &signed_headers, &payload_hash).unwrap();
        let date = &date_time[..8];
        let scope = format!("{date}/{}/{service}/aws4_request", self.region);
        let string_to_sign =
            format!("AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let signature = sigv4::signature(&self.secret_access_key, date, &self.region, service, &string_to_sign);
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            self.access_key_id,
            signed_headers.join(";")
        );
        headers.insert("authorization", HeaderValue::from_str(&authorization).unwrap());
        headers
    }
}

async fn run(
    endpoint: String,
    target: String,
    body: String,
    index_range: usize,
    concurrency: usize,
    duration: Duration,
    signer: Arc<Signer>,
) {
    let client = reqwest::Client::new();
    let host = endpoint.split("://").nth(1).unwrap_or("").trim_end_matches('/').to_string();
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for worker_index in 0..concurrency {
        let (client, endpoint, target, body, host, signer) =
            (client.clone(), endpoint.clone(), target.clone(), body.clone(), host.clone(), signer.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n_errors = 0usize;
            let mut first_error: Option<String> = None;
            let mut counter = worker_index * 7919;
            while Instant::now() < deadline {
                counter = counter.wrapping_add(104_729);
                let request_body = body.replace("{i}", &format!("{:07}", counter % index_range.max(1)));
                let headers = signer.sign(&host, &target, &request_body);
                let started = Instant::now();
                let response = client.post(format!("{endpoint}/")).headers(headers).body(request_body).send().await;
                let ok = match response {
                    Ok(response) => {
                        let status = response.status();
                        let bytes = response.bytes().await.unwrap_or_default();
                        if !status.is_success() && first_error.is_none() {
                            first_error = Some(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
                        }
                        status.is_success()
                    }
                    Err(error) => {
                        first_error.get_or_insert_with(|| error.to_string());
                        false
                    }
                };
                latencies.push(started.elapsed());
                if !ok {
                    n_errors += 1;
                }
            }
            (latencies, n_errors, first_error)
        }));
    }
    let mut latencies = Vec::new();
    let mut n_errors = 0;
    let mut first_error = None;
    for worker in workers {
        let (worker_latencies, worker_errors, worker_first_error) = worker.await.unwrap();
        latencies.extend(worker_latencies);
        n_errors += worker_errors;
        first_error = first_error.or(worker_first_error);
    }
    if let Some(error) = &first_error {
        eprintln!("first error: {error}");
    }
    latencies.sort();
    let percentile = |fraction: f64| {
        latencies.get(((latencies.len() as f64 * fraction) as usize).min(latencies.len().saturating_sub(1))).copied().unwrap_or_default()
    };
    println!(
        "{target}: {} requests in {:.1} s at concurrency {concurrency}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {n_errors} errors",
        latencies.len(),
        duration.as_secs_f64(),
        latencies.len() as f64 / duration.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix("VmRSS:")).and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn startup(binary: PathBuf, runs: usize) {
    let client = reqwest::Client::new();
    let mut ready_ms = Vec::new();
    let mut idle_rss = Vec::new();
    for _ in 0..runs {
        let dir = tempfile_dir();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let started = Instant::now();
        let mut child = tokio::process::Command::new(&binary)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start cognate");
        loop {
            if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/health")).send().await {
                if response.status().is_success() {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(10), "cognate did not become ready");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        ready_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(kib) = child.id().and_then(rss_kib) {
            idle_rss.push(kib);
        }
        let _ = child.kill().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    ready_ms.sort_by(|left, right| left.partial_cmp(right).unwrap());
    idle_rss.sort();
    println!(
        "start-up to ready on an empty SQLite store over {runs} runs: min {:.1} ms, median {:.1} ms; idle RSS median {:.1} MiB",
        ready_ms[0],
        ready_ms[ready_ms.len() / 2],
        idle_rss.get(idle_rss.len() / 2).copied().unwrap_or(0) as f64 / 1024.0
    );
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cognate-startup-{}-{}", std::process::id(), uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[cfg(test)]
mod tests {
    #[test]
    fn amz_dates_round_trip_through_the_servers_parser() {
        for epoch_seconds in [0, 951_782_400, 1_440_938_160, 1_795_831_295, 4_102_444_799] {
            let text = super::amz_date(epoch_seconds);
            assert_eq!(cognate_server::aws::sigv4::parse_amz_date(&text), Some(epoch_seconds), "{text}");
        }
    }

    #[test]
    fn only_loopback_endpoints_are_accepted() {
        assert!(super::is_loopback("http://127.0.0.1:9229"));
        assert!(super::is_loopback("http://localhost:9229"));
        assert!(!super::is_loopback("http://10.0.0.1:9229"));
        assert!(!super::is_loopback("http://example.com"));
    }
}

//! `cognate-load totp`: sign-ins with a password and an authenticator code per second. Set-up:
//! the pool offers TOTP (SetUserPoolMfaConfig, OPTIONAL), an app client allows password sign-in,
//! and --users users each enrol an authenticator (AssociateSoftwareToken, VerifySoftwareToken,
//! SetUserMFAPreference). Each sign-in is two unsigned requests: InitiateAuth
//! (USER_PASSWORD_AUTH, one Argon2id verification on the server) answered with
//! SOFTWARE_TOKEN_MFA, then RespondToAuthChallenge with a code of a step that user has not used
//! (a code is accepted once, so each user gives at most the three steps of the drift window per
//! 30 s). After the run, the raw Argon2id verification rate on this machine's cores is measured in
//! the same process and the ratio printed.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cognate_domain::user_pool::mfa::totp;

use super::{idp_setup, unsigned_json, user_with_token, uuid_like, Signer};

const PASSWORD: &str = "Totp-Load-Pass-1";

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A user of the run: name, authenticator secret and the last step whose code was used.
struct Enrolled {
    username: String,
    secret: Vec<u8>,
    last_step: AtomicI64,
}

impl Enrolled {
    /// A code of a step not used before and within the server's drift window, if one is left.
    fn take_code(&self) -> Option<String> {
        let now = totp::step_of(now_ms());
        loop {
            let last = self.last_step.load(Ordering::SeqCst);
            let step = (last + 1).max(now - 1);
            if step > now + 1 {
                return None;
            }
            if self.last_step.compare_exchange(last, step, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                return Some(totp::code_at_step(&self.secret, step));
            }
        }
    }
}

pub async fn run(endpoint: &str, signer: &Signer, pool: &str, users: usize, concurrency: usize, duration: Duration) {
    let idp = |operation: &str| format!("AWSCognitoIdentityProviderService.{operation}");
    idp_setup(endpoint, signer, "SetUserPoolMfaConfig", serde_json::json!({"UserPoolId": pool, "SoftwareTokenMfaConfiguration": {"Enabled": true}, "MfaConfiguration": "OPTIONAL"})).await;
    let created = idp_setup(endpoint, signer, "CreateUserPoolClient", serde_json::json!({"UserPoolId": pool, "ClientName": "totp-load", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})).await;
    let client_id = created["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let prefix = format!("totp{}-", uuid_like() % 1_000_000);
    let mut enrolled = Vec::new();
    for index in 0..users {
        let username = format!("{prefix}{index}");
        let access = user_with_token(&http, endpoint, signer, pool, &client_id, &username, PASSWORD).await;
        let associated = unsigned_json(&http, endpoint, &idp("AssociateSoftwareToken"), &serde_json::json!({"AccessToken": access})).await.expect("a secret");
        let user = Enrolled { username, secret: totp::base32_decode(associated["SecretCode"].as_str().unwrap_or("")).expect("a base32 secret"), last_step: AtomicI64::new(i64::MIN / 2) };
        let code = user.take_code().expect("a code");
        unsigned_json(&http, endpoint, &idp("VerifySoftwareToken"), &serde_json::json!({"AccessToken": access, "UserCode": code})).await.expect("verified");
        unsigned_json(&http, endpoint, &idp("SetUserMFAPreference"), &serde_json::json!({
            "AccessToken": access, "SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": true},
        }))
        .await
        .expect("preferred");
        enrolled.push(user);
    }
    let enrolled = Arc::new(enrolled);

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, endpoint, client_id, enrolled, next) = (http.clone(), endpoint.to_string(), client_id.clone(), enrolled.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut starved) = (Vec::new(), 0usize, 0usize);
            while Instant::now() < deadline {
                let user = &enrolled[next.fetch_add(1, Ordering::Relaxed) % enrolled.len()];
                let Some(code) = user.take_code() else {
                    starved += 1;
                    if starved % enrolled.len() == 0 {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    continue;
                };
                let begun = Instant::now();
                match sign_in(&http, &endpoint, &client_id, &user.username, &code).await {
                    Ok(()) => latencies.push(begun.elapsed()),
                    Err(error) => {
                        if errors == 0 {
                            eprintln!("totp sign-in failed: {error}");
                        }
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let (latencies, errors) = super::gather(workers).await;
    let elapsed = started.elapsed();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    let mut latencies = latencies;
    latencies.sort();
    let percentile = |fraction: f64| latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len().saturating_sub(1))];
    println!(
        "totp sign-ins (password + code): {} in {:.1} s at concurrency {concurrency}: {rate:.1}/s, p50 {:.1} ms, p99 {:.1} ms, {errors} errors",
        latencies.len(),
        elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
    );
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let raw = super::argon2_rate(threads, true, Duration::from_secs(5));
    println!("raw argon2id verifications on {threads} threads, same run: {raw:.1}/s; totp sign-ins / raw verifications = {:.2}", rate / raw);
}

async fn sign_in(http: &reqwest::Client, endpoint: &str, client_id: &str, username: &str, code: &str) -> Result<(), String> {
    let challenge = unsigned_json(http, endpoint, "AWSCognitoIdentityProviderService.InitiateAuth", &serde_json::json!({
        "ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD},
    }))
    .await?;
    let session = challenge["Session"].as_str().ok_or_else(|| format!("no challenge: {challenge}"))?;
    let answer = unsigned_json(http, endpoint, "AWSCognitoIdentityProviderService.RespondToAuthChallenge", &serde_json::json!({
        "ClientId": client_id, "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": session,
        "ChallengeResponses": {"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
    }))
    .await?;
    if answer["AuthenticationResult"]["AccessToken"].is_string() {
        Ok(())
    } else {
        Err(format!("no tokens: {answer}"))
    }
}

//! `cognate-load passkey`: sign-ins with a passkey per second. Set-up: --pool allows passwords and
//! passkeys as first factors with the relying party `localhost` (UpdateUserPool,
//! SetUserPoolMfaConfig), an app client allows USER_AUTH, and --users users each register an ES256
//! passkey of a software authenticator (StartWebAuthnRegistration, CompleteWebAuthnRegistration).
//! Each sign-in is two unsigned requests: InitiateAuth (USER_AUTH, PREFERRED_CHALLENGE WEB_AUTHN)
//! answered with CREDENTIAL_REQUEST_OPTIONS, then RespondToAuthChallenge with the assertion. After
//! the run, the raw cost of a passkey sign-in's cryptography is measured in the same process on
//! this machine's cores: one ES256 verification (the assertion) and two RS256 signatures (the ID
//! and access tokens), and the ratio printed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cognate_domain::user_pool::passkeys::authenticator::SoftAuthenticator;
use tokio::sync::Mutex;

use super::{gather, idp_setup, unsigned_json, user_with_token, uuid_like, Signer};

const PASSWORD: &str = "Passkey-Load-Pass-1";
const ORIGIN: &str = "http://localhost";

/// A user of the run and the authenticator holding their passkey.
struct Holder {
    username: String,
    authenticator: Mutex<SoftAuthenticator>,
}

pub async fn run(endpoint: &str, signer: &Signer, pool: &str, users: usize, concurrency: usize, duration: Duration) {
    let idp = |operation: &str| format!("AWSCognitoIdentityProviderService.{operation}");
    idp_setup(endpoint, signer, "UpdateUserPool", serde_json::json!({"UserPoolId": pool, "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}})).await;
    idp_setup(endpoint, signer, "SetUserPoolMfaConfig", serde_json::json!({"UserPoolId": pool, "WebAuthnConfiguration": {"RelyingPartyId": "localhost", "UserVerification": "preferred"}})).await;
    let created = idp_setup(endpoint, signer, "CreateUserPoolClient", serde_json::json!({"UserPoolId": pool, "ClientName": "passkey-load", "ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH"]})).await;
    let client_id = created["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let prefix = format!("passkey{}-", uuid_like() % 1_000_000);
    let mut holders = Vec::new();
    for index in 0..users {
        let username = format!("{prefix}{index}");
        let access = user_with_token(&http, endpoint, signer, pool, &client_id, &username, PASSWORD).await;
        let started = unsigned_json(&http, endpoint, &idp("StartWebAuthnRegistration"), &serde_json::json!({"AccessToken": access})).await.expect("options");
        let authenticator = SoftAuthenticator::es256(false);
        let credential = authenticator.register(&started["CredentialCreationOptions"], ORIGIN);
        unsigned_json(&http, endpoint, &idp("CompleteWebAuthnRegistration"), &serde_json::json!({"AccessToken": access, "Credential": credential}))
            .await
            .expect("registered");
        holders.push(Holder { username, authenticator: Mutex::new(authenticator) });
    }
    let holders = Arc::new(holders);

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, endpoint, client_id, holders, next) = (http.clone(), endpoint.to_string(), client_id.clone(), holders.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let holder = &holders[next.fetch_add(1, Ordering::Relaxed) % holders.len()];
                let begun = Instant::now();
                match sign_in(&http, &endpoint, &client_id, holder).await {
                    Ok(()) => latencies.push(begun.elapsed()),
                    Err(error) => {
                        if errors == 0 {
                            eprintln!("passkey sign-in failed: {error}");
                        }
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, errors) = gather(workers).await;
    let elapsed = started.elapsed();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    latencies.sort();
    let percentile = |fraction: f64| latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len().saturating_sub(1))];
    println!(
        "passkey sign-ins (options + assertion): {} in {:.1} s at concurrency {concurrency}: {rate:.1}/s, p50 {:.1} ms, p99 {:.1} ms, {errors} errors",
        latencies.len(),
        elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
    );
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let (verify_rate, sign_rate) = raw_rates(threads, Duration::from_secs(3));
    let raw = 1.0 / (1.0 / verify_rate + 2.0 / sign_rate);
    println!(
        "raw on {threads} threads, same run: ES256 verifications {verify_rate:.0}/s, RS256 token signatures {sign_rate:.0}/s; \
         one verification + two signatures {raw:.0}/s; passkey sign-ins / raw = {:.2}",
        rate / raw
    );
}

async fn sign_in(http: &reqwest::Client, endpoint: &str, client_id: &str, holder: &Holder) -> Result<(), String> {
    let challenge = unsigned_json(http, endpoint, "AWSCognitoIdentityProviderService.InitiateAuth", &serde_json::json!({
        "ClientId": client_id, "AuthFlow": "USER_AUTH", "AuthParameters": {"USERNAME": holder.username, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    }))
    .await?;
    let session = challenge["Session"].as_str().ok_or_else(|| format!("no challenge: {challenge}"))?;
    let options: serde_json::Value = challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
        .as_str()
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| format!("no request options: {challenge}"))?;
    let assertion = holder.authenticator.lock().await.assert(&options, ORIGIN);
    let answer = unsigned_json(http, endpoint, "AWSCognitoIdentityProviderService.RespondToAuthChallenge", &serde_json::json!({
        "ClientId": client_id, "ChallengeName": "WEB_AUTHN", "Session": session,
        "ChallengeResponses": {"USERNAME": holder.username, "CREDENTIAL": assertion.to_string()},
    }))
    .await?;
    if answer["AuthenticationResult"]["AccessToken"].is_string() {
        Ok(())
    } else {
        Err(format!("no tokens: {answer}"))
    }
}

/// ES256 verifications and RS256 token signatures per second on `threads` threads, each for
/// `duration`, with aws-lc-rs as the server uses it.
fn raw_rates(threads: usize, duration: Duration) -> (f64, f64) {
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING};
    let random = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &random).unwrap();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
    let message = [7u8; 69];
    let signature = key.sign(&random, &message).unwrap().as_ref().to_vec();
    let public = key.public_key().as_ref().to_vec();
    let verify_rate = on_threads(threads, duration, move || {
        assert!(UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &public).verify(&message, &signature).is_ok());
    });
    let master = cognate_domain::crypto::MasterKey::generate();
    let record = cognate_domain::tokens::generate_signing_key(&master, "us-east-1_raw", cognate_domain::tokens::KeyPurpose::AccessToken, 0).unwrap();
    let signing = Arc::new(cognate_domain::tokens::load_signing_key(&master, &record).unwrap());
    let claims = serde_json::json!({"sub": "4d3c2b1a-0000-4000-8000-000000000000", "token_use": "access", "scope": "aws.cognito.signin.user.admin", "exp": 1, "iat": 0});
    let sign_rate = on_threads(threads, duration, move || {
        std::hint::black_box(cognate_domain::tokens::sign_jwt(&signing, &claims));
    });
    (verify_rate, sign_rate)
}

/// How many times per second `work` runs on `threads` threads together.
fn on_threads<F: Fn() + Send + Sync + Clone + 'static>(threads: usize, duration: Duration, work: F) -> f64 {
    let started = Instant::now();
    let deadline = started + duration;
    let handles: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let work = work.clone();
            std::thread::spawn(move || {
                let mut count = 0u64;
                while Instant::now() < deadline {
                    work();
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|handle| handle.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

//! `cognate-load triggers`: what a PreTokenGeneration trigger costs. The load generator serves the
//! Lambda Invoke API itself on --lambda-listen and answers each event at once (a claim added), so
//! what is measured is cognate's side of a trigger: the event built, the signed invocation, the
//! answer applied. Set-up: an app client of --pool with USER_PASSWORD_AUTH and refresh, --users
//! users with a password and a refresh token each. Then four timed phases, each --seconds long:
//! password sign-ins (InitiateAuth USER_PASSWORD_AUTH) and refreshes (REFRESH_TOKEN_AUTH), first
//! without a trigger, then with PreTokenGeneration (UpdateUserPool's LambdaConfig), and the rates
//! of each pair compared.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use serde_json::{json, Value};

use super::{gather, idp_setup, unsigned_json, uuid_like, Signer};

const PASSWORD: &str = "Trigger-Load-Pass-1";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:pre-token";

/// The Invoke API answering every invocation at once: the event back with a claim to add.
async fn serve_invoke_api(listen: &str) {
    let listener = tokio::net::TcpListener::bind(listen).await.expect("bind --lambda-listen");
    let answer = |body: String| async move {
        let mut event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        event["response"] = json!({"claimsOverrideDetails": {"claimsToAddOrOverride": {"tenant": "load"}}});
        axum::Json(event)
    };
    let app = axum::Router::new().route("/2015-03-31/functions/{name}/invocations", post(answer));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("the Invoke API stand-in") });
}

/// Requests per second of `request` (given a counter) at `concurrency` for `duration`, and the
/// median latency.
async fn timed<F, Fut>(concurrency: usize, duration: Duration, request: F) -> (f64, Duration, usize)
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let workers = (0..concurrency)
        .map(|_| {
            let (request, next) = (request.clone(), next.clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let begun = Instant::now();
                    match request(next.fetch_add(1, Ordering::Relaxed)).await {
                        Ok(()) => latencies.push(begun.elapsed()),
                        Err(error) => {
                            if errors == 0 {
                                eprintln!("request failed: {error}");
                            }
                            errors += 1;
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, errors) = gather(workers).await;
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    (rate, latencies.get(latencies.len() / 2).copied().unwrap_or_default(), errors)
}

pub async fn run(endpoint: &str, signer: &Signer, pool: &str, lambda_listen: &str, users: usize, concurrency: usize, duration: Duration) {
    serve_invoke_api(lambda_listen).await;
    let created = idp_setup(endpoint, signer, "CreateUserPoolClient", json!({"UserPoolId": pool, "ClientName": "trigger-load",
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})).await;
    let client_id = created["UserPoolClient"]["ClientId"].as_str().expect("a client").to_string();
    let http = reqwest::Client::new();
    let prefix = format!("trigger{}-", uuid_like() % 1_000_000);
    let sign_in = {
        let (http, endpoint, client_id) = (http.clone(), endpoint.to_string(), client_id.clone());
        move |username: String| {
            let (http, endpoint, client_id) = (http.clone(), endpoint.clone(), client_id.clone());
            async move {
                unsigned_json(&http, &endpoint, "AWSCognitoIdentityProviderService.InitiateAuth", &json!({
                    "ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD}}))
                .await
            }
        }
    };
    let mut refresh_tokens = Vec::new();
    for index in 0..users {
        let username = format!("{prefix}{index}");
        idp_setup(endpoint, signer, "AdminCreateUser", json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS"})).await;
        idp_setup(endpoint, signer, "AdminSetUserPassword", json!({"UserPoolId": pool, "Username": username, "Password": PASSWORD, "Permanent": true})).await;
        let answer = sign_in(username).await.expect("the set-up sign-in");
        refresh_tokens.push(answer["AuthenticationResult"]["RefreshToken"].as_str().expect("a refresh token").to_string());
    }
    let refresh_tokens = Arc::new(refresh_tokens);
    let refresh = {
        let (http, endpoint, client_id, tokens) = (http.clone(), endpoint.to_string(), client_id.clone(), refresh_tokens.clone());
        move |index: usize| {
            let (http, endpoint, client_id, token) = (http.clone(), endpoint.clone(), client_id.clone(), tokens[index % tokens.len()].clone());
            async move {
                let answer = unsigned_json(&http, &endpoint, "AWSCognitoIdentityProviderService.InitiateAuth", &json!({
                    "ClientId": client_id, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": token}}))
                .await?;
                answer["AuthenticationResult"]["IdToken"].as_str().map(|_| ()).ok_or_else(|| format!("no tokens: {answer}"))
            }
        }
    };
    let password = {
        let (sign_in, prefix) = (sign_in.clone(), prefix.clone());
        move |index: usize| {
            let (sign_in, username) = (sign_in.clone(), format!("{prefix}{}", index % users));
            async move { sign_in(username).await.map(|_| ()) }
        }
    };
    let mut rates = Vec::new();
    for with_trigger in [false, true] {
        let lambda_config = if with_trigger { json!({"PreTokenGeneration": FUNCTION}) } else { json!({}) };
        idp_setup(endpoint, signer, "UpdateUserPool", json!({"UserPoolId": pool, "LambdaConfig": lambda_config})).await;
        let check = sign_in(format!("{prefix}0")).await.expect("a sign-in");
        let id_token = check["AuthenticationResult"]["IdToken"].as_str().expect("an ID token");
        let claims = cognate_domain::tokens::peek_claims(id_token).expect("a JWT");
        assert_eq!(claims.get("tenant").is_some(), with_trigger, "the trigger's claim is in the token exactly when the trigger is set");
        let label = if with_trigger { "with PreTokenGeneration" } else { "without a trigger" };
        let (sign_ins, sign_in_p50, sign_in_errors) = timed(concurrency, duration, password.clone()).await;
        println!("password sign-ins {label}: {sign_ins:.1}/s, p50 {:.1} ms, {sign_in_errors} errors", sign_in_p50.as_secs_f64() * 1000.0);
        let (refreshes, refresh_p50, refresh_errors) = timed(concurrency, duration, refresh.clone()).await;
        println!("refreshes {label}: {refreshes:.1}/s, p50 {:.1} ms, {refresh_errors} errors", refresh_p50.as_secs_f64() * 1000.0);
        rates.push((sign_ins, refreshes));
    }
    // The pool is left as it was found by the other commands: without the trigger, which a
    // server started without --lambda-endpoint could not run.
    idp_setup(endpoint, signer, "UpdateUserPool", json!({"UserPoolId": pool, "LambdaConfig": {}})).await;
    println!(
        "with the trigger / without: password sign-ins {:.2}, refreshes {:.2} (concurrency {concurrency}, {users} users)",
        rates[1].0 / rates[0].0,
        rates[1].1 / rates[0].1
    );
}

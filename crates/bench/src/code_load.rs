//! `cognate-load oauth --grant authorization_code`: the authorization-code exchange under load.
//! Set-up: a user and a public web client with the code flow in the pool; one sign-in through
//! the hosted page gives a session cookie. Phase one: for the given seconds, workers ask
//! /oauth2/authorize (PKCE S256) with the cookie, each answer a code (codes/s reported). Phase
//! two: every code is exchanged at /oauth2/token by the same number of workers (exchanges/s,
//! p50/p99 reported); each exchange signs two RS256 tokens and writes a refresh token.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cognate_domain::user_pool::hosted::pkce_challenge;

use super::{gather, signed_setup_call, uuid_like, Signer};

const CALLBACK: &str = "https://load.example.com/callback";
const VERIFIER: &str = "load-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

fn report(what: &str, latencies: &mut [Duration], elapsed: Duration, concurrency: usize, errors: usize) {
    latencies.sort();
    if latencies.is_empty() {
        println!("{what}: nothing measured, {errors} errors");
        return;
    }
    let percentile = |fraction: f64| latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1)];
    println!(
        "{what}: {} in {:.1} s at concurrency {concurrency}: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {errors} errors",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
    );
}

/// The first `name="…" value="…"` of a page.
fn hidden_value(page: &str, name: &str) -> String {
    let start = page.find(&format!("name=\"{name}\" value=\"")).expect("the field") + name.len() + 15;
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

pub async fn run(endpoint: &str, signer: &Signer, pool: &str, concurrency: usize, duration: Duration) {
    let idp = |operation: &str| format!("AWSCognitoIdentityProviderService.{operation}");
    let username = format!("code-load-{}", uuid_like() % 1_000_000);
    let password = "Code-Load-Pass-1";
    for (operation, body) in [
        ("AdminCreateUser", serde_json::json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS"})),
        ("AdminSetUserPassword", serde_json::json!({"UserPoolId": pool, "Username": username, "Password": password, "Permanent": true})),
    ] {
        let target = idp(operation);
        signed_setup_call(endpoint, signer, "cognito-idp", &[("x-amz-target", target.as_str())], &body.to_string()).await;
    }
    let target = idp("CreateUserPoolClient");
    let created: serde_json::Value = serde_json::from_str(
        &signed_setup_call(endpoint, signer, "cognito-idp", &[("x-amz-target", target.as_str())],
            &serde_json::json!({"UserPoolId": pool, "ClientName": "web-load", "AllowedOAuthFlows": ["code"],
                "AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthScopes": ["openid", "email"],
                "CallbackURLs": [CALLBACK], "SupportedIdentityProviders": ["COGNITO"]}).to_string()).await,
    )
    .unwrap();
    let client_id = created["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let query = format!(
        "client_id={client_id}&response_type=code&redirect_uri={}&scope=openid%20email&state=load&code_challenge={}&code_challenge_method=S256",
        cognate_domain::federation::percent_encode(CALLBACK),
        pkce_challenge(VERIFIER)
    );
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // One sign-in through the page: the CSRF cookie and token, then the session cookie.
    let page = http.get(format!("{endpoint}/{pool}/login?{query}")).send().await.expect("the sign-in page");
    let csrf_cookie = page.headers().get("set-cookie").and_then(|value| value.to_str().ok()).and_then(|value| value.split(';').next()).unwrap().to_string();
    let token = hidden_value(&page.text().await.unwrap(), "_csrf");
    let signed_in = http
        .post(format!("{endpoint}/{pool}/login?{query}"))
        .header("cookie", &csrf_cookie)
        .form(&[("_csrf", token.as_str()), ("username", username.as_str()), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 302, "the sign-in through the page failed");
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("cognate-session="))
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_string();

    // Phase one: codes from /oauth2/authorize with the session.
    let authorize_url = format!("{endpoint}/{pool}/oauth2/authorize?{query}");
    let codes = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, session, codes) = (http.clone(), authorize_url.clone(), session.clone(), codes.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let begun = Instant::now();
                let location = match http.get(&url).header("cookie", &session).send().await {
                    Ok(response) => response.headers().get("location").and_then(|value| value.to_str().ok()).map(str::to_string),
                    Err(_) => None,
                };
                latencies.push(begun.elapsed());
                match location.as_deref().and_then(|location| location.split("code=").nth(1)).map(|rest| rest.split('&').next().unwrap().to_string()) {
                    Some(code) => codes.lock().unwrap().push(code),
                    None => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, errors) = gather(workers).await;
    report("authorize with a session (codes)", &mut latencies, started.elapsed(), concurrency, errors);

    // Phase two: every code exchanged once.
    let codes: Vec<String> = std::mem::take(&mut *codes.lock().unwrap());
    let queue = Arc::new(Mutex::new(codes));
    let token_url = format!("{endpoint}/{pool}/oauth2/token");
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, client_id, queue) = (http.clone(), token_url.clone(), client_id.clone(), queue.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            loop {
                let Some(code) = queue.lock().unwrap().pop() else { break };
                let begun = Instant::now();
                let form = [
                    ("grant_type", "authorization_code"),
                    ("client_id", client_id.as_str()),
                    ("code", code.as_str()),
                    ("redirect_uri", CALLBACK),
                    ("code_verifier", VERIFIER),
                ];
                let ok = match http.post(&url).form(&form).send().await {
                    Ok(response) => {
                        let good = response.status().is_success();
                        let _ = response.bytes().await;
                        good
                    }
                    Err(_) => false,
                };
                latencies.push(begun.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, errors) = gather(workers).await;
    report("authorization_code exchanges", &mut latencies, started.elapsed(), concurrency, errors);
}

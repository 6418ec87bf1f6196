//! `cognate-load oauth`: the token endpoint under load (client_credentials, or codes from
//! `/oauth2/authorize` exchanged with PKCE).

use super::*;

pub(crate) async fn oauth_load(endpoint: &str, signer: &Signer, pool: &str, concurrency: usize, duration: Duration, server_pid: Option<u32>, rounds: usize) {
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
    // One token first: a fresh pool makes its signing keys at its first token (RSA key
    // generation, once per pool), which is not the steady cost measured here.
    let first = token_request(&http, &url, &client_id, &secret).send().await;
    assert!(first.is_ok_and(|response| response.status().is_success()), "the first client_credentials token");
    let mut ratios = Vec::new();
    for _ in 0..rounds.max(1) {
        let watch = server_pid.map(|pid| crate::server_cpu::CpuWatch::start(pid, 1.0));
        let tokens = token_round(&http, &url, &client_id, &secret, concurrency, duration).await;
        ratios.extend(watch.map(|watch| watch.report(tokens)));
    }
    crate::server_cpu::report_rounds(&ratios);
}

/// A client_credentials token request, the client authenticated by HTTP Basic.
fn token_request(http: &reqwest::Client, url: &str, client_id: &str, secret: &str) -> reqwest::RequestBuilder {
    http.post(url).basic_auth(client_id, Some(secret)).header("content-type", "application/x-www-form-urlencoded").body("grant_type=client_credentials")
}

/// One window of client_credentials requests at `concurrency`; prints the rate and latencies,
/// returns the tokens issued.
async fn token_round(http: &reqwest::Client, url: &str, client_id: &str, secret: &str, concurrency: usize, duration: Duration) -> usize {
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, client_id, secret) = (http.clone(), url.to_string(), client_id.to_string(), secret.to_string());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let started = Instant::now();
                let response = token_request(&http, &url, &client_id, &secret).send().await;
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
    latencies.len() - errors
}

//! `cognate-load identity`: the enhanced flow under load, GetId then GetCredentialsForIdentity
//! with a seeded user's ID token.

use super::*;

pub(crate) async fn unsigned_json(client: &reqwest::Client, endpoint: &str, target: &str, body: &serde_json::Value) -> Result<serde_json::Value, String> {
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

pub(crate) async fn identity_load(endpoint: &str, signer: &Signer, pool: &str, client_id: &str, users: usize, concurrency: usize, duration: Duration) {
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

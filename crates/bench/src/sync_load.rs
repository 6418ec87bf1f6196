//! `cognate-load sync`: Cognito Sync under load. Sets up an identity pool whose guests may sync
//! their own data, then measures
//! - UpdateRecords per second: each worker is its own identity writing its own dataset, so
//!   requests do not conflict;
//! - push latency: a listener device on `--listen-endpoint` (another node, or the same one), a
//!   writer device on `--endpoint`; the time from the writer receiving UpdateRecords' answer to
//!   the listener receiving the notification.

use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_sigv4::sign::v4;
use futures_util::StreamExt;
use serde_json::{json, Value};

#[derive(Clone)]
struct Keys {
    access_key_id: String,
    secret: String,
    session_token: Option<String>,
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect()
}

fn signing_params<'a>(identity: &'a aws_smithy_runtime_api::client::identity::Identity, service: &'a str, region: &'a str, settings: SigningSettings) -> aws_sigv4::http_request::SigningParams<'a> {
    v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("signing parameters")
        .into()
}

async fn call(http: &reqwest::Client, method: &str, url: &str, service: &str, keys: &Keys, headers: &[(&str, &str)], body: &str) -> Result<Value, String> {
    let identity = Credentials::new(&keys.access_key_id, &keys.secret, keys.session_token.clone(), None, "load").into();
    let params = signing_params(&identity, service, "us-east-1", SigningSettings::default());
    let signable = SignableRequest::new(method, url, headers.iter().copied(), SignableBody::Bytes(body.as_bytes())).map_err(|error| error.to_string())?;
    let (instructions, _) = sign(signable, &params).map_err(|error| error.to_string())?.into_parts();
    let (signature_headers, _) = instructions.into_parts();
    let mut request = http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url).body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    for header in signature_headers {
        request = request.header(header.name(), header.value());
    }
    let response = request.send().await.map_err(|error| error.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|error| error.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {text}"));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn sync_call(http: &reqwest::Client, endpoint: &str, keys: &Keys, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    call(http, method, &format!("{endpoint}{path}"), "cognito-sync", keys, &[("content-type", "application/json")], &body).await
}

fn presigned_push_url(endpoint: &str, keys: &Keys, pool_id: &str, identity_id: &str, device_id: &str) -> String {
    let url = format!("{endpoint}/sync/push?IdentityPoolId={}&IdentityId={}&DeviceId={}", encode(pool_id), encode(identity_id), encode(device_id));
    let identity = Credentials::new(&keys.access_key_id, &keys.secret, keys.session_token.clone(), None, "load").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(900));
    let params = signing_params(&identity, "cognito-sync", "us-east-1", settings);
    let signable = SignableRequest::new("GET", url.as_str(), std::iter::empty(), SignableBody::Bytes(b"")).expect("a signable URL");
    let (instructions, _) = sign(signable, &params).expect("presign").into_parts();
    let (_, query) = instructions.into_parts();
    let mut signed = url.replacen("http://", "ws://", 1);
    for (name, value) in query {
        signed.push_str(&format!("&{name}={}", encode(&value)));
    }
    signed
}

/// An identity pool whose guests may read and write their own datasets; returns its id.
async fn setup(http: &reqwest::Client, endpoint: &str, root: &Keys) -> String {
    let created = call(
        http,
        "POST",
        &format!("{endpoint}/"),
        "cognito-identity",
        root,
        &[("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "AWSCognitoIdentityService.CreateIdentityPool")],
        &json!({"IdentityPoolName": "sync-load", "AllowUnauthenticatedIdentities": true}).to_string(),
    )
    .await
    .expect("create the identity pool");
    let pool_id = created["IdentityPoolId"].as_str().unwrap().to_string();
    let role_name = format!("sync-load-{}", &pool_id[pool_id.len() - 8..]);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id}}}]});
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-sync:*",
        "Resource": "arn:aws:cognito-sync:*:*:identitypool/${cognito-identity.amazonaws.com:aud}/identity/${cognito-identity.amazonaws.com:sub}*"}]});
    let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect::<Vec<_>>().join("&");
    let iam_headers = [("content-type", "application/x-www-form-urlencoded")];
    let created = call(http, "POST", &format!("{endpoint}/"), "iam", root, &iam_headers,
        &form(&[("Action", "CreateRole"), ("Version", "2010-05-08"), ("RoleName", &role_name), ("AssumeRolePolicyDocument", &trust.to_string())]))
        .await
        .expect("create the role");
    let text = created.as_str().unwrap_or_default().to_string();
    let role_arn = text.split("<Arn>").nth(1).and_then(|rest| rest.split("</Arn>").next()).expect("the role ARN").to_string();
    call(http, "POST", &format!("{endpoint}/"), "iam", root, &iam_headers,
        &form(&[("Action", "PutRolePolicy"), ("Version", "2010-05-08"), ("RoleName", &role_name), ("PolicyName", "own-data"), ("PolicyDocument", &policy.to_string())]))
        .await
        .expect("put the role policy");
    call(
        http,
        "POST",
        &format!("{endpoint}/"),
        "cognito-identity",
        root,
        &[("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "AWSCognitoIdentityService.SetIdentityPoolRoles")],
        &json!({"IdentityPoolId": pool_id, "Roles": {"unauthenticated": role_arn}}).to_string(),
    )
    .await
    .expect("set the roles");
    pool_id
}

async fn unsigned(http: &reqwest::Client, endpoint: &str, target: &str, body: Value) -> Value {
    http.post(format!("{endpoint}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .body(body.to_string())
        .send()
        .await
        .expect("an identity call")
        .json()
        .await
        .expect("a JSON answer")
}

/// A guest identity and its credentials.
async fn guest(http: &reqwest::Client, endpoint: &str, pool_id: &str) -> (String, Keys) {
    let got = unsigned(http, endpoint, "AWSCognitoIdentityService.GetId", json!({"IdentityPoolId": pool_id})).await;
    let identity_id = got["IdentityId"].as_str().expect("an identity id").to_string();
    let got = unsigned(http, endpoint, "AWSCognitoIdentityService.GetCredentialsForIdentity", json!({"IdentityId": identity_id})).await;
    let credentials = &got["Credentials"];
    let keys = Keys {
        access_key_id: credentials["AccessKeyId"].as_str().expect("credentials").into(),
        secret: credentials["SecretKey"].as_str().unwrap().into(),
        session_token: Some(credentials["SessionToken"].as_str().unwrap().into()),
    };
    (identity_id, keys)
}

fn dataset_path(pool_id: &str, identity_id: &str, dataset: &str) -> String {
    format!("/identitypools/{}/identities/{}/datasets/{dataset}", encode(pool_id), encode(identity_id))
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted.get(((sorted.len() as f64 * fraction) as usize).min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

pub async fn run(endpoint: String, listen_endpoint: Option<String>, concurrency: usize, duration: Duration, writes: usize, root_key: String, root_secret: String) {
    let http = reqwest::Client::new();
    let root = Keys { access_key_id: root_key, secret: root_secret, session_token: None };
    let pool_id = setup(&http, &endpoint, &root).await;

    // UpdateRecords throughput: one identity and dataset per worker.
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, endpoint, pool_id) = (http.clone(), endpoint.clone(), pool_id.clone());
        workers.push(tokio::spawn(async move {
            let (identity_id, keys) = guest(&http, &endpoint, &pool_id).await;
            let path = dataset_path(&pool_id, &identity_id, "bench");
            let listed = sync_call(&http, &endpoint, &keys, "GET", &format!("{path}/records"), None).await.expect("list records");
            let token = listed["SyncSessionToken"].as_str().unwrap().to_string();
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut sync_count = 0i64;
            while Instant::now() < deadline {
                let body = json!({"SyncSessionToken": token, "RecordPatches": [
                    {"Op": "replace", "Key": format!("key{}", sync_count % 16), "Value": format!("value {sync_count}"), "SyncCount": if sync_count < 16 { 0 } else { sync_count - 15 }}
                ]});
                let started = Instant::now();
                match sync_call(&http, &endpoint, &keys, "POST", &path, Some(body)).await {
                    Ok(_) => sync_count += 1,
                    Err(error) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("UpdateRecords error: {error}");
                        }
                    }
                }
                latencies.push(started.elapsed());
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, errors) = super::gather(workers).await;
    latencies.sort();
    println!(
        "UpdateRecords: {} requests in {:.1} s at concurrency {concurrency}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {errors} errors",
        latencies.len(),
        duration.as_secs_f64(),
        latencies.len() as f64 / duration.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );

    // Push latency: the writer on `endpoint`, the listener on `listen_endpoint`.
    let listen_endpoint = listen_endpoint.unwrap_or_else(|| endpoint.clone());
    let (identity_id, keys) = guest(&http, &endpoint, &pool_id).await;
    let register = |token: &'static str| {
        let (http, endpoint, keys, pool_id, identity_id) = (http.clone(), endpoint.clone(), keys.clone(), pool_id.clone(), identity_id.clone());
        async move {
            let path = format!("/identitypools/{}/identity/{}/device", encode(&pool_id), encode(&identity_id));
            let device = sync_call(&http, &endpoint, &keys, "POST", &path, Some(json!({"Platform": "GCM", "Token": token}))).await.expect("register a device");
            device["DeviceId"].as_str().unwrap().to_string()
        }
    };
    let writer = register("writer").await;
    let listener_device = register("listener").await;
    let path = dataset_path(&pool_id, &identity_id, "pushed");
    sync_call(&http, &endpoint, &keys, "POST", &format!("{path}/subscriptions/{listener_device}"), Some(json!({}))).await.expect("subscribe");
    let (socket, _) = tokio_tungstenite::connect_async(presigned_push_url(&listen_endpoint, &keys, &pool_id, &identity_id, &listener_device))
        .await
        .expect("connect the listener");
    let (_, mut incoming) = socket.split();
    let (arrivals, mut arrived) = tokio::sync::mpsc::unbounded_channel::<(i64, Instant)>();
    tokio::spawn(async move {
        while let Some(Ok(message)) = incoming.next().await {
            if let Ok(text) = message.to_text() {
                if let Ok(value) = serde_json::from_str::<Value>(text) {
                    if let Some(count) = value.get("syncCount").and_then(Value::as_i64) {
                        let _ = arrivals.send((count, Instant::now()));
                    }
                }
            }
        }
    });
    let token = sync_call(&http, &endpoint, &keys, "GET", &format!("{path}/records"), None).await.expect("list")["SyncSessionToken"]
        .as_str()
        .unwrap()
        .to_string();
    let mut push_latencies = Vec::with_capacity(writes);
    let mut before_ack = 0;
    let mut lost = 0;
    for sync_count in 0..writes as i64 {
        let body = json!({"DeviceId": writer, "SyncSessionToken": token,
            "RecordPatches": [{"Op": "replace", "Key": "k", "Value": sync_count.to_string(), "SyncCount": sync_count}]});
        sync_call(&http, &endpoint, &keys, "POST", &path, Some(body)).await.expect("update records");
        let acknowledged = Instant::now();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), arrived.recv()).await {
                Ok(Some((count, at))) if count == sync_count + 1 => {
                    match at.checked_duration_since(acknowledged) {
                        Some(latency) => push_latencies.push(latency),
                        None => {
                            before_ack += 1;
                            push_latencies.push(Duration::ZERO);
                        }
                    }
                    break;
                }
                Ok(Some(_)) => continue,
                _ => {
                    lost += 1;
                    break;
                }
            }
        }
    }
    push_latencies.sort();
    println!(
        "push latency ({} -> {}): {} notifications, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {before_ack} arrived before the writer's answer, {lost} lost",
        endpoint,
        listen_endpoint,
        push_latencies.len(),
        percentile(&push_latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&push_latencies, 0.99).as_secs_f64() * 1000.0,
        push_latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
}

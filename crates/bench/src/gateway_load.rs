//! `cognate-load gateway`: what the SigV4 gateway adds in front of S3. The load generator serves
//! a minimal S3 stand-in itself on --upstream-listen (PUT keeps small objects in memory and
//! counts big ones; GET answers them, `…/large` streams --large-mib of data), which the server
//! must name as its `s3` upstream. An IAM user with an `s3:*` policy on the bucket is created, and
//! every request is signed with its key, so the gateway checks the signature and evaluates the
//! policy each time. Each phase runs twice, straight to the stand-in (the raw cost) and through
//! the gateway, in the same run: small GETs and PUTs one at a time (p50/p99 and what the gateway
//! adds), small GETs at --concurrency (requests per second), and a --large-mib upload and download
//! (MB/s, and with --server-pid the server's peak resident memory while they stream).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::get;
use http_body::Frame;
use http_body_util::BodyExt;

use cognate_server::aws::sigv4::{self, SignedParts};

use super::{gather, signed_setup_call, uuid_like, Signer};

const BUCKET: &str = "gateway-load";
const FRAME: usize = 64 * 1024;

type Objects = Arc<Mutex<HashMap<String, Bytes>>>;

/// The S3 stand-in: objects up to 64 KiB kept, bigger ones counted; `…/large` generated.
async fn serve_upstream(listen: &str, large: u64) {
    let listener = tokio::net::TcpListener::bind(listen).await.expect("bind --upstream-listen");
    let objects: Objects = Arc::default();
    let put = |State(objects): State<Objects>, Path(key): Path<String>, body: Body| async move {
        let mut body = body;
        let mut kept = Vec::new();
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                if kept.len() <= FRAME {
                    kept.extend_from_slice(data);
                }
            }
        }
        if kept.len() <= FRAME {
            objects.lock().unwrap().insert(key, Bytes::from(kept));
        }
        [("etag", "\"0\"")]
    };
    let fetch = move |State(objects): State<Objects>, Path(key): Path<String>| async move {
        if key.ends_with("/large") {
            let mut response = axum::response::Response::new(Body::new(Generated { left: large }));
            response.headers_mut().insert("content-length", HeaderValue::from(large));
            return response;
        }
        match objects.lock().unwrap().get(&key).cloned() {
            Some(data) => axum::response::Response::new(Body::from(data)),
            None => {
                let mut response = axum::response::Response::new(Body::empty());
                *response.status_mut() = StatusCode::NOT_FOUND;
                response
            }
        }
    };
    let app = axum::Router::new().route("/{*key}", get(fetch).put(put)).with_state(objects);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("the S3 stand-in") });
}

/// `left` bytes of data, made as they are sent.
struct Generated {
    left: u64,
}

impl http_body::Body for Generated {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let size = self.left.min(FRAME as u64) as usize;
        self.left -= size as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![0x5a; size])))))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.left)
    }
}

/// An S3 request signed as the SDKs sign it (the path once encoded, `x-amz-content-sha256`).
fn s3_headers(host: &str, method: &str, path: &str, payload_hash: &str, key: &(String, String)) -> HeaderMap {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let date_time = sigv4::amz_date(now);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(host).unwrap());
    headers.insert("x-amz-content-sha256", HeaderValue::from_str(payload_hash).unwrap());
    headers.insert("x-amz-date", HeaderValue::from_str(&date_time).unwrap());
    let signed = vec!["host".to_string(), "x-amz-content-sha256".to_string(), "x-amz-date".to_string()];
    let parts = SignedParts { method, raw_path: path, raw_query: "", headers: &headers, body: b"" };
    let canonical = sigv4::canonical_request_at(&parts, path, &signed, payload_hash).unwrap();
    let signing = sigv4::SigningCredentials { access_key_id: &key.0, secret_access_key: &key.1, region: "us-east-1", service: "s3" };
    let authorization = sigv4::authorization_for(&canonical, &signed, &date_time, &signing);
    headers.insert("authorization", HeaderValue::from_str(&authorization).unwrap());
    headers
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data))
}

/// An IAM user allowed `s3:*` on the bucket, and its access key.
async fn load_user(endpoint: &str, signer: &Signer) -> (String, String) {
    let name = format!("gateway-load-{}", uuid_like() % 1_000_000);
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let call = |body: String| async move { signed_setup_call(endpoint, signer, "iam", &form, &body).await };
    call(format!("Action=CreateUser&Version=2010-05-08&UserName={name}")).await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"]}}]}}"#
    );
    let encoded: String = policy.bytes().map(|byte| format!("%{byte:02X}")).collect();
    call(format!("Action=PutUserPolicy&Version=2010-05-08&UserName={name}&PolicyName=bucket&PolicyDocument={encoded}")).await;
    let created = call(format!("Action=CreateAccessKey&Version=2010-05-08&UserName={name}")).await;
    let field = |tag: &str| created.split(&format!("<{tag}>")).nth(1).and_then(|rest| rest.split('<').next()).expect("an access key").to_string();
    (field("AccessKeyId"), field("SecretAccessKey"))
}

/// Latencies of requests one at a time for `duration`.
async fn one_at_a_time(http: &reqwest::Client, base: &str, put: bool, key: &(String, String), duration: Duration) -> Vec<Duration> {
    let host = base.split("://").nth(1).unwrap().to_string();
    let body = vec![0x61u8; 1024];
    let hash = sha256_hex(&body);
    let deadline = Instant::now() + duration;
    let mut latencies = Vec::new();
    let mut index = 0;
    while Instant::now() < deadline {
        let path = format!("/{BUCKET}/small/{}", index % 64);
        index += 1;
        let begun = Instant::now();
        let answer = if put {
            let headers = s3_headers(&host, "PUT", &path, &hash, key);
            http.put(format!("{base}{path}")).headers(headers).body(body.clone()).send().await
        } else {
            let headers = s3_headers(&host, "GET", &path, &sha256_hex(b""), key);
            http.get(format!("{base}{path}")).headers(headers).send().await
        };
        let answer = answer.expect("a request");
        assert!(answer.status().is_success(), "{} {path}: {}", if put { "PUT" } else { "GET" }, answer.status());
        answer.bytes().await.expect("the answer");
        latencies.push(begun.elapsed());
    }
    latencies.sort();
    latencies
}

fn percentile(latencies: &[Duration], fraction: f64) -> f64 {
    let index = ((latencies.len() as f64 * fraction) as usize).min(latencies.len().saturating_sub(1));
    latencies.get(index).map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
}

/// Small GETs per second at `concurrency`.
async fn rate(http: &reqwest::Client, base: &str, key: &(String, String), concurrency: usize, duration: Duration) -> (f64, usize) {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let workers = (0..concurrency)
        .map(|worker| {
            let (http, base, key) = (http.clone(), base.to_string(), key.clone());
            tokio::spawn(async move {
                let host = base.split("://").nth(1).unwrap().to_string();
                let (mut latencies, mut errors) = (Vec::new(), 0);
                let mut index = worker;
                while Instant::now() < deadline {
                    let path = format!("/{BUCKET}/small/{}", index % 64);
                    index += concurrency;
                    let begun = Instant::now();
                    let headers = s3_headers(&host, "GET", &path, &sha256_hex(b""), &key);
                    let answer = match http.get(format!("{base}{path}")).headers(headers).send().await {
                        Ok(answer) if answer.status().is_success() => answer.bytes().await.is_ok(),
                        _ => false,
                    };
                    if answer {
                        latencies.push(begun.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (latencies, errors) = gather(workers).await;
    (latencies.len() as f64 / started.elapsed().as_secs_f64(), errors)
}

fn memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|line| line.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `transfer` while sampling the server's resident memory; (seconds, peak KiB).
async fn sampled<F: std::future::Future<Output = u64>>(server_pid: Option<u32>, transfer: F) -> (f64, u64, Option<u64>) {
    let peak = Arc::new(Mutex::new(0u64));
    let sampler = server_pid.map(|pid| {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                if let Some(rss) = memory_kib(pid) {
                    let mut peak = peak.lock().unwrap();
                    *peak = (*peak).max(rss);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    });
    let started = Instant::now();
    let bytes = transfer.await;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(sampler) = sampler {
        sampler.abort();
    }
    let peak = *peak.lock().unwrap();
    (seconds, bytes, server_pid.map(|_| peak))
}

async fn upload(http: &reqwest::Client, base: &str, key: &(String, String), size: u64) -> u64 {
    let host = base.split("://").nth(1).unwrap().to_string();
    let path = format!("/{BUCKET}/big/upload");
    let mut headers = s3_headers(&host, "PUT", &path, "UNSIGNED-PAYLOAD", key);
    headers.insert("content-length", HeaderValue::from(size));
    let answer = http.put(format!("{base}{path}")).headers(headers).body(reqwest::Body::wrap(Generated { left: size })).send().await.expect("the upload");
    assert!(answer.status().is_success(), "upload: {}", answer.status());
    size
}

async fn download(http: &reqwest::Client, base: &str, key: &(String, String)) -> u64 {
    let host = base.split("://").nth(1).unwrap().to_string();
    let path = format!("/{BUCKET}/big/large");
    let headers = s3_headers(&host, "GET", &path, &sha256_hex(b""), key);
    let mut answer = http.get(format!("{base}{path}")).headers(headers).send().await.expect("the download");
    assert!(answer.status().is_success(), "download: {}", answer.status());
    let mut bytes = 0u64;
    while let Some(chunk) = answer.chunk().await.expect("the download's body") {
        bytes += chunk.len() as u64;
    }
    bytes
}

#[allow(clippy::too_many_arguments)]
pub async fn run(endpoint: &str, gateway: &str, upstream_listen: &str, signer: &Signer, server_pid: Option<u32>, concurrency: usize, duration: Duration, large_mib: u64) {
    let large = large_mib * 1024 * 1024;
    serve_upstream(upstream_listen, large).await;
    let direct = format!("http://{upstream_listen}");
    let key = load_user(endpoint, signer).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build().unwrap();
    let routes = [("direct", direct.as_str()), ("gateway", gateway)];
    for put in [true, false] {
        let what = if put { "PUT 1 KiB" } else { "GET 1 KiB" };
        let mut p50s = Vec::new();
        for (label, base) in routes {
            let latencies = one_at_a_time(&http, base, put, &key, duration).await;
            let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
            println!("{what} {label}: p50 {p50:.3} ms, p99 {p99:.3} ms ({} requests, one at a time)", latencies.len());
            p50s.push((p50, p99));
        }
        println!("{what}: the gateway adds p50 {:.3} ms, p99 {:.3} ms", p50s[1].0 - p50s[0].0, p50s[1].1 - p50s[0].1);
    }
    let mut rates = Vec::new();
    for (label, base) in routes {
        let (per_second, errors) = rate(&http, base, &key, concurrency, duration).await;
        println!("GET 1 KiB {label} at concurrency {concurrency}: {per_second:.0}/s, {errors} errors");
        rates.push(per_second);
    }
    println!("GET 1 KiB at concurrency {concurrency}: gateway / direct {:.2}", rates[1] / rates[0]);
    let idle = server_pid.and_then(memory_kib);
    for (what, is_upload) in [("upload", true), ("download", false)] {
        let mut speeds = Vec::new();
        for (label, base) in routes {
            let (seconds, bytes, peak) = if is_upload {
                sampled(server_pid.filter(|_| label == "gateway"), upload(&http, base, &key, large)).await
            } else {
                sampled(server_pid.filter(|_| label == "gateway"), download(&http, base, &key)).await
            };
            assert_eq!(bytes, large, "the whole {what}");
            let speed = bytes as f64 / 1_048_576.0 / seconds;
            let memory = peak.map(|peak| format!(", server peak RSS {} MiB (idle before: {} MiB)", peak / 1024, idle.unwrap_or(0) / 1024)).unwrap_or_default();
            println!("{large_mib} MiB {what} {label}: {speed:.0} MB/s{memory}");
            speeds.push(speed);
        }
        println!("{large_mib} MiB {what}: gateway / direct {:.2}", speeds[1] / speeds[0]);
    }
}

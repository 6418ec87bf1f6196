//! `cognate-load console`: how long the console takes to render a pool's users. Signs in to
//! `/console/` with the root keys, then, one request at a time, renders the first page of
//! --pool's users and a filtered search (`email ^= "<prefix>"`) --requests times each, and in the
//! same run sends the ListUsers calls behind them (signed, as the API answers them): the
//! console's cost is the page's time against the raw API's.

use std::time::{Duration, Instant};

use super::Signer;

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    sorted[((sorted.len() as f64 * fraction) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn timed<F, Fut>(requests: usize, mut send: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        let started = Instant::now();
        let bytes = send().await;
        assert!(bytes > 0, "an empty answer");
        times.push(started.elapsed());
    }
    times.sort();
    times
}

pub async fn run(endpoint: &str, signer: &Signer, pool: &str, filter_prefix: &str, requests: usize) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client");
    let signed_in = http
        .post(format!("{endpoint}/console/sign-in"))
        .form(&[("access_key_id", signer.access_key_id.as_str()), ("secret_access_key", signer.secret_access_key.as_str())])
        .send()
        .await
        .expect("the console's sign-in");
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_string();
    let filter = format!("email ^= \"{filter_prefix}\"");
    let pages = [
        ("first page of users", format!("{endpoint}/console/pools/{pool}/users"), serde_json::json!({"UserPoolId": pool, "Limit": 60})),
        (
            "filtered search",
            reqwest::Url::parse_with_params(&format!("{endpoint}/console/pools/{pool}/users"), &[("filter", filter.as_str())]).expect("a URL").to_string(),
            serde_json::json!({"UserPoolId": pool, "Limit": 60, "Filter": filter}),
        ),
    ];
    let host = endpoint.split("://").nth(1).unwrap_or("").trim_end_matches('/').to_string();
    for (what, url, api_body) in pages {
        let (http, cookie) = (&http, &cookie);
        let check = http.get(&url).header("cookie", cookie).send().await.expect("a console page");
        assert!(check.status().is_success(), "the console answered {}", check.status());
        let rendered = timed(requests, || async {
            let response = http.get(&url).header("cookie", cookie).send().await.expect("a console page");
            assert!(response.status().is_success(), "the console answered {}", response.status());
            response.bytes().await.map(|bytes| bytes.len()).unwrap_or(0)
        })
        .await;
        let body = api_body.to_string();
        let raw = timed(requests, || async {
            let headers = signer.sign(&host, "ListUsers", &body);
            let response = http.post(format!("{endpoint}/")).headers(headers).body(body.clone()).send().await.expect("ListUsers");
            assert!(response.status().is_success(), "ListUsers answered {}", response.status());
            response.bytes().await.map(|bytes| bytes.len()).unwrap_or(0)
        })
        .await;
        println!(
            "console {what}: p50 {:.2} ms, p99 {:.2} ms over {requests} renders; ListUsers behind it p50 {:.2} ms, p99 {:.2} ms; page/API at p50 {:.2}",
            percentile(&rendered, 0.5),
            percentile(&rendered, 0.99),
            percentile(&raw, 0.5),
            percentile(&raw, 0.99),
            percentile(&rendered, 0.5) / percentile(&raw, 0.5).max(f64::MIN_POSITIVE),
        );
    }
}

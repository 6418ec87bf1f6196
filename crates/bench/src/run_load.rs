//! `cognate-load run`: one signed cognito-idp operation sent repeatedly at a fixed concurrency
//! for a bounded time; answers how many succeeded.

use super::*;

pub(crate) async fn run(
    endpoint: String,
    target: String,
    body: String,
    index_range: usize,
    concurrency: usize,
    duration: Duration,
    signer: Arc<Signer>,
) -> usize {
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
    latencies.len() - n_errors
}

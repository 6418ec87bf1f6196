//! This node's counters, rendered in the Prometheus text format (0.0.4) for `GET /metrics`
//! ([`crate::metrics`]): requests by API, operation, status and error code, with latency
//! histograms; sign-in attempts by operation and outcome; the gauges read at each scrape. Each
//! node counts its own requests; a scraper sums the nodes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;


/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Operations whose outcome is a sign-in attempt.
const SIGN_IN_OPERATIONS: [&str; 6] =
    ["InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge", "oauth2/token", "login"];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// One finished request, as the logging layer saw it.
pub struct Observed<'a> {
    pub method: &'a str,
    pub api: &'a str,
    pub operation: &'a str,
    pub status: u16,
    /// The protocol's error code, when the answer names one.
    pub error: Option<&'a str>,
    pub latency: Duration,
}

/// This node's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16, String), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    sign_ins: Mutex<BTreeMap<(String, String), u64>>,
}

impl Metrics {
    pub fn observe(&self, request: &Observed<'_>) {
        let error = request.error.unwrap_or("").to_string();
        let key = (request.api.to_string(), request.operation.to_string(), request.status, error.clone());
        *self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry(key).or_default() += 1;
        let seconds = request.latency.as_secs_f64();
        let mut latency = self.latency.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let histogram = latency.entry((request.api.to_string(), request.operation.to_string())).or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        drop(latency);
        // The hosted login page counts when its form is sent, not when it is shown.
        if SIGN_IN_OPERATIONS.contains(&request.operation) && (request.operation != "login" || request.method == "POST") {
            let outcome = match (request.status, error.as_str()) {
                (200..=399, _) => "answered".to_string(),
                (_, "") => format!("status_{}", request.status),
                (_, code) => code.to_string(),
            };
            *self.sign_ins.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry((request.operation.to_string(), outcome)).or_default() += 1;
        }
    }

    /// The text exposition of every counter, and of the gauges read now.
    pub fn render(&self, push_connections: usize, database: Option<(u32, u32)>) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP cognate_build_info The running version.\n# TYPE cognate_build_info gauge");
        let _ = writeln!(out, "cognate_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        let _ = writeln!(out, "# HELP cognate_requests_total Requests answered, by API, operation, status and error code.\n# TYPE cognate_requests_total counter");
        for ((api, operation, status, error), count) in self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter() {
            let _ = writeln!(out, "cognate_requests_total{{api=\"{}\",operation=\"{}\",status=\"{status}\",error=\"{}\"}} {count}", label(api), label(operation), label(error));
        }
        let _ = writeln!(out, "# HELP cognate_request_duration_seconds Time to answer a request, by API and operation.\n# TYPE cognate_request_duration_seconds histogram");
        for ((api, operation), histogram) in self.latency.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter() {
            let labels = format!("api=\"{}\",operation=\"{}\"", label(api), label(operation));
            for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter()) {
                let _ = writeln!(out, "cognate_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "cognate_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", histogram.count);
            let _ = writeln!(out, "cognate_request_duration_seconds_sum{{{labels}}} {}", histogram.sum);
            let _ = writeln!(out, "cognate_request_duration_seconds_count{{{labels}}} {}", histogram.count);
        }
        let _ = writeln!(out, "# HELP cognate_sign_in_attempts_total Sign-in requests (password, SRP, challenge answers, token endpoint, hosted form) by operation and outcome.\n# TYPE cognate_sign_in_attempts_total counter");
        for ((operation, outcome), count) in self.sign_ins.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter() {
            let _ = writeln!(out, "cognate_sign_in_attempts_total{{operation=\"{}\",outcome=\"{}\"}} {count}", label(operation), label(outcome));
        }
        let _ = writeln!(out, "# HELP cognate_push_connections Sync push WebSockets open on this node.\n# TYPE cognate_push_connections gauge\ncognate_push_connections {push_connections}");
        if let Some((open, idle)) = database {
            let _ = writeln!(out, "# HELP cognate_database_connections Database pool connections by state.\n# TYPE cognate_database_connections gauge");
            let _ = writeln!(out, "cognate_database_connections{{state=\"busy\"}} {}", open.saturating_sub(idle));
            let _ = writeln!(out, "cognate_database_connections{{state=\"idle\"}} {idle}");
        }
        out
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_latency_and_sign_ins() {
        let metrics = Metrics::default();
        fn seen(operation: &'static str, status: u16, error: Option<&'static str>, millis: u64) -> Observed<'static> {
            Observed { method: "POST", api: "cognito-idp", operation, status, error, latency: Duration::from_millis(millis) }
        }
        metrics.observe(&seen("InitiateAuth", 200, None, 3));
        metrics.observe(&seen("InitiateAuth", 400, Some("NotAuthorizedException"), 7));
        metrics.observe(&seen("ListUsers", 200, None, 30));
        let text = metrics.render(2, Some((4, 3)));
        assert!(text.contains("cognate_requests_total{api=\"cognito-idp\",operation=\"InitiateAuth\",status=\"400\",error=\"NotAuthorizedException\"} 1"), "{text}");
        assert!(text.contains("cognate_request_duration_seconds_bucket{api=\"cognito-idp\",operation=\"InitiateAuth\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("cognate_request_duration_seconds_bucket{api=\"cognito-idp\",operation=\"InitiateAuth\",le=\"0.01\"} 2"), "{text}");
        assert!(text.contains("cognate_sign_in_attempts_total{operation=\"InitiateAuth\",outcome=\"NotAuthorizedException\"} 1"), "{text}");
        assert!(!text.contains("cognate_sign_in_attempts_total{operation=\"ListUsers\""), "{text}");
        assert!(text.contains("cognate_push_connections 2") && text.contains("cognate_database_connections{state=\"busy\"} 1"), "{text}");
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

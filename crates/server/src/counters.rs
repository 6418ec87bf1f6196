//! This node's counters, rendered in the Prometheus text format (0.0.4) for `GET /metrics`
//! ([`crate::metrics`]): requests by API, operation, status and error code, with latency
//! histograms; sign-in requests by operation and outcome; what the domain counts through its
//! [`Tally`] port (sign-in steps by flow and outcome, lockouts, tokens, trigger calls with their
//! latency); credentials issued; the gateway's requests and bytes; push deliveries; and the
//! gauges read at each scrape. Each node counts its own; a scraper sums the nodes. A server
//! started with `--metrics false` counts nothing.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use cognate_domain::tally::{Counted, Tally};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Operations whose outcome is a sign-in attempt.
const SIGN_IN_OPERATIONS: [&str; 6] =
    ["InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge", "oauth2/token", "login"];

/// Operations whose success hands out temporary AWS credentials.
const CREDENTIAL_OPERATIONS: [&str; 6] =
    ["GetCredentialsForIdentity", "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetSessionToken", "GetFederationToken"];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn add(&mut self, seconds: f64) {
        self.count += 1;
        self.sum += seconds;
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }
}

/// Separates the label values in a map key; no value holds it.
const KEY_SEPARATOR: char = '\u{1f}';

/// Runs `then` with the label values joined into one map key, built in this thread's buffer, so
/// that counting what was counted before allocates nothing.
fn with_key<R>(values: &[&str], then: impl FnOnce(&str) -> R) -> R {
    thread_local!(static KEY: RefCell<String> = const { RefCell::new(String::new()) });
    KEY.with_borrow_mut(|key| {
        key.clear();
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                key.push(KEY_SEPARATOR);
            }
            key.push_str(value);
        }
        then(key)
    })
}

/// The value at `key`, added first if it is not there.
fn entry<'a, V: Default>(map: &'a mut BTreeMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// A counter family: one count per combination of its labels' values (joined by [`KEY_SEPARATOR`]).
struct Family {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<String, u64>>,
}

impl Family {
    const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Family {
        Family { name, help, labels, values: Mutex::new(BTreeMap::new()) }
    }

    fn add(&self, values: &[&str], by: u64) {
        with_key(values, |key| *entry(&mut self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner()), key) += by);
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}\n# TYPE {} counter", self.name, self.help, self.name);
        let values = self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.labels.is_empty() {
            let _ = writeln!(out, "{} {}", self.name, values.values().sum::<u64>());
            return;
        }
        for (values, count) in values.iter() {
            let _ = writeln!(out, "{}{{{}}} {count}", self.name, labels(self.labels, values));
        }
    }
}

/// A histogram family, one histogram per combination of its labels' values.
struct Histograms {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<String, Histogram>>,
}

impl Histograms {
    const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Histograms {
        Histograms { name, help, labels, values: Mutex::new(BTreeMap::new()) }
    }

    fn add(&self, values: &[&str], latency: Duration) {
        with_key(values, |key| entry(&mut self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner()), key).add(latency.as_secs_f64()));
    }

    fn render(&self, out: &mut String) {
        let name = self.name;
        let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} histogram", self.help);
        for (values, histogram) in self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter() {
            let labels = labels(self.labels, values);
            let sep = if labels.is_empty() { "" } else { "," };
            for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter()) {
                let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", histogram.count);
            let _ = writeln!(out, "{name}_sum{{{labels}}} {}", histogram.sum);
            let _ = writeln!(out, "{name}_count{{{labels}}} {}", histogram.count);
        }
    }
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

/// One finished gateway request.
pub struct GatewayObserved<'a> {
    pub service: &'a str,
    pub decision: &'a str,
    pub status: u16,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub latency: Duration,
}

/// What the push hub has delivered, read at each scrape.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushCounts {
    pub connections: usize,
    pub to_sockets: u64,
    pub to_gateway: u64,
    pub gateway_dropped: u64,
}

/// This node's counters.
pub struct Metrics {
    enabled: bool,
    requests: Family,
    latency: Histograms,
    sign_in_requests: Family,
    sign_ins: Family,
    lockouts: Family,
    tokens: Family,
    credentials: Family,
    triggers: Family,
    trigger_latency: Histograms,
    gateway: Family,
    gateway_bytes: Family,
    gateway_latency: Histograms,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Metrics").field("enabled", &self.enabled).finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(true)
    }
}

impl Metrics {
    /// Counters that count (`enabled`), or that stay empty.
    pub fn new(enabled: bool) -> Metrics {
        Metrics {
            enabled,
            requests: Family::new("cognate_requests_total", "Requests answered, by API, operation, status and error code.", &["api", "operation", "status", "error"]),
            latency: Histograms::new("cognate_request_duration_seconds", "Time to answer a request, by API and operation.", &["api", "operation"]),
            sign_in_requests: Family::new(
                "cognate_sign_in_attempts_total",
                "Sign-in requests (password, SRP, challenge answers, token endpoint, hosted form) by operation and outcome.",
                &["operation", "outcome"],
            ),
            sign_ins: Family::new("cognate_sign_ins_total", "Sign-in steps by flow (AuthFlow, challenge answered, hosted step) and outcome (Pass, Fail, InProgress).", &["flow", "outcome"]),
            lockouts: Family::new("cognate_lockouts_total", "Sign-ins refused because the user is locked out after failed attempts.", &[]),
            tokens: Family::new("cognate_tokens_issued_total", "ID and access tokens issued, by occasion.", &["occasion"]),
            credentials: Family::new("cognate_credentials_issued_total", "Temporary AWS credentials issued, by operation.", &["operation"]),
            triggers: Family::new("cognate_trigger_invocations_total", "Lambda trigger invocations by trigger and outcome.", &["trigger", "outcome"]),
            trigger_latency: Histograms::new("cognate_trigger_duration_seconds", "Time a Lambda trigger took to answer.", &["trigger"]),
            gateway: Family::new("cognate_gateway_requests_total", "Gateway requests by service, decision and status.", &["service", "decision", "status"]),
            gateway_bytes: Family::new("cognate_gateway_bytes_total", "Bytes through the gateway by service and direction.", &["service", "direction"]),
            gateway_latency: Histograms::new("cognate_gateway_duration_seconds", "Time a gateway request took, its answer's body included.", &["service"]),
        }
    }

    pub fn observe(&self, request: &Observed<'_>) {
        if !self.enabled {
            return;
        }
        let error = request.error.unwrap_or("");
        let status = StatusDigits::new(request.status);
        self.requests.add(&[request.api, request.operation, status.as_str(), error], 1);
        self.latency.add(&[request.api, request.operation], request.latency);
        // The hosted login page counts when its form is sent, not when it is shown.
        if SIGN_IN_OPERATIONS.contains(&request.operation) && (request.operation != "login" || request.method == "POST") {
            let outcome = match (request.status, error) {
                (200..=399, _) => Cow::Borrowed("answered"),
                (_, "") => Cow::Owned(format!("status_{}", request.status)),
                (_, code) => Cow::Borrowed(code),
            };
            self.sign_in_requests.add(&[request.operation, &outcome], 1);
        }
        if request.status == 200 && CREDENTIAL_OPERATIONS.contains(&request.operation) {
            self.credentials.add(&[request.operation], 1);
        }
    }

    pub fn observe_gateway(&self, request: &GatewayObserved<'_>) {
        if !self.enabled {
            return;
        }
        self.gateway.add(&[request.service, request.decision, StatusDigits::new(request.status).as_str()], 1);
        self.gateway_bytes.add(&[request.service, "in"], request.bytes_in);
        self.gateway_bytes.add(&[request.service, "out"], request.bytes_out);
        self.gateway_latency.add(&[request.service], request.latency);
    }

    /// The text exposition of every counter, and of the gauges read now.
    pub fn render(&self, push: PushCounts, database: Option<(u32, u32)>) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP cognate_build_info The running version.\n# TYPE cognate_build_info gauge");
        let _ = writeln!(out, "cognate_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        self.requests.render(&mut out);
        self.latency.render(&mut out);
        self.sign_in_requests.render(&mut out);
        self.sign_ins.render(&mut out);
        self.lockouts.render(&mut out);
        self.tokens.render(&mut out);
        self.credentials.render(&mut out);
        self.triggers.render(&mut out);
        self.trigger_latency.render(&mut out);
        self.gateway.render(&mut out);
        self.gateway_bytes.render(&mut out);
        self.gateway_latency.render(&mut out);
        let _ = writeln!(out, "# HELP cognate_push_connections Sync push WebSockets open on this node.\n# TYPE cognate_push_connections gauge\ncognate_push_connections {}", push.connections);
        let _ = writeln!(out, "# HELP cognate_push_deliveries_total Dataset change notifications delivered, by channel and outcome.\n# TYPE cognate_push_deliveries_total counter");
        let _ = writeln!(out, "cognate_push_deliveries_total{{channel=\"websocket\",outcome=\"sent\"}} {}", push.to_sockets);
        let _ = writeln!(out, "cognate_push_deliveries_total{{channel=\"gateway\",outcome=\"sent\"}} {}", push.to_gateway);
        let _ = writeln!(out, "cognate_push_deliveries_total{{channel=\"gateway\",outcome=\"dropped\"}} {}", push.gateway_dropped);
        if let Some((open, idle)) = database {
            let _ = writeln!(out, "# HELP cognate_database_connections Database pool connections by state.\n# TYPE cognate_database_connections gauge");
            let _ = writeln!(out, "cognate_database_connections{{state=\"busy\"}} {}", open.saturating_sub(idle));
            let _ = writeln!(out, "cognate_database_connections{{state=\"idle\"}} {idle}");
        }
        out
    }
}

impl Tally for Metrics {
    fn count(&self, counted: Counted) {
        if !self.enabled {
            return;
        }
        match counted {
            Counted::SignIn { flow, outcome } => self.sign_ins.add(&[flow, outcome], 1),
            Counted::Lockout => self.lockouts.add(&[], 1),
            Counted::TokensIssued { occasion } => self.tokens.add(&[occasion], 1),
            Counted::Trigger { trigger, outcome, latency } => {
                self.triggers.add(&[trigger, outcome], 1);
                self.trigger_latency.add(&[trigger], latency);
            }
        }
    }
}

/// `name="value",…` with each value as the text format wants it.
fn labels(names: &[&str], values: &str) -> String {
    names.iter().zip(values.split(KEY_SEPARATOR)).map(|(name, value)| format!("{name}=\"{}\"", label(value))).collect::<Vec<_>>().join(",")
}

/// A status code's three digits (every code HTTP carries has three), without allocating.
struct StatusDigits([u8; 3]);

impl StatusDigits {
    fn new(status: u16) -> StatusDigits {
        let digit = |value: u16| b'0' + (value % 10) as u8;
        StatusDigits([digit(status / 100), digit(status / 10), digit(status)])
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(operation: &'static str, status: u16, error: Option<&'static str>, millis: u64) -> Observed<'static> {
        Observed { method: "POST", api: "cognito-idp", operation, status, error, latency: Duration::from_millis(millis) }
    }

    #[test]
    fn counts_requests_latency_and_sign_ins() {
        let metrics = Metrics::default();
        metrics.observe(&seen("InitiateAuth", 200, None, 3));
        metrics.observe(&seen("InitiateAuth", 400, Some("NotAuthorizedException"), 7));
        metrics.observe(&seen("InitiateAuth", 200, None, 4));
        metrics.observe(&seen("ListUsers", 200, None, 30));
        metrics.observe(&seen("GetCredentialsForIdentity", 200, None, 2));
        metrics.count(Counted::SignIn { flow: "USER_PASSWORD_AUTH", outcome: "Fail" });
        metrics.count(Counted::Lockout);
        metrics.count(Counted::Trigger { trigger: "PreSignUp", outcome: "ok", latency: Duration::from_millis(4) });
        let push = PushCounts { connections: 2, to_sockets: 5, ..PushCounts::default() };
        let text = metrics.render(push, Some((4, 3)));
        assert!(text.contains("cognate_requests_total{api=\"cognito-idp\",operation=\"InitiateAuth\",status=\"400\",error=\"NotAuthorizedException\"} 1"), "{text}");
        assert!(text.contains("cognate_requests_total{api=\"cognito-idp\",operation=\"InitiateAuth\",status=\"200\",error=\"\"} 2"), "{text}");
        assert!(text.contains("cognate_request_duration_seconds_bucket{api=\"cognito-idp\",operation=\"InitiateAuth\",le=\"0.005\"} 2"), "{text}");
        assert!(text.contains("cognate_request_duration_seconds_bucket{api=\"cognito-idp\",operation=\"InitiateAuth\",le=\"0.01\"} 3"), "{text}");
        assert!(text.contains("cognate_sign_in_attempts_total{operation=\"InitiateAuth\",outcome=\"answered\"} 2"), "{text}");
        assert!(text.contains("cognate_sign_in_attempts_total{operation=\"InitiateAuth\",outcome=\"NotAuthorizedException\"} 1"), "{text}");
        assert!(!text.contains("cognate_sign_in_attempts_total{operation=\"ListUsers\""), "{text}");
        assert!(text.contains("cognate_sign_ins_total{flow=\"USER_PASSWORD_AUTH\",outcome=\"Fail\"} 1"), "{text}");
        assert!(text.contains("cognate_lockouts_total 1"), "{text}");
        assert!(text.contains("cognate_credentials_issued_total{operation=\"GetCredentialsForIdentity\"} 1"), "{text}");
        assert!(text.contains("cognate_trigger_duration_seconds_bucket{trigger=\"PreSignUp\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("cognate_push_connections 2") && text.contains("cognate_database_connections{state=\"busy\"} 1"), "{text}");
        assert!(text.contains("cognate_push_deliveries_total{channel=\"websocket\",outcome=\"sent\"} 5"), "{text}");
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn a_disabled_node_counts_nothing() {
        let metrics = Metrics::new(false);
        metrics.observe(&seen("InitiateAuth", 200, None, 3));
        metrics.count(Counted::Lockout);
        let text = metrics.render(PushCounts::default(), None);
        assert!(!text.contains("cognate_requests_total{") && text.contains("cognate_lockouts_total 0"), "{text}");
    }
}

//! What a run cost the server's CPU (`/proc/<pid>/stat`, user and system time), and the yardstick
//! for token-issuing paths measured in the same run: RS256 signatures per second on one thread,
//! with the same code the server signs with, before the load and after it. A path that signs
//! `n` tokens a request is at the limit when it does `rate / n` requests per server CPU-second.

use std::time::{Duration, Instant};

use cognate_domain::tokens;

/// Linux's USER_HZ, the unit of the times in `/proc/<pid>/stat`.
const TICKS_PER_SECOND: f64 = 100.0;

pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields follow its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / TICKS_PER_SECOND)
}

/// RS256 signatures of an access token's claims per second, on this thread, for `duration`.
pub(crate) fn rs256_rate(duration: Duration) -> f64 {
    let master_key = cognate_domain::crypto::MasterKey::generate();
    let record = tokens::generate_signing_key(&master_key, "us-east-1_yardstick", tokens::KeyPurpose::AccessToken, 0).expect("a key");
    let key = tokens::load_signing_key(&master_key, &record).expect("it loads");
    let claims = serde_json::json!({"sub": "6f2a1c4e-0000-4000-8000-000000000000", "iss": "http://127.0.0.1:9229/us-east-1_yardstick",
        "client_id": "abcdefghijklmnopqrstuvwxyz", "token_use": "access", "scope": "aws.cognito.signin.user.admin", "exp": 2, "iat": 1});
    let started = Instant::now();
    let mut signed = 0u64;
    while started.elapsed() < duration {
        std::hint::black_box(tokens::sign_jwt(&key, &claims));
        signed += 1;
    }
    signed as f64 / started.elapsed().as_secs_f64()
}

/// A server's CPU time from now, and the yardstick taken just before and again just after.
pub(crate) struct CpuWatch {
    pid: u32,
    cpu_at_start: f64,
    raw_before: f64,
    signatures_per_request: f64,
}

impl CpuWatch {
    /// Measures the raw signing rate (3 s, the server idle), then starts counting the server's CPU.
    pub(crate) fn start(pid: u32, signatures_per_request: f64) -> CpuWatch {
        let raw_before = rs256_rate(Duration::from_secs(3));
        println!("raw RS256 signing (aws-lc-rs, one thread, this run) before the load: {raw_before:.0}/s");
        CpuWatch { pid, cpu_at_start: cpu_seconds(pid).expect("the server's /proc/<pid>/stat"), raw_before, signatures_per_request }
    }

    /// Prints the requests per server CPU-second, against the raw limit: the signing rate measured
    /// again once the load is over (3 s), averaged with the one before, since a shared machine's
    /// rate drifts by several percent from minute to minute.
    pub(crate) fn report(&self, requests: usize) {
        let used = cpu_seconds(self.pid).expect("the server's /proc/<pid>/stat") - self.cpu_at_start;
        let raw_after = rs256_rate(Duration::from_secs(3));
        let raw_rate = (self.raw_before + raw_after) / 2.0;
        println!("raw RS256 signing after the load: {raw_after:.0}/s; mean {raw_rate:.0}/s");
        let per_cpu_second = requests as f64 / used.max(0.01);
        let limit = raw_rate / self.signatures_per_request;
        println!(
            "server CPU {used:.2} s: {per_cpu_second:.0} requests per server CPU-second; limit at {:.0} signature(s) a request {limit:.0}; ratio {:.2}",
            self.signatures_per_request,
            per_cpu_second / limit
        );
    }
}

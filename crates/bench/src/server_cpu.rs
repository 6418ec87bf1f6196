//! What a run cost the server's CPU (`/proc/<pid>/stat`, user and system time), and the yardstick
//! for token-issuing paths measured in the same run: RS256 signatures per thread CPU-second, with
//! the same code the server signs with, beside the load (and, for comparison, before and after
//! it). A path that signs `n` tokens a request is at the limit when it does `rate / n` requests
//! per server CPU-second.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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

/// This thread's CPU time in nanoseconds (`/proc/thread-self/schedstat`), so that the yardstick
/// counts what the CPU did, as the server's CPU time does, not wall time a busy machine stretches.
fn thread_cpu_nanos() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("/proc/thread-self/schedstat");
    text.split_whitespace().next().and_then(|field| field.parse().ok()).expect("a run time in nanoseconds")
}

/// The key and claims the yardstick signs: an access token's, with the code the server signs with.
fn yardstick_key() -> (tokens::LoadedSigningKey, serde_json::Value) {
    let master_key = cognate_domain::crypto::MasterKey::generate();
    let record = tokens::generate_signing_key(&master_key, "us-east-1_yardstick", tokens::KeyPurpose::AccessToken, 0).expect("a key");
    let key = tokens::load_signing_key(&master_key, &record).expect("it loads");
    let claims = serde_json::json!({"sub": "6f2a1c4e-0000-4000-8000-000000000000", "iss": "http://127.0.0.1:9229/us-east-1_yardstick",
        "client_id": "abcdefghijklmnopqrstuvwxyz", "token_use": "access", "scope": "aws.cognito.signin.user.admin", "exp": 2, "iat": 1});
    (key, claims)
}

/// Signs for `burst` of wall time; the signatures made and the thread CPU nanoseconds they took.
fn sign_for(key: &tokens::LoadedSigningKey, claims: &serde_json::Value, burst: Duration) -> (u64, u64) {
    let (started, cpu_at_start) = (Instant::now(), thread_cpu_nanos());
    let mut signed = 0u64;
    while started.elapsed() < burst {
        std::hint::black_box(tokens::sign_jwt(key, claims));
        signed += 1;
    }
    (signed, thread_cpu_nanos() - cpu_at_start)
}

/// RS256 signatures of an access token's claims per thread CPU-second, on this thread, for `duration`.
pub(crate) fn rs256_rate(duration: Duration) -> f64 {
    let (key, claims) = yardstick_key();
    let (signed, nanos) = sign_for(&key, &claims, duration);
    signed as f64 / (nanos.max(1) as f64 / 1e9)
}

/// The yardstick taken while the load runs: a thread that signs for 25 ms out of every 250 ms
/// (a tenth of one core, taken from the load), counted in its own CPU time. A shared machine's
/// signing rate drifts by tens of percent from minute to minute; taken beside the load, the
/// yardstick sees the same machine the server does.
struct Beside {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(u64, u64)>,
}

impl Beside {
    fn start() -> Beside {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("yardstick".into())
            .spawn(move || {
                crate::scheduling::as_a_normal_thread();
                let (key, claims) = yardstick_key();
                let (mut signed, mut nanos) = (0u64, 0u64);
                while !flag.load(Ordering::Relaxed) {
                    let (burst_signed, burst_nanos) = sign_for(&key, &claims, Duration::from_millis(25));
                    signed += burst_signed;
                    nanos += burst_nanos;
                    std::thread::sleep(Duration::from_millis(225));
                }
                (signed, nanos)
            })
            .expect("a yardstick thread");
        Beside { stop, thread }
    }

    /// Signatures per thread CPU-second over the load.
    fn finish(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        let (signed, nanos) = self.thread.join().expect("the yardstick thread");
        signed as f64 / (nanos.max(1) as f64 / 1e9)
    }
}

/// A server's CPU time from now, and the yardstick: taken on an idle machine just before the load
/// and just after it, and taken beside the load.
pub(crate) struct CpuWatch {
    pid: u32,
    cpu_at_start: f64,
    raw_before: f64,
    beside: Beside,
    signatures_per_request: f64,
}

impl CpuWatch {
    /// Measures the raw signing rate (3 s, the server idle), then starts counting the server's CPU
    /// and the yardstick beside the load.
    pub(crate) fn start(pid: u32, signatures_per_request: f64) -> CpuWatch {
        let raw_before = rs256_rate(Duration::from_secs(3));
        println!("raw RS256 signing (aws-lc-rs, one thread, per thread CPU-second) before the load: {raw_before:.0}/s");
        let beside = Beside::start();
        CpuWatch { pid, cpu_at_start: cpu_seconds(pid).expect("the server's /proc/<pid>/stat"), raw_before, beside, signatures_per_request }
    }

    /// Prints the requests per server CPU-second against the raw limit: the signing rate taken
    /// beside the load; and, for comparison, against the mean of the idle rates before and after.
    /// Returns the ratio against the yardstick taken beside the load.
    pub(crate) fn report(self, requests: usize) -> f64 {
        let used = cpu_seconds(self.pid).expect("the server's /proc/<pid>/stat") - self.cpu_at_start;
        let raw_beside = self.beside.finish();
        let raw_after = rs256_rate(Duration::from_secs(3));
        let raw_idle = (self.raw_before + raw_after) / 2.0;
        println!("raw RS256 signing after the load: {raw_after:.0}/s (idle mean {raw_idle:.0}/s); beside the load (a tenth of a core): {raw_beside:.0}/s");
        let per_cpu_second = requests as f64 / used.max(0.01);
        let n = self.signatures_per_request;
        println!(
            "server CPU {used:.2} s: {per_cpu_second:.0} requests per server CPU-second; limit at {n} signature(s) a request {:.0}; ratio {:.2} (against the idle rate {:.2})",
            raw_beside / n,
            per_cpu_second * n / raw_beside,
            per_cpu_second * n / raw_idle,
        );
        per_cpu_second * n / raw_beside
    }
}

/// After several rounds: each round's ratio, their median and range.
pub(crate) fn report_rounds(ratios: &[f64]) {
    if ratios.len() < 2 {
        return;
    }
    let mut sorted = ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    let median = if sorted.len() % 2 == 1 { sorted[middle] } else { (sorted[middle - 1] + sorted[middle]) / 2.0 };
    let each: Vec<String> = ratios.iter().map(|ratio| format!("{ratio:.2}")).collect();
    println!(
        "ratio over {} rounds: median {median:.2}, min {:.2}, max {:.2} (in order: {})",
        ratios.len(),
        sorted[0],
        sorted[sorted.len() - 1],
        each.join(", ")
    );
}

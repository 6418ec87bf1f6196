//! `cognate-load startup`: time to ready and idle memory of `cognate serve` on an empty store.

use super::*;

pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix("VmRSS:")).and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

pub(crate) async fn startup(binary: PathBuf, runs: usize) {
    let client = reqwest::Client::new();
    let mut ready_ms = Vec::new();
    let mut idle_rss = Vec::new();
    for _ in 0..runs {
        let dir = tempfile_dir();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let started = Instant::now();
        let mut child = tokio::process::Command::new(&binary)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start cognate");
        loop {
            if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/health")).send().await {
                if response.status().is_success() {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(10), "cognate did not become ready");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        ready_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(kib) = child.id().and_then(rss_kib) {
            idle_rss.push(kib);
        }
        let _ = child.kill().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    ready_ms.sort_by(|left, right| left.partial_cmp(right).unwrap());
    idle_rss.sort();
    println!(
        "start-up to ready on an empty SQLite store over {runs} runs: min {:.1} ms, median {:.1} ms; idle RSS median {:.1} MiB",
        ready_ms[0],
        ready_ms[ready_ms.len() / 2],
        idle_rss.get(idle_rss.len() / 2).copied().unwrap_or(0) as f64 / 1024.0
    );
}

pub(crate) fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cognate-startup-{}-{}", std::process::id(), uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn uuid_like() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

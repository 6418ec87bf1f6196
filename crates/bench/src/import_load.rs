//! `cognate-load import`: a user import job of --rows rows against a running server. The CSV
//! (username, email, email_verified, cognito:mfa_enabled) is made in memory, PUT to the job's
//! pre-signed URL, the job started and described every 100 ms until it ends; the job's users per
//! second are from StartUserImportJob to the end. With --server-pid, the server's resident memory
//! before and its peak (VmHWM) after. The raw cost, measured in the same run: the same number of
//! users written straight into a fresh SQLite store in this process, a thousand to a transaction
//! (the records the domain computes, no HTTP, no CSV, no checks).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use cognate_domain::user_pool::{Attribute, User, UserStatus};

use super::{idp_setup, uuid_like, Signer};

/// A line of /proc/<pid>/status in KiB (VmRSS, VmHWM).
fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub async fn run(endpoint: &str, signer: &Signer, pool: &str, rows: usize, server_pid: Option<u32>) {
    let prefix = format!("import{}-", uuid_like() % 1_000_000);
    let mut csv = String::from("cognito:username,email,email_verified,cognito:mfa_enabled\n");
    for index in 0..rows {
        csv.push_str(&format!("{prefix}{index},{prefix}{index}@example.com,true,false\n"));
    }
    let bytes = csv.len();
    let created = idp_setup(endpoint, signer, "CreateUserImportJob", json!({"UserPoolId": pool, "JobName": "load",
        "CloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/CognitoImport"})).await;
    let job_id = created["UserImportJob"]["JobId"].as_str().expect("a job").to_string();
    let url = created["UserImportJob"]["PreSignedUrl"].as_str().expect("a pre-signed URL").to_string();
    let rss_before = server_pid.and_then(|pid| memory_kib(pid, "VmRSS:"));
    let began = Instant::now();
    let uploaded = reqwest::Client::new().put(&url).body(csv).send().await.expect("the upload");
    assert!(uploaded.status().is_success(), "the upload: {}", uploaded.status());
    let upload_time = began.elapsed();
    idp_setup(endpoint, signer, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": job_id})).await;
    let started = Instant::now();
    let job = loop {
        let described = idp_setup(endpoint, signer, "DescribeUserImportJob", json!({"UserPoolId": pool, "JobId": job_id})).await;
        let job = described["UserImportJob"].clone();
        if ["Succeeded", "Failed", "Stopped"].contains(&job["Status"].as_str().unwrap_or("")) {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let job_time = started.elapsed();
    assert_eq!(job["Status"], "Succeeded", "the job: {job}");
    assert_eq!(job["ImportedUsers"].as_u64(), Some(rows as u64), "every row imported: {job}");
    let rate = rows as f64 / job_time.as_secs_f64();
    println!(
        "import of {rows} rows ({:.1} MB): upload {:.2} s, job {:.2} s = {rate:.0} users/s",
        bytes as f64 / 1e6,
        upload_time.as_secs_f64(),
        job_time.as_secs_f64()
    );
    if let Some(pid) = server_pid {
        let peak = memory_kib(pid, "VmHWM:");
        println!(
            "server memory: {} MiB resident before, {} MiB peak (VmHWM) after",
            rss_before.map(|kib| format!("{:.1}", kib as f64 / 1024.0)).unwrap_or_else(|| "?".into()),
            peak.map(|kib| format!("{:.1}", kib as f64 / 1024.0)).unwrap_or_else(|| "?".into())
        );
    }
    let raw = raw_insert_rate(rows).await;
    println!("raw: {raw:.0} users/s written straight into SQLite in this process; the job / raw = {:.2}", rate / raw);
}

/// Users per second written straight into a fresh SQLite store, a thousand to a transaction.
async fn raw_insert_rate(rows: usize) -> f64 {
    let directory = std::env::temp_dir().join(format!("cognate-import-raw-{}", uuid_like()));
    std::fs::create_dir_all(&directory).expect("a scratch directory");
    let store = Arc::new(cognate_store::SqlStore::connect(&format!("sqlite://{}", directory.join("raw.db").display())).await.expect("a store"));
    let seeded = cognate_bench::seed_pool(store.clone(), 0, 1).await;
    let (pool, _) = seeded.service.describe_user_pool(&seeded.pool_id).await.expect("the pool");
    let started = Instant::now();
    let mut index = 0;
    while index < rows {
        let batch: Vec<_> = (index..(index + 1000).min(rows))
            .map(|number| {
                let sub = cognate_domain::ids::new_uuid();
                let attributes = vec![
                    Attribute { name: "sub".into(), value: sub.clone() },
                    Attribute { name: "email".into(), value: format!("raw{number}@example.com") },
                    Attribute { name: "email_verified".into(), value: "true".into() },
                ];
                seeded.service.user_record(&pool, &User::new(&pool.id, format!("raw{number}"), sub, attributes, UserStatus::ResetRequired, 0))
            })
            .collect();
        use cognate_domain::user_pool::store::UserStore;
        store.insert_users(&batch).await.expect("a batch");
        index += batch.len();
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&directory);
    rate
}

//! User-pool micro-benchmarks. The raw cost measured in the same run (one Argon2id hash) is the
//! yardstick that the other figures are read against.
//!
//! `cargo bench -p cognate-bench --bench user_pool` (set COGNATE_BENCH_SIZES=10000 for a quick run,
//! COGNATE_BENCH_ONLY_RAW=1 for the raw costs alone).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};

use cognate_bench::{seed_pool, seeded_email};
use cognate_domain::store::Store;
use cognate_domain::tokens;
use cognate_store::SqlStore;

fn sizes() -> Vec<usize> {
    std::env::var("COGNATE_BENCH_SIZES")
        .ok()
        .map(|text| text.split(',').filter_map(|size| size.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000])
}

fn raw_costs(criterion: &mut Criterion) {
    criterion.bench_function("raw/argon2id_hash", |bencher| {
        bencher.iter(|| cognate_domain::crypto::hash_password("Correct-Horse-Battery-1").unwrap())
    });
    let master_key = cognate_domain::crypto::MasterKey::generate();
    let record = tokens::generate_signing_key(&master_key, "us-east-1_bench", tokens::KeyPurpose::AccessToken, 0).unwrap();
    let key = tokens::load_signing_key(&master_key, &record).unwrap();
    let claims = serde_json::json!({
        "sub": "6f2a1c4e-0000-4000-8000-000000000000", "iss": "http://127.0.0.1:9229/us-east-1_bench",
        "client_id": "abcdefghijklmnopqrstuvwxyz", "origin_jti": "x", "event_id": "y", "token_use": "access",
        "scope": "aws.cognito.signin.user.admin", "auth_time": 1, "exp": 2, "iat": 1, "jti": "z", "username": "alice"
    });
    criterion.bench_function("raw/rs256_sign", |bencher| bencher.iter(|| tokens::sign_jwt(&key, &claims)));
    let token = tokens::sign_jwt(&key, &claims);
    let public = [record.public_jwk()];
    criterion.bench_function("raw/rs256_verify", |bencher| bencher.iter(|| tokens::verify_jwt(&token, &public).unwrap()));
    criterion.bench_function("raw/credential_mint", |bencher| {
        bencher.iter(|| cognate_domain::iam::mint_credentials(&master_key, 0, 3600, bench_session))
    });
}

/// A role session as GetCredentialsForIdentity mints it.
fn bench_session(access_key_id: String, expires_ms: i64) -> cognate_domain::iam::StsSession {
    cognate_domain::iam::StsSession {
        access_key_id,
        created_ms: 0,
        expires_ms,
        role_arn: "arn:aws:iam::000000000000:role/bench".into(),
        role_id: "AROABENCHBENCHBENCHBE".into(),
        role_name: "bench".into(),
        session_name: "CognitoIdentityCredentials".into(),
        session_policy: None,
        session_policy_arns: Vec::new(),
        context: [
            ("cognito-identity.amazonaws.com:aud", "us-east-1:6f2a1c4e-0000-4000-8000-000000000000"),
            ("cognito-identity.amazonaws.com:sub", "us-east-1:0d9d2b36-0000-4000-8000-000000000000"),
            ("cognito-identity.amazonaws.com:amr", "authenticated"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), vec![value.to_string()]))
        .collect(),
        user_name: None,
        mfa_ms: None,
        federated_name: None,
        root: false,
    }
}

fn list_users(criterion: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut group = criterion.benchmark_group("list_users");
    group.measurement_time(Duration::from_secs(5)).sample_size(50);
    for backend in ["sqlite", "postgres"] {
        for n_users in sizes() {
            let dir = tempfile::tempdir().unwrap();
            let url = match backend {
                "sqlite" => format!("sqlite://{}/bench.db", dir.path().display()),
                _ => runtime.block_on(cognate_store::testing::fresh_postgres_database()),
            };
            let store: Arc<dyn Store> = Arc::new(runtime.block_on(SqlStore::connect(&url)).unwrap());
            let started = std::time::Instant::now();
            let seeded = runtime.block_on(seed_pool(store, n_users, 8));
            let (service, pool_id) = (seeded.service, seeded.pool_id);
            eprintln!("seeded {n_users} users on {backend} in {:.1} s", started.elapsed().as_secs_f64());
            let next = AtomicUsize::new(0);
            group.bench_with_input(BenchmarkId::new(format!("{backend}/email_equals"), n_users), &n_users, |bencher, &n_users| {
                bencher.to_async(&runtime).iter(|| {
                    // A different user each time, spread over the pool.
                    let index = next.fetch_add(7919, Ordering::Relaxed) % n_users;
                    let filter = format!("email = \"{}\"", seeded_email(index));
                    let (service, pool_id) = (service.clone(), pool_id.clone());
                    async move {
                        let page = service.list_users(&pool_id, Some(&filter), Some(60), None, None).await.unwrap();
                        assert_eq!(page.items.len(), 1);
                    }
                })
            });
            group.bench_with_input(BenchmarkId::new(format!("{backend}/first_page_of_60"), n_users), &n_users, |bencher, _| {
                bencher.to_async(&runtime).iter(|| {
                    let (service, pool_id) = (service.clone(), pool_id.clone());
                    async move {
                        let page = service.list_users(&pool_id, None, Some(60), None, None).await.unwrap();
                        assert_eq!(page.items.len(), 60);
                    }
                })
            });
            group.bench_with_input(BenchmarkId::new(format!("{backend}/given_name_prefix"), n_users), &n_users, |bencher, _| {
                bencher.to_async(&runtime).iter(|| {
                    let (service, pool_id) = (service.clone(), pool_id.clone());
                    async move {
                        let page = service.list_users(&pool_id, Some("given_name ^= \"Given99\""), Some(60), None, None).await.unwrap();
                        assert!(!page.items.is_empty());
                    }
                })
            });
        }
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    raw_costs(&mut criterion);
    if std::env::var("COGNATE_BENCH_ONLY_RAW").is_err() {
        list_users(&mut criterion);
    }
    criterion.final_summary();
}

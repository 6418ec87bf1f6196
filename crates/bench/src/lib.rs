#![forbid(unsafe_code)]
//! Shared pieces of cognate's benchmarks: seeding a store with many users quickly.

use std::sync::Arc;

use cognate_domain::clock::SystemClock;
use cognate_domain::crypto::{hash_password, MasterKey};
use cognate_domain::ids::new_uuid;
use cognate_domain::store::Store;
use cognate_domain::user_pool::{ExplicitAuthFlow, 
    AppClientSettings, Attribute, CreateUserPoolInput, User, UserPoolService, UserPoolSettings, UserStatus,
};

/// The email of seeded user `index`.
pub fn seeded_email(index: usize) -> String {
    format!("user{index:07}@example.com")
}

/// Default pool settings named `name`.
pub fn default_settings(name: &str) -> UserPoolSettings {
    UserPoolSettings {
        name: name.into(),
        password_policy: Default::default(),
        other_policies: Default::default(),
        deletion_protection: cognate_domain::user_pool::DeletionProtection::Inactive,
        auto_verified_attributes: vec![],
        mfa_configuration: cognate_domain::user_pool::MfaConfiguration::Off,
        account_recovery: None,
        admin_create_user: Default::default(),
        tags: Default::default(),
        tier: cognate_domain::user_pool::UserPoolTier::Essentials,
        opaque: Default::default(),
    }
}

/// The password of every seeded user.
pub const SEEDED_PASSWORD: &str = "Bench-Pass-123";

/// A seeded pool: its id and an app client that allows password and refresh sign-in.
pub struct SeededPool {
    pub service: UserPoolService,
    pub pool_id: cognate_domain::ids::UserPoolId,
    pub client_id: cognate_domain::ids::ClientId,
}

/// Creates a pool, a sign-in client and `n_users` confirmed users (`user0000000`, … with
/// [`SEEDED_PASSWORD`]). The rows are the ones the admin operations write (the domain computes
/// each record), but one Argon2id hash is shared by every user so that seeding 100k users takes
/// seconds rather than the half hour that 100k hashes would, and the users are written in
/// batches, one transaction each, as an import job writes them.
pub async fn seed_pool(store: Arc<dyn Store>, n_users: usize, n_workers: usize) -> SeededPool {
    let service = UserPoolService::new(
        store.clone(),
        Arc::new(SystemClock),
        MasterKey::generate(),
        "us-east-1",
        "000000000000",
        "http://127.0.0.1:9229",
    );
    let pool = service
        .create_user_pool(CreateUserPoolInput {
            settings: default_settings(&format!("bench{n_users}")),
            schema: vec![],
            alias_attributes: vec![],
            username_attributes: vec![],
            case_sensitive: None,
        })
        .await
        .expect("create the pool");
    let (client, _) = service
        .create_user_pool_client(
            &pool.id,
            AppClientSettings {
                name: "bench".into(),
                refresh_token_validity: 30,
                access_token_validity: None,
                id_token_validity: None,
                token_validity_units: None,
                read_attributes: None,
                write_attributes: None,
                explicit_auth_flows: Some(vec![ExplicitAuthFlow::AllowUserPasswordAuth, ExplicitAuthFlow::AllowRefreshTokenAuth]),
                prevent_user_existence_errors: cognate_domain::user_pool::PreventUserExistenceErrors::Enabled,
                enable_token_revocation: true,
                enable_propagate_additional_user_context_data: false,
                auth_session_validity: 3,
                oauth: Default::default(),
                opaque: Default::default(),
            },
            false,
            None,
        )
        .await
        .expect("create the client");
    let password_hash = hash_password(SEEDED_PASSWORD).expect("hash");
    // Each worker takes the next batch of indexes and writes it in one transaction, as an
    // import job writes its users: a commit a batch rather than one a user.
    const BATCH: usize = 500;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..n_workers {
        let (service, store, pool, next, password_hash) =
            (service.clone(), store.clone(), pool.clone(), next.clone(), password_hash.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let start = next.fetch_add(BATCH, std::sync::atomic::Ordering::SeqCst);
                if start >= n_users {
                    break;
                }
                let records: Vec<_> = (start..(start + BATCH).min(n_users))
                    .map(|index| {
                        let sub = new_uuid();
                        let attributes = vec![
                            Attribute { name: "sub".into(), value: sub.clone() },
                            Attribute { name: "email".into(), value: seeded_email(index) },
                            Attribute { name: "given_name".into(), value: format!("Given{}", index % 1000) },
                        ];
                        let mut user =
                            User::new(&pool.id, format!("user{index:07}"), sub, attributes, UserStatus::Confirmed, 0);
                        user.password_hash = Some(password_hash.clone());
                        service.user_record(&pool, &user)
                    })
                    .collect();
                let outcomes = store.insert_users(&records).await.expect("insert a batch of users");
                assert!(outcomes.iter().all(Option::is_none), "a seeded user collided with another");
            }
        }));
    }
    for worker in workers {
        worker.await.expect("a seeding worker");
    }
    SeededPool { service, pool_id: pool.id, client_id: client.client_id }
}

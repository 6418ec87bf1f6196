//! The store conformance suite: one set of checks, run against SQLite and PostgreSQL.

use std::collections::BTreeSet;

use cognate_domain::store::{ClusterStore, ConflictOn, GroupStore, OutboxStore, PoolStore, PurgeCutoffs, RecordStore, RecordWrite, StoreError, SyncStore, TokenStore, UserStore, UserCursor, UserQuery, UserRecord, ValueMatch};
use cognate_domain::user_pool::{
    AdminCreateUserConfig, Attribute, AuthSessionRecord, Group, OutboxMessage, PasswordPolicy, RefreshTokenRecord, User, UserPool,
    UserPoolSettings, UserPoolShape, UserStatus,
};
use sqlx::Row;

use crate::{Dialect, SqlStore};

pub(crate) fn pool(id: &str) -> UserPool {
    UserPool {
        id: cognate_domain::ids::UserPoolId::parse(id).unwrap(),
        arn: cognate_domain::ids::arn::user_pool("us-east-1", "000000000000", id),
        created_ms: 1,
        modified_ms: 1,
        settings: UserPoolSettings {
            name: "pool".into(),
            password_policy: PasswordPolicy::default(),
            other_policies: Default::default(),
            deletion_protection: cognate_domain::user_pool::DeletionProtection::Inactive,
            auto_verified_attributes: vec![],
            mfa_configuration: cognate_domain::user_pool::MfaConfiguration::Off,
            account_recovery: None,
            admin_create_user: AdminCreateUserConfig::default(),
            tags: Default::default(),
            tier: cognate_domain::user_pool::UserPoolTier::Essentials,
            opaque: Default::default(),
        },
        shape: UserPoolShape { schema: vec![], alias_attributes: vec![], username_attributes: vec![], case_sensitive: None },
        mfa: Default::default(),
    }
}

fn user_record(pool_id: &str, username: &str, email: &str) -> UserRecord {
    let attributes = vec![Attribute { name: "email".into(), value: email.into() }];
    let user = User::new(pool_id, username.into(), format!("sub-{username}"), attributes, UserStatus::Confirmed, 1);
    UserRecord {
        username_key: username.to_lowercase(),
        search: vec![("username".into(), username.into()), ("email".into(), email.into())],
        aliases: vec![("email".into(), email.to_lowercase())],
        user,
    }
}

fn group(pool_id: &str, name: &str) -> Group {
    Group {
        pool_id: pool_id.into(),
        name: name.into(),
        description: None,
        role_arn: None,
        precedence: None,
        created_ms: 1,
        modified_ms: 1,
    }
}

fn query(attribute: &str, value_match: ValueMatch, after: Option<UserCursor>, limit: u32) -> UserQuery {
    UserQuery { attribute: attribute.into(), value_match, after, limit }
}

async fn run_suite(store: SqlStore) {
    store.ping().await.unwrap();

    // Pools.
    store.insert_user_pool(&pool("us-east-1_b")).await.unwrap();
    store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
    assert!(matches!(store.insert_user_pool(&pool("us-east-1_a")).await, Err(StoreError::Conflict(ConflictOn::Key))));
    let listed: Vec<String> = store.list_user_pools(None, 10).await.unwrap().into_iter().map(|pool| pool.id.into_string()).collect();
    assert_eq!(listed, vec!["us-east-1_a", "us-east-1_b"]);
    let after: Vec<String> = store.list_user_pools(Some("us-east-1_a"), 10).await.unwrap().into_iter().map(|pool| pool.id.into_string()).collect();
    assert_eq!(after, vec!["us-east-1_b"]);
    let mut renamed = pool("us-east-1_a");
    renamed.settings.name = "renamed".into();
    let (_, stored) = store.read_user_pool("us-east-1_a").await.unwrap().unwrap();
    assert!(store.swap_user_pool(&renamed, &stored).await.unwrap());
    assert_eq!(store.get_user_pool("us-east-1_a").await.unwrap().unwrap().settings.name, "renamed");
    assert!(!store.swap_user_pool(&pool("us-east-1_a"), &stored).await.unwrap(), "a swap from a stale read");
    assert_eq!(store.get_user_pool("us-east-1_a").await.unwrap().unwrap().settings.name, "renamed");
    assert!(store.read_user_pool("us-east-1_missing").await.unwrap().is_none());
    assert!(!store.swap_user_pool(&pool("us-east-1_missing"), &stored).await.unwrap());

    // Users, search values and aliases.
    let pool_id = "us-east-1_a";
    store.insert_user(&user_record(pool_id, "Alice", "alice@example.com")).await.unwrap();
    store.insert_user(&user_record(pool_id, "bob", "bob@example.com")).await.unwrap();
    store.insert_user(&user_record(pool_id, "carol", "carol@example.org")).await.unwrap();
    assert!(matches!(
        store.insert_user(&user_record(pool_id, "ALICE", "other@example.com")).await,
        Err(StoreError::Conflict(ConflictOn::Key))
    ));
    let alias_clash = store.insert_user(&user_record(pool_id, "dave", "bob@example.com")).await;
    assert!(matches!(alias_clash, Err(StoreError::Conflict(ConflictOn::Alias(ref attribute))) if attribute == "email"));
    assert!(store.get_user(pool_id, "dave").await.unwrap().is_none(), "a refused insert leaves nothing behind");
    assert_eq!(store.count_users(pool_id).await.unwrap(), 3);
    assert_eq!(store.get_user(pool_id, "alice").await.unwrap().unwrap().username, "Alice");

    // Many users in one transaction, each on its own (an import's batch).
    let batch = [
        user_record("us-east-1_b", "ivy", "ivy@example.com"),
        user_record("us-east-1_b", "jay", "ivy@example.com"),
        user_record("us-east-1_b", "Ivy", "ivy2@example.com"),
        user_record("us-east-1_b", "kim", "kim@example.com"),
    ];
    let outcomes = store.insert_users(&batch).await.unwrap();
    assert_eq!(outcomes, vec![None, Some(ConflictOn::Alias("email".into())), Some(ConflictOn::Key), None]);
    assert_eq!(store.count_users("us-east-1_b").await.unwrap(), 2, "the refused users of a batch leave nothing behind");
    assert!(store.get_user("us-east-1_b", "jay").await.unwrap().is_none());
    assert_eq!(store.find_user_by_alias("us-east-1_b", "email", "ivy@example.com").await.unwrap().unwrap().username, "ivy");
    assert!(store.find_user_by_alias("us-east-1_b", "email", "ivy2@example.com").await.unwrap().is_none());
    assert_eq!(store.insert_users(&[]).await.unwrap(), Vec::<Option<ConflictOn>>::new());
    assert_eq!(
        store.find_user_by_alias(pool_id, "email", "bob@example.com").await.unwrap().unwrap().username,
        "bob"
    );

    let exact = store.list_users(pool_id, &query("email", ValueMatch::Exact("bob@example.com".into()), None, 10)).await.unwrap();
    assert_eq!(exact.len(), 1);
    // An exact value many users share, a page at a time.
    let shared = ["ann", "ben", "cal"].map(|name| user_record("us-east-1_s", name, &format!("{name}@example.com")));
    for mut record in shared {
        record.search.push(("given_name".into(), "Sam".into()));
        store.insert_user(&record).await.unwrap();
    }
    let sam = |after| query("given_name", ValueMatch::Exact("Sam".into()), after, 2);
    let first_sams = store.list_users("us-east-1_s", &sam(None)).await.unwrap();
    let names = |page: &[(User, UserCursor)]| page.iter().map(|(user, _)| user.username.clone()).collect::<Vec<_>>();
    assert_eq!(names(&first_sams), ["ann", "ben"]);
    let next_sams = store.list_users("us-east-1_s", &sam(Some(first_sams[1].1.clone()))).await.unwrap();
    assert_eq!(names(&next_sams), ["cal"]);
    let past = UserCursor { value: "Samuel".into(), username_key: String::new() };
    assert!(store.list_users("us-east-1_s", &sam(Some(past))).await.unwrap().is_empty());
    let before = UserCursor { value: "Al".into(), username_key: "zed".into() };
    assert_eq!(names(&store.list_users("us-east-1_s", &sam(Some(before))).await.unwrap()), ["ann", "ben"]);
    let prefix = store.list_users(pool_id, &query("email", ValueMatch::Prefix("".into()), None, 10)).await.unwrap();
    assert_eq!(prefix.len(), 3);
    let com = store.list_users(pool_id, &query("email", ValueMatch::Prefix("carol@".into()), None, 10)).await.unwrap();
    assert_eq!(com.len(), 1);
    let first_page = store.list_users(pool_id, &query("username", ValueMatch::Prefix("".into()), None, 2)).await.unwrap();
    assert_eq!(first_page.len(), 2);
    let cursor = first_page.last().unwrap().1.clone();
    let second_page = store.list_users(pool_id, &query("username", ValueMatch::Prefix("".into()), Some(cursor), 2)).await.unwrap();
    assert_eq!(second_page.len(), 1);
    let mut all: Vec<String> = first_page.iter().chain(second_page.iter()).map(|(user, _)| user.username.clone()).collect();
    all.sort();
    assert_eq!(all, vec!["Alice", "bob", "carol"]);

    let mut moved = user_record(pool_id, "bob", "robert@example.com");
    moved.user.enabled = false;
    assert!(store.update_user(&moved).await.unwrap());
    assert!(store.find_user_by_alias(pool_id, "email", "bob@example.com").await.unwrap().is_none());
    assert!(store.list_users(pool_id, &query("email", ValueMatch::Exact("bob@example.com".into()), None, 10)).await.unwrap().is_empty());
    let stored = store.get_user(pool_id, "bob").await.unwrap().unwrap();
    assert!(!stored.enabled);
    assert_eq!(stored.version, 1, "an update bumps the version");
    // A write based on the version before that one is refused and changes nothing.
    let stale = user_record(pool_id, "bob", "stale@example.com");
    assert!(matches!(store.update_user(&stale).await, Err(StoreError::Conflict(ConflictOn::Stale))));
    assert!(store.find_user_by_alias(pool_id, "email", "stale@example.com").await.unwrap().is_none());
    assert!(!store.update_user(&user_record(pool_id, "nobody", "nobody@example.com")).await.unwrap());
    // The document alone, with the same compare-and-set.
    assert!(matches!(store.update_user_document(&stale.user, "bob").await, Err(StoreError::Conflict(ConflictOn::Stale))));
    let mut counted = stored.clone();
    counted.failed_sign_ins = 3;
    assert!(store.update_user_document(&counted, "bob").await.unwrap());
    let reread = store.get_user(pool_id, "bob").await.unwrap().unwrap();
    assert_eq!((reread.failed_sign_ins, reread.version), (3, 2));
    assert_eq!(store.find_user_by_alias(pool_id, "email", "robert@example.com").await.unwrap().map(|user| user.username), Some("bob".into()));
    assert!(!store.update_user_document(&User { username: "nobody".into(), ..counted.clone() }, "nobody").await.unwrap());
    let mut taken = user_record(pool_id, "bob", "carol@example.org");
    taken.user.version = 2;
    assert!(matches!(store.update_user(&taken).await, Err(StoreError::Conflict(ConflictOn::Alias(_)))));
    assert_eq!(
        store.get_user(pool_id, "bob").await.unwrap().unwrap().attribute("email"),
        Some("robert@example.com"),
        "a refused update changes nothing"
    );

    // Groups and memberships.
    store.insert_group(&group(pool_id, "admins")).await.unwrap();
    store.insert_group(&group(pool_id, "editors")).await.unwrap();
    assert!(matches!(store.insert_group(&group(pool_id, "admins")).await, Err(StoreError::Conflict(ConflictOn::Key))));
    store.add_group_member(pool_id, "admins", "alice").await.unwrap();
    store.add_group_member(pool_id, "admins", "alice").await.unwrap();
    store.add_group_member(pool_id, "admins", "bob").await.unwrap();
    store.add_group_member(pool_id, "editors", "alice").await.unwrap();
    assert_eq!(store.count_groups_for_user(pool_id, "alice").await.unwrap(), 2);
    let members = store.list_group_members(pool_id, "admins", None, 10).await.unwrap();
    assert_eq!(members.iter().map(|(_, key)| key.as_str()).collect::<Vec<_>>(), vec!["alice", "bob"]);
    assert!(store.delete_user(pool_id, "bob").await.unwrap());
    assert!(!store.delete_user(pool_id, "bob").await.unwrap());
    assert_eq!(store.list_group_members(pool_id, "admins", None, 10).await.unwrap().len(), 1);
    assert!(store.delete_group(pool_id, "editors").await.unwrap());
    assert_eq!(store.count_groups_for_user(pool_id, "alice").await.unwrap(), 1);
    store.remove_group_member(pool_id, "admins", "alice").await.unwrap();
    assert!(store.list_groups_for_user(pool_id, "alice", None, 10).await.unwrap().is_empty());

    // Deleting a pool takes everything in it, and nothing of another pool: its records too (an
    // identity provider and its sealed secret, a provider link, a device), not those of a pool
    // whose id merely begins with the same characters.
    store.insert_user(&user_record("us-east-1_b", "erin", "erin@example.com")).await.unwrap();
    assert_eq!(store.count_users("us-east-1_b").await.unwrap(), 3);
    let record = |scope: &str| RecordWrite::Insert { kind: "pool_thing", scope: scope.to_string(), key: "k".into(), data: scope.to_string(), expires_ms: None };
    let scopes = [pool_id.to_string(), format!("{pool_id}:Corp"), format!("{pool_id}/sub-1"), format!("{pool_id}b"), "us-east-1_b".to_string(), String::new()];
    store.write_records(&scopes.iter().map(|scope| record(scope)).collect::<Vec<_>>()).await.unwrap();
    assert!(store.delete_user_pool(pool_id).await.unwrap());
    for (scope, kept) in scopes.iter().zip([false, false, false, true, true, true]) {
        assert_eq!(store.get_record("pool_thing", scope, "k", 0).await.unwrap().is_some(), kept, "the record under {scope:?}");
    }
    assert!(store.get_user_pool(pool_id).await.unwrap().is_none());
    assert_eq!(store.count_users(pool_id).await.unwrap(), 0);
    assert!(store.list_groups(pool_id, None, 10).await.unwrap().is_empty());
    assert_eq!(store.count_users("us-east-1_b").await.unwrap(), 3);

    // Refresh tokens and challenge sessions.
    let token = RefreshTokenRecord {
        token_hash: "hash-1".into(),
        pool_id: "us-east-1_b".into(),
        client_id: "client".into(),
        username_key: "erin".into(),
        sub: "sub-erin".into(),
        origin_jti: "family-1".into(),
        auth_time_ms: 1,
        issued_ms: 1,
        expires_ms: 2,
        revoked: false,
        rotated_ms: None,
        scopes: Some(vec!["openid".into(), "email".into()]),
        device_key: Some("us-east-1_device".into()),
    };
    store.insert_refresh_token(&token).await.unwrap();

    // A refresh reads its token, user, the user's groups by name and the config version at once.
    let no_groups = store.get_refresh_context("hash-1").await.unwrap().unwrap();
    assert_eq!((no_groups.token.username_key.as_str(), no_groups.user.as_ref().map(|user| user.username.as_str())), ("erin", Some("erin")));
    assert!(no_groups.groups.is_empty());
    store.insert_group(&group("us-east-1_b", "zeta")).await.unwrap();
    store.insert_group(&group("us-east-1_b", "alpha")).await.unwrap();
    store.add_group_member("us-east-1_b", "zeta", "erin").await.unwrap();
    store.add_group_member("us-east-1_b", "alpha", "erin").await.unwrap();
    let context = store.get_refresh_context("hash-1").await.unwrap().unwrap();
    assert_eq!(context.groups.iter().map(|group| group.name.as_str()).collect::<Vec<_>>(), ["alpha", "zeta"]);
    assert_eq!(context.config_version, store.config_version().await.unwrap());
    assert!(store.get_refresh_context("hash-none").await.unwrap().is_none());
    // Every change to a pool or a client raises the config version; a user does not.
    let before = store.config_version().await.unwrap();
    store.insert_user(&user_record("us-east-1_b", "frank", "frank@example.com")).await.unwrap();
    assert_eq!(store.config_version().await.unwrap(), before, "users leave the config version alone");
    let mut client = cognate_domain::user_pool::AppClient {
        pool_id: cognate_domain::ids::UserPoolId::parse("us-east-1_b").unwrap(),
        client_id: cognate_domain::ids::ClientId::parse("configclient0000000000000a").unwrap(),
        sealed_secret: None,
        secret_created_ms: None,
        more_secrets: Vec::new(),
        created_ms: 1,
        modified_ms: 1,
        settings: cognate_domain::user_pool::AppClientSettings {
            name: "client".into(),
            refresh_token_validity: 30,
            access_token_validity: None,
            id_token_validity: None,
            token_validity_units: None,
            read_attributes: None,
            write_attributes: None,
            explicit_auth_flows: None,
            prevent_user_existence_errors: cognate_domain::user_pool::PreventUserExistenceErrors::Enabled,
            enable_token_revocation: true,
            enable_propagate_additional_user_context_data: false,
            auth_session_validity: 3,
            oauth: Default::default(),
            opaque: Default::default(),
        },
    };
    store.insert_app_client(&client).await.unwrap();
    let inserted = store.config_version().await.unwrap();
    assert!(inserted > before);
    client.settings.name = "renamed".into();
    assert!(store.update_app_client(&client).await.unwrap());
    let updated = store.config_version().await.unwrap();
    assert!(updated > inserted);
    assert!(store.delete_app_client("us-east-1_b", "configclient0000000000000a").await.unwrap());
    let deleted = store.config_version().await.unwrap();
    assert!(deleted > updated);
    let (stored_pool, text) = store.read_user_pool("us-east-1_b").await.unwrap().unwrap();
    assert!(store.swap_user_pool(&stored_pool, &text).await.unwrap());
    let changed_pool = store.config_version().await.unwrap();
    assert!(changed_pool > deleted, "a pool's change raises it too");
    let key = cognate_domain::tokens::SigningKeyRecord {
        pool_id: "us-east-1_b".into(),
        kid: "config-version-kid".into(),
        purpose: cognate_domain::tokens::KeyPurpose::IdToken,
        created_ms: 1,
        modulus: "AQAB".into(),
        exponent: "AQAB".into(),
        sealed_private_key: "sealed".into(),
    };
    store.insert_signing_key(&key).await.unwrap();
    assert!(store.config_version().await.unwrap() > changed_pool, "a new signing key raises it");

    // A rotation spends the old token once its grace period is over, atomically with storing
    // the new one.
    let rotating = RefreshTokenRecord { token_hash: "hash-r0".into(), origin_jti: "family-r".into(), ..token.clone() };
    store.insert_refresh_token(&rotating).await.unwrap();
    let next = |hash: &str| RefreshTokenRecord { token_hash: hash.into(), ..rotating.clone() };
    assert!(store.rotate_refresh_token("hash-r0", 1_000, 1_000, &next("hash-r1")).await.unwrap());
    assert_eq!(store.get_refresh_token("hash-r0").await.unwrap().unwrap().rotated_ms, Some(1_000));
    assert_eq!(store.get_refresh_token("hash-r1").await.unwrap().unwrap().rotated_ms, None);
    assert!(store.rotate_refresh_token("hash-r0", 995, 1_005, &next("hash-r2")).await.unwrap(), "within the grace period");
    assert_eq!(store.get_refresh_token("hash-r0").await.unwrap().unwrap().rotated_ms, Some(1_000), "the first rotation counts");
    assert!(!store.rotate_refresh_token("hash-r0", 1_001, 1_100, &next("hash-r3")).await.unwrap(), "after the grace period");
    assert_eq!(store.get_refresh_token("hash-r3").await.unwrap(), None, "a refused rotation stores nothing");
    assert!(!store.rotate_refresh_token("hash-none", 0, 1_000, &next("hash-r4")).await.unwrap());
    store.insert_refresh_token(&RefreshTokenRecord { token_hash: "hash-2".into(), origin_jti: "family-2".into(), ..token.clone() }).await.unwrap();
    assert_eq!(store.get_refresh_token("hash-1").await.unwrap(), Some(token.clone()));
    assert!(!store.is_token_family_revoked("family-1").await.unwrap());
    store.revoke_token_family("family-1").await.unwrap();
    assert!(store.get_refresh_token("hash-1").await.unwrap().unwrap().revoked);
    assert!(store.is_token_family_revoked("family-1").await.unwrap());
    assert!(!store.is_token_family_revoked("family-2").await.unwrap());
    store.revoke_user_tokens("us-east-1_b", "erin").await.unwrap();
    assert!(store.is_token_family_revoked("family-2").await.unwrap());
    let session = AuthSessionRecord {
        session_hash: "session-1".into(),
        pool_id: "us-east-1_b".into(),
        client_id: "client".into(),
        username_key: "erin".into(),
        challenge_name: cognate_domain::user_pool::ChallengeName::NewPasswordRequired,
        expires_ms: 5,
    };
    let session_template = session.clone();
    store.insert_auth_session(&session).await.unwrap();
    assert_eq!(store.take_auth_session("session-1").await.unwrap(), Some(session));
    assert_eq!(store.take_auth_session("session-1").await.unwrap(), None, "a session is taken once");
    assert!(store.delete_user("us-east-1_b", "erin").await.unwrap());
    assert_eq!(store.get_refresh_token("hash-2").await.unwrap(), None, "a deleted user takes its refresh tokens");

    // The outbox: newest `limit` messages, oldest first.
    for (index, pool_id) in ["us-east-1_b", "us-east-1_b", "us-east-1_c"].iter().enumerate() {
        store
            .insert_outbox_message(&OutboxMessage {
                id: format!("m{index}"),
                pool_id: pool_id.to_string(),
                username: "erin".into(),
                medium: "EMAIL".into(),
                destination: "erin@example.com".into(),
                subject: None,
                body: format!("sealed-{index}"),
                created_ms: index as i64,
            })
            .await
            .unwrap();
    }
    let ids = |messages: Vec<OutboxMessage>| messages.into_iter().map(|message| message.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list_outbox_messages(Some("us-east-1_b"), 10).await.unwrap()), vec!["m0", "m1"]);
    assert_eq!(ids(store.list_outbox_messages(None, 2).await.unwrap()), vec!["m1", "m2"]);

    // Purging: what is older than each cutoff goes, the rest stays.
    let fresh = RefreshTokenRecord { token_hash: "hash-fresh".into(), origin_jti: "family-3".into(), username_key: "frank".into(), expires_ms: 1_000, ..token.clone() };
    let stale = RefreshTokenRecord { token_hash: "hash-stale".into(), origin_jti: "family-4".into(), username_key: "frank".into(), expires_ms: 10, ..token.clone() };
    store.insert_refresh_token(&fresh).await.unwrap();
    store.insert_refresh_token(&stale).await.unwrap();
    let abandoned = AuthSessionRecord { session_hash: "session-old".into(), expires_ms: 10, ..session_template.clone() };
    let pending = AuthSessionRecord { session_hash: "session-new".into(), expires_ms: 1_000, ..session_template };
    store.insert_auth_session(&abandoned).await.unwrap();
    store.insert_auth_session(&pending).await.unwrap();
    let cutoffs = PurgeCutoffs { refresh_tokens_expired_before: 500, auth_sessions_expired_before: 500, outbox_created_before: 1 };
    assert_eq!(store.purge_stale(&cutoffs).await.unwrap(), 3, "one token, one session, one message");
    assert!(store.get_refresh_token("hash-stale").await.unwrap().is_none());
    assert!(store.get_refresh_token("hash-fresh").await.unwrap().is_some());
    assert!(store.take_auth_session("session-old").await.unwrap().is_none());
    assert!(store.take_auth_session("session-new").await.unwrap().is_some());
    assert_eq!(ids(store.list_outbox_messages(None, 10).await.unwrap()), vec!["m1", "m2"]);

    // Cluster values: the first writer wins.
    assert_eq!(store.insert_cluster_value_if_absent("k", "first").await.unwrap(), "first");
    assert_eq!(store.insert_cluster_value_if_absent("k", "second").await.unwrap(), "first");
    assert_eq!(store.get_cluster_value("missing").await.unwrap(), None);

    run_records(&store).await;
    run_sync(&store).await;
}

async fn run_sync(store: &SqlStore) {
    use cognate_domain::sync::{DatasetRecord, SyncRecord};
    let dataset = |count: i64| DatasetRecord {
        identity_id: "us-east-1:i".into(),
        name: "settings".into(),
        pool_id: "us-east-1:p".into(),
        sync_count: count,
        created_ms: 1,
        modified_ms: count,
        last_modified_by: "me".into(),
        storage_bytes: 0,
        record_count: 0,
        exists: true,
        deleted_at_count: 0,
    };
    let record = |key: &str, count: i64, value: Option<&str>| SyncRecord {
        key: key.into(),
        value: value.map(str::to_string),
        sync_count: count,
        modified_ms: count,
        device_modified_ms: None,
        modified_by: "me".into(),
    };
    store.write_sync_dataset(None, &dataset(1), &[record("a", 1, Some("1")), record("b", 1, Some("2"))], false, Some("{}")).await.unwrap();
    // Creating it again, or writing from a stale count, is a conflict and changes nothing.
    assert!(matches!(store.write_sync_dataset(None, &dataset(1), &[], false, None).await, Err(StoreError::Conflict(_))));
    assert!(matches!(
        store.write_sync_dataset(Some(0), &dataset(2), &[record("a", 2, Some("x"))], false, None).await,
        Err(StoreError::Conflict(_))
    ));
    store.write_sync_dataset(Some(1), &dataset(2), &[record("b", 2, None)], false, Some("{}")).await.unwrap();
    assert_eq!(store.get_sync_dataset("us-east-1:i", "settings").await.unwrap().unwrap().sync_count, 2);
    let keys = |records: Vec<SyncRecord>| records.into_iter().map(|record| (record.key, record.sync_count, record.value)).collect::<Vec<_>>();
    assert_eq!(
        keys(store.list_sync_records("us-east-1:i", "settings", (0, ""), 10).await.unwrap()),
        vec![("a".to_string(), 1, Some("1".to_string())), ("b".to_string(), 2, None)]
    );
    assert_eq!(keys(store.list_sync_records("us-east-1:i", "settings", (1, "a"), 10).await.unwrap()).len(), 1);
    assert_eq!(keys(store.get_sync_records("us-east-1:i", "settings", &["b".into(), "zz".into()]).await.unwrap()).len(), 1);
    assert_eq!(store.list_sync_datasets("us-east-1:i").await.unwrap().len(), 1);
    assert_eq!(store.list_pool_sync_datasets("us-east-1:p").await.unwrap().len(), 1);
    // Clearing removes every record of the dataset in the same transaction.
    let mut deleted = dataset(3);
    deleted.exists = false;
    store.write_sync_dataset(Some(2), &deleted, &[], true, None).await.unwrap();
    assert!(store.list_sync_records("us-east-1:i", "settings", (0, ""), 10).await.unwrap().is_empty());

    // An identity merge writes records and datasets in one transaction: a stale dataset count
    // leaves the records untouched too, and a current one applies all of it.
    use cognate_domain::sync::store::DatasetWrite;
    let login = |data: &str| RecordWrite::Put { kind: "identity_login", scope: "merge".into(), key: "k".into(), data: data.into(), expires_ms: None };
    let mut revived = dataset(4);
    revived.exists = true;
    let stale = DatasetWrite { expected_count: Some(2), dataset: revived.clone(), records: vec![record("m", 4, Some("v"))], clear: false };
    assert!(matches!(store.write_merge(&[login("first")], &[stale]).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.get_record("identity_login", "merge", "k", 0).await.unwrap(), None, "a refused merge writes no record");
    let current = DatasetWrite { expected_count: Some(3), dataset: revived, records: vec![record("m", 4, Some("v"))], clear: false };
    store.write_merge(&[login("second")], &[current]).await.unwrap();
    assert_eq!(store.get_record("identity_login", "merge", "k", 0).await.unwrap().as_deref(), Some("second"));
    assert_eq!(store.get_sync_dataset("us-east-1:i", "settings").await.unwrap().unwrap().sync_count, 4);
}

async fn run_records(store: &SqlStore) {
    let insert = |key: &str, data: &str, expires_ms: Option<i64>| RecordWrite::Insert {
        kind: "identity",
        scope: "pool-a".into(),
        key: key.into(),
        data: data.into(),
        expires_ms,
    };
    store.write_records(&[insert("b", "B", None), insert("a", "A", None), insert("c", "C", Some(100))]).await.unwrap();
    assert_eq!(store.get_record("identity", "pool-a", "a", 0).await.unwrap().as_deref(), Some("A"));
    assert_eq!(store.get_record("identity", "pool-b", "a", 0).await.unwrap(), None);
    assert_eq!(store.get_record("identity", "pool-a", "c", 99).await.unwrap().as_deref(), Some("C"));
    assert_eq!(store.get_record("identity", "pool-a", "c", 100).await.unwrap(), None, "expired records are not read");
    let keys = |page: Vec<(String, String)>| page.into_iter().map(|(key, _)| key).collect::<Vec<_>>();
    assert_eq!(keys(store.list_records("identity", "pool-a", None, 2).await.unwrap()), vec!["a", "b"]);
    assert_eq!(keys(store.list_records("identity", "pool-a", Some("b"), 2).await.unwrap()), vec!["c"]);

    // A batch with a conflicting insert changes nothing.
    let outcome = store
        .write_records(&[
            RecordWrite::Put { kind: "identity", scope: "pool-a".into(), key: "a".into(), data: "A2".into(), expires_ms: None },
            insert("b", "B2", None),
        ])
        .await;
    assert!(matches!(outcome, Err(StoreError::Conflict(ConflictOn::Key))));
    assert_eq!(store.get_record("identity", "pool-a", "a", 0).await.unwrap().as_deref(), Some("A"));
    let outcome = store
        .write_records(&[RecordWrite::Replace { kind: "identity", scope: "pool-a".into(), key: "zz".into(), data: "Z".into() }])
        .await;
    assert!(matches!(outcome, Err(StoreError::Conflict(ConflictOn::Absent))));
    store
        .write_records(&[
            RecordWrite::Replace { kind: "identity", scope: "pool-a".into(), key: "a".into(), data: "A3".into() },
            RecordWrite::Put { kind: "identity", scope: "pool-a".into(), key: "d".into(), data: "D".into(), expires_ms: None },
            RecordWrite::Delete { kind: "identity", scope: "pool-a".into(), key: "b".into() },
        ])
        .await
        .unwrap();
    assert_eq!(store.get_record("identity", "pool-a", "a", 0).await.unwrap().as_deref(), Some("A3"));

    // A compare-and-set writes only over the text it read.
    let swap = |expected: &str, data: &str| RecordWrite::Swap {
        kind: "identity",
        scope: "pool-a".into(),
        key: "a".into(),
        expected: expected.into(),
        data: data.into(),
    };
    store.write_records(&[swap("A3", "A4")]).await.unwrap();
    let stale = store.write_records(&[swap("A3", "A5")]).await;
    assert!(matches!(stale, Err(StoreError::Conflict(ConflictOn::Stale))), "{stale:?}");
    assert_eq!(store.get_record("identity", "pool-a", "a", 0).await.unwrap().as_deref(), Some("A4"));
    let gone = store.write_records(&[RecordWrite::Swap { kind: "identity", scope: "pool-a".into(), key: "none".into(), expected: "x".into(), data: "y".into() }]).await;
    assert!(matches!(gone, Err(StoreError::Conflict(ConflictOn::Stale))));
    assert_eq!(store.get_record("identity", "pool-a", "none", 0).await.unwrap(), None);
    assert_eq!(keys(store.list_records("identity", "pool-a", None, 10).await.unwrap()), vec!["a", "c", "d"]);
    assert_eq!(store.get_record("identity", "pool-a", "a", 0).await.unwrap().as_deref(), Some("A4"));
    assert_eq!(store.purge_expired_records(100).await.unwrap(), 1);
    store.write_records(&[RecordWrite::DeleteScope { kind: "identity", scope: "pool-a".into() }]).await.unwrap();
    assert!(store.list_records("identity", "pool-a", None, 10).await.unwrap().is_empty());
}

async fn schema_of(store: &SqlStore) -> BTreeSet<(String, String)> {
    let sql = match store.dialect() {
        Dialect::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Dialect::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
             WHERE table_schema = 'public'"
        }
    };
    sqlx::query(sql)
        .fetch_all(&store.pool)
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get::<String, _>("table_name"), row.get::<String, _>("column_name")))
        .collect()
}

async fn sqlite_store() -> (SqlStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite://{}/store.db", dir.path().display())).await.unwrap();
    (store, dir)
}

#[tokio::test]
async fn sqlite_passes_the_suite() {
    let (store, _dir) = sqlite_store().await;
    run_suite(store).await;
}

#[tokio::test]
async fn postgres_passes_the_suite() {
    let store = SqlStore::connect(&crate::testing::fresh_postgres_database().await).await.unwrap();
    run_suite(store).await;
}

#[tokio::test]
async fn both_dialects_migrate_to_the_same_schema_and_reconnect_cleanly() {
    let (sqlite, dir) = sqlite_store().await;
    let postgres_url = crate::testing::fresh_postgres_database().await;
    let postgres = SqlStore::connect(&postgres_url).await.unwrap();
    let sqlite_schema = schema_of(&sqlite).await;
    assert!(sqlite_schema.contains(&("users".to_string(), "username_key".to_string())));
    assert_eq!(sqlite_schema, schema_of(&postgres).await);
    let expected: Vec<i64> = crate::MIGRATIONS.iter().map(|migration| migration.version).collect();
    // Connecting again (as a restart or a second node does) applies nothing twice.
    let again = SqlStore::connect(&format!("sqlite://{}/store.db", dir.path().display())).await.unwrap();
    assert_eq!(again.applied_migrations().await.unwrap(), expected);
    let (first, second) = tokio::join!(SqlStore::connect(&postgres_url), SqlStore::connect(&postgres_url));
    assert_eq!(first.unwrap().applied_migrations().await.unwrap(), expected);
    assert_eq!(second.unwrap().applied_migrations().await.unwrap(), expected);
}

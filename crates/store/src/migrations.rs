//! Versioned schema migrations, one set per dialect in lockstep: the same numbers and names.
//! Applied at start under a lock (an advisory lock on PostgreSQL, an immediate transaction on
//! SQLite), so two nodes starting at once apply each migration exactly once.

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "user_pools",
    sqlite: r#"
CREATE TABLE user_pools (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE app_clients (pool_id TEXT NOT NULL, client_id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (pool_id, client_id));
CREATE UNIQUE INDEX app_clients_client_id ON app_clients (client_id);
CREATE TABLE users (pool_id TEXT NOT NULL, username_key TEXT NOT NULL, sub TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (pool_id, username_key));
CREATE UNIQUE INDEX users_sub ON users (pool_id, sub);
CREATE TABLE user_search (pool_id TEXT NOT NULL, attribute TEXT NOT NULL, value TEXT NOT NULL,
    username_key TEXT NOT NULL, PRIMARY KEY (pool_id, attribute, value, username_key)) WITHOUT ROWID;
CREATE INDEX user_search_user ON user_search (pool_id, username_key);
CREATE TABLE user_aliases (pool_id TEXT NOT NULL, attribute TEXT NOT NULL, value TEXT NOT NULL,
    username_key TEXT NOT NULL, PRIMARY KEY (pool_id, attribute, value)) WITHOUT ROWID;
CREATE INDEX user_aliases_user ON user_aliases (pool_id, username_key);
CREATE TABLE user_groups (pool_id TEXT NOT NULL, group_name TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (pool_id, group_name));
CREATE TABLE group_members (pool_id TEXT NOT NULL, group_name TEXT NOT NULL, username_key TEXT NOT NULL,
    PRIMARY KEY (pool_id, group_name, username_key)) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (pool_id, username_key, group_name);
CREATE TABLE cluster_values (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"#,
    postgres: r#"
CREATE TABLE user_pools (id TEXT COLLATE "C" PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE app_clients (pool_id TEXT COLLATE "C" NOT NULL, client_id TEXT COLLATE "C" NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (pool_id, client_id));
CREATE UNIQUE INDEX app_clients_client_id ON app_clients (client_id);
CREATE TABLE users (pool_id TEXT COLLATE "C" NOT NULL, username_key TEXT COLLATE "C" NOT NULL,
    sub TEXT COLLATE "C" NOT NULL, data TEXT NOT NULL, PRIMARY KEY (pool_id, username_key));
CREATE UNIQUE INDEX users_sub ON users (pool_id, sub);
CREATE TABLE user_search (pool_id TEXT COLLATE "C" NOT NULL, attribute TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL, username_key TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pool_id, attribute, value, username_key));
CREATE INDEX user_search_user ON user_search (pool_id, username_key);
CREATE TABLE user_aliases (pool_id TEXT COLLATE "C" NOT NULL, attribute TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL, username_key TEXT COLLATE "C" NOT NULL, PRIMARY KEY (pool_id, attribute, value));
CREATE INDEX user_aliases_user ON user_aliases (pool_id, username_key);
CREATE TABLE user_groups (pool_id TEXT COLLATE "C" NOT NULL, group_name TEXT COLLATE "C" NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (pool_id, group_name));
CREATE TABLE group_members (pool_id TEXT COLLATE "C" NOT NULL, group_name TEXT COLLATE "C" NOT NULL,
    username_key TEXT COLLATE "C" NOT NULL, PRIMARY KEY (pool_id, group_name, username_key));
CREATE INDEX group_members_user ON group_members (pool_id, username_key, group_name);
CREATE TABLE cluster_values (name TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
"#,
},
Migration {
    version: 2,
    name: "sign_in",
    sqlite: r#"
CREATE TABLE signing_keys (pool_id TEXT NOT NULL, kid TEXT NOT NULL, created_ms BIGINT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (pool_id, kid));
CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, pool_id TEXT NOT NULL, username_key TEXT NOT NULL,
    origin_jti TEXT NOT NULL, revoked BIGINT NOT NULL, data TEXT NOT NULL);
CREATE INDEX refresh_tokens_user ON refresh_tokens (pool_id, username_key);
CREATE INDEX refresh_tokens_family ON refresh_tokens (origin_jti);
CREATE TABLE auth_sessions (session_hash TEXT PRIMARY KEY, pool_id TEXT NOT NULL, expires_ms BIGINT NOT NULL,
    data TEXT NOT NULL);
"#,
    postgres: r#"
CREATE TABLE signing_keys (pool_id TEXT COLLATE "C" NOT NULL, kid TEXT COLLATE "C" NOT NULL, created_ms BIGINT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (pool_id, kid));
CREATE TABLE refresh_tokens (token_hash TEXT COLLATE "C" PRIMARY KEY, pool_id TEXT COLLATE "C" NOT NULL,
    username_key TEXT COLLATE "C" NOT NULL, origin_jti TEXT COLLATE "C" NOT NULL, revoked BIGINT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX refresh_tokens_user ON refresh_tokens (pool_id, username_key);
CREATE INDEX refresh_tokens_family ON refresh_tokens (origin_jti);
CREATE TABLE auth_sessions (session_hash TEXT COLLATE "C" PRIMARY KEY, pool_id TEXT COLLATE "C" NOT NULL,
    expires_ms BIGINT NOT NULL, data TEXT NOT NULL);
"#,
},
Migration {
    version: 3,
    name: "outbox",
    sqlite: r#"
CREATE TABLE outbox (id TEXT PRIMARY KEY, pool_id TEXT NOT NULL, created_ms BIGINT NOT NULL, data TEXT NOT NULL);
CREATE INDEX outbox_pool ON outbox (pool_id, created_ms);
CREATE INDEX outbox_time ON outbox (created_ms);
"#,
    postgres: r#"
CREATE TABLE outbox (id TEXT COLLATE "C" PRIMARY KEY, pool_id TEXT COLLATE "C" NOT NULL, created_ms BIGINT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX outbox_pool ON outbox (pool_id, created_ms);
CREATE INDEX outbox_time ON outbox (created_ms);
"#,
},
Migration {
    version: 4,
    name: "records",
    sqlite: r#"
CREATE TABLE records (kind TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL, expires_ms BIGINT,
    data TEXT NOT NULL, PRIMARY KEY (kind, scope, key)) WITHOUT ROWID;
CREATE INDEX records_expiry ON records (expires_ms) WHERE expires_ms IS NOT NULL;
"#,
    postgres: r#"
CREATE TABLE records (kind TEXT COLLATE "C" NOT NULL, scope TEXT COLLATE "C" NOT NULL, key TEXT COLLATE "C" NOT NULL,
    expires_ms BIGINT, data TEXT NOT NULL, PRIMARY KEY (kind, scope, key));
CREATE INDEX records_expiry ON records (expires_ms) WHERE expires_ms IS NOT NULL;
"#,
},
Migration {
    version: 5,
    name: "sync",
    sqlite: r#"
CREATE TABLE sync_datasets (identity_id TEXT NOT NULL, name TEXT NOT NULL, pool_id TEXT NOT NULL,
    sync_count BIGINT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (identity_id, name)) WITHOUT ROWID;
CREATE INDEX sync_datasets_pool ON sync_datasets (pool_id);
CREATE TABLE sync_records (identity_id TEXT NOT NULL, dataset TEXT NOT NULL, key TEXT NOT NULL,
    sync_count BIGINT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (identity_id, dataset, key)) WITHOUT ROWID;
CREATE INDEX sync_records_count ON sync_records (identity_id, dataset, sync_count, key);
"#,
    postgres: r#"
CREATE TABLE sync_datasets (identity_id TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL,
    pool_id TEXT COLLATE "C" NOT NULL, sync_count BIGINT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (identity_id, name));
CREATE INDEX sync_datasets_pool ON sync_datasets (pool_id);
CREATE TABLE sync_records (identity_id TEXT COLLATE "C" NOT NULL, dataset TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL, sync_count BIGINT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (identity_id, dataset, key));
CREATE INDEX sync_records_count ON sync_records (identity_id, dataset, sync_count, key);
"#,
},
Migration {
    version: 6,
    name: "user_versions",
    // Each user row carries the version its document was written at, so that an update applies
    // only to the version it read (a compare-and-set); the document holds the same number.
    sqlite: r#"
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
"#,
    postgres: r#"
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
"#,
},
Migration {
    version: 7,
    name: "expiry_indexes",
    // Refresh tokens carry their expiry in a column (filled from each document), so that the
    // expired ones, abandoned challenge sessions and old outbox messages are purged by index.
    sqlite: r#"
ALTER TABLE refresh_tokens ADD COLUMN expires_ms BIGINT;
UPDATE refresh_tokens SET expires_ms = json_extract(data, '$.expires_ms');
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_ms);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_ms);
"#,
    postgres: r#"
ALTER TABLE refresh_tokens ADD COLUMN expires_ms BIGINT;
UPDATE refresh_tokens SET expires_ms = (data::json->>'expires_ms')::bigint;
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_ms);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_ms);
"#,
},
Migration {
    version: 8,
    name: "refresh_token_rotation",
    // When a rotation replaced a refresh token; the compare-and-set of a rotation tests it.
    sqlite: r#"
ALTER TABLE refresh_tokens ADD COLUMN rotated_ms BIGINT;
"#,
    postgres: r#"
ALTER TABLE refresh_tokens ADD COLUMN rotated_ms BIGINT;
"#,
},
Migration {
    version: 9,
    name: "config_version",
    // One number that every change to a user pool, an app client or a resource server raises, in the same
    // transaction (a trigger, so that no write path can forget it): a node keeps pools and
    // clients in memory for as long as the number it read them at is the stored one.
    sqlite: r#"
CREATE TABLE config_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO config_version (id, version) VALUES (1, 0);
CREATE TRIGGER user_pools_inserted AFTER INSERT ON user_pools BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_pools_updated AFTER UPDATE ON user_pools BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_pools_deleted AFTER DELETE ON user_pools BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER app_clients_inserted AFTER INSERT ON app_clients BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER app_clients_updated AFTER UPDATE ON app_clients BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER app_clients_deleted AFTER DELETE ON app_clients BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER resource_servers_inserted AFTER INSERT ON records WHEN NEW.kind = 'resource_server'
    BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER resource_servers_updated AFTER UPDATE ON records WHEN NEW.kind = 'resource_server' OR OLD.kind = 'resource_server'
    BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER resource_servers_deleted AFTER DELETE ON records WHEN OLD.kind = 'resource_server'
    BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
"#,
    postgres: r#"
CREATE TABLE config_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO config_version (id, version) VALUES (1, 0);
CREATE FUNCTION raise_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER user_pools_changed AFTER INSERT OR UPDATE OR DELETE ON user_pools
    FOR EACH STATEMENT EXECUTE FUNCTION raise_config_version();
CREATE TRIGGER app_clients_changed AFTER INSERT OR UPDATE OR DELETE ON app_clients
    FOR EACH STATEMENT EXECUTE FUNCTION raise_config_version();
CREATE TRIGGER resource_servers_written AFTER INSERT OR UPDATE ON records
    FOR EACH ROW WHEN (NEW.kind = 'resource_server') EXECUTE FUNCTION raise_config_version();
CREATE TRIGGER resource_servers_deleted AFTER DELETE ON records
    FOR EACH ROW WHEN (OLD.kind = 'resource_server') EXECUTE FUNCTION raise_config_version();
"#,
},
Migration {
    version: 10,
    name: "signing_keys_config_version",
    // A signing key added (a pool's first, a rotation, an import) or removed raises the config
    // version too: every node opens the new key set on its next request.
    sqlite: r#"
CREATE TRIGGER signing_keys_inserted AFTER INSERT ON signing_keys BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER signing_keys_updated AFTER UPDATE ON signing_keys BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER signing_keys_deleted AFTER DELETE ON signing_keys BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
"#,
    postgres: r#"
CREATE TRIGGER signing_keys_changed AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION raise_config_version();
"#,
},
Migration {
    version: 11,
    name: "identity_pools_config_version",
    // An identity pool created, changed or deleted raises the config version too: nodes keep
    // identity pools in memory as they keep user pools.
    sqlite: r#"
CREATE TRIGGER identity_pools_inserted AFTER INSERT ON records WHEN NEW.kind = 'identity_pool'
    BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER identity_pools_updated AFTER UPDATE ON records WHEN NEW.kind = 'identity_pool' OR OLD.kind = 'identity_pool'
    BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER identity_pools_deleted AFTER DELETE ON records WHEN OLD.kind = 'identity_pool'
    BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
"#,
    postgres: r#"
CREATE TRIGGER identity_pools_written AFTER INSERT OR UPDATE ON records
    FOR EACH ROW WHEN (NEW.kind = 'identity_pool') EXECUTE FUNCTION raise_config_version();
CREATE TRIGGER identity_pools_deleted AFTER DELETE ON records
    FOR EACH ROW WHEN (OLD.kind = 'identity_pool') EXECUTE FUNCTION raise_config_version();
"#,
}];

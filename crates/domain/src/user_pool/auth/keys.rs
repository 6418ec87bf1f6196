//! The pool's signing keys as sign-in sees them: the issuer, the JWKS (current keys and the ones
//! they replaced less than a token lifetime ago), rotation, and the cache of opened keys.

use super::*;
use crate::user_pool::PoolAndClient;

impl UserPoolService {
    pub(crate) fn issuer(&self, pool_id: &str) -> String {
        format!("{}/{pool_id}", self.issuer_base)
    }

    /// The opened keys of a pool as stored now, creating them on first use.
    pub(crate) async fn pool_keys(&self, pool_id: &str) -> DomainResult<Arc<CachedKeys>> {
        let version = self.store.config_version().await?;
        self.pool_keys_at(pool_id, version).await
    }

    /// As [`Self::pool_keys`], with the config version already read: the keys this node opened
    /// at that version or a later one, else the keys read from the store again.
    pub(crate) async fn pool_keys_at(&self, pool_id: &str, version: i64) -> DomainResult<Arc<CachedKeys>> {
        if let Some(cached) = self.signing_keys.pools.lock().expect("key cache lock").get(pool_id) {
            if cached.version >= version {
                return Ok(cached.clone());
            }
        }
        let mut records = self.store.list_signing_keys(pool_id).await?;
        for purpose in [KeyPurpose::IdToken, KeyPurpose::AccessToken] {
            if !records.iter().any(|record| record.purpose == purpose) {
                // RSA key generation takes tens of milliseconds; it happens once per pool.
                let record = tokens::generate_signing_key(&self.master_key, pool_id, purpose, self.now())?;
                self.store.insert_signing_key(&record).await?;
                // Two nodes may race to create a key; both keys are published and the oldest
                // signs, so every node signs with the same one.
                records = self.store.list_signing_keys(pool_id).await?;
            }
        }
        // The newest key of each purpose signs; older ones still verify until retired.
        let active = |purpose: KeyPurpose| -> DomainResult<Arc<LoadedSigningKey>> {
            let record = records
                .iter()
                .filter(|record| record.purpose == purpose)
                .max_by_key(|record| (record.created_ms, record.kid.clone()))
                .ok_or_else(|| DomainError::internal("a pool lost its signing key"))?;
            Ok(Arc::new(tokens::load_signing_key(&self.master_key, record)?))
        };
        let cached = Arc::new(CachedKeys {
            version,
            id_key: active(KeyPurpose::IdToken)?,
            access_key: active(KeyPurpose::AccessToken)?,
            records,
        });
        self.signing_keys.pools.lock().expect("key cache lock").insert(pool_id.to_string(), cached.clone());
        Ok(cached)
    }

    /// The public keys of a pool, for `/<pool id>/.well-known/jwks.json`: the signing keys and
    /// the keys they replaced less than a token lifetime ago.
    pub async fn jwks(&self, pool_id: &UserPoolId) -> DomainResult<Vec<PublicJwk>> {
        self.load_pool(pool_id).await?;
        let keys = self.pool_keys(pool_id).await?;
        Ok(live_keys(&keys.records, None, self.now()).map(SigningKeyRecord::public_jwk).collect())
    }

    /// Rotates a pool's signing keys: new ID-token and access-token keys sign from now on (on
    /// every node at once: the insert raises the config version); the old keys stay in the JWKS and
    /// keep verifying until every token they signed has expired. Returns the new key ids.
    pub async fn rotate_signing_keys(&self, pool_id: &UserPoolId) -> DomainResult<Vec<String>> {
        self.load_pool(pool_id).await?;
        // Strictly newer than every key there is, so the new keys sign even within the same
        // millisecond (or under a clock that stands still).
        let newest = self.store.list_signing_keys(pool_id).await?.iter().map(|record| record.created_ms).max();
        let created_ms = newest.map_or(self.now(), |newest| self.now().max(newest + 1));
        let mut kids = Vec::new();
        for purpose in [KeyPurpose::IdToken, KeyPurpose::AccessToken] {
            let record = tokens::generate_signing_key(&self.master_key, pool_id, purpose, created_ms)?;
            self.store.insert_signing_key(&record).await?;
            kids.push(record.kid);
        }
        self.signing_keys.pools.lock().expect("key cache lock").remove(pool_id.as_str());
        Ok(kids)
    }

    /// The issuer URL of a pool that exists.
    pub async fn pool_issuer(&self, pool_id: &UserPoolId) -> DomainResult<String> {
        self.load_pool(pool_id).await?;
        Ok(self.issuer(pool_id))
    }

    pub(crate) async fn client_for(&self, client_id: &str, caller: &Caller) -> DomainResult<PoolAndClient> {
        crate::ids::check_client_id(client_id)?;
        let version = self.store.config_version().await?;
        self.client_at(client_id, caller, version).await
    }

    /// As [`Self::client_for`], with the config version already read (with a refresh token).
    pub(crate) async fn client_at(&self, client_id: &str, caller: &Caller, version: i64) -> DomainResult<PoolAndClient> {
        crate::ids::check_client_id(client_id)?;
        let not_found = || DomainError::NotFound(format!("User pool client {client_id} does not exist."));
        let found = self.cached_client(client_id, version).await?;
        if let Caller::Admin { pool_id } = caller {
            if found.as_ref().is_none_or(|(_, client)| &client.pool_id != pool_id) {
                self.load_pool(pool_id).await?;
            }
        }
        let (pool, client) = found.ok_or_else(not_found)?;
        if let Caller::Admin { pool_id } = caller {
            if &client.pool_id != pool_id {
                return Err(not_found());
            }
        }
        Ok((pool, client))
    }

    /// Whether the pool `pool_id` exists at config version `version`: from memory when this node
    /// read it at that version, else from the store.
    pub(crate) async fn pool_exists_at(&self, pool_id: &str, version: i64) -> DomainResult<bool> {
        if let Some(exists) = self.pools.get(pool_id, version) {
            return Ok(exists);
        }
        let exists = self.store.get_user_pool(pool_id).await?.is_some();
        self.pools.put(pool_id, version, exists);
        Ok(exists)
    }

    /// A client and its pool as stored at config version `version` (or later): from memory when
    /// this node read them at that version, else from the store. None: no such client.
    pub(crate) async fn cached_client(&self, client_id: &str, version: i64) -> DomainResult<Option<PoolAndClient>> {
        if let Some(found) = self.config.get(client_id, version) {
            return Ok(Some(found));
        }
        let Some(client) = self.store.find_app_client(client_id).await? else { return Ok(None) };
        let found = (Arc::new(self.load_pool(&client.pool_id).await?), Arc::new(client));
        self.config.put(client_id, version, found.clone());
        Ok(Some(found))
    }

    /// Checks a client's proof: its SECRET_HASH, or the hosted pages acting for it.
    pub(crate) fn check_client_proof(&self, client: &AppClient, usernames: &[&str], proof: ClientProof<'_>) -> DomainResult<()> {
        match proof {
            ClientProof::SecretHash(given) => self.check_secret_hash(client, usernames, given),
            ClientProof::HostedPages => Ok(()),
        }
    }

    pub(crate) fn check_secret_hash(&self, client: &AppClient, usernames: &[&str], given: Option<&str>) -> DomainResult<()> {
        if client.sealed_secret.is_none() {
            return Ok(());
        }
        let secrets = self.client_secret_values(client)?;
        let given = given.ok_or_else(|| {
            DomainError::NotAuthorized(format!(
                "Client {} is configured with secret but SECRET_HASH was not received",
                client.client_id
            ))
        })?;
        // Any of the client's secrets (two while one is rotated), for any name the user goes by.
        let matches = secrets.iter().any(|secret| {
            usernames.iter().any(|username| constant_time_eq(secret_hash(secret, username, &client.client_id).as_bytes(), given.as_bytes()))
        });
        if matches {
            Ok(())
        } else {
            Err(DomainError::NotAuthorized(format!("Unable to verify secret hash for client {}", client.client_id)))
        }
    }
}

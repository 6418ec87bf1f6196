//! Identities and their linked logins: describe, list, delete, and the writes that create an
//! identity or link logins to it (each login is linked to one identity per pool).

use super::*;

impl IdentityPoolService {
    // Identities.

    /// The identity pool an identity belongs to, for authorising operations that name only the
    /// identity; None when it is unknown or cannot be read.
    pub async fn pool_of_identity(&self, identity_id: &str) -> Option<String> {
        crate::ids::check_identity_id(identity_id).ok()?;
        let identity: Identity = self.store.get_record_of("", identity_id, 0).await.ok()??;
        Some(identity.pool_id.into_string())
    }

    pub async fn describe_identity(&self, identity_id: &IdentityId) -> DomainResult<Identity> {
        self.identity(identity_id).await
    }

    /// The identity an id read from a record or a token names.
    pub(crate) async fn identity(&self, identity_id: &str) -> DomainResult<Identity> {
        let identity = self.identity_record(identity_id).await?;
        if self.store.get_record(POOL, "", &identity.pool_id, 0).await?.is_none() {
            return Err(identity_not_found(identity_id));
        }
        Ok(identity)
    }

    /// The identity record alone: its pool is the caller's to check.
    pub(super) async fn identity_record(&self, identity_id: &str) -> DomainResult<Identity> {
        crate::ids::check_identity_id(identity_id)?;
        self.store.get_record_of("", identity_id, 0).await?.ok_or_else(|| identity_not_found(identity_id))
    }

    pub async fn list_identities(&self, pool_id: &IdentityPoolId, max: i32, next_token: Option<&str>) -> DomainResult<(Vec<Identity>, Option<String>)> {
        self.pool(pool_id).await?;
        let limit = max_results(max, 60)?;
        let after = decode_page_token(next_token)?;
        let mut rows = self.store.list_records(POOL_IDENTITY, pool_id, after.as_deref(), limit + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(|(key, _)| encode_page_token(key)) } else { None };
        let mut identities = Vec::with_capacity(rows.len());
        for (identity_id, _) in rows {
            if let Some(identity) = self.store.get_record_of::<Identity>("", &identity_id, 0).await? {
                identities.push(identity);
            }
        }
        Ok((identities, next))
    }

    /// DeleteIdentities: removes each identity with its login links; ids that are not found are
    /// skipped, as Cognito does. Returns the ids it could not process.
    pub async fn delete_identities(&self, identity_ids: &[String]) -> DomainResult<Vec<String>> {
        if identity_ids.is_empty() || identity_ids.len() > 60 {
            return Err(DomainError::InvalidParameter("IdentityIdsToDelete must name 1 to 60 identities.".into()));
        }
        let mut unprocessed = Vec::new();
        for identity_id in identity_ids {
            if crate::ids::check_identity_id(identity_id).is_err() {
                unprocessed.push(identity_id.clone());
                continue;
            }
            let Some(identity) = self.store.get_record_of::<Identity>("", identity_id, 0).await? else {
                continue;
            };
            let mut writes = vec![
                identity.delete(),
                RecordWrite::Delete { kind: POOL_IDENTITY, scope: identity.pool_id.to_string(), key: identity.id.to_string() },
            ];
            for login in &identity.logins {
                writes.push(RecordWrite::Delete { kind: LOGIN, scope: identity.pool_id.to_string(), key: login_key(&login.provider, &login.subject) });
            }
            self.store.write_records(&writes).await?;
        }
        Ok(unprocessed)
    }

    /// Creates an identity linked to `logins`, atomically with its links; `Conflict(Key)` when
    /// one of the logins was linked meanwhile.
    pub(super) async fn insert_identity(&self, pool_id: &IdentityPoolId, logins: Vec<LinkedLogin>) -> Result<Identity, StoreError> {
        let now = self.now();
        let identity = Identity {
            id: IdentityId::generate(pool_id.region()),
            pool_id: pool_id.clone(),
            logins,
            created_ms: now,
            modified_ms: now,
        };
        let mut writes = vec![
            identity.insert().map_err(|error| StoreError::Backend(error.to_string()))?,
            RecordWrite::Insert { kind: POOL_IDENTITY, scope: pool_id.to_string(), key: identity.id.to_string(), data: String::new(), expires_ms: None },
        ];
        for login in &identity.logins {
            writes.push(RecordWrite::Insert {
                kind: LOGIN,
                scope: pool_id.to_string(),
                key: login_key(&login.provider, &login.subject),
                data: identity.id.to_string(),
                expires_ms: None,
            });
        }
        self.store.write_records(&writes).await?;
        Ok(identity)
    }

    /// Links `logins` to an existing identity, atomically with their index entries and as a
    /// compare-and-set of the identity (links made meanwhile are kept); a login linked meanwhile
    /// to another identity makes it a conflict.
    pub(super) async fn link_logins(&self, identity: &mut Identity, logins: &[LinkedLogin]) -> DomainResult<()> {
        if logins.iter().all(|login| identity.logins.contains(login)) {
            return Ok(());
        }
        let now = self.now();
        *identity = self
            .change_logins(&identity.id, |updated| {
                let fresh: Vec<LinkedLogin> = logins.iter().filter(|login| !updated.logins.contains(login)).cloned().collect();
                updated.logins.extend(fresh.iter().cloned());
                updated.modified_ms = now;
                fresh
                    .iter()
                    .map(|login| RecordWrite::Insert {
                        kind: LOGIN,
                        scope: updated.pool_id.to_string(),
                        key: login_key(&login.provider, &login.subject),
                        data: updated.id.to_string(),
                        expires_ms: None,
                    })
                    .collect()
            })
            .await?;
        Ok(())
    }

    /// Changes an identity's logins as a compare-and-set, with the writes of the login index
    /// `change` answers for the change (none: nothing to write). Read again when the identity
    /// changed meanwhile; a login linked meanwhile to another identity is a conflict.
    pub(super) async fn change_logins(&self, identity_id: &str, mut change: impl FnMut(&mut Identity) -> Vec<RecordWrite>) -> DomainResult<Identity> {
        for _ in 0..LINK_ATTEMPTS {
            let Some(read) = self.store.read_record_of::<Identity>("", identity_id).await? else {
                return Err(identity_not_found(identity_id));
            };
            let mut updated = read.value;
            let index = change(&mut updated);
            if index.is_empty() {
                return Ok(updated);
            }
            let mut writes = vec![updated.swap_at("", &updated.key(), &read.stored)?];
            writes.extend(index);
            match self.store.write_records(&writes).await {
                Ok(()) => return Ok(updated),
                Err(StoreError::Conflict(ConflictOn::Stale)) => continue,
                Err(StoreError::Conflict(ConflictOn::Key)) => return Err(already_linked()),
                Err(other) => return Err(DomainError::from(other)),
            }
        }
        Err(DomainError::TooManyRequests("The identity was changed by other requests at the same time. Try again.".into()))
    }

    pub(super) async fn identity_of_login(&self, pool_id: &str, provider: &str, subject: &str) -> DomainResult<Option<String>> {
        self.store.get_record(LOGIN, pool_id, &login_key(provider, subject), 0).await.map_err(DomainError::from)
    }
}

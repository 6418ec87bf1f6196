//! Developer-authenticated identities: tokens for a developer's user, lookup, merge and unlink,
//! and the unlinking of logins.

use super::*;

impl IdentityPoolService {
    // Developer-authenticated identities.

    pub(super) fn developer_provider<'a>(&self, pool: &'a IdentityPool, name: &str) -> DomainResult<&'a str> {
        match pool.settings.developer_provider_name.as_deref() {
            Some(configured) if configured == name => Ok(configured),
            _ => Err(DomainError::NotAuthorized(format!("Developer provider {name} is not configured for this identity pool."))),
        }
    }

    /// GetOpenIdTokenForDeveloperIdentity (signed): links the developer user id (and any other
    /// logins) to an identity, creating it when needed, and returns an OpenID token for it.
    pub async fn get_open_id_token_for_developer_identity(
        &self,
        pool_id: &IdentityPoolId,
        identity_id: Option<&str>,
        logins: &BTreeMap<String, String>,
        token_duration: Option<i64>,
    ) -> DomainResult<(String, String)> {
        let (pool, version) = self.pool_at(pool_id).await?;
        let developer = pool
            .settings
            .developer_provider_name
            .clone()
            .ok_or_else(|| DomainError::InvalidParameter("This identity pool has no developer provider name.".into()))?;
        let duration = token_duration.unwrap_or(OPENID_TOKEN_SECONDS);
        if !(1..=86_400).contains(&duration) {
            return Err(DomainError::InvalidParameter("TokenDuration must be between 1 and 86400 seconds.".into()));
        }
        let user_id = logins
            .get(&developer)
            .ok_or_else(|| DomainError::InvalidParameter(format!("Logins must include the developer provider {developer}.")))?;
        if user_id.is_empty() || user_id.len() > 1024 {
            return Err(DomainError::InvalidParameter("The developer user identifier must be 1 to 1024 characters.".into()));
        }
        let others: BTreeMap<String, String> = logins.iter().filter(|(key, _)| **key != developer).map(|(k, v)| (k.clone(), v.clone())).collect();
        let proven = self.prove((&pool, version), &others).await?;
        let mut links = vec![LinkedLogin { provider: developer.clone(), subject: user_id.clone() }];
        links.extend(proven.logins.iter().map(VerifiedLogin::linked));
        let owner = self.identity_of_login(&pool.id, &developer, user_id).await?;
        let identity = match (owner, identity_id) {
            (Some(owner), Some(requested)) if owner != requested => return Err(already_linked()),
            (Some(owner), _) => {
                let mut identity = self.identity(&owner).await?;
                self.link_logins(&mut identity, &links).await?;
                identity
            }
            (None, Some(requested)) => {
                let mut identity = self.identity(requested).await?;
                if identity.pool_id != pool.id {
                    return Err(identity_not_found(requested));
                }
                self.link_logins(&mut identity, &links).await?;
                identity
            }
            (None, None) => self.insert_identity(&pool.id, links).await.map_err(|error| match error {
                StoreError::Conflict(_) => already_linked(),
                other => DomainError::from(other),
            })?,
        };
        let amr = vec!["authenticated".into(), developer.clone(), format!("{developer}:{}:{user_id}", pool.id)];
        let token = self.sign_openid_token(&pool, &identity.id, amr, duration).await?;
        Ok((identity.id.into_string(), token))
    }

    /// LookupDeveloperIdentity: by identity id or developer user id, the identity and its
    /// developer user ids.
    pub async fn lookup_developer_identity(
        &self,
        pool_id: &IdentityPoolId,
        identity_id: Option<&str>,
        developer_user_id: Option<&str>,
    ) -> DomainResult<(String, Vec<String>)> {
        let pool = self.pool(pool_id).await?;
        let developer = pool.settings.developer_provider_name.clone().unwrap_or_default();
        let identity_id = match (identity_id, developer_user_id) {
            (Some(identity_id), _) => identity_id.to_string(),
            (None, Some(user_id)) => self
                .identity_of_login(&pool.id, &developer, user_id)
                .await?
                .ok_or_else(|| DomainError::NotFound(format!("Developer user identifier {user_id} not found.")))?,
            (None, None) => {
                return Err(DomainError::InvalidParameter("Give an IdentityId or a DeveloperUserIdentifier.".into()))
            }
        };
        let identity = self.identity(&identity_id).await?;
        if identity.pool_id != pool.id {
            return Err(identity_not_found(&identity_id));
        }
        let ids = identity.logins.iter().filter(|login| login.provider == developer).map(|login| login.subject.clone()).collect();
        Ok((identity.id.into_string(), ids))
    }

    /// MergeDeveloperIdentities, planned: the source user's identity gives its logins to the
    /// destination user's identity and is deleted. Answers the two identity ids (the same when
    /// both users already share one identity) and the record writes that do it, which the
    /// caller applies together with the identities' datasets (`SyncService`).
    pub async fn plan_developer_merge(
        &self,
        pool_id: &IdentityPoolId,
        provider: &str,
        source_user: &str,
        destination_user: &str,
    ) -> DomainResult<DeveloperMerge> {
        let pool = self.pool(pool_id).await?;
        let developer = self.developer_provider(&pool, provider)?.to_string();
        let mut found = Vec::with_capacity(2);
        for user in [source_user, destination_user] {
            found.push(
                self.identity_of_login(&pool.id, &developer, user)
                    .await?
                    .ok_or_else(|| DomainError::NotFound(format!("Developer user identifier {user} not found.")))?,
            );
        }
        let (source_id, destination_id) = (found[0].clone(), found[1].clone());
        if source_id == destination_id {
            return Ok(DeveloperMerge { source_id, destination_id, writes: Vec::new() });
        }
        // Both identities are written as compare-and-sets (the source is swapped for itself, then
        // deleted): a link made to either meanwhile makes the merge be planned again.
        let not_found = |id: &str| DomainError::NotFound(format!("Identity '{id}' not found."));
        let source_read = self.store.read_record_of::<Identity>("", &source_id).await?.ok_or_else(|| not_found(&source_id))?;
        let destination_read = self.store.read_record_of::<Identity>("", &destination_id).await?.ok_or_else(|| not_found(&destination_id))?;
        let source = source_read.value;
        let mut destination = destination_read.value;
        destination.logins.extend(source.logins.iter().cloned());
        destination.modified_ms = self.now();
        let mut writes = vec![
            destination.swap_at("", &destination.key(), &destination_read.stored)?,
            source.swap_at("", &source.key(), &source_read.stored)?,
            source.delete(),
            RecordWrite::Delete { kind: POOL_IDENTITY, scope: pool.id.to_string(), key: source.id.to_string() },
        ];
        for login in &source.logins {
            writes.push(RecordWrite::Put {
                kind: LOGIN,
                scope: pool.id.to_string(),
                key: login_key(&login.provider, &login.subject),
                data: destination.id.to_string(),
                expires_ms: None,
            });
        }
        Ok(DeveloperMerge { source_id: source.id.into_string(), destination_id: destination.id.into_string(), writes })
    }

    /// UnlinkDeveloperIdentity (signed).
    pub async fn unlink_developer_identity(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId, provider: &str, user_id: &str) -> DomainResult<()> {
        let pool = self.pool(pool_id).await?;
        let developer = self.developer_provider(&pool, provider)?.to_string();
        let identity = self.identity(identity_id).await?;
        let link = LinkedLogin { provider: developer, subject: user_id.to_string() };
        if identity.pool_id != pool.id || !identity.logins.contains(&link) {
            return Err(DomainError::NotFound(format!("Developer user identifier {user_id} is not linked to {identity_id}.")));
        }
        self.unlink(identity, &[link]).await
    }

    /// UnlinkIdentity (unsigned): the caller proves a login of the identity and removes the
    /// links of the providers it names.
    pub async fn unlink_identity(&self, identity_id: &IdentityId, logins: &BTreeMap<String, String>, remove: &[String]) -> DomainResult<()> {
        let identity = self.identity(identity_id).await?;
        let (pool, version) = self.pool_at(&identity.pool_id).await?;
        let proven = self.prove((&pool, version), logins).await?;
        let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
        if !links.iter().any(|login| identity.logins.contains(login)) {
            return Err(logins_dont_match());
        }
        let canonical: Vec<String> = remove
            .iter()
            .map(|key| match key.strip_prefix(&format!("{}/", issuer_key(self.user_pools.issuer_base()))) {
                Some(pool_id) => self.user_pool_provider(pool_id),
                None => key.clone(),
            })
            .collect();
        let doomed: Vec<LinkedLogin> = identity.logins.iter().filter(|login| canonical.contains(&login.provider)).cloned().collect();
        self.unlink(identity, &doomed).await
    }

    /// Removes `doomed` from the identity's logins and their index entries, as a compare-and-set
    /// of the identity (links made meanwhile are kept).
    pub(super) async fn unlink(&self, identity: Identity, doomed: &[LinkedLogin]) -> DomainResult<()> {
        let now = self.now();
        self.change_logins(&identity.id, |updated| {
            updated.logins.retain(|login| !doomed.contains(login));
            updated.modified_ms = now;
            doomed
                .iter()
                .map(|login| RecordWrite::Delete { kind: LOGIN, scope: updated.pool_id.to_string(), key: login_key(&login.provider, &login.subject) })
                .collect()
        })
        .await?;
        Ok(())
    }
}

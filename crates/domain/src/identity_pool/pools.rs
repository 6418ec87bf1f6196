//! Identity pools: create, describe, update, delete and list, roles and role mappings, tags.

use super::*;

impl IdentityPoolService {
    // Pools.

    /// CreateIdentityPool in this server's default region.
    pub async fn create_pool(&self, settings: IdentityPoolSettings) -> DomainResult<IdentityPool> {
        let region = self.region.clone();
        self.create_pool_in(&region, settings).await
    }

    /// CreateIdentityPool in `region` (the one the request was signed for).
    pub async fn create_pool_in(&self, region: &str, settings: IdentityPoolSettings) -> DomainResult<IdentityPool> {
        settings.check()?;
        let now = self.now();
        let pool = IdentityPool {
            id: IdentityPoolId::generate(region),
            settings,
            roles: BTreeMap::new(),
            role_mappings: BTreeMap::new(),
            created_ms: now,
            principal_tags: BTreeMap::new(),
        };
        self.store.write_records(&[pool.insert()?]).await?;
        Ok(pool)
    }

    pub async fn describe_pool(&self, pool_id: &IdentityPoolId) -> DomainResult<IdentityPool> {
        self.pool(pool_id).await
    }

    /// The pool an id read from a record or a token names.
    /// The pool as stored at the current config version: from memory when this node read it at
    /// that version (one indexed read instead of the pool's), else from the store.
    pub(crate) async fn pool(&self, pool_id: &str) -> DomainResult<IdentityPool> {
        self.pool_at(pool_id).await.map(|(pool, _)| pool)
    }

    /// [`Self::pool`] with the config version it was read at, for the user pools' keys and
    /// settings the same request reads after it (one version read a request).
    pub(crate) async fn pool_at(&self, pool_id: &str) -> DomainResult<(IdentityPool, i64)> {
        crate::ids::check_identity_pool_id(pool_id)?;
        let version = self.store.config_version().await?;
        let pool = match self.pools.get(pool_id, version) {
            Some(pool) => pool,
            None => {
                let pool: Option<IdentityPool> = self.store.get_record_of("", pool_id, 0).await?;
                self.pools.put(pool_id, version, pool.clone());
                pool
            }
        };
        let pool = pool.ok_or_else(|| DomainError::NotFound(format!("IdentityPool '{pool_id}' not found.")))?;
        Ok((pool, version))
    }

    /// Applies `change` to the pool as a compare-and-set, so that concurrent changes of its
    /// settings, roles and tags all hold.
    async fn change_pool(&self, pool_id: &str, change: impl FnMut(&mut IdentityPool) -> DomainResult<()> + Send) -> DomainResult<IdentityPool> {
        crate::ids::check_identity_pool_id(pool_id)?;
        self.store
            .change_record_of::<IdentityPool, _>("", pool_id, change)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("IdentityPool '{pool_id}' not found.")))
    }

    /// UpdateIdentityPool replaces the settings (tags are kept unless given).
    pub async fn update_pool(&self, pool_id: &IdentityPoolId, settings: IdentityPoolSettings, tags_given: bool) -> DomainResult<IdentityPool> {
        settings.check()?;
        self.change_pool(pool_id, |pool| {
            if pool.settings.developer_provider_name.is_some() && settings.developer_provider_name != pool.settings.developer_provider_name {
                return Err(DomainError::InvalidParameter("The developer provider name cannot be changed once set.".into()));
            }
            let mut settings = settings.clone();
            if !tags_given {
                settings.tags = pool.settings.tags.clone();
            }
            pool.settings = settings;
            Ok(())
        })
        .await
    }

    pub async fn delete_pool(&self, pool_id: &IdentityPoolId) -> DomainResult<()> {
        self.pool(pool_id).await?;
        // The pool, its login links and its identity index go at once; the identity records
        // themselves follow in batches (an identity whose pool is gone is never served).
        self.store
            .write_records(&[
                RecordWrite::Delete { kind: POOL, scope: String::new(), key: pool_id.to_string() },
                RecordWrite::DeleteScope { kind: LOGIN, scope: pool_id.to_string() },
            ])
            .await
            ?;
        loop {
            let page = self.store.list_records(POOL_IDENTITY, pool_id, None, 500).await?;
            if page.is_empty() {
                return Ok(());
            }
            let mut writes = Vec::with_capacity(page.len() * 2);
            for (identity_id, _) in page {
                writes.push(RecordWrite::Delete { kind: IDENTITY, scope: String::new(), key: identity_id.clone() });
                writes.push(RecordWrite::Delete { kind: POOL_IDENTITY, scope: pool_id.to_string(), key: identity_id });
            }
            self.store.write_records(&writes).await?;
        }
    }

    /// ListIdentityPools in this server's default region.
    pub async fn list_pools(&self, max: i32, next_token: Option<&str>) -> DomainResult<(Vec<IdentityPool>, Option<String>)> {
        let region = self.region.clone();
        self.list_pools_in(&region, max, next_token).await
    }

    /// ListIdentityPools in `region`: the pools whose ids name it (they sort together).
    pub async fn list_pools_in(&self, region: &str, max: i32, next_token: Option<&str>) -> DomainResult<(Vec<IdentityPool>, Option<String>)> {
        let limit = max_results(max, 60)?;
        let prefix = format!("{region}:");
        let after = decode_page_token(next_token)?.filter(|after| after.as_str() > prefix.as_str()).unwrap_or_else(|| prefix.clone());
        let mut pools: Vec<IdentityPool> = self.store.list_records_of("", Some(&after), limit + 1).await?;
        pools.retain(|pool| pool.id.starts_with(&prefix));
        let more = pools.len() > limit as usize;
        pools.truncate(limit as usize);
        let next = if more { pools.last().map(|pool| encode_page_token(&pool.key())) } else { None };
        Ok((pools, next))
    }

    pub async fn set_roles(&self, pool_id: &IdentityPoolId, roles: BTreeMap<String, String>, mappings: BTreeMap<String, RoleMapping>) -> DomainResult<()> {
        for (kind, arn) in &roles {
            if kind != "authenticated" && kind != "unauthenticated" {
                return Err(DomainError::InvalidParameter(format!("Roles may only be 'authenticated' or 'unauthenticated', not '{kind}'.")));
            }
            if crate::ids::arn::role_name_of(arn).is_none() {
                return Err(DomainError::InvalidParameter(format!("'{arn}' is not a role ARN.")));
            }
        }
        if mappings.len() > 10 {
            return Err(DomainError::LimitExceeded("An identity pool may have at most 10 role mappings.".into()));
        }
        for (provider, mapping) in &mappings {
            mapping.check(provider)?;
        }
        self.change_pool(pool_id, |pool| {
            pool.roles = roles.clone();
            pool.role_mappings = mappings.clone();
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// SetPrincipalTagAttributeMap: which claims of `provider`'s tokens become session tags.
    pub async fn set_principal_tags(&self, pool_id: &IdentityPoolId, provider: &str, map: PrincipalTagMap) -> DomainResult<PrincipalTagMap> {
        if provider.is_empty() || provider.chars().count() > 128 {
            return Err(InvalidMember::error("identityProviderName", provider, Constraint::Length { min: 1, max: 128 }));
        }
        if map.tags.len() > 50 {
            return Err(DomainError::InvalidParameter("PrincipalTags may map at most 50 tags.".into()));
        }
        for (tag, claim) in &map.tags {
            if tag.is_empty() || tag.chars().count() > 128 || claim.is_empty() || claim.chars().count() > 256 {
                return Err(DomainError::InvalidParameter(format!("The principal tag {tag} must be 1 to 128 characters, its claim 1 to 256.")));
            }
        }
        self.change_pool(pool_id.as_str(), |pool| {
            if map.use_defaults || !map.tags.is_empty() {
                pool.principal_tags.insert(provider.to_string(), map.clone());
            } else {
                pool.principal_tags.remove(provider);
            }
            Ok(())
        })
        .await?;
        Ok(map)
    }

    /// GetPrincipalTagAttributeMap: the provider's mapping (none: no defaults, no tags).
    pub async fn principal_tags(&self, pool_id: &IdentityPoolId, provider: &str) -> DomainResult<PrincipalTagMap> {
        Ok(self.pool(pool_id).await?.principal_tags.get(provider).cloned().unwrap_or_default())
    }

    pub async fn tag_pool(&self, arn: &str, tags: BTreeMap<String, String>) -> DomainResult<()> {
        let pool = self.pool_of_arn(arn).await?;
        self.change_pool(&pool.id, |pool| {
            pool.settings.tags.extend(tags.clone());
            if pool.settings.tags.len() > 50 {
                return Err(DomainError::LimitExceeded("An identity pool may have at most 50 tags.".into()));
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn untag_pool(&self, arn: &str, keys: &[String]) -> DomainResult<()> {
        let pool = self.pool_of_arn(arn).await?;
        self.change_pool(&pool.id, |pool| {
            for key in keys {
                pool.settings.tags.remove(key);
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn pool_of_arn(&self, arn: &str) -> DomainResult<IdentityPool> {
        let not_found = || DomainError::NotFound(format!("Resource {arn} not found."));
        let pool_id = crate::ids::arn::identity_pool_id_of(arn, &self.account_id).ok_or_else(not_found)?;
        self.pool(pool_id).await
    }
}

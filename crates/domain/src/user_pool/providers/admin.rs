//! The administrator's identity-provider operations: create, describe, update, delete, list,
//! and the lookup by identifier.

use super::*;

impl UserPoolService {
    pub async fn create_identity_provider(
        &self,
        pool_id: &UserPoolId,
        name: &str,
        provider_type: &str,
        details: BTreeMap<String, String>,
        attribute_mapping: BTreeMap<String, String>,
        idp_identifiers: Vec<String>,
    ) -> DomainResult<IdentityProvider> {
        let pool = self.load_pool(pool_id).await?;
        let now = self.now();
        let mut provider = IdentityProvider {
            pool_id: pool_id.to_string(),
            name: name.to_string(),
            provider_type: provider_type.to_string(),
            details,
            attribute_mapping,
            idp_identifiers,
            created_ms: now,
            modified_ms: now,
        };
        check_provider(&provider)?;
        if provider.provider_type == "SAML" {
            self.prepare_saml(&mut provider).await?;
        }
        for (detail, value) in default_details(provider_type) {
            provider.details.entry(detail.to_string()).or_insert_with(|| value.to_string());
        }
        self.check_mapping(&pool, &provider)?;
        provider.attribute_mapping.entry("username".into()).or_insert_with(|| {
            match provider_type {
                "Facebook" => "id",
                "LoginWithAmazon" => "user_id",
                _ => "sub",
            }
            .to_string()
        });
        self.check_identifiers_free(&provider).await?;
        self.save_provider(provider, true).await
    }

    pub(crate) fn check_mapping(&self, pool: &UserPool, provider: &IdentityProvider) -> DomainResult<()> {
        for (attribute, upstream) in &provider.attribute_mapping {
            let known = attribute == "username" || pool.shape.schema.iter().any(|schema| &schema.name == attribute);
            if !known {
                return Err(invalid(format!("The attribute {attribute} of AttributeMapping is not in the pool's schema.")));
            }
            if upstream.is_empty() || upstream.len() > 131_072 {
                return Err(invalid(format!("The mapping of {attribute} is empty.")));
            }
        }
        Ok(())
    }

    pub async fn describe_identity_provider(&self, pool_id: &UserPoolId, name: &str) -> DomainResult<IdentityProvider> {
        self.load_pool(pool_id).await?;
        let mut provider: IdentityProvider = self
            .store
            .get_record_of(pool_id, name, 0)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("Identity provider {name} does not exist.")))?;
        self.open_details(&mut provider)?;
        Ok(provider)
    }

    pub async fn update_identity_provider(
        &self,
        pool_id: &UserPoolId,
        name: &str,
        details: Option<BTreeMap<String, String>>,
        attribute_mapping: Option<BTreeMap<String, String>>,
        idp_identifiers: Option<Vec<String>>,
    ) -> DomainResult<IdentityProvider> {
        let pool = self.load_pool(pool_id).await?;
        let mut provider = self.describe_identity_provider(pool_id, name).await?;
        if let Some(details) = details {
            // A SAML provider's metadata is a file or a URL: a new one of either replaces both.
            if provider.provider_type == "SAML" && (details.contains_key("MetadataFile") || details.contains_key("MetadataURL")) {
                provider.details.remove("MetadataFile");
                provider.details.remove("MetadataURL");
            }
            for (detail, value) in details {
                provider.details.insert(detail, value);
            }
        }
        if let Some(mapping) = attribute_mapping {
            provider.attribute_mapping = mapping;
        }
        if let Some(identifiers) = idp_identifiers {
            provider.idp_identifiers = identifiers;
        }
        check_provider(&provider)?;
        if provider.provider_type == "SAML" {
            self.prepare_saml(&mut provider).await?;
        }
        self.check_mapping(&pool, &provider)?;
        self.check_identifiers_free(&provider).await?;
        provider.modified_ms = self.now();
        self.save_provider(provider, false).await
    }

    pub async fn delete_identity_provider(&self, pool_id: &UserPoolId, name: &str) -> DomainResult<()> {
        self.describe_identity_provider(pool_id, name).await?;
        self.store
            .write_records(&[
                IdentityProvider::delete_at(pool_id, name),
                RecordWrite::DeleteScope { kind: PROVIDER_LINK, scope: format!("{pool_id}:{name}") },
            ])
            .await
            .map_err(DomainError::from)
    }

    pub(crate) async fn all_providers(&self, pool_id: &str) -> DomainResult<Vec<IdentityProvider>> {
        self.store.list_records_of(pool_id, None, 1000).await
    }

    /// One page of a pool's providers (secrets not opened: the listing shows none).
    pub async fn list_identity_providers(&self, pool_id: &UserPoolId, max_results: Option<i32>, next_token: Option<&str>) -> DomainResult<(Vec<IdentityProvider>, Option<String>)> {
        self.load_pool(pool_id).await?;
        let limit = crate::paging::page_limit(max_results, "maxResults")?;
        let after = crate::paging::decode_key_token(next_token)?;
        let providers: Vec<IdentityProvider> = self.store.list_records_of(pool_id, after.as_deref(), limit + 1).await?;
        let (providers, more) = crate::paging::split_page(providers, limit);
        let next = if more { providers.last().map(|provider| crate::paging::encode_token(&[&provider.name])) } else { None };
        Ok((providers, next))
    }

    /// The name of the provider with this IdpIdentifier.
    pub async fn provider_by_identifier(&self, pool_id: &UserPoolId, identifier: &str) -> DomainResult<Option<String>> {
        Ok(self.all_providers(pool_id).await?.into_iter().find(|provider| provider.idp_identifiers.iter().any(|known| known == identifier)).map(|provider| provider.name))
    }

    pub async fn get_identity_provider_by_identifier(&self, pool_id: &UserPoolId, identifier: &str) -> DomainResult<IdentityProvider> {
        self.load_pool(pool_id).await?;
        let name = self
            .provider_by_identifier(pool_id, identifier)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("No identity provider has the identifier {identifier}.")))?;
        self.describe_identity_provider(pool_id, &name).await
    }
}

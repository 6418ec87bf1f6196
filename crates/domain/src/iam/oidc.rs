//! IAM OpenID Connect providers: the issuers whose ID tokens STS and identity pools trust.

use super::*;

impl IamService {
    // OpenID Connect providers.

    pub async fn create_oidc_provider(
        &self,
        url: &str,
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
        tags: BTreeMap<String, String>,
    ) -> DomainResult<OidcProvider> {
        let issuer = url.trim_end_matches('/').to_string();
        if !acceptable_issuer(&issuer) || issuer.contains(['?', '#']) {
            return Err(validation(format!(
                "Invalid OpenID Connect provider URL {url}: it must start with https:// (or http:// on a loopback address)."
            )));
        }
        if client_ids.len() > 100 || client_ids.iter().any(|id| id.is_empty() || id.len() > 255) {
            return Err(validation("Each client id must be 1 to 255 characters, at most 100 of them."));
        }
        if thumbprints.len() > 5 || thumbprints.iter().any(|print| print.len() != 40 || !print.bytes().all(|byte| byte.is_ascii_hexdigit())) {
            return Err(validation("Each thumbprint must be 40 hexadecimal characters, at most 5 of them."));
        }
        let key = issuer_key(&issuer).to_string();
        let provider = OidcProvider {
            arn: crate::ids::arn::oidc_provider(&self.account_id, &key),
            issuer,
            client_ids,
            thumbprints,
            created_ms: self.now(),
            tags,
        };
        let write = provider.insert()?;
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(provider),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("Provider with url {url} already exists."))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    pub(super) fn provider_key_of_arn<'a>(&self, arn: &'a str) -> Option<&'a str> {
        crate::ids::arn::oidc_provider_of(arn, &self.account_id)
    }

    pub async fn get_oidc_provider(&self, arn: &str) -> DomainResult<OidcProvider> {
        let not_found = || DomainError::NotFound(format!("OpenIDConnect Provider not found for arn {arn}"));
        let key = self.provider_key_of_arn(arn).ok_or_else(not_found)?;
        let provider: Option<OidcProvider> = self.store.get_record_of("", key, 0).await?;
        provider.ok_or_else(not_found)
    }

    /// The provider registered for an issuer (`iss`), if any.
    pub async fn find_oidc_provider_by_issuer(&self, issuer: &str) -> DomainResult<Option<OidcProvider>> {
        let provider: Option<OidcProvider> = self.store.get_record_of("", issuer_key(issuer), 0).await?;
        Ok(provider.filter(|provider| provider.issuer == issuer.trim_end_matches('/')))
    }

    pub async fn list_oidc_providers(&self) -> DomainResult<Vec<OidcProvider>> {
        self.store.list_records_of("", None, 1000).await
    }

    pub async fn delete_oidc_provider(&self, arn: &str) -> DomainResult<()> {
        let provider = self.get_oidc_provider(arn).await?;
        self.store.write_records(&[provider.delete()]).await.map_err(DomainError::from)
    }

    /// AddClientIDToOpenIDConnectProvider (`add`) and RemoveClientIDFromOpenIDConnectProvider,
    /// as a compare-and-set of the provider's audience list.
    pub async fn change_oidc_client_id(&self, arn: &str, client_id: &str, add: bool) -> DomainResult<()> {
        let not_found = || DomainError::NotFound(format!("OpenIDConnect Provider not found for arn {arn}"));
        if client_id.is_empty() || client_id.len() > 255 {
            return Err(DomainError::InvalidParameter("ClientID must be 1 to 255 characters.".into()));
        }
        let key = self.provider_key_of_arn(arn).ok_or_else(not_found)?;
        let changed = self
            .store
            .change_record_of::<OidcProvider, _>("", key, |provider| {
                provider.client_ids.retain(|existing| existing != client_id);
                if add {
                    provider.client_ids.push(client_id.to_string());
                }
                if provider.client_ids.len() > 100 {
                    return Err(DomainError::LimitExceeded("A provider may have at most 100 client ids.".into()));
                }
                Ok(())
            })
            .await?;
        changed.map(|_| ()).ok_or_else(not_found)
    }
}

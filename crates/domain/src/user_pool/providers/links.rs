//! AdminLinkProviderForUser and AdminDisableProviderForUser: federated identities linked to, or
//! unlinked from, local users.

use super::*;

impl UserPoolService {
    /// AdminLinkProviderForUser: future sign-ins of the source identity become sign-ins of
    /// the destination user, whose `identities` attribute records the link.
    pub async fn admin_link_provider_for_user(&self, pool_id: &UserPoolId, destination: (&str, &str), source: (&str, &str, &str)) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let (destination_provider, destination_username) = destination;
        let (source_provider, source_attribute, source_value) = source;
        if destination_provider != "Cognito" {
            return Err(invalid("DestinationUser.ProviderName must be Cognito."));
        }
        let provider = self.describe_identity_provider(pool_id, source_provider).await?;
        if source_attribute != "Cognito_Subject" {
            return Err(invalid("SourceUser.ProviderAttributeName must be Cognito_Subject for this provider type."));
        }
        let user = self.resolve_user(&pool, destination_username).await?;
        if user.status == UserStatus::ExternalProvider {
            return Err(invalid("The destination user must be a native user of the pool."));
        }
        let federated = format!("{}_{}", provider.name, source_value);
        if self.store.get_user(pool_id, &pool.username_key(&federated)).await?.is_some() {
            return Err(invalid("Merging is not currently supported, provide a SourceUser that has not been used to sign-in before."));
        }
        let scope = format!("{pool_id}:{}", provider.name);
        let write = RecordWrite::Insert { kind: PROVIDER_LINK, scope, key: source_value.to_string(), data: pool.username_key(&user.username), expires_ms: None };
        match self.store.write_records(&[write]).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(DomainError::AliasExists("This identity is already linked to a user.".into())),
            Err(other) => return Err(DomainError::from(other)),
        }
        let link = json!({
            "userId": source_value,
            "providerName": provider.name,
            "providerType": provider.provider_type,
            "issuer": Value::Null,
            "primary": "false",
            "dateCreated": self.now().to_string(),
        });
        let key = pool.username_key(&user.username);
        self.change_user(&pool, &key, |user| {
            let mut identities: Vec<Value> = user.attribute("identities").and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
            identities.push(link.clone());
            set_attribute(&mut user.attributes, "identities", &Value::Array(identities).to_string());
            Ok(())
        })
        .await
        .map(|_| ())
    }

    /// AdminDisableProviderForUser: removes a link made by AdminLinkProviderForUser, or, for a
    /// user created by a federated sign-in, disables that user.
    pub async fn admin_disable_provider_for_user(&self, pool_id: &UserPoolId, provider_name: &str, attribute: &str, value: &str) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        if attribute != "Cognito_Subject" {
            return Err(invalid("User.ProviderAttributeName must be Cognito_Subject."));
        }
        let scope = format!("{pool_id}:{provider_name}");
        if let Some(username_key) = self.store.get_record(PROVIDER_LINK, &scope, value, 0).await? {
            self.store.write_records(&[RecordWrite::Delete { kind: PROVIDER_LINK, scope, key: value.to_string() }]).await?;
            let unlinked = self
                .change_user(&pool, &username_key, |user| {
                    let identities: Vec<Value> = user.attribute("identities").and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
                    let kept: Vec<Value> = identities
                        .into_iter()
                        .filter(|identity| !(identity.get("providerName").and_then(Value::as_str) == Some(provider_name) && identity.get("userId").and_then(Value::as_str) == Some(value)))
                        .collect();
                    if kept.is_empty() {
                        crate::user_pool::remove_attribute(&mut user.attributes, "identities");
                    } else {
                        set_attribute(&mut user.attributes, "identities", &Value::Array(kept).to_string());
                    }
                    Ok(())
                })
                .await;
            return match unlinked {
                Ok(_) | Err(DomainError::UserNotFound(_)) => Ok(()),
                Err(error) => Err(error),
            };
        }
        let federated = format!("{provider_name}_{value}");
        let now = self.now();
        self.change_user(&pool, &pool.username_key(&federated), |user| {
            user.enabled = false;
            user.modified_ms = now;
            Ok(())
        })
        .await
        .map(|_| ())
    }
}

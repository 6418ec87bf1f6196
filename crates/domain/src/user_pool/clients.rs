//! App clients: create, describe, update, delete and list, with their sealed secrets.

use crate::error::{Constraint, InvalidMember};
use super::validation::*;
use super::*;

impl UserPoolService {
    /// Creates a client; the secret is generated, or taken from `client_secret` when given.
    /// Returns the client and its secret in clear.
    pub async fn create_user_pool_client(
        &self,
        pool_id: &UserPoolId,
        settings: AppClientSettings,
        generate_secret: bool,
        client_secret: Option<String>,
    ) -> DomainResult<(AppClient, Option<String>)> {
        self.insert_new_client(pool_id, settings, generate_secret, client_secret, None).await
    }

    /// Creates a client keeping the id (and secret) it has elsewhere (a client copied from Cognito).
    pub async fn create_user_pool_client_with_id(
        &self,
        pool_id: &UserPoolId,
        client_id: ClientId,
        settings: AppClientSettings,
        client_secret: Option<String>,
    ) -> DomainResult<(AppClient, Option<String>)> {
        self.insert_new_client(pool_id, settings, false, client_secret, Some(client_id)).await
    }

    async fn insert_new_client(
        &self,
        pool_id: &UserPoolId,
        settings: AppClientSettings,
        generate_secret: bool,
        client_secret: Option<String>,
        given_id: Option<ClientId>,
    ) -> DomainResult<(AppClient, Option<String>)> {
        let pool = self.load_pool(pool_id).await?;
        check_client_settings(&pool, &settings)?;
        let secret = match (generate_secret, client_secret) {
            // A copied client keeps the secret it has, whatever its form.
            (_, Some(given)) if given_id.is_some() => Some(given),
            (_, Some(given)) => {
                let valid = (24..=64).contains(&given.len())
                    && given.chars().all(|character| character.is_alphanumeric() || character == '_' || character == '+');
                if !valid {
                    return Err(InvalidMember::error("clientSecret", "***", Constraint::PatternAndLength { pattern: "[\\w+]+", min: 24, max: 64 }));
                }
                Some(given)
            }
            (true, None) => Some(ids::new_client_secret()),
            (false, None) => None,
        };
        let now = self.now();
        for _ in 0..3 {
            let client_id = given_id.clone().unwrap_or_else(ClientId::generate);
            let client = AppClient {
                pool_id: pool_id.clone(),
                sealed_secret: secret.as_ref().map(|secret| self.master_key.seal(secret.as_bytes(), &client_seal_context(&client_id))),
                client_id,
                secret_created_ms: None,
                more_secrets: Vec::new(),
                created_ms: now,
                modified_ms: now,
                settings: settings.clone(),
            };
            match self.store.insert_app_client(&client).await {
                Ok(()) => return Ok((client, secret)),
                Err(StoreError::Conflict(_)) if given_id.is_some() => {
                    return Err(DomainError::InvalidParameter(format!("A client with the id {} exists.", client.client_id)));
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(error) => return Err(DomainError::from(error)),
            }
        }
        Err(DomainError::internal("could not allocate a unique client id"))
    }

    /// The client and its secret in clear.
    pub async fn describe_user_pool_client(&self, pool_id: &UserPoolId, client_id: &ClientId) -> DomainResult<(AppClient, Option<String>)> {
        let client = self.load_client(pool_id, client_id).await?;
        let secret = self.client_secret(&client)?;
        Ok((client, secret))
    }

    /// The client secret in clear, if the client has one.
    pub fn client_secret(&self, client: &AppClient) -> DomainResult<Option<String>> {
        client
            .sealed_secret
            .as_ref()
            .map(|sealed| {
                let bytes = self.master_key.open(sealed, &client_seal_context(&client.client_id))?;
                String::from_utf8(bytes).map_err(DomainError::internal)
            })
            .transpose()
    }

    pub(super) async fn load_client(&self, pool_id: &str, client_id: &str) -> DomainResult<AppClient> {
        ids::check_client_id(client_id)?;
        self.load_pool(pool_id).await?;
        self.store
            .get_app_client(pool_id, client_id)
            .await
            ?
            .ok_or_else(|| client_not_found(client_id))
    }

    /// Replaces a client's settings; a name left out keeps the current one.
    pub async fn update_user_pool_client(
        &self,
        pool_id: &UserPoolId,
        client_id: &ClientId,
        mut settings: AppClientSettings,
    ) -> DomainResult<(AppClient, Option<String>)> {
        let pool = self.load_pool(pool_id).await?;
        // A compare-and-set, so that a secret added or deleted meanwhile is kept.
        for _ in 0..8 {
            let (mut client, stored) = self.store.read_app_client(pool_id, client_id).await?.ok_or_else(|| client_not_found(client_id))?;
            if settings.name.is_empty() {
                settings.name = client.settings.name.clone();
            }
            check_client_settings(&pool, &settings)?;
            client.settings = settings.clone();
            client.modified_ms = self.now();
            if self.store.swap_app_client(&client, &stored).await? {
                let secret = self.client_secret(&client)?;
                return Ok((client, secret));
            }
        }
        Err(DomainError::TooManyRequests("The client was changed by other requests at the same time. Try again.".into()))
    }

    pub async fn delete_user_pool_client(&self, pool_id: &UserPoolId, client_id: &ClientId) -> DomainResult<()> {
        self.load_pool(pool_id).await?;
        if !self.store.delete_app_client(pool_id, client_id).await? {
            return Err(client_not_found(client_id));
        }
        Ok(())
    }

    pub async fn list_user_pool_clients(
        &self,
        pool_id: &UserPoolId,
        next_token: Option<&str>,
        max_results: Option<i32>,
    ) -> DomainResult<Page<AppClient>> {
        let limit = page_limit(max_results, "maxResults")?;
        self.load_pool(pool_id).await?;
        let after = decode_key_token(next_token)?;
        let rows = self
            .store
            .list_app_clients(pool_id, after.as_deref(), limit + 1)
            .await
            ?;
        let (items, more) = split_page(rows, limit);
        let next_token = if more { items.last().map(|client| encode_token(&[&client.client_id])) } else { None };
        Ok(Page { items, next_token })
    }

    // ----- users -----
}

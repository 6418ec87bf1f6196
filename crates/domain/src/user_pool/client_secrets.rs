//! A confidential client's secrets: the first one and up to one more (AddUserPoolClientSecret,
//! ListUserPoolClientSecrets, DeleteUserPoolClientSecret), so that a secret can be rotated with
//! no downtime. SECRET_HASH and the token endpoint accept any of them. The secrets are sealed
//! under the master key; a list never shows them.

use std::sync::Arc;

use super::{client_not_found, client_seal_context, AppClient, ClientSecretDescriptor, SealedClientSecret, UserPoolService};
use crate::crypto::constant_time_eq;
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::ids::{self, ClientId, UserPoolId};

/// How many secrets a client may have at once.
const MAX_SECRETS: usize = 2;
/// How many times a change of a client's secrets is tried against others at the same time.
const SECRET_ATTEMPTS: usize = 8;

/// A client's secrets, oldest first.
fn secrets_of(client: &AppClient) -> Vec<SealedClientSecret> {
    let first = client.sealed_secret.as_ref().map(|sealed| {
        let created_ms = client.secret_created_ms.unwrap_or(client.created_ms);
        SealedClientSecret { id: secret_id(&client.client_id, created_ms), sealed: sealed.clone(), created_ms }
    });
    first.into_iter().chain(client.more_secrets.iter().cloned()).collect()
}

/// Writes `secrets` (oldest first, at least one) back into the client.
fn set_secrets(client: &mut AppClient, mut secrets: Vec<SealedClientSecret>) {
    let first = secrets.remove(0);
    client.sealed_secret = Some(first.sealed);
    client.secret_created_ms = Some(first.created_ms);
    client.more_secrets = secrets;
}

fn secret_id(client_id: &str, created_ms: i64) -> String {
    format!("{client_id}--{created_ms}")
}

impl UserPoolService {
    /// Every secret of a client, opened.
    pub(crate) fn client_secret_values(&self, client: &AppClient) -> DomainResult<Vec<Arc<str>>> {
        // The sealed values as stored, oldest first (as `secrets_of` orders them, without copies).
        let sealed = client.sealed_secret.iter().chain(client.more_secrets.iter().map(|secret| &secret.sealed));
        let context = client_seal_context(&client.client_id);
        sealed.map(|sealed| self.opened_secrets.open(&self.master_key, sealed, &context)).collect()
    }

    /// Whether `given` is one of the client's secrets (each compared in constant time).
    pub(crate) fn is_client_secret(&self, client: &AppClient, given: &str) -> DomainResult<bool> {
        let values = self.client_secret_values(client)?;
        Ok(values.iter().fold(false, |found, value| constant_time_eq(value.as_bytes(), given.as_bytes()) | found))
    }

    /// AddUserPoolClientSecret: `given`, or a generated secret (answered this once).
    pub async fn add_user_pool_client_secret(&self, pool_id: &UserPoolId, client_id: &ClientId, given: Option<String>) -> DomainResult<ClientSecretDescriptor> {
        if let Some(given) = &given {
            let valid = (24..=64).contains(&given.len()) && given.chars().all(|character| character.is_alphanumeric() || character == '_' || character == '+');
            if !valid {
                return Err(InvalidMember::error("clientSecret", "***", Constraint::PatternAndLength { pattern: "[\\w+]+", min: 24, max: 64 }));
            }
        }
        let generated = given.is_none();
        let value = given.unwrap_or_else(ids::new_client_secret);
        let now = self.now();
        let sealed = self.master_key.seal(value.as_bytes(), &client_seal_context(client_id));
        let added = self
            .change_secrets(pool_id, client_id, |secrets| {
                if secrets.is_empty() {
                    return Err(DomainError::InvalidParameter(format!("Client {client_id} has no secret: it is a public client.")));
                }
                if secrets.len() >= MAX_SECRETS {
                    return Err(DomainError::LimitExceeded(format!("Client {client_id} has {MAX_SECRETS} secrets already; delete one first.")));
                }
                // Ids carry the creation time; two made in the same millisecond get distinct ones.
                let created_ms = secrets.iter().map(|secret| secret.created_ms + 1).max().unwrap_or(now).max(now);
                let secret = SealedClientSecret { id: secret_id(client_id, created_ms), sealed: sealed.clone(), created_ms };
                secrets.push(secret.clone());
                Ok(secret)
            })
            .await?;
        Ok(ClientSecretDescriptor { id: added.id, value: generated.then_some(value), created_ms: added.created_ms })
    }

    /// ListUserPoolClientSecrets: the secrets' ids and creation times, never their values.
    pub async fn list_user_pool_client_secrets(&self, pool_id: &UserPoolId, client_id: &ClientId) -> DomainResult<Vec<ClientSecretDescriptor>> {
        let client = self.load_client(pool_id, client_id).await?;
        Ok(secrets_of(&client).into_iter().map(|secret| ClientSecretDescriptor { id: secret.id, value: None, created_ms: secret.created_ms }).collect())
    }

    /// DeleteUserPoolClientSecret: any secret but the last one.
    pub async fn delete_user_pool_client_secret(&self, pool_id: &UserPoolId, client_id: &ClientId, secret_id: &str) -> DomainResult<()> {
        self.change_secrets(pool_id, client_id, |secrets| {
            let Some(index) = secrets.iter().position(|secret| secret.id == secret_id) else {
                return Err(DomainError::NotFound(format!("Client secret {secret_id} does not exist.")));
            };
            if secrets.len() == 1 {
                return Err(DomainError::InvalidParameter("The last secret of a client cannot be deleted.".into()));
            }
            secrets.remove(index);
            Ok(())
        })
        .await
    }

    /// Applies `change` to a client's secrets as a compare-and-set of the client, reading it
    /// again when it changed meanwhile.
    async fn change_secrets<T>(
        &self,
        pool_id: &UserPoolId,
        client_id: &ClientId,
        mut change: impl FnMut(&mut Vec<SealedClientSecret>) -> DomainResult<T>,
    ) -> DomainResult<T> {
        self.load_pool(pool_id).await?;
        for _ in 0..SECRET_ATTEMPTS {
            let (mut client, stored) = self.store.read_app_client(pool_id, client_id).await?.ok_or_else(|| client_not_found(client_id))?;
            let mut secrets = secrets_of(&client);
            let outcome = change(&mut secrets)?;
            set_secrets(&mut client, secrets);
            client.modified_ms = self.now();
            if self.store.swap_app_client(&client, &stored).await? {
                return Ok(outcome);
            }
        }
        Err(DomainError::TooManyRequests("The client was changed by other requests at the same time. Try again.".into()))
    }
}

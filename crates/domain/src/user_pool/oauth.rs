//! OAuth 2.0 for user pools: resource servers with their custom scopes, and the
//! client_credentials grant of the token endpoint (access tokens for machine clients, scoped to
//! `<resource server identifier>/<scope name>`).

use serde_json::{json, Value};

pub use super::resource_server::{ResourceServer, ResourceServerScope};
use super::UserPoolService;
use crate::ids::{ClientId, UserPoolId};
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::records::{Document, Record, Records};
use crate::store::{ConflictOn, StoreError};
use crate::tokens;

const MAX_SCOPES: usize = 100;

/// A refusal of the token endpoint, named as RFC 6749 names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest(String),
    InvalidClient(String),
    UnauthorizedClient(String),
    UnsupportedGrantType(String),
    InvalidScope(String),
    InvalidGrant(String),
    Server(String),
}

impl OAuthError {
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::Server(_) => "server_error",
        }
    }

    pub fn description(&self) -> &str {
        match self {
            OAuthError::InvalidRequest(text)
            | OAuthError::InvalidClient(text)
            | OAuthError::UnauthorizedClient(text)
            | OAuthError::UnsupportedGrantType(text)
            | OAuthError::InvalidScope(text)
            | OAuthError::InvalidGrant(text)
            | OAuthError::Server(text) => text,
        }
    }
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(error: crate::store::StoreError) -> Self {
        OAuthError::from(DomainError::from(error))
    }
}

impl From<DomainError> for OAuthError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Internal(detail) => {
                tracing::error!(%detail, "internal error at the token endpoint");
                OAuthError::Server("An internal error occurred.".into())
            }
            DomainError::Unavailable(message) | DomainError::TooManyRequests(message) => OAuthError::Server(message),
            other => OAuthError::InvalidRequest(other.to_string()),
        }
    }
}

/// Tokens from the refresh_token grant.
#[derive(Debug, Clone)]
pub struct RefreshedTokens {
    pub access_token: String,
    pub id_token: String,
    /// A new refresh token, when the client rotates them.
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

/// An access token from the token endpoint.
#[derive(Debug, Clone)]
pub struct IssuedAccessToken {
    pub access_token: String,
    pub expires_in: i64,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidParameter(message.into())
}

fn check_text(value: &str, member: &str, pattern: &'static str, allowed: impl Fn(char) -> bool) -> DomainResult<()> {
    if value.is_empty() || value.chars().count() > 256 || !value.chars().all(allowed) {
        return Err(InvalidMember::error(member, value, Constraint::PatternAndLength { pattern, min: 1, max: 256 }));
    }
    Ok(())
}

/// Identifier: `[\x21\x23-\x5B\x5D-\x7E]+`; scope names: `[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+`.
fn check_resource_server(server: &ResourceServer) -> DomainResult<()> {
    check_text(&server.identifier, "identifier", "[\\x21\\x23-\\x5B\\x5D-\\x7E]+", |c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c))?;
    check_text(&server.name, "name", "[\\w\\s+=,.@-]+", |c| c.is_alphanumeric() || c.is_whitespace() || "_+=,.@-".contains(c))?;
    if server.scopes.len() > MAX_SCOPES {
        return Err(DomainError::LimitExceeded(format!("A resource server may have at most {MAX_SCOPES} scopes.")));
    }
    for (index, scope) in server.scopes.iter().enumerate() {
        check_text(&scope.name, "scopeName", "[\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+", |c| c == '!' || ('#'..='.').contains(&c) || ('0'..='[').contains(&c) || (']'..='~').contains(&c))?;
        check_text(&scope.description, "scopeDescription", "[\\P{C}\\s]+", |_| true)?;
        if server.scopes[..index].iter().any(|earlier| earlier.name == scope.name) {
            return Err(invalid(format!("The scope {} is listed twice.", scope.name)));
        }
    }
    Ok(())
}

impl UserPoolService {
    pub async fn create_resource_server(&self, server: ResourceServer) -> DomainResult<ResourceServer> {
        self.load_pool(&server.pool_id).await?;
        check_resource_server(&server)?;
        match self.store.write_records(&[server.insert()?]).await {
            Ok(()) => Ok(server),
            Err(StoreError::Conflict(_)) => Err(invalid(format!("{} already exists in pool {}.", server.identifier, server.pool_id))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    pub async fn describe_resource_server(&self, pool_id: &UserPoolId, identifier: &str) -> DomainResult<ResourceServer> {
        self.load_pool(pool_id).await?;
        self.store
            .get_record_of::<ResourceServer>(pool_id, identifier, 0)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("Resource server {identifier} does not exist.")))
    }

    pub async fn update_resource_server(&self, server: ResourceServer) -> DomainResult<ResourceServer> {
        self.describe_resource_server(&server.pool_id, &server.identifier).await?;
        check_resource_server(&server)?;
        match self.store.write_records(&[server.replace()?]).await {
            Ok(()) => Ok(server),
            Err(StoreError::Conflict(ConflictOn::Absent)) => Err(DomainError::NotFound(format!("Resource server {} does not exist.", server.identifier))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    pub async fn delete_resource_server(&self, pool_id: &UserPoolId, identifier: &str) -> DomainResult<()> {
        self.describe_resource_server(pool_id, identifier).await?;
        self.store
            .write_records(&[ResourceServer::delete_at(pool_id, identifier)])
            .await
            .map_err(DomainError::from)
    }

    pub async fn list_resource_servers(&self, pool_id: &UserPoolId, max_results: i32, next_token: Option<&str>) -> DomainResult<(Vec<ResourceServer>, Option<String>)> {
        self.load_pool(pool_id).await?;
        if !(1..=50).contains(&max_results) {
            return Err(InvalidMember::error("maxResults", max_results.to_string(), Constraint::Range { min: 1, max: 50 }));
        }
        let after = super::decode_key_token(next_token)?;
        let servers: Vec<ResourceServer> = self.store.list_records_of(pool_id, after.as_deref(), max_results as u32 + 1).await?;
        let (servers, more) = super::split_page(servers, max_results as u32);
        let next = if more { servers.last().map(|server| super::encode_token(&[&server.key()])) } else { None };
        Ok((servers, next))
    }

    /// The client of the token endpoint, authenticated: a client with a secret must present it;
    /// a public client must not claim one.
    /// A resource server as stored at config version `version` (or later), from memory when
    /// this node read it at that version.
    async fn resource_server_at(&self, pool_id: &str, identifier: &str, version: i64) -> DomainResult<Option<ResourceServer>> {
        let key = format!("{pool_id}\n{identifier}");
        if let Some(found) = self.resource_servers.get(&key, version) {
            return Ok(found);
        }
        let server: Option<ResourceServer> = self.store.get_record_of(pool_id, identifier, 0).await?;
        self.resource_servers.put(&key, version, server.clone());
        Ok(server)
    }

    /// The client of a token request, authenticated by its secret, with its pool (from memory
    /// while the config version is the one they were read at).
    pub(super) async fn token_client(&self, pool_id: &str, client_id: &str, client_secret: Option<&str>) -> Result<super::PoolAndClient, OAuthError> {
        let version = self.store.config_version().await?;
        self.token_client_at(pool_id, client_id, client_secret, version).await
    }

    /// As [`Self::token_client`], with the config version already read.
    async fn token_client_at(&self, pool_id: &str, client_id: &str, client_secret: Option<&str>, version: i64) -> Result<super::PoolAndClient, OAuthError> {
        let unknown = || OAuthError::InvalidClient("Client authentication failed.".into());
        if crate::ids::check_client_id(client_id).is_err() {
            return Err(unknown());
        }
        let (pool, client) = self.cached_client(client_id, version).await?.filter(|(_, client)| client.pool_id == pool_id).ok_or_else(unknown)?;
        match (client.sealed_secret.is_some(), client_secret) {
            (true, Some(given)) if self.is_client_secret(&client, given)? => Ok((pool, client)),
            (false, None) => Ok((pool, client)),
            _ => Err(unknown()),
        }
    }

    /// The refresh_token grant: new ID and access tokens from a refresh token issued to this
    /// client (and a new refresh token when the client rotates them).
    pub async fn refresh_token_grant(
        &self,
        pool_id: &UserPoolId,
        client_id: &ClientId,
        client_secret: Option<&str>,
        refresh_token: &str,
    ) -> Result<RefreshedTokens, OAuthError> {
        let (pool, client) = self.token_client(pool_id, client_id, client_secret).await?;
        match self.refresh_with(&pool, &client, refresh_token, None, None, super::auth::refresh::RefreshBy::Rotating).await {
            Ok(super::auth::AuthOutcome::Authenticated(result)) => Ok(RefreshedTokens {
                access_token: result.access_token,
                id_token: result.id_token,
                refresh_token: result.refresh_token,
                expires_in: result.expires_in,
            }),
            Ok(_) => Err(OAuthError::Server("A refresh asked for a challenge.".into())),
            Err(DomainError::NotAuthorized(message) | DomainError::RefreshTokenReused(message)) => Err(OAuthError::InvalidGrant(message)),
            Err(DomainError::InvalidParameter(message)) => Err(OAuthError::UnauthorizedClient(message)),
            Err(other) => Err(other.into()),
        }
    }

    /// The revocation endpoint (RFC 7009): revokes a refresh token of this client and the
    /// access tokens of its sign-in; an unknown token is not an error.
    pub async fn revoke_grant(&self, pool_id: &UserPoolId, client_id: &ClientId, client_secret: Option<&str>, token: &str) -> Result<(), OAuthError> {
        let (_, client) = self.token_client(pool_id, client_id, client_secret).await?;
        match self.revoke_token(token, &client.client_id, client_secret).await {
            Ok(()) => Ok(()),
            Err(DomainError::UnsupportedOperation(message)) => Err(OAuthError::UnauthorizedClient(message)),
            Err(DomainError::UnauthorizedClient(message)) => Err(OAuthError::InvalidGrant(message)),
            Err(other) => Err(other.into()),
        }
    }

    /// The userInfo endpoint: the claims of the access token's user that its scopes reach
    /// (`email`, `phone`, `profile`; all readable attributes with the admin scope).
    pub async fn user_info(&self, pool_id: &UserPoolId, access_token: &str) -> DomainResult<Value> {
        let holder = self.verify_access_token(access_token, &["openid", super::auth::ADMIN_SCOPE]).await?;
        if holder.pool.id != *pool_id {
            return Err(DomainError::NotAuthorized("Invalid Access Token".into()));
        }
        let granted: Vec<&str> = holder.claims.get("scope").and_then(Value::as_str).unwrap_or("").split(' ').collect();
        let everything = granted.contains(&super::auth::ADMIN_SCOPE) || granted.contains(&"profile");
        let client = self.store.find_app_client(holder.claims.get("client_id").and_then(Value::as_str).unwrap_or("")).await?;
        let readable = client.and_then(|client| client.settings.read_attributes);
        let mut info = serde_json::Map::new();
        info.insert("sub".into(), json!(holder.user.sub));
        for attribute in &holder.user.attributes {
            let by_scope = match attribute.name.as_str() {
                "sub" => continue,
                "email" | "email_verified" => everything || granted.contains(&"email"),
                "phone_number" | "phone_number_verified" => everything || granted.contains(&"phone"),
                _ => everything,
            };
            if by_scope && readable.as_ref().is_none_or(|names| names.contains(&attribute.name)) {
                let value = match attribute.name.as_str() {
                    "email_verified" | "phone_number_verified" => json!(attribute.value),
                    "identities" => serde_json::from_str(&attribute.value).unwrap_or_else(|_| json!(attribute.value)),
                    _ => json!(attribute.value),
                };
                info.insert(attribute.name.clone(), value);
            }
        }
        info.insert("username".into(), json!(holder.user.username));
        Ok(Value::Object(info))
    }

    /// The client_credentials grant: a confidential client, authenticated by its secret, gets
    /// an access token for the custom scopes it asks for (by default all it is allowed).
    pub async fn client_credentials_grant(
        &self,
        pool_id: &UserPoolId,
        client_id: &ClientId,
        client_secret: Option<&str>,
        scope: Option<&str>,
    ) -> Result<IssuedAccessToken, OAuthError> {
        let version = self.store.config_version().await?;
        let (pool, client) = self.token_client_at(pool_id, client_id, client_secret, version).await?;
        if client_secret.is_none() {
            return Err(OAuthError::InvalidClient("The client has no secret; client_credentials needs one.".into()));
        }
        let oauth = &client.settings.oauth;
        let allowed_flow = oauth.allowed_oauth_flows_user_pool_client
            && oauth.allowed_oauth_flows.as_ref().is_some_and(|flows| flows.iter().any(|flow| flow == "client_credentials"));
        if !allowed_flow {
            return Err(OAuthError::UnauthorizedClient("The client may not use the client_credentials grant.".into()));
        }
        let allowed_scopes: Vec<String> = oauth.allowed_oauth_scopes.clone().unwrap_or_default().into_iter().filter(|scope| scope.contains('/')).collect();
        let requested: Vec<String> = match scope.map(str::trim).filter(|scope| !scope.is_empty()) {
            Some(scope) => scope.split([' ', '+']).filter(|part| !part.is_empty()).map(str::to_string).collect(),
            None => allowed_scopes.clone(),
        };
        if requested.is_empty() {
            return Err(OAuthError::InvalidScope("The client is allowed no custom scopes.".into()));
        }
        for wanted in &requested {
            if !allowed_scopes.contains(wanted) {
                return Err(OAuthError::InvalidScope(format!("The scope {wanted} is not allowed for this client.")));
            }
            let (identifier, name) = wanted.rsplit_once('/').ok_or_else(|| OAuthError::InvalidScope(format!("{wanted} is not a custom scope.")))?;
            let server = self.resource_server_at(&client.pool_id, identifier, version).await?;
            if !server.is_some_and(|server| server.scopes.iter().any(|scope| scope.name == name)) {
                return Err(OAuthError::InvalidScope(format!("The scope {wanted} does not exist.")));
            }
        }
        let keys = self.pool_keys_at(&client.pool_id, version).await?;
        let settings = &client.settings;
        let units = settings.token_validity_units.clone().unwrap_or_default();
        let expires_in = super::validation::validity_seconds(
            settings.access_token_validity.unwrap_or(60),
            units.access_token.as_deref(),
            if settings.access_token_validity.is_some() { "hours" } else { "minutes" },
        )? as i64;
        let now = self.now() / 1000;
        let mut claims: serde_json::Map<String, Value> = [
            ("sub", json!(client.client_id)),
            ("token_use", json!("access")),
            ("scope", json!(requested.join(" "))),
            ("auth_time", json!(now)),
            ("iss", json!(self.issuer(&client.pool_id))),
            ("exp", json!(now + expires_in)),
            ("iat", json!(now)),
            ("version", json!(2)),
            ("jti", json!(crate::ids::new_uuid())),
            ("client_id", json!(client.client_id)),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
        self.pre_token_generation_for_client(&pool, &client.client_id, &mut claims).await?;
        self.count(crate::tally::Counted::TokensIssued { occasion: "ClientCredentials" });
        Ok(IssuedAccessToken { access_token: tokens::sign_jwt(&keys.access_key, &Value::Object(claims)), expires_in })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(identifier: &str, scopes: &[&str]) -> ResourceServer {
        ResourceServer {
            pool_id: UserPoolId::parse("us-east-1_x").unwrap(),
            identifier: identifier.into(),
            name: "API".into(),
            scopes: scopes.iter().map(|name| ResourceServerScope { name: name.to_string(), description: "d".into() }).collect(),
        }
    }

    #[test]
    fn resource_servers_follow_the_models_patterns() {
        assert!(check_resource_server(&server("https://api.example.com", &["read", "write"])).is_ok());
        assert!(check_resource_server(&server("has space", &["read"])).is_err());
        assert!(check_resource_server(&server("api", &["a/b"])).is_err());
        assert!(check_resource_server(&server("api", &["read", "read"])).is_err());
        assert!(check_resource_server(&server("", &[])).is_err());
    }
}

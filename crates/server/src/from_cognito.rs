//! `cognate import --from-cognito --user-pool-id ID`: copies a live Cognito user pool into the
//! configured database — the pool's settings, its MFA configuration, its app clients (same ids
//! and secrets), groups, resource servers, identity providers and every user (same username,
//! `sub`, attributes, status and dates) with their group memberships — and links the copy to the
//! source, so that a copied user's first password sign-in is checked there (see
//! `cognate_domain::user_pool::source`). Credentials and endpoint come from the usual AWS
//! environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` or `AWS_ENDPOINT_URL`.

use std::time::Duration;

use serde_json::{json, Map, Value};

use cognate_domain::ids::{ClientId, UserPoolId};
use cognate_domain::user_pool::channels::{CognitoApi, SourceEndpoint, SourceError};
use cognate_domain::user_pool::source::{SourceLink, SourceUser};
use cognate_domain::user_pool::{Attribute, DeletionProtection};

use crate::api::idp::ops;
use crate::aws::json::ApiError;
use crate::cognito_api::CognitoClient;
use crate::state::AppState;

/// CreateUserPool's members (botocore's model) that DescribeUserPool answers under the same name.
pub const POOL_MEMBERS: &[&str] = &[
    "Policies",
    "DeletionProtection",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "MfaConfiguration",
    "UserAttributeUpdateSettings",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "AdminCreateUserConfig",
    "UserPoolAddOns",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "UserPoolTier",
];

/// CreateUserPoolClient's members that DescribeUserPoolClient answers under the same name.
pub const CLIENT_MEMBERS: &[&str] = &[
    "ClientName",
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
];

/// What was copied.
#[derive(Debug, Default)]
pub struct Copied {
    pub clients: usize,
    pub groups: usize,
    pub users: usize,
    pub memberships: usize,
    pub resource_servers: usize,
    pub providers: usize,
    /// Users not copied, and why.
    pub refused: Vec<(String, String)>,
    /// The source client the first passwords are checked with, if one allows it.
    pub password_client: Option<String>,
}

/// The source's endpoint and keys, from the AWS environment variables; the region is the pool id's.
pub fn source_from_environment(pool_id: &str) -> Result<SourceEndpoint, String> {
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let region = pool_id.split_once('_').map(|(region, _)| region.to_string()).ok_or("the user pool id has no region (<region>_<id>)")?;
    let endpoint = variable("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        .or_else(|| variable("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| format!("https://cognito-idp.{region}.amazonaws.com"));
    Ok(SourceEndpoint {
        endpoint,
        region,
        access_key_id: variable("AWS_ACCESS_KEY_ID").ok_or("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the source pool")?,
        secret_access_key: variable("AWS_SECRET_ACCESS_KEY").ok_or("set AWS_SECRET_ACCESS_KEY for the source pool")?,
        session_token: variable("AWS_SESSION_TOKEN"),
    })
}

struct Source<'a> {
    api: CognitoClient,
    endpoint: &'a SourceEndpoint,
}

impl Source<'_> {
    async fn call(&self, operation: &str, body: Value) -> Result<Value, String> {
        // Cognito limits the rate of these calls; a throttled one is retried after a pause.
        for attempt in 0..6u32 {
            match self.api.call(self.endpoint, operation, &body).await {
                Err(SourceError::Service { code, .. }) if code == "TooManyRequestsException" && attempt < 5 => {
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
                Ok(answer) => return Ok(answer),
                Err(error) => return Err(format!("{operation} at the source: {error:?}")),
            }
        }
        Err(format!("{operation} at the source: throttled"))
    }

    /// Every item of a paged listing.
    async fn all(&self, operation: &str, body: Value, items: &str, token: &str) -> Result<Vec<Value>, String> {
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut request = body.clone();
            if let Some(next) = &next {
                request[token] = json!(next);
            }
            let answer = self.call(operation, request).await?;
            all.extend(answer[items].as_array().cloned().unwrap_or_default());
            next = answer[token].as_str().filter(|token| !token.is_empty()).map(str::to_string);
            if next.is_none() {
                return Ok(all);
            }
        }
    }
}

/// The members `names` of `from` that are there and not null.
pub(crate) fn members(from: &Value, names: &[&str]) -> Map<String, Value> {
    names.iter().filter_map(|name| from.get(*name).filter(|value| !value.is_null()).map(|value| (name.to_string(), value.clone()))).collect()
}

fn refused(what: &str, error: ApiError) -> String {
    format!("{what}: {}: {}", error.type_name, error.message)
}

/// An operation's handler called in this process: its answer, or its error as text.
pub(crate) async fn local(what: &str, result: impl std::future::Future<Output = Result<Value, ApiError>>) -> Result<Value, String> {
    result.await.map_err(|error| refused(what, error))
}

/// Epoch milliseconds of a JSON timestamp (seconds).
fn millis(value: &Value) -> i64 {
    value.as_f64().map(|seconds| (seconds * 1000.0) as i64).unwrap_or(0)
}

/// Copies the pool `pool_id` from `endpoint` into `state`'s database.
pub async fn copy_pool(state: &AppState, endpoint: &SourceEndpoint, pool_id: &str) -> Result<Copied, String> {
    let source = Source { api: CognitoClient::new()?, endpoint };
    let described = source.call("DescribeUserPool", json!({"UserPoolId": pool_id})).await?;
    let pool = &described["UserPool"];
    let mut create = members(pool, POOL_MEMBERS);
    create.insert("PoolName".into(), pool["Name"].clone());
    // The schema: custom attributes by their names without `custom:`, and the standard
    // attributes whose settings differ from a new pool's (required ones).
    let schema: Vec<Value> = pool["SchemaAttributes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|mut attribute| {
            let name = attribute["Name"].as_str()?.to_string();
            match name.strip_prefix("custom:") {
                Some(short) => {
                    attribute["Name"] = json!(short);
                    Some(attribute)
                }
                None if attribute["Required"] == json!(true) && name != "sub" => Some(attribute),
                None => None,
            }
        })
        .collect();
    create.insert("Schema".into(), Value::Array(schema));
    let mut input = ops::pools::create_user_pool_input(&serde_json::to_vec(&create).map_err(|error| error.to_string())?).map_err(|error| refused("the pool's settings", error))?;
    let local_pool_id = UserPoolId::parse(pool_id).map_err(|error| error.to_string())?;
    // Deletion protection is turned on (if the source has it) once the copy is whole, so that
    // a copy that fails half-way can be removed.
    let protection = std::mem::replace(&mut input.settings.deletion_protection, DeletionProtection::Inactive);
    state.user_pools.create_user_pool_with_id(local_pool_id.clone(), input).await.map_err(|error| format!("creating the pool: {error}"))?;
    let copied = copy_contents(state, &source, endpoint, pool_id, &local_pool_id).await;
    let copied = match copied {
        Ok(copied) if protection == DeletionProtection::Active => protect(state, &local_pool_id).await.map(|()| copied),
        other => other,
    };
    match copied {
        Ok(copied) => Ok(copied),
        // Nothing half-copied stays behind: the pool goes with what was copied into it.
        Err(error) => match state.user_pools.delete_user_pool(&local_pool_id).await {
            Ok(()) => Err(format!("{error} (the partial copy was removed)")),
            Err(removal) => Err(format!("{error} (the partial copy could not be removed: {removal})")),
        },
    }
}

async fn protect(state: &AppState, pool_id: &UserPoolId) -> Result<(), String> {
    let (pool, _) = state.user_pools.describe_user_pool(pool_id).await.map_err(|error| error.to_string())?;
    let mut settings = pool.settings.clone();
    settings.deletion_protection = DeletionProtection::Active;
    state.user_pools.update_user_pool(pool_id, settings, true).await.map_err(|error| format!("turning deletion protection on: {error}"))
}

/// Copies everything of the pool but its settings.
async fn copy_contents(state: &AppState, source: &Source<'_>, endpoint: &SourceEndpoint, pool_id: &str, local_pool_id: &UserPoolId) -> Result<Copied, String> {
    let mut copied = Copied::default();
    let mfa = source.call("GetUserPoolMfaConfig", json!({"UserPoolId": pool_id})).await?;
    let mut mfa_input = members(&mfa, &["SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration", "MfaConfiguration", "WebAuthnConfiguration"]);
    if mfa_input.len() > 1 || mfa_input.get("MfaConfiguration").is_some_and(|value| value != "OFF") {
        mfa_input.insert("UserPoolId".into(), json!(pool_id));
        local("the MFA configuration", ops::mfa::set_user_pool_mfa_config(state, &serde_json::to_vec(&mfa_input).unwrap_or_default())).await?;
    }

    for listed in source.all("ListResourceServers", json!({"UserPoolId": pool_id, "MaxResults": 50}), "ResourceServers", "NextToken").await? {
        let mut server = members(&listed, &["Identifier", "Name", "Scopes"]);
        server.insert("UserPoolId".into(), json!(pool_id));
        local("a resource server", ops::oauth::create_resource_server(state, &serde_json::to_vec(&server).unwrap_or_default())).await?;
        copied.resource_servers += 1;
    }
    for listed in source.all("ListIdentityProviders", json!({"UserPoolId": pool_id, "MaxResults": 60}), "Providers", "NextToken").await? {
        let described = source.call("DescribeIdentityProvider", json!({"UserPoolId": pool_id, "ProviderName": listed["ProviderName"]})).await?;
        let mut provider = members(&described["IdentityProvider"], &["ProviderName", "ProviderType", "ProviderDetails", "AttributeMapping", "IdpIdentifiers"]);
        provider.insert("UserPoolId".into(), json!(pool_id));
        local("an identity provider", ops::hosted::create_identity_provider(state, &serde_json::to_vec(&provider).unwrap_or_default())).await?;
        copied.providers += 1;
    }

    for listed in source.all("ListUserPoolClients", json!({"UserPoolId": pool_id, "MaxResults": 60}), "UserPoolClients", "NextToken").await? {
        let described = source.call("DescribeUserPoolClient", json!({"UserPoolId": pool_id, "ClientId": listed["ClientId"]})).await?;
        let client = &described["UserPoolClient"];
        let client_id = client["ClientId"].as_str().unwrap_or("").to_string();
        let secret = client["ClientSecret"].as_str().map(str::to_string);
        let mut create = members(client, CLIENT_MEMBERS);
        create.insert("UserPoolId".into(), json!(pool_id));
        let raw = serde_json::to_vec(&create).unwrap_or_default();
        let settings = ops::clients::create_user_pool_client_settings(&raw).map_err(|error| refused("a client's settings", error))?;
        let id = ClientId::parse(client_id.as_str()).map_err(|error| error.to_string())?;
        state
            .user_pools
            .create_user_pool_client_with_id(local_pool_id, id, settings, secret.clone())
            .await
            .map_err(|error| format!("creating the client {client_id}: {error}"))?;
        copied.clients += 1;
        let flows: Vec<&str> = client["ExplicitAuthFlows"].as_array().map(|flows| flows.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if copied.password_client.is_none() && flows.iter().any(|flow| *flow == "ALLOW_ADMIN_USER_PASSWORD_AUTH" || *flow == "ADMIN_NO_SRP_AUTH") {
            copied.password_client = Some(client_id.clone());
            let link = SourceLink::new(pool_id, pool_id, endpoint, &client_id, secret.as_deref(), state.user_pools.master_key());
            state.user_pools.link_source(&link).await.map_err(|error| format!("linking the pool to its source: {error}"))?;
        }
    }

    let groups = source.all("ListGroups", json!({"UserPoolId": pool_id, "Limit": 60}), "Groups", "NextToken").await?;
    for group in &groups {
        let mut create = members(group, &["GroupName", "Description", "RoleArn", "Precedence"]);
        create.insert("UserPoolId".into(), json!(pool_id));
        local("a group", ops::groups::create_group(state, &serde_json::to_vec(&create).unwrap_or_default())).await?;
        copied.groups += 1;
    }

    let mut token: Option<String> = None;
    loop {
        let mut request = json!({"UserPoolId": pool_id, "Limit": 60});
        if let Some(token) = &token {
            request["PaginationToken"] = json!(token);
        }
        let page = source.call("ListUsers", request).await?;
        let users: Vec<SourceUser> = page["Users"].as_array().cloned().unwrap_or_default().iter().map(source_user).collect();
        let count = users.len();
        let refused = state.user_pools.import_source_users(local_pool_id, users, copied.password_client.is_some()).await.map_err(|error| format!("creating users: {error}"))?;
        copied.users += count - refused.len();
        copied.refused.extend(refused);
        token = page["PaginationToken"].as_str().filter(|token| !token.is_empty()).map(str::to_string);
        if token.is_none() {
            break;
        }
    }

    for group in &groups {
        let name = group["GroupName"].as_str().unwrap_or("");
        for member in source.all("ListUsersInGroup", json!({"UserPoolId": pool_id, "GroupName": name, "Limit": 60}), "Users", "NextToken").await? {
            let username = member["Username"].as_str().unwrap_or("");
            if copied.refused.iter().any(|(refused, _)| refused == username) {
                continue;
            }
            let add = json!({"UserPoolId": pool_id, "Username": username, "GroupName": name});
            local("a group membership", ops::groups::admin_add_user_to_group(state, add.to_string().as_bytes())).await?;
            copied.memberships += 1;
        }
    }
    Ok(copied)
}

fn source_user(user: &Value) -> SourceUser {
    let attributes = user["Attributes"]
        .as_array()
        .map(|attributes| {
            attributes
                .iter()
                .filter_map(|attribute| Some(Attribute { name: attribute["Name"].as_str()?.to_string(), value: attribute["Value"].as_str()?.to_string() }))
                .collect()
        })
        .unwrap_or_default();
    SourceUser {
        username: user["Username"].as_str().unwrap_or("").to_string(),
        attributes,
        status: user["UserStatus"].as_str().unwrap_or("").to_string(),
        enabled: user["Enabled"].as_bool().unwrap_or(true),
        created_ms: millis(&user["UserCreateDate"]),
        modified_ms: millis(&user["UserLastModifiedDate"]),
    }
}

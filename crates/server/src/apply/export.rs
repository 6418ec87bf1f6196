//! `cognate export --format apply`: the database as an apply file (JSON, which YAML readers read
//! too): every user pool with its settings, domain, MFA configuration, custom attributes,
//! clients (ids and secrets), groups, resource servers, identity providers and users (their
//! attributes; passwords cannot be exported: they are kept only as hashes; in a pool whose users
//! sign in with an email or phone number, a user is named by it), every identity pool
//! with its roles, and every IAM role and customer managed policy. Applied to an empty database,
//! it makes the same resources (pools and clients keep their ids; users get new `sub`s: for a
//! copy that keeps everything, use the transfer format).

use serde_json::{json, Map, Value};

use cognate_domain::iam::Holder;

use super::shared::{body, call};
use crate::api::idp::ops;
use crate::from_cognito::{members, CLIENT_MEMBERS, POOL_MEMBERS};
use crate::state::AppState;

/// Every page of a listing operation, its items under `items`.
async fn all<F, Fut>(what: &str, items: &str, token: &str, mut request: Value, page: F) -> Result<Vec<Value>, String>
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = Result<Value, crate::aws::json::ApiError>>,
{
    let mut found = Vec::new();
    loop {
        let answer = call(what, page(body(&request))).await?;
        found.extend(answer[items].as_array().cloned().unwrap_or_default());
        match answer[token].as_str() {
            Some(next) if !next.is_empty() => request[token] = json!(next),
            _ => return Ok(found),
        }
    }
}

pub async fn export(state: &AppState) -> Result<Value, String> {
    let mut pools = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = state.store.list_user_pools(after.as_deref(), 100).await.map_err(|error| format!("listing user pools: {error}"))?;
        for pool in &page {
            pools.push(export_pool(state, &pool.id).await?);
        }
        match page.last() {
            Some(last) if page.len() == 100 => after = Some(last.id.to_string()),
            _ => break,
        }
    }
    let mut identity_pools = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let (page, next) = state.identity_pools.list_pools(60, next_token.as_deref()).await.map_err(|error| format!("listing identity pools: {error}"))?;
        for pool in page {
            identity_pools.push(export_identity_pool(state, &pool.id).await?);
        }
        next_token = next;
        if next_token.is_none() {
            break;
        }
    }
    Ok(json!({"Iam": export_iam(state).await?, "UserPools": pools, "IdentityPools": identity_pools}))
}

async fn export_pool(state: &AppState, id: &str) -> Result<Value, String> {
    let what = format!("user pool {id}");
    let key = json!({"UserPoolId": id});
    let described = call(&what, ops::pools::describe_user_pool(state, &body(&key))).await?["UserPool"].clone();
    let mut pool = Map::new();
    pool.insert("PoolName".into(), described["Name"].clone());
    pool.insert("Id".into(), json!(id));
    pool.extend(members(&described, POOL_MEMBERS));
    let custom: Vec<Value> = described["SchemaAttributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|attribute| {
            let name = attribute["Name"].as_str()?.strip_prefix("custom:")?;
            let mut custom = members(attribute, &["AttributeDataType", "Mutable", "NumberAttributeConstraints", "StringAttributeConstraints", "DeveloperOnlyAttribute"]);
            custom.insert("Name".into(), json!(name));
            Some(Value::Object(custom))
        })
        .collect();
    if !custom.is_empty() {
        pool.insert("Schema".into(), Value::Array(custom));
    }
    if let Some(domain) = described.get("Domain").filter(|domain| domain.is_string()) {
        pool.insert("Domain".into(), domain.clone());
    }
    let mfa = call(&what, ops::mfa::get_user_pool_mfa_config(state, &body(&key))).await?;
    pool.insert("MfaConfig".into(), Value::Object(members(&mfa, &["SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration", "MfaConfiguration", "WebAuthnConfiguration"])));

    let mut clients = Vec::new();
    for listed in all(&what, "UserPoolClients", "NextToken", json!({"UserPoolId": id, "MaxResults": 60}), |request| async move { ops::clients::list_user_pool_clients(state, &request).await }).await? {
        let client_key = json!({"UserPoolId": id, "ClientId": listed["ClientId"]});
        let described = call(&what, ops::clients::describe_user_pool_client(state, &body(&client_key))).await?["UserPoolClient"].clone();
        let mut client = members(&described, CLIENT_MEMBERS);
        client.extend(members(&described, &["ClientId", "ClientSecret"]));
        clients.push(Value::Object(client));
    }
    pool.insert("Clients".into(), Value::Array(clients));

    let groups = all(&what, "Groups", "NextToken", json!({"UserPoolId": id, "Limit": 60}), |request| async move { ops::groups::list_groups(state, &request).await }).await?;
    pool.insert("Groups".into(), Value::Array(groups.iter().map(|group| Value::Object(members(group, &["GroupName", "Description", "Precedence", "RoleArn"]))).collect()));

    let servers = all(&what, "ResourceServers", "NextToken", json!({"UserPoolId": id, "MaxResults": 50}), |request| async move { ops::oauth::list_resource_servers(state, &request).await }).await?;
    pool.insert("ResourceServers".into(), Value::Array(servers.iter().map(|server| Value::Object(members(server, &["Identifier", "Name", "Scopes"]))).collect()));

    let mut providers = Vec::new();
    for listed in all(&what, "Providers", "NextToken", json!({"UserPoolId": id, "MaxResults": 60}), |request| async move { ops::hosted::list_identity_providers(state, &request).await }).await? {
        let described = call(&what, ops::hosted::describe_identity_provider(state, &body(&json!({"UserPoolId": id, "ProviderName": listed["ProviderName"]})))).await?;
        providers.push(Value::Object(members(&described["IdentityProvider"], &["ProviderName", "ProviderType", "ProviderDetails", "AttributeMapping", "IdpIdentifiers"])));
    }
    pool.insert("IdentityProviders".into(), Value::Array(providers));

    // In a pool whose users sign in with their email or phone number, that is the name a user
    // is created under.
    let sign_in_names: Vec<String> = described["UsernameAttributes"].as_array().into_iter().flatten().filter_map(|name| name.as_str().map(str::to_string)).collect();
    let mut users = Vec::new();
    for listed in all(&what, "Users", "PaginationToken", json!({"UserPoolId": id, "Limit": 60}), |request| async move { ops::users::list_users(state, &request).await }).await? {
        let username = listed["Username"].clone();
        let attributes: Map<String, Value> = listed["Attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|attribute| attribute["Name"] != "sub")
            .map(|attribute| (attribute["Name"].as_str().unwrap_or_default().to_string(), attribute["Value"].clone()))
            .collect();
        let member_of = call(&what, ops::groups::admin_list_groups_for_user(state, &body(&json!({"UserPoolId": id, "Username": username, "Limit": 60})))).await?;
        let groups: Vec<Value> = member_of["Groups"].as_array().into_iter().flatten().map(|group| group["GroupName"].clone()).collect();
        let name = sign_in_names.iter().find_map(|attribute| attributes.get(attribute).cloned()).unwrap_or_else(|| username.clone());
        let mut user = json!({"Username": name, "Attributes": attributes, "Enabled": listed["Enabled"]});
        if !groups.is_empty() {
            user["Groups"] = Value::Array(groups);
        }
        users.push(user);
    }
    pool.insert("Users".into(), Value::Array(users));
    Ok(Value::Object(pool))
}

async fn export_identity_pool(state: &AppState, id: &str) -> Result<Value, String> {
    use crate::api::identity::ops::pools;
    let what = format!("identity pool {id}");
    let key = json!({"IdentityPoolId": id});
    let described = call(&what, pools::describe_identity_pool(state, &body(&key))).await?;
    let mut pool = members(
        &described,
        &["IdentityPoolName", "AllowUnauthenticatedIdentities", "AllowClassicFlow", "SupportedLoginProviders", "DeveloperProviderName", "OpenIdConnectProviderARNs", "CognitoIdentityProviders", "SamlProviderARNs", "IdentityPoolTags"],
    );
    let roles = call(&what, pools::get_identity_pool_roles(state, &body(&key))).await?;
    pool.extend(members(&roles, &["Roles", "RoleMappings"]));
    Ok(Value::Object(pool))
}

async fn export_iam(state: &AppState) -> Result<Value, String> {
    let failed = |what: &str, error: cognate_domain::error::DomainError| format!("{what}: {error}");
    let mut policies = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = state.iam.list_policies(Some("Local"), false, None, marker.as_deref(), Some(1000)).await.map_err(|error| failed("listing IAM policies", error))?;
        for policy in page.items {
            let document = policy.versions.iter().find(|version| version.version_id == policy.default_version).map(|version| version.document.clone()).unwrap_or_default();
            let mut entry = json!({"PolicyName": policy.name, "Path": policy.path, "PolicyDocument": parsed(&document)});
            if let Some(description) = policy.description {
                entry["Description"] = json!(description);
            }
            policies.push(entry);
        }
        marker = page.marker;
        if marker.is_none() {
            break;
        }
    }
    let mut roles = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = state.iam.list_roles(None, marker.as_deref(), Some(1000)).await.map_err(|error| failed("listing IAM roles", error))?;
        for role in page.items {
            let what = format!("IAM role {}", role.name);
            let mut inline = Map::new();
            for name in state.iam.list_inline_policies(Holder::Role(&role.name), None, Some(1000)).await.map_err(|error| failed(&what, error))?.items {
                let (_, document) = state.iam.get_inline_policy(Holder::Role(&role.name), &name).await.map_err(|error| failed(&what, error))?;
                inline.insert(name, parsed(&document));
            }
            let attached = state.iam.list_attached_policies(Holder::Role(&role.name), None, None, Some(1000)).await.map_err(|error| failed(&what, error))?;
            let mut entry = json!({
                "RoleName": role.name,
                "Path": role.path,
                "AssumeRolePolicyDocument": parsed(&role.assume_role_policy_document),
                "MaxSessionDuration": role.max_session_duration,
                "Policies": inline,
                "ManagedPolicies": attached.items.iter().map(|attachment| attachment.policy_arn.clone()).collect::<Vec<_>>(),
            });
            if let Some(description) = role.description {
                entry["Description"] = json!(description);
            }
            roles.push(entry);
        }
        marker = page.marker;
        if marker.is_none() {
            break;
        }
    }
    Ok(json!({"Policies": policies, "Roles": roles}))
}

/// A policy document as JSON when it parses (it is stored as text).
fn parsed(document: &str) -> Value {
    serde_json::from_str(document).unwrap_or_else(|_| json!(document))
}

//! What an apply file puts in a user pool: its app clients (a fixed `ClientId` and
//! `ClientSecret` when given), groups (`RoleName` names an IAM role), resource servers, identity
//! providers, and users (attributes, a permanent `Password`, `Groups`, `Enabled`).

use serde_json::{json, Map, Value};

use cognate_domain::ids::{ClientId, UserPoolId};

use super::shared::{body, call, check_keys, holds, list, object, overlay, text, Change, Report};
use crate::api::idp::ops;
use crate::aws::json::ApiError;
use crate::from_cognito::CLIENT_MEMBERS;
use crate::state::AppState;

/// Applies the clients, groups, resource servers, identity providers and users of a pool entry;
/// the clients' names and ids.
pub(super) async fn apply_parts(state: &AppState, entry: &Map<String, Value>, pool_id: &str, what: &str, report: &mut Report) -> Result<Vec<(String, String)>, String> {
    let mut clients = Vec::new();
    let stored_clients = list_clients(state, pool_id, what).await?;
    for client in list(entry.get("Clients"), "Clients")? {
        clients.push(apply_client(state, client, pool_id, &stored_clients, what, report).await?);
    }
    for group in list(entry.get("Groups"), "Groups")? {
        apply_group(state, group, pool_id, what, report).await?;
    }
    for server in list(entry.get("ResourceServers"), "ResourceServers")? {
        let server = object(server, "a resource server")?;
        check_keys(server, &["Identifier", "Name", "Scopes"], what)?;
        let identifier = text(server, "Identifier", "a resource server")?;
        let mut request = server.clone();
        request.insert("UserPoolId".into(), json!(pool_id));
        let label = format!("{what} resource server {identifier}");
        let stored = found(ops::oauth::describe_resource_server(state, &body(&json!({"UserPoolId": pool_id, "Identifier": identifier}))).await, &label)?;
        let change = match stored {
            None => call(&label, ops::oauth::create_resource_server(state, &body(&Value::Object(request)))).await.map(|_| Change::Created)?,
            Some(stored) if holds(&Value::Object(server.clone()), &stored["ResourceServer"]) => Change::Unchanged,
            Some(_) => call(&label, ops::oauth::update_resource_server(state, &body(&Value::Object(request)))).await.map(|_| Change::Updated)?,
        };
        report.note(label, change);
    }
    for provider in list(entry.get("IdentityProviders"), "IdentityProviders")? {
        let provider = object(provider, "an identity provider")?;
        check_keys(provider, &["ProviderName", "ProviderType", "ProviderDetails", "AttributeMapping", "IdpIdentifiers"], what)?;
        let name = text(provider, "ProviderName", "an identity provider")?;
        let label = format!("{what} identity provider {name}");
        let stored = found(ops::hosted::describe_identity_provider(state, &body(&json!({"UserPoolId": pool_id, "ProviderName": name}))).await, &label)?;
        let mut request = provider.clone();
        request.insert("UserPoolId".into(), json!(pool_id));
        let change = match stored {
            None => call(&label, ops::hosted::create_identity_provider(state, &body(&Value::Object(request)))).await.map(|_| Change::Created)?,
            Some(stored) if holds(&Value::Object(provider.clone()), &stored["IdentityProvider"]) => Change::Unchanged,
            Some(stored) => {
                request.remove("ProviderType");
                for member in ["ProviderDetails", "AttributeMapping"] {
                    if let (Some(stored), Some(wanted)) = (stored["IdentityProvider"].get(member), provider.get(member)) {
                        request.insert(member.into(), overlay(stored, wanted));
                    }
                }
                call(&label, ops::hosted::update_identity_provider(state, &body(&Value::Object(request)))).await.map(|_| Change::Updated)?
            }
        };
        report.note(label, change);
    }
    for user in list(entry.get("Users"), "Users")? {
        apply_user(state, user, pool_id, what, report).await?;
    }
    Ok(clients)
}

/// An answer, None when it says the thing does not exist, or the error as text.
fn found(answer: Result<Value, ApiError>, what: &str) -> Result<Option<Value>, String> {
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(error) if matches!(error.type_name, "ResourceNotFoundException" | "UserNotFoundException") => Ok(None),
        Err(error) => Err(format!("{what}: {}: {}", error.type_name, error.message)),
    }
}

/// Every client of the pool: name and id.
async fn list_clients(state: &AppState, pool_id: &str, what: &str) -> Result<Vec<(String, String)>, String> {
    let mut clients = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let page = call(what, ops::clients::list_user_pool_clients(state, &body(&json!({"UserPoolId": pool_id, "MaxResults": 60, "NextToken": next_token})))).await?;
        for client in page["UserPoolClients"].as_array().into_iter().flatten() {
            clients.push((client["ClientName"].as_str().unwrap_or_default().to_string(), client["ClientId"].as_str().unwrap_or_default().to_string()));
        }
        next_token = page["NextToken"].as_str().map(str::to_string);
        if next_token.is_none() {
            return Ok(clients);
        }
    }
}

async fn apply_client(state: &AppState, client: &Value, pool_id: &str, stored_clients: &[(String, String)], what: &str, report: &mut Report) -> Result<(String, String), String> {
    let client = object(client, "a client")?;
    let known: Vec<&str> = CLIENT_MEMBERS.iter().copied().chain(["ClientId", "ClientSecret", "GenerateSecret"]).collect();
    check_keys(client, &known, what)?;
    let name = text(client, "ClientName", "a client")?.to_string();
    let label = format!("{what} client {name}");
    let given_id = client.get("ClientId").and_then(Value::as_str);
    let given_secret = client.get("ClientSecret").and_then(Value::as_str);
    let existing: Vec<&String> = match given_id {
        Some(id) => stored_clients.iter().filter(|(_, stored)| stored == id).map(|(_, stored)| stored).collect(),
        None => stored_clients.iter().filter(|(stored, _)| *stored == name).map(|(_, id)| id).collect(),
    };
    let wanted = super::shared::members(client, &["ClientId", "ClientSecret", "GenerateSecret"]);
    let id = match existing.as_slice() {
        [] => {
            let mut request = wanted.clone();
            request.insert("UserPoolId".into(), json!(pool_id));
            let id = match given_id {
                Some(id) => {
                    let settings = ops::clients::create_user_pool_client_settings(&body(&Value::Object(request))).map_err(|error| format!("{label}: {}: {}", error.type_name, error.message))?;
                    let generated = client.get("GenerateSecret").and_then(Value::as_bool).unwrap_or(false).then(new_secret);
                    let secret = given_secret.map(str::to_string).or(generated);
                    let pool = UserPoolId::parse(pool_id).map_err(|error| format!("{label}: {error}"))?;
                    let client_id = ClientId::parse(id).map_err(|error| format!("{label}: {error}"))?;
                    state.user_pools.create_user_pool_client_with_id(&pool, client_id, settings, secret).await.map_err(|error| format!("{label}: {error}"))?;
                    id.to_string()
                }
                None => {
                    for member in ["ClientSecret", "GenerateSecret"] {
                        if let Some(value) = client.get(member) {
                            request.insert(member.into(), value.clone());
                        }
                    }
                    let created = call(&label, ops::clients::create_user_pool_client(state, &body(&Value::Object(request)))).await?;
                    created["UserPoolClient"]["ClientId"].as_str().unwrap_or_default().to_string()
                }
            };
            report.note(label, Change::Created);
            id
        }
        [id] => {
            let id = id.to_string();
            let stored = call(&label, ops::clients::describe_user_pool_client(state, &body(&json!({"UserPoolId": pool_id, "ClientId": id})))).await?;
            let stored = &stored["UserPoolClient"];
            if given_secret.is_some_and(|secret| stored["ClientSecret"].as_str() != Some(secret)) {
                return Err(format!("{label}: the client has another secret; a secret cannot be changed in place (delete the client, or leave ClientSecret out)"));
            }
            if holds(&Value::Object(wanted.clone()), stored) {
                report.note(label, Change::Unchanged);
            } else {
                let mut request = Map::new();
                request.insert("UserPoolId".into(), json!(pool_id));
                request.insert("ClientId".into(), json!(id));
                for member in CLIENT_MEMBERS {
                    let merged = match (stored.get(*member).filter(|value| !value.is_null()), wanted.get(*member)) {
                        (Some(stored), Some(wanted)) => overlay(stored, wanted),
                        (None, Some(wanted)) => wanted.clone(),
                        (Some(stored), None) => stored.clone(),
                        (None, None) => continue,
                    };
                    request.insert(member.to_string(), merged);
                }
                call(&label, ops::clients::update_user_pool_client(state, &body(&Value::Object(request)))).await?;
                report.note(label, Change::Updated);
            }
            id
        }
        _ => return Err(format!("{label}: several clients are named {name}: give the one meant by its ClientId")),
    };
    Ok((name, id))
}

/// A client secret as Cognito makes them: 51 characters of letters and digits.
fn new_secret() -> String {
    cognate_domain::crypto::random_string(b"abcdefghijklmnopqrstuvwxyz0123456789", 51)
}

async fn apply_group(state: &AppState, group: &Value, pool_id: &str, what: &str, report: &mut Report) -> Result<(), String> {
    let group = object(group, "a group")?;
    check_keys(group, &["GroupName", "Description", "Precedence", "RoleArn", "RoleName"], what)?;
    let name = text(group, "GroupName", "a group")?;
    let label = format!("{what} group {name}");
    let mut wanted = super::shared::members(group, &["RoleName"]);
    if let Some(role) = group.get("RoleName").and_then(Value::as_str) {
        let role = state.iam.get_role(role).await.map_err(|error| format!("{label}: {error}"))?;
        wanted.insert("RoleArn".into(), json!(role.arn));
    }
    let stored = found(ops::groups::get_group(state, &body(&json!({"UserPoolId": pool_id, "GroupName": name}))).await, &label)?;
    let mut request = wanted.clone();
    request.insert("UserPoolId".into(), json!(pool_id));
    let change = match stored {
        None => call(&label, ops::groups::create_group(state, &body(&Value::Object(request)))).await.map(|_| Change::Created)?,
        Some(stored) if holds(&Value::Object(wanted), &stored["Group"]) => Change::Unchanged,
        Some(stored) => {
            let merged = overlay(&stored["Group"], &Value::Object(request));
            let request: Map<String, Value> =
                ["GroupName", "UserPoolId", "Description", "RoleArn", "Precedence"].iter().filter_map(|key| merged.get(*key).map(|value| (key.to_string(), value.clone()))).collect();
            call(&label, ops::groups::update_group(state, &body(&Value::Object(request)))).await.map(|_| Change::Updated)?
        }
    };
    report.note(label, change);
    Ok(())
}

async fn apply_user(state: &AppState, user: &Value, pool_id: &str, what: &str, report: &mut Report) -> Result<(), String> {
    let user = object(user, "a user")?;
    check_keys(user, &["Username", "Password", "Attributes", "Groups", "Enabled"], what)?;
    let username = text(user, "Username", "a user")?;
    let label = format!("{what} user {username}");
    let attributes: Vec<(String, String)> = match user.get("Attributes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map.iter().map(|(name, value)| (name.clone(), value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string()))).collect(),
        Some(_) => return Err(format!("{label}: Attributes must be a mapping of names to values")),
    };
    let as_list = |pairs: &[(String, String)]| Value::Array(pairs.iter().map(|(name, value)| json!({"Name": name, "Value": value})).collect());
    let key = json!({"UserPoolId": pool_id, "Username": username});
    let stored = found(ops::users::admin_get_user(state, &body(&key)).await, &label)?;
    let mut change = Change::Unchanged;
    let password = user.get("Password").and_then(Value::as_str);
    match &stored {
        None => {
            let request = json!({"UserPoolId": pool_id, "Username": username, "UserAttributes": as_list(&attributes), "MessageAction": "SUPPRESS"});
            call(&label, ops::users::admin_create_user(state, &body(&request))).await?;
            change = Change::Created;
        }
        Some(stored) => {
            let current: Vec<(String, String)> = stored["UserAttributes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|attribute| (attribute["Name"].as_str().unwrap_or_default().to_string(), attribute["Value"].as_str().unwrap_or_default().to_string()))
                .collect();
            let differing: Vec<(String, String)> = attributes.iter().filter(|pair| !current.contains(pair)).cloned().collect();
            if !differing.is_empty() {
                let request = json!({"UserPoolId": pool_id, "Username": username, "UserAttributes": as_list(&differing)});
                call(&label, ops::users::admin_update_user_attributes(state, &body(&request))).await?;
                change = Change::Updated;
            }
        }
    }
    if let Some(password) = password {
        let pool = UserPoolId::parse(pool_id).map_err(|error| format!("{label}: {error}"))?;
        let confirmed = stored.as_ref().is_some_and(|stored| stored["UserStatus"] == "CONFIRMED");
        let same = confirmed && state.user_pools.admin_password_is(&pool, username, password).await.map_err(|error| format!("{label}: {error}"))?;
        if !same {
            let request = json!({"UserPoolId": pool_id, "Username": username, "Password": password, "Permanent": true});
            call(&label, ops::users::admin_set_user_password(state, &body(&request))).await?;
            change = change.max_with(Change::Updated);
        }
    }
    if let Some(enabled) = user.get("Enabled").and_then(Value::as_bool) {
        let current = stored.as_ref().map_or(true, |stored| stored["Enabled"].as_bool().unwrap_or(true));
        if current != enabled {
            call(&label, ops::users::admin_set_enabled(state, &body(&key), enabled)).await?;
            change = change.max_with(Change::Updated);
        }
    }
    let groups: Vec<&str> = list(user.get("Groups"), "Groups")?.iter().filter_map(Value::as_str).collect();
    if !groups.is_empty() {
        let listed = call(&label, ops::groups::admin_list_groups_for_user(state, &body(&json!({"UserPoolId": pool_id, "Username": username, "Limit": 60})))).await?;
        let member_of: Vec<&str> = listed["Groups"].as_array().into_iter().flatten().filter_map(|group| group["GroupName"].as_str()).collect();
        for group in groups.iter().filter(|group| !member_of.contains(group)) {
            call(&label, ops::groups::admin_add_user_to_group(state, &body(&json!({"UserPoolId": pool_id, "Username": username, "GroupName": group})))).await?;
            change = change.max_with(Change::Updated);
        }
    }
    report.note(label, change);
    Ok(())
}

impl Change {
    /// A created resource stays created when more is done to it.
    fn max_with(self, other: Change) -> Change {
        if self == Change::Created {
            Change::Created
        } else {
            other
        }
    }
}

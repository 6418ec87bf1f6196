//! An identity pool of an apply file: CreateIdentityPool's members, with `CognitoIdentityProviders`
//! entries that may name a user pool and client of the file (`UserPool`, `Client`) instead of
//! their ids; `Roles` (`authenticated`, `unauthenticated`: a role's name or ARN) and
//! `RoleMappings` as SetIdentityPoolRoles takes them. Found by `IdentityPoolName` in the region.

use serde_json::{json, Map, Value};

use super::shared::{body, call, check_keys, holds, ids_named, list, object, overlay, text, AppliedPool, Change, Report};
use crate::api::identity::ops;
use crate::state::AppState;

const MEMBERS: &[&str] = &[
    "IdentityPoolName",
    "AllowUnauthenticatedIdentities",
    "AllowClassicFlow",
    "SupportedLoginProviders",
    "DeveloperProviderName",
    "OpenIdConnectProviderARNs",
    "CognitoIdentityProviders",
    "SamlProviderARNs",
    "IdentityPoolTags",
];

pub(super) async fn apply(state: &AppState, entry: &Value, pools: &[AppliedPool], report: &mut Report) -> Result<(), String> {
    let entry = object(entry, "an identity pool")?;
    let name = text(entry, "IdentityPoolName", "an identity pool")?;
    let what = format!("identity pool {name}");
    let known: Vec<&str> = MEMBERS.iter().copied().chain(["Roles", "RoleMappings"]).collect();
    check_keys(entry, &known, &what)?;
    let region = state.config.region.clone();
    let mut wanted = super::shared::members(entry, &["Roles", "RoleMappings"]);
    wanted.entry("AllowUnauthenticatedIdentities").or_insert(json!(false));
    let providers = list(entry.get("CognitoIdentityProviders"), "CognitoIdentityProviders")?
        .iter()
        .map(|provider| cognito_provider(provider, pools, &region, &what))
        .collect::<Result<Vec<_>, _>>()?;
    if !providers.is_empty() {
        wanted.insert("CognitoIdentityProviders".into(), Value::Array(providers));
    }
    let id = match find_by_name(state, name, &region).await? {
        None => {
            let created = call(&what, ops::pools::create_identity_pool(state, &body(&Value::Object(wanted.clone())), &region)).await?;
            report.note(what.clone(), Change::Created);
            created["IdentityPoolId"].as_str().unwrap_or_default().to_string()
        }
        Some(id) => {
            let stored = call(&what, ops::pools::describe_identity_pool(state, &body(&json!({"IdentityPoolId": id})))).await?;
            if holds(&Value::Object(wanted.clone()), &stored) {
                report.note(what.clone(), Change::Unchanged);
            } else {
                let mut request = overlay(&stored, &Value::Object(wanted.clone()));
                // Lists of providers are replaced whole, not merged.
                for (key, value) in &wanted {
                    request[key] = value.clone();
                }
                call(&what, ops::pools::update_identity_pool(state, &body(&request))).await?;
                report.note(what.clone(), Change::Updated);
            }
            id
        }
    };
    if entry.contains_key("Roles") || entry.contains_key("RoleMappings") {
        let mut roles = Map::new();
        for (kind, role) in object(entry.get("Roles").unwrap_or(&json!({})), "Roles")? {
            let role = role.as_str().ok_or_else(|| format!("{what}: Roles.{kind} must be a role's name or ARN"))?;
            roles.insert(kind.clone(), json!(role_arn(state, role, &what).await?));
        }
        let wanted_roles = json!({"Roles": roles, "RoleMappings": entry.get("RoleMappings").cloned().unwrap_or_else(|| json!({}))});
        let label = format!("{what} roles");
        let stored = call(&label, ops::pools::get_identity_pool_roles(state, &body(&json!({"IdentityPoolId": id})))).await?;
        let same = holds(&wanted_roles["Roles"], stored.get("Roles").unwrap_or(&json!({})))
            && holds(&wanted_roles["RoleMappings"], stored.get("RoleMappings").unwrap_or(&json!({})));
        if same {
            report.note(label, Change::Unchanged);
        } else {
            let mut request = wanted_roles;
            request["IdentityPoolId"] = json!(id);
            call(&label, ops::pools::set_identity_pool_roles(state, &body(&request))).await?;
            report.note(label, Change::Updated);
        }
    }
    Ok(())
}

/// A `CognitoIdentityProviders` entry with `UserPool` and `Client` (names of the file's pools and
/// clients) turned into `ProviderName` and `ClientId`.
fn cognito_provider(provider: &Value, pools: &[AppliedPool], region: &str, what: &str) -> Result<Value, String> {
    let entry = object(provider, "a CognitoIdentityProviders entry")?;
    check_keys(entry, &["ProviderName", "ClientId", "ServerSideTokenCheck", "UserPool", "Client"], what)?;
    let mut resolved = super::shared::members(entry, &["UserPool", "Client"]);
    if let Some(pool_name) = entry.get("UserPool").and_then(Value::as_str) {
        let pool = pools.iter().find(|pool| pool.name == pool_name).ok_or_else(|| format!("{what}: the file has no user pool named {pool_name}"))?;
        let pool_region = pool.id.split_once('_').map_or(region, |(region, _)| region);
        resolved.insert("ProviderName".into(), json!(format!("cognito-idp.{pool_region}.amazonaws.com/{}", pool.id)));
        if let Some(client_name) = entry.get("Client").and_then(Value::as_str) {
            let (_, client_id) = pool.clients.iter().find(|(name, _)| name == client_name).ok_or_else(|| format!("{what}: user pool {pool_name} has no client named {client_name} in the file"))?;
            resolved.insert("ClientId".into(), json!(client_id));
        }
    }
    resolved.entry("ServerSideTokenCheck").or_insert(json!(false));
    Ok(Value::Object(resolved))
}

/// A role given by name or by ARN, as its ARN.
pub(super) async fn role_arn(state: &AppState, role: &str, what: &str) -> Result<String, String> {
    if role.starts_with("arn:") {
        return Ok(role.to_string());
    }
    state.iam.get_role(role).await.map(|role| role.arn).map_err(|error| format!("{what}: role {role}: {error}"))
}

async fn find_by_name(state: &AppState, name: &str, region: &str) -> Result<Option<String>, String> {
    let page = |next_token: Option<String>| async move { ops::pools::list_identity_pools(state, &body(&json!({"MaxResults": 60, "NextToken": next_token})), region).await };
    ids_named(name, "identity pools", page, |answer| {
        let pools = answer["IdentityPools"].as_array().into_iter().flatten();
        let named = pools.map(|pool| (pool["IdentityPoolName"].as_str().unwrap_or_default().to_string(), pool["IdentityPoolId"].as_str().unwrap_or_default().to_string())).collect();
        (named, answer["NextToken"].as_str().map(str::to_string))
    })
    .await
}

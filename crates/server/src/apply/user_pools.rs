//! A user pool of an apply file: the pool (found by `Id` or by `PoolName` in its region), its
//! domain, MFA configuration and custom attributes, then its clients, groups, resource servers,
//! identity providers and users (`pool_parts`).

use serde_json::{json, Map, Value};

use cognate_domain::ids::UserPoolId;

use super::shared::{body, call, check_keys, holds, ids_named, object, overlay, text, AppliedPool, Change, Report};
use crate::api::idp::ops;
use crate::from_cognito::POOL_MEMBERS;

/// UpdateUserPool's members besides the pool's id and name: CreateUserPool's but the fixed ones.
fn update_members() -> impl Iterator<Item = &'static str> {
    POOL_MEMBERS.iter().copied().filter(|member| !FIXED_MEMBERS.contains(member))
}
use crate::state::AppState;

/// The keys of a pool entry that are not CreateUserPool members.
const RESERVED: &[&str] = &["Id", "Domain", "MfaConfig", "Clients", "Groups", "Users", "ResourceServers", "IdentityProviders"];

/// CreateUserPool's members that DescribeUserPool does not answer under the same name.
const CREATE_ONLY_MEMBERS: &[&str] = &["PoolName", "Schema"];

/// CreateUserPool's members that cannot change once the pool exists.
const FIXED_MEMBERS: &[&str] = &["UsernameAttributes", "AliasAttributes", "UsernameConfiguration"];

pub(super) async fn apply(state: &AppState, entry: &Value, report: &mut Report) -> Result<AppliedPool, String> {
    let entry = object(entry, "a user pool")?;
    let name = text(entry, "PoolName", "a user pool")?.to_string();
    let what = format!("user pool {name}");
    let known: Vec<&str> = RESERVED.iter().chain(POOL_MEMBERS).chain(CREATE_ONLY_MEMBERS).copied().collect();
    check_keys(entry, &known, &what)?;
    let wanted = super::shared::members(entry, RESERVED);
    let given_id = entry.get("Id").and_then(Value::as_str);
    let region = given_id.and_then(|id| id.split_once('_')).map(|(region, _)| region.to_string()).unwrap_or_else(|| state.config.region.clone());
    let existing = match given_id {
        Some(id) => describe(state, id).await?,
        None => match find_by_name(state, &name, &region).await? {
            Some(id) => describe(state, &id).await?,
            None => None,
        },
    };
    let (id, change) = match existing {
        None => (create(state, &wanted, given_id, &region, &what).await?, Change::Created),
        Some(stored) => {
            let id = stored["Id"].as_str().unwrap_or_default().to_string();
            (id.clone(), update(state, &id, &wanted, &stored, &what).await?)
        }
    };
    report.note(what.clone(), change);
    if let Some(domain) = entry.get("Domain").and_then(Value::as_str) {
        apply_domain(state, &id, domain, &what, report).await?;
    }
    if let Some(config) = entry.get("MfaConfig") {
        let stored = call(&what, ops::mfa::get_user_pool_mfa_config(state, &body(&json!({"UserPoolId": id})))).await?;
        if holds(config, &stored) {
            report.note(format!("{what} MFA configuration"), Change::Unchanged);
        } else {
            let mut request = overlay(&stored, config);
            request["UserPoolId"] = json!(id);
            call(&what, ops::mfa::set_user_pool_mfa_config(state, &body(&request))).await?;
            report.note(format!("{what} MFA configuration"), Change::Updated);
        }
    }
    let clients = super::pool_parts::apply_parts(state, entry, &id, &what, report).await?;
    Ok(AppliedPool { name, id, clients })
}

/// The pool's description, or None when there is no pool with this id.
async fn describe(state: &AppState, id: &str) -> Result<Option<Value>, String> {
    match ops::pools::describe_user_pool(state, &body(&json!({"UserPoolId": id}))).await {
        Ok(answer) => Ok(Some(answer["UserPool"].clone())),
        Err(error) if error.type_name == "ResourceNotFoundException" => Ok(None),
        Err(error) => Err(format!("user pool {id}: {}: {}", error.type_name, error.message)),
    }
}

/// The id of the pool named `name` in `region`; an error when several have the name.
async fn find_by_name(state: &AppState, name: &str, region: &str) -> Result<Option<String>, String> {
    let page = |next_token: Option<String>| async move { ops::pools::list_user_pools(state, &body(&json!({"MaxResults": 60, "NextToken": next_token})), region).await };
    ids_named(name, "user pools", page, |answer| {
        let pools = answer["UserPools"].as_array().into_iter().flatten();
        let named = pools.map(|pool| (pool["Name"].as_str().unwrap_or_default().to_string(), pool["Id"].as_str().unwrap_or_default().to_string())).collect();
        (named, answer["NextToken"].as_str().map(str::to_string))
    })
    .await
}

async fn create(state: &AppState, wanted: &Map<String, Value>, given_id: Option<&str>, region: &str, what: &str) -> Result<String, String> {
    let request = body(&Value::Object(wanted.clone()));
    match given_id {
        Some(id) => {
            let pool_id = UserPoolId::parse(id).map_err(|error| format!("{what}: {error}"))?;
            let input = ops::pools::create_user_pool_input(&request).map_err(|error| format!("{what}: {}: {}", error.type_name, error.message))?;
            state.user_pools.create_user_pool_with_id(pool_id, input).await.map_err(|error| format!("{what}: {error}"))?;
            Ok(id.to_string())
        }
        None => {
            let created = call(what, ops::pools::create_user_pool(state, &request, region)).await?;
            Ok(created["UserPool"]["Id"].as_str().unwrap_or_default().to_string())
        }
    }
}

/// Brings an existing pool to what the file says: UpdateUserPool with the stored settings and the
/// file's laid over them, and AddCustomAttributes for custom attributes it does not have yet.
async fn update(state: &AppState, id: &str, wanted: &Map<String, Value>, stored: &Value, what: &str) -> Result<Change, String> {
    for member in FIXED_MEMBERS {
        if let Some(value) = wanted.get(*member) {
            if !holds(value, stored.get(*member).unwrap_or(&Value::Null)) {
                return Err(format!("{what}: {member} cannot change once the pool exists"));
            }
        }
    }
    let mut change = Change::Unchanged;
    let stored_attributes: Vec<&str> = stored["SchemaAttributes"].as_array().into_iter().flatten().filter_map(|attribute| attribute["Name"].as_str()).collect();
    let missing: Vec<Value> = super::shared::list(wanted.get("Schema"), "Schema")?
        .iter()
        .filter(|attribute| {
            let name = attribute["Name"].as_str().unwrap_or_default();
            !stored_attributes.contains(&name) && !stored_attributes.contains(&format!("custom:{name}").as_str())
        })
        .cloned()
        .collect();
    if !missing.is_empty() {
        call(what, ops::pools::add_custom_attributes(state, &body(&json!({"UserPoolId": id, "CustomAttributes": missing})))).await?;
        change = Change::Updated;
    }
    let mut comparable: Map<String, Value> = wanted.iter().filter(|(key, _)| update_members().any(|member| member == key.as_str())).map(|(key, value)| (key.clone(), value.clone())).collect();
    if let Some(name) = wanted.get("PoolName") {
        comparable.insert("Name".into(), name.clone());
    }
    if holds(&Value::Object(comparable), stored) {
        return Ok(change);
    }
    let mut request = Map::new();
    request.insert("UserPoolId".into(), json!(id));
    request.insert("PoolName".into(), wanted.get("PoolName").cloned().unwrap_or_else(|| stored["Name"].clone()));
    for member in update_members() {
        let merged = match (stored.get(member), wanted.get(member)) {
            (Some(stored), Some(wanted)) if !stored.is_null() => overlay(stored, wanted),
            (_, Some(wanted)) => wanted.clone(),
            (Some(stored), None) if !stored.is_null() => stored.clone(),
            _ => continue,
        };
        request.insert(member.to_string(), merged);
    }
    call(what, ops::pools::update_user_pool(state, &body(&Value::Object(request)))).await?;
    Ok(Change::Updated)
}

async fn apply_domain(state: &AppState, id: &str, domain: &str, what: &str, report: &mut Report) -> Result<(), String> {
    let stored = describe(state, id).await?.unwrap_or_default();
    let what = format!("{what} domain {domain}");
    match stored.get("Domain").and_then(Value::as_str) {
        Some(current) if current == domain => report.note(what, Change::Unchanged),
        Some(current) => return Err(format!("{what}: the pool has the domain {current}; delete it first (DeleteUserPoolDomain)")),
        None => {
            call(&what, ops::hosted::create_user_pool_domain(state, &body(&json!({"UserPoolId": id, "Domain": domain})))).await?;
            report.note(what, Change::Created);
        }
    }
    Ok(())
}

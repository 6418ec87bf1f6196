//! An identity pool in the console: its settings, roles and role mappings, and identities (each
//! linked to its page, `identities`); its authenticated and unauthenticated roles, its role
//! mappings and whether it lets in unauthenticated identities, changed (SetIdentityPoolRoles and
//! UpdateIdentityPool).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::frame::{checked, failure, json_body, page, path_part, redirect, run, section, session, sign_in_page, value_html, Session};
use crate::api::identity::ops::{identities, pools};
use crate::state::AppState;
use crate::web::hosted::render::escape;

fn pool_arn(state: &AppState, identity_pool_id: &str) -> String {
    cognate_domain::ids::arn::identity_pool(cognate_domain::ids::region_of(identity_pool_id), &state.config.account_id, identity_pool_id)
}

/// A select of the account's roles (by ARN), `chosen` selected, with a "none" choice.
async fn role_select(state: &AppState, name: &str, chosen: Option<&str>) -> String {
    let roles = state.iam.list_roles(None, None, Some(1000)).await.map(|page| page.items).unwrap_or_default();
    let options: String = roles
        .iter()
        .map(|role| {
            let selected = if Some(role.arn.as_str()) == chosen { " selected" } else { "" };
            format!("<option value=\"{arn}\"{selected}>{name}</option>", arn = escape(&role.arn), name = escape(&role.name))
        })
        .collect();
    format!("<select id={name} name={name}><option value=\"\">(none)</option>{options}</select>")
}

pub(super) async fn identity_pool(State(state): State<AppState>, headers: HeaderMap, Path(identity_pool_id): Path<String>) -> Response {
    let Some(session) = session(&state, &headers).await else { return sign_in_page(StatusCode::OK, None) };
    let arn = pool_arn(&state, &identity_pool_id);
    if let Err(refused) = session.may(&state, "cognito-identity:DescribeIdentityPool", &arn).await {
        return refused;
    }
    let key = json!({"IdentityPoolId": identity_pool_id});
    let described = match run(pools::describe_identity_pool(&state, &json_body(key.clone()))).await {
        Ok(described) => described,
        Err(failed) => return failed,
    };
    let roles = section(&session, &state, "cognito-identity:GetIdentityPoolRoles", &arn, "Roles", pools::get_identity_pool_roles(&state, &json_body(key.clone())), |value| {
        value_html(&json!({"Roles": value["Roles"], "RoleMappings": value["RoleMappings"]}))
    })
    .await;
    let listed = section(&session, &state, "cognito-identity:ListIdentities", &arn, "Identities", identities::list_identities(&state, &json_body(json!({"IdentityPoolId": identity_pool_id, "MaxResults": 60}))), |value| {
        let rows: String = value["Identities"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|identity| {
                let id = identity["IdentityId"].as_str().unwrap_or("");
                let logins = identity["Logins"].as_array().into_iter().flatten().filter_map(Value::as_str).map(escape).collect::<Vec<_>>().join(", ");
                format!("<tr><td><a href=\"/console/identity-pools/{}/identities/{}\">{}</a></td><td>{logins}</td></tr>", path_part(&identity_pool_id), path_part(id), escape(id))
            })
            .collect();
        format!("<table><tr><th>Identity</th><th>Logins</th></tr>{rows}</table>")
    })
    .await;
    // The form shows the stored roles and the account's roles: only to who may read and set them.
    let mut may_edit = true;
    for (action, resource) in [
        ("cognito-identity:GetIdentityPoolRoles", arn.as_str()),
        ("cognito-identity:SetIdentityPoolRoles", arn.as_str()),
        ("cognito-identity:UpdateIdentityPool", arn.as_str()),
        ("iam:ListRoles", "*"),
    ] {
        may_edit &= session.may(&state, action, resource).await.is_ok();
    }
    let form = if may_edit { roles_form(&state, &session, &key, &described).await } else { String::new() };
    let title = described["IdentityPoolName"].as_str().unwrap_or("Identity pool").to_string();
    page(StatusCode::OK, &title, &format!("{}{roles}{form}{listed}", value_html(&described)), Some((&session, &state)), None)
}

/// The form that changes the roles and guest access, filled with the stored ones.
async fn roles_form(state: &AppState, session: &Session, key: &Value, described: &Value) -> String {
    let stored_roles = pools::get_identity_pool_roles(state, &json_body(key.clone())).await.unwrap_or_default();
    let unauthenticated = if described["AllowUnauthenticatedIdentities"].as_bool() == Some(true) { " checked" } else { "" };
    format!(
        "<h2>Change the roles</h2><form method=post><input type=hidden name=csrf value=\"{csrf}\">\
         <label for=authenticated>Role of signed-in identities</label>{authenticated}\
         <label for=unauthenticated>Role of guests</label>{guest}\
         <label class=inline><input type=checkbox name=allow_unauthenticated value=yes{unauthenticated}> let guests in (unauthenticated identities)</label>\
         <label for=mappings>Role mappings, by provider (RoleMappings as SetIdentityPoolRoles takes it: <code>Type</code> Token or Rules, \
         <code>AmbiguousRoleResolution</code>, <code>RulesConfiguration</code>)</label>\
         <textarea id=mappings name=role_mappings rows=10 cols=90 spellcheck=false>{mappings}</textarea>\
         <div><button type=submit>Save</button></div></form>",
        csrf = session.csrf(state),
        mappings = escape(&serde_json::to_string_pretty(stored_roles.get("RoleMappings").filter(|value| !value.is_null()).unwrap_or(&json!({}))).unwrap_or_default()),
        authenticated = role_select(state, "authenticated", stored_roles["Roles"]["authenticated"].as_str()).await,
        guest = role_select(state, "unauthenticated", stored_roles["Roles"]["unauthenticated"].as_str()).await,
    )
}

pub(super) async fn set_roles(State(state): State<AppState>, headers: HeaderMap, Path(identity_pool_id): Path<String>, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let arn = pool_arn(&state, &identity_pool_id);
    for action in ["cognito-identity:SetIdentityPoolRoles", "cognito-identity:UpdateIdentityPool"] {
        if let Err(refused) = session.may(&state, action, &arn).await {
            return refused;
        }
    }
    let key = json!({"IdentityPoolId": identity_pool_id});
    let (described, stored_roles) = match (run(pools::describe_identity_pool(&state, &json_body(key.clone()))).await, run(pools::get_identity_pool_roles(&state, &json_body(key.clone()))).await) {
        (Ok(described), Ok(roles)) => (described, roles),
        (Err(failed), _) | (_, Err(failed)) => return failed,
    };
    let mut roles = serde_json::Map::new();
    for kind in ["authenticated", "unauthenticated"] {
        if let Some(role) = form.get(kind).filter(|role| !role.is_empty()) {
            roles.insert(kind.into(), json!(role));
        }
    }
    let mappings = match form.get("role_mappings").map(str::trim) {
        None => stored_roles.get("RoleMappings").filter(|value| !value.is_null()).cloned().unwrap_or_else(|| json!({})),
        Some("") => json!({}),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(mappings) if mappings.is_object() => mappings,
            _ => return failure("The role mappings are not a JSON object of providers and their mappings."),
        },
    };
    let request = json!({"IdentityPoolId": identity_pool_id, "Roles": roles, "RoleMappings": mappings});
    if let Err(failed) = run(pools::set_identity_pool_roles(&state, &json_body(request))).await {
        return failed;
    }
    let mut updated = described.clone();
    updated["AllowUnauthenticatedIdentities"] = Value::Bool(form.get("allow_unauthenticated") == Some("yes"));
    if updated != described {
        if let Err(failed) = run(pools::update_identity_pool(&state, &json_body(updated))).await {
            return failed;
        }
    }
    redirect(&format!("/console/identity-pools/{}", path_part(&identity_pool_id)), None)
}

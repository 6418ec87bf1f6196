//! The console's pages: user pools (searched by name) and identity pools; a pool's settings,
//! clients, groups, identity providers and domain; its users (ListUsers' filter language, a page
//! at a time) and one user (attributes, MFA, groups, devices, sign-in history, and the actions);
//! the outbox.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::frame::{path_part, failure, json_body, page, pool_arn, run, seconds_text, section, session, sign_in_page, value_html};
use crate::api::idp::ops;
use crate::state::AppState;
use crate::web::hosted::render::escape;

/// The signed-in session, or the sign-in page.
macro_rules! signed_in {
    ($state:expr, $headers:expr) => {
        match session(&$state, &$headers).await {
            Some(session) => session,
            None => return sign_in_page(StatusCode::OK, None),
        }
    };
}


pub(super) async fn home(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    let session = signed_in!(state, headers);
    if let Err(refused) = session.may(&state, "cognito-idp:ListUserPools", "*").await {
        return refused;
    }
    let wanted = query.get("q").map(|text| text.to_lowercase()).unwrap_or_default();
    let mut rows = String::new();
    let mut after: Option<String> = None;
    loop {
        let pools = match state.store.list_user_pools(after.as_deref(), 500).await {
            Ok(pools) => pools,
            Err(error) => return failure(&error.to_string()),
        };
        for pool in pools.iter().filter(|pool| pool.settings.name.to_lowercase().contains(&wanted)) {
            rows.push_str(&format!(
                "<tr><td><a href=\"/console/pools/{id}\">{name}</a></td><td><code>{id}</code></td><td>{mfa}</td></tr>",
                id = escape(&pool.id),
                name = escape(&pool.settings.name),
                mfa = pool.settings.mfa_configuration.as_str()
            ));
        }
        match pools.last() {
            Some(last) if pools.len() == 500 => after = Some(last.id.to_string()),
            _ => break,
        }
    }
    let identity = section(&session, &state, "cognito-identity:ListIdentityPools", "*", "Identity pools", async {
        let (pools, _) = state.identity_pools.list_pools(60, None).await.map_err(crate::api::identity::error_from_domain)?;
        Ok(json!(pools.iter().map(|pool| json!({"Name": format!("<a href=\"/console/identity-pools/{}\">{}</a>", escape(&pool.id), escape(&pool.settings.name)), "Id": pool.id.to_string()})).collect::<Vec<_>>()))
    }, |value| raw_links(value))
    .await;
    let body = format!(
        "<form method=get action=/console/><label for=q>Search user pools by name</label><input id=q name=q value=\"{}\"> <button type=submit>Search</button></form>\
         <h2>User pools</h2><table><tr><th>Name</th><th>Id</th><th>MFA</th></tr>{rows}</table>{identity}",
        escape(&wanted)
    );
    page(StatusCode::OK, "User pools", &body, Some((&session, &state)), None)
}

/// A table of rows whose `Name` cell is already HTML (a link), the rest text.
fn raw_links(value: &Value) -> String {
    let rows: String = value
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| format!("<tr><td>{}</td><td><code>{}</code></td></tr>", row["Name"].as_str().unwrap_or(""), escape(row["Id"].as_str().unwrap_or(""))))
        .collect();
    format!("<table><tr><th>Name</th><th>Id</th></tr>{rows}</table>")
}

pub(super) async fn pool(State(state): State<AppState>, headers: HeaderMap, Path(pool_id): Path<String>) -> Response {
    let session = signed_in!(state, headers);
    let arn = pool_arn(&state, &pool_id);
    if let Err(refused) = session.may(&state, "cognito-idp:DescribeUserPool", &arn).await {
        return refused;
    }
    let key = json!({"UserPoolId": pool_id});
    let described = match run(ops::pools::describe_user_pool(&state, &json_body(key.clone()))).await {
        Ok(described) => described["UserPool"].clone(),
        Err(failed) => return failed,
    };
    let summary: serde_json::Map<String, Value> = [
        "Id", "Name", "Arn", "Domain", "CustomDomain", "EstimatedNumberOfUsers", "MfaConfiguration", "UsernameAttributes", "AliasAttributes",
        "AutoVerifiedAttributes", "Policies", "AdminCreateUserConfig", "DeviceConfiguration", "LambdaConfig", "UserPoolTier", "DeletionProtection",
    ]
    .iter()
    .filter_map(|name| described.get(*name).filter(|value| !value.is_null()).map(|value| (name.to_string(), value.clone())))
    .collect();
    let clients = section(&session, &state, "cognito-idp:ListUserPoolClients", &arn, "App clients", ops::clients::list_user_pool_clients(&state, &json_body(json!({"UserPoolId": pool_id, "MaxResults": 60}))), |value| {
        let rows: String = value["UserPoolClients"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|client| {
                let id = client["ClientId"].as_str().unwrap_or("");
                format!("<tr><td><a href=\"/console/pools/{}/clients/{}\">{}</a></td><td><code>{}</code></td></tr>", escape(&pool_id), path_part(id), escape(client["ClientName"].as_str().unwrap_or("")), escape(id))
            })
            .collect();
        format!("<table><tr><th>Name</th><th>Client id</th></tr>{rows}</table><p><a href=\"/console/pools/{}/clients\">Create an app client</a></p>", escape(&pool_id))
    })
    .await;
    let groups = section(&session, &state, "cognito-idp:ListGroups", &arn, "Groups", ops::groups::list_groups(&state, &json_body(json!({"UserPoolId": pool_id, "Limit": 60}))), |value| {
        value_html(&json!(value["Groups"].as_array().into_iter().flatten().map(|group| json!({"GroupName": group["GroupName"], "Description": group["Description"], "Precedence": group["Precedence"], "RoleArn": group["RoleArn"]})).collect::<Vec<_>>()))
    })
    .await;
    let providers = section(&session, &state, "cognito-idp:ListIdentityProviders", &arn, "Identity providers", crate::api::idp::ops::hosted::list_identity_providers(&state, &json_body(json!({"UserPoolId": pool_id, "MaxResults": 60}))), |value| value_html(&value["Providers"])).await;
    let csrf = session.csrf(&state);
    let id = escape(&pool_id);
    let body = format!(
        "<p><a href=\"/console/pools/{id}/users\">Users</a> · <a href=\"/console/pools/{id}/outbox\">Outbox</a></p>{}{clients}{groups}{providers}\
         <h2>Signing keys</h2><form method=post action=\"/console/pools/{id}/rotate-keys\"><input type=hidden name=csrf value=\"{csrf}\">\
         <button type=submit>Rotate the signing keys</button></form>",
        value_html(&Value::Object(summary))
    );
    page(StatusCode::OK, described["Name"].as_str().unwrap_or("User pool"), &body, Some((&session, &state)), None)
}

pub(super) async fn users(State(state): State<AppState>, headers: HeaderMap, Path(pool_id): Path<String>, Query(query): Query<HashMap<String, String>>) -> Response {
    let session = signed_in!(state, headers);
    let arn = pool_arn(&state, &pool_id);
    if let Err(refused) = session.may(&state, "cognito-idp:ListUsers", &arn).await {
        return refused;
    }
    let filter = query.get("filter").cloned().unwrap_or_default();
    let mut request = json!({"UserPoolId": pool_id, "Limit": 60});
    if !filter.is_empty() {
        request["Filter"] = json!(filter);
    }
    if let Some(token) = query.get("token").filter(|token| !token.is_empty()) {
        request["PaginationToken"] = json!(token);
    }
    let listed = match run(ops::users::list_users(&state, &json_body(request))).await {
        Ok(listed) => listed,
        Err(failed) => return failed,
    };
    let id = escape(&pool_id);
    let rows: String = listed["Users"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|user| {
            let username = user["Username"].as_str().unwrap_or("");
            let attribute = |name: &str| user["Attributes"].as_array().into_iter().flatten().find(|attribute| attribute["Name"] == name).and_then(|attribute| attribute["Value"].as_str()).unwrap_or("").to_string();
            format!(
                "<tr><td><a href=\"/console/pools/{id}/users/{link}\">{name}</a></td><td>{email}</td><td>{status}</td><td>{enabled}</td></tr>",
                link = path_part(username),
                name = escape(username),
                email = escape(&attribute("email")),
                status = escape(user["UserStatus"].as_str().unwrap_or("")),
                enabled = if user["Enabled"].as_bool().unwrap_or(false) { "yes" } else { "no" },
            )
        })
        .collect();
    let next = match listed["PaginationToken"].as_str() {
        Some(token) => format!("<p><a href=\"/console/pools/{id}/users?filter={}&token={}\">Next page</a></p>", path_part(&filter), path_part(token)),
        None => String::new(),
    };
    let csrf = session.csrf(&state);
    let body = format!(
        "<p><a href=\"/console/pools/{id}\">Back to the pool</a></p>\
         <form method=get><label for=filter>Filter (as ListUsers takes it: <code>email ^= \"ann\"</code>, <code>status = \"Enabled\"</code>)</label>\
         <input id=filter name=filter size=50 value=\"{}\"> <button type=submit>Search</button></form>\
         <table><tr><th>Username</th><th>Email</th><th>Status</th><th>Enabled</th></tr>{rows}</table>{next}\
         <h2>Create a user</h2><form method=post><input type=hidden name=csrf value=\"{csrf}\">\
         <label for=nu>Username</label><input id=nu name=username required><label for=ne>Email</label><input id=ne name=email type=email>\
         <label for=np>Temporary password (empty: generated)</label><input id=np name=password type=password autocomplete=new-password>\
         <button type=submit>Create</button></form>",
        escape(&filter)
    );
    page(StatusCode::OK, "Users", &body, Some((&session, &state)), None)
}

pub(super) async fn user(State(state): State<AppState>, headers: HeaderMap, Path((pool_id, username)): Path<(String, String)>) -> Response {
    let session = signed_in!(state, headers);
    let arn = pool_arn(&state, &pool_id);
    if let Err(refused) = session.may(&state, "cognito-idp:AdminGetUser", &arn).await {
        return refused;
    }
    let key = json!({"UserPoolId": pool_id, "Username": username});
    let user = match run(ops::users::admin_get_user(&state, &json_body(key.clone()))).await {
        Ok(user) => user,
        Err(failed) => return failed,
    };
    let mut details = user.as_object().cloned().unwrap_or_default();
    for date in ["UserCreateDate", "UserLastModifiedDate"] {
        if let Some(seconds) = details.get(date).and_then(Value::as_f64) {
            details.insert(date.into(), json!(seconds_text(seconds)));
        }
    }
    let attributes: serde_json::Map<String, Value> = details
        .remove("UserAttributes")
        .and_then(|attributes| attributes.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|attribute| (attribute["Name"].as_str().unwrap_or("").to_string(), attribute["Value"].clone()))
        .collect();
    let groups = section(&session, &state, "cognito-idp:AdminListGroupsForUser", &arn, "Groups", ops::groups::admin_list_groups_for_user(&state, &json_body(json!({"UserPoolId": pool_id, "Username": username, "Limit": 60}))), |value| {
        value["Groups"].as_array().into_iter().flatten().filter_map(|group| group["GroupName"].as_str()).map(escape).collect::<Vec<_>>().join(", ")
    })
    .await;
    let devices = section(&session, &state, "cognito-idp:AdminListDevices", &arn, "Devices", ops::devices::list_devices(&state, &json_body(json!({"UserPoolId": pool_id, "Username": username, "Limit": 60})), true), |value| value_html(&value["Devices"])).await;
    let history = section(&session, &state, "cognito-idp:AdminListUserAuthEvents", &arn, "Sign-in history", ops::events::admin_list_user_auth_events(&state, &json_body(json!({"UserPoolId": pool_id, "Username": username, "MaxResults": 20}))), |value| {
        value_html(&json!(value["AuthEvents"].as_array().into_iter().flatten().map(|event| json!({
            "When": seconds_text(event["CreationDate"].as_f64().unwrap_or(0.0)),
            "Event": event["EventType"], "Response": event["EventResponse"],
            "Challenges": event["ChallengeResponses"].as_array().into_iter().flatten().map(|challenge| format!("{} {}", challenge["ChallengeName"].as_str().unwrap_or(""), challenge["ChallengeResponse"].as_str().unwrap_or(""))).collect::<Vec<_>>().join(", "),
            "Address": event["EventContextData"]["IpAddress"], "Device": event["EventContextData"]["DeviceName"],
        })).collect::<Vec<_>>()))
    })
    .await;
    let csrf = session.csrf(&state);
    let enabled = user["Enabled"].as_bool().unwrap_or(true);
    let action = |name: &str, label: &str, class: &str| {
        // Deleting asks for a tick first (the page has no script to ask with).
        let confirm = if name == "delete" { "<label class=inline><input type=checkbox name=confirm required> sure</label>" } else { "" };
        format!("<form class=inline method=post><input type=hidden name=csrf value=\"{csrf}\"><input type=hidden name=action value={name}>{confirm}<button class=\"{class}\" type=submit>{label}</button></form>")
    };
    let body = format!(
        "<p><a href=\"/console/pools/{}/users\">Back to the users</a></p>{}<h2>Attributes</h2>{}{groups}{devices}{history}<h2>Actions</h2><div>{}{}{}{}</div>\
         <form method=post><input type=hidden name=csrf value=\"{csrf}\"><input type=hidden name=action value=set-password>\
         <label for=sp>Set a permanent password</label><input id=sp name=password type=password autocomplete=new-password> <button type=submit>Set</button></form>",
        escape(&pool_id),
        value_html(&Value::Object(details)),
        value_html(&Value::Object(attributes)),
        if enabled { action("disable", "Disable", "") } else { action("enable", "Enable", "") },
        action("reset-password", "Reset the password", ""),
        action("sign-out", "Sign out everywhere", ""),
        action("delete", "Delete the user", "danger"),
    );
    page(StatusCode::OK, &format!("User {username}"), &body, Some((&session, &state)), None)
}

pub(super) async fn outbox(State(state): State<AppState>, headers: HeaderMap, Path(pool_id): Path<String>) -> Response {
    let session = signed_in!(state, headers);
    if let Err(refused) = session.may(&state, "cognate:ReadOutbox", &pool_arn(&state, &pool_id)).await {
        return refused;
    }
    let messages = match state.user_pools.outbox(Some(&pool_id), 100).await {
        Ok(messages) => messages,
        Err(error) => return failure(&error.to_string()),
    };
    let rows: Vec<Value> = messages
        .iter()
        .map(|message| json!({"When": seconds_text(message.created_ms as f64 / 1000.0), "To": message.destination, "Medium": message.medium, "Subject": message.subject, "Body": message.body}))
        .collect();
    let body = format!("<p><a href=\"/console/pools/{}\">Back to the pool</a></p>{}", escape(&pool_id), value_html(&json!(rows)));
    page(StatusCode::OK, "Outbox", &body, Some((&session, &state)), None)
}

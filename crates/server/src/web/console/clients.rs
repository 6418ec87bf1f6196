//! A pool's app clients in the console: one client's settings (its secret never shown: only
//! that it has one), its sign-in flows and OAuth settings changed (UpdateUserPoolClient with the
//! stored settings and the form's laid over them), and a new client created, its secret shown
//! this once.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::frame::{path_part, checked, json_body, page, pool_arn, redirect, run, session, sign_in_page, value_html, Session};
use crate::api::idp::ops;
use crate::aws::query::QueryInput;
use crate::from_cognito::CLIENT_MEMBERS;
use crate::state::AppState;
use crate::web::hosted::render::escape;

const FLOWS: [&str; 5] = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"];
const OAUTH_FLOWS: [&str; 3] = ["code", "implicit", "client_credentials"];


/// The checkboxes of `names`, ticked where `chosen` has them.
fn checkboxes(field: &str, names: &[&str], chosen: &[String]) -> String {
    names
        .iter()
        .map(|name| {
            let ticked = if chosen.iter().any(|value| value == name) { " checked" } else { "" };
            format!("<label class=inline><input type=checkbox name={field} value={name}{ticked}> {name}</label>")
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(|item| item.as_str().map(str::to_string)).collect()
}

/// The settings form (a new client's, or a stored one's with its values).
fn settings_form(session: &Session, state: &AppState, stored: &Value, create: bool) -> String {
    let name = if create { "<label for=cn>Name</label><input id=cn name=name required><label class=inline><input type=checkbox name=secret value=yes> generate a secret</label>".to_string() } else { String::new() };
    format!(
        "<form method=post><input type=hidden name=csrf value=\"{csrf}\">{name}<label>Sign-in flows</label>{flows}\
         <label for=cb>Callback URLs (one per line)</label><textarea id=cb name=callbacks rows=3 cols=60>{callbacks}</textarea>\
         <label for=lo>Sign-out URLs (one per line)</label><textarea id=lo name=logouts rows=2 cols=60>{logouts}</textarea>\
         <label>OAuth flows</label>{oauth}<label for=sc>OAuth scopes (space-separated)</label><input id=sc name=scopes size=60 value=\"{scopes}\">\
         <button type=submit>{submit}</button></form>",
        csrf = session.csrf(state),
        flows = checkboxes("flow", &FLOWS, &strings(&stored["ExplicitAuthFlows"])),
        callbacks = escape(&strings(&stored["CallbackURLs"]).join("\n")),
        logouts = escape(&strings(&stored["LogoutURLs"]).join("\n")),
        oauth = checkboxes("oauth_flow", &OAUTH_FLOWS, &strings(&stored["AllowedOAuthFlows"])),
        scopes = escape(&strings(&stored["AllowedOAuthScopes"]).join(" ")),
        submit = if create { "Create the client" } else { "Save" },
    )
}

/// The members the settings form gives.
fn form_members(form: &QueryInput, body: &Bytes) -> Map<String, Value> {
    let all = |field: &str| -> Vec<String> {
        std::str::from_utf8(body)
            .unwrap_or("")
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter(|(key, _)| *key == field)
            .filter_map(|(_, value)| percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8().ok().map(|value| value.into_owned()))
            .collect()
    };
    let lines = |field: &str| -> Vec<String> { form.get(field).unwrap_or("").lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_string).collect() };
    let scopes: Vec<String> = form.get("scopes").unwrap_or("").split_whitespace().map(str::to_string).collect();
    let oauth_flows = all("oauth_flow");
    let mut members = Map::new();
    members.insert("ExplicitAuthFlows".into(), json!(all("flow")));
    members.insert("CallbackURLs".into(), json!(lines("callbacks")));
    members.insert("LogoutURLs".into(), json!(lines("logouts")));
    members.insert("AllowedOAuthFlowsUserPoolClient".into(), json!(!oauth_flows.is_empty()));
    members.insert("AllowedOAuthFlows".into(), json!(oauth_flows));
    members.insert("AllowedOAuthScopes".into(), json!(scopes));
    if !members["AllowedOAuthFlows"].as_array().is_some_and(|flows| !flows.is_empty()) {
        members.insert("SupportedIdentityProviders".into(), json!([]));
    } else {
        members.insert("SupportedIdentityProviders".into(), json!(["COGNITO"]));
    }
    members
}

pub(super) async fn client(State(state): State<AppState>, headers: HeaderMap, Path((pool_id, client_id)): Path<(String, String)>) -> Response {
    let Some(session) = session(&state, &headers).await else { return sign_in_page(StatusCode::OK, None) };
    if let Err(refused) = session.may(&state, "cognito-idp:DescribeUserPoolClient", &pool_arn(&state, &pool_id)).await {
        return refused;
    }
    let described = match run(ops::clients::describe_user_pool_client(&state, &json_body(json!({"UserPoolId": pool_id, "ClientId": client_id})))).await {
        Ok(described) => described["UserPoolClient"].clone(),
        Err(failed) => return failed,
    };
    let mut shown = described.as_object().cloned().unwrap_or_default();
    if shown.remove("ClientSecret").is_some() {
        shown.insert("ClientSecret".into(), json!("(has a secret; it was shown once, when the client was made)"));
    }
    let body = format!(
        "<p><a href=\"/console/pools/{}\">Back to the pool</a></p>{}<h2>Change the settings</h2>{}",
        escape(&pool_id),
        value_html(&Value::Object(shown)),
        settings_form(&session, &state, &described, false)
    );
    page(StatusCode::OK, &format!("Client {}", described["ClientName"].as_str().unwrap_or("")), &body, Some((&session, &state)), None)
}

pub(super) async fn update_client(State(state): State<AppState>, headers: HeaderMap, Path((pool_id, client_id)): Path<(String, String)>, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    if let Err(refused) = session.may(&state, "cognito-idp:UpdateUserPoolClient", &pool_arn(&state, &pool_id)).await {
        return refused;
    }
    let stored = match run(ops::clients::describe_user_pool_client(&state, &json_body(json!({"UserPoolId": pool_id, "ClientId": client_id})))).await {
        Ok(described) => described["UserPoolClient"].clone(),
        Err(failed) => return failed,
    };
    let mut request: Map<String, Value> = CLIENT_MEMBERS.iter().filter_map(|member| stored.get(*member).filter(|value| !value.is_null()).map(|value| (member.to_string(), value.clone()))).collect();
    request.extend(form_members(&form, &body));
    request.insert("UserPoolId".into(), json!(pool_id));
    request.insert("ClientId".into(), json!(client_id));
    if let Err(failed) = run(ops::clients::update_user_pool_client(&state, &json_body(Value::Object(request)))).await {
        return failed;
    }
    redirect(&format!("/console/pools/{}/clients/{}", path_part(&pool_id), path_part(&client_id)), None)
}

pub(super) async fn new_client(State(state): State<AppState>, headers: HeaderMap, Path(pool_id): Path<String>) -> Response {
    let Some(session) = session(&state, &headers).await else { return sign_in_page(StatusCode::OK, None) };
    let body = format!("<p><a href=\"/console/pools/{}\">Back to the pool</a></p>{}", escape(&pool_id), settings_form(&session, &state, &json!({}), true));
    page(StatusCode::OK, "New app client", &body, Some((&session, &state)), None)
}

pub(super) async fn create_client(State(state): State<AppState>, headers: HeaderMap, Path(pool_id): Path<String>, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    if let Err(refused) = session.may(&state, "cognito-idp:CreateUserPoolClient", &pool_arn(&state, &pool_id)).await {
        return refused;
    }
    let mut request = form_members(&form, &body);
    request.insert("UserPoolId".into(), json!(pool_id));
    request.insert("ClientName".into(), json!(form.get("name").unwrap_or("").trim()));
    request.insert("GenerateSecret".into(), json!(form.get("secret") == Some("yes")));
    let created = match run(ops::clients::create_user_pool_client(&state, &json_body(Value::Object(request)))).await {
        Ok(created) => created["UserPoolClient"].clone(),
        Err(failed) => return failed,
    };
    let client_id = created["ClientId"].as_str().unwrap_or("");
    let secret = match created["ClientSecret"].as_str() {
        Some(secret) => format!("<p class=info>Its secret, shown this once (copy it now): <code id=secret>{}</code></p>", escape(secret)),
        None => "<p class=info>The client has no secret.</p>".to_string(),
    };
    let body = format!(
        "<p>Client id: <code id=client-id>{}</code></p>{secret}<p><a href=\"/console/pools/{}/clients/{}\">Open the client</a></p>",
        escape(client_id),
        escape(&pool_id),
        path_part(client_id)
    );
    page(StatusCode::OK, "App client created", &body, Some((&session, &state)), None)
}

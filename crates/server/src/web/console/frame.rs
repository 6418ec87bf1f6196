//! What the console's pages and actions share: the session (its cookie, MACed under the master
//! key, and its CSRF token), the check of an action against the operator's policies, the layout
//! and the rendering of an answer's JSON as tables.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use cognate_domain::crypto::constant_time_eq;
use cognate_domain::iam::policy::Decision;
use cognate_domain::iam::IamUser;

use crate::aws::query::QueryInput;
use crate::state::{AppState, OperationName};
use crate::web::hosted::render::{escape, security_headers};
use crate::web::hosted::session::random_value;

pub(crate) const COOKIE: &str = "cognate-console";
pub(crate) const SESSION_SECONDS: i64 = 8 * 3600;

/// Who is signed in.
#[derive(Debug, Clone)]
pub(crate) enum Operator {
    Root,
    User(Box<IamUser>),
}

/// A signed-in browser: who, and the session's id (what its CSRF token is made from).
pub(crate) struct Session {
    pub(crate) operator: Operator,
    pub(crate) id: String,
}

impl Session {
    pub(crate) fn name(&self, state: &AppState) -> String {
        match &self.operator {
            Operator::Root => format!("root ({})", state.root.access_key_id),
            Operator::User(user) => user.arn.clone(),
        }
    }

    pub(crate) fn csrf(&self, state: &AppState) -> String {
        URL_SAFE_NO_PAD.encode(state.user_pools.master_key().mac("console-csrf", self.id.as_bytes()))
    }

    /// Whether the operator may do `action` on `resource`; the page that says they may not.
    pub(crate) async fn may(&self, state: &AppState, action: &str, resource: &str) -> Result<(), Response> {
        let decision = match &self.operator {
            Operator::Root => return Ok(()),
            Operator::User(user) => state.iam.authorize_user(user, action, resource, &[]).await,
        };
        match decision {
            Ok(Decision::Allowed) => Ok(()),
            Ok(_) => Err(page(
                StatusCode::FORBIDDEN,
                "Not allowed",
                &format!("<p class=error>{} may not <code>{}</code> on <code>{}</code>.</p>", escape(&self.name(state)), escape(action), escape(resource)),
                None,
                None,
            )),
            Err(error) => Err(failure(&error.to_string())),
        }
    }

    /// The form's CSRF token is this session's.
    pub(crate) fn check_csrf(&self, state: &AppState, form: &QueryInput) -> Result<(), Response> {
        let given = form.get("csrf").unwrap_or("");
        if constant_time_eq(given.as_bytes(), self.csrf(state).as_bytes()) {
            Ok(())
        } else {
            Err(page(StatusCode::FORBIDDEN, "Refused", "<p class=error>The form is stale or did not come from this console. Open the page again.</p>", None, None))
        }
    }
}

/// The cookie's value for `operator`: base64url of the JSON, a dot, and its MAC.
pub(crate) fn session_cookie(state: &AppState, operator: &Operator) -> String {
    let principal = match operator {
        Operator::Root => "root".to_string(),
        Operator::User(user) => format!("user:{}", user.name),
    };
    let claims = json!({"p": principal, "exp": state.clock.now_millis() / 1000 + SESSION_SECONDS, "sid": random_value()}).to_string();
    let mac = URL_SAFE_NO_PAD.encode(state.user_pools.master_key().mac("console-session", claims.as_bytes()));
    format!("{}.{mac}", URL_SAFE_NO_PAD.encode(claims))
}

/// The session the request's cookie holds, if it is valid and unexpired and its principal still
/// exists.
pub(crate) async fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let value = headers
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == COOKIE)
        .map(|(_, value)| value.to_string())?;
    let (claims, mac) = value.split_once('.')?;
    let claims = URL_SAFE_NO_PAD.decode(claims).ok()?;
    let expected = URL_SAFE_NO_PAD.encode(state.user_pools.master_key().mac("console-session", &claims));
    if !constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
        return None;
    }
    let claims: Value = serde_json::from_slice(&claims).ok()?;
    if claims["exp"].as_i64()? < state.clock.now_millis() / 1000 {
        return None;
    }
    let operator = match claims["p"].as_str()? {
        "root" => Operator::Root,
        principal => Operator::User(Box::new(state.iam.get_user(principal.strip_prefix("user:")?).await.ok()?)),
    };
    Some(Session { operator, id: claims["sid"].as_str()?.to_string() })
}

pub(crate) fn cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

pub(crate) fn sign_in_page(status: StatusCode, error: Option<&str>) -> Response {
    let error = error.map(|message| format!("<p class=error>{}</p>", escape(message))).unwrap_or_default();
    let body = format!(
        "{error}<div class=cards><form method=post action=/console/sign-in><h2>Root access keys</h2>\
         <label for=k>Access key ID</label><input id=k name=access_key_id autocomplete=username>\
         <label for=s>Secret access key</label><input id=s name=secret_access_key type=password autocomplete=current-password>\
         <button type=submit>Sign in</button></form>\
         <form method=post action=/console/sign-in><h2>IAM user</h2>\
         <label for=u>User name</label><input id=u name=user_name autocomplete=username>\
         <label for=p>Password</label><input id=p name=password type=password autocomplete=current-password>\
         <label for=m>MFA code (when the user has an MFA device)</label><input id=m name=mfa_code inputmode=numeric autocomplete=one-time-code>\
         <button type=submit>Sign in</button></form></div>"
    );
    page(status, "Sign in to the cognate console", &body, None, None)
}

/// A console page: the layout, the signed-in bar (with the sign-out form) when `session` is
/// given.
pub(crate) fn page(status: StatusCode, title: &str, body: &str, session: Option<(&Session, &AppState)>, cookie: Option<String>) -> Response {
    let bar = match session {
        Some((session, state)) => format!(
            "<nav><a href=/console/>User pools</a> <a href=/console/iam>IAM</a> <span>{}</span>\
             <form method=post action=/console/sign-out><input type=hidden name=csrf value=\"{}\"><button class=link type=submit>Sign out</button></form></nav>",
            escape(&session.name(state)),
            session.csrf(state)
        ),
        None => String::new(),
    };
    let html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>{title} · cognate console</title><style>{CSS}</style></head><body><header><b>cognate console</b>{bar}</header>\
         <main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title)
    );
    let mut response = (status, html).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/html; charset=utf-8"));
    if let Some(cookie) = cookie.and_then(|cookie| HeaderValue::from_str(&cookie).ok()) {
        response.headers_mut().append("set-cookie", cookie);
    }
    security_headers(&mut response);
    response.extensions_mut().insert(OperationName("console"));
    response
}

pub(crate) fn redirect(location: &str, cookie: Option<String>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert("location", value);
    }
    if let Some(cookie) = cookie.and_then(|cookie| HeaderValue::from_str(&cookie).ok()) {
        response.headers_mut().append("set-cookie", cookie);
    }
    security_headers(&mut response);
    response.extensions_mut().insert(OperationName("console"));
    response
}

/// The page of an operation that failed (its error as the API would say it).
pub(crate) fn failure(message: &str) -> Response {
    page(StatusCode::BAD_REQUEST, "That did not work", &format!("<p class=error>{}</p>", escape(message)), None, None)
}

const CSS: &str = "\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f2f3f3;color:#16191f;}\
header{display:flex;gap:1.5rem;align-items:center;background:#232f3e;color:#fff;padding:.7rem 1.5rem;}\
header nav{display:flex;gap:1rem;align-items:center;flex:1;}header nav span{margin-left:auto;font-size:.85rem;}\
header a,button.link{color:#fff;background:none;border:0;padding:0;font:inherit;cursor:pointer;text-decoration:underline;margin:0;width:auto;}\
main{max-width:72rem;margin:1.5rem auto;padding:0 1.5rem;}h1{font-size:1.5rem;}h2{font-size:1.15rem;margin-top:1.6rem;}\
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0;}th,td{border:1px solid #d5dbdb;padding:.4rem .6rem;text-align:left;vertical-align:top;font-size:.9rem;white-space:pre-wrap;}\
th{background:#fafafa;}pre{white-space:pre-wrap;margin:0;font-size:.8rem;}code{font-size:.85rem;}\
form{margin:.3rem 0;}form.inline{display:inline-block;margin-right:.5rem;}.cards{display:flex;gap:1.5rem;flex-wrap:wrap;}\
.cards form{background:#fff;border:1px solid #d5dbdb;border-radius:8px;padding:1rem 1.5rem;min-width:18rem;}\
label{display:block;font-weight:600;margin:.7rem 0 .2rem;}textarea{box-sizing:border-box;padding:.45rem;border:1px solid #687078;border-radius:4px;font:inherit;}label.inline{display:inline;font-weight:400;margin-right:.3rem;}input{box-sizing:border-box;padding:.45rem;border:1px solid #687078;border-radius:4px;font-size:.95rem;}\
.cards input{width:100%;}button{margin-top:.7rem;padding:.45rem 1rem;border:0;border-radius:4px;background:#0b4f9e;color:#fff;font-weight:600;cursor:pointer;}\
button.danger{background:#a4141b;}.error{color:#a4141b;background:#fdecea;border:1px solid #a4141b;padding:.6rem;border-radius:4px;}\
.info{color:#1d5121;background:#e9f5ea;border:1px solid #1d5121;padding:.6rem;border-radius:4px;}a{color:#0b4f9e;}\
input:focus,button:focus,a:focus{outline:3px solid #0b5fff;outline-offset:2px;}";

/// A JSON value as HTML: objects as a table of their members, lists of objects as a table with a
/// column per member, other lists as comma-separated text, scalars as text.
pub(crate) fn value_html(value: &Value) -> String {
    match value {
        Value::Object(map) if map.is_empty() => "—".into(),
        Value::Object(map) => {
            let rows: String = map.iter().map(|(key, value)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(key), value_html(value))).collect();
            format!("<table>{rows}</table>")
        }
        Value::Array(items) if items.is_empty() => "—".into(),
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let mut columns: Vec<&String> = Vec::new();
            for item in items {
                for key in item.as_object().into_iter().flat_map(|map| map.keys()) {
                    if !columns.contains(&key) {
                        columns.push(key);
                    }
                }
            }
            let head: String = columns.iter().map(|column| format!("<th>{}</th>", escape(column))).collect();
            let rows: String = items
                .iter()
                .map(|item| format!("<tr>{}</tr>", columns.iter().map(|column| format!("<td>{}</td>", value_html(&item[column.as_str()]))).collect::<String>()))
                .collect();
            format!("<table><tr>{head}</tr>{rows}</table>")
        }
        Value::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(", "),
        other => scalar_text(other),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => escape(text),
        Value::Null => "—".into(),
        other => escape(&other.to_string()),
    }
}

pub(crate) fn pool_arn(state: &AppState, pool_id: &str) -> String {
    cognate_domain::ids::arn::user_pool(cognate_domain::ids::region_of(pool_id), &state.config.account_id, pool_id)
}

/// Runs an operation's handler with a JSON request; its answer or the failure page.
pub(crate) async fn run<F>(answer: F) -> Result<Value, Response>
where
    F: std::future::Future<Output = Result<Value, crate::aws::json::ApiError>>,
{
    answer.await.map_err(|error| failure(&format!("{}: {}", error.type_name, error.message)))
}

pub(crate) fn json_body(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap_or_default()
}

/// A time as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn seconds_text(seconds: f64) -> String {
    let iso = cognate_domain::clock::format_iso8601(seconds as i64);
    format!("{} UTC", iso.trim_end_matches('Z').replace('T', " "))
}

/// The session and the form of a POST whose CSRF token is right.
pub(crate) async fn checked(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(Session, QueryInput), Response> {
    let Some(session) = session(state, headers).await else {
        return Err(sign_in_page(StatusCode::UNAUTHORIZED, Some("Sign in first.")));
    };
    let form = QueryInput::parse(body).unwrap_or_default();
    session.check_csrf(state, &form)?;
    Ok((session, form))
}

/// A form whose "sure" box was ticked; otherwise the page that asks for it.
pub(crate) fn confirmed(form: &QueryInput) -> Result<(), Response> {
    match form.get("confirm") {
        Some(_) => Ok(()),
        None => Err(page(StatusCode::BAD_REQUEST, "Not done", "<p class=error>Tick \"sure\" to do this.</p>", None, None)),
    }
}

/// A section the operator may not read says so instead of failing the page.
pub(crate) async fn section<F>(session: &Session, state: &AppState, action: &str, resource: &str, title: &str, answer: F, render: impl Fn(&Value) -> String) -> String
where
    F: std::future::Future<Output = Result<Value, crate::aws::json::ApiError>>,
{
    if session.may(state, action, resource).await.is_err() {
        return format!("<h2>{}</h2><p>Not shown: <code>{}</code> is not allowed.</p>", escape(title), escape(action));
    }
    match answer.await {
        Ok(value) => format!("<h2>{}</h2>{}", escape(title), render(&value)),
        Err(error) => format!("<h2>{}</h2><p class=error>{}: {}</p>", escape(title), error.type_name, escape(&error.message)),
    }
}

/// Text as one percent-encoded part of a console URL.
pub(crate) fn path_part(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

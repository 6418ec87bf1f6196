//! The hosted sign-in of a pool's domain: `/oauth2/authorize`, the pages (sign-in, sign-up,
//! confirmation, forgotten password, new password, error), `/logout` and the federation callback
//! `/oauth2/idpresponse`. They answer under the issuer path (`/<pool id>/login`, …) and, through
//! [`route_domains`], at the root of the pool's domain (`<prefix>.<public host>/login`, …).
//!
//! The pages are server-rendered HTML that works without JavaScript. Each form carries a CSRF
//! token: a MAC (under the master key) of a random value kept in an HttpOnly cookie, so any node
//! of a cluster can check it. Signing in sets a session cookie that spares the user the form
//! until it expires, `prompt=login` asks again, or `/logout` ends it.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use cognate_domain::crypto::constant_time_eq;
use cognate_domain::user_pool::auth::{secret_hash, HostedStep};
use cognate_domain::federation::percent_encode;
use cognate_domain::user_pool::hosted::{with_parameters, AuthorizeError, AuthorizeRequest, CheckedAuthorize};
use cognate_domain::user_pool::{Attribute, User};
use cognate_domain::DomainError;

use crate::state::{AppState, OperationName};
use crate::aws::query::QueryInput;

const SESSION_COOKIE: &str = "cognate-session";
const CSRF_COOKIE: &str = "XSRF-TOKEN";
/// The paths a pool's domain serves at its root.
const DOMAIN_PATHS: &[&str] = &[
    "/oauth2/authorize",
    "/oauth2/token",
    "/oauth2/revoke",
    "/oauth2/userInfo",
    "/oauth2/idpresponse",
    "/login",
    "/signup",
    "/confirm",
    "/forgotPassword",
    "/confirmForgotPassword",
    "/newPassword",
    "/logout",
    "/error",
];

/// How the request reached the pages: the path prefix of their URLs (`/<pool id>`, or empty on
/// the pool's domain) and the origin to send upstream providers back to.
#[derive(Clone, Debug)]
pub struct HostedBase {
    pub prefix: String,
    pub origin: String,
}

/// Routes requests that arrive on a pool's domain (`<prefix>.<public host>` or a custom domain)
/// to the pool's paths, remembering the domain in a [`HostedBase`].
pub async fn route_domains(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if DOMAIN_PATHS.contains(&path.as_str()) {
        if let Some(host) = request.headers().get("host").and_then(|value| value.to_str().ok()).map(str::to_string) {
            if let Some(pool_id) = domain_pool(&state, &host).await {
                let query = request.uri().query().map(|query| format!("?{query}")).unwrap_or_default();
                if let Ok(uri) = format!("/{pool_id}{path}{query}").parse::<Uri>() {
                    let scheme = if state.config.public_url.starts_with("https://") { "https" } else { "http" };
                    request.extensions_mut().insert(HostedBase { prefix: String::new(), origin: format!("{scheme}://{host}") });
                    *request.uri_mut() = uri;
                }
            }
        }
    }
    next.run(request).await
}

/// The pool whose domain `host` is, if any.
async fn domain_pool(state: &AppState, host: &str) -> Option<String> {
    let public_host = state.config.public_url.split("://").nth(1).unwrap_or("").split('/').next().unwrap_or("");
    if host.eq_ignore_ascii_case(public_host) {
        return None;
    }
    let without_port = |text: &str| text.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map(|(name, _)| name.to_string()).unwrap_or(text.to_string());
    let host_name = without_port(host).to_ascii_lowercase();
    let public_name = without_port(public_host).to_ascii_lowercase();
    let prefix = host_name.strip_suffix(&format!(".{public_name}")).or_else(|| host_name.strip_suffix(".localhost"));
    let domain = match prefix {
        Some(prefix) if !prefix.contains('.') => prefix.to_string(),
        _ => host_name,
    };
    match state.user_pools.describe_user_pool_domain(&domain).await {
        Ok(record) => record.map(|record| record.pool_id),
        Err(error) => {
            tracing::warn!(%error, "looking up a domain");
            None
        }
    }
}

fn base_of(state: &AppState, headers_base: Option<&HostedBase>, pool_id: &str) -> HostedBase {
    headers_base.cloned().unwrap_or_else(|| HostedBase { prefix: format!("/{pool_id}"), origin: state.config.public_url.clone() })
}

/// Escapes text for HTML (the XML escape: HTML5 knows `&apos;` too).
fn escape(text: &str) -> String {
    crate::aws::query::escape(text)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

fn random_value() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One HTML answer being built: status, page, cookies to set.
struct Page {
    status: StatusCode,
    body: String,
    cookies: Vec<String>,
}

fn security_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"),
    );
}

fn finish(page: Page, operation: &'static str) -> Response {
    let mut response = (page.status, page.body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/html; charset=utf-8"));
    for cookie in page.cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append("set-cookie", value);
        }
    }
    security_headers(&mut response);
    response.extensions_mut().insert(OperationName(operation));
    response
}

fn redirect(location: &str, cookies: Vec<String>, operation: &'static str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert("location", value);
        }
        Err(_) => return finish(error_page("The redirect address is not valid.", ""), operation),
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append("set-cookie", value);
        }
    }
    security_headers(&mut response);
    response.extensions_mut().insert(OperationName(operation));
    response
}

/// The attributes of a cookie for `path`: HttpOnly, SameSite=Lax, Secure behind https.
fn cookie(state: &AppState, name: &str, value: &str, path: &str, max_age: Option<i64>) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let secure = if state.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    let age = max_age.map(|seconds| format!("; Max-Age={seconds}")).unwrap_or_default();
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax{secure}{age}")
}

const BASE_CSS: &str = "\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f2f3f3;color:#16191f;}\
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d5dbdb;border-radius:8px;}\
h1{font-size:1.4rem;margin:0 0 1rem;}\
label{display:block;font-weight:600;margin:1rem 0 .3rem;}\
input[type=text],input[type=password],input[type=email],input[type=tel]{box-sizing:border-box;width:100%;padding:.6rem;border:1px solid #687078;border-radius:4px;font-size:1rem;color:#16191f;}\
input:focus,button:focus,a:focus{outline:3px solid #0b5fff;outline-offset:2px;}\
button{margin-top:1.4rem;width:100%;padding:.7rem;border:0;border-radius:4px;background:#0b4f9e;color:#fff;font-size:1rem;font-weight:600;cursor:pointer;}\
button.secondary{background:#fff;color:#0b4f9e;border:1px solid #0b4f9e;}\
.errorMessage-customizable{color:#a4141b;background:#fdecea;border:1px solid #a4141b;padding:.6rem;border-radius:4px;}\
.info{color:#1d5121;background:#e9f5ea;border:1px solid #1d5121;padding:.6rem;border-radius:4px;}\
.links{margin-top:1.2rem;display:flex;flex-direction:column;gap:.5rem;}\
a{color:#0b4f9e;}\
.idpButton-customizable{display:block;text-align:center;margin-top:.6rem;padding:.6rem;border:1px solid #16191f;border-radius:4px;text-decoration:none;color:#16191f;font-weight:600;}\
.logo-customizable{max-width:100%;max-height:5rem;display:block;margin:0 auto 1rem;}\
.hint{font-size:.9rem;color:#414750;}";

struct Look {
    css: String,
    logo: Option<String>,
}

async fn look(state: &AppState, pool_id: &str, client_id: &str, base: &HostedBase) -> Look {
    match state.user_pools.get_ui_customization(pool_id, Some(client_id)).await {
        Ok(Some(custom)) => Look {
            css: custom.css.clone().unwrap_or_default(),
            logo: custom.image.as_ref().map(|_| format!("{}/_ui/{}/logo?v={}", base.prefix, custom.client_id, custom.css_version)),
        },
        _ => Look { css: String::new(), logo: None },
    }
}

fn layout(title: &str, look: Option<&Look>, error: Option<&str>, info: Option<&str>, content: &str) -> String {
    let custom_css = look.map(|look| look.css.as_str()).unwrap_or("");
    let logo = look
        .and_then(|look| look.logo.as_deref())
        .map(|url| format!("<img class=\"logo-customizable\" src=\"{}\" alt=\"\">", escape(url)))
        .unwrap_or_default();
    let error = error
        .map(|message| format!("<p id=\"form-error\" class=\"errorMessage-customizable\" role=\"alert\">{}</p>", escape(message)))
        .unwrap_or_default();
    let info = info.map(|message| format!("<p class=\"info\" role=\"status\">{}</p>", escape(message))).unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{BASE_CSS}{custom_css}</style></head>\
<body class=\"background-customizable\"><main><div class=\"banner-customizable\">{logo}</div><h1>{title}</h1>{error}{info}{content}</main></body></html>\n",
        title = escape(title),
    )
}

fn error_page(message: &str, css: &str) -> Page {
    let look = Look { css: css.to_string(), logo: None };
    Page { status: StatusCode::BAD_REQUEST, body: layout("Something went wrong", Some(&look), Some(message), None, ""), cookies: vec![] }
}

/// The form fields every page's form carries.
fn field(id: &str, label: &str, kind: &str, autocomplete: &str, value: &str, autofocus: bool, has_error: bool) -> String {
    let focus = if autofocus { " autofocus" } else { "" };
    let described = if has_error { " aria-describedby=\"form-error\" aria-invalid=\"true\"" } else { "" };
    format!(
        "<label class=\"label-customizable\" for=\"{id}\">{label}</label><input class=\"inputField-customizable\" id=\"{id}\" name=\"{id}\" type=\"{kind}\" autocomplete=\"{autocomplete}\" value=\"{value}\" required{focus}{described}>",
        label = escape(label),
        value = escape(value),
    )
}

/// The authorization request's parameters as a query string, to carry from page to page.
fn auth_query(request: &AuthorizeRequest) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("client_id", &request.client_id),
        ("response_type", &request.response_type),
        ("redirect_uri", &request.redirect_uri),
    ];
    for (name, value) in [
        ("state", &request.state),
        ("scope", &request.scope),
        ("nonce", &request.nonce),
        ("code_challenge", &request.code_challenge),
        ("code_challenge_method", &request.code_challenge_method),
    ] {
        if let Some(value) = value {
            pairs.push((name, value));
        }
    }
    with_parameters("", &pairs, false).trim_start_matches('?').to_string()
}

fn authorize_request(query: &QueryInput) -> AuthorizeRequest {
    let text = |name: &str| query.get(name).map(str::to_string);
    AuthorizeRequest {
        client_id: query.get("client_id").unwrap_or("").to_string(),
        response_type: query.get("response_type").unwrap_or("").to_string(),
        redirect_uri: query.get("redirect_uri").unwrap_or("").to_string(),
        state: text("state"),
        scope: text("scope"),
        nonce: text("nonce"),
        code_challenge: text("code_challenge"),
        code_challenge_method: text("code_challenge_method"),
        identity_provider: text("identity_provider"),
        idp_identifier: text("idp_identifier"),
        prompt: text("prompt"),
    }
}

fn query_of(uri: &Uri) -> QueryInput {
    QueryInput::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default()
}

/// What to answer when an authorization request fails its checks.
fn refused(error: AuthorizeError, request: &AuthorizeRequest, operation: &'static str) -> Response {
    match error {
        AuthorizeError::Page(message) => finish(error_page(&message, ""), operation),
        AuthorizeError::Redirect { error, description } => {
            let mut pairs = vec![("error", error), ("error_description", description.as_str())];
            if let Some(state) = request.state.as_deref() {
                pairs.push(("state", state));
            }
            redirect(&with_parameters(&request.redirect_uri, &pairs, false), vec![], operation)
        }
    }
}

/// The message a page shows for a refusal of the domain.
fn page_message(error: &DomainError) -> String {
    match error {
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error on a hosted page");
            "An internal error occurred. Try again.".into()
        }
        DomainError::UserNotFound(_) => "Incorrect username or password.".into(),
        other => other.to_string(),
    }
}

/// The CSRF token of a browser: its cookie value (made when missing) and the form value.
fn csrf(state: &AppState, headers: &HeaderMap, path: &str) -> (String, Option<String>) {
    let (value, new_cookie) = match cookie_value(headers, CSRF_COOKIE) {
        Some(value) => (value, None),
        None => {
            let value = random_value();
            let set = cookie(state, CSRF_COOKIE, &value, path, None);
            (value, Some(set))
        }
    };
    (URL_SAFE_NO_PAD.encode(state.user_pools.master_key().mac("hosted-csrf", value.as_bytes())), new_cookie)
}

fn csrf_ok(state: &AppState, headers: &HeaderMap, form: &QueryInput) -> bool {
    let (Some(value), Some(given)) = (cookie_value(headers, CSRF_COOKIE), form.get("_csrf")) else { return false };
    let expected = URL_SAFE_NO_PAD.encode(state.user_pools.master_key().mac("hosted-csrf", value.as_bytes()));
    constant_time_eq(expected.as_bytes(), given.as_bytes())
}

fn csrf_refused(operation: &'static str) -> Response {
    let mut page = error_page("The form has expired or did not come from this site (CSRF token missing or invalid). Go back and try again.", "");
    page.status = StatusCode::FORBIDDEN;
    finish(page, operation)
}

/// One page of the flow: its checked request, look and CSRF token.
struct Flow {
    checked: CheckedAuthorize,
    base: HostedBase,
    look: Look,
    query: String,
    token: String,
    cookies: Vec<String>,
}

async fn flow(state: &AppState, pool_id: &str, base: HostedBase, uri: &Uri, headers: &HeaderMap, operation: &'static str) -> Result<Flow, Response> {
    let request = authorize_request(&query_of(uri));
    let checked = state.user_pools.check_authorize(pool_id, &request).await.map_err(|error| refused(error, &request, operation))?;
    let look = look(state, pool_id, &request.client_id, &base).await;
    let (token, new_cookie) = csrf(state, headers, if base.prefix.is_empty() { "/" } else { &base.prefix });
    Ok(Flow { query: auth_query(&request), checked, base, look, token, cookies: new_cookie.into_iter().collect() })
}

impl Flow {
    fn action(&self, page: &str) -> String {
        format!("{}/{page}?{}", self.base.prefix, self.query)
    }

    fn form(&self, page: &str, fields: &str, submit: &str) -> String {
        format!(
            "<form method=\"post\" action=\"{action}\" novalidate><input type=\"hidden\" name=\"_csrf\" value=\"{token}\">{fields}<button class=\"submitButton-customizable\" type=\"submit\">{submit}</button></form>",
            action = escape(&self.action(page)),
            token = escape(&self.token),
        )
    }

    fn render(self, status: StatusCode, title: &str, error: Option<&str>, info: Option<&str>, content: &str, operation: &'static str) -> Response {
        let body = layout(title, Some(&self.look), error, info, content);
        finish(Page { status, body, cookies: self.cookies }, operation)
    }

    fn session_cookie(&self, state: &AppState, token: &str) -> String {
        let path = if self.base.prefix.is_empty() { "/" } else { &self.base.prefix };
        cookie(state, SESSION_COOKIE, token, path, Some(cognate_domain::user_pool::hosted::HOSTED_SESSION_MS / 1000))
    }

    /// Signs the browser in and sends it back to the app.
    async fn signed_in(mut self, state: &AppState, user: &User, operation: &'static str) -> Response {
        let now = state.clock.now_millis();
        let pool_id = self.checked.pool.id.clone();
        let outcome = async {
            let token = state.user_pools.start_hosted_session(&pool_id, user, now).await?;
            let target = state.user_pools.complete_authorize(&self.checked, user, now).await?;
            Ok::<_, DomainError>((token, target))
        }
        .await;
        match outcome {
            Ok((token, target)) => {
                self.cookies.push(self.session_cookie(state, &token));
                redirect(&target.0, self.cookies, operation)
            }
            Err(error) => finish(error_page(&page_message(&error), &self.look.css), operation),
        }
    }
}

/// What every page handler takes from the request: the pool, how the request reached the
/// pages, the URI (the authorization request's parameters ride in its query) and the headers.
pub struct PageRequest {
    pool_id: String,
    base: HostedBase,
    uri: Uri,
    headers: HeaderMap,
}

impl axum::extract::FromRequestParts<AppState> for PageRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(pool_id) = Path::<String>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let base = base_of(state, parts.extensions.get::<HostedBase>(), &pool_id);
        Ok(PageRequest { pool_id, base, uri: parts.uri.clone(), headers: parts.headers.clone() })
    }
}

impl PageRequest {
    /// The checked authorization request, the look and the CSRF token of a page.
    async fn flow(&self, state: &AppState, operation: &'static str) -> Result<Flow, Response> {
        flow(state, &self.pool_id, self.base.clone(), &self.uri, &self.headers, operation).await
    }

    /// A submitted form whose CSRF token checks out, with the page's flow.
    async fn submitted(&self, state: &AppState, body: &[u8], operation: &'static str) -> Result<(QueryInput, Flow), Response> {
        let Some(form) = read_form(&self.headers, body).filter(|form| csrf_ok(state, &self.headers, form)) else {
            return Err(csrf_refused(operation));
        };
        Ok((form, self.flow(state, operation).await?))
    }
}

fn read_form(headers: &HeaderMap, body: &[u8]) -> Option<QueryInput> {
    let form_encoded = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if form_encoded {
        QueryInput::parse(body).ok()
    } else {
        None
    }
}

/// `GET /oauth2/authorize`.
pub async fn authorize(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "oauth2/authorize";
    let (pool_id, base, uri, headers) = (&page.pool_id, &page.base, &page.uri, &page.headers);
    let request = authorize_request(&query_of(&uri));
    let checked = match state.user_pools.check_authorize(&pool_id, &request).await {
        Ok(checked) => checked,
        Err(error) => return refused(error, &request, OPERATION),
    };
    if let Some(provider) = &checked.upstream {
        let callback = format!("{}{}/oauth2/idpresponse", base.origin, base.prefix);
        return match state.user_pools.start_upstream(&checked, provider, &callback).await {
            Ok(location) => redirect(&location, vec![], OPERATION),
            Err(error) => finish(error_page(&page_message(&error), ""), OPERATION),
        };
    }
    let ask_again = request.prompt.as_deref().is_some_and(|prompt| prompt.split(' ').any(|part| part == "login"));
    if !ask_again {
        if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
            match state.user_pools.hosted_session_user(&pool_id, &token).await {
                Ok(Some((user, auth_time))) => {
                    return match state.user_pools.complete_authorize(&checked, &user, auth_time).await {
                        Ok(target) => redirect(&target.0, vec![], OPERATION),
                        Err(error) => finish(error_page(&page_message(&error), ""), OPERATION),
                    };
                }
                Ok(None) => {}
                Err(error) => return finish(error_page(&page_message(&error), ""), OPERATION),
            }
        }
    }
    if request.prompt.as_deref() == Some("none") {
        return refused(AuthorizeError::Redirect { error: "login_required", description: "The user is not signed in.".into() }, &request, OPERATION);
    }
    redirect(&format!("{}/login?{}", base.prefix, auth_query(&request)), vec![], OPERATION)
}

fn login_content(flow: &Flow, username: &str, has_error: bool) -> String {
    let mut content = String::new();
    if flow.checked.cognito_allowed {
        let fields = format!(
            "{}{}",
            field("username", "Username", "text", "username", username, true, has_error),
            field("password", "Password", "password", "current-password", "", false, has_error),
        );
        content.push_str(&flow.form("login", &fields, "Sign in"));
        content.push_str(&format!(
            "<div class=\"links\"><a class=\"redirect-customizable\" href=\"{}\">Forgot your password?</a><a class=\"redirect-customizable\" href=\"{}\">Need an account? Sign up</a></div>",
            escape(&flow.action("forgotPassword")),
            escape(&flow.action("signup")),
        ));
    }
    for provider in &flow.checked.external_providers {
        let href = format!("{}/oauth2/authorize?{}&identity_provider={}", flow.base.prefix, flow.query, percent_encode(provider));
        content.push_str(&format!(
            "<a class=\"idpButton-customizable\" href=\"{}\">Continue with {}</a>",
            escape(&href),
            escape(provider)
        ));
    }
    content
}

/// `GET /login`.
pub async fn login_page(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "login";
    let flow = match page.flow(&state, OPERATION).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let query = query_of(&page.uri);
    let info = match query.get("notice") {
        Some("confirmed") => Some("Your account is confirmed. Sign in."),
        Some("reset") => Some("Your password has been changed. Sign in."),
        Some("signed_out") => Some("You have signed out."),
        _ => None,
    };
    let content = login_content(&flow, query.get("username").unwrap_or(""), false);
    flow.render(StatusCode::OK, "Sign in", None, info, &content, OPERATION)
}

/// `POST /login`.
pub async fn login_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "login";
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    if !flow.checked.cognito_allowed {
        return finish(error_page("This app does not sign in users of the pool directly.", &flow.look.css), OPERATION);
    }
    let username = form.get("username").unwrap_or("").trim().to_string();
    let password = form.get("password").unwrap_or("");
    if username.is_empty() || password.is_empty() {
        let content = login_content(&flow, &username, true);
        return flow.render(StatusCode::BAD_REQUEST, "Sign in", Some("Enter your username and password."), None, &content, OPERATION);
    }
    let outcome = state.user_pools.hosted_password_sign_in(&flow.checked.pool, &flow.checked.client, &username, password).await;
    match outcome {
        Ok(HostedStep::SignedIn(user)) => flow.signed_in(&state, &user, OPERATION).await,
        Ok(HostedStep::NewPasswordRequired { username, session, required }) => {
            let content = new_password_content(&flow, &username, &session, &required, false);
            flow.render(StatusCode::OK, "Change your password", None, Some("Choose a new password to continue."), &content, OPERATION)
        }
        Err(DomainError::UserNotConfirmed(_)) => {
            let client_id = flow.checked.client.client_id.clone();
            let hash = hosted_secret_hash(&state, &page.pool_id, &client_id, &username).await;
            if let Err(error) = state.user_pools.resend_confirmation_code(&client_id, &username, hash.as_deref()).await {
                tracing::info!(%error, "resending a confirmation code from the sign-in page");
            }
            let location = format!("{}&username={}", flow.action("confirm"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Err(DomainError::PasswordResetRequired(_)) => {
            let client_id = flow.checked.client.client_id.clone();
            let hash = hosted_secret_hash(&state, &page.pool_id, &client_id, &username).await;
            if let Err(error) = state.user_pools.forgot_password(&client_id, &username, hash.as_deref()).await {
                tracing::info!(%error, "sending a reset code from the sign-in page");
            }
            let location = format!("{}&username={}", flow.action("confirmForgotPassword"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Err(error) => {
            let message = page_message(&error);
            let content = login_content(&flow, &username, true);
            flow.render(StatusCode::BAD_REQUEST, "Sign in", Some(&message), None, &content, OPERATION)
        }
    }
}

/// SECRET_HASH for a client with a secret: the pages act for the client.
async fn hosted_secret_hash(state: &AppState, pool_id: &str, client_id: &str, username: &str) -> Option<String> {
    match state.user_pools.hosted_client(pool_id, client_id).await {
        Ok((_, _, Some(secret))) => Some(secret_hash(&secret, username, client_id)),
        _ => None,
    }
}

fn new_password_content(flow: &Flow, username: &str, session: &str, required: &[String], has_error: bool) -> String {
    let mut fields = format!(
        "<input type=\"hidden\" name=\"username\" value=\"{}\"><input type=\"hidden\" name=\"session\" value=\"{}\">",
        escape(username),
        escape(session)
    );
    fields.push_str(&field("password", "New password", "password", "new-password", "", true, has_error));
    for attribute in required {
        fields.push_str(&field(&format!("attr_{attribute}"), &attribute_label(attribute), input_kind(attribute), attribute, "", false, has_error));
    }
    flow.form("newPassword", &fields, "Change password")
}

fn attribute_label(name: &str) -> String {
    match name {
        "email" => "Email".into(),
        "phone_number" => "Phone number".into(),
        "given_name" => "Given name".into(),
        "family_name" => "Family name".into(),
        "name" => "Name".into(),
        other => other.trim_start_matches("custom:").replace('_', " "),
    }
}

fn input_kind(name: &str) -> &'static str {
    match name {
        "email" => "email",
        "phone_number" => "tel",
        _ => "text",
    }
}

fn attributes_from(form: &QueryInput, names: &[String]) -> Vec<Attribute> {
    names
        .iter()
        .filter_map(|name| form.get(&format!("attr_{name}")).map(|value| Attribute { name: name.clone(), value: value.trim().to_string() }))
        .filter(|attribute| !attribute.value.is_empty())
        .collect()
}

/// `POST /newPassword`: answers NEW_PASSWORD_REQUIRED from the sign-in page.
pub async fn new_password_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "newPassword";
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("");
    let required: Vec<String> = flow
        .checked
        .pool
        .shape
        .schema
        .iter()
        .filter(|attribute| attribute.required && attribute.name != "sub")
        .map(|attribute| attribute.name.clone())
        .collect();
    let changes = attributes_from(&form, &required);
    let outcome = state
        .user_pools
        .complete_new_password(&flow.checked.pool, &flow.checked.client, form.get("session"), username, form.get("password").unwrap_or(""), &changes, None)
        .await;
    match outcome {
        Ok(user) => flow.signed_in(&state, &user, OPERATION).await,
        Err(DomainError::NotAuthorized(message)) => {
            let content = login_content(&flow, username, true);
            flow.render(StatusCode::BAD_REQUEST, "Sign in", Some(&format!("{message} Sign in again.")), None, &content, OPERATION)
        }
        Err(error) => {
            // The session was spent by the attempt: sign in again to get a new one.
            let message = page_message(&error);
            let content = login_content(&flow, username, true);
            flow.render(StatusCode::BAD_REQUEST, "Sign in", Some(&format!("{message} Sign in again with your temporary password.")), None, &content, OPERATION)
        }
    }
}

fn signup_content(flow: &Flow, form: Option<&QueryInput>, has_error: bool) -> String {
    let value = |name: &str| form.and_then(|form| form.get(name)).unwrap_or("").to_string();
    let pool = &flow.checked.pool;
    let username_attributes = &pool.shape.username_attributes;
    let mut fields = String::new();
    let username_label = if username_attributes.iter().any(|name| name == "email") {
        "Email"
    } else if !username_attributes.is_empty() {
        "Phone number"
    } else {
        "Username"
    };
    let username_kind = if username_label == "Email" { "email" } else { "text" };
    fields.push_str(&field("username", username_label, username_kind, "username", &value("username"), true, has_error));
    for attribute in signup_attributes(flow) {
        let input = field(&format!("attr_{attribute}"), &attribute_label(&attribute), input_kind(&attribute), &attribute, &value(&format!("attr_{attribute}")), false, has_error);
        let required = pool.shape.schema.iter().any(|schema| schema.name == attribute && schema.required);
        fields.push_str(&if required { input } else { input.replace(" required", "") });
    }
    fields.push_str(&field("password", "Password", "password", "new-password", "", false, has_error));
    let policy = &pool.settings.password_policy;
    let mut rules = vec![format!("at least {} characters", policy.minimum_length)];
    if policy.require_uppercase {
        rules.push("an upper-case letter".into());
    }
    if policy.require_lowercase {
        rules.push("a lower-case letter".into());
    }
    if policy.require_numbers {
        rules.push("a number".into());
    }
    if policy.require_symbols {
        rules.push("a symbol".into());
    }
    fields.push_str(&format!("<p class=\"hint textDescription-customizable\">Passwords need {}.</p>", escape(&rules.join(", "))));
    let mut content = flow.form("signup", &fields, "Sign up");
    content.push_str(&format!(
        "<div class=\"links\"><a class=\"redirect-customizable\" href=\"{}\">Already have an account? Sign in</a></div>",
        escape(&flow.action("login"))
    ));
    content
}

/// The attributes the sign-up form asks for: email (when it is not the username) and the
/// pool's other required attributes.
fn signup_attributes(flow: &Flow) -> Vec<String> {
    let pool = &flow.checked.pool;
    let mut names = Vec::new();
    let email_is_username = pool.shape.username_attributes.iter().any(|name| name == "email");
    let has_email = pool.shape.schema.iter().any(|attribute| attribute.name == "email");
    if !email_is_username && has_email {
        names.push("email".to_string());
    }
    for attribute in &pool.shape.schema {
        if attribute.required && attribute.name != "sub" && !names.contains(&attribute.name) && !(email_is_username && attribute.name == "email") {
            names.push(attribute.name.clone());
        }
    }
    names
}

/// `GET /signup`.
pub async fn signup_page(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "signup";
    let flow = match page.flow(&state, OPERATION).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let content = signup_content(&flow, None, false);
    flow.render(StatusCode::OK, "Sign up", None, None, &content, OPERATION)
}

/// `POST /signup`.
pub async fn signup_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "signup";
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").trim().to_string();
    let attributes = attributes_from(&form, &signup_attributes(&flow));
    let client_id = flow.checked.client.client_id.clone();
    let hash = hosted_secret_hash(&state, &page.pool_id, &client_id, &username).await;
    let outcome = state.user_pools.sign_up(&client_id, &username, form.get("password").unwrap_or(""), &attributes, hash.as_deref()).await;
    match outcome {
        Ok(outcome) if outcome.user_confirmed => {
            let location = format!("{}&notice=confirmed&username={}", flow.action("login"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Ok(_) => {
            let location = format!("{}&username={}", flow.action("confirm"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Err(error) => {
            let message = page_message(&error);
            let content = signup_content(&flow, Some(&form), true);
            flow.render(StatusCode::BAD_REQUEST, "Sign up", Some(&message), None, &content, OPERATION)
        }
    }
}

fn code_content(flow: &Flow, page: &str, username: &str, with_password: bool, has_error: bool) -> String {
    let mut fields = format!("<input type=\"hidden\" name=\"username\" value=\"{}\">", escape(username));
    fields.push_str(&field("code", "Verification code", "text", "one-time-code", "", true, has_error));
    if with_password {
        fields.push_str(&field("password", "New password", "password", "new-password", "", false, has_error));
    }
    let submit = if with_password { "Change password" } else { "Confirm account" };
    let mut content = flow.form(page, &fields, submit);
    if !with_password {
        let resend = format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\"><input type=\"hidden\" name=\"username\" value=\"{}\"><input type=\"hidden\" name=\"resend\" value=\"1\"><button class=\"secondary\" type=\"submit\">Send a new code</button></form>",
            escape(&flow.action(page)),
            escape(&flow.token),
            escape(username)
        );
        content.push_str(&resend);
    }
    content
}

/// `GET /confirm` and `GET /confirmForgotPassword`.
pub async fn code_page(State(state): State<AppState>, page: PageRequest) -> Response {
    let reset = page.uri.path().ends_with("/confirmForgotPassword");
    let operation = if reset { "confirmForgotPassword" } else { "confirm" };
    let flow = match page.flow(&state, operation).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let query = query_of(&page.uri);
    let username = query.get("username").unwrap_or("").to_string();
    let (title, info) = if reset {
        ("Reset your password", "We sent a code to reset your password. Enter it and choose a new password.")
    } else {
        ("Confirm your account", "We sent a code to you. Enter it to confirm your account.")
    };
    let content = code_content(&flow, operation, &username, reset, false);
    flow.render(StatusCode::OK, title, None, Some(info), &content, operation)
}

/// `POST /confirm` and `POST /confirmForgotPassword`.
pub async fn code_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    let reset = page.uri.path().ends_with("/confirmForgotPassword");
    let operation = if reset { "confirmForgotPassword" } else { "confirm" };
    let (form, flow) = match page.submitted(&state, &body, operation).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").to_string();
    let client_id = flow.checked.client.client_id.clone();
    let hash = hosted_secret_hash(&state, &page.pool_id, &client_id, &username).await;
    let title = if reset { "Reset your password" } else { "Confirm your account" };
    if !reset && form.get("resend").is_some() {
        let outcome = state.user_pools.resend_confirmation_code(&client_id, &username, hash.as_deref()).await;
        let content = code_content(&flow, operation, &username, false, false);
        return match outcome {
            Ok(_) => flow.render(StatusCode::OK, title, None, Some("We sent a new code."), &content, operation),
            Err(error) => {
                let message = page_message(&error);
                flow.render(StatusCode::BAD_REQUEST, title, Some(&message), None, &content, operation)
            }
        };
    }
    let code = form.get("code").unwrap_or("").trim();
    let outcome = if reset {
        state.user_pools.confirm_forgot_password(&client_id, &username, code, form.get("password").unwrap_or(""), hash.as_deref()).await
    } else {
        state.user_pools.confirm_sign_up(&client_id, &username, code, hash.as_deref(), false).await
    };
    match outcome {
        Ok(()) => {
            let notice = if reset { "reset" } else { "confirmed" };
            let location = format!("{}&notice={notice}&username={}", flow.action("login"), percent_encode(&username));
            redirect(&location, flow.cookies, operation)
        }
        Err(error) => {
            let message = page_message(&error);
            let content = code_content(&flow, operation, &username, reset, true);
            flow.render(StatusCode::BAD_REQUEST, title, Some(&message), None, &content, operation)
        }
    }
}

/// `GET /forgotPassword`.
pub async fn forgot_page(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "forgotPassword";
    let flow = match page.flow(&state, OPERATION).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let content = flow.form("forgotPassword", &field("username", "Username", "text", "username", "", true, false), "Send a reset code");
    flow.render(StatusCode::OK, "Forgot your password?", None, Some("Enter your username and we will send you a code to reset your password."), &content, OPERATION)
}

/// `POST /forgotPassword`.
pub async fn forgot_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "forgotPassword";
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").trim().to_string();
    let client_id = flow.checked.client.client_id.clone();
    let hash = hosted_secret_hash(&state, &page.pool_id, &client_id, &username).await;
    match state.user_pools.forgot_password(&client_id, &username, hash.as_deref()).await {
        // An unknown user is not told apart: the page moves on either way.
        Ok(_) | Err(DomainError::UserNotFound(_)) => {
            let location = format!("{}&username={}", flow.action("confirmForgotPassword"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Err(error) => {
            let message = page_message(&error);
            let content = flow.form("forgotPassword", &field("username", "Username", "text", "username", &username, true, true), "Send a reset code");
            flow.render(StatusCode::BAD_REQUEST, "Forgot your password?", Some(&message), None, &content, OPERATION)
        }
    }
}

/// `GET /logout`: ends the browser's session, then either goes to `logout_uri` (one of the
/// client's sign-out URLs) or, with `redirect_uri` and `response_type`, back to the sign-in page.
pub async fn logout(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "logout";
    let (pool_id, base, uri, headers) = (&page.pool_id, &page.base, &page.uri, &page.headers);
    let query = query_of(&uri);
    let client_id = query.get("client_id").unwrap_or("");
    let target = if let Some(logout_uri) = query.get("logout_uri") {
        match state.user_pools.check_logout(&pool_id, client_id, logout_uri).await {
            Ok(()) => logout_uri.to_string(),
            Err(_) => return finish(error_page("The client_id or logout_uri is not valid for this app.", ""), OPERATION),
        }
    } else {
        let request = authorize_request(&query);
        if let Err(error) = state.user_pools.check_authorize(&pool_id, &request).await {
            return match error {
                AuthorizeError::Page(_) => finish(error_page("Sign-out needs client_id with logout_uri, or with redirect_uri and response_type.", ""), OPERATION),
                other => refused(other, &request, OPERATION),
            };
        }
        format!("{}/login?{}&notice=signed_out", base.prefix, auth_query(&request))
    };
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        if let Err(error) = state.user_pools.end_hosted_session(&pool_id, &token).await {
            return finish(error_page(&page_message(&error), ""), OPERATION);
        }
    }
    let path = if base.prefix.is_empty() { "/".to_string() } else { base.prefix.clone() };
    let cleared = cookie(&state, SESSION_COOKIE, "", &path, Some(0));
    redirect(&target, vec![cleared], OPERATION)
}

/// `GET|POST /oauth2/idpresponse`: the upstream provider sends the browser back here with
/// `code` and `state` (Sign in with Apple POSTs them).
pub async fn idp_response(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "oauth2/idpresponse";
    let (pool_id, base, uri, headers) = (&page.pool_id, &page.base, &page.uri, &page.headers);
    let params = read_form(&headers, &body).filter(|form| form.get("state").is_some()).unwrap_or_else(|| query_of(&uri));
    if let Some(error) = params.get("error") {
        let description = params.get("error_description").unwrap_or("");
        return finish(error_page(&format!("The identity provider refused the sign-in: {error} {description}"), ""), OPERATION);
    }
    let (Some(upstream_state), Some(code)) = (params.get("state"), params.get("code")) else {
        return finish(error_page("The identity provider's answer has no code or state.", ""), OPERATION);
    };
    let callback = format!("{}{}/oauth2/idpresponse", base.origin, base.prefix);
    match state.user_pools.finish_upstream(&pool_id, upstream_state, code, &callback).await {
        Ok((checked, user)) => {
            let look = look(&state, &pool_id, &checked.client.client_id, &base).await;
            let flow = Flow { query: auth_query(&checked.request), checked, base: base.clone(), look, token: String::new(), cookies: vec![] };
            flow.signed_in(&state, &user, OPERATION).await
        }
        Err(error) => finish(error_page(&page_message(&error), ""), OPERATION),
    }
}

/// `GET /error`.
pub async fn error(uri: Uri) -> Response {
    let query = query_of(&uri);
    let message = query.get("error_description").or(query.get("error")).unwrap_or("An error occurred.");
    finish(error_page(message, ""), "error")
}

/// `GET /<pool id>/_ui/<client id or ALL>/logo`: the logo of SetUICustomization.
pub async fn logo(State(state): State<AppState>, Path((pool_id, client_id)): Path<(String, String)>) -> Response {
    let found = state.user_pools.get_ui_customization(&pool_id, Some(&client_id)).await.ok().flatten();
    match found.and_then(|custom| Some((custom.image?, custom.image_type?))) {
        Some((image, kind)) => match base64::engine::general_purpose::STANDARD.decode(image) {
            Ok(bytes) => {
                let mut response = (StatusCode::OK, bytes).into_response();
                if let Ok(value) = HeaderValue::from_str(&kind) {
                    response.headers_mut().insert("content-type", value);
                }
                response.headers_mut().insert("cache-control", HeaderValue::from_static("public, max-age=86400"));
                response
            }
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        },
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

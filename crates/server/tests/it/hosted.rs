//! The hosted sign-in, driven over HTTP the way a browser does (reqwest with a cookie jar kept
//! here, no redirects followed): domains and UI customization (AWS SDK for Rust), the
//! authorization endpoint, the pages with their CSRF tokens and session cookie, the code + PKCE
//! exchange, the implicit flow, logout, and every refusal the issue names; on both backends.
//! Federation is driven against a second cognate acting as the upstream OIDC provider and a
//! hand-built upstream that misbehaves (bad signature, bad nonce).

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, CustomDomainConfigType, IdentityProviderTypeType, OAuthFlowType, ProviderUserIdentifierType,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sha2::Digest;

use crate::harness::{create_pool, error_code, TestServer};
use crate::on_both_backends;
use crate::sign_up::latest_code;

const CALLBACK: &str = "https://app.example.com/callback";
const SIGNED_OUT: &str = "https://app.example.com/signed-out";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more-entropy";

/// A browser: keeps cookies, follows nothing by itself.
pub struct Browser {
    http: reqwest::Client,
    cookies: HashMap<String, String>,
    host: Option<String>,
}

pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub set_cookies: Vec<String>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser { http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(), cookies: HashMap::new(), host: None }
    }

    fn take_cookies(&mut self, response: &reqwest::Response) -> Vec<String> {
        let mut seen = Vec::new();
        for header in response.headers().get_all("set-cookie") {
            let text = header.to_str().unwrap().to_string();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let expired = text.contains("Max-Age=0");
            if expired || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
            seen.push(text);
        }
        seen
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let mut request = request.header("cookie", self.cookie_header());
        if let Some(host) = &self.host {
            request = request.header("host", host.clone());
        }
        let response = request.send().await.unwrap();
        let set_cookies = self.take_cookies(&response);
        let status = response.status().as_u16();
        let location = response.headers().get("location").map(|value| value.to_str().unwrap().to_string());
        Answer { status, location, body: response.text().await.unwrap(), set_cookies }
    }

    pub async fn get(&mut self, url: &str) -> Answer {
        let request = self.http.get(url);
        self.send(request).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Answer {
        let request = self.http.post(url).form(form);
        self.send(request).await
    }
}

/// The value of a hidden or text input in a page.
pub fn input_value(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let start = page.find(&marker)?;
    let rest = &page[start..];
    let value_start = rest.find("value=\"")? + "value=\"".len();
    let value = &rest[value_start..];
    Some(unescape(&value[..value.find('"')?]))
}

/// The action of the first form in a page, made absolute.
pub fn form_action(base_url: &str, page: &str) -> String {
    let start = page.find("action=\"").expect("a form") + "action=\"".len();
    let action = unescape(&page[start..start + page[start..].find('"').unwrap()]);
    if action.starts_with("http") {
        action
    } else {
        format!("{base_url}{action}")
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&#39;", "'").replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// A query parameter of a URL (or of its fragment).
pub fn parameter(url: &str, name: &str) -> Option<String> {
    let query = url.split_once(['?', '#']).map(|(_, query)| query)?;
    query.split(['&', '#']).filter_map(|pair| pair.split_once('=')).find(|(key, _)| *key == name).map(|(_, value)| {
        percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned()
    })
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn claims(token: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

pub fn authorize_url(base: &str, client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse(&format!("{base}/oauth2/authorize")).unwrap();
    url.query_pairs_mut().append_pair("client_id", client_id).append_pair("redirect_uri", CALLBACK);
    for (name, value) in extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    url.to_string()
}

/// A public client with the code and implicit flows.
pub async fn web_client(server: &TestServer, pool_id: &str, providers: &[&str], callback: &str) -> String {
    let mut request = server
        .idp
        .create_user_pool_client()
        .user_pool_id(pool_id)
        .client_name("web")
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_flows(OAuthFlowType::Implicit)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("email")
        .allowed_o_auth_scopes("profile")
        .allowed_o_auth_scopes("aws.cognito.signin.user.admin")
        .callback_urls(callback)
        .logout_urls(SIGNED_OUT);
    for provider in providers {
        request = request.supported_identity_providers(*provider);
    }
    request.send().await.unwrap().user_pool_client.unwrap().client_id.unwrap()
}

async fn create_user(server: &TestServer, pool_id: &str, username: &str, password: &str) {
    server
        .idp
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(username)
        .user_attributes(AttributeType::builder().name("email").value(format!("{username}@example.com")).build().unwrap())
        .user_attributes(AttributeType::builder().name("email_verified").value("true").build().unwrap())
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    server.idp.admin_set_user_password().user_pool_id(pool_id).username(username).password(password).permanent(true).send().await.unwrap();
}

async fn exchange(server: &TestServer, pool_id: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new().post(format!("{}/{pool_id}/oauth2/token", server.base_url)).form(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Walks authorize → sign-in page → POST; returns the redirect to the app.
pub async fn sign_in_through_pages(browser: &mut Browser, base_url: &str, authorize: &str, username: &str, password: &str) -> String {
    let answer = browser.get(authorize).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let login = answer.location.unwrap();
    let login = if login.starts_with("http") { login } else { format!("{base_url}{login}") };
    let page = browser.get(&login).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = input_value(&page.body, "_csrf").expect("a CSRF token");
    let answer = browser.post(&form_action(base_url, &page.body), &[("_csrf", &csrf), ("username", username), ("password", password)]).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    answer.location.unwrap()
}

async fn code_flow(server: TestServer) {
    let base = &server.base_url;
    let pool_id = create_pool(&server).await;
    let client_id = web_client(&server, &pool_id, &["COGNITO"], CALLBACK).await;
    create_user(&server, &pool_id, "ana", "Passw0rd!x").await;

    // Domain operations; the pool shows its domain.
    let domain = crate::harness::unique("app-").to_lowercase();
    let created = server.idp.create_user_pool_domain().domain(&domain).user_pool_id(&pool_id).send().await.unwrap();
    assert!(created.cloud_front_domain().unwrap().starts_with(&format!("{domain}.localhost:")));
    let described = server.idp.describe_user_pool_domain().domain(&domain).send().await.unwrap();
    assert_eq!(described.domain_description().unwrap().user_pool_id(), Some(pool_id.as_str()));
    assert_eq!(server.idp.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap().user_pool().unwrap().domain(), Some(domain.as_str()));
    let other_pool = create_pool(&server).await;
    let taken = server.idp.create_user_pool_domain().domain(&domain).user_pool_id(&other_pool).send().await;
    assert_eq!(error_code(&taken.unwrap_err()), "InvalidParameterException");
    let reserved = server.idp.create_user_pool_domain().domain("my-cognito-app").user_pool_id(&other_pool).send().await;
    assert_eq!(error_code(&reserved.unwrap_err()), "InvalidParameterException");
    let custom = server
        .idp
        .create_user_pool_domain()
        .domain("auth.example.test")
        .user_pool_id(&other_pool)
        .custom_domain_config(CustomDomainConfigType::builder().certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/x").build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(created.managed_login_version(), Some(1));
    assert_eq!(custom.cloud_front_domain(), Some("auth.example.test"));
    let busy = server.idp.delete_user_pool().user_pool_id(&other_pool).send().await;
    assert_eq!(error_code(&busy.unwrap_err()), "InvalidParameterException");
    server.idp.delete_user_pool_domain().domain("auth.example.test").user_pool_id(&other_pool).send().await.unwrap();
    let gone = server.idp.describe_user_pool_domain().domain("auth.example.test").send().await.unwrap();
    assert!(gone.domain_description().unwrap().user_pool_id().is_none());

    // UI customization: the pages carry the CSS and the logo.
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";
    server
        .idp
        .set_ui_customization()
        .user_pool_id(&pool_id)
        .css(".banner-customizable { background-color: rgb(10, 20, 30); }")
        .image_file(aws_sdk_cognitoidentityprovider::primitives::Blob::new(png.to_vec()))
        .send()
        .await
        .unwrap();
    let bad_css = server.idp.set_ui_customization().user_pool_id(&pool_id).css("</style><script>").send().await;
    assert_eq!(error_code(&bad_css.unwrap_err()), "InvalidParameterException");
    let got = server.idp.get_ui_customization().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap();
    let customization = got.ui_customization().unwrap();
    assert!(customization.css().unwrap().contains("rgb(10, 20, 30)"));
    let logo = reqwest::get(customization.image_url().unwrap()).await.unwrap();
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert_eq!(logo.bytes().await.unwrap().as_ref(), png);

    // Discovery lists the endpoints.
    let discovery: Value = reqwest::get(format!("{base}/{pool_id}/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["authorization_endpoint"], format!("{base}/{pool_id}/oauth2/authorize"));
    assert_eq!(discovery["end_session_endpoint"], format!("{base}/{pool_id}/logout"));

    let issuer = format!("{base}/{pool_id}");
    let code_request = |state: &str| {
        authorize_url(
            &issuer,
            &client_id,
            &[("response_type", "code"), ("scope", "openid email"), ("state", state), ("nonce", "n-0S6"), ("code_challenge", &challenge(VERIFIER)), ("code_challenge_method", "S256")],
        )
    };
    let mut browser = Browser::new();
    let answer = browser.get(&code_request("s1")).await;
    assert_eq!(answer.status, 302);
    let login_url = format!("{base}{}", answer.location.unwrap());
    assert!(login_url.starts_with(&format!("{issuer}/login?")), "{login_url}");
    let page = browser.get(&login_url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("rgb(10, 20, 30)"), "the CSS is applied");
    assert!(page.body.contains("<label class=\"label-customizable\" for=\"username\">"), "fields are labelled");
    assert!(page.set_cookies.iter().any(|cookie| cookie.starts_with("XSRF-TOKEN=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax")));
    let csrf = input_value(&page.body, "_csrf").unwrap();
    let action = form_action(base, &page.body);

    // CSRF: a post without the token, or with another browser's cookie, is refused.
    let refused = browser.post(&action, &[("username", "ana"), ("password", "Passw0rd!x")]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("CSRF"));
    let mut stranger = Browser::new();
    let refused = stranger.post(&action, &[("_csrf", &csrf), ("username", "ana"), ("password", "Passw0rd!x")]).await;
    assert_eq!(refused.status, 403);

    // A wrong password shows the page again with the error; the right one goes to the app.
    let wrong = browser.post(&action, &[("_csrf", &csrf), ("username", "ana"), ("password", "wrong-password")]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("Incorrect username or password."));
    assert!(wrong.body.contains("role=\"alert\""));
    let unknown = browser.post(&action, &[("_csrf", &csrf), ("username", "nobody"), ("password", "wrong-password")]).await;
    assert!(unknown.body.contains("Incorrect username or password."), "unknown users are not told apart");
    let done = browser.post(&action, &[("_csrf", &csrf), ("username", "ana"), ("password", "Passw0rd!x")]).await;
    assert_eq!(done.status, 302, "{}", done.body);
    let target = done.location.unwrap();
    assert!(target.starts_with(&format!("{CALLBACK}?code=")), "{target}");
    assert_eq!(parameter(&target, "state").as_deref(), Some("s1"));
    assert!(done.set_cookies.iter().any(|cookie| cookie.starts_with("cognate-session=") && cookie.contains("HttpOnly")));
    let code = parameter(&target, "code").unwrap();

    // A wrong verifier is refused, and spends the code.
    let wrong_verifier = "x".repeat(50);
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", &wrong_verifier)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", VERIFIER)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "a spent code: {body}");

    // Signed in already: authorize answers with a code at once.
    let answer = browser.get(&code_request("s2")).await;
    let target = answer.location.unwrap();
    assert!(target.starts_with(CALLBACK), "{target}");
    let code = parameter(&target, "code").unwrap();
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", "https://app.example.com/other"), ("code_verifier", VERIFIER)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "another redirect_uri: {body}");

    let code = parameter(&browser.get(&code_request("s3")).await.location.unwrap(), "code").unwrap();
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "no verifier: {body}");
    let code = parameter(&browser.get(&code_request("s4")).await.location.unwrap(), "code").unwrap();
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", "unknownclient0000000000000"), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", VERIFIER)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")), "{body}");
    let code = parameter(&browser.get(&code_request("s5")).await.location.unwrap(), "code").unwrap();
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!((id["aud"].as_str(), id["nonce"].as_str(), id["token_use"].as_str()), (Some(client_id.as_str()), Some("n-0S6"), Some("id")));
    assert_eq!(id["cognito:username"], "ana");
    assert!(id["at_hash"].is_string());
    let access = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(claims(&access)["scope"], "openid email");
    let refresh = body["refresh_token"].as_str().unwrap().to_string();

    // userInfo answers by scope; a token without the admin scope cannot call GetUser.
    let info: Value = reqwest::Client::new().get(format!("{issuer}/oauth2/userInfo")).bearer_auth(&access).send().await.unwrap().json().await.unwrap();
    assert_eq!((info["email"].as_str(), info["username"].as_str()), (Some("ana@example.com"), Some("ana")));
    let get_user = server.idp.get_user().access_token(&access).send().await;
    assert_eq!(error_code(&get_user.unwrap_err()), "NotAuthorizedException");
    // The refresh grant keeps the scopes of the sign-in.
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "refresh_token"), ("client_id", &client_id), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["scope"], "openid email");

    // A replayed code is refused, and the tokens issued for it are revoked (RFC 6749 §4.1.2).
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", VERIFIER)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "a reused code: {body}");
    let revoked = reqwest::Client::new().get(format!("{issuer}/oauth2/userInfo")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(revoked.status().as_u16(), 401, "the access token of a replayed code is revoked");
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "refresh_token"), ("client_id", &client_id), ("refresh_token", &refresh)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "so is its refresh token: {body}");

    // prompt=login asks again despite the session.
    let again = browser.get(&format!("{}&prompt=login", code_request("s6"))).await;
    assert!(again.location.unwrap().contains("/login?"));

    // The implicit flow: tokens in the fragment, no refresh token.
    let implicit = browser.get(&authorize_url(&issuer, &client_id, &[("response_type", "token"), ("scope", "openid aws.cognito.signin.user.admin"), ("state", "i1")])).await;
    let target = implicit.location.unwrap();
    assert!(target.starts_with(&format!("{CALLBACK}#access_token=")), "{target}");
    assert!(parameter(&target, "id_token").is_some() && parameter(&target, "refresh_token").is_none());
    assert_eq!(parameter(&target, "state").as_deref(), Some("i1"));
    let implicit_access = parameter(&target, "access_token").unwrap();
    let user = server.idp.get_user().access_token(&implicit_access).send().await.unwrap();
    assert_eq!(user.username(), "ana");

    // Refusals of the authorization endpoint.
    let wrong_redirect = browser.get(&code_request("r").replace("app.example.com%2Fcallback", "evil.example.com%2Fcallback")).await;
    assert_eq!(wrong_redirect.status, 400, "no redirect to an unregistered URI");
    assert!(wrong_redirect.location.is_none());
    let unknown_client = browser.get(&authorize_url(&issuer, "unknownclient0000000000000", &[("response_type", "code")])).await;
    assert_eq!(unknown_client.status, 400);
    let bad_scope = browser.get(&authorize_url(&issuer, &client_id, &[("response_type", "code"), ("scope", "openid phone"), ("state", "z")])).await;
    let target = bad_scope.location.unwrap();
    assert_eq!((parameter(&target, "error").as_deref(), parameter(&target, "state").as_deref()), (Some("invalid_scope"), Some("z")));
    let bad_type = browser.get(&authorize_url(&issuer, &client_id, &[("response_type", "id_token")])).await;
    assert_eq!(parameter(&bad_type.location.unwrap(), "error").as_deref(), Some("unsupported_response_type"));
    let plain = browser.get(&authorize_url(&issuer, &client_id, &[("response_type", "code"), ("code_challenge", "abc"), ("code_challenge_method", "plain")])).await;
    assert_eq!(parameter(&plain.location.unwrap(), "error").as_deref(), Some("invalid_request"));

    // The pool's domain answers at the root of its host name.
    let port = base.rsplit(':').next().unwrap();
    let mut on_domain = Browser::new();
    on_domain.host = Some(format!("{domain}.127.0.0.1:{port}"));
    let answer = on_domain.get(&authorize_url(base, &client_id, &[("response_type", "code"), ("scope", "openid")])).await;
    assert_eq!(answer.status, 302);
    assert!(answer.location.as_deref().unwrap().starts_with("/login?"), "{:?}", answer.location);
    let page = on_domain.get(&format!("{base}{}", answer.location.unwrap())).await;
    assert_eq!(page.status, 200);
    assert!(page.set_cookies.iter().any(|cookie| cookie.contains("Path=/;")));

    // Logout: only to a registered sign-out URL; it ends the session.
    let bad = browser.get(&format!("{issuer}/logout?client_id={client_id}&logout_uri=https%3A%2F%2Fevil.example.com")).await;
    assert_eq!(bad.status, 400);
    let out = browser.get(&format!("{issuer}/logout?client_id={client_id}&logout_uri={}", crate::hosted::encode(SIGNED_OUT))).await;
    assert_eq!((out.status, out.location.as_deref()), (302, Some(SIGNED_OUT)));
    let after = browser.get(&code_request("s7")).await;
    assert!(after.location.unwrap().contains("/login?"), "signed out: the form again");
}
on_both_backends!(authorization_code_flow, super::code_flow);

pub fn encode(value: &str) -> String {
    url_encode(value)
}

fn url_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn pages_flow(server: TestServer) {
    let base = &server.base_url;
    let pool_id = crate::harness::pool_from(server
        .idp
        .create_user_pool()
        .pool_name(crate::harness::unique("pages"))
        .auto_verified_attributes(aws_sdk_cognitoidentityprovider::types::VerifiedAttributeType::Email)).await;
    let client_id = web_client(&server, &pool_id, &["COGNITO"], CALLBACK).await;
    let issuer = format!("{base}/{pool_id}");
    let request = authorize_url(&issuer, &client_id, &[("response_type", "code"), ("scope", "openid email")]);
    let mut browser = Browser::new();
    browser.get(&request).await;

    // Sign up, confirm with the code from the outbox, sign in.
    let signup = browser.get(&format!("{issuer}/signup?{}", request.split_once('?').unwrap().1)).await;
    assert_eq!(signup.status, 200);
    let csrf = input_value(&signup.body, "_csrf").unwrap();
    let action = form_action(base, &signup.body);
    let weak = browser.post(&action, &[("_csrf", &csrf), ("username", "zoe"), ("attr_email", "zoe@example.com"), ("password", "short")]).await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("Password does not conform to policy"), "{}", weak.body);
    let created = browser.post(&action, &[("_csrf", &csrf), ("username", "zoe"), ("attr_email", "zoe@example.com"), ("password", "Passw0rd!zoe")]).await;
    assert_eq!(created.status, 302, "{}", created.body);
    let confirm = format!("{base}{}", created.location.unwrap());
    assert!(confirm.contains("/confirm?") && confirm.contains("username=zoe"));
    let page = browser.get(&confirm).await;
    let wrong = browser.post(&form_action(base, &page.body), &[("_csrf", &csrf), ("username", "zoe"), ("code", "000000")]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("Invalid verification code"), "{}", wrong.body);
    let code = latest_code(&server, &pool_id, "zoe@example.com").await;
    let confirmed = browser.post(&form_action(base, &page.body), &[("_csrf", &csrf), ("username", "zoe"), ("code", &code)]).await;
    assert_eq!(confirmed.status, 302, "{}", confirmed.body);
    let login = browser.get(&format!("{base}{}", confirmed.location.unwrap())).await;
    assert!(login.body.contains("Your account is confirmed."));
    let target = browser.post(&form_action(base, &login.body), &[("_csrf", &csrf), ("username", "zoe"), ("password", "Passw0rd!zoe")]).await;
    assert!(target.location.unwrap().starts_with(&format!("{CALLBACK}?code=")));

    // Forgot password: a code, a new password, sign in with it.
    let mut other = Browser::new();
    let page = other.get(&format!("{issuer}/forgotPassword?{}", request.split_once('?').unwrap().1)).await;
    let csrf = input_value(&page.body, "_csrf").unwrap();
    let sent = other.post(&form_action(base, &page.body), &[("_csrf", &csrf), ("username", "zoe")]).await;
    assert_eq!(sent.status, 302, "{}", sent.body);
    let page = other.get(&format!("{base}{}", sent.location.unwrap())).await;
    let code = latest_code(&server, &pool_id, "zoe@example.com").await;
    let reset = other.post(&form_action(base, &page.body), &[("_csrf", &csrf), ("username", "zoe"), ("code", &code), ("password", "N3w-Passw0rd!")]).await;
    assert_eq!(reset.status, 302, "{}", reset.body);
    let target = sign_in_through_pages(&mut Browser::new(), base, &request, "zoe", "N3w-Passw0rd!").await;
    assert!(target.starts_with(&format!("{CALLBACK}?code=")));

    // An invited user chooses a password on the new-password page.
    server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("max")
        .temporary_password("Temp0rary!pw")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let mut invited = Browser::new();
    let answer = invited.get(&request).await;
    let page = invited.get(&format!("{base}{}", answer.location.unwrap())).await;
    let csrf = input_value(&page.body, "_csrf").unwrap();
    let challenge_page = invited.post(&form_action(base, &page.body), &[("_csrf", &csrf), ("username", "max"), ("password", "Temp0rary!pw")]).await;
    assert_eq!(challenge_page.status, 200);
    assert!(challenge_page.body.contains("Change your password"));
    let session = input_value(&challenge_page.body, "session").unwrap();
    let done = invited
        .post(&form_action(base, &challenge_page.body), &[("_csrf", &csrf), ("username", "max"), ("session", &session), ("password", "Ch0sen!password")])
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert!(done.location.unwrap().starts_with(&format!("{CALLBACK}?code=")));
    let user = server.idp.admin_get_user().user_pool_id(&pool_id).username("max").send().await.unwrap();
    assert_eq!(user.user_status().map(|status| status.as_str()), Some("CONFIRMED"));
}
on_both_backends!(sign_up_and_recovery_pages, super::pages_flow);

/// Federation with a second cognate as the upstream OIDC provider: first sign-in creates
/// `Upstream_<sub>` with the mapped email and the `identities` claim; a linked identity signs in
/// as the native user.
async fn federation_flow(server: TestServer) {
    let upstream = TestServer::start(crate::harness::Backend::Sqlite).await;
    let base = &server.base_url;
    let pool_id = create_pool(&server).await;
    let callback_on_us = format!("{base}/{pool_id}/oauth2/idpresponse");

    // The upstream pool: a confidential client whose callback is our idpresponse.
    let upstream_pool = create_pool(&upstream).await;
    let upstream_client = upstream
        .idp
        .create_user_pool_client()
        .user_pool_id(&upstream_pool)
        .client_name("broker")
        .generate_secret(true)
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("email")
        .callback_urls(&callback_on_us)
        .supported_identity_providers("COGNITO")
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    create_user(&upstream, &upstream_pool, "bob", "Upstr3am!pw").await;
    create_user(&upstream, &upstream_pool, "carol", "Upstr3am!pw").await;
    let upstream_issuer = format!("{}/{upstream_pool}", upstream.base_url);

    let details = |secret: &str| {
        HashMap::from([
            ("client_id".to_string(), upstream_client.client_id().unwrap().to_string()),
            ("client_secret".to_string(), secret.to_string()),
            ("attributes_request_method".to_string(), "GET".to_string()),
            ("oidc_issuer".to_string(), upstream_issuer.clone()),
            ("authorize_scopes".to_string(), "openid email".to_string()),
        ])
    };
    let created = server
        .idp
        .create_identity_provider()
        .user_pool_id(&pool_id)
        .provider_name("Upstream")
        .provider_type(IdentityProviderTypeType::Oidc)
        .set_provider_details(Some(details(upstream_client.client_secret().unwrap())))
        .attribute_mapping("email", "email")
        .idp_identifiers("upstream.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(created.identity_provider().unwrap().attribute_mapping().unwrap().get("username").map(String::as_str), Some("sub"));
    let duplicate = server.idp.create_identity_provider().user_pool_id(&pool_id).provider_name("Upstream").provider_type(IdentityProviderTypeType::Oidc).set_provider_details(Some(details("x"))).send().await;
    assert_eq!(error_code(&duplicate.unwrap_err()), "DuplicateProviderException");
    let saml = server.idp.create_identity_provider().user_pool_id(&pool_id).provider_name("Corp").provider_type(IdentityProviderTypeType::Saml).provider_details("MetadataFile", "<EntityDescriptor xmlns='urn:oasis:names:tc:SAML:2.0:metadata' entityID='x'/>").send().await;
    assert_eq!(error_code(&saml.unwrap_err()), "InvalidParameterException", "SAML metadata that describes no IdP is refused");
    let by_identifier = server.idp.get_identity_provider_by_identifier().user_pool_id(&pool_id).idp_identifier("upstream.example.com").send().await.unwrap();
    assert_eq!(by_identifier.identity_provider().unwrap().provider_name(), Some("Upstream"));
    let listed = server.idp.list_identity_providers().user_pool_id(&pool_id).max_results(10).send().await.unwrap();
    assert_eq!(listed.providers().len(), 1);
    let described = server.idp.describe_identity_provider().user_pool_id(&pool_id).provider_name("Upstream").send().await.unwrap();
    assert_eq!(described.identity_provider().unwrap().provider_details().unwrap().get("client_secret").map(String::as_str), upstream_client.client_secret());

    let client_id = web_client(&server, &pool_id, &["COGNITO", "Upstream"], CALLBACK).await;
    let issuer = format!("{base}/{pool_id}");
    let request = |extra: &[(&str, &str)]| {
        let mut parameters = vec![("response_type", "code"), ("scope", "openid email"), ("nonce", "app-nonce")];
        parameters.extend_from_slice(extra);
        authorize_url(&issuer, &client_id, &parameters)
    };

    // The sign-in page offers the provider.
    let mut browser = Browser::new();
    let login = browser.get(&request(&[])).await.location.unwrap();
    let page = browser.get(&format!("{base}{login}")).await;
    assert!(page.body.contains("Continue with Upstream"));

    let federated_sign_in = |username: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let request = request(&extra);
        let upstream_base = upstream.base_url.clone();
        let base = base.clone();
        async move {
            let mut browser = Browser::new();
            let to_upstream = browser.get(&request).await;
            assert_eq!(to_upstream.status, 302, "{}", to_upstream.body);
            let upstream_authorize = to_upstream.location.unwrap();
            assert!(upstream_authorize.starts_with(&upstream_base), "{upstream_authorize}");
            assert!(upstream_authorize.contains("code_challenge=") && upstream_authorize.contains("nonce="));
            let back = sign_in_through_pages(&mut browser, &upstream_base, &upstream_authorize, username, "Upstr3am!pw").await;
            assert!(back.starts_with(&format!("{base}/")), "{back}");
            let app = browser.get(&back).await;
            assert_eq!(app.status, 302, "{}", app.body);
            app.location.unwrap()
        }
    };
    let target = federated_sign_in("bob", vec![("identity_provider", "Upstream")]).await;
    assert!(target.starts_with(&format!("{CALLBACK}?code=")), "{target}");
    let code = parameter(&target, "code").unwrap();
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK)]).await;
    assert_eq!(status, 200, "{body}");
    let id = claims(body["id_token"].as_str().unwrap());
    let username = id["cognito:username"].as_str().unwrap();
    assert!(username.starts_with("Upstream_"), "{id}");
    assert_eq!(id["email"], "bob@example.com");
    assert_eq!(id["nonce"], "app-nonce");
    assert_eq!(id["identities"][0]["providerName"], "Upstream");
    let user = server.idp.admin_get_user().user_pool_id(&pool_id).username(username).send().await.unwrap();
    assert_eq!(user.user_status().map(|status| status.as_str()), Some("EXTERNAL_PROVIDER"));

    // idp_identifier picks the provider too; a second sign-in finds the same user.
    let target = federated_sign_in("bob", vec![("idp_identifier", "upstream.example.com")]).await;
    let code = parameter(&target, "code").unwrap();
    let (_, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK)]).await;
    assert_eq!(claims(body["id_token"].as_str().unwrap())["cognito:username"].as_str(), Some(username));

    // Carol's upstream identity is linked to the native user dora before she first signs in.
    create_user(&server, &pool_id, "dora", "Passw0rd!dora").await;
    let carol_sub = {
        let user = upstream.idp.admin_get_user().user_pool_id(&upstream_pool).username("carol").send().await.unwrap();
        user.user_attributes().iter().find(|attribute| attribute.name() == "sub").unwrap().value().unwrap().to_string()
    };
    let link = |provider: &str, value: &str| {
        server
            .idp
            .admin_link_provider_for_user()
            .user_pool_id(&pool_id)
            .destination_user(ProviderUserIdentifierType::builder().provider_name("Cognito").provider_attribute_value("dora").build())
            .source_user(
                ProviderUserIdentifierType::builder().provider_name(provider).provider_attribute_name("Cognito_Subject").provider_attribute_value(value).build(),
            )
            .send()
    };
    let bob_sub = username.trim_start_matches("Upstream_").to_string();
    assert_eq!(error_code(&link("Upstream", &bob_sub).await.unwrap_err()), "InvalidParameterException", "bob has signed in already");
    link("Upstream", &carol_sub).await.unwrap();
    let target = federated_sign_in("carol", vec![("identity_provider", "Upstream")]).await;
    let code = parameter(&target, "code").unwrap();
    let (_, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK)]).await;
    assert_eq!(claims(body["id_token"].as_str().unwrap())["cognito:username"], "dora");
    // Unlinked, carol's next sign-in is her own federated user.
    server
        .idp
        .admin_disable_provider_for_user()
        .user_pool_id(&pool_id)
        .user(ProviderUserIdentifierType::builder().provider_name("Upstream").provider_attribute_name("Cognito_Subject").provider_attribute_value(&carol_sub).build())
        .send()
        .await
        .unwrap();
    let target = federated_sign_in("carol", vec![("identity_provider", "Upstream")]).await;
    let code = parameter(&target, "code").unwrap();
    let (_, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK)]).await;
    assert_eq!(claims(body["id_token"].as_str().unwrap())["cognito:username"].as_str(), Some(format!("Upstream_{carol_sub}").as_str()));

    // A provider the client does not allow is refused; a stale state is refused.
    let refused = browser.get(&request(&[("identity_provider", "Google")])).await;
    assert_eq!(parameter(&refused.location.unwrap(), "error").as_deref(), Some("invalid_request"));
    let stale = browser.get(&format!("{issuer}/oauth2/idpresponse?code=abc&state=unknown")).await;
    assert_eq!(stale.status, 400);
    upstream.stop().await;
}
on_both_backends!(federation_through_a_second_cognate, super::federation_flow);

/// An upstream that signs its ID tokens with a key it does not publish, or echoes a nonce of
/// its own: both sign-ins are refused.
async fn misbehaving_upstream(server: TestServer) {
    use cognate_domain::crypto::MasterKey;
    use cognate_domain::tokens::{generate_signing_key, load_signing_key, sign_jwt, KeyPurpose};
    use std::sync::{Arc, Mutex};

    #[derive(Clone)]
    struct Fake {
        issuer: String,
        published: Value,
        signing: Arc<cognate_domain::tokens::LoadedSigningKey>,
        mode: Arc<Mutex<&'static str>>,
        nonce: Arc<Mutex<String>>,
        client_id: String,
    }
    let master = MasterKey::generate();
    let good = generate_signing_key(&master, "fake", KeyPurpose::IdToken, 0).unwrap();
    let other = generate_signing_key(&master, "fake", KeyPurpose::IdToken, 0).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let fake = Fake {
        issuer: issuer.clone(),
        published: serde_json::json!({"keys": [{"kty": "RSA", "kid": good.kid, "n": good.modulus, "e": good.exponent, "alg": "RS256", "use": "sig"}]}),
        signing: Arc::new(load_signing_key(&master, &good).unwrap()),
        mode: Arc::new(Mutex::new("good")),
        nonce: Arc::new(Mutex::new(String::new())),
        client_id: "fake-client".into(),
    };
    let other_key = Arc::new(load_signing_key(&master, &other).unwrap());
    use axum::extract::{Query, State};
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(|State(fake): State<Fake>| async move {
                axum::Json(serde_json::json!({"issuer": fake.issuer, "jwks_uri": format!("{}/jwks", fake.issuer), "authorization_endpoint": format!("{}/authorize", fake.issuer), "token_endpoint": format!("{}/token", fake.issuer)}))
            }),
        )
        .route("/jwks", axum::routing::get(|State(fake): State<Fake>| async move { axum::Json(fake.published.clone()) }))
        .route(
            "/authorize",
            axum::routing::get(|State(fake): State<Fake>, Query(query): Query<HashMap<String, String>>| async move {
                *fake.nonce.lock().unwrap() = query.get("nonce").cloned().unwrap_or_default();
                let location = format!("{}?code=upstream-code&state={}", query["redirect_uri"], query["state"]);
                (axum::http::StatusCode::FOUND, [("location", location)])
            }),
        )
        .route(
            "/token",
            axum::routing::post(move |State(fake): State<Fake>| {
                let other_key = other_key.clone();
                async move {
                    let mode = *fake.mode.lock().unwrap();
                    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
                    let nonce = if mode == "nonce" { "not-the-nonce".to_string() } else { fake.nonce.lock().unwrap().clone() };
                    let claims = serde_json::json!({"iss": fake.issuer, "sub": "u-1", "aud": fake.client_id, "exp": now + 300, "iat": now, "nonce": nonce, "email": "u1@fake.example"});
                    let key = if mode == "signature" { other_key.clone() } else { fake.signing.clone() };
                    axum::Json(serde_json::json!({"id_token": sign_jwt(&key, &claims), "access_token": "a", "token_type": "Bearer"}))
                }
            }),
        )
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let pool_id = create_pool(&server).await;
    server
        .idp
        .create_identity_provider()
        .user_pool_id(&pool_id)
        .provider_name("Fake")
        .provider_type(IdentityProviderTypeType::Oidc)
        .provider_details("client_id", "fake-client")
        .provider_details("client_secret", "fake-secret")
        .provider_details("attributes_request_method", "GET")
        .provider_details("oidc_issuer", &issuer)
        .provider_details("authorize_scopes", "openid email")
        .attribute_mapping("email", "email")
        .send()
        .await
        .unwrap();
    let client_id = web_client(&server, &pool_id, &["Fake"], CALLBACK).await;
    let request = authorize_url(&format!("{}/{pool_id}", server.base_url), &client_id, &[("response_type", "code"), ("scope", "openid email")]);
    let attempt = |mode: &'static str| {
        let fake = fake.clone();
        let request = request.clone();
        async move {
            *fake.mode.lock().unwrap() = mode;
            let mut browser = Browser::new();
            // The client has one provider and no COGNITO: authorize goes straight upstream.
            let upstream = browser.get(&request).await.location.unwrap();
            let back = browser.get(&upstream).await.location.unwrap();
            browser.get(&back).await
        }
    };
    let good = attempt("good").await;
    assert_eq!(good.status, 302, "{}", good.body);
    assert!(good.location.unwrap().starts_with(&format!("{CALLBACK}?code=")));
    let bad_signature = attempt("signature").await;
    assert_eq!(bad_signature.status, 400);
    assert!(bad_signature.body.contains("did not accept the sign-in"), "{}", bad_signature.body);
    let bad_nonce = attempt("nonce").await;
    assert_eq!(bad_nonce.status, 400);
    assert!(bad_nonce.location.is_none());
}
on_both_backends!(upstream_tokens_with_bad_signature_or_nonce_are_refused, super::misbehaving_upstream);

/// Google, Sign in with Apple, Facebook and Login with Amazon, each pointed by its
/// ProviderDetails at a loopback stand-in that answers as the real provider does: Google and
/// Apple with OIDC ID tokens (Apple's answer POSTed back, its client secret an ES256 JWT),
/// Facebook and Amazon with an access token and a profile API.
async fn social_providers(server: TestServer) {
    use axum::extract::{Form, Query, State};
    use cognate_domain::crypto::MasterKey;
    use cognate_domain::tokens::{generate_signing_key, load_signing_key, sign_jwt, KeyPurpose};
    use std::sync::{Arc, Mutex};

    #[derive(Clone)]
    struct Social {
        issuer: String,
        key: Arc<cognate_domain::tokens::LoadedSigningKey>,
        jwks: Value,
        nonce: Arc<Mutex<String>>,
        apple_secret: Arc<Mutex<String>>,
    }
    let master = MasterKey::generate();
    let record = generate_signing_key(&master, "social", KeyPurpose::IdToken, 0).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let social = Social {
        issuer: issuer.clone(),
        key: Arc::new(load_signing_key(&master, &record).unwrap()),
        jwks: serde_json::json!({"keys": [{"kty": "RSA", "kid": record.kid, "n": record.modulus, "e": record.exponent, "alg": "RS256", "use": "sig"}]}),
        nonce: Arc::default(),
        apple_secret: Arc::default(),
    };
    fn id_token(social: &Social, audience: &str, subject: &str, email: &str) -> String {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let nonce = social.nonce.lock().unwrap().clone();
        sign_jwt(&social.key, &serde_json::json!({"iss": social.issuer, "sub": subject, "aud": audience, "exp": now + 300, "iat": now, "nonce": nonce, "email": email, "email_verified": true}))
    }
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(|State(social): State<Social>| async move {
                axum::Json(serde_json::json!({"issuer": social.issuer, "jwks_uri": format!("{}/jwks", social.issuer)}))
            }),
        )
        .route("/jwks", axum::routing::get(|State(social): State<Social>| async move { axum::Json(social.jwks.clone()) }))
        .route(
            "/{provider}/authorize",
            axum::routing::get(|State(social): State<Social>, axum::extract::Path(provider): axum::extract::Path<String>, Query(query): Query<HashMap<String, String>>| async move {
                *social.nonce.lock().unwrap() = query.get("nonce").cloned().unwrap_or_default();
                assert_eq!(query.get("code_challenge_method").map(String::as_str), Some("S256"));
                if provider == "apple" {
                    // form_post: the provider's page POSTs code and state back to the callback.
                    assert_eq!(query.get("response_mode").map(String::as_str), Some("form_post"));
                    return (axum::http::StatusCode::OK, [("x-post-to", query["redirect_uri"].clone())], format!("code={provider}-code&state={}", query["state"]));
                }
                let location = format!("{}?code={provider}-code&state={}", query["redirect_uri"], query["state"]);
                (axum::http::StatusCode::FOUND, [("location", location)], String::new())
            }),
        )
        .route(
            "/{provider}/token",
            axum::routing::post(|State(social): State<Social>, axum::extract::Path(provider): axum::extract::Path<String>, Form(form): Form<HashMap<String, String>>| async move {
                assert_eq!(form["grant_type"], "authorization_code");
                assert_eq!(form["code"], format!("{provider}-code"));
                assert!(form.contains_key("code_verifier"));
                match provider.as_str() {
                    "google" => axum::Json(serde_json::json!({"id_token": id_token(&social, "google-client", "g-1", "g1@gmail.example"), "access_token": "g", "token_type": "Bearer"})),
                    "apple" => {
                        *social.apple_secret.lock().unwrap() = form["client_secret"].clone();
                        axum::Json(serde_json::json!({"id_token": id_token(&social, "com.example.web", "apple-1", "a1@privaterelay.example"), "access_token": "a", "token_type": "Bearer"}))
                    }
                    _ => axum::Json(serde_json::json!({"access_token": format!("{provider}-access"), "token_type": "bearer", "expires_in": 3600})),
                }
            }),
        )
        .route(
            "/fb/me",
            axum::routing::get(|Query(query): Query<HashMap<String, String>>| async move {
                assert_eq!(query["access_token"], "fb-access");
                assert_eq!(query["fields"], "id,email");
                axum::Json(serde_json::json!({"id": "fb-1", "email": "f1@facebook.example"}))
            }),
        )
        .route(
            "/amazon/profile",
            axum::routing::get(|Query(query): Query<HashMap<String, String>>| async move {
                assert_eq!(query["access_token"], "amazon-access");
                axum::Json(serde_json::json!({"user_id": "amzn1.account.AE1", "email": "m1@amazon.example", "name": "M One"}))
            }),
        )
        .with_state(social.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let pool_id = create_pool(&server).await;
    let create = |name: &'static str, kind: IdentityProviderTypeType, details: Vec<(&str, String)>, mapping: Vec<(&str, &str)>| {
        let mut request = server.idp.create_identity_provider().user_pool_id(&pool_id).provider_name(name).provider_type(kind);
        for (detail, value) in details {
            request = request.provider_details(detail, value);
        }
        for (attribute, upstream) in mapping {
            request = request.attribute_mapping(attribute, upstream);
        }
        request.send()
    };
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref()));
    let google = create(
        "Google",
        IdentityProviderTypeType::Google,
        vec![("client_id", "google-client".into()), ("client_secret", "g-secret".into()), ("authorize_scopes", "openid email".into()),
            ("authorize_url", format!("{issuer}/google/authorize")), ("token_url", format!("{issuer}/google/token")), ("oidc_issuer", issuer.clone())],
        vec![("email", "email")],
    )
    .await
    .unwrap();
    let details = google.identity_provider().unwrap().provider_details().unwrap();
    assert_eq!(details.get("attributes_url").map(String::as_str), Some("https://people.googleapis.com/v1/people/me?personFields="), "Cognito's defaults fill the rest");
    create(
        "SignInWithApple",
        IdentityProviderTypeType::SignInWithApple,
        vec![("client_id", "com.example.web".into()), ("team_id", "TEAM123456".into()), ("key_id", "KEY1234567".into()), ("private_key", pem.clone()),
            ("authorize_scopes", "email name".into()), ("authorize_url", format!("{issuer}/apple/authorize")), ("token_url", format!("{issuer}/apple/token")),
            ("oidc_issuer", issuer.clone())],
        vec![("email", "email")],
    )
    .await
    .unwrap();
    create(
        "Facebook",
        IdentityProviderTypeType::Facebook,
        vec![("client_id", "fb-app".into()), ("client_secret", "fb-secret".into()), ("authorize_scopes", "public_profile,email".into()),
            ("authorize_url", format!("{issuer}/fb/authorize")), ("token_url", format!("{issuer}/fb/token")), ("attributes_url", format!("{issuer}/fb/me?fields="))],
        vec![("email", "email")],
    )
    .await
    .unwrap();
    create(
        "LoginWithAmazon",
        IdentityProviderTypeType::LoginWithAmazon,
        vec![("client_id", "amzn-client".into()), ("client_secret", "amzn-secret".into()), ("authorize_scopes", "profile".into()),
            ("authorize_url", format!("{issuer}/amazon/authorize")), ("token_url", format!("{issuer}/amazon/token")), ("attributes_url", format!("{issuer}/amazon/profile"))],
        vec![("email", "email"), ("name", "name")],
    )
    .await
    .unwrap();
    let misnamed = create("MyGoogle", IdentityProviderTypeType::Google, vec![("client_id", "c".into()), ("client_secret", "s".into()), ("authorize_scopes", "openid".into())], vec![]).await;
    assert_eq!(error_code(&misnamed.unwrap_err()), "InvalidParameterException");
    let apple = server.idp.describe_identity_provider().user_pool_id(&pool_id).provider_name("SignInWithApple").send().await.unwrap();
    assert_eq!(apple.identity_provider().unwrap().provider_details().unwrap().get("private_key"), Some(&pem), "secrets are given back as set (sealed at rest)");

    let client_id = web_client(&server, &pool_id, &["Google", "SignInWithApple", "Facebook", "LoginWithAmazon"], CALLBACK).await;
    let issuer_url = format!("{}/{pool_id}", server.base_url);
    for (provider, expected_user, expected_email) in [
        ("Google", "Google_g-1", "g1@gmail.example"),
        ("SignInWithApple", "SignInWithApple_apple-1", "a1@privaterelay.example"),
        ("Facebook", "Facebook_fb-1", "f1@facebook.example"),
        ("LoginWithAmazon", "LoginWithAmazon_amzn1.account.AE1", "m1@amazon.example"),
    ] {
        let mut browser = Browser::new();
        let request = authorize_url(&issuer_url, &client_id, &[("response_type", "code"), ("scope", "openid email"), ("identity_provider", provider)]);
        let upstream = browser.get(&request).await.location.unwrap();
        let upstream_answer = browser.http.get(&upstream).send().await.unwrap();
        let back = if let Some(post_to) = upstream_answer.headers().get("x-post-to").map(|value| value.to_str().unwrap().to_string()) {
            let body = upstream_answer.text().await.unwrap();
            let fields: Vec<(String, String)> = body.split('&').map(|pair| pair.split_once('=').unwrap()).map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            browser.post(&post_to, &fields).await
        } else {
            let location = upstream_answer.headers()["location"].to_str().unwrap().to_string();
            browser.get(&location).await
        };
        assert_eq!(back.status, 302, "{provider}: {}", back.body);
        let code = parameter(&back.location.unwrap(), "code").unwrap();
        let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK)]).await;
        assert_eq!(status, 200, "{provider}: {body}");
        let id = claims(body["id_token"].as_str().unwrap());
        assert_eq!((id["cognito:username"].as_str(), id["email"].as_str()), (Some(expected_user), Some(expected_email)), "{provider}");
        assert_eq!(id["identities"][0]["providerType"], provider);
    }
    // Apple's client secret was an ES256 JWT from the team, for the client.
    let secret = social.apple_secret.lock().unwrap().clone();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(secret.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!((header["alg"].as_str(), header["kid"].as_str()), (Some("ES256"), Some("KEY1234567")));
    assert_eq!((claims(&secret)["iss"].as_str(), claims(&secret)["sub"].as_str()), (Some("TEAM123456"), Some("com.example.web")));
    let amazon_user = server.idp.admin_get_user().user_pool_id(&pool_id).username("LoginWithAmazon_amzn1.account.AE1").send().await.unwrap();
    assert!(amazon_user.user_attributes().iter().any(|attribute| attribute.name() == "name" && attribute.value() == Some("M One")));
}
on_both_backends!(social_providers_through_loopback_stand_ins, super::social_providers);

/// An authorization code is good for five minutes; the browser session for an hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_and_sessions_expire() {
    use std::sync::Arc;
    let clock = Arc::new(cognate_domain::clock::ManualClock::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    ));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let url = format!("sqlite://{}/db", data_dir.path().display());
    let server = TestServer::start_with_clock(crate::harness::test_config(data_dir.path(), &url), data_dir, clock.clone()).await;
    let pool_id = create_pool(&server).await;
    let client_id = web_client(&server, &pool_id, &["COGNITO"], CALLBACK).await;
    create_user(&server, &pool_id, "eve", "Passw0rd!eve").await;
    let request = authorize_url(&format!("{}/{pool_id}", server.base_url), &client_id, &[("response_type", "code"), ("scope", "openid")]);
    let mut browser = Browser::new();
    let target = sign_in_through_pages(&mut browser, &server.base_url, &request, "eve", "Passw0rd!eve").await;
    let code = parameter(&target, "code").unwrap();

    clock.advance_millis(5 * 60 * 1000 + 1000);
    let (status, body) = exchange(&server, &pool_id, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("redirect_uri", CALLBACK)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "an expired code: {body}");

    // Within the hour the session still answers with a code; after it, the form again.
    let answer = browser.get(&request).await;
    assert!(answer.location.unwrap().starts_with(CALLBACK));
    clock.advance_millis(60 * 60 * 1000);
    let answer = browser.get(&request).await;
    assert!(answer.location.unwrap().contains("/login?"), "an expired session asks again");
}

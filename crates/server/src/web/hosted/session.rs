//! Cookies and CSRF: the session cookie of a signed-in browser, and a CSRF token that is a MAC
//! (under the master key) of a random cookie value, so that any node can check it.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use cognate_domain::crypto::constant_time_eq;

use crate::state::AppState;
use crate::aws::query::QueryInput;
use crate::web::hosted::render::*;

pub(crate) const SESSION_COOKIE: &str = "cognate-session";
/// A browser remembered as one of the user's devices: base64url of `<device key>:<secret>`.
pub(crate) const DEVICE_COOKIE: &str = "cognate-device";
/// How long a browser stays remembered (until the device is forgotten, at most a year).
pub(crate) const DEVICE_COOKIE_SECONDS: i64 = 365 * 24 * 3600;
pub(crate) const CSRF_COOKIE: &str = "XSRF-TOKEN";
/// The paths a pool's domain serves at its root.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
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

pub(crate) fn random_value() -> String {
    URL_SAFE_NO_PAD.encode(cognate_domain::crypto::random_bytes::<32>())
}

/// The attributes of a cookie for `path`: HttpOnly, SameSite=Lax, Secure behind https.
pub(crate) fn cookie(state: &AppState, name: &str, value: &str, path: &str, max_age: Option<i64>) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let secure = if state.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    let age = max_age.map(|seconds| format!("; Max-Age={seconds}")).unwrap_or_default();
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax{secure}{age}")
}

/// The CSRF token of a browser: its cookie value (made when missing) and the form value.
pub(crate) fn csrf(state: &AppState, headers: &HeaderMap, path: &str) -> (String, Option<String>) {
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

pub(crate) fn csrf_ok(state: &AppState, headers: &HeaderMap, form: &QueryInput) -> bool {
    let (Some(value), Some(given)) = (cookie_value(headers, CSRF_COOKIE), form.get("_csrf")) else { return false };
    let expected = URL_SAFE_NO_PAD.encode(state.user_pools.master_key().mac("hosted-csrf", value.as_bytes()));
    constant_time_eq(expected.as_bytes(), given.as_bytes())
}

pub(crate) fn csrf_refused(operation: &'static str) -> Response {
    let mut page = error_page("The form has expired or did not come from this site (CSRF token missing or invalid). Go back and try again.", "");
    page.status = StatusCode::FORBIDDEN;
    finish(page, operation)
}

//! A pool's domain: requests that arrive on `<prefix>.<public host>` or a custom domain are
//! routed to the pool's pages, and the base (path prefix) the pages answer under.

use axum::extract::Request;
use axum::http::Uri;


use crate::state::AppState;

pub(crate) const DOMAIN_PATHS: &[&str] = &[
    "/oauth2/authorize",
    "/oauth2/token",
    "/oauth2/revoke",
    "/oauth2/userInfo",
    "/oauth2/idpresponse",
    "/saml2/idpresponse",
    "/saml2/metadata",
    "/saml2/logout",
    "/login",
    "/signup",
    "/confirm",
    "/forgotPassword",
    "/confirmForgotPassword",
    "/newPassword",
    "/mfa",
    "/passwordless",
    "/passkey",
    "/passkeys/add",
    "/passkey.js",
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
pub(crate) async fn route_domain(state: &AppState, request: &mut Request) {
    let path = request.uri().path().to_string();
    if DOMAIN_PATHS.contains(&path.as_str()) {
        // The host and scheme the client asked for (as a trusted proxy forwards them), else the
        // request's own Host and the public URL's scheme.
        let origin = request.extensions().get::<crate::proxies::ClientOrigin>().cloned();
        let host = origin.as_ref().and_then(|origin| origin.host.clone());
        let host = host.or_else(|| request.headers().get("host").and_then(|value| value.to_str().ok()).map(str::to_string));
        if let Some(host) = host {
            if let Some(pool_id) = domain_pool(state, &host).await {
                let query = request.uri().query().map(|query| format!("?{query}")).unwrap_or_default();
                if let Ok(uri) = format!("/{pool_id}{path}{query}").parse::<Uri>() {
                    let scheme = match &origin {
                        Some(origin) if origin.scheme == "https" || !state.config.trusted_proxies.is_empty() => origin.scheme,
                        _ if state.config.public_url.starts_with("https://") => "https",
                        _ => "http",
                    };
                    request.extensions_mut().insert(HostedBase { prefix: String::new(), origin: format!("{scheme}://{host}") });
                    *request.uri_mut() = uri;
                }
            }
        }
    }
}

/// The pool whose domain `host` is, if any.
pub(crate) async fn domain_pool(state: &AppState, host: &str) -> Option<String> {
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

pub(crate) fn base_of(state: &AppState, headers_base: Option<&HostedBase>, pool_id: &str) -> HostedBase {
    headers_base.cloned().unwrap_or_else(|| HostedBase { prefix: format!("/{pool_id}"), origin: state.config.public_url.clone() })
}

//! Any HTTP API behind IAM authorisation, as API Gateway does it: `/<api id>/<stage>/<path>`
//! signed for `execute-api` is `execute-api:Invoke` on
//! `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>`, and the upstream is
//! told who called in `x-cognate-*` headers (which a client can never set itself).

use cognate_domain::ids::arn;

use crate::auth::Principal;

use super::check::{refuse_dot_segments, Check};
use super::refusal::Refusal;

/// An API, its stage and the rest of the path (percent-encoded, without its leading slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    pub rest: &'a str,
}

pub fn route(raw_path: &str) -> Result<Route<'_>, Refusal> {
    refuse_dot_segments(raw_path)?;
    let mut parts = raw_path.trim_start_matches('/').splitn(3, '/');
    let api_id = parts.next().unwrap_or("");
    let stage = parts.next().unwrap_or("");
    let valid = |text: &str| !text.is_empty() && text.len() <= 128 && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if !valid(api_id) || !valid(stage) {
        return Err(Refusal::BadRequest("An execute-api request goes to /<api id>/<stage>/<path>.".into()));
    }
    Ok(Route { api_id, stage, rest: parts.next().unwrap_or("") })
}

pub fn check(route: &Route<'_>, method: &str, region: &str, account: &str) -> Check {
    let path = percent_encoding::percent_decode_str(route.rest).decode_utf8_lossy();
    Check::new("execute-api:Invoke", arn::execute_api(region, account, route.api_id, route.stage, method, &path), Vec::new())
}

/// The headers that tell the upstream who called.
pub fn identity_headers(principal: &Principal, account: &str, stage: &str) -> Vec<(&'static str, String)> {
    let mut headers = vec![("x-cognate-principal-arn", principal.arn(account)), ("x-cognate-stage", stage.to_string())];
    match principal {
        Principal::Session(session) => {
            let first = |key: &str| session.context.get(key).and_then(|values| values.first()).cloned();
            if let Some(identity) = first("cognito-identity.amazonaws.com:sub") {
                headers.push(("x-cognate-identity-id", identity));
            }
            if let Some(pool) = first("cognito-identity.amazonaws.com:aud") {
                headers.push(("x-cognate-identity-pool-id", pool));
            }
            let providers: Vec<&String> = session
                .context
                .get("cognito-identity.amazonaws.com:amr")
                .into_iter()
                .flatten()
                .filter(|entry| !matches!(entry.as_str(), "authenticated" | "unauthenticated"))
                .collect();
            if let Some(sub) = providers.iter().find_map(|entry| entry.split_once(":CognitoSignIn:").map(|(_, sub)| sub.to_string())) {
                headers.push(("x-cognate-user-sub", sub));
            }
            if !providers.is_empty() {
                headers.push(("x-cognate-authentication-provider", providers.iter().map(|entry| entry.as_str()).collect::<Vec<_>>().join(",")));
            }
        }
        Principal::User(signer) => headers.push(("x-cognate-user-name", signer.user.name.clone())),
        Principal::Root | Principal::RootSession(_) => {}
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_the_api_stage_and_path() {
        let route = route("/abc123/prod/pets/7%20b").unwrap();
        assert_eq!((route.api_id, route.stage, route.rest), ("abc123", "prod", "pets/7%20b"));
        let check = check(&route, "GET", "us-east-1", "123456789012");
        assert_eq!(check.resource, "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7 b");
        assert!(super::route("/only-an-api").is_err());
    }
}

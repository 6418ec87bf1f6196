//! What the web identity token of an AssumeRoleWithWebIdentity proves: this server's OpenID
//! token (identity pools' basic flow), or an ID token of an OIDC provider registered in IAM,
//! whose audience must be one of the provider's client ids; with the session tags and source
//! identity an OIDC token may carry (`https://aws.amazon.com/tags`,
//! `https://aws.amazon.com/source_identity`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::federated::WebIdentity;
use super::IamService;
use crate::error::{DomainError, DomainResult};
use crate::federation::{issuer_key, ExternalVerifier};
use crate::identity_pool::IdentityPoolService;
use crate::tokens;

/// The session tags of a token's `https://aws.amazon.com/tags` claim: each principal tag with
/// its first value.
fn token_tags(claims: &Value) -> BTreeMap<String, String> {
    let Some(Value::Object(tags)) = claims.get("https://aws.amazon.com/tags").and_then(|claim| claim.get("principal_tags")) else {
        return BTreeMap::new();
    };
    tags.iter()
        .filter_map(|(key, values)| {
            let value = match values {
                Value::Array(values) => values.first()?.as_str()?.to_string(),
                Value::String(value) => value.clone(),
                _ => return None,
            };
            Some((key.clone(), value))
        })
        .collect()
}

/// The identity `token` proves, by its issuer.
pub async fn web_identity_of(iam: &IamService, identity_pools: &IdentityPoolService, external: &ExternalVerifier, token: &str) -> DomainResult<WebIdentity> {
    let claims = tokens::peek_claims(token).map_err(|_| DomainError::InvalidIdentityToken("The web identity token is not a valid JWT.".into()))?;
    let issuer = claims.get("iss").and_then(|value| value.as_str()).unwrap_or_default().to_string();
    if issuer == identity_pools.issuer() {
        return identity_pools.web_identity_of_openid_token(token).await;
    }
    let provider = iam
        .find_oidc_provider_by_issuer(&issuer)
        .await?
        .ok_or_else(|| DomainError::InvalidIdentityToken(format!("No OpenIDConnect provider found in your account for {issuer}")))?;
    let verified = external.verify_oidc_token(&provider.issuer, token).await?;
    let audience = verified
        .audiences
        .iter()
        .find(|audience| provider.client_ids.contains(audience))
        .cloned()
        .ok_or_else(|| DomainError::InvalidIdentityToken("Incorrect token audience".into()))?;
    Ok(WebIdentity {
        principal: provider.arn.clone(),
        key_prefix: issuer_key(&provider.issuer).to_string(),
        provider: provider.issuer.clone(),
        tags: token_tags(&verified.claims),
        source_identity: verified.claims.get("https://aws.amazon.com/source_identity").and_then(Value::as_str).map(str::to_string),
        subject: verified.subject,
        audience,
        amr: None,
    })
}

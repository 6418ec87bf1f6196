//! A verified web identity presented to assume a role (by AssumeRoleWithWebIdentity or an
//! identity pool), and the condition keys it brings to the trust policy and the session. A leaf:
//! both `web_identity` and the identity pools build it.

use std::collections::BTreeMap;

/// A verified web identity presented to assume a role.
#[derive(Debug, Clone)]
pub struct WebIdentity {
    /// The federated principal a trust policy names: `cognito-identity.amazonaws.com` or an
    /// OIDC provider's ARN.
    pub principal: String,
    /// The prefix of the condition keys: `cognito-identity.amazonaws.com` or the provider URL.
    pub key_prefix: String,
    /// What STS answers as `Provider`.
    pub provider: String,
    pub subject: String,
    pub audience: String,
    pub amr: Option<Vec<String>>,
    /// Session tags the token asks for (`principal_tags` of its `https://aws.amazon.com/tags`).
    pub tags: BTreeMap<String, String>,
    /// The source identity the token asks for (`https://aws.amazon.com/source_identity`).
    pub source_identity: Option<String>,
}

/// The condition keys a web identity brings: `<prefix>:aud`, `:sub`, `:amr` (when the
/// provider has one), and for OIDC providers `:oaud` too.
pub fn web_identity_context(identity: &WebIdentity) -> BTreeMap<String, Vec<String>> {
    let prefix = &identity.key_prefix;
    let mut context = BTreeMap::new();
    context.insert(format!("{prefix}:aud"), vec![identity.audience.clone()]);
    context.insert(format!("{prefix}:sub"), vec![identity.subject.clone()]);
    if let Some(amr) = &identity.amr {
        context.insert(format!("{prefix}:amr"), amr.clone());
    } else {
        context.insert(format!("{prefix}:oaud"), vec![identity.audience.clone()]);
    }
    context.insert("aws:FederatedProvider".into(), vec![identity.principal.clone()]);
    context
}


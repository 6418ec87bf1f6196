//! Identity providers of a user pool (OIDC, SAML, Google, Facebook, Login with Amazon, Sign in
//! with Apple) and the federated sign-in through them: the redirect upstream with state, nonce and
//! PKCE, the code exchange at the callback, the upstream token's verification, the attribute
//! mapping onto the user `<ProviderName>_<subject>`, and links to existing users
//! (AdminLinkProviderForUser).

use std::collections::BTreeMap;

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{random_token, sha256_hex};
use super::hosted::{pkce_challenge, with_parameters, AuthorizeRequest, CheckedAuthorize};
use super::{set_attribute, Attribute, User, UserPool, UserPoolService, UserStatus};
use crate::ids::UserPoolId;
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::federation::acceptable_issuer;
use crate::records::{Document, Record, Records};
use crate::store::{RecordWrite, StoreError};

mod admin;
mod links;
pub mod saml;
pub mod saml_logout;
mod saml_sp;
mod upstream;

const PROVIDER: &str = "identity_provider";

impl Document for IdentityProvider {
    const KIND: &'static str = PROVIDER;
}

/// Filed under the pool and the hash of the state sent to the provider.
impl Document for UpstreamState {
    const KIND: &'static str = UPSTREAM_STATE;
}

impl Record for IdentityProvider {
    fn scope(&self) -> String {
        self.pool_id.clone()
    }

    fn key(&self) -> String {
        self.name.clone()
    }
}
const UPSTREAM_STATE: &str = "upstream_state";
const PROVIDER_LINK: &str = "provider_link";
const STATE_VALIDITY_MS: i64 = 10 * 60 * 1000;
use crate::sealing::PROVIDER_SEALED_DETAILS as SEALED_DETAILS;

/// The provider types Cognito knows.
pub const PROVIDER_TYPES: &[&str] = &["SAML", "Facebook", "Google", "LoginWithAmazon", "SignInWithApple", "OIDC"];

/// An identity provider as stored (secrets in `details` sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProvider {
    pub pool_id: String,
    pub name: String,
    pub provider_type: String,
    pub details: BTreeMap<String, String>,
    pub attribute_mapping: BTreeMap<String, String>,
    pub idp_identifiers: Vec<String>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// What the callback needs to finish a federated sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UpstreamState {
    provider: String,
    verifier: String,
    nonce: String,
    client_id: String,
    response_type: String,
    redirect_uri: String,
    state: Option<String>,
    scope: Option<String>,
    rp_nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

impl UpstreamState {
    /// The app's authorization request kept for the provider's answer, with the PKCE verifier
    /// and the nonce (OIDC) or the AuthnRequest's ID (SAML).
    fn for_request(request: &AuthorizeRequest, provider: &str, verifier: String, nonce: String) -> Self {
        UpstreamState {
            provider: provider.to_string(),
            verifier,
            nonce,
            client_id: request.client_id.clone(),
            response_type: request.response_type.clone(),
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            scope: request.scope.clone(),
            rp_nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge_method.clone(),
        }
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidParameter(message.into())
}

use crate::sealing::provider_detail as seal_context;

/// The endpoints Cognito fills in for each social provider type.
fn default_details(provider_type: &str) -> &'static [(&'static str, &'static str)] {
    match provider_type {
        "Google" => &[
            ("authorize_url", "https://accounts.google.com/o/oauth2/v2/auth"),
            ("token_url", "https://www.googleapis.com/oauth2/v4/token"),
            ("attributes_url", "https://people.googleapis.com/v1/people/me?personFields="),
            ("attributes_url_add_attributes", "true"),
            ("oidc_issuer", "https://accounts.google.com"),
        ],
        "Facebook" => &[
            ("api_version", "v17.0"),
            ("authorize_url", "https://www.facebook.com/v17.0/dialog/oauth"),
            ("token_url", "https://graph.facebook.com/v17.0/oauth/access_token"),
            ("attributes_url", "https://graph.facebook.com/v17.0/me?fields="),
            ("attributes_url_add_attributes", "true"),
        ],
        "LoginWithAmazon" => &[
            ("authorize_url", "https://www.amazon.com/ap/oa"),
            ("token_url", "https://api.amazon.com/auth/o2/token"),
            ("attributes_url", "https://api.amazon.com/user/profile"),
            ("attributes_url_add_attributes", "false"),
        ],
        "SignInWithApple" => &[
            ("authorize_url", "https://appleid.apple.com/auth/authorize"),
            ("token_url", "https://appleid.apple.com/auth/token"),
            ("oidc_issuer", "https://appleid.apple.com"),
        ],
        _ => &[],
    }
}

fn required_details(provider_type: &str) -> &'static [&'static str] {
    match provider_type {
        "Google" | "Facebook" | "LoginWithAmazon" => &["client_id", "client_secret", "authorize_scopes"],
        "SignInWithApple" => &["client_id", "team_id", "key_id", "private_key", "authorize_scopes"],
        "OIDC" => &["client_id", "attributes_request_method", "oidc_issuer", "authorize_scopes"],
        _ => &[],
    }
}

fn check_provider(provider: &IdentityProvider) -> DomainResult<()> {
    let name = &provider.name;
    let name_ok = (1..=32).contains(&name.chars().count())
        && !name.starts_with('_')
        && !name.chars().any(char::is_whitespace)
        && name != "COGNITO"
        && name != "Cognito";
    if !name_ok {
        return Err(invalid(format!("{name} is not a valid provider name.")));
    }
    if !PROVIDER_TYPES.contains(&provider.provider_type.as_str()) {
        return Err(InvalidMember::error("providerType", &provider.provider_type, Constraint::OneOf(PROVIDER_TYPES.to_vec())));
    }
    if !matches!(provider.provider_type.as_str(), "OIDC" | "SAML") && name != &provider.provider_type {
        return Err(invalid(format!("A {} provider must be named {}.", provider.provider_type, provider.provider_type)));
    }
    for detail in required_details(&provider.provider_type) {
        if provider.details.get(*detail).is_none_or(|value| value.is_empty()) {
            return Err(invalid(format!("ProviderDetails is missing {detail}.")));
        }
    }
    if let Some(method) = provider.details.get("attributes_request_method") {
        if method != "GET" && method != "POST" {
            return Err(invalid("attributes_request_method must be GET or POST."));
        }
    }
    for url_detail in ["oidc_issuer", "authorize_url", "token_url", "attributes_url", "jwks_uri"] {
        if let Some(url) = provider.details.get(url_detail) {
            if !acceptable_issuer(url) {
                return Err(invalid(format!("{url_detail} must be an https URL (or http on loopback).")));
            }
        }
    }
    if provider.idp_identifiers.len() > 50 {
        return Err(invalid("A provider may have at most 50 IdpIdentifiers."));
    }
    for identifier in &provider.idp_identifiers {
        let ok = (1..=40).contains(&identifier.chars().count())
            && identifier.chars().all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=.@-".contains(c));
        if !ok {
            return Err(invalid(format!("{identifier} is not a valid IdpIdentifier.")));
        }
    }
    Ok(())
}

/// Reads a claim as text: strings as they are, numbers and booleans written out.
fn claim_text(claims: &Value, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The client secret Sign in with Apple wants: an ES256 JWT signed with the team's key.
pub fn apple_client_secret(team_id: &str, key_id: &str, client_id: &str, private_key_pem: &str, now_seconds: i64) -> DomainResult<String> {
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let body: String = private_key_pem.lines().filter(|line| !line.starts_with("-----")).map(str::trim).collect();
    let der = BASE64.decode(body).map_err(|_| invalid("private_key is not a PEM PKCS#8 key."))?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).map_err(|_| invalid("private_key is not a P-256 PKCS#8 key."))?;
    let header = json!({"alg": "ES256", "kid": key_id});
    let claims = json!({"iss": team_id, "iat": now_seconds, "exp": now_seconds + 300, "aud": "https://appleid.apple.com", "sub": client_id});
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = key.sign(&rng, signing_input.as_bytes()).map_err(DomainError::internal)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
}

impl UserPoolService {
    fn seal_details(&self, provider: &mut IdentityProvider) {
        for detail in SEALED_DETAILS {
            if let Some(value) = provider.details.get_mut(*detail) {
                *value = self.master_key.seal(value.as_bytes(), &seal_context(&provider.pool_id, &provider.name, detail));
            }
        }
    }

    fn open_details(&self, provider: &mut IdentityProvider) -> DomainResult<()> {
        for detail in SEALED_DETAILS {
            if let Some(value) = provider.details.get_mut(*detail) {
                let plain = self.master_key.open(value, &seal_context(&provider.pool_id, &provider.name, detail))?;
                *value = String::from_utf8(plain).map_err(DomainError::internal)?;
            }
        }
        Ok(())
    }

    async fn check_identifiers_free(&self, provider: &IdentityProvider) -> DomainResult<()> {
        for other in self.all_providers(&provider.pool_id).await? {
            if other.name == provider.name {
                continue;
            }
            if let Some(taken) = provider.idp_identifiers.iter().find(|identifier| other.idp_identifiers.contains(identifier)) {
                return Err(DomainError::Conflict(format!("The IdpIdentifier {taken} is used by provider {}.", other.name)));
            }
        }
        Ok(())
    }

    async fn save_provider(&self, mut provider: IdentityProvider, insert: bool) -> DomainResult<IdentityProvider> {
        let shown = provider.clone();
        self.seal_details(&mut provider);
        let write = if insert { provider.insert()? } else { provider.replace()? };
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(shown),
            Err(StoreError::Conflict(_)) if insert => Err(DomainError::Conflict(format!("A provider named {} already exists.", shown.name))),
            Err(StoreError::Conflict(_)) => Err(DomainError::NotFound(format!("Identity provider {} does not exist.", shown.name))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_client_secrets_are_es256_jwts_that_verify() {
        use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", BASE64.encode(pkcs8.as_ref()));
        let secret = apple_client_secret("TEAM123456", "KEY1234567", "com.example.app", &pem, 1_700_000_000).unwrap();
        let parts: Vec<&str> = secret.split('.').collect();
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "TEAM123456");
        assert_eq!(claims["sub"], "com.example.app");
        assert_eq!(claims["aud"], "https://appleid.apple.com");
        let public = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap().public_key().as_ref().to_vec();
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let message = format!("{}.{}", parts[0], parts[1]);
        assert!(UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public).verify(message.as_bytes(), &signature).is_ok());
        assert!(apple_client_secret("T", "K", "c", "not a key", 0).is_err());
    }

    #[test]
    fn provider_checks_follow_the_types() {
        let provider = |name: &str, kind: &str, details: &[(&str, &str)]| IdentityProvider {
            pool_id: "us-east-1_x".into(),
            name: name.into(),
            provider_type: kind.into(),
            details: details.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            attribute_mapping: BTreeMap::new(),
            idp_identifiers: vec![],
            created_ms: 0,
            modified_ms: 0,
        };
        let oidc = [("client_id", "c"), ("attributes_request_method", "GET"), ("oidc_issuer", "https://idp.example.com"), ("authorize_scopes", "openid")];
        assert!(check_provider(&provider("Corp", "OIDC", &oidc)).is_ok());
        assert!(check_provider(&provider("Corp", "OIDC", &oidc[..2])).is_err());
        assert!(check_provider(&provider("Corp", "Google", &[("client_id", "c"), ("client_secret", "s"), ("authorize_scopes", "openid")])).is_err());
        assert!(check_provider(&provider("Google", "Google", &[("client_id", "c"), ("client_secret", "s"), ("authorize_scopes", "openid")])).is_ok());
        assert!(check_provider(&provider("COGNITO", "OIDC", &oidc)).is_err());
        let insecure = [("client_id", "c"), ("attributes_request_method", "GET"), ("oidc_issuer", "http://idp.example.com"), ("authorize_scopes", "openid")];
        assert!(check_provider(&provider("Corp", "OIDC", &insecure)).is_err());
        // A SAML provider may have any valid name (its metadata is checked when it is prepared).
        assert!(check_provider(&provider("Corp", "SAML", &[("MetadataFile", "<x/>")])).is_ok());
        assert!(check_provider(&provider("_Corp", "SAML", &[])).is_err());
    }
}

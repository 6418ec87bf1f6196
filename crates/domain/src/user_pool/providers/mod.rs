//! Identity providers of a user pool (OIDC, Google, Facebook, Login with Amazon, Sign in with
//! Apple) and the federated sign-in through them: the redirect upstream with state, nonce and
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
use super::{set_attribute, store_error, Attribute, User, UserPool, UserPoolService, UserStatus};
use crate::error::{DomainError, DomainResult};
use crate::federation::acceptable_issuer;
use crate::store::{RecordWrite, StoreError};

const PROVIDER: &str = "identity_provider";
const UPSTREAM_STATE: &str = "upstream_state";
const PROVIDER_LINK: &str = "provider_link";
const STATE_VALIDITY_MS: i64 = 10 * 60 * 1000;
const SEALED_DETAILS: &[&str] = &["client_secret", "private_key"];

/// The provider types Cognito knows; SAML is refused (not built).
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
struct UpstreamState {
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

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidParameter(message.into())
}

fn seal_context(pool_id: &str, name: &str, detail: &str) -> String {
    format!("idp:{pool_id}:{name}:{detail}")
}

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
        return Err(invalid(format!(
            "1 validation error detected: Value '{}' at 'providerType' failed to satisfy constraint: Member must satisfy enum value set: [SAML, Facebook, Google, LoginWithAmazon, SignInWithApple, OIDC]",
            provider.provider_type
        )));
    }
    if provider.provider_type == "SAML" {
        return Err(DomainError::NotImplemented("SAML identity providers are not implemented by cognate.".into()));
    }
    if provider.provider_type != "OIDC" && name != &provider.provider_type {
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
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let body: String = private_key_pem.lines().filter(|line| !line.starts_with("-----")).map(str::trim).collect();
    let der = BASE64.decode(body).map_err(|_| invalid("private_key is not a PEM PKCS#8 key."))?;
    let rng = ring::rand::SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng).map_err(|_| invalid("private_key is not a P-256 PKCS#8 key."))?;
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
        let data = serde_json::to_string(&provider).map_err(DomainError::internal)?;
        let write = if insert {
            RecordWrite::Insert { kind: PROVIDER, scope: provider.pool_id.clone(), key: provider.name.clone(), data, expires_ms: None }
        } else {
            RecordWrite::Replace { kind: PROVIDER, scope: provider.pool_id.clone(), key: provider.name.clone(), data }
        };
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(shown),
            Err(StoreError::Conflict(_)) if insert => Err(DomainError::Conflict(format!("A provider named {} already exists.", shown.name))),
            Err(StoreError::Conflict(_)) => Err(DomainError::NotFound(format!("Identity provider {} does not exist.", shown.name))),
            Err(other) => Err(store_error(other)),
        }
    }

    pub async fn create_identity_provider(
        &self,
        pool_id: &str,
        name: &str,
        provider_type: &str,
        details: BTreeMap<String, String>,
        attribute_mapping: BTreeMap<String, String>,
        idp_identifiers: Vec<String>,
    ) -> DomainResult<IdentityProvider> {
        let pool = self.load_pool(pool_id).await?;
        let now = self.now();
        let mut provider = IdentityProvider {
            pool_id: pool_id.to_string(),
            name: name.to_string(),
            provider_type: provider_type.to_string(),
            details,
            attribute_mapping,
            idp_identifiers,
            created_ms: now,
            modified_ms: now,
        };
        check_provider(&provider)?;
        for (detail, value) in default_details(provider_type) {
            provider.details.entry(detail.to_string()).or_insert_with(|| value.to_string());
        }
        self.check_mapping(&pool, &provider)?;
        provider.attribute_mapping.entry("username".into()).or_insert_with(|| {
            match provider_type {
                "Facebook" => "id",
                "LoginWithAmazon" => "user_id",
                _ => "sub",
            }
            .to_string()
        });
        self.check_identifiers_free(&provider).await?;
        self.save_provider(provider, true).await
    }

    fn check_mapping(&self, pool: &UserPool, provider: &IdentityProvider) -> DomainResult<()> {
        for (attribute, upstream) in &provider.attribute_mapping {
            let known = attribute == "username" || pool.shape.schema.iter().any(|schema| &schema.name == attribute);
            if !known {
                return Err(invalid(format!("The attribute {attribute} of AttributeMapping is not in the pool's schema.")));
            }
            if upstream.is_empty() || upstream.len() > 131_072 {
                return Err(invalid(format!("The mapping of {attribute} is empty.")));
            }
        }
        Ok(())
    }

    pub async fn describe_identity_provider(&self, pool_id: &str, name: &str) -> DomainResult<IdentityProvider> {
        self.load_pool(pool_id).await?;
        let data = self.store.get_record(PROVIDER, pool_id, name, 0).await.map_err(store_error)?;
        let mut provider: IdentityProvider = data
            .map(|data| serde_json::from_str(&data).map_err(DomainError::internal))
            .transpose()?
            .ok_or_else(|| DomainError::NotFound(format!("Identity provider {name} does not exist.")))?;
        self.open_details(&mut provider)?;
        Ok(provider)
    }

    pub async fn update_identity_provider(
        &self,
        pool_id: &str,
        name: &str,
        details: Option<BTreeMap<String, String>>,
        attribute_mapping: Option<BTreeMap<String, String>>,
        idp_identifiers: Option<Vec<String>>,
    ) -> DomainResult<IdentityProvider> {
        let pool = self.load_pool(pool_id).await?;
        let mut provider = self.describe_identity_provider(pool_id, name).await?;
        if let Some(details) = details {
            for (detail, value) in details {
                provider.details.insert(detail, value);
            }
        }
        if let Some(mapping) = attribute_mapping {
            provider.attribute_mapping = mapping;
        }
        if let Some(identifiers) = idp_identifiers {
            provider.idp_identifiers = identifiers;
        }
        check_provider(&provider)?;
        self.check_mapping(&pool, &provider)?;
        self.check_identifiers_free(&provider).await?;
        provider.modified_ms = self.now();
        self.save_provider(provider, false).await
    }

    pub async fn delete_identity_provider(&self, pool_id: &str, name: &str) -> DomainResult<()> {
        self.describe_identity_provider(pool_id, name).await?;
        self.store
            .write_records(&[
                RecordWrite::Delete { kind: PROVIDER, scope: pool_id.to_string(), key: name.to_string() },
                RecordWrite::DeleteScope { kind: PROVIDER_LINK, scope: format!("{pool_id}:{name}") },
            ])
            .await
            .map_err(store_error)
    }

    async fn all_providers(&self, pool_id: &str) -> DomainResult<Vec<IdentityProvider>> {
        let rows = self.store.list_records(PROVIDER, pool_id, None, 1000).await.map_err(store_error)?;
        rows.into_iter().map(|(_, data)| serde_json::from_str(&data).map_err(DomainError::internal)).collect()
    }

    /// One page of a pool's providers (secrets not opened: the listing shows none).
    pub async fn list_identity_providers(&self, pool_id: &str, max_results: Option<i32>, next_token: Option<&str>) -> DomainResult<(Vec<IdentityProvider>, Option<String>)> {
        self.load_pool(pool_id).await?;
        let limit = super::page_limit(max_results, "maxResults")?;
        let after = super::decode_key_token(next_token)?;
        let rows = self.store.list_records(PROVIDER, pool_id, after.as_deref(), limit + 1).await.map_err(store_error)?;
        let (rows, more) = super::split_page(rows, limit);
        let next = if more { rows.last().map(|(key, _)| super::encode_token(&[key])) } else { None };
        let providers = rows.into_iter().map(|(_, data)| serde_json::from_str(&data).map_err(DomainError::internal)).collect::<DomainResult<Vec<_>>>()?;
        Ok((providers, next))
    }

    /// The name of the provider with this IdpIdentifier.
    pub async fn provider_by_identifier(&self, pool_id: &str, identifier: &str) -> DomainResult<Option<String>> {
        Ok(self.all_providers(pool_id).await?.into_iter().find(|provider| provider.idp_identifiers.iter().any(|known| known == identifier)).map(|provider| provider.name))
    }

    pub async fn get_identity_provider_by_identifier(&self, pool_id: &str, identifier: &str) -> DomainResult<IdentityProvider> {
        self.load_pool(pool_id).await?;
        let name = self
            .provider_by_identifier(pool_id, identifier)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("No identity provider has the identifier {identifier}.")))?;
        self.describe_identity_provider(pool_id, &name).await
    }

    fn external(&self) -> DomainResult<&crate::federation::ExternalVerifier> {
        self.external.as_ref().ok_or_else(|| DomainError::internal("no HTTP client for identity providers"))
    }

    /// The provider's authorization and token endpoints: from its details, else from the
    /// discovery document of its issuer.
    async fn provider_endpoints(&self, provider: &IdentityProvider) -> DomainResult<(String, String)> {
        let given = |name: &str| provider.details.get(name).cloned();
        if let (Some(authorize), Some(token)) = (given("authorize_url"), given("token_url")) {
            return Ok((authorize, token));
        }
        let issuer = given("oidc_issuer").ok_or_else(|| DomainError::InvalidConfiguration("The provider names no endpoints.".into()))?;
        let discovery = self.external()?.discovery(&issuer).await?;
        let endpoint = |name: &str, detail: &str| {
            given(detail)
                .or_else(|| discovery.get(name).and_then(Value::as_str).map(str::to_string))
                .filter(|url| acceptable_issuer(url))
                .ok_or_else(|| DomainError::ProviderUnreachable(format!("The discovery document of {issuer} has no usable {name}.")))
        };
        Ok((endpoint("authorization_endpoint", "authorize_url")?, endpoint("token_endpoint", "token_url")?))
    }

    /// Starts a federated sign-in: remembers the app's request under a fresh `state` and sends
    /// the browser to the provider with that state, a nonce and a PKCE challenge.
    pub async fn start_upstream(&self, checked: &CheckedAuthorize, provider_name: &str, callback_url: &str) -> DomainResult<String> {
        let provider = self.describe_identity_provider(&checked.pool.id, provider_name).await?;
        let (authorize_url, _) = self.provider_endpoints(&provider).await?;
        let state = random_token(32);
        let request = &checked.request;
        let record = UpstreamState {
            provider: provider.name.clone(),
            verifier: random_token(48),
            nonce: random_token(24),
            client_id: request.client_id.clone(),
            response_type: request.response_type.clone(),
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            scope: request.scope.clone(),
            rp_nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge_method.clone(),
        };
        let data = serde_json::to_string(&record).map_err(DomainError::internal)?;
        let write = RecordWrite::Insert {
            kind: UPSTREAM_STATE,
            scope: checked.pool.id.clone(),
            key: sha256_hex(&state),
            data,
            expires_ms: Some(self.now() + STATE_VALIDITY_MS),
        };
        self.store.write_records(&[write]).await.map_err(store_error)?;
        let scopes = provider.details.get("authorize_scopes").cloned().unwrap_or_default();
        let scopes = scopes.replace(',', " ");
        let challenge = pkce_challenge(&record.verifier);
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", provider.details.get("client_id").map(String::as_str).unwrap_or("")),
            ("redirect_uri", callback_url),
            ("scope", scopes.as_str()),
            ("state", state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        if matches!(provider.provider_type.as_str(), "OIDC" | "Google" | "SignInWithApple") {
            pairs.push(("nonce", record.nonce.as_str()));
        }
        if provider.provider_type == "SignInWithApple" && !scopes.trim().is_empty() {
            pairs.push(("response_mode", "form_post"));
        }
        Ok(with_parameters(&authorize_url, &pairs, false))
    }

    /// Finishes a federated sign-in at the callback: spends the state, exchanges the code,
    /// verifies what the provider says, and signs in (creating or updating) the user it maps to.
    /// Returns the app's authorization request, checked again, and the user.
    pub async fn finish_upstream(&self, pool_id: &str, state: &str, code: &str, callback_url: &str) -> DomainResult<(CheckedAuthorize, User)> {
        let key = sha256_hex(state);
        let data = self.store.get_record(UPSTREAM_STATE, pool_id, &key, self.now()).await.map_err(store_error)?;
        let record: UpstreamState = data
            .map(|data| serde_json::from_str(&data).map_err(DomainError::internal))
            .transpose()?
            .ok_or_else(|| DomainError::NotAuthorized("The sign-in state is unknown or expired; start again.".into()))?;
        self.store
            .write_records(&[RecordWrite::Delete { kind: UPSTREAM_STATE, scope: pool_id.to_string(), key }])
            .await
            .map_err(store_error)?;
        let request = AuthorizeRequest {
            client_id: record.client_id.clone(),
            response_type: record.response_type.clone(),
            redirect_uri: record.redirect_uri.clone(),
            state: record.state.clone(),
            scope: record.scope.clone(),
            nonce: record.rp_nonce.clone(),
            code_challenge: record.code_challenge.clone(),
            code_challenge_method: record.code_challenge_method.clone(),
            identity_provider: Some(record.provider.clone()),
            idp_identifier: None,
            prompt: None,
        };
        let checked = self.check_authorize(pool_id, &request).await.map_err(|error| match error {
            super::hosted::AuthorizeError::Page(message) => invalid(message),
            super::hosted::AuthorizeError::Redirect { description, .. } => invalid(description),
        })?;
        let provider = self.describe_identity_provider(pool_id, &record.provider).await?;
        let claims = self.upstream_claims(&provider, &record, code, callback_url).await?;
        let user = self.federated_user(&checked.pool, &provider, &claims).await?;
        Ok((checked, user))
    }

    /// Exchanges the code and returns the provider's claims about the user.
    async fn upstream_claims(&self, provider: &IdentityProvider, record: &UpstreamState, code: &str, callback_url: &str) -> DomainResult<Value> {
        let external = self.external()?;
        let (_, token_url) = self.provider_endpoints(provider).await?;
        let detail = |name: &str| provider.details.get(name).cloned().unwrap_or_default();
        let client_id = detail("client_id");
        let client_secret = if provider.provider_type == "SignInWithApple" {
            apple_client_secret(&detail("team_id"), &detail("key_id"), &client_id, &detail("private_key"), self.now() / 1000)?
        } else {
            detail("client_secret")
        };
        let mut fields = vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".to_string(), code.to_string()),
            ("redirect_uri".to_string(), callback_url.to_string()),
            ("client_id".to_string(), client_id.clone()),
            ("code_verifier".to_string(), record.verifier.clone()),
        ];
        if !client_secret.is_empty() {
            fields.push(("client_secret".to_string(), client_secret));
        }
        let refused = |what: String| {
            tracing::info!(provider = %provider.name, %what, "identity provider refused the sign-in");
            DomainError::NotAuthorized(format!("{} did not accept the sign-in.", provider.name))
        };
        let answer = external.http().post_form(&token_url, &fields).await.map_err(refused)?;
        match provider.provider_type.as_str() {
            "OIDC" | "Google" | "SignInWithApple" => {
                let id_token = answer.get("id_token").and_then(Value::as_str).ok_or_else(|| refused("no id_token in the token response".into()))?;
                let issuer = detail("oidc_issuer");
                let verified = external.verify_oidc_token(&issuer, id_token).await.map_err(|error| match error {
                    DomainError::InvalidIdentityToken(message) => refused(message),
                    other => other,
                })?;
                if !verified.audiences.iter().any(|audience| audience == &client_id) {
                    return Err(refused("the ID token is for another audience".into()));
                }
                let nonce = verified.claims.get("nonce").and_then(Value::as_str).unwrap_or("");
                if !crate::crypto::constant_time_eq(nonce.as_bytes(), record.nonce.as_bytes()) {
                    return Err(refused("the ID token's nonce is not the one sent".into()));
                }
                Ok(verified.claims)
            }
            "Facebook" | "LoginWithAmazon" => {
                let access_token = answer.get("access_token").and_then(Value::as_str).ok_or_else(|| refused("no access_token in the token response".into()))?;
                let mut url = detail("attributes_url");
                if provider.provider_type == "Facebook" && url.ends_with("fields=") {
                    let mut fields: Vec<String> = vec!["id".into()];
                    fields.extend(provider.attribute_mapping.values().filter(|name| *name != "id").cloned());
                    url.push_str(&fields.join(","));
                }
                let separator = if url.contains('?') { '&' } else { '?' };
                let url = format!("{url}{separator}access_token={}", crate::federation::percent_encode(access_token));
                let claims = external.http().get_json(&url).await.map_err(refused)?;
                let subject_claim = if provider.provider_type == "Facebook" { "id" } else { "user_id" };
                if claim_text(&claims, subject_claim).is_none_or(|subject| subject.is_empty()) {
                    return Err(refused(format!("the profile has no {subject_claim}")));
                }
                Ok(claims)
            }
            other => Err(DomainError::NotImplemented(format!("{other} sign-in is not implemented by cognate."))),
        }
    }

    /// The pool user for a provider's claims: the linked user if AdminLinkProviderForUser
    /// linked this identity, else `<ProviderName>_<subject>`, created on first sign-in; mapped
    /// attributes are written on every sign-in.
    async fn federated_user(&self, pool: &UserPool, provider: &IdentityProvider, claims: &Value) -> DomainResult<User> {
        let subject_claim = provider.attribute_mapping.get("username").map(String::as_str).unwrap_or("sub");
        let subject = claim_text(claims, subject_claim)
            .filter(|subject| !subject.is_empty())
            .ok_or_else(|| DomainError::NotAuthorized(format!("{} sent no {subject_claim}.", provider.name)))?;
        let mut mapped = Vec::new();
        for (attribute, upstream) in &provider.attribute_mapping {
            if attribute == "username" {
                continue;
            }
            if let Some(value) = claim_text(claims, upstream) {
                mapped.push(Attribute { name: attribute.clone(), value });
            }
        }
        let link = self.store.get_record(PROVIDER_LINK, &format!("{}:{}", pool.id, provider.name), &subject, 0).await.map_err(store_error)?;
        if let Some(username_key) = link {
            let user = self.store.get_user(&pool.id, &username_key).await.map_err(store_error)?;
            return user
                .filter(|user| user.enabled)
                .ok_or_else(|| DomainError::NotAuthorized("The user this identity is linked to is disabled or gone.".into()));
        }
        let username = format!("{}_{}", provider.name, subject);
        let now = self.now();
        let identity = json!({
            "userId": subject,
            "providerName": provider.name,
            "providerType": provider.provider_type,
            "issuer": Value::Null,
            "primary": "true",
            "dateCreated": now.to_string(),
        });
        match self.store.get_user(&pool.id, &pool.username_key(&username)).await.map_err(store_error)? {
            Some(mut user) => {
                if !user.enabled {
                    return Err(DomainError::NotAuthorized("User is disabled.".into()));
                }
                for attribute in &mapped {
                    set_attribute(&mut user.attributes, &attribute.name, &attribute.value);
                }
                user.modified_ms = now;
                self.save_user(pool, &mut user).await?;
                Ok(user)
            }
            None => {
                let sub = crate::ids::new_uuid();
                let mut attributes = vec![Attribute { name: "sub".into(), value: sub.clone() }];
                for attribute in &mapped {
                    set_attribute(&mut attributes, &attribute.name, &attribute.value);
                }
                set_attribute(&mut attributes, "identities", &json!([identity]).to_string());
                let user = User::new(&pool.id, username, sub, attributes, UserStatus::ExternalProvider, now);
                self.store.insert_user(&self.user_record(pool, &user)).await.map_err(store_error)?;
                Ok(user)
            }
        }
    }

    /// AdminLinkProviderForUser: future sign-ins of the source identity become sign-ins of
    /// the destination user, whose `identities` attribute records the link.
    pub async fn admin_link_provider_for_user(&self, pool_id: &str, destination: (&str, &str), source: (&str, &str, &str)) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let (destination_provider, destination_username) = destination;
        let (source_provider, source_attribute, source_value) = source;
        if destination_provider != "Cognito" {
            return Err(invalid("DestinationUser.ProviderName must be Cognito."));
        }
        let provider = self.describe_identity_provider(pool_id, source_provider).await?;
        if source_attribute != "Cognito_Subject" {
            return Err(invalid("SourceUser.ProviderAttributeName must be Cognito_Subject for this provider type."));
        }
        let user = self.resolve_user(&pool, destination_username).await?;
        if user.status == UserStatus::ExternalProvider {
            return Err(invalid("The destination user must be a native user of the pool."));
        }
        let federated = format!("{}_{}", provider.name, source_value);
        if self.store.get_user(pool_id, &pool.username_key(&federated)).await.map_err(store_error)?.is_some() {
            return Err(invalid("Merging is not currently supported, provide a SourceUser that has not been used to sign-in before."));
        }
        let scope = format!("{pool_id}:{}", provider.name);
        let write = RecordWrite::Insert { kind: PROVIDER_LINK, scope, key: source_value.to_string(), data: pool.username_key(&user.username), expires_ms: None };
        match self.store.write_records(&[write]).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(DomainError::AliasExists("This identity is already linked to a user.".into())),
            Err(other) => return Err(store_error(other)),
        }
        let link = json!({
            "userId": source_value,
            "providerName": provider.name,
            "providerType": provider.provider_type,
            "issuer": Value::Null,
            "primary": "false",
            "dateCreated": self.now().to_string(),
        });
        let key = pool.username_key(&user.username);
        self.change_user(&pool, &key, |user| {
            let mut identities: Vec<Value> = user.attribute("identities").and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
            identities.push(link.clone());
            set_attribute(&mut user.attributes, "identities", &Value::Array(identities).to_string());
            Ok(())
        })
        .await
        .map(|_| ())
    }

    /// AdminDisableProviderForUser: removes a link made by AdminLinkProviderForUser, or, for a
    /// user created by a federated sign-in, disables that user.
    pub async fn admin_disable_provider_for_user(&self, pool_id: &str, provider_name: &str, attribute: &str, value: &str) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        if attribute != "Cognito_Subject" {
            return Err(invalid("User.ProviderAttributeName must be Cognito_Subject."));
        }
        let scope = format!("{pool_id}:{provider_name}");
        if let Some(username_key) = self.store.get_record(PROVIDER_LINK, &scope, value, 0).await.map_err(store_error)? {
            self.store.write_records(&[RecordWrite::Delete { kind: PROVIDER_LINK, scope, key: value.to_string() }]).await.map_err(store_error)?;
            let unlinked = self
                .change_user(&pool, &username_key, |user| {
                    let identities: Vec<Value> = user.attribute("identities").and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
                    let kept: Vec<Value> = identities
                        .into_iter()
                        .filter(|identity| !(identity.get("providerName").and_then(Value::as_str) == Some(provider_name) && identity.get("userId").and_then(Value::as_str) == Some(value)))
                        .collect();
                    if kept.is_empty() {
                        super::remove_attribute(&mut user.attributes, "identities");
                    } else {
                        set_attribute(&mut user.attributes, "identities", &Value::Array(kept).to_string());
                    }
                    Ok(())
                })
                .await;
            return match unlinked {
                Ok(_) | Err(DomainError::UserNotFound(_)) => Ok(()),
                Err(error) => Err(error),
            };
        }
        let federated = format!("{provider_name}_{value}");
        let now = self.now();
        self.change_user(&pool, &pool.username_key(&federated), |user| {
            user.enabled = false;
            user.modified_ms = now;
            Ok(())
        })
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_client_secrets_are_es256_jwts_that_verify() {
        use ring::signature::{EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", BASE64.encode(pkcs8.as_ref()));
        let secret = apple_client_secret("TEAM123456", "KEY1234567", "com.example.app", &pem, 1_700_000_000).unwrap();
        let parts: Vec<&str> = secret.split('.').collect();
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "TEAM123456");
        assert_eq!(claims["sub"], "com.example.app");
        assert_eq!(claims["aud"], "https://appleid.apple.com");
        let public = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap().public_key().as_ref().to_vec();
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
        assert!(matches!(check_provider(&provider("Saml", "SAML", &[])), Err(DomainError::NotImplemented(_))));
    }
}

//! Verifying tokens of external identity providers: OpenID Connect ID tokens through the
//! issuer's discovery document and JWKS (cached, refetched when an unknown `kid` shows a key
//! rotation), and the social providers' access tokens the way each provider requires. The
//! domain knows no HTTP: the server hands in an [`HttpClient`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;

use crate::clock::Clock;
use crate::error::DomainError;
use crate::tokens::{self, JwsAlgorithm, PublicJwk, TokenError};

/// GETs or POSTs JSON; an error names what failed, for the log.
#[async_trait]
pub trait HttpClient: Send + Sync + 'static {
    async fn get_json(&self, url: &str) -> Result<Value, String>;
    /// POSTs `body` as JSON and parses the JSON answer of a 2xx response.
    async fn post_json(&self, url: &str, body: &Value) -> Result<Value, String>;
    /// POSTs `fields` form-encoded (an OAuth token request) and parses the JSON answer of a
    /// 2xx response; a 4xx answer's JSON error is in the Err text.
    async fn post_form(&self, url: &str, _fields: &[(String, String)]) -> Result<Value, String> {
        Err(format!("{url}: form posts are not supported by this client"))
    }
    /// GETs a document as text (a SAML provider's metadata) from a 2xx answer.
    async fn get_text(&self, url: &str) -> Result<String, String> {
        Err(format!("{url}: text documents are not supported by this client"))
    }
}

/// A JWKS is refetched after this long even when its keys still verify.
const JWKS_TTL: Duration = Duration::from_secs(600);
/// An unknown `kid` refetches the JWKS, but not more often than this per issuer.
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(5);
/// Leeway for clocks that disagree a little on `exp` and `nbf`.
const CLOCK_LEEWAY_SECONDS: i64 = 60;

/// Where the social providers answer; configurable so that tests point them at loopback.
#[derive(Debug, Clone)]
pub struct ProviderEndpoints {
    pub google_issuer: String,
    pub apple_issuer: String,
    pub facebook_graph_url: String,
    pub amazon_api_url: String,
}

impl Default for ProviderEndpoints {
    fn default() -> Self {
        ProviderEndpoints {
            google_issuer: "https://accounts.google.com".into(),
            apple_issuer: "https://appleid.apple.com".into(),
            facebook_graph_url: "https://graph.facebook.com".into(),
            amazon_api_url: "https://api.amazon.com".into(),
        }
    }
}

impl ProviderEndpoints {
    /// The defaults, each replaced by the URL given for it (without a trailing slash); a URL
    /// that is neither https:// nor http:// on a loopback address is refused.
    pub fn with_overrides(google: Option<String>, apple: Option<String>, facebook: Option<String>, amazon: Option<String>) -> Result<Self, String> {
        let defaults = ProviderEndpoints::default();
        let endpoint = |given: Option<String>, default: String, what: &str| {
            let url = given.unwrap_or(default).trim_end_matches('/').to_string();
            match acceptable_issuer(&url) {
                true => Ok(url),
                false => Err(format!("{what} must be an https:// URL (or http:// on a loopback address), got {url}")),
            }
        };
        Ok(ProviderEndpoints {
            google_issuer: endpoint(google, defaults.google_issuer, "the Google issuer")?,
            apple_issuer: endpoint(apple, defaults.apple_issuer, "the Apple issuer")?,
            facebook_graph_url: endpoint(facebook, defaults.facebook_graph_url, "the Facebook Graph URL")?,
            amazon_api_url: endpoint(amazon, defaults.amazon_api_url, "the Amazon API URL")?,
        })
    }
}

struct CachedJwks {
    fetched: Instant,
    keys: Arc<Vec<PublicJwk>>,
}

/// What a verified external login says: who, for which audience.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    pub subject: String,
    pub audiences: Vec<String>,
    pub claims: Value,
}

/// Verifies external tokens, sharing one JWKS cache.
#[derive(Clone)]
pub struct ExternalVerifier {
    http: Arc<dyn HttpClient>,
    min_refresh: Duration,
    clock: Arc<dyn Clock>,
    endpoints: Arc<ProviderEndpoints>,
    jwks: Arc<Mutex<HashMap<String, CachedJwks>>>,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidIdentityToken(message.into())
}

/// Whether an issuer URL may be used: `https`, or `http` on a loopback host (local providers).
pub fn acceptable_issuer(url: &str) -> bool {
    if url.starts_with("https://") {
        return url.len() > "https://".len();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map(|(host, _)| host).unwrap_or(host),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
}

/// An issuer without its scheme: the Logins key and the IAM provider name.
pub fn issuer_key(issuer: &str) -> &str {
    issuer.strip_prefix("https://").or_else(|| issuer.strip_prefix("http://")).unwrap_or(issuer).trim_end_matches('/')
}

fn parse_jwks(document: &Value) -> Result<Vec<PublicJwk>, String> {
    let keys = document.get("keys").and_then(Value::as_array).ok_or("the JWKS has no keys array")?;
    Ok(keys
        .iter()
        .filter(|key| key.get("kty").and_then(Value::as_str) == Some("RSA"))
        .filter(|key| key.get("use").and_then(Value::as_str).is_none_or(|usage| usage == "sig"))
        .filter_map(|key| {
            Some(PublicJwk {
                kid: key.get("kid").and_then(Value::as_str).unwrap_or("").to_string(),
                algorithm: key.get("alg").and_then(Value::as_str).map(str::to_string),
                modulus: key.get("n")?.as_str()?.to_string(),
                exponent: key.get("e")?.as_str()?.to_string(),
            })
        })
        .collect())
}

impl ExternalVerifier {
    pub fn new(http: Arc<dyn HttpClient>, clock: Arc<dyn Clock>, endpoints: ProviderEndpoints) -> Self {
        ExternalVerifier { http, min_refresh: JWKS_MIN_REFRESH, clock, endpoints: Arc::new(endpoints), jwks: Arc::default() }
    }

    /// Sets how soon an unknown `kid` may refetch an issuer's keys (tests use zero).
    pub fn with_min_refresh(mut self, min_refresh: Duration) -> Self {
        self.min_refresh = min_refresh;
        self
    }

    pub fn endpoints(&self) -> &ProviderEndpoints {
        &self.endpoints
    }

    /// The HTTP client, for the hosted sign-in's exchanges with upstream providers.
    pub fn http(&self) -> &Arc<dyn HttpClient> {
        &self.http
    }

    /// An issuer's discovery document, checked to name that issuer.
    pub async fn discovery(&self, issuer: &str) -> Result<Value, DomainError> {
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let document = self.http.get_json(&url).await.map_err(|detail| {
            tracing::warn!(issuer, %detail, "identity provider discovery failed");
            DomainError::ProviderUnreachable(format!("Could not read the discovery document of {issuer}."))
        })?;
        if document.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(DomainError::ProviderUnreachable(format!("The discovery document of {issuer} names another issuer.")));
        }
        Ok(document)
    }

    async fn fetch_jwks(&self, issuer: &str) -> Result<Arc<Vec<PublicJwk>>, DomainError> {
        let unreachable = |detail: String| {
            tracing::warn!(issuer, %detail, "identity provider keys could not be fetched");
            DomainError::ProviderUnreachable(format!("Could not fetch the signing keys of {issuer}."))
        };
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery = self.http.get_json(&discovery_url).await.map_err(unreachable)?;
        if discovery.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(unreachable(format!("the discovery document names another issuer: {:?}", discovery.get("issuer"))));
        }
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| unreachable("the discovery document has no jwks_uri".into()))?;
        if !acceptable_issuer(jwks_uri) {
            return Err(unreachable(format!("jwks_uri {jwks_uri} is neither https nor loopback")));
        }
        let document = self.http.get_json(jwks_uri).await.map_err(unreachable)?;
        let keys = Arc::new(parse_jwks(&document).map_err(|detail| unreachable(detail.to_string()))?);
        self.jwks
            .lock()
            .expect("jwks cache lock")
            .insert(issuer.to_string(), CachedJwks { fetched: Instant::now(), keys: keys.clone() });
        Ok(keys)
    }

    /// The issuer's keys: cached, or fetched when missing, stale, or (`want_kid`) lacking a kid
    /// and not refetched in the last few seconds.
    async fn keys_for(&self, issuer: &str, want_kid: Option<&str>) -> Result<Arc<Vec<PublicJwk>>, DomainError> {
        let cached = {
            let cache = self.jwks.lock().expect("jwks cache lock");
            cache.get(issuer).map(|entry| (entry.fetched, entry.keys.clone()))
        };
        match cached {
            Some((fetched, keys)) if fetched.elapsed() < JWKS_TTL => {
                let has_kid = want_kid.is_none_or(|kid| keys.iter().any(|key| key.kid == kid));
                if has_kid || fetched.elapsed() < self.min_refresh {
                    return Ok(keys);
                }
                self.fetch_jwks(issuer).await
            }
            _ => self.fetch_jwks(issuer).await,
        }
    }

    /// Verifies an OpenID Connect ID token of `issuer`: signature with a key from its JWKS
    /// (RS256 or RS512), `iss`, `exp`, `nbf`, and returns its subject and audiences. Which
    /// audiences are acceptable is the caller's to decide.
    pub async fn verify_oidc_token(&self, issuer: &str, token: &str) -> Result<ExternalIdentity, DomainError> {
        let header = token.split('.').next().unwrap_or("");
        let kid = tokens::peek_header(header).and_then(|header| header.get("kid").and_then(Value::as_str).map(str::to_string));
        let keys = self.keys_for(issuer, kid.as_deref()).await?;
        let claims = match tokens::verify_jwt_with(token, &keys, &[JwsAlgorithm::Rs256, JwsAlgorithm::Rs512]) {
            Ok(claims) => claims,
            Err(TokenError::Malformed) => return Err(invalid("The token is not a valid JWT.")),
            Err(TokenError::BadSignature | TokenError::UnknownKey) => return Err(invalid("Couldn't verify signed token.")),
        };
        if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
            return Err(invalid("Issuer doesn't match providerName"));
        }
        let now = self.clock.now_millis().div_euclid(1000);
        let expires = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| invalid("Missing a required claim: exp"))?;
        if now >= expires + CLOCK_LEEWAY_SECONDS {
            return Err(DomainError::InvalidIdentityToken(format!("Token expired: {now} >= {expires}")));
        }
        if claims.get("nbf").and_then(Value::as_i64).is_some_and(|not_before| now + CLOCK_LEEWAY_SECONDS < not_before) {
            return Err(invalid("Token is not yet valid."));
        }
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|subject| !subject.is_empty())
            .ok_or_else(|| invalid("Missing a required claim: sub"))?
            .to_string();
        let audiences = match claims.get("aud") {
            Some(Value::String(audience)) => vec![audience.clone()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => return Err(invalid("Missing a required claim: aud")),
        };
        Ok(ExternalIdentity { subject, audiences, claims })
    }

    /// A Facebook user access token: the app it was issued to (`/app`) must be `app_id`, and
    /// `/me` names the user.
    pub async fn verify_facebook(&self, token: &str, app_id: &str) -> Result<ExternalIdentity, DomainError> {
        let base = self.endpoints.facebook_graph_url.trim_end_matches('/');
        let encoded = percent_encode(token);
        let app = self.provider_json("graph.facebook.com", &format!("{base}/app?access_token={encoded}")).await?;
        if app.get("id").and_then(Value::as_str) != Some(app_id) {
            return Err(invalid("Invalid login token. Not a valid token for this app."));
        }
        let me = self.provider_json("graph.facebook.com", &format!("{base}/me?fields=id&access_token={encoded}")).await?;
        let subject = me.get("id").and_then(Value::as_str).ok_or_else(|| invalid("Invalid login token."))?.to_string();
        Ok(ExternalIdentity { subject, audiences: vec![app_id.to_string()], claims: me })
    }

    /// A Login with Amazon access token, checked through the token-info endpoint: its `aud`
    /// must be `client_id`.
    pub async fn verify_amazon(&self, token: &str, client_id: &str) -> Result<ExternalIdentity, DomainError> {
        let base = self.endpoints.amazon_api_url.trim_end_matches('/');
        let info = self
            .provider_json("www.amazon.com", &format!("{base}/auth/o2/tokeninfo?access_token={}", percent_encode(token)))
            .await?;
        if info.get("aud").and_then(Value::as_str) != Some(client_id) {
            return Err(invalid("Invalid login token. Not a valid token for this app."));
        }
        let subject = info.get("user_id").and_then(Value::as_str).ok_or_else(|| invalid("Invalid login token."))?.to_string();
        Ok(ExternalIdentity { subject, audiences: vec![client_id.to_string()], claims: info })
    }

    async fn provider_json(&self, provider: &str, url: &str) -> Result<Value, DomainError> {
        let value = self.http.get_json(url).await.map_err(|detail| {
            tracing::info!(provider, %detail, "identity provider refused or did not answer");
            invalid("Invalid login token.")
        })?;
        if value.get("error").is_some() {
            return Err(invalid("Invalid login token."));
        }
        Ok(value)
    }
}

/// Percent-encodes a query or fragment value (RFC 3986 unreserved characters stay).
pub fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::crypto::MasterKey;
    use crate::tokens::{generate_signing_key, load_signing_key, sign_jwt, KeyPurpose, SigningKeyRecord};

    /// An issuer's published documents, changeable between requests (key rotation).
    #[derive(Default)]
    struct PublishedDocuments {
        documents: Mutex<HashMap<String, Value>>,
        fetches: Mutex<usize>,
    }

    #[async_trait]
    impl HttpClient for PublishedDocuments {
        async fn get_json(&self, url: &str) -> Result<Value, String> {
            *self.fetches.lock().unwrap() += 1;
            self.documents.lock().unwrap().get(url).cloned().ok_or_else(|| format!("404 {url}"))
        }

        async fn post_json(&self, url: &str, _body: &Value) -> Result<Value, String> {
            Err(format!("405 {url}"))
        }
    }

    const ISSUER: &str = "http://127.0.0.1:9000";

    fn publish(documents: &PublishedDocuments, keys: &[&SigningKeyRecord]) {
        let jwks: Vec<Value> = keys
            .iter()
            .map(|key| serde_json::json!({"kty": "RSA", "kid": key.kid, "n": key.modulus, "e": key.exponent, "use": "sig", "alg": "RS256"}))
            .collect();
        let mut map = documents.documents.lock().unwrap();
        map.insert(
            format!("{ISSUER}/.well-known/openid-configuration"),
            serde_json::json!({"issuer": ISSUER, "jwks_uri": format!("{ISSUER}/jwks")}),
        );
        map.insert(format!("{ISSUER}/jwks"), serde_json::json!({ "keys": jwks }));
    }

    fn token(master_key: &MasterKey, record: &SigningKeyRecord, claims: Value) -> String {
        sign_jwt(&load_signing_key(master_key, record).unwrap(), &claims)
    }

    #[tokio::test]
    async fn oidc_tokens_verify_through_discovery_and_follow_key_rotation() {
        let master_key = MasterKey::generate();
        let first = generate_signing_key(&master_key, "issuer", KeyPurpose::IdToken, 0).unwrap();
        let second = generate_signing_key(&master_key, "issuer", KeyPurpose::IdToken, 0).unwrap();
        let documents = Arc::new(PublishedDocuments::default());
        publish(&documents, &[&first]);
        let verifier = ExternalVerifier::new(documents.clone(), Arc::new(SystemClock), ProviderEndpoints::default())
            .with_min_refresh(Duration::ZERO);
        let now = SystemClock.now_millis() / 1000;
        let claims = serde_json::json!({"iss": ISSUER, "sub": "u1", "aud": "client", "exp": now + 300, "iat": now});
        let verified = verifier.verify_oidc_token(ISSUER, &token(&master_key, &first, claims.clone())).await.unwrap();
        assert_eq!((verified.subject.as_str(), verified.audiences.clone()), ("u1", vec!["client".to_string()]));
        let fetches = *documents.fetches.lock().unwrap();
        verifier.verify_oidc_token(ISSUER, &token(&master_key, &first, claims.clone())).await.unwrap();
        assert_eq!(*documents.fetches.lock().unwrap(), fetches, "known keys are cached");

        // The issuer rotates: a token with the new kid refetches the keys and verifies.
        publish(&documents, &[&second]);
        verifier.verify_oidc_token(ISSUER, &token(&master_key, &second, claims.clone())).await.unwrap();

        let refusals = [
            serde_json::json!({"iss": "http://127.0.0.1:9001", "sub": "u1", "aud": "client", "exp": now + 300}),
            serde_json::json!({"iss": ISSUER, "sub": "u1", "aud": "client", "exp": now - 3600}),
            serde_json::json!({"iss": ISSUER, "aud": "client", "exp": now + 300}),
            serde_json::json!({"iss": ISSUER, "sub": "u1", "exp": now + 300}),
            serde_json::json!({"iss": ISSUER, "sub": "u1", "aud": "client", "exp": now + 300, "nbf": now + 3600}),
        ];
        for claims in refusals {
            let outcome = verifier.verify_oidc_token(ISSUER, &token(&master_key, &second, claims.clone())).await;
            assert!(matches!(outcome, Err(DomainError::InvalidIdentityToken(_))), "{claims}");
        }
        // A key the issuer does not publish (any more) does not verify.
        let outcome = verifier.verify_oidc_token(ISSUER, &token(&master_key, &first, claims)).await;
        assert!(matches!(outcome, Err(DomainError::InvalidIdentityToken(_))));
        // An issuer that cannot be reached is a provider failure, not a bad token.
        let outcome = verifier.verify_oidc_token("http://127.0.0.1:9002", "a.b.c").await;
        assert!(matches!(outcome, Err(DomainError::ProviderUnreachable(_))));
    }

    #[test]
    fn issuers_must_be_https_or_loopback_http() {
        assert!(acceptable_issuer("https://accounts.google.com"));
        assert!(acceptable_issuer("http://127.0.0.1:9000"));
        assert!(acceptable_issuer("http://localhost:9000/realm"));
        assert!(acceptable_issuer("http://[::1]:9000"));
        assert!(!acceptable_issuer("http://example.com"));
        assert!(!acceptable_issuer("http://10.0.0.1:9000"));
        assert!(!acceptable_issuer("ftp://example.com"));
        assert!(!acceptable_issuer("https://"));
        assert_eq!(issuer_key("https://login.example.com/realm/"), "login.example.com/realm");
        assert_eq!(issuer_key("http://127.0.0.1:9000"), "127.0.0.1:9000");
    }
}

//! SAML identity providers of a user pool, the pool acting as the service provider
//! `urn:amazon:cognito:sp:<pool id>`: the IdP's metadata (MetadataFile, or MetadataURL fetched
//! and refreshed), the AuthnRequest sent by HTTP-Redirect with the sign-in state as RelayState,
//! and the response posted to `/saml2/idpresponse`: verified for this pool's ACS URL and entity
//! id, bound to the request it answers (InResponseTo) or, when the IdP started the sign-in and
//! the provider allows it (IDPInit), answering none; each assertion taken once on every node,
//! its NameID and attributes mapped onto the user `<ProviderName>_<NameID>`.

use super::*;
use crate::clock::format_iso8601;
use crate::federation::percent_encode;
use crate::user_pool::hosted::UpstreamFailure;
use super::saml_sp::{encrypts, sp_entity_id, KeyUse};
use crate::saml::{claimed_issuer, verify_response, Decryption, Expectation, IdpMetadata, Solicitation, VerifiedAssertion, REDIRECT_BINDING, SKEW_MS};

/// A fetched MetadataURL document, kept under the pool and the provider's name.
const SAML_METADATA: &str = "saml_metadata";
/// An assertion already taken, kept until it expires.
const SPENT_ASSERTION: &str = "saml_assertion_spent";
/// A MetadataURL document is fetched again after this long (the last good copy serves while
/// the URL cannot be reached).
const METADATA_REFRESH_MS: i64 = 6 * 3600 * 1000;
const FLAGS: &[&str] = &["IDPSignout", "IDPInit", "EncryptedResponses"];

/// Where the claims of a SAML sign-in carry the IdP's entity id (set after the attributes, so no
/// attribute can stand in for it), for the `identities` claim's `issuer`.
pub(super) const SAML_ISSUER_CLAIM: &str = "cognate:saml_issuer";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedMetadata {
    document: String,
    fetched_ms: i64,
}

impl Document for CachedMetadata {
    const KIND: &'static str = SAML_METADATA;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SpentAssertion {
    pub(super) provider: String,
}

impl Document for SpentAssertion {
    const KIND: &'static str = SPENT_ASSERTION;
}

/// The AuthnRequest this pool sends: unsigned, for the HTTP-POST binding back to `acs_url`.
fn authn_request(id: &str, issue_instant: &str, destination: &str, acs_url: &str, pool_id: &str) -> String {
    let escape = |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
         ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{issue_instant}\" Destination=\"{}\" AssertionConsumerServiceURL=\"{}\" \
         ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"><saml:Issuer>{}</saml:Issuer>\
         <samlp:NameIDPolicy AllowCreate=\"true\"/></samlp:AuthnRequest>",
        escape(destination),
        escape(acs_url),
        escape(&sp_entity_id(pool_id)),
    )
}

/// Raw DEFLATE (RFC 1951) in stored blocks, which every inflater reads: the HTTP-Redirect
/// binding asks for DEFLATE, not for compression.
pub(super) fn deflate_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 65_535 * 5 + 5);
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        return vec![0x01, 0x00, 0x00, 0xff, 0xff];
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let length = chunk.len() as u16;
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

impl UserPoolService {
    /// Accepts SAML providers' signatures and digests made with SHA-1.
    pub fn with_saml_sha1(mut self, allow: bool) -> Self {
        self.saml_allow_sha1 = allow;
        self
    }

    /// Checks a SAML provider's details when it is created or updated: exactly one of
    /// MetadataFile and MetadataURL (fetched now), metadata with an HTTP-Redirect sign-on
    /// service, the flags `true` or `false`; SSORedirectBindingURI and SLORedirectBindingURI
    /// are filled in from the metadata, as Cognito shows them.
    pub(super) async fn prepare_saml(&self, provider: &mut IdentityProvider) -> DomainResult<()> {
        let details = &provider.details;
        let document = match (details.get("MetadataFile").filter(|file| !file.is_empty()), details.get("MetadataURL").filter(|url| !url.is_empty())) {
            (Some(file), None) => file.clone(),
            (None, Some(url)) => {
                if !acceptable_issuer(url) {
                    return Err(invalid("MetadataURL must be an https URL (or http on loopback)."));
                }
                let document = self.fetch_metadata(url).await.map_err(|error| invalid(error.to_string()))?;
                let cached = CachedMetadata { document: document.clone(), fetched_ms: self.now() };
                self.store.write_records(&[cached.put_at(&provider.pool_id, &provider.name, None)?]).await?;
                document
            }
            _ => return Err(invalid("ProviderDetails must name exactly one of MetadataFile and MetadataURL.")),
        };
        for flag in FLAGS {
            if details.get(*flag).is_some_and(|value| value != "true" && value != "false") {
                return Err(invalid(format!("{flag} must be true or false.")));
            }
        }
        if details.get("RequestSigningAlgorithm").is_some_and(|algorithm| algorithm != "rsa-sha256") {
            return Err(invalid("RequestSigningAlgorithm must be rsa-sha256."));
        }
        let metadata = IdpMetadata::parse(&document)?;
        let redirect = |endpoints: &[(String, String)]| endpoints.iter().find(|(binding, _)| binding == REDIRECT_BINDING).map(|(_, location)| location.clone());
        let sign_on = redirect(&metadata.sign_on).ok_or_else(|| invalid("The SAML metadata has no SingleSignOnService with the HTTP-Redirect binding."))?;
        provider.details.insert("SSORedirectBindingURI".into(), sign_on);
        match redirect(&metadata.logout) {
            Some(logout) => provider.details.insert("SLORedirectBindingURI".into(), logout),
            None => provider.details.remove("SLORedirectBindingURI"),
        };
        Ok(())
    }

    async fn fetch_metadata(&self, url: &str) -> DomainResult<String> {
        self.external()?.http().get_text(url).await.map_err(|error| DomainError::ProviderUnreachable(format!("The SAML metadata could not be fetched: {error}")))
    }

    /// The provider's metadata: its file, or its URL's document (fetched again when the cached
    /// copy is older than [`METADATA_REFRESH_MS`]; the cached copy serves while the URL fails).
    pub(super) async fn provider_metadata(&self, provider: &IdentityProvider) -> DomainResult<IdpMetadata> {
        if let Some(file) = provider.details.get("MetadataFile").filter(|file| !file.is_empty()) {
            return IdpMetadata::parse(file);
        }
        let url = provider.details.get("MetadataURL").cloned().unwrap_or_default();
        let cached: Option<CachedMetadata> = self.store.get_record_of(&provider.pool_id, &provider.name, 0).await?;
        let now = self.now();
        let document = match cached {
            Some(cached) if now - cached.fetched_ms < METADATA_REFRESH_MS => cached.document,
            cached => match self.fetch_metadata(&url).await {
                Ok(document) if IdpMetadata::parse(&document).is_ok() => {
                    let fresh = CachedMetadata { document: document.clone(), fetched_ms: now };
                    self.store.write_records(&[fresh.put_at(&provider.pool_id, &provider.name, None)?]).await?;
                    document
                }
                failed => match cached {
                    Some(cached) => {
                        tracing::warn!(provider = %provider.name, outcome = ?failed.err(), "SAML metadata refresh failed; using the cached copy");
                        cached.document
                    }
                    None => return Err(DomainError::ProviderUnreachable(format!("The SAML metadata of {} could not be fetched.", provider.name))),
                },
            },
        };
        IdpMetadata::parse(&document)
    }

    /// Starts an SP-initiated sign-in: remembers the app's request and the AuthnRequest's ID
    /// under a fresh state and sends the browser to the IdP's sign-on service with the deflated
    /// AuthnRequest and the state as RelayState.
    pub(super) async fn start_saml(&self, checked: &CheckedAuthorize, provider: &IdentityProvider, acs_url: &str) -> DomainResult<String> {
        let metadata = self.provider_metadata(provider).await?;
        let sign_on = metadata
            .sign_on
            .iter()
            .find(|(binding, _)| binding == REDIRECT_BINDING)
            .map(|(_, location)| location.clone())
            .ok_or_else(|| DomainError::InvalidConfiguration(format!("The SAML metadata of {} has no HTTP-Redirect sign-on service.", provider.name)))?;
        let state = random_token(32);
        let request_id = format!("_{}", random_token(32));
        let record = UpstreamState::for_request(&checked.request, &provider.name, String::new(), request_id.clone());
        let write = record.insert_at(&checked.pool.id, &sha256_hex(&state), Some(self.now() + STATE_VALIDITY_MS))?;
        self.store.write_records(&[write]).await?;
        let xml = authn_request(&request_id, &format_iso8601(self.now() / 1000), &sign_on, acs_url, &checked.pool.id);
        let signed = provider.details.get("RequestSigningAlgorithm").is_some_and(|algorithm| algorithm == "rsa-sha256");
        self.redirect_to_idp(&checked.pool.id, &sign_on, "SAMLRequest", &xml, Some(&state), signed).await
    }

    /// The URL of an IdP's `service` with a SAML message (`parameter`: SAMLRequest or
    /// SAMLResponse) by the HTTP-Redirect binding: deflated, with RelayState, and when `signed`
    /// the query itself signed by the pool's key, in the binding's order.
    pub(super) async fn redirect_to_idp(&self, pool_id: &str, service: &str, parameter: &str, xml: &str, relay_state: Option<&str>, signed: bool) -> DomainResult<String> {
        let mut query = format!("{parameter}={}", percent_encode(&BASE64.encode(deflate_stored(xml.as_bytes()))));
        if let Some(relay_state) = relay_state {
            query.push_str(&format!("&RelayState={}", percent_encode(relay_state)));
        }
        if signed {
            self.sign_redirect(pool_id, &mut query).await?;
        }
        let separator = if service.contains('?') { '&' } else { '?' };
        Ok(format!("{service}{separator}{query}"))
    }

    /// Finishes a sign-in at the ACS: the state (RelayState) spent, the response verified as the
    /// answer to the request sent, the assertion taken once, and the user it maps to signed in.
    pub async fn finish_saml(&self, pool_id: &UserPoolId, saml_response: &str, relay_state: &str, acs_url: &str) -> Result<(CheckedAuthorize, User), UpstreamFailure> {
        let started = async {
            let (record, checked, provider) = self.take_upstream_state(pool_id, relay_state).await?;
            self.saml_assertion(pool_id, &provider, saml_response, Solicitation::Answering(&record.nonce), acs_url).await.map(|assertion| (checked, provider, assertion))
        };
        let (checked, provider, assertion) = started.await.map_err(UpstreamFailure::Page)?;
        self.saml_outcome(checked, &provider, &assertion).await
    }

    /// The user a verified assertion signs in, remembered for single logout.
    async fn saml_outcome(&self, checked: CheckedAuthorize, provider: &IdentityProvider, assertion: &VerifiedAssertion) -> Result<(CheckedAuthorize, User), UpstreamFailure> {
        let (checked, user) = self.federated_outcome(checked, provider, &claims_of(assertion)).await?;
        self.remember_saml_session(&checked.pool, &user, provider, assertion).await.map_err(UpstreamFailure::Page)?;
        Ok((checked, user))
    }

    /// Finishes a sign-in the IdP started (an unsolicited response): `request` is the app's
    /// authorization request as the IdP's RelayState gives it. The provider (named there, else
    /// the one whose metadata's entity id is the response's issuer) must have IDPInit `true`;
    /// the response must answer no request, and is taken once.
    pub async fn finish_idp_initiated_saml(&self, pool_id: &UserPoolId, saml_response: &str, request: &AuthorizeRequest, acs_url: &str) -> Result<(CheckedAuthorize, User), UpstreamFailure> {
        let unsolicited = async {
            let provider = match &request.identity_provider {
                Some(name) => self.describe_identity_provider(pool_id, name).await?,
                None => self.provider_of_issuer(pool_id, saml_response).await?,
            };
            if provider.provider_type != "SAML" || provider.details.get("IDPInit").is_none_or(|flag| flag != "true") {
                return Err(DomainError::NotAuthorized(format!("{} does not accept sign-ins started by the identity provider (IDPInit).", provider.name)));
            }
            let mut request = request.clone();
            request.identity_provider = Some(provider.name.clone());
            let checked = self.check_authorize(pool_id, &request).await.map_err(|error| match error {
                crate::user_pool::hosted::AuthorizeError::Page(message) => invalid(message),
                crate::user_pool::hosted::AuthorizeError::Redirect { description, .. } => invalid(description),
            })?;
            let assertion = self.saml_assertion(pool_id, &provider, saml_response, Solicitation::Unsolicited, acs_url).await?;
            Ok((checked, provider, assertion))
        };
        let (checked, provider, assertion) = unsolicited.await.map_err(UpstreamFailure::Page)?;
        self.saml_outcome(checked, &provider, &assertion).await
    }

    /// The pool's SAML provider whose metadata names the response's (claimed) issuer.
    async fn provider_of_issuer(&self, pool_id: &UserPoolId, saml_response: &str) -> DomainResult<IdentityProvider> {
        let issuer = claimed_issuer(saml_response).ok_or_else(|| DomainError::NotAuthorized("The SAML response names no issuer.".into()))?;
        self.provider_with_entity_id(pool_id, &issuer).await
    }

    /// The pool's SAML provider whose metadata's entity id is `issuer`.
    pub(super) async fn provider_with_entity_id(&self, pool_id: &UserPoolId, issuer: &str) -> DomainResult<IdentityProvider> {
        for stored in self.all_providers(pool_id).await?.into_iter().filter(|provider| provider.provider_type == "SAML") {
            let provider = self.describe_identity_provider(pool_id, &stored.name).await?;
            if self.provider_metadata(&provider).await.is_ok_and(|metadata| metadata.entity_id == issuer) {
                return Ok(provider);
            }
        }
        Err(DomainError::NotAuthorized(format!("No SAML provider of this pool is the issuer {issuer}.")))
    }

    /// A response verified against the provider's metadata for this pool's ACS URL and entity
    /// id, and taken once.
    async fn saml_assertion(&self, pool_id: &UserPoolId, provider: &IdentityProvider, saml_response: &str, solicitation: Solicitation<'_>, acs_url: &str) -> DomainResult<VerifiedAssertion> {
        if provider.provider_type != "SAML" {
            return Err(DomainError::NotAuthorized("The sign-in state does not belong to a SAML provider.".into()));
        }
        let metadata = self.provider_metadata(provider).await?;
        let recipients = [acs_url.to_string()];
        let audiences = [sp_entity_id(pool_id.as_str())];
        // With EncryptedResponses the assertion must come encrypted to the pool's encryption key.
        let encryption_key = match encrypts(provider) {
            true => vec![self.sp_key(pool_id.as_str(), KeyUse::Encryption).await?.2],
            false => Vec::new(),
        };
        let decryption = (!encryption_key.is_empty()).then_some(Decryption { keys: &encryption_key, required: true });
        let expectation = Expectation { metadata: &metadata, recipients: &recipients, audiences: &audiences, in_response_to: solicitation, now_ms: self.now(), allow_sha1: self.saml_allow_sha1, decryption };
        let refused = |error: DomainError| {
            tracing::info!(provider = %provider.name, %error, "SAML response refused");
            DomainError::NotAuthorized(format!("{} did not sign the user in: {}", provider.name, error_text(&error)))
        };
        let assertion = verify_response(saml_response, &expectation).map_err(refused)?;
        self.spend_assertion(pool_id, provider, &assertion).await?;
        Ok(assertion)
    }

    /// Records the assertion as taken; a second use on any node is refused.
    async fn spend_assertion(&self, pool_id: &UserPoolId, provider: &IdentityProvider, assertion: &VerifiedAssertion) -> DomainResult<()> {
        let key = sha256_hex(&format!("{}\n{}", assertion.issuer, assertion.id));
        let spent = SpentAssertion { provider: provider.name.clone() }.insert_at(pool_id, &key, Some(assertion.not_on_or_after_ms + SKEW_MS))?;
        match self.store.write_records(&[spent]).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(_)) => Err(DomainError::NotAuthorized("This SAML response has already been used.".into())),
            Err(other) => Err(other.into()),
        }
    }
}

/// The message of an error, without its kind.
pub(super) fn error_text(error: &DomainError) -> String {
    match error {
        DomainError::InvalidIdentityToken(message) | DomainError::ExpiredToken(message) | DomainError::InvalidParameter(message) => message.clone(),
        other => other.to_string(),
    }
}

/// The claims a SAML assertion gives the attribute mapping: each attribute by its Name and the
/// NameID as `sub`. An attribute of several values maps as Cognito writes it, the values in
/// brackets and separated by a comma and a space (`[staff, admins]`).
fn claims_of(assertion: &VerifiedAssertion) -> Value {
    let mut claims = serde_json::Map::new();
    for (name, values) in &assertion.attributes {
        let value = match values.as_slice() {
            [] => continue,
            [one] => one.clone(),
            several => format!("[{}]", several.join(", ")),
        };
        claims.insert(name.clone(), Value::String(value));
    }
    claims.insert("sub".into(), Value::String(assertion.name_id.clone()));
    claims.insert(SAML_ISSUER_CLAIM.into(), Value::String(assertion.issuer.clone()));
    Value::Object(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_deflate_blocks_frame_the_data() {
        let short = deflate_stored(b"abc");
        assert_eq!(short, vec![0x01, 0x03, 0x00, 0xfc, 0xff, b'a', b'b', b'c']);
        let long = deflate_stored(&vec![7u8; 70_000]);
        assert_eq!(long[0], 0x00, "the first of two blocks is not final");
        assert_eq!(&long[1..3], &65_535u16.to_le_bytes());
        assert_eq!(long[5 + 65_535], 0x01, "the second block is final");
        assert_eq!(long.len(), 70_000 + 10);
    }

    #[test]
    fn several_values_of_an_attribute_map_in_brackets_and_none_not_at_all() {
        let attributes = [("groups", vec!["staff", "admins"]), ("email", vec!["a@corp.test"]), ("empty", vec![])]
            .into_iter()
            .map(|(name, values)| (name.to_string(), values.into_iter().map(str::to_string).collect()))
            .collect();
        let assertion = VerifiedAssertion {
            id: "_a".into(),
            issuer: "https://idp.corp.test".into(),
            name_id: "alice".into(),
            name_id_format: None,
            recipient: String::new(),
            not_on_or_after_ms: 0,
            session_not_on_or_after_ms: None,
            session_index: None,
            attributes,
        };
        let claims = claims_of(&assertion);
        assert_eq!(claims["groups"], "[staff, admins]");
        assert_eq!(claims["email"], "a@corp.test");
        assert_eq!(claims["sub"], "alice");
        assert!(claims.get("empty").is_none());
    }
}

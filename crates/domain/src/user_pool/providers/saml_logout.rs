//! Single logout through a SAML provider with `IDPSignout`: a sign-in through the provider is
//! remembered for the user (NameID, SessionIndex); `/logout` then sends the browser to the IdP's
//! logout service with a signed LogoutRequest (HTTP-Redirect), and the IdP's signed
//! LogoutResponse, posted to `/saml2/logout`, sends it on to where the sign-out was going.

use super::saml::{deflate_stored, error_text};
use super::saml_sp::sp_entity_id;
use super::*;
use crate::clock::format_iso8601;
use crate::federation::percent_encode;
use crate::saml::logout::{verify_logout_response, LogoutRequest};
use crate::saml::VerifiedAssertion;

const SAML_SESSION: &str = "saml_session";
const LOGOUT_STATE: &str = "saml_logout_state";
/// A SAML sign-in is remembered for logout this long (longer than the hosted session's hour).
const SESSION_MS: i64 = 12 * 3600 * 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SamlSession {
    provider: String,
    name_id: String,
    name_id_format: Option<String>,
    session_index: Option<String>,
}

impl Document for SamlSession {
    const KIND: &'static str = SAML_SESSION;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LogoutState {
    provider: String,
    request_id: String,
    target: String,
}

impl Document for LogoutState {
    const KIND: &'static str = LOGOUT_STATE;
}

impl UserPoolService {
    /// Remembers a SAML sign-in of `user` for single logout, when the provider asks for it.
    pub(super) async fn remember_saml_session(&self, pool_id: &str, user: &User, provider: &IdentityProvider, assertion: &VerifiedAssertion) -> DomainResult<()> {
        if provider.details.get("IDPSignout").is_none_or(|flag| flag != "true") {
            return Ok(());
        }
        let session = SamlSession {
            provider: provider.name.clone(),
            name_id: assertion.name_id.clone(),
            name_id_format: assertion.name_id_format.clone(),
            session_index: assertion.session_index.clone(),
        };
        self.store.write_records(&[session.put_at(pool_id, &user.sub, Some(self.now() + SESSION_MS))?]).await?;
        Ok(())
    }

    /// Where `/logout` sends the browser of `user` when it signed in through a SAML provider
    /// with IDPSignout: the IdP's logout service, with a LogoutRequest signed by the pool's key
    /// (the IdP answers at the logout URL of the pool's SP metadata), to go on to `target`.
    /// `None` without such a sign-in.
    pub async fn saml_logout(&self, pool_id: &UserPoolId, user: &User, target: &str) -> DomainResult<Option<String>> {
        let Some(session) = self.store.get_record_of::<SamlSession>(pool_id, &user.sub, self.now()).await? else {
            return Ok(None);
        };
        self.store.write_records(&[SamlSession::delete_at(pool_id, &user.sub)]).await?;
        let Ok(provider) = self.describe_identity_provider(pool_id, &session.provider).await else {
            return Ok(None);
        };
        let logout_service = provider.details.get("SLORedirectBindingURI").filter(|_| provider.details.get("IDPSignout").is_some_and(|flag| flag == "true"));
        let Some(logout_service) = logout_service.cloned() else {
            return Ok(None);
        };
        let request_id = format!("_{}", random_token(32));
        let relay_state = random_token(32);
        let state = LogoutState { provider: provider.name.clone(), request_id: request_id.clone(), target: target.to_string() };
        self.store.write_records(&[state.insert_at(pool_id, &sha256_hex(&relay_state), Some(self.now() + STATE_VALIDITY_MS))?]).await?;
        let request = LogoutRequest {
            id: &request_id,
            issue_instant: &format_iso8601(self.now() / 1000),
            destination: &logout_service,
            issuer: &sp_entity_id(pool_id.as_str()),
            name_id: &session.name_id,
            name_id_format: session.name_id_format.as_deref(),
            session_index: session.session_index.as_deref(),
        };
        let encoded = BASE64.encode(deflate_stored(request.xml().as_bytes()));
        let mut query = format!("SAMLRequest={}&RelayState={}", percent_encode(&encoded), percent_encode(&relay_state));
        self.sign_redirect(pool_id.as_str(), &mut query).await?;
        let separator = if logout_service.contains('?') { '&' } else { '?' };
        Ok(Some(format!("{logout_service}{separator}{query}")))
    }

    /// The IdP's LogoutResponse at `/saml2/logout` (`logout_url`): the state spent, the response
    /// verified as the answer to the request sent; answers where the sign-out goes on to.
    pub async fn finish_saml_logout(&self, pool_id: &UserPoolId, saml_response: &str, relay_state: &str, logout_url: &str) -> DomainResult<String> {
        let key = sha256_hex(relay_state);
        let state: LogoutState = self
            .store
            .get_record_of(pool_id, &key, self.now())
            .await?
            .ok_or_else(|| DomainError::NotAuthorized("The sign-out state is unknown or expired.".into()))?;
        self.store.write_records(&[LogoutState::delete_at(pool_id, &key)]).await?;
        let provider = self.describe_identity_provider(pool_id, &state.provider).await?;
        let metadata = self.provider_metadata(&provider).await?;
        verify_logout_response(saml_response, &metadata, logout_url, &state.request_id)
            .map_err(|error| DomainError::NotAuthorized(format!("{} did not sign the user out: {}", provider.name, error_text(&error))))?;
        Ok(state.target)
    }
}

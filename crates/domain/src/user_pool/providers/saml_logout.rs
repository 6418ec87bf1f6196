//! Single logout through a SAML provider with `IDPSignout`. A sign-in through the provider is
//! remembered for the user (NameID, SessionIndex). Started here: `/logout` sends the browser to
//! the IdP's logout service with a signed LogoutRequest (HTTP-Redirect), and the IdP's signed
//! LogoutResponse, posted or redirected to `/saml2/logout`, sends it on to where the sign-out was
//! going. Started at the IdP: its signed LogoutRequest at `/saml2/logout` (either binding) ends
//! the user's hosted sessions and revokes their refresh tokens on every node, and the browser
//! goes back to the IdP with this side's signed LogoutResponse.

use super::saml::{error_text, SpentAssertion};
use super::saml_sp::sp_entity_id;
use super::*;
use crate::clock::format_iso8601;
use crate::saml::logout::{
    claimed_message_issuer, posted_message, verify_logout_request, verify_logout_response, IdpLogoutRequest, LogoutRequest, LogoutResponse, REQUESTER, SUCCESS,
    UNKNOWN_PRINCIPAL,
};
use crate::saml::redirect::{read_redirect, RedirectMessage};
use crate::saml::VerifiedAssertion;

const SAML_SESSION: &str = "saml_session";
const SAML_SUBJECT: &str = "saml_subject";
const LOGOUT_STATE: &str = "saml_logout_state";
/// A SAML sign-in is remembered for logout this long (longer than the hosted session's hour).
const SESSION_MS: i64 = 12 * 3600 * 1000;

/// A user's last sign-in through a SAML provider, filed under the user's sub.
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

/// The user a provider's NameID signed in as, filed under the hash of the two: how an IdP's
/// LogoutRequest finds whom to sign out.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SamlSubject {
    username: String,
    sub: String,
    session_index: Option<String>,
}

impl Document for SamlSubject {
    const KIND: &'static str = SAML_SUBJECT;
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

/// A SAML message at `/saml2/logout`, as the binding it came by carries it.
pub enum SamlLogoutMessage<'a> {
    /// HTTP-Redirect: the raw query string (the message deflated, its signature over the query).
    Redirect(&'a str),
    /// HTTP-POST: the base64 message of the form and its RelayState.
    Post { message: &'a str, relay_state: Option<&'a str> },
}

impl SamlLogoutMessage<'_> {
    /// The message's XML and RelayState, and the redirect whose signature is still to be checked.
    fn read(&self, parameter: &str) -> DomainResult<(String, Option<String>, Option<RedirectMessage>)> {
        match self {
            SamlLogoutMessage::Redirect(query) => {
                let message = read_redirect(query, parameter)?;
                Ok((message.xml.clone(), message.relay_state.clone(), Some(message)))
            }
            SamlLogoutMessage::Post { message, relay_state } => Ok((posted_message(message)?, relay_state.map(str::to_string), None)),
        }
    }
}

fn subject_key(provider: &str, name_id: &str) -> String {
    sha256_hex(&format!("{provider}\n{name_id}"))
}

fn signs_out(provider: &IdentityProvider) -> bool {
    provider.details.get("IDPSignout").is_some_and(|flag| flag == "true")
}

impl UserPoolService {
    /// Remembers a SAML sign-in of `user` for single logout, when the provider asks for it.
    pub(super) async fn remember_saml_session(&self, pool: &UserPool, user: &User, provider: &IdentityProvider, assertion: &VerifiedAssertion) -> DomainResult<()> {
        if !signs_out(provider) {
            return Ok(());
        }
        let until = Some(self.now() + SESSION_MS);
        let session = SamlSession {
            provider: provider.name.clone(),
            name_id: assertion.name_id.clone(),
            name_id_format: assertion.name_id_format.clone(),
            session_index: assertion.session_index.clone(),
        };
        let subject = SamlSubject { username: user.username.clone(), sub: user.sub.clone(), session_index: assertion.session_index.clone() };
        let writes = [session.put_at(&pool.id, &user.sub, until)?, subject.put_at(&pool.id, &subject_key(&provider.name, &assertion.name_id), until)?];
        self.store.write_records(&writes).await?;
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
        let Some(logout_service) = provider.details.get("SLORedirectBindingURI").filter(|_| signs_out(&provider)).cloned() else {
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
        self.redirect_to_idp(pool_id.as_str(), &logout_service, "SAMLRequest", &request.xml(), Some(&relay_state), true).await.map(Some)
    }

    /// The IdP's LogoutResponse at `/saml2/logout` (`logout_url`): the state spent, the response
    /// verified as the answer to the request sent; answers where the sign-out goes on to.
    pub async fn finish_saml_logout(&self, pool_id: &UserPoolId, message: SamlLogoutMessage<'_>, logout_url: &str) -> DomainResult<String> {
        let (xml, relay_state, redirect) = message.read("SAMLResponse").map_err(|error| refused_logout(&error))?;
        let relay_state = relay_state.ok_or_else(|| DomainError::NotAuthorized("The identity provider's logout answer has no RelayState.".into()))?;
        let key = sha256_hex(&relay_state);
        let state: LogoutState = self
            .store
            .get_record_of(pool_id, &key, self.now())
            .await?
            .ok_or_else(|| DomainError::NotAuthorized("The sign-out state is unknown or expired.".into()))?;
        self.store.write_records(&[LogoutState::delete_at(pool_id, &key)]).await?;
        let provider = self.describe_identity_provider(pool_id, &state.provider).await?;
        let metadata = self.provider_metadata(&provider).await?;
        verify_binding(redirect.as_ref(), &metadata.signing_keys, self.saml_allow_sha1)
            .and_then(|()| verify_logout_response(&xml, &metadata, logout_url, &state.request_id, redirect.is_some()))
            .map_err(|error| DomainError::NotAuthorized(format!("{} did not sign the user out: {}", provider.name, error_text(&error))))?;
        Ok(state.target)
    }

    /// A LogoutRequest the IdP sent when the user signed out there, at `/saml2/logout`
    /// (`logout_url`): verified against the metadata of the provider it names (which must have
    /// IDPSignout), taken once; the user its NameID signed in as is signed out of every hosted
    /// session and every refresh token, unless the request names other sessions than the
    /// remembered one. Answers the IdP's logout service with the signed LogoutResponse.
    pub async fn idp_logout(&self, pool_id: &UserPoolId, message: SamlLogoutMessage<'_>, logout_url: &str) -> DomainResult<String> {
        let (xml, relay_state, redirect) = message.read("SAMLRequest").map_err(|error| refused_logout(&error))?;
        let issuer = claimed_message_issuer(&xml).ok_or_else(|| DomainError::NotAuthorized("The SAML logout request names no issuer.".into()))?;
        let provider = self.provider_with_entity_id(pool_id, &issuer).await?;
        if !signs_out(&provider) {
            return Err(DomainError::NotAuthorized(format!("{} does not take part in single logout (IDPSignout).", provider.name)));
        }
        let metadata = self.provider_metadata(&provider).await?;
        let request = verify_binding(redirect.as_ref(), &metadata.signing_keys, self.saml_allow_sha1)
            .and_then(|()| verify_logout_request(&xml, &metadata, logout_url, self.now(), redirect.is_some(), self.saml_allow_sha1))
            .map_err(|error| DomainError::NotAuthorized(format!("The sign-out {} asked for is refused: {}", provider.name, error_text(&error))))?;
        let spent = SpentAssertion { provider: provider.name.clone() }.insert_at(pool_id, &sha256_hex(&format!("logout\n{issuer}\n{}", request.id)), Some(request.valid_until_ms))?;
        match self.store.write_records(&[spent]).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(DomainError::NotAuthorized("This SAML logout request has already been used.".into())),
            Err(other) => return Err(other.into()),
        }
        let ended = self.end_saml_sessions(pool_id, &provider, &request).await?;
        let (status, detail) = if ended { (SUCCESS, None) } else { (REQUESTER, Some(UNKNOWN_PRINCIPAL)) };
        tracing::info!(provider = %provider.name, status, "single logout started by the identity provider");
        let logout_service = provider
            .details
            .get("SLORedirectBindingURI")
            .cloned()
            .ok_or_else(|| DomainError::InvalidConfiguration(format!("The SAML metadata of {} has no HTTP-Redirect logout service to answer.", provider.name)))?;
        let response = LogoutResponse {
            id: &format!("_{}", random_token(32)),
            issue_instant: &format_iso8601(self.now() / 1000),
            destination: &logout_service,
            issuer: &sp_entity_id(pool_id.as_str()),
            in_response_to: &request.id,
            status,
            detail,
        };
        self.redirect_to_idp(pool_id.as_str(), &logout_service, "SAMLResponse", &response.xml(), relay_state.as_deref(), true).await
    }

    /// Signs out the user a LogoutRequest's NameID signed in as; false when no sign-in of that
    /// NameID is remembered. A request for other sessions than the remembered one ends nothing
    /// (those are over already) but is answered as done.
    async fn end_saml_sessions(&self, pool_id: &UserPoolId, provider: &IdentityProvider, request: &IdpLogoutRequest) -> DomainResult<bool> {
        let key = subject_key(&provider.name, &request.name_id);
        let Some(subject) = self.store.get_record_of::<SamlSubject>(pool_id, &key, self.now()).await? else {
            return Ok(false);
        };
        let current = request.session_indexes.is_empty() || subject.session_index.as_ref().is_none_or(|index| request.session_indexes.contains(index));
        if current {
            let pool = self.load_pool(pool_id).await?;
            self.store.revoke_user_tokens(&pool.id, &pool.username_key(&subject.username)).await?;
            self.end_hosted_sessions_of(&pool.id, &subject.sub).await?;
            self.store.write_records(&[SamlSubject::delete_at(pool_id, &key), SamlSession::delete_at(pool_id, &subject.sub)]).await?;
        }
        Ok(true)
    }
}

/// The HTTP-Redirect binding's query signature, when the message came that way (an HTTP-POST
/// message carries its own, checked with the message).
fn verify_binding(redirect: Option<&RedirectMessage>, keys: &[Vec<u8>], allow_sha1: bool) -> DomainResult<()> {
    redirect.map_or(Ok(()), |redirect| redirect.verify(keys, allow_sha1))
}

fn refused_logout(error: &DomainError) -> DomainError {
    DomainError::NotAuthorized(format!("The SAML logout message is refused: {}", error_text(error)))
}

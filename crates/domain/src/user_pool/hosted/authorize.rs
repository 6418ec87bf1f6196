//! `/oauth2/authorize`: the checks of an authorization request, the browser's signed-in session,
//! and the authorization code issued for a signed-in user.

use super::*;

impl UserPoolService {
    /// Checks an authorization request against the client's OAuth settings.
    pub async fn check_authorize(&self, pool_id: &UserPoolId, request: &AuthorizeRequest) -> Result<CheckedAuthorize, AuthorizeError> {
        let page = |message: &str| AuthorizeError::Page(message.to_string());
        let internal = |error: DomainError| {
            tracing::error!(%error, "checking an authorization request");
            AuthorizeError::Page("An internal error occurred.".into())
        };
        if crate::ids::check_client_id(&request.client_id).is_err() {
            return Err(page("The client_id is missing or unknown."));
        }
        let client = self
            .store
            .find_app_client(&request.client_id)
            .await
            .map_err(|error| internal(DomainError::from(error)))?
            .filter(|client| client.pool_id == *pool_id)
            .ok_or_else(|| page("The client_id is missing or unknown."))?;
        let pool = self.load_pool(pool_id).await.map_err(internal)?;
        let oauth = &client.settings.oauth;
        let callbacks = oauth.callback_urls.clone().unwrap_or_default();
        if request.redirect_uri.is_empty() || !callbacks.iter().any(|url| url == &request.redirect_uri) {
            return Err(page("redirect_mismatch: the redirect_uri is not one of the client's callback URLs."));
        }
        let redirect = |error: &'static str, description: &str| AuthorizeError::Redirect { error, description: description.to_string() };
        let kind = match request.response_type.as_str() {
            "code" => ResponseKind::Code,
            "token" => ResponseKind::Token,
            _ => return Err(redirect("unsupported_response_type", "response_type must be code or token.")),
        };
        let flow = if kind == ResponseKind::Code { "code" } else { "implicit" };
        let flow_allowed = oauth.allowed_oauth_flows_user_pool_client && oauth.allowed_oauth_flows.as_ref().is_some_and(|flows| flows.iter().any(|allowed| allowed == flow));
        if !flow_allowed {
            return Err(redirect("unauthorized_client", &format!("The client may not use the {flow} flow.")));
        }
        let allowed_scopes = oauth.allowed_oauth_scopes.clone().unwrap_or_default();
        let scopes: Vec<String> = match request.scope.as_deref().map(str::trim).filter(|scope| !scope.is_empty()) {
            Some(scope) => {
                let mut wanted: Vec<String> = Vec::new();
                for part in scope.split([' ', '+']).filter(|part| !part.is_empty()) {
                    if !allowed_scopes.iter().any(|allowed| allowed == part) {
                        return Err(redirect("invalid_scope", &format!("The scope {part} is not allowed for this client.")));
                    }
                    if !wanted.iter().any(|seen| seen == part) {
                        wanted.push(part.to_string());
                    }
                }
                wanted
            }
            None => allowed_scopes,
        };
        if scopes.is_empty() {
            return Err(redirect("invalid_scope", "The client is allowed no scopes."));
        }
        if kind == ResponseKind::Code {
            match (request.code_challenge.as_deref(), request.code_challenge_method.as_deref()) {
                (Some(challenge), Some("S256")) if challenge.len() == 43 && URL_SAFE_NO_PAD.decode(challenge).is_ok() => {}
                (Some(_), Some("S256")) => return Err(redirect("invalid_request", "code_challenge is not a BASE64URL SHA-256 digest.")),
                (Some(_), None) | (Some(_), Some(_)) => return Err(redirect("invalid_request", "code_challenge_method must be S256.")),
                (None, Some(_)) => return Err(redirect("invalid_request", "code_challenge_method without code_challenge.")),
                (None, None) => {}
            }
        }
        let supported = oauth.supported_identity_providers.clone().unwrap_or_default();
        let cognito_allowed = supported.iter().any(|name| name == "COGNITO");
        let external_providers: Vec<String> = supported.iter().filter(|name| *name != "COGNITO").cloned().collect();
        let upstream = match (request.identity_provider.as_deref(), request.idp_identifier.as_deref()) {
            (Some("COGNITO"), _) if cognito_allowed => None,
            (Some(name), _) if external_providers.iter().any(|supported| supported == name) => Some(name.to_string()),
            (Some(_), _) => return Err(redirect("invalid_request", "The identity_provider is not enabled for this client.")),
            (None, Some(identifier)) => {
                let provider = self.provider_by_identifier(pool_id, identifier).await.map_err(internal)?;
                match provider {
                    Some(name) if external_providers.contains(&name) => Some(name),
                    _ => return Err(redirect("invalid_request", "No identity provider of this client has that idp_identifier.")),
                }
            }
            (None, None) if !cognito_allowed && external_providers.len() == 1 => Some(external_providers[0].clone()),
            (None, None) if !cognito_allowed && external_providers.is_empty() => {
                return Err(redirect("unauthorized_client", "The client has no identity providers."));
            }
            (None, None) => None,
        };
        let routes_by_email = !external_providers.is_empty()
            && upstream.is_none()
            && self.all_providers(pool_id).await.map_err(internal)?.iter().any(|provider| external_providers.contains(&provider.name) && !provider.idp_identifiers.is_empty());
        Ok(CheckedAuthorize { pool, client, request: request.clone(), kind, scopes, external_providers, cognito_allowed, upstream, routes_by_email })
    }

    /// Starts the browser's signed-in session once PostAuthentication has passed (the hosted
    /// pages' sign-ins, by any factor or a federated provider); the token goes in a cookie.
    pub async fn start_hosted_session(&self, pool_id: &UserPoolId, client_id: &str, user: &User, auth_time_ms: i64) -> DomainResult<String> {
        let token = random_token(32);
        let pool = self.load_pool(pool_id).await?;
        self.post_authentication(&pool, client_id, user, false).await?;
        let record = SessionRecord { username_key: pool.username_key(&user.username), sub: user.sub.clone(), auth_time_ms };
        let write = record.put_at(pool_id, &sha256_hex(&token), Some(self.now() + HOSTED_SESSION_MS))?;
        self.store.write_records(&[write]).await?;
        Ok(token)
    }

    /// The user of a live session cookie, with the time they signed in; None when the session
    /// is unknown, expired, ended by a single logout, or its user is gone or disabled.
    pub async fn hosted_session_user(&self, pool_id: &UserPoolId, token: &str) -> DomainResult<Option<(User, i64)>> {
        let now = self.now();
        let record: Option<SessionRecord> = self.store.get_record_of(pool_id, &sha256_hex(token), now).await?;
        let Some(record) = record else { return Ok(None) };
        let signed_out: Option<SignedOutRecord> = self.store.get_record_of(pool_id, &record.sub, now).await?;
        if signed_out.is_some_and(|signed_out| record.auth_time_ms <= signed_out.at_ms) {
            return Ok(None);
        }
        let user = self.store.get_user(pool_id, &record.username_key).await?;
        Ok(user.filter(|user| user.sub == record.sub && user.enabled).map(|user| (user, record.auth_time_ms)))
    }

    pub async fn end_hosted_session(&self, pool_id: &UserPoolId, token: &str) -> DomainResult<()> {
        self.store
            .write_records(&[SessionRecord::delete_at(pool_id, &sha256_hex(token))])
            .await
            .map_err(DomainError::from)
    }

    /// Ends every hosted session of the user `sub` that has started by now, on every node.
    pub(crate) async fn end_hosted_sessions_of(&self, pool_id: &str, sub: &str) -> DomainResult<()> {
        let now = self.now();
        let record = SignedOutRecord { at_ms: now }.put_at(pool_id, sub, Some(now + HOSTED_SESSION_MS))?;
        self.store.write_records(&[record]).await.map_err(DomainError::from)
    }

    /// Finishes an authorization for a signed-in user: a code for the code flow, tokens in the
    /// fragment for the implicit flow; `state` goes back either way.
    pub async fn complete_authorize(&self, checked: &CheckedAuthorize, user: &User, auth_time_ms: i64) -> DomainResult<AuthorizeRedirect> {
        let request = &checked.request;
        let state = request.state.as_deref();
        match checked.kind {
            ResponseKind::Code => {
                let code = random_token(32);
                let record = CodeRecord {
                    client_id: checked.client.client_id.to_string(),
                    redirect_uri: request.redirect_uri.clone(),
                    username_key: checked.pool.username_key(&user.username),
                    sub: user.sub.clone(),
                    scopes: checked.scopes.clone(),
                    nonce: request.nonce.clone(),
                    code_challenge: request.code_challenge.clone(),
                    auth_time_ms,
                };
                let write = record.insert_at(&checked.pool.id, &sha256_hex(&code), Some(self.now() + CODE_VALIDITY_MS))?;
                self.store.write_records(&[write]).await?;
                let mut pairs = vec![("code", code.as_str())];
                if let Some(state) = state {
                    pairs.push(("state", state));
                }
                Ok(AuthorizeRedirect(with_parameters(&request.redirect_uri, &pairs, false)))
            }
            ResponseKind::Token => {
                let grant = OAuthGrant { scopes: checked.scopes.clone(), nonce: request.nonce.clone(), refresh: false, sign_in_id: None };
                let tokens = self.issue_tokens(&checked.pool, &checked.client, user, auth_time_ms, Issue { grant: Some(&grant), source: Some("TokenGeneration_HostedAuth"), ..Issue::default() }).await?;
                let expires_in = tokens.expires_in.to_string();
                let mut pairs = vec![("access_token", tokens.access_token.as_str())];
                if !tokens.id_token.is_empty() {
                    pairs.push(("id_token", tokens.id_token.as_str()));
                }
                pairs.extend([("token_type", "Bearer"), ("expires_in", expires_in.as_str())]);
                if let Some(state) = state {
                    pairs.push(("state", state));
                }
                Ok(AuthorizeRedirect(with_parameters(&request.redirect_uri, &pairs, true)))
            }
        }
    }
}

//! A federated sign-in: the redirect upstream with state, nonce and PKCE, the code exchange, the
//! check of the ID token or profile, and the federated user the claims map onto.

use super::*;
use crate::user_pool::hosted::UpstreamFailure;

impl UserPoolService {
    pub(crate) fn external(&self) -> DomainResult<&crate::federation::ExternalVerifier> {
        self.external.as_ref().ok_or_else(|| DomainError::internal("no HTTP client for identity providers"))
    }

    /// The provider's authorization and token endpoints: from its details, else from the
    /// discovery document of its issuer.
    pub(crate) async fn provider_endpoints(&self, provider: &IdentityProvider) -> DomainResult<(String, String)> {
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
    /// the browser to the provider with that state, a nonce and a PKCE challenge (an OIDC or
    /// social provider, back to `<base>/oauth2/idpresponse`), or with an AuthnRequest (SAML,
    /// back to `<base>/saml2/idpresponse`). `base` is the origin and path prefix of the pages.
    pub async fn start_upstream(&self, checked: &CheckedAuthorize, provider_name: &str, base: &str) -> DomainResult<String> {
        let provider = self.describe_identity_provider(&checked.pool.id, provider_name).await?;
        if provider.provider_type == "SAML" {
            return self.start_saml(checked, &provider, &format!("{base}/saml2/idpresponse")).await;
        }
        let callback_url = format!("{base}/oauth2/idpresponse");
        let callback_url = callback_url.as_str();
        let (authorize_url, _) = self.provider_endpoints(&provider).await?;
        let state = random_token(32);
        let record = UpstreamState::for_request(&checked.request, &provider.name, random_token(48), random_token(24));
        let write = record.insert_at(&checked.pool.id, &sha256_hex(&state), Some(self.now() + STATE_VALIDITY_MS))?;
        self.store.write_records(&[write]).await?;
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
    /// Returns the app's authorization request, checked again, and the user. A trigger that
    /// refuses the user is told to the app (see [`UpstreamFailure`]); anything else is a page.
    pub async fn finish_upstream(&self, pool_id: &UserPoolId, state: &str, code: &str, callback_url: &str) -> Result<(CheckedAuthorize, User), UpstreamFailure> {
        let (checked, provider, claims) = self.upstream_sign_in(pool_id, state, code, callback_url).await.map_err(UpstreamFailure::Page)?;
        self.federated_outcome(checked, &provider, &claims).await
    }

    /// The user a provider's verified claims map to, or why the sign-in ends.
    pub(super) async fn federated_outcome(&self, checked: CheckedAuthorize, provider: &IdentityProvider, claims: &Value) -> Result<(CheckedAuthorize, User), UpstreamFailure> {
        match self.federated_user(&checked.pool, &checked.client.client_id, provider, claims).await {
            Ok(user) => Ok((checked, user)),
            Err(error @ (DomainError::TriggerRefused(_) | DomainError::TriggerOutputInvalid(_) | DomainError::TriggerUnavailable(_))) => {
                Err(UpstreamFailure::App { request: checked.request, error })
            }
            Err(error) => Err(UpstreamFailure::Page(error)),
        }
    }

    /// The state spent, the app's request checked again, and the provider's verified claims.
    async fn upstream_sign_in(&self, pool_id: &UserPoolId, state: &str, code: &str, callback_url: &str) -> DomainResult<(CheckedAuthorize, IdentityProvider, Value)> {
        let (record, checked, provider) = self.take_upstream_state(pool_id, state).await?;
        let claims = self.upstream_claims(&provider, &record, code, callback_url).await?;
        Ok((checked, provider, claims))
    }

    /// Spends a sign-in state: the kept request, checked again, and its provider.
    pub(super) async fn take_upstream_state(&self, pool_id: &UserPoolId, state: &str) -> DomainResult<(UpstreamState, CheckedAuthorize, IdentityProvider)> {
        let key = sha256_hex(state);
        let record: UpstreamState = self
            .store
            .get_record_of(pool_id, &key, self.now())
            .await?
            .ok_or_else(|| DomainError::NotAuthorized("The sign-in state is unknown or expired; start again.".into()))?;
        self.store.write_records(&[UpstreamState::delete_at(pool_id, &key)]).await?;
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
            crate::user_pool::hosted::AuthorizeError::Page(message) => invalid(message),
            crate::user_pool::hosted::AuthorizeError::Redirect { description, .. } => invalid(description),
        })?;
        let provider = self.describe_identity_provider(pool_id, &record.provider).await?;
        Ok((record, checked, provider))
    }

    /// Exchanges the code and returns the provider's claims about the user.
    pub(crate) async fn upstream_claims(&self, provider: &IdentityProvider, record: &UpstreamState, code: &str, callback_url: &str) -> DomainResult<Value> {
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
    /// attributes are written on every sign-in. A new user passes PreSignUp
    /// (`PreSignUp_ExternalProvider`) first, whose autoVerifyEmail and autoVerifyPhone apply.
    pub(crate) async fn federated_user(&self, pool: &UserPool, client_id: &str, provider: &IdentityProvider, claims: &Value) -> DomainResult<User> {
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
        let link = self.store.get_record(PROVIDER_LINK, &format!("{}:{}", pool.id, provider.name), &subject, 0).await?;
        if let Some(username_key) = link {
            let user = self.store.get_user(&pool.id, &username_key).await?;
            return user
                .filter(|user| user.enabled)
                .ok_or_else(|| DomainError::NotAuthorized("The user this identity is linked to is disabled or gone.".into()));
        }
        let username = format!("{}_{}", provider.name, subject);
        let now = self.now();
        // The IdP's issuer for OIDC and SAML providers, none for the social ones (as Cognito).
        let issuer = match provider.provider_type.as_str() {
            "OIDC" => provider.details.get("oidc_issuer").map(|issuer| Value::String(issuer.clone())),
            "SAML" => claims.get(super::saml::SAML_ISSUER_CLAIM).cloned(),
            _ => None,
        };
        let identity = json!({
            "userId": subject,
            "providerName": provider.name,
            "providerType": provider.provider_type,
            "issuer": issuer.unwrap_or(Value::Null),
            "primary": "true",
            "dateCreated": now.to_string(),
        });
        match self.store.get_user(&pool.id, &pool.username_key(&username)).await? {
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
                let answer = self.pre_sign_up(pool, "PreSignUp_ExternalProvider", &username, Some(client_id), &attributes, &Default::default()).await?;
                crate::user_pool::users::apply_auto_verify(&mut attributes, answer);
                let user = User::new(&pool.id, username, sub, attributes, UserStatus::ExternalProvider, now);
                self.store.insert_user(&self.user_record(pool, &user)).await?;
                Ok(user)
            }
        }
    }
}

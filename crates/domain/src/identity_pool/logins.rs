//! The Logins map proved: each login verified against the pool's providers (this server's user
//! pools, IAM OIDC providers, the social providers, developer tokens).

use super::*;
use crate::ids::UserPoolId;

/// Where a SAML login keeps the roles its assertion lists for the provider.
pub(super) const SAML_ROLES_CLAIM: &str = "cognate:saml_roles";

impl IdentityPoolService {
    /// Verifies every login of a Logins map against the pool's providers, with the user pools as
    /// of config version `version` (the one the pool was read at).
    pub(super) async fn prove(&self, (pool, version): (&IdentityPool, i64), logins: &BTreeMap<String, String>) -> DomainResult<ProvenLogins> {
        if logins.len() > 10 {
            return Err(DomainError::InvalidParameter("Logins may name at most 10 providers.".into()));
        }
        let mut proven = ProvenLogins::default();
        for (key, token) in logins {
            if token.is_empty() || token.len() > 50_000 {
                return Err(DomainError::InvalidParameter("Invalid login token.".into()));
            }
            if key == COGNITO_IDENTITY {
                let claims = self.verify_openid_token(token).await.map_err(|_| DomainError::NotAuthorized("Invalid login token.".into()))?;
                if claims.get("aud").and_then(Value::as_str) != Some(pool.id.as_str()) {
                    return Err(DomainError::NotAuthorized("Invalid login token. Incorrect token audience.".into()));
                }
                let identity_id = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
                let amr = string_list_claim(&claims, "amr");
                proven.token_identity = Some((identity_id, amr));
                continue;
            }
            proven.logins.push(self.verify_login(pool, version, key, token).await?);
        }
        Ok(proven)
    }

    pub(super) async fn verify_login(&self, pool: &IdentityPool, version: i64, key: &str, token: &str) -> DomainResult<VerifiedLogin> {
        // User pools: the AWS-style key, or the issuer without its scheme (as Amplify derives it).
        let user_pool_id = crate::ids::user_pool_of_provider(key)
            .or_else(|| key.strip_prefix(&format!("{}/", issuer_key(self.user_pools.issuer_base()))))
            .filter(|rest| !rest.contains('/'));
        if let Some(user_pool_id) = user_pool_id {
            let provider = self.user_pool_provider(user_pool_id);
            let configured: Vec<&CognitoProvider> =
                pool.settings.cognito_providers.iter().filter(|entry| entry.provider_name == provider).collect();
            if configured.is_empty() {
                return Err(not_supported());
            }
            let check = configured.iter().any(|entry| entry.server_side_token_check);
            let claims = self.user_pools.verify_id_token_for_login(&UserPoolId::parse(user_pool_id)?, token, check, version).await?;
            let audience = claims.get("aud").and_then(Value::as_str).unwrap_or_default().to_string();
            if !configured.iter().any(|entry| entry.client_id == audience) {
                return Err(not_supported());
            }
            let subject = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
            return Ok(VerifiedLogin {
                amr_entry: format!("{provider}:CognitoSignIn:{subject}"),
                mapping_key: format!("{provider}:{audience}"),
                provider,
                subject,
                claims,
            });
        }
        if SOCIAL_PROVIDERS.contains(&key) {
            let app_ids: Vec<String> = pool
                .settings
                .supported_login_providers
                .get(key)
                .ok_or_else(not_supported)?
                .split(',')
                .map(|id| id.trim().to_string())
                .filter(|id| !id.is_empty())
                .collect();
            let endpoints = self.external.endpoints().clone();
            let identity = match key {
                "accounts.google.com" | "appleid.apple.com" => {
                    let issuer = if key == "accounts.google.com" { &endpoints.google_issuer } else { &endpoints.apple_issuer };
                    let identity = self.external.verify_oidc_token(issuer, token).await.map_err(as_login_error)?;
                    if !identity.audiences.iter().any(|audience| app_ids.contains(audience)) {
                        return Err(DomainError::NotAuthorized("Invalid login token. Incorrect token audience.".into()));
                    }
                    identity
                }
                "graph.facebook.com" => self.verify_with_any(&app_ids, |app_id| self.external.verify_facebook(token, app_id)).await?,
                _ => self.verify_with_any(&app_ids, |client_id| self.external.verify_amazon(token, client_id)).await?,
            };
            return Ok(VerifiedLogin {
                amr_entry: format!("{key}:{}", identity.subject),
                mapping_key: key.to_string(),
                provider: key.to_string(),
                subject: identity.subject,
                claims: identity.claims,
            });
        }
        // SAML providers registered in IAM and named on the pool: the key is the provider's ARN
        // and the token the base64 SAMLResponse, for AWS's sign-in recipient or this server's.
        if pool.settings.saml_provider_arns.iter().any(|arn| arn == key) {
            let own_recipient = format!("{}/saml", self.user_pools.issuer_base());
            let (_, assertion) = self.iam.verify_saml_response(key, token, &own_recipient).await.map_err(as_login_error)?;
            let mut claims = serde_json::Map::new();
            for (name, values) in &assertion.attributes {
                let value = if values.len() == 1 { Value::String(values[0].clone()) } else { Value::from(values.clone()) };
                claims.insert(name.clone(), value);
            }
            claims.insert("sub".into(), Value::String(assertion.name_id.clone()));
            claims.insert(SAML_ROLES_CLAIM.into(), Value::from(crate::iam::saml::saml_roles(&assertion, key)));
            return Ok(VerifiedLogin {
                amr_entry: format!("{key}:{}", assertion.name_id),
                mapping_key: key.to_string(),
                provider: key.to_string(),
                subject: assertion.name_id,
                claims: Value::Object(claims),
            });
        }
        // OpenID Connect providers registered in IAM and named on the pool.
        for arn in &pool.settings.open_id_connect_provider_arns {
            let Ok(provider) = self.iam.get_oidc_provider(arn).await else {
                continue;
            };
            if provider.url() != key {
                continue;
            }
            let identity = self.external.verify_oidc_token(&provider.issuer, token).await.map_err(as_login_error)?;
            if !identity.audiences.iter().any(|audience| provider.client_ids.contains(audience)) {
                return Err(DomainError::NotAuthorized("Invalid login token. Incorrect token audience.".into()));
            }
            return Ok(VerifiedLogin {
                amr_entry: format!("{key}:{}", identity.subject),
                mapping_key: key.to_string(),
                provider: key.to_string(),
                subject: identity.subject,
                claims: identity.claims,
            });
        }
        Err(not_supported())
    }

    pub(super) async fn verify_with_any<'a, F, Fut>(&self, ids: &'a [String], verify: F) -> DomainResult<crate::federation::ExternalIdentity>
    where
        F: Fn(&'a str) -> Fut,
        Fut: std::future::Future<Output = DomainResult<crate::federation::ExternalIdentity>>,
    {
        let mut last = not_supported();
        for id in ids {
            match verify(id).await {
                Ok(identity) => return Ok(identity),
                Err(error) => last = as_login_error(error),
            }
        }
        Err(last)
    }
}

//! The OpenID tokens identity pools sign (RS512, under a key the cluster shares) and their
//! verification when they come back as web identities.

use super::*;

impl IdentityPoolService {
    // OpenID tokens.

    pub(super) async fn openid_keys(&self) -> DomainResult<Arc<CachedOpenIdKeys>> {
        if let Some(cached) = self.keys.lock().expect("openid key lock").as_ref() {
            if cached.loaded.elapsed() < KEY_CACHE_TTL {
                return Ok(cached.clone());
            }
        }
        let mut records = self.store.list_signing_keys(OPENID_KEY_OWNER).await?;
        if records.is_empty() {
            let record = tokens::generate_signing_key(&self.master_key, OPENID_KEY_OWNER, KeyPurpose::OpenIdToken, self.now())?;
            self.store.insert_signing_key(&record).await?;
            records = self.store.list_signing_keys(OPENID_KEY_OWNER).await?;
        }
        let oldest = records.first().ok_or_else(|| DomainError::internal("the OpenID token key vanished"))?;
        let cached = Arc::new(CachedOpenIdKeys {
            loaded: Instant::now(),
            active: Arc::new(tokens::load_signing_key(&self.master_key, oldest)?),
            records,
        });
        *self.keys.lock().expect("openid key lock") = Some(cached.clone());
        Ok(cached)
    }

    /// The public keys of OpenID tokens, for the JWKS.
    pub async fn openid_jwks(&self) -> DomainResult<Vec<PublicJwk>> {
        Ok(self.openid_keys().await?.records.iter().map(SigningKeyRecord::public_jwk).collect())
    }

    pub(super) async fn sign_openid_token(&self, pool: &IdentityPool, identity_id: &str, amr: Vec<String>, duration: i64) -> DomainResult<String> {
        let keys = self.openid_keys().await?;
        let now = self.now().div_euclid(1000);
        let claims = json!({
            "sub": identity_id,
            "aud": pool.id,
            "amr": amr,
            "iss": self.issuer,
            "https://cognito-identity.amazonaws.com/identity-pool-arn": self.pool_arn(&pool.id),
            "exp": now + duration,
            "iat": now,
        });
        Ok(tokens::sign_jwt(&keys.active, &claims))
    }

    /// Verifies an OpenID token of this server: RS512 with an OpenID key, `iss`, `exp`.
    pub async fn verify_openid_token(&self, token: &str) -> DomainResult<Value> {
        let invalid = |message: &str| DomainError::InvalidIdentityToken(message.to_string());
        let keys = self.openid_keys().await?;
        let public: Vec<PublicJwk> = keys.records.iter().map(SigningKeyRecord::public_jwk).collect();
        let claims = tokens::verify_jwt_with(token, &public, &[JwsAlgorithm::Rs512]).map_err(|_| invalid("Couldn't verify signed token."))?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(invalid("Issuer doesn't match."));
        }
        let now = self.now().div_euclid(1000);
        let expires = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| invalid("Missing a required claim: exp"))?;
        if now >= expires {
            return Err(DomainError::ExpiredToken(format!("Token expired: {now} >= {expires}")));
        }
        Ok(claims)
    }

    /// The web identity an OpenID token of this server stands for, for AssumeRoleWithWebIdentity
    /// (the basic flow): the pool must still exist and allow the classic flow.
    pub async fn web_identity_of_openid_token(&self, token: &str) -> DomainResult<WebIdentity> {
        let claims = self.verify_openid_token(token).await?;
        let pool_id = claims.get("aud").and_then(Value::as_str).unwrap_or_default();
        let pool = self.pool(pool_id).await.map_err(|_| DomainError::InvalidIdentityToken("The identity pool of this token does not exist.".into()))?;
        let identity_id = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
        let amr = string_list_claim(&claims, "amr");
        Ok(WebIdentity {
            principal: COGNITO_IDENTITY.into(),
            key_prefix: COGNITO_IDENTITY.into(),
            provider: COGNITO_IDENTITY.into(),
            subject: identity_id,
            audience: pool.id.into_string(),
            amr: Some(amr),
            tags: BTreeMap::new(),
            source_identity: None,
        })
    }
}

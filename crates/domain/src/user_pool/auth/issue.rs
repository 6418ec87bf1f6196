//! Token issuance: `issue_tokens` signs the ID and access tokens and records the refresh token
//! of a new sign-in.

use super::*;

impl UserPoolService {
    /// Mints ID and access tokens, and a refresh token for a new sign-in (`origin_jti` None).
    /// With an OAuth `grant`, the access token carries the granted scopes, the ID token (only
    /// with `openid`; empty otherwise) the nonce and `at_hash`, and the refresh token is issued
    /// only when the grant says so.
    pub(crate) async fn issue_tokens(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        auth_time_ms: i64,
        issue: Issue<'_>,
    ) -> DomainResult<AuthenticationResult> {
        let Issue { origin_jti, grant, device_key, source, groups, config_version } = issue;
        let keys = match config_version {
            Some(version) => self.pool_keys_at(&pool.id, version).await?,
            None => self.pool_keys(&pool.id).await?,
        };
        let now = self.now();
        let settings = &client.settings;
        let units = settings.token_validity_units.clone().unwrap_or_default();
        let access_seconds = validity_seconds(settings.access_token_validity.unwrap_or(60), units.access_token.as_deref(), if settings.access_token_validity.is_some() { "hours" } else { "minutes" })? as i64;
        let id_seconds = validity_seconds(settings.id_token_validity.unwrap_or(60), units.id_token.as_deref(), if settings.id_token_validity.is_some() { "hours" } else { "minutes" })? as i64;
        let refresh_seconds = validity_seconds(settings.refresh_token_validity, units.refresh_token.as_deref(), "days")? as i64;
        let username_key = pool.username_key(&user.username);
        let groups = match groups {
            Some(groups) => groups,
            None => self.store.list_groups_for_user(&pool.id, &username_key, None, 100).await?,
        };
        let new_sign_in = origin_jti.is_none();
        let origin_jti = origin_jti.or_else(|| grant.and_then(|grant| grant.sign_in_id.clone())).unwrap_or_else(crate::ids::new_uuid);
        let event_id = crate::ids::new_uuid();
        let issued_at = now / 1000;
        let auth_time = auth_time_ms / 1000;
        let issuer = self.issuer(&pool.id);

        let mut id_claims = Map::new();
        id_claims.insert("sub".into(), json!(user.sub));
        let readable = settings.read_attributes.as_ref();
        for attribute in &user.attributes {
            if attribute.name == "sub" || readable.is_some_and(|names| !names.contains(&attribute.name)) {
                continue;
            }
            id_claims.insert(attribute.name.clone(), claim_value(attribute));
        }
        let mut access_claims = Map::new();
        access_claims.insert("sub".into(), json!(user.sub));
        if !groups.is_empty() {
            let names: Vec<&str> = groups.iter().map(|group| group.name.as_str()).collect();
            id_claims.insert("cognito:groups".into(), json!(names));
            access_claims.insert("cognito:groups".into(), json!(names));
            let mut with_roles: Vec<_> = groups.iter().filter(|group| group.role_arn.is_some()).collect();
            with_roles.sort_by_key(|group| (group.precedence.unwrap_or(u32::MAX), group.name.clone()));
            if let Some(preferred) = with_roles.first() {
                let roles: Vec<&str> = with_roles.iter().filter_map(|group| group.role_arn.as_deref()).collect();
                id_claims.insert("cognito:roles".into(), json!(roles));
                id_claims.insert("cognito:preferred_role".into(), json!(preferred.role_arn));
            }
        }
        for (name, value) in [
            ("iss", json!(issuer)),
            ("cognito:username", json!(user.username)),
            ("origin_jti", json!(origin_jti)),
            ("aud", json!(client.client_id)),
            ("event_id", json!(event_id)),
            ("token_use", json!("id")),
            ("auth_time", json!(auth_time)),
            ("exp", json!(issued_at + id_seconds)),
            ("iat", json!(issued_at)),
            ("jti", json!(crate::ids::new_uuid())),
        ] {
            id_claims.insert(name.into(), value);
        }
        for (name, value) in [
            ("iss", json!(issuer)),
            ("client_id", json!(client.client_id)),
            ("origin_jti", json!(origin_jti)),
            ("event_id", json!(event_id)),
            ("token_use", json!("access")),
            ("scope", json!(grant.map(|grant| grant.scopes.join(" ")).unwrap_or_else(|| ADMIN_SCOPE.to_string()))),
            ("auth_time", json!(auth_time)),
            ("exp", json!(issued_at + access_seconds)),
            ("iat", json!(issued_at)),
            ("jti", json!(crate::ids::new_uuid())),
            ("username", json!(user.username)),
        ] {
            access_claims.insert(name.into(), value);
        }
        if let Some(device_key) = &device_key {
            access_claims.insert("device_key".into(), json!(device_key));
        }
        let source = source.unwrap_or("TokenGeneration_Authentication");
        self.pre_token_generation(pool, &client.client_id, user, source, &mut id_claims, &mut access_claims).await?;
        let access_token = tokens::sign_jwt(&keys.access_key, &Value::Object(access_claims));
        let id_token = match grant {
            Some(grant) if !grant.scopes.iter().any(|scope| scope == "openid") => String::new(),
            Some(grant) => {
                let digest = Sha256::digest(access_token.as_bytes());
                id_claims.insert("at_hash".into(), json!(URL_SAFE_NO_PAD.encode(&digest[..16])));
                if let Some(nonce) = &grant.nonce {
                    id_claims.insert("nonce".into(), json!(nonce));
                }
                tokens::sign_jwt(&keys.id_key, &Value::Object(id_claims))
            }
            None => tokens::sign_jwt(&keys.id_key, &Value::Object(id_claims)),
        };
        let wants_refresh = grant.is_none_or(|grant| grant.refresh);
        let refresh_token = if new_sign_in && wants_refresh {
            let token = random_token(48);
            self.store
                .insert_refresh_token(&RefreshTokenRecord {
                    token_hash: sha256_hex(&token),
                    pool_id: pool.id.to_string(),
                    client_id: client.client_id.to_string(),
                    username_key,
                    sub: user.sub.clone(),
                    origin_jti,
                    auth_time_ms,
                    issued_ms: now,
                    expires_ms: now + refresh_seconds * 1000,
                    revoked: false,
                    rotated_ms: None,
                    scopes: grant.map(|grant| grant.scopes.clone()),
                    device_key,
                })
                .await
                ?;
            Some(token)
        } else {
            None
        };
        self.count(crate::tally::Counted::TokensIssued { occasion: source });
        Ok(AuthenticationResult { access_token, id_token, refresh_token, expires_in: access_seconds, new_device: None })
    }
}

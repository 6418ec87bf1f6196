//! The enhanced and basic flows: GetId, GetCredentialsForIdentity with the role chosen by the
//! pool's rules, and GetOpenIdToken.

use super::*;

impl IdentityPoolService {
    /// GetId: a new guest identity without logins; with logins, the identity they are linked
    /// to, or a new identity linked to them.
    pub async fn get_id(&self, pool_id: &IdentityPoolId, logins: &BTreeMap<String, String>) -> DomainResult<String> {
        let (pool, version) = self.pool_at(pool_id).await?;
        let proven = self.prove((&pool, version), logins).await?;
        if let Some((identity_id, _)) = &proven.token_identity {
            let mut identity = self.identity(identity_id).await?;
            let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
            self.link_logins(&mut identity, &links).await?;
            return Ok(identity.id.into_string());
        }
        if proven.logins.is_empty() {
            if !pool.settings.allow_unauthenticated_identities {
                return Err(DomainError::NotAuthorized("Unauthenticated access is not supported for this identity pool.".into()));
            }
            return self.insert_identity(&pool.id, Vec::new()).await.map(|identity| identity.id.into_string()).map_err(DomainError::from);
        }
        let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
        for _ in 0..3 {
            let mut owners = Vec::new();
            let mut owned = 0;
            for login in &links {
                if let Some(owner) = self.identity_of_login(&pool.id, &login.provider, &login.subject).await? {
                    owned += 1;
                    if !owners.contains(&owner) {
                        owners.push(owner);
                    }
                }
            }
            match owners.as_slice() {
                [] => match self.insert_identity(&pool.id, links.clone()).await {
                    Ok(identity) => return Ok(identity.id.into_string()),
                    Err(StoreError::Conflict(_)) => continue,
                    Err(other) => return Err(DomainError::from(other)),
                },
                // Every login is linked to it already: the login index and the identity's logins
                // are written in one transaction, so there is nothing to read or link.
                [owner] if owned == links.len() => return Ok(owner.clone()),
                [owner] => {
                    let mut identity = self.identity(owner).await?;
                    self.link_logins(&mut identity, &links).await?;
                    return Ok(identity.id.into_string());
                }
                _ => return Err(already_linked()),
            }
        }
        Err(DomainError::internal("identity creation kept conflicting"))
    }

    /// The identity and the roles' `amr` of a credentials or token request: checks the logins
    /// against the identity, links new ones, and refuses guests where the pool does.
    pub(super) async fn authenticate_identity(
        &self,
        identity_id: &str,
        logins: &BTreeMap<String, String>,
    ) -> DomainResult<(IdentityPool, Identity, ProvenLogins, Vec<String>)> {
        let mut identity = self.identity_record(identity_id).await?;
        // An identity of a deleted pool is not found.
        let (pool, version) = match self.pool_at(&identity.pool_id).await {
            Err(DomainError::NotFound(_)) => return Err(identity_not_found(identity_id)),
            other => other?,
        };
        let proven = self.prove((&pool, version), logins).await?;
        if let Some((token_identity, amr)) = &proven.token_identity {
            if token_identity != &identity.id {
                return Err(logins_dont_match());
            }
            let amr = amr.clone();
            let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
            self.link_logins(&mut identity, &links).await?;
            return Ok((pool, identity, proven, amr));
        }
        let links: Vec<LinkedLogin> = proven.logins.iter().map(VerifiedLogin::linked).collect();
        if identity.logins.is_empty() {
            if links.is_empty() {
                if !pool.settings.allow_unauthenticated_identities {
                    return Err(DomainError::NotAuthorized("Unauthenticated access is not supported for this identity pool.".into()));
                }
                return Ok((pool, identity, proven, vec!["unauthenticated".into()]));
            }
            // A guest who signs in keeps its identity id.
            for login in &links {
                if let Some(owner) = self.identity_of_login(&pool.id, &login.provider, &login.subject).await? {
                    if owner != identity.id {
                        return Err(already_linked());
                    }
                }
            }
            self.link_logins(&mut identity, &links).await?;
        } else {
            if !links.iter().any(|login| identity.logins.contains(login)) {
                return Err(logins_dont_match());
            }
            // A login the identity holds is its in the login index too (both are written in one
            // transaction); only new ones may belong to another identity.
            for login in links.iter().filter(|login| !identity.logins.contains(login)) {
                if let Some(owner) = self.identity_of_login(&pool.id, &login.provider, &login.subject).await? {
                    if owner != identity.id {
                        return Err(already_linked());
                    }
                }
            }
            self.link_logins(&mut identity, &links).await?;
        }
        let primary = &proven.logins[0];
        let amr = vec!["authenticated".to_string(), primary.provider.clone(), primary.amr_entry.clone()];
        Ok((pool, identity, proven, amr))
    }

    /// GetCredentialsForIdentity (the enhanced flow).
    pub async fn get_credentials_for_identity(
        &self,
        identity_id: &IdentityId,
        logins: &BTreeMap<String, String>,
        custom_role_arn: Option<&str>,
    ) -> DomainResult<IdentityCredentials> {
        let (pool, identity, proven, amr) = self.authenticate_identity(identity_id, logins).await?;
        let authenticated = amr.first().map(String::as_str) == Some("authenticated");
        let role_arn = if authenticated {
            self.choose_role(&pool, proven.logins.first(), custom_role_arn)?
        } else {
            pool.roles.get("unauthenticated").cloned().ok_or_else(bad_configuration)?
        };
        let role = self.iam.find_role_by_arn(&role_arn).await?.ok_or_else(bad_configuration)?;
        let web_identity = WebIdentity {
            principal: COGNITO_IDENTITY.into(),
            key_prefix: COGNITO_IDENTITY.into(),
            provider: COGNITO_IDENTITY.into(),
            subject: identity.id.to_string(),
            audience: pool.id.to_string(),
            amr: Some(amr),
            tags: BTreeMap::new(),
            source_identity: None,
        };
        if !self.iam.check_trust(&role, &web_identity)? {
            return Err(bad_configuration());
        }
        let mut context = crate::iam::web_identity_context(&web_identity);
        // Session tags from the login's claims, as the pool maps them; the role must trust the
        // pool with sts:TagSession too.
        let tags = principal_tags_of(&pool, proven.logins.first().filter(|_| authenticated));
        if !tags.is_empty() {
            if !self.iam.check_trust_action(&role, &web_identity, "sts:TagSession")? {
                return Err(bad_configuration());
            }
            for (tag, value) in tags {
                context.insert(format!("aws:PrincipalTag/{tag}"), vec![value]);
            }
        }
        let (credentials, _) = self.iam.mint_for_role(&role, "CognitoIdentityCredentials", CREDENTIAL_SECONDS, (None, Vec::new()), context).await?;
        Ok(IdentityCredentials { identity_id: identity.id.into_string(), credentials })
    }

    /// The role for an authenticated identity: the role mapping of its login's provider, else
    /// the pool's authenticated role.
    pub(super) fn choose_role(&self, pool: &IdentityPool, login: Option<&VerifiedLogin>, custom_role_arn: Option<&str>) -> DomainResult<String> {
        let default = || pool.roles.get("authenticated").cloned().ok_or_else(bad_configuration);
        let Some(login) = login else {
            return default();
        };
        // A SAML login's roles are those its assertion lists: the CustomRoleArn among them, or the
        // one it lists.
        if let Some(roles) = login.claims.get(super::logins::SAML_ROLES_CLAIM).and_then(Value::as_array).filter(|roles| !roles.is_empty()) {
            let roles: Vec<&str> = roles.iter().filter_map(Value::as_str).collect();
            return match (custom_role_arn, roles.as_slice()) {
                (Some(custom), _) if roles.contains(&custom) => Ok(custom.to_string()),
                (Some(_), _) => Err(DomainError::NotAuthorized("The role ARN is not one of the roles the SAML assertion allows.".into())),
                (None, [only]) => Ok(only.to_string()),
                (None, _) => Err(DomainError::InvalidParameter("The SAML assertion allows several roles: name one with CustomRoleArn.".into())),
            };
        }
        let Some(mapping) = pool.role_mappings.get(&login.mapping_key).or_else(|| pool.role_mappings.get(&login.provider)) else {
            return default();
        };
        let chosen = match mapping.kind {
            RoleMappingType::Token => {
                let roles = string_list_claim(&login.claims, "cognito:roles");
                match custom_role_arn {
                    Some(custom) if roles.iter().any(|role| role == custom) => Some(custom.to_string()),
                    Some(_) => {
                        return Err(DomainError::NotAuthorized("The role ARN is not one of the roles the token allows.".into()))
                    }
                    None => login.claims.get("cognito:preferred_role").and_then(Value::as_str).map(str::to_string),
                }
            }
            RoleMappingType::Rules => mapping.rules.iter().find(|rule| rule_matches(rule, &login.claims)).map(|rule| rule.role_arn.clone()),
        };
        match chosen {
            Some(role) => Ok(role),
            None if mapping.ambiguous_role_resolution == Some(AmbiguousRoleResolution::AuthenticatedRole) => default(),
            None => Err(DomainError::InvalidConfiguration(
                "No role matched the login and the role mapping's AmbiguousRoleResolution is Deny.".into(),
            )),
        }
    }

    /// GetOpenIdToken (the basic flow); the pool must allow the classic flow.
    pub async fn get_open_id_token(&self, identity_id: &IdentityId, logins: &BTreeMap<String, String>) -> DomainResult<(String, String)> {
        let (pool, identity, _, amr) = self.authenticate_identity(identity_id, logins).await?;
        if !pool.settings.allow_classic_flow {
            return Err(DomainError::InvalidParameter("Basic (classic) flow is not enabled for this identity pool.".into()));
        }
        let token = self.sign_openid_token(&pool, &identity.id, amr, OPENID_TOKEN_SECONDS).await?;
        Ok((identity.id.into_string(), token))
    }
}

/// The session tags of a login: each tag of the provider's mapping whose claim the token carries
/// (a string or a number).
fn principal_tags_of(pool: &IdentityPool, login: Option<&VerifiedLogin>) -> BTreeMap<String, String> {
    let Some(login) = login else { return BTreeMap::new() };
    let Some(map) = pool.principal_tags.get(&login.provider) else { return BTreeMap::new() };
    map.effective()
        .into_iter()
        .filter_map(|(tag, claim)| {
            let value = match login.claims.get(&claim)? {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Number(number) => number.to_string(),
                serde_json::Value::Bool(flag) => flag.to_string(),
                _ => return None,
            };
            Some((tag, value))
        })
        .collect()
}

//! Permissions boundaries of roles and IAM users: a managed policy that caps what their identity
//! policies may grant. A request is allowed only if the identity policies allow it and the
//! boundary does too (and nothing denies it), as in IAM; a boundary whose policy is gone allows
//! nothing. Set and removed by compare-and-set on the role or user; read through the same brief
//! cache as the identity policies.

use super::*;

/// A boundary that allows nothing: in place of one whose policy is gone or no longer parses.
const ALLOW_NOTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

impl IamService {
    /// Put…PermissionsBoundary (`Some(policy ARN)`) and Delete…PermissionsBoundary (`None`).
    pub async fn set_permissions_boundary(&self, target: Bounded<'_>, policy_arn: Option<&str>) -> DomainResult<()> {
        if let Some(arn) = policy_arn {
            self.get_policy(arn).await?;
        }
        let boundary = policy_arn.map(str::to_string);
        match target {
            Bounded::Role(name) => {
                self.change_role(name, |role| {
                    role.permissions_boundary = boundary.clone();
                    Ok(())
                })
                .await?;
                self.forget_policies(Holder::Role(name));
            }
            Bounded::User(name) => {
                let user = self.get_user(name).await?;
                self.store
                    .change_record_of::<IamUser, _>("", &user.key(), |user| {
                        user.permissions_boundary = boundary.clone();
                        Ok(())
                    })
                    .await?
                    .ok_or_else(|| DomainError::NotFound(format!("The user with name {name} cannot be found.")))?;
                self.forget_policies(Holder::User(name));
            }
        }
        Ok(())
    }

    /// The boundary of a role or user as a policy every request must also satisfy: none, or one.
    pub(super) async fn holder_boundary(&self, holder: Holder<'_>) -> DomainResult<Arc<Vec<Policy>>> {
        let key = boundary_key(&holder.scope());
        if let Some((loaded, policies)) = self.policy_cache.lock().expect("policy cache lock").get(&key) {
            if loaded.elapsed() < POLICY_CACHE_TTL {
                return Ok(policies.clone());
            }
        }
        let arn = match holder {
            Holder::Role(name) => match self.get_role(name).await {
                Ok(role) => role.permissions_boundary,
                Err(DomainError::NotFound(_)) => None,
                Err(error) => return Err(error),
            },
            Holder::User(name) => match self.get_user(name).await {
                Ok(user) => user.permissions_boundary,
                Err(DomainError::NotFound(_)) => None,
                Err(error) => return Err(error),
            },
            Holder::Group(_) => None,
        };
        let mut policies = Vec::new();
        if let Some(arn) = arn {
            let document = match self.get_policy(&arn).await {
                Ok(policy) => policy.default_document().map(str::to_string),
                Err(DomainError::NotFound(_)) => None,
                Err(error) => return Err(error),
            };
            let parsed = document.and_then(|document| Policy::parse(&document, PolicyKind::Identity).ok());
            policies.push(match parsed {
                Some(policy) => policy,
                None => parse_policy(ALLOW_NOTHING, PolicyKind::Identity)?,
            });
        }
        let policies = Arc::new(policies);
        self.policy_cache.lock().expect("policy cache lock").insert(key, (Instant::now(), policies.clone()));
        Ok(policies)
    }
}

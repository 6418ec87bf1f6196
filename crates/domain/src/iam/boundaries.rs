//! Permissions boundaries of roles and IAM users: a managed policy that caps what their identity
//! policies may grant. A request is allowed only if the identity policies allow it and the
//! boundary does too (and nothing denies it), as in IAM; a boundary whose policy is gone allows
//! nothing. Set and removed by compare-and-set on the role or user; read through the same brief
//! cache as the identity policies. Managed session policies (AssumeRole…'s PolicyArns) are read
//! the same way.

use super::*;

/// A boundary that allows nothing: in place of one whose policy is gone or no longer parses.
const ALLOW_NOTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

impl IamService {
    /// The roles and users whose permissions boundary is the policy `arn` (ListEntitiesForPolicy
    /// with the PermissionsBoundary usage): every role and user is read.
    pub async fn bounded_by(&self, arn: &str) -> DomainResult<(Vec<Role>, Vec<IamUser>)> {
        let (mut roles, mut users) = (Vec::new(), Vec::new());
        let mut marker = None;
        loop {
            let page = self.filtered_page(marker.as_deref(), 1000, |role: &Role| role.permissions_boundary.as_deref() == Some(arn)).await?;
            roles.extend(page.items);
            marker = page.marker;
            if marker.is_none() {
                break;
            }
        }
        loop {
            let page = self.filtered_page(marker.as_deref(), 1000, |user: &IamUser| user.permissions_boundary.as_deref() == Some(arn)).await?;
            users.extend(page.items);
            marker = page.marker;
            if marker.is_none() {
                return Ok((roles, users));
            }
        }
    }

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
            policies.push(self.managed_limit(&arn).await?);
        }
        let policies = Arc::new(policies);
        self.policy_cache.lock().expect("policy cache lock").insert(key, (Instant::now(), policies.clone()));
        Ok(policies)
    }
}

impl IamService {
    /// The default version of a managed policy used as a limit (a boundary, a managed session
    /// policy); one that allows nothing when the policy is gone or no longer parses.
    pub(super) async fn managed_limit(&self, arn: &str) -> DomainResult<Policy> {
        let document = match self.get_policy(arn).await {
            Ok(policy) => policy.default_document().map(str::to_string),
            Err(DomainError::NotFound(_)) => None,
            Err(error) => return Err(error),
        };
        match document.and_then(|document| Policy::parse(&document, PolicyKind::Identity).ok()) {
            Some(policy) => Ok(policy),
            None => parse_policy(ALLOW_NOTHING, PolicyKind::Identity),
        }
    }

    /// The managed session policies of a session, briefly cached with the other policies.
    pub(super) async fn session_managed_policies(&self, arns: &[String]) -> DomainResult<Vec<Policy>> {
        let mut policies = Vec::with_capacity(arns.len());
        for arn in arns {
            let key = format!("session-policy:{arn}");
            let cached = self.policy_cache.lock().expect("policy cache lock").get(&key).filter(|(loaded, _)| loaded.elapsed() < POLICY_CACHE_TTL).map(|(_, policies)| policies.clone());
            let loaded = match cached {
                Some(loaded) => loaded,
                None => {
                    let loaded = Arc::new(vec![self.managed_limit(arn).await?]);
                    self.policy_cache.lock().expect("policy cache lock").insert(key, (Instant::now(), loaded.clone()));
                    loaded
                }
            };
            policies.extend(loaded.iter().cloned());
        }
        Ok(policies)
    }

    /// Checks the managed session policies of an AssumeRole…: at most ten, each a managed policy
    /// of the account.
    pub(super) async fn check_session_policy_arns(&self, arns: &[String]) -> DomainResult<()> {
        if arns.len() > 10 {
            return Err(validation("PolicyArns may name at most 10 managed policies."));
        }
        for arn in arns {
            if let Err(DomainError::NotFound(_)) = self.get_policy(arn).await {
                return Err(validation(format!("The managed session policy {arn} does not exist in this account.")));
            }
        }
        Ok(())
    }
}
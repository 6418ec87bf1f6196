//! Inline role policies, parsed with IAM's rules when put, and the short cache of a role's
//! parsed policies that authorisation reads.

use super::*;

impl IamService {
    // Inline role policies.

    pub async fn put_role_policy(&self, role_name: &str, policy_name: &str, document: &str) -> DomainResult<()> {
        let role = self.get_role(role_name).await?;
        check_iam_name(policy_name, "policyName", 128)?;
        parse_policy(document, PolicyKind::Identity)?;
        let existing = self.list_role_policy_documents(&role.name).await?;
        let total: usize = existing
            .iter()
            .filter(|(name, _)| name != policy_name)
            .map(|(_, document)| document.chars().filter(|character| !character.is_whitespace()).count())
            .sum::<usize>()
            + document.chars().filter(|character| !character.is_whitespace()).count();
        if total > MAX_ROLE_POLICY_CHARS {
            return Err(DomainError::LimitExceeded(format!(
                "Maximum policy size of {MAX_ROLE_POLICY_CHARS} bytes exceeded for role {}",
                role.name
            )));
        }
        let stored = StoredRolePolicy { name: policy_name.to_string(), document: document.to_string() };
        self.store
            .write_records(&[stored.put_at(&role_key(&role.name), policy_name, None)?])
            .await
            ?;
        self.forget_policies(&role.name);
        Ok(())
    }

    pub async fn get_role_policy(&self, role_name: &str, policy_name: &str) -> DomainResult<(Role, String)> {
        let role = self.get_role(role_name).await?;
        check_iam_name(policy_name, "policyName", 128)?;
        let stored: Option<StoredRolePolicy> = self.store.get_record_of(&role_key(&role.name), policy_name, 0).await?;
        match stored {
            Some(stored) => Ok((role, stored.document)),
            None => Err(DomainError::NotFound(format!(
                "The role policy with name {policy_name} cannot be found."
            ))),
        }
    }

    pub async fn delete_role_policy(&self, role_name: &str, policy_name: &str) -> DomainResult<()> {
        let (role, _) = self.get_role_policy(role_name, policy_name).await?;
        self.store
            .write_records(&[StoredRolePolicy::delete_at(&role_key(&role.name), policy_name)])
            .await
            ?;
        self.forget_policies(&role.name);
        Ok(())
    }

    pub async fn list_role_policies(&self, role_name: &str, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<String>> {
        let role = self.get_role(role_name).await?;
        let limit = marker_limit(max_items)?;
        let rows = self.store.list_records(ROLE_POLICY, &role_key(&role.name), marker, limit + 1).await?;
        let mut names: Vec<String> = rows.into_iter().map(|(key, _)| key).collect();
        let more = names.len() > limit as usize;
        names.truncate(limit as usize);
        let marker = if more { names.last().cloned() } else { None };
        Ok(MarkerPage { items: names, marker })
    }

    pub(super) async fn list_role_policy_documents(&self, role_name: &str) -> DomainResult<Vec<(String, String)>> {
        let stored: Vec<StoredRolePolicy> = self.store.list_records_of(&role_key(role_name), None, 1000).await?;
        Ok(stored.into_iter().map(|policy| (policy.name, policy.document)).collect())
    }

    pub(super) fn forget_policies(&self, role_name: &str) {
        self.policy_cache.lock().expect("policy cache lock").remove(&role_key(role_name));
    }

    /// After a managed policy changed: any role may hold it.
    pub(super) fn forget_all_policies(&self) {
        self.policy_cache.lock().expect("policy cache lock").clear();
    }

    /// The parsed policies of a role, inline and attached (their default versions), briefly
    /// cached: a change made on another node holds here within [`POLICY_CACHE_TTL`].
    pub(super) async fn role_policies(&self, role_name: &str) -> DomainResult<Arc<Vec<Policy>>> {
        let key = role_key(role_name);
        if let Some((loaded, policies)) = self.policy_cache.lock().expect("policy cache lock").get(&key) {
            if loaded.elapsed() < POLICY_CACHE_TTL {
                return Ok(policies.clone());
            }
        }
        let mut documents = self.list_role_policy_documents(role_name).await?;
        documents.extend(self.attached_documents(role_name).await?);
        let mut policies = Vec::with_capacity(documents.len());
        for (name, document) in documents {
            match Policy::parse(&document, PolicyKind::Identity) {
                Ok(policy) => policies.push(policy),
                Err(error) => tracing::error!(role = role_name, policy = name, %error, "a stored policy no longer parses; ignored"),
            }
        }
        let policies = Arc::new(policies);
        self.policy_cache.lock().expect("policy cache lock").insert(key, (Instant::now(), policies.clone()));
        Ok(policies)
    }
}

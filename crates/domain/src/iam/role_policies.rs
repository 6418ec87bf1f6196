//! Inline policies of roles and IAM users, parsed with IAM's rules when put, and the short cache
//! of a holder's parsed policies (inline and attached) that authorisation reads.

use super::*;

/// The inline policies of one user may total this many characters (IAM's quota).
const MAX_USER_POLICY_CHARS: usize = 2048;

impl IamService {
    pub async fn put_role_policy(&self, role_name: &str, policy_name: &str, document: &str) -> DomainResult<()> {
        self.put_inline_policy(Holder::Role(role_name), policy_name, document).await
    }

    /// PutRolePolicy and PutUserPolicy: the document checked as an identity policy, within the
    /// holder's total size.
    pub async fn put_inline_policy(&self, holder: Holder<'_>, policy_name: &str, document: &str) -> DomainResult<()> {
        let (name, scope) = self.inline_scope(holder).await?;
        check_iam_name(policy_name, "policyName", 128)?;
        parse_policy(document, PolicyKind::Identity)?;
        let existing = self.inline_documents(&scope).await?;
        let total: usize = existing
            .iter()
            .filter(|(name, _)| name != policy_name)
            .map(|(_, document)| document.chars().filter(|character| !character.is_whitespace()).count())
            .sum::<usize>()
            + document.chars().filter(|character| !character.is_whitespace()).count();
        let (limit, what) = match holder {
            Holder::Role(_) => (MAX_ROLE_POLICY_CHARS, "role"),
            Holder::User(_) => (MAX_USER_POLICY_CHARS, "user"),
        };
        if total > limit {
            return Err(DomainError::LimitExceeded(format!("Maximum policy size of {limit} bytes exceeded for {what} {name}")));
        }
        let stored = StoredRolePolicy { name: policy_name.to_string(), document: document.to_string() };
        self.store.write_records(&[stored.put_at(&scope, policy_name, None)?]).await?;
        self.forget_holder(&scope);
        Ok(())
    }

    /// The stored name of a role or user, which must exist, and the scope of its policies.
    async fn inline_scope(&self, holder: Holder<'_>) -> DomainResult<(String, String)> {
        Ok(match holder {
            Holder::Role(name) => {
                let name = self.get_role(name).await?.name;
                let scope = Holder::Role(&name).scope();
                (name, scope)
            }
            Holder::User(name) => {
                let name = self.get_user(name).await?.name;
                let scope = Holder::User(&name).scope();
                (name, scope)
            }
        })
    }

    pub async fn get_role_policy(&self, role_name: &str, policy_name: &str) -> DomainResult<(Role, String)> {
        let role = self.get_role(role_name).await?;
        let document = self.get_inline_policy(Holder::Role(&role.name), policy_name).await?;
        Ok((role, document))
    }

    /// GetRolePolicy and GetUserPolicy: the document.
    pub async fn get_inline_policy(&self, holder: Holder<'_>, policy_name: &str) -> DomainResult<String> {
        let (_, scope) = self.inline_scope(holder).await?;
        check_iam_name(policy_name, "policyName", 128)?;
        let stored: Option<StoredRolePolicy> = self.store.get_record_of(&scope, policy_name, 0).await?;
        let what = if matches!(holder, Holder::Role(_)) { "role" } else { "user" };
        stored
            .map(|stored| stored.document)
            .ok_or_else(|| DomainError::NotFound(format!("The {what} policy with name {policy_name} cannot be found.")))
    }

    pub async fn delete_role_policy(&self, role_name: &str, policy_name: &str) -> DomainResult<()> {
        self.delete_inline_policy(Holder::Role(role_name), policy_name).await
    }

    /// DeleteRolePolicy and DeleteUserPolicy.
    pub async fn delete_inline_policy(&self, holder: Holder<'_>, policy_name: &str) -> DomainResult<()> {
        self.get_inline_policy(holder, policy_name).await?;
        let (_, scope) = self.inline_scope(holder).await?;
        self.store.write_records(&[StoredRolePolicy::delete_at(&scope, policy_name)]).await?;
        self.forget_holder(&scope);
        Ok(())
    }

    pub async fn list_role_policies(&self, role_name: &str, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<String>> {
        self.list_inline_policies(Holder::Role(role_name), marker, max_items).await
    }

    /// ListRolePolicies and ListUserPolicies: the names.
    pub async fn list_inline_policies(&self, holder: Holder<'_>, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<String>> {
        let (_, scope) = self.inline_scope(holder).await?;
        let limit = marker_limit(max_items)?;
        let rows = self.store.list_records(ROLE_POLICY, &scope, marker, limit + 1).await?;
        let mut names: Vec<String> = rows.into_iter().map(|(key, _)| key).collect();
        let more = names.len() > limit as usize;
        names.truncate(limit as usize);
        let marker = if more { names.last().cloned() } else { None };
        Ok(MarkerPage { items: names, marker })
    }

    /// (name, document) of the inline policies filed under `scope`.
    pub(super) async fn inline_documents(&self, scope: &str) -> DomainResult<Vec<(String, String)>> {
        let stored: Vec<StoredRolePolicy> = self.store.list_records_of(scope, None, 1000).await?;
        Ok(stored.into_iter().map(|policy| (policy.name, policy.document)).collect())
    }

    pub(super) fn forget_policies(&self, holder: Holder<'_>) {
        self.forget_holder(&holder.scope());
    }

    fn forget_holder(&self, scope: &str) {
        self.policy_cache.lock().expect("policy cache lock").remove(scope);
    }

    /// After a managed policy changed: any role or user may hold it.
    pub(super) fn forget_all_policies(&self) {
        self.policy_cache.lock().expect("policy cache lock").clear();
    }

    /// The parsed policies of a role or user, inline and attached (their default versions),
    /// briefly cached: a change made on another node holds here within [`POLICY_CACHE_TTL`].
    pub(super) async fn holder_policies(&self, holder: Holder<'_>) -> DomainResult<Arc<Vec<Policy>>> {
        let key = holder.scope();
        if let Some((loaded, policies)) = self.policy_cache.lock().expect("policy cache lock").get(&key) {
            if loaded.elapsed() < POLICY_CACHE_TTL {
                return Ok(policies.clone());
            }
        }
        let mut documents = self.inline_documents(&key).await?;
        documents.extend(self.attached_documents(holder).await?);
        let mut policies = Vec::with_capacity(documents.len());
        for (name, document) in documents {
            match Policy::parse(&document, PolicyKind::Identity) {
                Ok(policy) => policies.push(policy),
                Err(error) => tracing::error!(holder = key, policy = name, %error, "a stored policy no longer parses; ignored"),
            }
        }
        let policies = Arc::new(policies);
        self.policy_cache.lock().expect("policy cache lock").insert(key, (Instant::now(), policies.clone()));
        Ok(policies)
    }
}

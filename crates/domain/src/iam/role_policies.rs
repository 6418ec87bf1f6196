//! Inline policies of roles, IAM users and groups, parsed with IAM's rules when put, and the short cache
//! of a holder's parsed policies (inline and attached) that authorisation reads.

use super::*;

/// The inline policies of one user may total this many characters (IAM's quota).
const MAX_USER_POLICY_CHARS: usize = 2048;
/// The inline policies of one group may total this many characters (IAM's quota).
const MAX_GROUP_POLICY_CHARS: usize = 5120;

impl IamService {
    /// Put…Policy (of a role, user or group): the document checked as an identity policy, within the
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
        let limit = match holder {
            Holder::Role(_) => MAX_ROLE_POLICY_CHARS,
            Holder::User(_) => MAX_USER_POLICY_CHARS,
            Holder::Group(_) => MAX_GROUP_POLICY_CHARS,
        };
        let what = holder.kind();
        if total > limit {
            return Err(DomainError::LimitExceeded(format!("Maximum policy size of {limit} bytes exceeded for {what} {name}")));
        }
        let stored = StoredRolePolicy { name: policy_name.to_string(), document: document.to_string() };
        let write = stored.put_at(&scope, policy_name, None)?;
        self.write_under(holder.named(&name), write).await?;
        self.forget_holder(&scope);
        Ok(())
    }

    /// The stored name of a role, user or group, which must exist, and the scope of its policies.
    async fn inline_scope(&self, holder: Holder<'_>) -> DomainResult<(String, String)> {
        let name = self.holder_name(holder).await?;
        let scope = holder.named(&name).scope();
        Ok((name, scope))
    }

    /// Get…Policy: the holder's stored name and the document.
    pub async fn get_inline_policy(&self, holder: Holder<'_>, policy_name: &str) -> DomainResult<(String, String)> {
        let (name, scope) = self.inline_scope(holder).await?;
        check_iam_name(policy_name, "policyName", 128)?;
        let stored: Option<StoredRolePolicy> = self.store.get_record_of(&scope, policy_name, 0).await?;
        let what = holder.kind();
        stored
            .map(|stored| (name, stored.document))
            .ok_or_else(|| DomainError::NotFound(format!("The {what} policy with name {policy_name} cannot be found.")))
    }

    /// Delete…Policy.
    pub async fn delete_inline_policy(&self, holder: Holder<'_>, policy_name: &str) -> DomainResult<()> {
        self.get_inline_policy(holder, policy_name).await?;
        let (name, scope) = self.inline_scope(holder).await?;
        self.write_under(holder.named(&name), StoredRolePolicy::delete_at(&scope, policy_name)).await?;
        self.forget_holder(&scope);
        Ok(())
    }

    /// List…Policies: the names.
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
        let mut cache = self.policy_cache.lock().expect("policy cache lock");
        cache.remove(scope);
        cache.remove(&boundary_key(scope));
        self.role_tag_cache.lock().expect("role tag cache lock").remove(scope);
    }

    /// After a managed policy changed: any role or user may hold it.
    pub(super) fn forget_all_policies(&self) {
        self.policy_cache.lock().expect("policy cache lock").clear();
        self.role_tag_cache.lock().expect("role tag cache lock").clear();
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
        let inline_kind = match holder {
            Holder::Role(_) => "role",
            Holder::User(_) => "user",
            Holder::Group(_) => "group",
        };
        // Each policy named as MatchedStatements name it: inline by its name and the holder's
        // kind, managed by its name and whether AWS or this account made it.
        let mut documents: Vec<(String, String, &str)> = self.inline_documents(&key).await?.into_iter().map(|(name, document)| (name, document, inline_kind)).collect();
        for (arn, document) in self.attached_documents(holder).await? {
            let kind = if arn.contains(":aws:policy/") { "aws-managed" } else { "user-managed" };
            documents.push((arn, document, kind));
        }
        let mut policies = Vec::with_capacity(documents.len());
        for (name, document, kind) in documents {
            let id = name.rsplit('/').next().unwrap_or(&name).to_string();
            match Policy::parse(&document, PolicyKind::Identity) {
                Ok(policy) => policies.push(policy.with_source(id, kind)),
                Err(error) => tracing::error!(holder = key, policy = name, %error, "a stored policy no longer parses; ignored"),
            }
        }
        let policies = Arc::new(policies);
        self.policy_cache.lock().expect("policy cache lock").insert(key, (Instant::now(), policies.clone()));
        Ok(policies)
    }
}

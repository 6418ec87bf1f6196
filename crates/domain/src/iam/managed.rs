//! Customer managed policies: a policy with up to five versions, one of them the default, that
//! roles, users and groups attach. The versions and the holders a policy is attached to live in
//! the policy's own record, so every change is one compare-and-set; each attachment also files
//! the policy under its holder (in the same transaction), which is what authorisation reads.

use super::*;

use super::managed_policy::ROLE_ATTACHMENT;

/// A managed policy may have this many versions (IAM's quota).
const MAX_POLICY_VERSIONS: usize = 5;
/// A managed policy's document may be this long, white space not counted (IAM's quota).
const MAX_MANAGED_POLICY_CHARS: usize = 6144;
/// How many times an attachment is tried against concurrent changes of its policy.
const ATTACH_ATTEMPTS: usize = 8;

fn no_policy(arn: &str) -> DomainError {
    DomainError::NotFound(format!("Policy {arn} does not exist or is not attachable."))
}

/// A managed policy's document: an identity policy within IAM's size.
fn check_document(document: &str) -> DomainResult<()> {
    if document.chars().filter(|character| !character.is_whitespace()).count() > MAX_MANAGED_POLICY_CHARS {
        return Err(DomainError::LimitExceeded(format!("Cannot exceed quota for PolicySize: {MAX_MANAGED_POLICY_CHARS}")));
    }
    parse_policy(document, PolicyKind::Identity).map(|_| ())
}

impl IamService {
    pub async fn create_policy(&self, name: &str, path: Option<&str>, document: &str, description: Option<&str>, tags: BTreeMap<String, String>) -> DomainResult<ManagedPolicy> {
        check_iam_name(name, "policyName", 128)?;
        let path = path.unwrap_or("/");
        check_path(path)?;
        check_document(document)?;
        if description.is_some_and(|text| text.chars().count() > 1000) {
            return Err(validation("The description may be at most 1000 characters."));
        }
        if tags.len() > 50 {
            return Err(DomainError::LimitExceeded("A policy may have at most 50 tags.".into()));
        }
        let now = self.now();
        let policy = ManagedPolicy {
            name: name.to_string(),
            policy_id: format!("ANPA{}", random_string(UPPER_ALPHANUMERIC, 17)),
            arn: crate::ids::arn::iam_policy(&self.account_id, path, name),
            path: path.to_string(),
            description: description.map(str::to_string),
            created_ms: now,
            updated_ms: now,
            default_version: "v1".into(),
            next_version: 2,
            versions: vec![PolicyVersion { version_id: "v1".into(), document: document.to_string(), created_ms: now }],
            roles: BTreeSet::new(),
            users: BTreeSet::new(),
            groups: BTreeSet::new(),
            tags,
        };
        match self.store.write_records(&[policy.insert()?]).await {
            Ok(()) => Ok(policy),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("A policy called {name} already exists. Duplicate names are not allowed."))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    /// The customer managed policy an ARN names exactly.
    pub async fn get_policy(&self, arn: &str) -> DomainResult<ManagedPolicy> {
        let name = crate::ids::arn::policy_name_of(arn, &self.account_id).ok_or_else(|| no_policy(arn))?;
        let policy: Option<ManagedPolicy> = self.store.get_record_of("", &role_key(name), 0).await?;
        policy.filter(|policy| policy.arn == arn).ok_or_else(|| no_policy(arn))
    }

    /// ListPolicies: the account's managed policies (AWS's own are not served), by name.
    pub async fn list_policies(&self, scope: Option<&str>, only_attached: bool, path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<ManagedPolicy>> {
        let limit = marker_limit(max_items)?;
        if scope == Some("AWS") {
            return Ok(MarkerPage { items: Vec::new(), marker: None });
        }
        let prefix = path_prefix.unwrap_or("/");
        self.filtered_page(marker, limit, |policy: &ManagedPolicy| policy.path.starts_with(prefix) && (!only_attached || policy.attachment_count() > 0)).await
    }

    /// DeletePolicy: only when no role holds it and only its default version is left.
    pub async fn delete_policy(&self, arn: &str) -> DomainResult<()> {
        let policy = self.get_policy(arn).await?;
        if policy.attachment_count() > 0 {
            return Err(DomainError::InUse("Cannot delete a policy attached to entities.".into()));
        }
        if policy.versions.len() > 1 {
            return Err(DomainError::InUse("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".into()));
        }
        let stored = self.store.read_record_of::<ManagedPolicy>("", &policy.key()).await?.ok_or_else(|| no_policy(arn))?;
        if stored.value != policy {
            return Err(DomainError::TooManyRequests("The policy changed while it was being deleted; try again.".into()));
        }
        // The unchanged write first: the deletion happens only if no attachment came meanwhile.
        let unchanged = policy.swap_at("", &policy.key(), &stored.stored)?;
        self.store.write_records(&[unchanged, ManagedPolicy::delete_at("", &policy.key())]).await.map_err(|error| match error {
            StoreError::Conflict(_) => DomainError::TooManyRequests("The policy changed while it was being deleted; try again.".into()),
            other => DomainError::from(other),
        })?;
        self.forget_all_policies();
        Ok(())
    }

    /// Applies `change` to the policy an ARN names, by compare-and-set.
    pub(super) async fn change_policy(&self, arn: &str, change: impl FnMut(&mut ManagedPolicy) -> DomainResult<()> + Send) -> DomainResult<ManagedPolicy> {
        let policy = self.get_policy(arn).await?;
        let changed = self.store.change_record_of::<ManagedPolicy, _>("", &policy.key(), change).await?;
        self.forget_all_policies();
        changed.filter(|changed| changed.arn == arn).ok_or_else(|| no_policy(arn))
    }

    pub async fn create_policy_version(&self, arn: &str, document: &str, set_as_default: bool) -> DomainResult<PolicyVersion> {
        check_document(document)?;
        let now = self.now();
        let policy = self
            .change_policy(arn, |policy| {
                if policy.versions.len() >= MAX_POLICY_VERSIONS {
                    return Err(DomainError::LimitExceeded(format!(
                        "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version."
                    )));
                }
                let version_id = format!("v{}", policy.next_version);
                policy.next_version += 1;
                policy.versions.push(PolicyVersion { version_id: version_id.clone(), document: document.to_string(), created_ms: now });
                if set_as_default {
                    policy.default_version = version_id;
                }
                policy.updated_ms = now;
                Ok(())
            })
            .await?;
        Ok(policy.versions.last().cloned().expect("a version was just added"))
    }

    /// A new default version with `document`, as an operator's edit makes it: when the policy
    /// already keeps its five versions, the oldest that is not the default goes in the same
    /// compare-and-set.
    pub async fn replace_policy_document(&self, arn: &str, document: &str) -> DomainResult<PolicyVersion> {
        check_document(document)?;
        let now = self.now();
        let policy = self
            .change_policy(arn, |policy| {
                if policy.versions.len() >= MAX_POLICY_VERSIONS {
                    let default = policy.default_version.clone();
                    let oldest = policy.versions.iter().filter(|version| version.version_id != default).min_by_key(|version| version.created_ms).map(|version| version.version_id.clone());
                    policy.versions.retain(|version| Some(&version.version_id) != oldest.as_ref());
                }
                let version_id = format!("v{}", policy.next_version);
                policy.next_version += 1;
                policy.versions.push(PolicyVersion { version_id: version_id.clone(), document: document.to_string(), created_ms: now });
                policy.default_version = version_id;
                policy.updated_ms = now;
                Ok(())
            })
            .await?;
        Ok(policy.versions.last().cloned().expect("a version was just added"))
    }

    pub async fn get_policy_version(&self, arn: &str, version_id: &str) -> DomainResult<(ManagedPolicy, PolicyVersion)> {
        let policy = self.get_policy(arn).await?;
        let version = policy.versions.iter().find(|version| version.version_id == version_id).cloned();
        match version {
            Some(version) => Ok((policy, version)),
            None => Err(DomainError::NotFound(format!("Policy {arn} version {version_id} does not exist or is not attachable."))),
        }
    }

    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> DomainResult<()> {
        self.change_policy(arn, |policy| {
            if policy.default_version == version_id {
                return Err(DomainError::InUse("Cannot delete the default version of a policy.".into()));
            }
            let before = policy.versions.len();
            policy.versions.retain(|version| version.version_id != version_id);
            if policy.versions.len() == before {
                return Err(DomainError::NotFound(format!("Policy {arn} version {version_id} does not exist or is not attachable.")));
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }

    pub async fn set_default_policy_version(&self, arn: &str, version_id: &str) -> DomainResult<()> {
        let now = self.now();
        self.change_policy(arn, |policy| {
            if !policy.versions.iter().any(|version| version.version_id == version_id) {
                return Err(DomainError::NotFound(format!("Policy {arn} version {version_id} does not exist or is not attachable.")));
            }
            policy.default_version = version_id.to_string();
            policy.updated_ms = now;
            Ok(())
        })
        .await
        .map(|_| ())
    }

    /// Attach…Policy (`attach`) or Detach…Policy for a role or user, which must exist: the
    /// policy's list of holders and the holder's filing of the policy change in one
    /// transaction, by compare-and-set on the policy and the holder.
    pub async fn change_attachment(&self, holder: Holder<'_>, arn: &str, attach: bool) -> DomainResult<()> {
        let name = self.holder_name(holder).await?;
        let holder = holder.named(&name);
        let scope = holder.scope();
        for _ in 0..ATTACH_ATTEMPTS {
            let policy = self.get_policy(arn).await?;
            let stored = self.store.read_record_of::<ManagedPolicy>("", &policy.key()).await?.ok_or_else(|| no_policy(arn))?;
            let mut changed = stored.value.clone();
            let holders = match holder {
                Holder::Role(_) => &mut changed.roles,
                Holder::User(_) => &mut changed.users,
                Holder::Group(_) => &mut changed.groups,
            };
            let filing = if attach {
                holders.insert(name.clone());
                RoleAttachment { policy_name: policy.name.clone(), policy_arn: policy.arn.clone() }.put_at(&scope, &policy.arn, None)?
            } else {
                if !holders.remove(&name) {
                    return Err(DomainError::NotFound(format!("Policy {arn} was not found.")));
                }
                RoleAttachment::delete_at(&scope, &policy.arn)
            };
            let revision = self.holder_revision(holder).await?;
            match self.store.write_records(&[changed.swap_at("", &policy.key(), &stored.stored)?, filing, revision]).await {
                Ok(()) => {
                    self.forget_policies(holder);
                    return Ok(());
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(DomainError::from(other)),
            }
        }
        Err(DomainError::TooManyRequests("The policy is being changed by others; try again.".into()))
    }

    /// The stored name of a role, user or group, which must exist.
    pub(super) async fn holder_name(&self, holder: Holder<'_>) -> DomainResult<String> {
        Ok(match holder {
            Holder::Role(name) => self.get_role(name).await?.name,
            Holder::User(name) => self.get_user(name).await?.name,
            Holder::Group(name) => self.get_group(name).await?.name,
        })
    }

    /// ListAttachedRolePolicies and ListAttachedUserPolicies: (name, ARN) of each policy
    /// attached to the role or user.
    pub async fn list_attached_policies(&self, holder: Holder<'_>, path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<RoleAttachment>> {
        let name = self.holder_name(holder).await?;
        let scope = holder.named(&name).scope();
        let limit = marker_limit(max_items)?;
        let prefix = crate::ids::arn::iam_policy(&self.account_id, path_prefix.unwrap_or("/"), "");
        let mut attached: Vec<RoleAttachment> = self.store.list_records_of(&scope, marker, 1000).await?;
        attached.retain(|attachment| attachment.policy_arn.starts_with(&prefix));
        let more = attached.len() > limit as usize;
        attached.truncate(limit as usize);
        let marker = if more { attached.last().map(|attachment| attachment.policy_arn.clone()) } else { None };
        Ok(MarkerPage { items: attached, marker })
    }

    /// The default documents of the policies attached to a role or user, for authorisation.
    pub(super) async fn attached_documents(&self, holder: Holder<'_>) -> DomainResult<Vec<(String, String)>> {
        let attached: Vec<RoleAttachment> = self.store.list_records_of(&holder.scope(), None, 1000).await?;
        let mut documents = Vec::with_capacity(attached.len());
        for attachment in attached {
            let policy: Option<ManagedPolicy> = self.store.get_record_of("", &role_key(&attachment.policy_name), 0).await?;
            if let Some(document) = policy.as_ref().filter(|policy| policy.arn == attachment.policy_arn).and_then(ManagedPolicy::default_document) {
                documents.push((attachment.policy_arn.clone(), document.to_string()));
            }
        }
        Ok(documents)
    }

    /// Whether any managed policy is attached to the role or user (deleting it is refused then).
    pub(super) async fn has_attached_policies(&self, holder: Holder<'_>) -> DomainResult<bool> {
        Ok(!self.store.list_records(ROLE_ATTACHMENT, &holder.scope(), None, 1).await?.is_empty())
    }
}

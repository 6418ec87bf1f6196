//! Roles: create, get, find by ARN, list, delete and the trust policy.

use crate::error::{Constraint, InvalidMember};
use super::*;

impl IamService {
    // Roles.

    #[allow(clippy::too_many_arguments)]
    pub async fn create_role(
        &self,
        name: &str,
        path: Option<&str>,
        trust_policy: &str,
        description: Option<&str>,
        max_session_duration: Option<i64>,
        tags: BTreeMap<String, String>,
        boundary: Option<&str>,
    ) -> DomainResult<Role> {
        check_iam_name(name, "roleName", 64)?;
        if let Some(arn) = boundary {
            self.get_policy(arn).await?;
        }
        let path = path.unwrap_or("/");
        check_path(path)?;
        if trust_policy.chars().count() > MAX_TRUST_POLICY_CHARS {
            return Err(DomainError::LimitExceeded(format!("Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY_CHARS}")));
        }
        parse_policy(trust_policy, PolicyKind::Trust)?;
        let max_session_duration = max_session_duration.unwrap_or(3600);
        check_role_settings(description, Some(max_session_duration))?;
        if tags.len() > 50 {
            return Err(DomainError::LimitExceeded("A role may have at most 50 tags.".into()));
        }
        let role = Role {
            name: name.to_string(),
            role_id: format!("AROA{}", random_string(UPPER_ALPHANUMERIC, 17)),
            path: path.to_string(),
            arn: crate::ids::arn::iam_role(&self.account_id, path, name),
            created_ms: self.now(),
            assume_role_policy_document: trust_policy.to_string(),
            description: description.map(str::to_string),
            max_session_duration,
            tags,
            permissions_boundary: boundary.map(str::to_string),
            revision: 0,
        };
        let write = role.insert()?;
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(role),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("Role with name {name} already exists."))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    /// The ARN, with its path, of the role, user or group a path-less ARN of this account names
    /// (`arn:aws:iam::<account>:user/<name>`); any other ARN, or one naming nothing, unchanged.
    /// Requests name these by name alone, while policies match the ARN AWS gives them.
    pub async fn stored_arn(&self, arn: String) -> String {
        let account = self.account_id.as_str();
        let stored = if let Some(name) = crate::ids::arn::iam_name_of(&arn, account, "role") {
            self.get_role(name).await.map(|role| role.arn).ok()
        } else if let Some(name) = crate::ids::arn::iam_name_of(&arn, account, "user") {
            self.get_user(name).await.map(|user| user.arn).ok()
        } else if let Some(name) = crate::ids::arn::iam_name_of(&arn, account, "group") {
            self.get_group(name).await.map(|group| group.arn).ok()
        } else {
            None
        };
        stored.unwrap_or(arn)
    }

    pub async fn get_role(&self, name: &str) -> DomainResult<Role> {
        check_iam_name(name, "roleName", 64)?;
        let role: Option<Role> = self.store.get_record_of("", &role_key(name), 0).await?;
        role.ok_or_else(|| DomainError::NotFound(format!("The role with name {name} cannot be found.")))
    }

    /// The role an ARN names, if it exists and the ARN is exactly its ARN.
    pub async fn find_role_by_arn(&self, arn: &str) -> DomainResult<Option<Role>> {
        let Some(name) = crate::ids::arn::role_name_of(arn) else {
            return Ok(None);
        };
        let role: Option<Role> = self.store.get_record_of("", &role_key(name), 0).await?;
        Ok(role.filter(|role| role.arn == arn))
    }

    pub async fn list_roles(&self, path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<Role>> {
        let limit = marker_limit(max_items)?;
        let prefix = path_prefix.unwrap_or("/");
        self.filtered_page(marker, limit, |role: &Role| role.path.starts_with(prefix)).await
    }

    /// DeleteRole: refused while it has policies; a compare-and-set against the record read
    /// before the checks (see `delete_user`).
    pub async fn delete_role(&self, name: &str) -> DomainResult<()> {
        check_iam_name(name, "roleName", 64)?;
        let stored = self
            .store
            .read_record_of::<Role>("", &role_key(name))
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("The role with name {name} cannot be found.")))?;
        let role = stored.value.clone();
        let policies = self.store.list_records(ROLE_POLICY, &role_key(&role.name), None, 1).await?;
        if !policies.is_empty() {
            return Err(DomainError::InUse("Cannot delete entity, must delete policies first.".into()));
        }
        if self.has_attached_policies(Holder::Role(&role.name)).await? {
            return Err(DomainError::InUse("Cannot delete entity, must detach all policies first.".into()));
        }
        let unchanged = role.swap_at("", &role.key(), &stored.stored)?;
        self.store.write_records(&[unchanged, role.delete()]).await.map_err(|error| match error {
            StoreError::Conflict(_) => DomainError::TooManyRequests("The role changed while it was being deleted; try again.".into()),
            other => DomainError::from(other),
        })?;
        self.forget_policies(Holder::Role(&role.name));
        Ok(())
    }

    /// Applies `change` to the role as a compare-and-set, so that concurrent changes of its
    /// trust policy and tags all hold.
    pub(super) async fn change_role(&self, name: &str, change: impl FnMut(&mut Role) -> DomainResult<()> + Send) -> DomainResult<Role> {
        check_iam_name(name, "roleName", 64)?;
        match self.store.change_record_of::<Role, _>("", &role_key(name), change).await? {
            Some(role) => Ok(role),
            None => Err(DomainError::NotFound(format!("The role with name {name} cannot be found."))),
        }
    }

    pub async fn update_assume_role_policy(&self, name: &str, document: &str) -> DomainResult<()> {
        self.get_role(name).await?;
        if document.chars().count() > MAX_TRUST_POLICY_CHARS {
            return Err(DomainError::LimitExceeded(format!("Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY_CHARS}")));
        }
        parse_policy(document, PolicyKind::Trust)?;
        self.change_role(name, |role| {
            role.assume_role_policy_document = document.to_string();
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// UpdateRole and UpdateRoleDescription: the description and the longest session a role
    /// gives, each changed when given. Answers the role as changed.
    pub async fn update_role(&self, name: &str, description: Option<&str>, max_session_duration: Option<i64>) -> DomainResult<Role> {
        check_role_settings(description, max_session_duration)?;
        self.change_role(name, |role| {
            if let Some(text) = description {
                role.description = Some(text.to_string());
            }
            if let Some(seconds) = max_session_duration {
                role.max_session_duration = seconds;
            }
            Ok(())
        })
        .await
    }
}

/// A role's description (at most 1000 characters) and longest session (one to twelve hours).
fn check_role_settings(description: Option<&str>, max_session_duration: Option<i64>) -> DomainResult<()> {
    if let Some(seconds) = max_session_duration {
        if !(3600..=43_200).contains(&seconds) {
            return Err(InvalidMember::error("maxSessionDuration", seconds.to_string(), Constraint::Range { min: 3600, max: 43_200 }));
        }
    }
    if description.is_some_and(|text| text.chars().count() > 1000) {
        return Err(validation("The description may be at most 1000 characters."));
    }
    Ok(())
}

//! IAM groups: created, read, listed and deleted; users added and removed (the user and the
//! group change in one transaction, by compare-and-set on both); a member's authorisation takes
//! its groups' inline and attached policies with its own.

use super::*;

/// Groups one user may belong to (IAM's quota).
const MAX_GROUPS_PER_USER: usize = 10;
/// How many times a membership change is tried against others at the same time.
const MEMBERSHIP_ATTEMPTS: usize = 8;

fn no_group(name: &str) -> DomainError {
    DomainError::NotFound(format!("The group with name {name} cannot be found."))
}

impl IamService {
    pub async fn create_group(&self, name: &str, path: Option<&str>) -> DomainResult<IamGroup> {
        check_iam_name(name, "groupName", 128)?;
        let path = path.unwrap_or("/");
        check_path(path)?;
        let group = IamGroup {
            name: name.to_string(),
            group_id: format!("AGPA{}", random_string(UPPER_ALPHANUMERIC, 17)),
            arn: crate::ids::arn::iam_group(&self.account_id, path, name),
            path: path.to_string(),
            created_ms: self.now(),
            members: BTreeSet::new(),
            revision: 0,
        };
        match self.store.write_records(&[group.insert()?]).await {
            Ok(()) => Ok(group),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("Group with name {name} already exists."))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    pub async fn get_group(&self, name: &str) -> DomainResult<IamGroup> {
        check_iam_name(name, "groupName", 128)?;
        let group: Option<IamGroup> = self.store.get_record_of("", &name.to_ascii_lowercase(), 0).await?;
        group.ok_or_else(|| no_group(name))
    }

    pub async fn list_groups(&self, path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<IamGroup>> {
        let limit = marker_limit(max_items)?;
        let prefix = path_prefix.unwrap_or("/");
        self.filtered_page(marker, limit, |group: &IamGroup| group.path.starts_with(prefix)).await
    }

    /// DeleteGroup: refused while it has members or policies, as IAM refuses it; a
    /// compare-and-set against the record read before the checks (see `delete_user`).
    pub async fn delete_group(&self, name: &str) -> DomainResult<()> {
        check_iam_name(name, "groupName", 128)?;
        let stored = self.store.read_record_of::<IamGroup>("", &name.to_ascii_lowercase()).await?.ok_or_else(|| no_group(name))?;
        let group = stored.value.clone();
        if !group.members.is_empty() {
            return Err(DomainError::InUse("Cannot delete entity, must remove users from group first.".into()));
        }
        let holder = Holder::Group(&group.name);
        if !self.store.list_records(ROLE_POLICY, &holder.scope(), None, 1).await?.is_empty() {
            return Err(DomainError::InUse("Cannot delete entity, must delete policies first.".into()));
        }
        if self.has_attached_policies(holder).await? {
            return Err(DomainError::InUse("Cannot delete entity, must detach all policies first.".into()));
        }
        // The unchanged write first: the deletion happens only if nothing came meanwhile.
        let unchanged = stored.value.swap_at("", &group.key(), &stored.stored)?;
        self.store.write_records(&[unchanged, IamGroup::delete_at("", &group.key())]).await.map_err(|error| match error {
            StoreError::Conflict(_) => DomainError::TooManyRequests("The group changed while it was being deleted; try again.".into()),
            other => DomainError::from(other),
        })?;
        self.forget_policies(holder);
        Ok(())
    }

    /// AddUserToGroup (`add`) or RemoveUserFromGroup.
    pub async fn change_membership(&self, group_name: &str, user_name: &str, add: bool) -> DomainResult<()> {
        let (group, user) = (self.get_group(group_name).await?, self.get_user(user_name).await?);
        for _ in 0..MEMBERSHIP_ATTEMPTS {
            let stored_group = self.store.read_record_of::<IamGroup>("", &group.key()).await?.ok_or_else(|| no_group(group_name))?;
            let stored_user = self.store.read_record_of::<IamUser>("", &user.key())
                .await?
                .ok_or_else(|| DomainError::NotFound(format!("The user with name {user_name} cannot be found.")))?;
            let (mut group, mut user) = (stored_group.value.clone(), stored_user.value.clone());
            if add {
                if !user.groups.contains(&group.name) && user.groups.len() >= MAX_GROUPS_PER_USER {
                    return Err(DomainError::LimitExceeded(format!("Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")));
                }
                group.members.insert(user.name.clone());
                user.groups.insert(group.name.clone());
            } else {
                if !group.members.remove(&user.name) {
                    return Err(DomainError::NotFound(format!("The user with name {user_name} cannot be found in group {group_name}.")));
                }
                user.groups.remove(&group.name);
            }
            let writes = [group.swap_at("", &group.key(), &stored_group.stored)?, user.swap_at("", &user.key(), &stored_user.stored)?];
            match self.store.write_records(&writes).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(DomainError::from(other)),
            }
        }
        Err(DomainError::TooManyRequests("The group is being changed by others; try again.".into()))
    }

    /// ListGroupsForUser: the user's groups, by name.
    pub async fn list_groups_for_user(&self, user_name: &str) -> DomainResult<Vec<IamGroup>> {
        let user = self.get_user(user_name).await?;
        let mut groups = Vec::with_capacity(user.groups.len());
        for name in &user.groups {
            if let Some(group) = self.store.get_record_of::<IamGroup>("", &name.to_ascii_lowercase(), 0).await? {
                groups.push(group);
            }
        }
        Ok(groups)
    }

    /// The users of a page of GetGroup's member names.
    pub async fn group_members(&self, names: &[String]) -> DomainResult<Vec<IamUser>> {
        let mut users = Vec::with_capacity(names.len());
        for name in names {
            if let Some(user) = self.store.get_record_of::<IamUser>("", &name.to_ascii_lowercase(), 0).await? {
                users.push(user);
            }
        }
        Ok(users)
    }
}

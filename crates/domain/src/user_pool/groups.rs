//! Groups and memberships.

use super::validation::*;
use super::*;

impl UserPoolService {
    pub async fn create_group(&self, pool_id: &UserPoolId, name: &str, changes: GroupChanges) -> DomainResult<Group> {
        ids::check_name(name, "groupName")?;
        check_group_changes(&changes)?;
        self.load_pool(pool_id).await?;
        let now = self.now();
        let group = Group {
            pool_id: pool_id.to_string(),
            name: name.to_string(),
            description: changes.description,
            role_arn: changes.role_arn,
            precedence: changes.precedence,
            created_ms: now,
            modified_ms: now,
        };
        match self.store.insert_group(&group).await {
            Ok(()) => Ok(group),
            Err(StoreError::Conflict(_)) => {
                Err(DomainError::GroupExists(format!("A group with the name {name} already exists.")))
            }
            Err(error) => Err(DomainError::from(error)),
        }
    }

    pub(super) async fn load_group(&self, pool_id: &str, name: &str) -> DomainResult<Group> {
        ids::check_name(name, "groupName")?;
        self.load_pool(pool_id).await?;
        self.store.get_group(pool_id, name).await?.ok_or_else(group_not_found)
    }

    pub async fn get_group(&self, pool_id: &UserPoolId, name: &str) -> DomainResult<Group> {
        self.load_group(pool_id, name).await
    }

    pub async fn update_group(&self, pool_id: &UserPoolId, name: &str, changes: GroupChanges) -> DomainResult<Group> {
        check_group_changes(&changes)?;
        let mut group = self.load_group(pool_id, name).await?;
        if changes.description.is_some() {
            group.description = changes.description;
        }
        if changes.role_arn.is_some() {
            group.role_arn = changes.role_arn;
        }
        if changes.precedence.is_some() {
            group.precedence = changes.precedence;
        }
        group.modified_ms = self.now();
        if !self.store.update_group(&group).await? {
            return Err(group_not_found());
        }
        Ok(group)
    }

    pub async fn delete_group(&self, pool_id: &UserPoolId, name: &str) -> DomainResult<()> {
        ids::check_name(name, "groupName")?;
        self.load_pool(pool_id).await?;
        if !self.store.delete_group(pool_id, name).await? {
            return Err(group_not_found());
        }
        Ok(())
    }

    pub async fn list_groups(&self, pool_id: &UserPoolId, limit: Option<i32>, next_token: Option<&str>) -> DomainResult<Page<Group>> {
        let limit = page_limit(limit, "limit")?;
        self.load_pool(pool_id).await?;
        let after = decode_key_token(next_token)?;
        let rows = self.store.list_groups(pool_id, after.as_deref(), limit + 1).await?;
        let (items, more) = split_page(rows, limit);
        let next_token = if more { items.last().map(|group| encode_token(&[&group.name])) } else { None };
        Ok(Page { items, next_token })
    }

    pub async fn admin_add_user_to_group(&self, pool_id: &UserPoolId, username: &str, group_name: &str) -> DomainResult<()> {
        let group = self.load_group(pool_id, group_name).await?;
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        let username_key = pool.username_key(&user.username);
        let n_groups = self.store.count_groups_for_user(pool_id, &username_key).await?;
        if n_groups >= MAX_GROUPS_PER_USER {
            return Err(DomainError::LimitExceeded(format!(
                "A user can belong to at most {MAX_GROUPS_PER_USER} groups."
            )));
        }
        self.store.add_group_member(pool_id, &group.name, &username_key).await.map_err(DomainError::from)
    }

    pub async fn admin_remove_user_from_group(&self, pool_id: &UserPoolId, username: &str, group_name: &str) -> DomainResult<()> {
        let group = self.load_group(pool_id, group_name).await?;
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        self.store
            .remove_group_member(pool_id, &group.name, &pool.username_key(&user.username))
            .await
            .map_err(DomainError::from)
    }

    pub async fn admin_list_groups_for_user(
        &self,
        pool_id: &UserPoolId,
        username: &str,
        limit: Option<i32>,
        next_token: Option<&str>,
    ) -> DomainResult<Page<Group>> {
        let limit = page_limit(limit, "limit")?;
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        let after = decode_key_token(next_token)?;
        let rows = self
            .store
            .list_groups_for_user(pool_id, &pool.username_key(&user.username), after.as_deref(), limit + 1)
            .await
            ?;
        let (items, more) = split_page(rows, limit);
        let next_token = if more { items.last().map(|group| encode_token(&[&group.name])) } else { None };
        Ok(Page { items, next_token })
    }

    pub async fn list_users_in_group(
        &self,
        pool_id: &UserPoolId,
        group_name: &str,
        limit: Option<i32>,
        next_token: Option<&str>,
    ) -> DomainResult<Page<User>> {
        let limit = page_limit(limit, "limit")?;
        let group = self.load_group(pool_id, group_name).await?;
        let after = decode_key_token(next_token)?;
        let rows = self
            .store
            .list_group_members(pool_id, &group.name, after.as_deref(), limit + 1)
            .await
            ?;
        let (rows, more) = split_page(rows, limit);
        let next_token = if more { rows.last().map(|(_, key)| encode_token(&[key])) } else { None };
        Ok(Page { items: rows.into_iter().map(|(user, _)| user).collect(), next_token })
    }
}

//! User pools: CreateUserPool, DescribeUserPool, UpdateUserPool, DeleteUserPool, ListUserPools,
//! custom attributes and tags.

use crate::error::{Constraint, InvalidMember};
use super::validation::*;
use super::*;

impl UserPoolService {
    /// CreateUserPool in this server's default region.
    pub async fn create_user_pool(&self, input: CreateUserPoolInput) -> DomainResult<UserPool> {
        let region = self.region.clone();
        self.create_user_pool_in(&region, input).await
    }

    /// CreateUserPool in `region` (the one the request was signed for): the pool's id and ARN
    /// name it, and only listings in that region show the pool.
    pub async fn create_user_pool_in(&self, region: &str, input: CreateUserPoolInput) -> DomainResult<UserPool> {
        self.insert_new_pool(region, input, None).await
    }

    /// CreateUserPool keeping the id the pool has elsewhere (a pool copied from Cognito).
    pub async fn create_user_pool_with_id(&self, pool_id: UserPoolId, input: CreateUserPoolInput) -> DomainResult<UserPool> {
        let region = pool_id.region().to_string();
        self.insert_new_pool(&region, input, Some(pool_id)).await
    }

    async fn insert_new_pool(&self, region: &str, input: CreateUserPoolInput, given_id: Option<UserPoolId>) -> DomainResult<UserPool> {
        check_settings(&input.settings)?;
        check_sign_in_attributes(&input.alias_attributes, &input.username_attributes)?;
        let schema = attributes::build_schema(&input.schema)?;
        let now = self.now();
        // Pool ids are random; a collision is retried rather than reported.
        for _ in 0..3 {
            let pool_id = given_id.clone().unwrap_or_else(|| UserPoolId::generate(region));
            let pool = UserPool {
                arn: ids::arn::user_pool(region, &self.account_id, &pool_id),
                id: pool_id,
                created_ms: now,
                modified_ms: now,
                settings: input.settings.clone(),
                shape: UserPoolShape {
                    schema: schema.clone(),
                    alias_attributes: input.alias_attributes.clone(),
                    username_attributes: input.username_attributes.clone(),
                    case_sensitive: input.case_sensitive,
                },
                mfa: Default::default(),
            };
            match self.store.insert_user_pool(&pool).await {
                Ok(()) => return Ok(pool),
                Err(StoreError::Conflict(_)) if given_id.is_some() => {
                    return Err(DomainError::InvalidParameter(format!("A user pool with the id {} exists.", pool.id)));
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(error) => return Err(DomainError::from(error)),
            }
        }
        Err(DomainError::internal("could not allocate a unique user pool id"))
    }

    /// The pool and its estimated number of users.
    pub async fn describe_user_pool(&self, pool_id: &UserPoolId) -> DomainResult<(UserPool, i64)> {
        let pool = self.load_pool(pool_id).await?;
        let n_users = self.store.count_users(pool_id).await?;
        Ok((pool, n_users))
    }

    /// Replaces the pool's settings; a name left out keeps the current one.
    pub async fn update_user_pool(&self, pool_id: &UserPoolId, settings: UserPoolSettings, tags_given: bool) -> DomainResult<()> {
        let now = self.now();
        self.change_pool(pool_id, |pool| {
            let mut settings = settings.clone();
            if settings.name.is_empty() {
                settings.name = pool.settings.name.clone();
            }
            if !tags_given {
                settings.tags = pool.settings.tags.clone();
            }
            check_settings(&settings)?;
            pool.settings = settings;
            pool.modified_ms = now;
            Ok(())
        })
        .await
        .map(|_| ())
    }

    /// Reads the pool, applies `change` and writes it back as a compare-and-set, reading again
    /// when another request changed the pool meanwhile (so no acknowledged change of the pool is
    /// lost). An error of `change` stops it.
    pub(super) async fn change_pool(&self, pool_id: &str, mut change: impl FnMut(&mut UserPool) -> DomainResult<()>) -> DomainResult<UserPool> {
        ids::check_user_pool_id(pool_id)?;
        for _ in 0..8 {
            let (mut pool, stored) = self.store.read_user_pool(pool_id).await?.ok_or_else(|| pool_not_found(pool_id))?;
            change(&mut pool)?;
            if self.store.swap_user_pool(&pool, &stored).await? {
                return Ok(pool);
            }
        }
        Err(DomainError::TooManyRequests("The user pool was changed by other requests at the same time. Try again.".into()))
    }

    pub async fn delete_user_pool(&self, pool_id: &UserPoolId) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        if pool.settings.deletion_protection == DeletionProtection::Active {
            return Err(DomainError::InvalidParameter(
                "The user pool cannot be deleted because deletion protection is activated.".into(),
            ));
        }
        if self.pool_domains(pool_id).await? != (None, None) {
            return Err(DomainError::InvalidParameter(
                "User pool cannot be deleted. It has a domain configured that should be deleted first.".into(),
            ));
        }
        if !self.store.delete_user_pool(pool_id).await? {
            return Err(pool_not_found(pool_id));
        }
        Ok(())
    }

    /// ListUserPools in this server's default region.
    pub async fn list_user_pools(&self, next_token: Option<&str>, max_results: i32) -> DomainResult<Page<UserPool>> {
        let region = self.region.clone();
        self.list_user_pools_in(&region, next_token, max_results).await
    }

    /// ListUserPools in `region`: the pools whose ids name it (they sort together).
    pub async fn list_user_pools_in(&self, region: &str, next_token: Option<&str>, max_results: i32) -> DomainResult<Page<UserPool>> {
        if !(1..=MAX_PAGE as i32).contains(&max_results) {
            return Err(InvalidMember::error("maxResults", max_results.to_string(), Constraint::Range { min: 1, max: 60 }));
        }
        let prefix = format!("{region}_");
        let after = decode_key_token(next_token)?.filter(|after| after.as_str() > prefix.as_str()).unwrap_or_else(|| prefix.clone());
        let mut rows = self
            .store
            .list_user_pools(Some(&after), max_results as u32 + 1)
            .await
            ?;
        rows.retain(|pool| pool.id.starts_with(&prefix));
        let (items, more) = split_page(rows, max_results as u32);
        let next_token = if more { items.last().map(|pool| encode_token(&[&pool.id])) } else { None };
        Ok(Page { items, next_token })
    }

    pub async fn add_custom_attributes(&self, pool_id: &UserPoolId, inputs: &[SchemaAttributeInput]) -> DomainResult<()> {
        if inputs.is_empty() || inputs.len() > 25 {
            return Err(InvalidMember::error("customAttributes", "[]", Constraint::Length { min: 1, max: 25 }));
        }
        let now = self.now();
        self.change_pool(pool_id, |pool| {
            pool.shape.schema = attributes::add_custom_attributes(pool, inputs)?;
            pool.modified_ms = now;
            Ok(())
        })
        .await
        .map(|_| ())
    }

    // ----- tags -----

    pub(super) async fn pool_for_arn(&self, arn: &str) -> DomainResult<UserPool> {
        let invalid_arn = || DomainError::InvalidParameter(format!("Invalid ARN: {arn}"));
        let pool_id = ids::arn::user_pool_id_of(arn, &self.account_id).ok_or_else(invalid_arn)?;
        self.load_pool(pool_id).await.map_err(|error| match error {
            DomainError::InvalidParameter(_) => DomainError::InvalidParameter(format!("Invalid ARN: {arn}")),
            other => other,
        })
    }

    pub async fn tag_resource(&self, arn: &str, tags: BTreeMap<String, String>) -> DomainResult<()> {
        let pool = self.pool_for_arn(arn).await?;
        for (key, value) in &tags {
            check_tag(key, value)?;
        }
        self.change_pool(&pool.id, |pool| {
            pool.settings.tags.extend(tags.clone());
            if pool.settings.tags.len() > MAX_TAGS {
                return Err(DomainError::InvalidParameter(format!("A user pool can have at most {MAX_TAGS} tags.")));
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }

    pub async fn untag_resource(&self, arn: &str, keys: &[String]) -> DomainResult<()> {
        let pool = self.pool_for_arn(arn).await?;
        self.change_pool(&pool.id, |pool| {
            for key in keys {
                pool.settings.tags.remove(key);
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }

    pub async fn list_tags_for_resource(&self, arn: &str) -> DomainResult<BTreeMap<String, String>> {
        Ok(self.pool_for_arn(arn).await?.settings.tags)
    }

    // ----- app clients -----
}

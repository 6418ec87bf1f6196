//! Pool domains (a prefix under the server, or a custom domain): create, describe, update and
//! delete.

use super::*;

impl UserPoolService {
    pub async fn create_user_pool_domain(
        &self,
        domain: &str,
        pool_id: &UserPoolId,
        certificate_arn: Option<String>,
        managed_login_version: Option<i32>,
    ) -> DomainResult<UserPoolDomain> {
        self.load_pool(pool_id).await?;
        let kind_key = if certificate_arn.is_some() { "custom" } else { "prefix" };
        if certificate_arn.is_some() {
            check_custom_domain(domain)?;
        } else {
            check_prefix_domain(domain)?;
        }
        if managed_login_version.is_some_and(|version| !(1..=2).contains(&version)) {
            return Err(invalid("ManagedLoginVersion must be 1 or 2."));
        }
        let record = UserPoolDomain {
            domain: domain.to_string(),
            pool_id: pool_id.to_string(),
            certificate_arn,
            managed_login_version,
            created_ms: self.now(),
        };
        if self.store.get_record(POOL_DOMAIN, pool_id, kind_key, 0).await?.is_some() {
            return Err(invalid(format!("User pool {pool_id} already has a {kind_key} domain configured.")));
        }
        let writes = [
            record.insert()?,
            RecordWrite::Insert { kind: POOL_DOMAIN, scope: pool_id.to_string(), key: kind_key.into(), data: domain.to_string(), expires_ms: None },
        ];
        match self.store.write_records(&writes).await {
            Ok(()) => Ok(record),
            Err(StoreError::Conflict(_)) => Err(invalid("Domain already associated with another user pool.")),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    /// The domain, if any pool has it.
    pub async fn describe_user_pool_domain(&self, domain: &str) -> DomainResult<Option<UserPoolDomain>> {
        self.store.get_record_of("", domain, 0).await
    }

    pub(crate) async fn owned_domain(&self, domain: &str, pool_id: &str) -> DomainResult<UserPoolDomain> {
        self.load_pool(pool_id).await?;
        self.describe_user_pool_domain(domain)
            .await?
            .filter(|record| record.pool_id == pool_id)
            .ok_or_else(|| DomainError::NotFound(format!("Domain {domain} does not exist in user pool {pool_id}.")))
    }

    pub async fn update_user_pool_domain(
        &self,
        domain: &str,
        pool_id: &UserPoolId,
        certificate_arn: Option<String>,
        managed_login_version: Option<i32>,
    ) -> DomainResult<UserPoolDomain> {
        let mut record = self.owned_domain(domain, pool_id).await?;
        if certificate_arn.is_some() != record.certificate_arn.is_some() {
            return Err(invalid("A prefix domain cannot become a custom domain, nor the other way round."));
        }
        if managed_login_version.is_some_and(|version| !(1..=2).contains(&version)) {
            return Err(invalid("ManagedLoginVersion must be 1 or 2."));
        }
        if certificate_arn.is_some() {
            record.certificate_arn = certificate_arn;
        }
        if managed_login_version.is_some() {
            record.managed_login_version = managed_login_version;
        }
        self.store
            .write_records(&[record.replace()?])
            .await
            ?;
        Ok(record)
    }

    pub async fn delete_user_pool_domain(&self, domain: &str, pool_id: &UserPoolId) -> DomainResult<()> {
        let record = self.owned_domain(domain, pool_id).await?;
        let kind_key = if record.certificate_arn.is_some() { "custom" } else { "prefix" };
        self.store
            .write_records(&[
                UserPoolDomain::delete_at("", domain),
                RecordWrite::Delete { kind: POOL_DOMAIN, scope: pool_id.to_string(), key: kind_key.into() },
            ])
            .await
            .map_err(DomainError::from)
    }

    /// The prefix and custom domains of a pool, for DescribeUserPool.
    pub async fn pool_domains(&self, pool_id: &UserPoolId) -> DomainResult<(Option<String>, Option<String>)> {
        let prefix = self.store.get_record(POOL_DOMAIN, pool_id, "prefix", 0).await?;
        let custom = self.store.get_record(POOL_DOMAIN, pool_id, "custom", 0).await?;
        Ok((prefix, custom))
    }
}

//! A pool's Sync configuration as its developer changes it: push sync and Cognito Streams
//! (members left out keep their values), the Cognito events (the Sync trigger is the only one),
//! and the usage of every pool.

use std::collections::BTreeMap;

use super::{PoolSyncConfiguration, PoolUsage, StreamingStatus, SyncService};
use crate::error::{DomainError, DomainResult};
use crate::ids::IdentityPoolId;
use crate::records::{Document, Records};
use crate::store::{ConflictOn, StoreError};

/// How many times a configuration change is tried against others made at the same time.
const CONFIGURATION_ATTEMPTS: usize = 8;

/// What SetIdentityPoolConfiguration changes: each part given replaces that part.
#[derive(Debug, Clone, Default)]
pub struct ConfigurationChanges {
    /// `PushSync`: the platform application ARNs and the role.
    pub push: Option<(Option<Vec<String>>, Option<String>)>,
    /// `CognitoStreams`: the stream name, role and streaming status.
    pub streams: Option<(Option<String>, Option<String>, Option<StreamingStatus>)>,
}

impl SyncService {
    /// SetIdentityPoolConfiguration: applies the parts given and answers the configuration.
    pub async fn update_configuration(&self, pool_id: &IdentityPoolId, changes: ConfigurationChanges) -> DomainResult<PoolSyncConfiguration> {
        self.change_configuration(pool_id, |configuration| {
            if let Some((application_arns, role_arn)) = &changes.push {
                configuration.push_application_arns = application_arns.clone();
                configuration.push_role_arn = role_arn.clone();
            }
            if let Some((stream_name, role_arn, streaming_status)) = &changes.streams {
                configuration.stream_name = stream_name.clone();
                configuration.stream_role_arn = role_arn.clone();
                configuration.streaming_status = *streaming_status;
            }
        })
        .await
    }

    /// SetCognitoEvents: the only event is SyncTrigger; an empty target removes it.
    pub async fn set_cognito_events(&self, pool_id: &IdentityPoolId, events: BTreeMap<String, String>) -> DomainResult<()> {
        if events.keys().any(|name| name != "SyncTrigger") {
            return Err(DomainError::InvalidParameter("The only event is SyncTrigger.".into()));
        }
        let events: BTreeMap<String, String> = events.into_iter().filter(|(_, target)| !target.is_empty()).collect();
        self.change_configuration(pool_id, |configuration| configuration.events = events.clone()).await?;
        Ok(())
    }

    /// Applies `change` to the pool's configuration as a compare-and-set: the push, stream and
    /// event settings are changed by different operations, and none may undo another's change
    /// made meanwhile. A configuration changed under it is read again, a few times.
    async fn change_configuration(
        &self,
        pool_id: &IdentityPoolId,
        change: impl Fn(&mut PoolSyncConfiguration),
    ) -> DomainResult<PoolSyncConfiguration> {
        self.identity_pools.describe_pool(pool_id).await?;
        for _ in 0..CONFIGURATION_ATTEMPTS {
            let read = self.store.read_record_of::<PoolSyncConfiguration>("", pool_id).await?;
            let mut configuration = read.as_ref().map(|read| read.value.clone()).unwrap_or_default();
            change(&mut configuration);
            let write = match &read {
                Some(read) => configuration.swap_at("", pool_id, &read.stored)?,
                None => configuration.insert_at("", pool_id, None)?,
            };
            match self.store.write_records(&[write]).await {
                Ok(()) => return Ok(configuration),
                Err(StoreError::Conflict(ConflictOn::Stale | ConflictOn::Key)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::TooManyRequests("The configuration was changed by other requests at the same time. Try again.".into()))
    }

    /// ListIdentityPoolUsage: a page of identity pools with the usage of each, and the page size.
    pub async fn list_pool_usage(&self, max_results: Option<i64>, next_token: Option<&str>) -> DomainResult<(Vec<PoolUsage>, i32, Option<String>)> {
        let max = max_results.unwrap_or(60).clamp(1, 60) as i32;
        let (pools, next) = self.identity_pools.list_pools(max, next_token).await?;
        let mut usages = Vec::with_capacity(pools.len());
        for pool in &pools {
            usages.push(self.pool_usage(&pool.id).await?);
        }
        Ok((usages, max, next))
    }
}

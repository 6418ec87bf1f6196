//! A pool's Sync configuration as its developer changes it: push sync and Cognito Streams
//! (members left out keep their values), the Cognito events (the Sync trigger is the only one),
//! and the usage of every pool.

use std::collections::BTreeMap;

use super::{PoolSyncConfiguration, PoolUsage, StreamingStatus, SyncService};
use crate::ids::IdentityPoolId;
use crate::error::{DomainError, DomainResult};

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
        let mut configuration = self.configuration(pool_id).await?;
        if let Some((application_arns, role_arn)) = changes.push {
            configuration.push_application_arns = application_arns;
            configuration.push_role_arn = role_arn;
        }
        if let Some((stream_name, role_arn, streaming_status)) = changes.streams {
            configuration.stream_name = stream_name;
            configuration.stream_role_arn = role_arn;
            configuration.streaming_status = streaming_status;
        }
        self.set_configuration(pool_id, &configuration).await?;
        Ok(configuration)
    }

    /// SetCognitoEvents: the only event is SyncTrigger; an empty target removes it.
    pub async fn set_cognito_events(&self, pool_id: &IdentityPoolId, events: BTreeMap<String, String>) -> DomainResult<()> {
        if events.keys().any(|name| name != "SyncTrigger") {
            return Err(DomainError::InvalidParameter("The only event is SyncTrigger.".into()));
        }
        let mut configuration = self.configuration(pool_id).await?;
        configuration.events = events.into_iter().filter(|(_, target)| !target.is_empty()).collect();
        self.set_configuration(pool_id, &configuration).await
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

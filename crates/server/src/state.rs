//! What every handler shares: [`AppState`] (configuration, store, services, the push hub, the
//! rate limits, the root credentials), and the request's id and operation name that the request
//! log reads from a request's extensions. A leaf: it imports no API and no page.

use std::sync::Arc;

use cognate_domain::clock::Clock;
use cognate_domain::federation::ExternalVerifier;
use cognate_domain::iam::IamService;
use cognate_domain::identity_pool::IdentityPoolService;
use cognate_domain::store::Store;
use cognate_domain::sync::SyncService;
use cognate_domain::user_pool::UserPoolService;

use crate::config::{Config, Secret};

/// The access key pair that signs administrative requests.
#[derive(Clone)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// What every handler shares: one allocation, so that the clone each handler and middleware
/// takes is a reference count, not a copy of every service.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The services, configuration and node-local state behind an [`AppState`].
pub struct Shared {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub user_pools: UserPoolService,
    pub iam: IamService,
    pub identity_pools: IdentityPoolService,
    pub external: ExternalVerifier,
    pub sync: SyncService,
    pub push: Arc<crate::push::hub::PushHub>,
    /// Outbound HTTP for webhooks and sinks (the stream sink).
    pub outbound: reqwest::Client,
    pub root: RootCredentials,
    /// Per-address and per-client limits on guessable requests (this node's).
    pub rate_limits: Arc<crate::rate::RateLimits>,
    /// This node's request counters (`GET /metrics`).
    pub metrics: Arc<crate::counters::Metrics>,
}

/// The service of the AWS API a request went to, put in the response extensions beside its
/// [`OperationName`] (for metrics).
#[derive(Clone)]
pub struct ServiceName(pub &'static str);

/// The request id of the request being handled, put in its extensions by the logging layer.
#[derive(Clone)]
pub struct RequestId(pub String);

/// The operation a handler served, put in the response extensions for the request log.
#[derive(Clone)]
pub struct OperationName(pub &'static str);

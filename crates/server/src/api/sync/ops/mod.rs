//! The cognito-sync handlers, one family per file: each takes the routed call, parses its typed
//! request, makes one domain call and writes its typed answer.

pub mod config;
pub mod datasets;
pub mod devices;
pub mod usage;

use axum::http::Uri;
use serde::de::DeserializeOwned;

use cognate_domain::ids::{IdentityId, IdentityPoolId};

use super::error::error_from_domain;
use super::router::Route;
use crate::aws::json::{parse_input, ApiError};
use crate::state::AppState;

/// One routed, authorised call.
pub struct Call<'a> {
    pub state: &'a AppState,
    pub route: &'a Route,
    pub uri: &'a Uri,
    pub body: &'a [u8],
    /// Who the change is recorded as made by: the identity, or the account for the developer.
    pub modified_by: &'a str,
    /// True for an identity's own credentials (the Sync trigger runs only for those).
    pub by_identity: bool,
}

impl Call<'_> {
    /// The identity pool of the path, parsed where it enters.
    pub fn pool(&self) -> Result<IdentityPoolId, ApiError> {
        IdentityPoolId::parse(self.route.pool_id.as_deref().unwrap_or_default()).map_err(error_from_domain)
    }

    /// The identity of the path, parsed where it enters.
    pub fn identity(&self) -> Result<IdentityId, ApiError> {
        IdentityId::parse(self.route.identity_id.as_deref().unwrap_or_default()).map_err(error_from_domain)
    }

    pub fn dataset(&self) -> &str {
        self.route.dataset.as_deref().unwrap_or_default()
    }

    pub fn input<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse_input(self.body)
    }
}


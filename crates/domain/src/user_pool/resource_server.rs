//! A resource server of a user pool, the API whose custom scopes clients may be granted, as it
//! is stored: a record of the pool, keyed by its identifier.

use serde::{Deserialize, Serialize};

use crate::ids::UserPoolId;
use crate::records::{Document, Record};

const RESOURCE_SERVER: &str = "resource_server";

impl Document for ResourceServer {
    const KIND: &'static str = RESOURCE_SERVER;
}

impl Record for ResourceServer {
    fn scope(&self) -> String {
        self.pool_id.to_string()
    }

    fn key(&self) -> String {
        self.identifier.clone()
    }
}

/// A custom scope of a resource server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceServerScope {
    pub name: String,
    pub description: String,
}

/// A resource server: an API whose scopes clients may be granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceServer {
    pub pool_id: UserPoolId,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ResourceServerScope>,
}


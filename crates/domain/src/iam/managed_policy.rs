//! The records of customer managed policies: the policy with its versions and the roles it is
//! attached to, and its filing under each of those roles.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::records::{Document, Record};

const MANAGED_POLICY: &str = "iam_managed_policy";
pub(super) const ROLE_ATTACHMENT: &str = "iam_role_attachment";

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub policy_id: String,
    pub arn: String,
    pub path: String,
    pub description: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub default_version: String,
    /// The number of the next version to create (`v<n>`).
    pub next_version: u32,
    pub versions: Vec<PolicyVersion>,
    /// The names of the roles it is attached to.
    pub roles: BTreeSet<String>,
    pub tags: BTreeMap<String, String>,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub version_id: String,
    pub document: String,
    pub created_ms: i64,
}

/// A policy filed under a role it is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAttachment {
    pub policy_name: String,
    pub policy_arn: String,
}

impl Document for ManagedPolicy {
    const KIND: &'static str = MANAGED_POLICY;
}

impl Record for ManagedPolicy {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.name.to_ascii_lowercase()
    }
}

impl Document for RoleAttachment {
    const KIND: &'static str = ROLE_ATTACHMENT;
}

impl ManagedPolicy {
    pub fn attachment_count(&self) -> usize {
        self.roles.len()
    }

    pub fn default_document(&self) -> Option<&str> {
        self.versions.iter().find(|version| version.version_id == self.default_version).map(|version| version.document.as_str())
    }
}

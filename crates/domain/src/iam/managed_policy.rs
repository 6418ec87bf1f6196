//! The records of customer managed policies: the policy with its versions and the roles, users
//! and groups it is attached to, and its filing under each of those; and [`Holder`], the role,
//! user or group that policies (inline or attached) are filed under, and [`Tagged`], what tags
//! are put on.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::records::{Document, Record};

const MANAGED_POLICY: &str = "iam_managed_policy";

/// What tags are put on: a role or user by name, a managed policy or SAML provider by ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged<'a> {
    Role(&'a str),
    User(&'a str),
    Policy(&'a str),
    SamlProvider(&'a str),
}

/// The identities a permissions boundary may be set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounded<'a> {
    Role(&'a str),
    User(&'a str),
}

/// The policy-cache key of a holder's boundary (`:` never appears in a role, user or group name).
pub(super) fn boundary_key(scope: &str) -> String {
    format!("boundary:{scope}")
}

/// A role, an IAM user or an IAM group, by name: what policies are put into and attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    Role(&'a str),
    User(&'a str),
    Group(&'a str),
}

impl Holder<'_> {
    /// The scope its inline and attached policies are filed under (a role's lower-cased name, as
    /// before users existed; `user/<name>` for a user, which no role name can be), and the key of
    /// its parsed policies in the cache.
    pub fn scope(&self) -> String {
        match self {
            Holder::Role(name) => name.to_ascii_lowercase(),
            Holder::User(name) => format!("user/{}", name.to_ascii_lowercase()),
            Holder::Group(name) => format!("group/{}", name.to_ascii_lowercase()),
        }
    }

    /// The same kind of holder under another name (its stored spelling).
    pub fn named<'b>(&self, name: &'b str) -> Holder<'b> {
        match self {
            Holder::Role(_) => Holder::Role(name),
            Holder::User(_) => Holder::User(name),
            Holder::Group(_) => Holder::Group(name),
        }
    }

    /// What IAM calls it in messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Holder::Role(_) => "role",
            Holder::User(_) => "user",
            Holder::Group(_) => "group",
        }
    }
}
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
    /// The names of the IAM users it is attached to.
    #[serde(default)]
    pub users: BTreeSet<String>,
    /// The names of the IAM groups it is attached to.
    #[serde(default)]
    pub groups: BTreeSet<String>,
    pub tags: BTreeMap<String, String>,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub version_id: String,
    pub document: String,
    pub created_ms: i64,
}

/// A policy filed under a role or user it is attached to.
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
        self.roles.len() + self.users.len() + self.groups.len()
    }

    pub fn default_document(&self) -> Option<&str> {
        self.versions.iter().find(|version| version.version_id == self.default_version).map(|version| version.document.as_str())
    }
}

//! The records of IAM users, their access keys and their groups: a user with the ids of its keys
//! (at most two) and the names of its groups, each key filed under its id with its secret sealed
//! under the master key, and a group with the names of its members. A user's keys change by
//! compare-and-set on the user; a membership changes the user and the group in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::records::{Document, Record};

const IAM_USER: &str = "iam_user";
const ACCESS_KEY: &str = "iam_access_key";
const IAM_GROUP: &str = "iam_group";

/// An IAM user: a long-term principal whose access keys sign requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamUser {
    pub name: String,
    pub user_id: String,
    pub arn: String,
    pub path: String,
    pub created_ms: i64,
    pub tags: BTreeMap<String, String>,
    /// The ids of its access keys, oldest first.
    pub access_keys: Vec<String>,
    /// The names of the groups it belongs to.
    #[serde(default)]
    pub groups: BTreeSet<String>,
    /// The ARN of the managed policy that caps its permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// Raised by every write filed under its name (policies, attachments, a login profile, an
    /// MFA device), so that a deletion or rename made meanwhile fails its compare-and-set.
    #[serde(default)]
    pub revision: u64,
}

/// An IAM group: users whose policies include the group's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamGroup {
    pub name: String,
    pub group_id: String,
    pub arn: String,
    pub path: String,
    pub created_ms: i64,
    pub members: BTreeSet<String>,
    /// Raised by every write filed under its name (policies, attachments, a login profile, an
    /// MFA device), so that a deletion or rename made meanwhile fails its compare-and-set.
    #[serde(default)]
    pub revision: u64,
}

/// An access key of an IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub access_key_id: String,
    pub user_name: String,
    pub(super) sealed_secret: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub last_used_service: Option<String>,
    pub last_used_region: Option<String>,
}

/// An IAM user's console password (CreateLoginProfile): its Argon2id hash, and whether it must
/// be changed at the next sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    pub user_name: String,
    pub(super) password_hash: String,
    pub created_ms: i64,
    pub password_reset_required: bool,
}

impl Document for LoginProfile {
    const KIND: &'static str = "iam_login_profile";
}

impl Record for LoginProfile {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.user_name.to_ascii_lowercase()
    }
}

/// A virtual MFA device (an authenticator app): its secret sealed under the master key, the user
/// it is enabled for, and the last time step it accepted (each code works once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualMfaDevice {
    pub name: String,
    pub serial_number: String,
    pub(super) sealed_secret: String,
    pub created_ms: i64,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub enabled_ms: Option<i64>,
    #[serde(default)]
    pub(super) last_step: Option<i64>,
}

impl Document for VirtualMfaDevice {
    const KIND: &'static str = "iam_virtual_mfa_device";
}

impl Record for VirtualMfaDevice {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.serial_number.clone()
    }
}

impl Document for IamUser {
    const KIND: &'static str = IAM_USER;
}

impl Record for IamUser {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.name.to_ascii_lowercase()
    }
}

impl Document for AccessKey {
    const KIND: &'static str = ACCESS_KEY;
}

impl Record for AccessKey {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.access_key_id.clone()
    }
}

impl AccessKey {
    pub fn is_active(&self) -> bool {
        self.status == "Active"
    }
}

impl Document for IamGroup {
    const KIND: &'static str = IAM_GROUP;
}

impl Record for IamGroup {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.name.to_ascii_lowercase()
    }
}

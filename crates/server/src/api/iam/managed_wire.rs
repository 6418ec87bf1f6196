//! The typed requests of customer managed policies and their attachment to roles, each naming
//! the resource a policy decides on, and the XML of their answers.

use std::collections::BTreeMap;

use cognate_domain::clock::format_iso8601;
use cognate_domain::iam::{ManagedPolicy, PolicyVersion};
use cognate_domain::ids::arn;

use crate::api::iam::wire::{max_items, optional, required, tags_xml, ActsOn, FromQuery};
use crate::aws::query::{url_encode, QueryError, QueryInput, Xml};

fn flag(input: &QueryInput, name: &str) -> Result<bool, QueryError> {
    match input.get(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(QueryError::validation(format!("Value '{other}' at '{name}' failed to satisfy constraint: Member must be true or false"))),
    }
}

pub struct CreatePolicyRequest {
    pub policy_name: String,
    pub path: Option<String>,
    pub policy_document: String,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// GetPolicy, DeletePolicy, ListPolicyVersions and ListEntitiesForPolicy.
pub struct PolicyArnRequest {
    pub policy_arn: String,
    pub marker: Option<String>,
    pub max_items: Option<i32>,
}

pub struct ListPoliciesRequest {
    pub scope: Option<String>,
    pub only_attached: bool,
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i32>,
}

pub struct CreatePolicyVersionRequest {
    pub policy_arn: String,
    pub policy_document: String,
    pub set_as_default: bool,
}

/// GetPolicyVersion, DeletePolicyVersion and SetDefaultPolicyVersion.
pub struct PolicyVersionRequest {
    pub policy_arn: String,
    pub version_id: String,
}

/// AttachRolePolicy and DetachRolePolicy.
pub struct RolePolicyArnRequest {
    pub role_name: String,
    pub policy_arn: String,
}

pub struct ListAttachedRolePoliciesRequest {
    pub role_name: String,
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i32>,
}

impl FromQuery for CreatePolicyRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(CreatePolicyRequest {
            policy_name: required(input, "PolicyName")?,
            path: optional(input, "Path"),
            policy_document: required(input, "PolicyDocument")?,
            description: optional(input, "Description"),
            tags: input.tags("Tags"),
        })
    }
}

impl FromQuery for PolicyArnRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(PolicyArnRequest { policy_arn: required(input, "PolicyArn")?, marker: optional(input, "Marker"), max_items: max_items(input)? })
    }
}

impl FromQuery for ListPoliciesRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        let scope = optional(input, "Scope");
        if let Some(scope) = scope.as_deref().filter(|scope| !["All", "AWS", "Local"].contains(scope)) {
            return Err(QueryError::validation(format!("Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")));
        }
        Ok(ListPoliciesRequest {
            scope,
            only_attached: flag(input, "OnlyAttached")?,
            path_prefix: optional(input, "PathPrefix"),
            marker: optional(input, "Marker"),
            max_items: max_items(input)?,
        })
    }
}

impl FromQuery for CreatePolicyVersionRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(CreatePolicyVersionRequest {
            policy_arn: required(input, "PolicyArn")?,
            policy_document: required(input, "PolicyDocument")?,
            set_as_default: flag(input, "SetAsDefault")?,
        })
    }
}

impl FromQuery for PolicyVersionRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(PolicyVersionRequest { policy_arn: required(input, "PolicyArn")?, version_id: required(input, "VersionId")? })
    }
}

impl FromQuery for RolePolicyArnRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(RolePolicyArnRequest { role_name: required(input, "RoleName")?, policy_arn: required(input, "PolicyArn")? })
    }
}

impl FromQuery for ListAttachedRolePoliciesRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(ListAttachedRolePoliciesRequest {
            role_name: required(input, "RoleName")?,
            path_prefix: optional(input, "PathPrefix"),
            marker: optional(input, "Marker"),
            max_items: max_items(input)?,
        })
    }
}

impl ActsOn for CreatePolicyRequest {
    fn resource(&self, account_id: &str) -> String {
        arn::iam_policy(account_id, self.path.as_deref().unwrap_or("/"), &self.policy_name)
    }
}

impl ActsOn for PolicyArnRequest {
    fn resource(&self, _account_id: &str) -> String {
        self.policy_arn.clone()
    }
}

impl ActsOn for CreatePolicyVersionRequest {
    fn resource(&self, _account_id: &str) -> String {
        self.policy_arn.clone()
    }
}

impl ActsOn for PolicyVersionRequest {
    fn resource(&self, _account_id: &str) -> String {
        self.policy_arn.clone()
    }
}

impl ActsOn for RolePolicyArnRequest {
    fn resource(&self, account_id: &str) -> String {
        arn::iam_role(account_id, "/", &self.role_name)
    }
}

impl ActsOn for ListAttachedRolePoliciesRequest {
    fn resource(&self, account_id: &str) -> String {
        arn::iam_role(account_id, "/", &self.role_name)
    }
}

pub fn policy_xml(xml: &mut Xml, policy: &ManagedPolicy) {
    xml.text("PolicyName", &policy.name)
        .text("PolicyId", &policy.policy_id)
        .text("Arn", &policy.arn)
        .text("Path", &policy.path)
        .text("DefaultVersionId", &policy.default_version)
        .text("AttachmentCount", &policy.attachment_count().to_string())
        .text("PermissionsBoundaryUsageCount", "0")
        .text("IsAttachable", "true")
        .optional("Description", policy.description.as_deref())
        .text("CreateDate", &format_iso8601(policy.created_ms.div_euclid(1000)))
        .text("UpdateDate", &format_iso8601(policy.updated_ms.div_euclid(1000)));
    tags_xml(xml, &policy.tags);
}

/// A version; its document only where AWS answers it (GetPolicyVersion).
pub fn version_xml(xml: &mut Xml, policy: &ManagedPolicy, version: &PolicyVersion, with_document: bool) {
    if with_document {
        xml.text("Document", &url_encode(&version.document));
    }
    xml.text("VersionId", &version.version_id)
        .text("IsDefaultVersion", if version.version_id == policy.default_version { "true" } else { "false" })
        .text("CreateDate", &format_iso8601(version.created_ms.div_euclid(1000)));
}

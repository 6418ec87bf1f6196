//! The typed requests of IAM users, their access keys, their groups and the policies of both,
//! and the XML of their answers. A request that may leave out `UserName` acts on the IAM user who signed it, as IAM
//! does; other callers must name the user.

use std::collections::BTreeMap;

use cognate_domain::clock::format_iso8601;
use cognate_domain::iam::{AccessKey, IamGroup, IamUser};
use cognate_domain::ids::arn;

use crate::api::iam::wire::{max_items, optional, required, tags_xml, ActsOn, FromQuery};
use crate::aws::query::{QueryError, QueryInput, Xml};

/// A request whose user defaults to the caller.
pub trait OfUser {
    fn given_user(&self) -> Option<&str>;

    /// The user it names, else the calling IAM user.
    fn user<'a>(&'a self, caller: Option<&'a str>) -> Result<&'a str, QueryError> {
        self.given_user()
            .or(caller)
            .ok_or_else(|| QueryError::validation("Must specify userName when calling with non-User credentials"))
    }

    /// The ARN of that user for the policy engine (its path is not known from the request).
    fn user_resource(&self, account_id: &str, caller: Option<&str>) -> String {
        self.user(caller).map(|name| arn::iam_user(account_id, "/", name)).unwrap_or_else(|_| "*".into())
    }
}

pub struct CreateUserRequest {
    pub user_name: String,
    pub path: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub permissions_boundary: Option<String>,
}

/// PutUserPermissionsBoundary and DeleteUserPermissionsBoundary (no policy).
pub struct UserBoundaryRequest {
    pub user_name: String,
    pub permissions_boundary: Option<String>,
}

/// GetUser, DeleteUser, CreateAccessKey and ListAccessKeys (and ListUserPolicies' and
/// ListAttachedUserPolicies' paging).
pub struct UserNameRequest {
    pub user_name: Option<String>,
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i32>,
}

pub struct ListUsersRequest {
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i32>,
}

/// UpdateAccessKey (with `Status`) and DeleteAccessKey.
pub struct AccessKeyRequest {
    pub user_name: Option<String>,
    pub access_key_id: String,
    pub status: Option<String>,
}

pub struct AccessKeyIdRequest {
    pub access_key_id: String,
}

/// PutUserPolicy (with the document), GetUserPolicy and DeleteUserPolicy.
pub struct UserPolicyRequest {
    pub user_name: String,
    pub policy_name: String,
    pub policy_document: Option<String>,
}

/// AttachUserPolicy and DetachUserPolicy.
pub struct UserPolicyArnRequest {
    pub user_name: String,
    pub policy_arn: String,
}

pub struct CreateGroupRequest {
    pub group_name: String,
    pub path: Option<String>,
}

/// GetGroup, DeleteGroup, ListGroupPolicies and ListAttachedGroupPolicies.
pub struct GroupNameRequest {
    pub group_name: String,
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i32>,
}

/// UpdateUser (`UserName`, `NewUserName`) and UpdateGroup (`GroupName`, `NewGroupName`), each
/// with `NewPath`.
pub struct RenameRequest {
    pub name: String,
    pub new_name: Option<String>,
    pub new_path: Option<String>,
}

impl RenameRequest {
    pub fn from_query_for(input: &QueryInput, member: &str, new_member: &str) -> Result<Self, QueryError> {
        Ok(RenameRequest { name: required(input, member)?, new_name: optional(input, new_member), new_path: optional(input, "NewPath") })
    }

    /// The entity under its present name and, when renamed, under its new one: AWS asks for
    /// the permission on both.
    pub fn resources(&self, account_id: &str, arn_of: fn(&str, &str, &str) -> String) -> Vec<String> {
        let mut resources = vec![arn_of(account_id, "/", &self.name)];
        if let Some(new_name) = &self.new_name {
            resources.push(arn_of(account_id, self.new_path.as_deref().unwrap_or("/"), new_name));
        }
        resources
    }
}

/// AddUserToGroup and RemoveUserFromGroup.
pub struct GroupUserRequest {
    pub group_name: String,
    pub user_name: String,
}

/// PutGroupPolicy (with the document), GetGroupPolicy and DeleteGroupPolicy.
pub struct GroupPolicyRequest {
    pub group_name: String,
    pub policy_name: String,
    pub policy_document: Option<String>,
}

/// AttachGroupPolicy and DetachGroupPolicy.
pub struct GroupPolicyArnRequest {
    pub group_name: String,
    pub policy_arn: String,
}

impl FromQuery for CreateGroupRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(CreateGroupRequest { group_name: required(input, "GroupName")?, path: optional(input, "Path") })
    }
}

impl FromQuery for GroupNameRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(GroupNameRequest {
            group_name: required(input, "GroupName")?,
            path_prefix: optional(input, "PathPrefix"),
            marker: optional(input, "Marker"),
            max_items: max_items(input)?,
        })
    }
}

impl FromQuery for GroupUserRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(GroupUserRequest { group_name: required(input, "GroupName")?, user_name: required(input, "UserName")? })
    }
}

impl FromQuery for GroupPolicyRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(GroupPolicyRequest {
            group_name: required(input, "GroupName")?,
            policy_name: required(input, "PolicyName")?,
            policy_document: optional(input, "PolicyDocument"),
        })
    }
}

impl FromQuery for GroupPolicyArnRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(GroupPolicyArnRequest { group_name: required(input, "GroupName")?, policy_arn: required(input, "PolicyArn")? })
    }
}

macro_rules! acts_on_group {
    ($($request:ty),*) => {
        $(impl ActsOn for $request {
            fn resource(&self, account_id: &str) -> String {
                arn::iam_group(account_id, "/", &self.group_name)
            }
        })*
    };
}

acts_on_group!(GroupNameRequest, GroupUserRequest, GroupPolicyRequest, GroupPolicyArnRequest);

impl ActsOn for CreateGroupRequest {
    fn resource(&self, account_id: &str) -> String {
        arn::iam_group(account_id, self.path.as_deref().unwrap_or("/"), &self.group_name)
    }
}

pub fn group_xml(xml: &mut Xml, group: &IamGroup) {
    xml.text("Path", &group.path)
        .text("GroupName", &group.name)
        .text("GroupId", &group.group_id)
        .text("Arn", &group.arn)
        .text("CreateDate", &format_iso8601(group.created_ms.div_euclid(1000)));
}

impl FromQuery for CreateUserRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(CreateUserRequest {
            user_name: required(input, "UserName")?,
            path: optional(input, "Path"),
            tags: input.tags("Tags"),
            permissions_boundary: optional(input, "PermissionsBoundary"),
        })
    }
}

impl FromQuery for UserBoundaryRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(UserBoundaryRequest { user_name: required(input, "UserName")?, permissions_boundary: optional(input, "PermissionsBoundary") })
    }
}

impl FromQuery for UserNameRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(UserNameRequest {
            user_name: optional(input, "UserName"),
            path_prefix: optional(input, "PathPrefix"),
            marker: optional(input, "Marker"),
            max_items: max_items(input)?,
        })
    }
}

impl FromQuery for ListUsersRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(ListUsersRequest { path_prefix: optional(input, "PathPrefix"), marker: optional(input, "Marker"), max_items: max_items(input)? })
    }
}

impl FromQuery for AccessKeyRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(AccessKeyRequest { user_name: optional(input, "UserName"), access_key_id: required(input, "AccessKeyId")?, status: optional(input, "Status") })
    }
}

impl FromQuery for AccessKeyIdRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(AccessKeyIdRequest { access_key_id: required(input, "AccessKeyId")? })
    }
}

impl FromQuery for UserPolicyRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(UserPolicyRequest {
            user_name: required(input, "UserName")?,
            policy_name: required(input, "PolicyName")?,
            policy_document: optional(input, "PolicyDocument"),
        })
    }
}

impl FromQuery for UserPolicyArnRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(UserPolicyArnRequest { user_name: required(input, "UserName")?, policy_arn: required(input, "PolicyArn")? })
    }
}

/// CreateLoginProfile and UpdateLoginProfile (a password, whether it must be reset), and
/// GetLoginProfile and DeleteLoginProfile.
pub struct LoginProfileRequest {
    pub user_name: Option<String>,
    pub password: Option<String>,
    pub password_reset_required: Option<bool>,
}

impl FromQuery for LoginProfileRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        let reset = match optional(input, "PasswordResetRequired").as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => return Err(QueryError::validation(format!("PasswordResetRequired must be true or false, not {other}"))),
        };
        Ok(LoginProfileRequest { user_name: optional(input, "UserName"), password: optional(input, "Password"), password_reset_required: reset })
    }
}

impl OfUser for LoginProfileRequest {
    fn given_user(&self) -> Option<&str> {
        self.user_name.as_deref()
    }
}

/// CreateVirtualMFADevice.
pub struct CreateVirtualMfaDeviceRequest {
    pub name: String,
    pub path: Option<String>,
}

impl FromQuery for CreateVirtualMfaDeviceRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(CreateVirtualMfaDeviceRequest { name: required(input, "VirtualMFADeviceName")?, path: optional(input, "Path") })
    }
}

/// EnableMFADevice (with two codes), DeactivateMFADevice, and DeleteVirtualMFADevice (which
/// names no user).
pub struct MfaDeviceRequest {
    pub user_name: Option<String>,
    pub serial_number: String,
    pub code1: Option<String>,
    pub code2: Option<String>,
}

impl FromQuery for MfaDeviceRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(MfaDeviceRequest {
            user_name: optional(input, "UserName"),
            serial_number: required(input, "SerialNumber")?,
            code1: optional(input, "AuthenticationCode1"),
            code2: optional(input, "AuthenticationCode2"),
        })
    }
}

impl OfUser for MfaDeviceRequest {
    fn given_user(&self) -> Option<&str> {
        self.user_name.as_deref()
    }
}

impl OfUser for UserNameRequest {
    fn given_user(&self) -> Option<&str> {
        self.user_name.as_deref()
    }
}

impl OfUser for AccessKeyRequest {
    fn given_user(&self) -> Option<&str> {
        self.user_name.as_deref()
    }
}

macro_rules! acts_on_user {
    ($($request:ty),*) => {
        $(impl ActsOn for $request {
            fn resource(&self, account_id: &str) -> String {
                arn::iam_user(account_id, "/", &self.user_name)
            }
        })*
    };
}

acts_on_user!(UserPolicyRequest, UserPolicyArnRequest, UserBoundaryRequest);

impl ActsOn for CreateUserRequest {
    fn resource(&self, account_id: &str) -> String {
        arn::iam_user(account_id, self.path.as_deref().unwrap_or("/"), &self.user_name)
    }
}

pub fn user_xml(xml: &mut Xml, user: &IamUser) {
    xml.text("Path", &user.path)
        .text("UserName", &user.name)
        .text("UserId", &user.user_id)
        .text("Arn", &user.arn)
        .text("CreateDate", &format_iso8601(user.created_ms.div_euclid(1000)));
    super::wire::boundary_xml(xml, user.permissions_boundary.as_deref());
    tags_xml(xml, &user.tags);
}

/// AccessKeyMetadata (the secret only where CreateAccessKey answers it).
pub fn access_key_xml(xml: &mut Xml, key: &AccessKey, secret: Option<&str>) {
    xml.text("UserName", &key.user_name).text("AccessKeyId", &key.access_key_id).text("Status", &key.status);
    if let Some(secret) = secret {
        xml.text("SecretAccessKey", secret);
    }
    xml.text("CreateDate", &format_iso8601(key.created_ms.div_euclid(1000)));
}

//! IAM (query protocol, 2010-05-08): roles, IAM users with access keys, groups, inline policies,
//! customer managed policies attached to roles, users and groups, OpenID Connect providers and
//! SimulatePrincipalPolicy. Signed; callers other than the root credentials are authorised by
//! the policy engine (`iam:<Action>` on the role, user, group, policy or provider ARN).

pub mod error;
pub mod managed_wire;
pub mod users_wire;
pub mod operations;
pub mod ops;
pub mod saml_wire;
pub mod wire;

use async_trait::async_trait;
use axum::http::StatusCode;

use crate::auth::Principal;
use crate::dispatch::{Answer, AwsApi, AwsRequest, OperationRef, Protocol, Refusal};
use crate::state::AppState;
pub use error::error_from_domain;
use operations::Operation;
use ops::tags::TagTarget;
use crate::aws::query::{QueryError, QueryInput};
use managed_wire::*;
use saml_wire::*;
use users_wire::*;
use wire::*;

pub const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub const VERSION: &str = "2010-05-08";

/// IAM as the generic server serves it.
pub struct IamApi;

#[async_trait]
impl AwsApi for IamApi {
    fn service(&self) -> &'static str {
        "iam"
    }

    fn protocol(&self) -> Protocol {
        Protocol::Query { version: VERSION, namespace: NAMESPACE }
    }

    fn operation(&self, name: &str) -> Option<OperationRef> {
        Operation::lookup(name)
    }

    async fn resources(&self, state: &AppState, operation: OperationRef, request: &AwsRequest<'_>) -> Vec<String> {
        let caller = caller_of(request.principal);
        // Built from names with the root path; the stored entity's ARN carries its real path.
        let named = match (Operation::from_name(operation.name), request.query) {
            (Some(Operation::GetAccessKeyLastUsed), Some(input)) => {
                // The key's user, whoever holds it.
                let key = match AccessKeyIdRequest::from_query(input) {
                    Ok(request) => state.iam.get_access_key(&request.access_key_id).await.ok(),
                    Err(_) => None,
                };
                let account = state.config.account_id.as_str();
                vec![key.map(|key| cognate_domain::ids::arn::iam_user(account, "/", &key.user_name)).unwrap_or_else(|| "*".into())]
            }
            (Some(Operation::UpdateUser), Some(input)) => RenameRequest::from_query_for(input, "UserName", "NewUserName")
                .map(|request| request.resources(&state.config.account_id, cognate_domain::ids::arn::iam_user))
                .unwrap_or_else(|_| vec!["*".into()]),
            (Some(Operation::UpdateGroup), Some(input)) => RenameRequest::from_query_for(input, "GroupName", "NewGroupName")
                .map(|request| request.resources(&state.config.account_id, cognate_domain::ids::arn::iam_group))
                .unwrap_or_else(|_| vec!["*".into()]),
            (Some(operation), Some(input)) => vec![resource_of(state, operation, input, caller)],
            _ => vec!["*".into()],
        };
        let mut resources = Vec::with_capacity(named.len());
        for arn in named {
            resources.push(state.iam.stored_arn(arn).await);
        }
        resources
    }

    async fn handle(&self, state: &AppState, operation: OperationRef, request: AwsRequest<'_>) -> Result<Answer, Refusal> {
        let (Some(operation), Some(input)) = (Operation::from_name(operation.name), request.query) else {
            return Err(Refusal::Query(QueryError::internal()));
        };
        run(state, operation, input, caller_of(request.principal)).await.map(Answer::Xml).map_err(Refusal::Query)
    }
}

/// The role, user, policy or SAML provider a tag request names.
fn tag_resource(input: &QueryInput, target: TagTarget, account: &str) -> String {
    let Ok(request) = TagsRequest::from_query_for(input, target.member()) else {
        return "*".into();
    };
    match target {
        TagTarget::Role => cognate_domain::ids::arn::iam_role(account, "/", &request.name),
        TagTarget::User => cognate_domain::ids::arn::iam_user(account, "/", &request.name),
        TagTarget::Policy | TagTarget::SamlProvider => request.name,
    }
}

/// The name of the IAM user who signed, if one did.
fn caller_of<'a>(principal: Option<&'a Principal>) -> Option<&'a str> {
    match principal {
        Some(Principal::User(signer)) => Some(signer.user.name.as_str()),
        _ => None,
    }
}

/// The resource an action acts on, for the policy engine: named by its typed request.
fn resource_of(state: &AppState, operation: Operation, input: &QueryInput, caller: Option<&str>) -> String {
    use Operation::*;
    let account = state.config.account_id.as_str();
    match operation {
        CreateRole => wire::resource_of::<CreateRoleRequest>(input, account),
        GetRole | DeleteRole => wire::resource_of::<RoleNameRequest>(input, account),
        UpdateAssumeRolePolicy => wire::resource_of::<UpdateAssumeRolePolicyRequest>(input, account),
        UpdateRole | UpdateRoleDescription => wire::resource_of::<UpdateRoleRequest>(input, account),
        PutRolePermissionsBoundary | DeleteRolePermissionsBoundary => wire::resource_of::<RoleBoundaryRequest>(input, account),
        PutUserPermissionsBoundary | DeleteUserPermissionsBoundary => wire::resource_of::<UserBoundaryRequest>(input, account),
        TagRole | UntagRole | ListRoleTags => tag_resource(input, TagTarget::Role, account),
        TagUser | UntagUser | ListUserTags => tag_resource(input, TagTarget::User, account),
        TagPolicy | UntagPolicy | ListPolicyTags => tag_resource(input, TagTarget::Policy, account),
        TagSAMLProvider | UntagSAMLProvider | ListSAMLProviderTags => tag_resource(input, TagTarget::SamlProvider, account),
        PutRolePolicy => wire::resource_of::<PutRolePolicyRequest>(input, account),
        GetRolePolicy | DeleteRolePolicy => wire::resource_of::<RolePolicyNameRequest>(input, account),
        ListRolePolicies => wire::resource_of::<ListRolePoliciesRequest>(input, account),
        GetOpenIDConnectProvider | DeleteOpenIDConnectProvider => wire::resource_of::<OidcProviderArnRequest>(input, account),
        AddClientIDToOpenIDConnectProvider | RemoveClientIDFromOpenIDConnectProvider => {
            wire::resource_of::<OidcClientIdRequest>(input, account)
        }
        CreateOpenIDConnectProvider => wire::resource_of::<CreateOidcProviderRequest>(input, account),
        CreateSAMLProvider => wire::resource_of::<CreateSamlProviderRequest>(input, account),
        GetSAMLProvider | DeleteSAMLProvider => wire::resource_of::<SamlProviderArnRequest>(input, account),
        UpdateSAMLProvider => wire::resource_of::<UpdateSamlProviderRequest>(input, account),
        SimulatePrincipalPolicy => wire::resource_of::<SimulatePrincipalPolicyRequest>(input, account),
        CreatePolicy => wire::resource_of::<CreatePolicyRequest>(input, account),
        GetPolicy | DeletePolicy | ListPolicyVersions | ListEntitiesForPolicy => wire::resource_of::<PolicyArnRequest>(input, account),
        CreatePolicyVersion => wire::resource_of::<CreatePolicyVersionRequest>(input, account),
        GetPolicyVersion | DeletePolicyVersion | SetDefaultPolicyVersion => wire::resource_of::<PolicyVersionRequest>(input, account),
        AttachRolePolicy | DetachRolePolicy => wire::resource_of::<RolePolicyArnRequest>(input, account),
        ListAttachedRolePolicies => wire::resource_of::<ListAttachedRolePoliciesRequest>(input, account),
        CreateUser => wire::resource_of::<CreateUserRequest>(input, account),
        GetUser | DeleteUser | CreateAccessKey | ListAccessKeys | ListUserPolicies | ListAttachedUserPolicies | ListGroupsForUser => {
            UserNameRequest::from_query(input).map(|request| request.user_resource(account, caller)).unwrap_or_else(|_| "*".into())
        }
        EnableMFADevice | DeactivateMFADevice => {
            MfaDeviceRequest::from_query(input).map(|request| request.user_resource(account, caller)).unwrap_or_else(|_| "*".into())
        }
        ListMFADevices => UserNameRequest::from_query(input).map(|request| request.user_resource(account, caller)).unwrap_or_else(|_| "*".into()),
        DeleteVirtualMFADevice => MfaDeviceRequest::from_query(input).map(|request| request.serial_number).unwrap_or_else(|_| "*".into()),
        CreateVirtualMFADevice => CreateVirtualMfaDeviceRequest::from_query(input)
            .map(|request| cognate_domain::ids::arn::iam_mfa(account, request.path.as_deref().unwrap_or("/"), &request.name))
            .unwrap_or_else(|_| "*".into()),
        CreateLoginProfile | GetLoginProfile | UpdateLoginProfile | DeleteLoginProfile => {
            LoginProfileRequest::from_query(input).map(|request| request.user_resource(account, caller)).unwrap_or_else(|_| "*".into())
        }
        UpdateAccessKey | DeleteAccessKey => {
            AccessKeyRequest::from_query(input).map(|request| request.user_resource(account, caller)).unwrap_or_else(|_| "*".into())
        }
        PutUserPolicy | GetUserPolicy | DeleteUserPolicy => wire::resource_of::<UserPolicyRequest>(input, account),
        AttachUserPolicy | DetachUserPolicy => wire::resource_of::<UserPolicyArnRequest>(input, account),
        CreateGroup => wire::resource_of::<CreateGroupRequest>(input, account),
        GetGroup | DeleteGroup | ListGroupPolicies | ListAttachedGroupPolicies => wire::resource_of::<GroupNameRequest>(input, account),
        AddUserToGroup | RemoveUserFromGroup => wire::resource_of::<GroupUserRequest>(input, account),
        PutGroupPolicy | GetGroupPolicy | DeleteGroupPolicy => wire::resource_of::<GroupPolicyRequest>(input, account),
        AttachGroupPolicy | DetachGroupPolicy => wire::resource_of::<GroupPolicyArnRequest>(input, account),
        // ListRoles, ListOpenIDConnectProviders and the actions not implemented act on the account.
        _ => "*".into(),
    }
}

/// Runs one action; returns the XML of its result members.
async fn run(state: &AppState, operation: Operation, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    use Operation::*;
    match operation {
        CreateRole => ops::roles::create_role(state, input).await,
        PutRolePermissionsBoundary => ops::roles::change_boundary(state, input, true).await,
        DeleteRolePermissionsBoundary => ops::roles::change_boundary(state, input, false).await,
        PutUserPermissionsBoundary => ops::users::change_boundary(state, input, true).await,
        DeleteUserPermissionsBoundary => ops::users::change_boundary(state, input, false).await,
        GetRole => ops::roles::get_role(state, input).await,
        ListRoles => ops::roles::list_roles(state, input).await,
        DeleteRole => ops::roles::delete_role(state, input).await,
        UpdateAssumeRolePolicy => ops::roles::update_assume_role_policy(state, input).await,
        UpdateRole => ops::roles::update_role(state, input, false).await,
        UpdateRoleDescription => ops::roles::update_role(state, input, true).await,
        TagRole => ops::tags::change_tags(state, input, TagTarget::Role, true).await,
        UntagRole => ops::tags::change_tags(state, input, TagTarget::Role, false).await,
        ListRoleTags => ops::tags::list_tags(state, input, TagTarget::Role).await,
        TagUser => ops::tags::change_tags(state, input, TagTarget::User, true).await,
        UntagUser => ops::tags::change_tags(state, input, TagTarget::User, false).await,
        ListUserTags => ops::tags::list_tags(state, input, TagTarget::User).await,
        TagPolicy => ops::tags::change_tags(state, input, TagTarget::Policy, true).await,
        UntagPolicy => ops::tags::change_tags(state, input, TagTarget::Policy, false).await,
        ListPolicyTags => ops::tags::list_tags(state, input, TagTarget::Policy).await,
        TagSAMLProvider => ops::tags::change_tags(state, input, TagTarget::SamlProvider, true).await,
        UntagSAMLProvider => ops::tags::change_tags(state, input, TagTarget::SamlProvider, false).await,
        ListSAMLProviderTags => ops::tags::list_tags(state, input, TagTarget::SamlProvider).await,
        PutRolePolicy => ops::policies::put_role_policy(state, input).await,
        GetRolePolicy => ops::policies::get_role_policy(state, input).await,
        DeleteRolePolicy => ops::policies::delete_role_policy(state, input).await,
        ListRolePolicies => ops::policies::list_role_policies(state, input).await,
        CreateOpenIDConnectProvider => ops::oidc::create_oidc_provider(state, input).await,
        GetOpenIDConnectProvider => ops::oidc::get_oidc_provider(state, input).await,
        ListOpenIDConnectProviders => ops::oidc::list_oidc_providers(state).await,
        DeleteOpenIDConnectProvider => ops::oidc::delete_oidc_provider(state, input).await,
        AddClientIDToOpenIDConnectProvider => ops::oidc::change_client_id(state, input, true).await,
        RemoveClientIDFromOpenIDConnectProvider => ops::oidc::change_client_id(state, input, false).await,
        CreateSAMLProvider => ops::saml::create_saml_provider(state, input).await,
        GetSAMLProvider => ops::saml::get_saml_provider(state, input).await,
        ListSAMLProviders => ops::saml::list_saml_providers(state).await,
        UpdateSAMLProvider => ops::saml::update_saml_provider(state, input).await,
        DeleteSAMLProvider => ops::saml::delete_saml_provider(state, input).await,
        SimulatePrincipalPolicy => ops::simulate::simulate_principal_policy(state, input).await,
        SimulateCustomPolicy => ops::simulate::simulate_custom_policy(state, input),
        CreatePolicy => ops::managed::create_policy(state, input).await,
        GetPolicy => ops::managed::get_policy(state, input).await,
        ListPolicies => ops::managed::list_policies(state, input).await,
        DeletePolicy => ops::managed::delete_policy(state, input).await,
        CreatePolicyVersion => ops::managed::create_policy_version(state, input).await,
        GetPolicyVersion => ops::managed::get_policy_version(state, input).await,
        ListPolicyVersions => ops::managed::list_policy_versions(state, input).await,
        DeletePolicyVersion => ops::managed::delete_policy_version(state, input).await,
        SetDefaultPolicyVersion => ops::managed::set_default_policy_version(state, input).await,
        ListEntitiesForPolicy => ops::managed::list_entities_for_policy(state, input).await,
        AttachRolePolicy => ops::managed::attach_role_policy(state, input).await,
        DetachRolePolicy => ops::managed::detach_role_policy(state, input).await,
        ListAttachedRolePolicies => ops::managed::list_attached_role_policies(state, input).await,
        AttachUserPolicy => ops::managed::attach_user_policy(state, input).await,
        DetachUserPolicy => ops::managed::detach_user_policy(state, input).await,
        ListAttachedUserPolicies => ops::managed::list_attached_user_policies(state, input).await,
        CreateUser => ops::users::create_user(state, input).await,
        GetUser => ops::users::get_user(state, input, caller).await,
        ListUsers => ops::users::list_users(state, input).await,
        DeleteUser => ops::users::delete_user(state, input).await,
        UpdateUser => ops::users::update_user(state, input).await,
        UpdateGroup => ops::groups::update_group(state, input).await,
        CreateAccessKey => ops::users::create_access_key(state, input, caller).await,
        CreateLoginProfile => ops::users::create_login_profile(state, input, caller).await,
        CreateVirtualMFADevice => ops::users::create_virtual_mfa_device(state, input).await,
        EnableMFADevice => ops::users::enable_mfa_device(state, input, caller).await,
        DeactivateMFADevice => ops::users::deactivate_mfa_device(state, input, caller).await,
        DeleteVirtualMFADevice => ops::users::delete_virtual_mfa_device(state, input).await,
        ListMFADevices => ops::users::list_mfa_devices(state, input, caller).await,
        ListVirtualMFADevices => ops::users::list_virtual_mfa_devices(state, input).await,
        GetLoginProfile => ops::users::get_login_profile(state, input, caller).await,
        UpdateLoginProfile => ops::users::update_login_profile(state, input, caller).await,
        DeleteLoginProfile => ops::users::delete_login_profile(state, input, caller).await,
        ListAccessKeys => ops::users::list_access_keys(state, input, caller).await,
        UpdateAccessKey => ops::users::update_access_key(state, input, caller).await,
        DeleteAccessKey => ops::users::delete_access_key(state, input, caller).await,
        GetAccessKeyLastUsed => ops::users::get_access_key_last_used(state, input).await,
        PutUserPolicy => ops::policies::put_user_policy(state, input).await,
        GetUserPolicy => ops::policies::get_user_policy(state, input).await,
        DeleteUserPolicy => ops::policies::delete_user_policy(state, input).await,
        ListUserPolicies => ops::policies::list_user_policies(state, input).await,
        CreateGroup => ops::groups::create_group(state, input).await,
        GetGroup => ops::groups::get_group(state, input).await,
        ListGroups => ops::groups::list_groups(state, input).await,
        DeleteGroup => ops::groups::delete_group(state, input).await,
        AddUserToGroup => ops::groups::change_membership(state, input, true).await,
        RemoveUserFromGroup => ops::groups::change_membership(state, input, false).await,
        ListGroupsForUser => ops::groups::list_groups_for_user(state, input).await,
        PutGroupPolicy => ops::policies::put_group_policy(state, input).await,
        GetGroupPolicy => ops::policies::get_group_policy(state, input).await,
        DeleteGroupPolicy => ops::policies::delete_group_policy(state, input).await,
        ListGroupPolicies => ops::policies::list_group_policies(state, input).await,
        AttachGroupPolicy => ops::managed::attach_group_policy(state, input).await,
        DetachGroupPolicy => ops::managed::detach_group_policy(state, input).await,
        ListAttachedGroupPolicies => ops::managed::list_attached_group_policies(state, input).await,
        other => Err(QueryError::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", format!("cognate does not implement IAM {} yet.", other.name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::operations::{Operation, IMPLEMENTED};

    /// docs/compat/sts-iam.md: the implemented IAM actions, and only those, are marked so.
    #[test]
    fn compat_table_matches_the_router() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/sts-iam.md")).unwrap();
        for operation in Operation::ALL {
            let status = crate::api::compat_status(&table, operation.name());
            assert_eq!(status != "not yet", IMPLEMENTED.contains(operation), "{operation:?}");
        }
        assert_eq!(Operation::ALL.len(), 176);
    }
}

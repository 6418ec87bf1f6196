//! Customer managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, their
//! versions, ListEntitiesForPolicy, and their attachment to roles, users and groups (Attach…Policy,
//! Detach…Policy, ListAttached…Policies).

use crate::api::iam::error::error_from_domain;
use crate::api::iam::managed_wire::*;
use crate::api::iam::users_wire::{GroupNameRequest, GroupPolicyArnRequest, OfUser, UserNameRequest, UserPolicyArnRequest};
use crate::api::iam::wire::{page_xml, FromQuery};
use cognate_domain::iam::{page_of, Holder};
use crate::aws::query::{QueryError, QueryInput, Xml};
use crate::state::AppState;

pub async fn create_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = CreatePolicyRequest::from_query(input)?;
    let policy = state
        .iam
        .create_policy(&request.policy_name, request.path.as_deref(), &request.policy_document, request.description.as_deref(), request.tags)
        .await
        .map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("Policy");
    policy_xml(&mut xml, &policy);
    xml.close("Policy");
    Ok(xml.finish())
}

pub async fn get_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = PolicyArnRequest::from_query(input)?;
    let policy = state.iam.get_policy(&request.policy_arn).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("Policy");
    policy_xml(&mut xml, &policy);
    xml.close("Policy");
    Ok(xml.finish())
}

pub async fn list_policies(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = ListPoliciesRequest::from_query(input)?;
    let page = state
        .iam
        .list_policies(request.scope.as_deref(), request.only_attached, request.path_prefix.as_deref(), request.marker.as_deref(), request.max_items)
        .await
        .map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("Policies");
    for policy in &page.items {
        xml.open("member");
        policy_xml(&mut xml, policy);
        xml.close("member");
    }
    xml.close("Policies");
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}

pub async fn delete_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = PolicyArnRequest::from_query(input)?;
    state.iam.delete_policy(&request.policy_arn).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn create_policy_version(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = CreatePolicyVersionRequest::from_query(input)?;
    let version = state
        .iam
        .create_policy_version(&request.policy_arn, &request.policy_document, request.set_as_default)
        .await
        .map_err(error_from_domain)?;
    let (policy, _) = state.iam.get_policy_version(&request.policy_arn, &version.version_id).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("PolicyVersion");
    version_xml(&mut xml, &policy, &version, false);
    xml.close("PolicyVersion");
    Ok(xml.finish())
}

pub async fn get_policy_version(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = PolicyVersionRequest::from_query(input)?;
    let (policy, version) = state.iam.get_policy_version(&request.policy_arn, &request.version_id).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("PolicyVersion");
    version_xml(&mut xml, &policy, &version, true);
    xml.close("PolicyVersion");
    Ok(xml.finish())
}

pub async fn list_policy_versions(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = PolicyArnRequest::from_query(input)?;
    let policy = state.iam.get_policy(&request.policy_arn).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("Versions");
    // Newest first, as IAM lists them.
    let newest_first = policy.versions.iter().rev().collect();
    let page = page_of(newest_first, |version| version.version_id.clone(), request.marker.as_deref(), request.max_items).map_err(error_from_domain)?;
    for version in page.items {
        xml.open("member");
        version_xml(&mut xml, &policy, version, false);
        xml.close("member");
    }
    xml.close("Versions");
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}

pub async fn delete_policy_version(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = PolicyVersionRequest::from_query(input)?;
    state.iam.delete_policy_version(&request.policy_arn, &request.version_id).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn set_default_policy_version(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = PolicyVersionRequest::from_query(input)?;
    state.iam.set_default_policy_version(&request.policy_arn, &request.version_id).await.map_err(error_from_domain)?;
    Ok(String::new())
}

/// One entity ListEntitiesForPolicy names: its kind (`Group`, `Role` or `User`, the order of
/// the answer), name, id and path.
struct PolicyEntity {
    kind: &'static str,
    name: String,
    id: String,
    path: String,
}

/// ListEntitiesForPolicy: the groups, roles and users the policy is attached to and, unless
/// PolicyUsageFilter is PermissionsPolicy, the roles and users it bounds; filtered by
/// EntityFilter and PathPrefix, in pages.
pub async fn list_entities_for_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = PolicyArnRequest::from_query(input)?;
    let policy = state.iam.get_policy(&request.policy_arn).await.map_err(error_from_domain)?;
    let kinds: Vec<&str> = match input.get("EntityFilter") {
        None => vec!["Group", "Role", "User"],
        Some(kind @ ("User" | "Role" | "Group")) => vec![kind],
        Some("LocalManagedPolicy" | "AWSManagedPolicy") => Vec::new(),
        Some(other) => return Err(QueryError::validation(format!("EntityFilter must be User, Role, Group, LocalManagedPolicy or AWSManagedPolicy, not {other}"))),
    };
    let (attached, bounding) = match input.get("PolicyUsageFilter") {
        None => (true, true),
        Some("PermissionsPolicy") => (true, false),
        Some("PermissionsBoundary") => (false, true),
        Some(other) => return Err(QueryError::validation(format!("PolicyUsageFilter must be PermissionsPolicy or PermissionsBoundary, not {other}"))),
    };
    let mut entities = Vec::new();
    if attached {
        for name in &policy.groups {
            if let Ok(group) = state.iam.get_group(name).await {
                entities.push(PolicyEntity { kind: "Group", name: group.name, id: group.group_id, path: group.path });
            }
        }
        for name in &policy.roles {
            if let Ok(role) = state.iam.get_role(name).await {
                entities.push(PolicyEntity { kind: "Role", name: role.name, id: role.role_id, path: role.path });
            }
        }
        for name in &policy.users {
            if let Ok(user) = state.iam.get_user(name).await {
                entities.push(PolicyEntity { kind: "User", name: user.name, id: user.user_id, path: user.path });
            }
        }
    }
    if bounding {
        let (roles, users) = state.iam.bounded_by(&policy.arn).await.map_err(error_from_domain)?;
        entities.extend(roles.into_iter().map(|role| PolicyEntity { kind: "Role", name: role.name, id: role.role_id, path: role.path }));
        entities.extend(users.into_iter().map(|user| PolicyEntity { kind: "User", name: user.name, id: user.user_id, path: user.path }));
    }
    let prefix = input.get("PathPrefix").unwrap_or("/");
    entities.retain(|entity| kinds.contains(&entity.kind) && entity.path.starts_with(prefix));
    let rank = |kind: &str| ["Group", "Role", "User"].iter().position(|k| *k == kind);
    entities.sort_by(|a, b| (rank(a.kind), a.name.to_ascii_lowercase()).cmp(&(rank(b.kind), b.name.to_ascii_lowercase())));
    entities.dedup_by(|a, b| a.kind == b.kind && a.name == b.name);
    let key = |entity: &PolicyEntity| format!("{}/{}", entity.kind, entity.name);
    let page = page_of(entities, key, request.marker.as_deref(), request.max_items).map_err(error_from_domain)?;
    let mut xml = Xml::new();
    for (list, kind) in [("PolicyGroups", "Group"), ("PolicyRoles", "Role"), ("PolicyUsers", "User")] {
        xml.open(list);
        for entity in page.items.iter().filter(|entity| entity.kind == kind) {
            xml.open("member").text(&format!("{kind}Name"), &entity.name).text(&format!("{kind}Id"), &entity.id).close("member");
        }
        xml.close(list);
    }
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}

pub async fn attach_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RolePolicyArnRequest::from_query(input)?;
    change_attachment(state, Holder::Role(&request.role_name), &request.policy_arn, true).await
}

pub async fn detach_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RolePolicyArnRequest::from_query(input)?;
    change_attachment(state, Holder::Role(&request.role_name), &request.policy_arn, false).await
}

pub async fn attach_user_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = UserPolicyArnRequest::from_query(input)?;
    change_attachment(state, Holder::User(&request.user_name), &request.policy_arn, true).await
}

pub async fn detach_user_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = UserPolicyArnRequest::from_query(input)?;
    change_attachment(state, Holder::User(&request.user_name), &request.policy_arn, false).await
}

pub async fn attach_group_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = GroupPolicyArnRequest::from_query(input)?;
    change_attachment(state, Holder::Group(&request.group_name), &request.policy_arn, true).await
}

pub async fn detach_group_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = GroupPolicyArnRequest::from_query(input)?;
    change_attachment(state, Holder::Group(&request.group_name), &request.policy_arn, false).await
}

async fn change_attachment(state: &AppState, holder: Holder<'_>, policy_arn: &str, attach: bool) -> Result<String, QueryError> {
    state.iam.change_attachment(holder, policy_arn, attach).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn list_attached_role_policies(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = ListAttachedRolePoliciesRequest::from_query(input)?;
    let holder = Holder::Role(&request.role_name);
    list_attached(state, holder, request.path_prefix.as_deref(), request.marker.as_deref(), request.max_items).await
}

pub async fn list_attached_user_policies(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = UserNameRequest::from_query(input)?;
    let holder = Holder::User(request.user(None)?);
    list_attached(state, holder, request.path_prefix.as_deref(), request.marker.as_deref(), request.max_items).await
}

pub async fn list_attached_group_policies(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = GroupNameRequest::from_query(input)?;
    let holder = Holder::Group(&request.group_name);
    list_attached(state, holder, request.path_prefix.as_deref(), request.marker.as_deref(), request.max_items).await
}

async fn list_attached(state: &AppState, holder: Holder<'_>, path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i32>) -> Result<String, QueryError> {
    let page = state.iam.list_attached_policies(holder, path_prefix, marker, max_items).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("AttachedPolicies");
    for attached in &page.items {
        xml.open("member").text("PolicyName", &attached.policy_name).text("PolicyArn", &attached.policy_arn).close("member");
    }
    xml.close("AttachedPolicies");
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}

//! CreateRole, GetRole, ListRoles, DeleteRole, UpdateRole, UpdateRoleDescription,
//! UpdateAssumeRolePolicy and the role's permissions boundary (Put/DeleteRolePermissionsBoundary).

use crate::api::iam::error::error_from_domain;
use crate::api::iam::wire::*;
use crate::aws::query::{QueryError, QueryInput, Xml};
use crate::state::AppState;

fn one_role(role: &cognate_domain::iam::Role) -> String {
    let mut xml = Xml::new();
    xml.open("Role");
    role_xml(&mut xml, role);
    xml.close("Role");
    xml.finish()
}

pub async fn create_role(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = CreateRoleRequest::from_query(input)?;
    let role = state
        .iam
        .create_role(
            &request.role_name,
            request.path.as_deref(),
            &request.assume_role_policy_document,
            request.description.as_deref(),
            request.max_session_duration,
            request.tags,
            request.permissions_boundary.as_deref(),
        )
        .await
        .map_err(error_from_domain)?;
    Ok(one_role(&role))
}

pub async fn get_role(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RoleNameRequest::from_query(input)?;
    let role = state.iam.get_role(&request.role_name).await.map_err(error_from_domain)?;
    Ok(one_role(&role))
}

pub async fn list_roles(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = ListRolesRequest::from_query(input)?;
    let page = state
        .iam
        .list_roles(request.path_prefix.as_deref(), request.marker.as_deref(), request.max_items)
        .await
        .map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("Roles");
    for role in &page.items {
        xml.open("member");
        role_xml(&mut xml, role);
        xml.close("member");
    }
    xml.close("Roles");
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}

pub async fn delete_role(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RoleNameRequest::from_query(input)?;
    state.iam.delete_role(&request.role_name).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn update_assume_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = UpdateAssumeRolePolicyRequest::from_query(input)?;
    state.iam.update_assume_role_policy(&request.role_name, &request.policy_document).await.map_err(error_from_domain)?;
    Ok(String::new())
}

/// UpdateRole (an empty answer) and UpdateRoleDescription (`describe`: the description is
/// required, the role is answered).
pub async fn update_role(state: &AppState, input: &QueryInput, describe: bool) -> Result<String, QueryError> {
    let request = UpdateRoleRequest::from_query(input)?;
    if describe {
        required(input, "Description")?;
    }
    let max_session_duration = if describe { None } else { request.max_session_duration };
    let role = state.iam.update_role(&request.role_name, request.description.as_deref(), max_session_duration).await.map_err(error_from_domain)?;
    Ok(if describe { one_role(&role) } else { String::new() })
}

/// PutRolePermissionsBoundary (`put`) and DeleteRolePermissionsBoundary.
pub async fn change_boundary(state: &AppState, input: &QueryInput, put: bool) -> Result<String, QueryError> {
    let request = RoleBoundaryRequest::from_query(input)?;
    if put {
        required(input, "PermissionsBoundary")?;
    }
    let boundary = if put { request.permissions_boundary } else { None };
    state.iam.set_permissions_boundary(cognate_domain::iam::Bounded::Role(&request.role_name), boundary.as_deref()).await.map_err(error_from_domain)?;
    Ok(String::new())
}

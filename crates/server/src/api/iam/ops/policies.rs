//! The inline policies of a role: PutRolePolicy, GetRolePolicy, DeleteRolePolicy and
//! ListRolePolicies.

use crate::api::iam::error::error_from_domain;
use crate::api::iam::wire::*;
use crate::aws::query::{url_encode, QueryError, QueryInput, Xml};
use crate::state::AppState;

pub async fn put_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = PutRolePolicyRequest::from_query(input)?;
    state
        .iam
        .put_role_policy(&request.role_name, &request.policy_name, &request.policy_document)
        .await
        .map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn get_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RolePolicyNameRequest::from_query(input)?;
    let (role, document) = state.iam.get_role_policy(&request.role_name, &request.policy_name).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.text("RoleName", &role.name).text("PolicyName", &request.policy_name).text("PolicyDocument", &url_encode(&document));
    Ok(xml.finish())
}

pub async fn delete_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RolePolicyNameRequest::from_query(input)?;
    state.iam.delete_role_policy(&request.role_name, &request.policy_name).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn list_role_policies(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = ListRolePoliciesRequest::from_query(input)?;
    let page = state
        .iam
        .list_role_policies(&request.role_name, request.marker.as_deref(), request.max_items)
        .await
        .map_err(error_from_domain)?;
    Ok(policy_names_xml(&page.items, page.marker.as_deref()))
}

//! The inline policies of roles, users and groups: Put…Policy, Get…Policy, Delete…Policy and
//! List…Policies, each the same for the three holders.

use cognate_domain::iam::Holder;

use crate::api::iam::error::error_from_domain;
use crate::api::iam::users_wire::{GroupNameRequest, GroupPolicyRequest, OfUser, UserNameRequest, UserPolicyRequest};
use crate::api::iam::wire::*;
use crate::aws::query::{url_encode, QueryError, QueryInput, Xml};
use crate::state::AppState;

/// A Put/Get/Delete…Policy request, whoever holds the policy.
struct Named<'a> {
    holder: Holder<'a>,
    policy_name: &'a str,
    document: Option<&'a str>,
}

async fn put(state: &AppState, named: Named<'_>) -> Result<String, QueryError> {
    let document = named.document.ok_or_else(|| QueryError::validation("PolicyDocument is required."))?;
    state.iam.put_inline_policy(named.holder, named.policy_name, document).await.map_err(error_from_domain)?;
    Ok(String::new())
}

/// `<RoleName|UserName|GroupName>`, PolicyName and the URL-encoded document.
async fn get(state: &AppState, named: Named<'_>) -> Result<String, QueryError> {
    let (name, document) = state.iam.get_inline_policy(named.holder, named.policy_name).await.map_err(error_from_domain)?;
    let element = match named.holder {
        Holder::Role(_) => "RoleName",
        Holder::User(_) => "UserName",
        Holder::Group(_) => "GroupName",
    };
    let mut xml = Xml::new();
    xml.text(element, &name).text("PolicyName", named.policy_name).text("PolicyDocument", &url_encode(&document));
    Ok(xml.finish())
}

async fn delete(state: &AppState, named: Named<'_>) -> Result<String, QueryError> {
    state.iam.delete_inline_policy(named.holder, named.policy_name).await.map_err(error_from_domain)?;
    Ok(String::new())
}

async fn list(state: &AppState, holder: Holder<'_>, marker: Option<&str>, max_items: Option<i32>) -> Result<String, QueryError> {
    let page = state.iam.list_inline_policies(holder, marker, max_items).await.map_err(error_from_domain)?;
    Ok(policy_names_xml(&page.items, page.marker.as_deref()))
}

fn of_role(request: &PutRolePolicyRequest) -> Named<'_> {
    Named { holder: Holder::Role(&request.role_name), policy_name: &request.policy_name, document: Some(&request.policy_document) }
}

fn of_user(request: &UserPolicyRequest) -> Named<'_> {
    Named { holder: Holder::User(&request.user_name), policy_name: &request.policy_name, document: request.policy_document.as_deref() }
}

fn of_group(request: &GroupPolicyRequest) -> Named<'_> {
    Named { holder: Holder::Group(&request.group_name), policy_name: &request.policy_name, document: request.policy_document.as_deref() }
}

pub async fn put_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    put(state, of_role(&PutRolePolicyRequest::from_query(input)?)).await
}

pub async fn get_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RolePolicyNameRequest::from_query(input)?;
    get(state, Named { holder: Holder::Role(&request.role_name), policy_name: &request.policy_name, document: None }).await
}

pub async fn delete_role_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RolePolicyNameRequest::from_query(input)?;
    delete(state, Named { holder: Holder::Role(&request.role_name), policy_name: &request.policy_name, document: None }).await
}

pub async fn list_role_policies(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = ListRolePoliciesRequest::from_query(input)?;
    list(state, Holder::Role(&request.role_name), request.marker.as_deref(), request.max_items).await
}

pub async fn put_user_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    put(state, of_user(&UserPolicyRequest::from_query(input)?)).await
}

pub async fn get_user_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    get(state, of_user(&UserPolicyRequest::from_query(input)?)).await
}

pub async fn delete_user_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    delete(state, of_user(&UserPolicyRequest::from_query(input)?)).await
}

pub async fn list_user_policies(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = UserNameRequest::from_query(input)?;
    list(state, Holder::User(request.user(None)?), request.marker.as_deref(), request.max_items).await
}

pub async fn put_group_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    put(state, of_group(&GroupPolicyRequest::from_query(input)?)).await
}

pub async fn get_group_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    get(state, of_group(&GroupPolicyRequest::from_query(input)?)).await
}

pub async fn delete_group_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    delete(state, of_group(&GroupPolicyRequest::from_query(input)?)).await
}

pub async fn list_group_policies(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = GroupNameRequest::from_query(input)?;
    list(state, Holder::Group(&request.group_name), request.marker.as_deref(), request.max_items).await
}

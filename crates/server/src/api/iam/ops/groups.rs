//! IAM groups: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AddUserToGroup,
//! RemoveUserFromGroup and ListGroupsForUser (their policies: `policies` and `managed`).

use cognate_domain::iam::{page_of, IamGroup};

use crate::api::iam::error::error_from_domain;
use crate::api::iam::users_wire::*;
use crate::api::iam::wire::{page_xml, FromQuery};
use crate::aws::query::{QueryError, QueryInput, Xml};
use crate::state::AppState;

pub async fn create_group(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = CreateGroupRequest::from_query(input)?;
    let group = state.iam.create_group(&request.group_name, request.path.as_deref()).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("Group");
    group_xml(&mut xml, &group);
    xml.close("Group");
    Ok(xml.finish())
}

/// GetGroup: the group and its members (one page).
pub async fn get_group(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = GroupNameRequest::from_query(input)?;
    let group = state.iam.get_group(&request.group_name).await.map_err(error_from_domain)?;
    let names = group.members.iter().cloned().collect();
    let page = page_of(names, String::clone, request.marker.as_deref(), request.max_items).map_err(error_from_domain)?;
    let members = state.iam.group_members(&page.items).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("Group");
    group_xml(&mut xml, &group);
    xml.close("Group").open("Users");
    for user in &members {
        xml.open("member");
        user_xml(&mut xml, user);
        xml.close("member");
    }
    xml.close("Users");
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}

fn groups_xml(groups: &[IamGroup], marker: Option<&str>) -> String {
    let mut xml = Xml::new();
    xml.open("Groups");
    for group in groups {
        xml.open("member");
        group_xml(&mut xml, group);
        xml.close("member");
    }
    xml.close("Groups");
    page_xml(&mut xml, marker);
    xml.finish()
}

pub async fn list_groups(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = ListUsersRequest::from_query(input)?;
    let page = state
        .iam
        .list_groups(request.path_prefix.as_deref(), request.marker.as_deref(), request.max_items)
        .await
        .map_err(error_from_domain)?;
    Ok(groups_xml(&page.items, page.marker.as_deref()))
}

pub async fn list_groups_for_user(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = UserNameRequest::from_query(input)?;
    let groups = state.iam.list_groups_for_user(request.user(None)?).await.map_err(error_from_domain)?;
    let page = page_of(groups, |group| group.name.clone(), request.marker.as_deref(), request.max_items).map_err(error_from_domain)?;
    Ok(groups_xml(&page.items, page.marker.as_deref()))
}

/// UpdateGroup: a new name (members, policies and attachments move with it) and/or path.
pub async fn update_group(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RenameRequest::from_query_for(input, "GroupName", "NewGroupName")?;
    state.iam.update_group(&request.name, request.new_name.as_deref(), request.new_path.as_deref()).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn delete_group(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = GroupNameRequest::from_query(input)?;
    state.iam.delete_group(&request.group_name).await.map_err(error_from_domain)?;
    Ok(String::new())
}

/// AddUserToGroup (`add`) and RemoveUserFromGroup.
pub async fn change_membership(state: &AppState, input: &QueryInput, add: bool) -> Result<String, QueryError> {
    let request = GroupUserRequest::from_query(input)?;
    state.iam.change_membership(&request.group_name, &request.user_name, add).await.map_err(error_from_domain)?;
    Ok(String::new())
}

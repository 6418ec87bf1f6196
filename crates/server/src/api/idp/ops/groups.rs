//! CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups, AdminAddUserToGroup,
//! AdminRemoveUserFromGroup, AdminListGroupsForUser and ListUsersInGroup. Authorisation: SigV4
//! with the root credentials.

use serde_json::{json, Value};

use cognate_domain::{Constraint, InvalidMember};
use cognate_domain::user_pool::{Group, GroupChanges};

use super::pool_id;
use super::empty;
use super::users::user_output;
use crate::state::AppState;
use crate::aws::json::{parse_input, timestamp, to_body, ApiError};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;

fn group_output(group: &Group) -> GroupType {
    GroupType {
        group_name: group.name.clone(),
        user_pool_id: group.pool_id.clone(),
        description: group.description.clone(),
        role_arn: group.role_arn.clone(),
        precedence: group.precedence,
        last_modified_date: timestamp(group.modified_ms),
        creation_date: timestamp(group.created_ms),
    }
}

fn changes(input: &GroupRequest) -> Result<GroupChanges, ApiError> {
    let precedence = match input.precedence {
        None => None,
        Some(value) if (0..=i64::from(i32::MAX)).contains(&value) => Some(value as u32),
        Some(value) => {
            return Err(error_from_domain(InvalidMember::error("precedence", value.to_string(), Constraint::AtLeast(0))))
        }
    };
    Ok(GroupChanges { description: input.description.clone(), role_arn: input.role_arn.clone(), precedence })
}

pub async fn create_group(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: GroupRequest = parse_input(raw)?;
    let group = state
        .user_pools
        .create_group(&pool_id(&input.user_pool_id)?, &input.group_name, changes(&input)?)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "Group": group_output(&group) }))
}

pub async fn get_group(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: GroupNameInput = parse_input(raw)?;
    let group = state.user_pools.get_group(&pool_id(&input.user_pool_id)?, &input.group_name).await.map_err(error_from_domain)?;
    to_body(&json!({ "Group": group_output(&group) }))
}

pub async fn update_group(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: GroupRequest = parse_input(raw)?;
    let group = state
        .user_pools
        .update_group(&pool_id(&input.user_pool_id)?, &input.group_name, changes(&input)?)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "Group": group_output(&group) }))
}

pub async fn delete_group(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: GroupNameInput = parse_input(raw)?;
    state.user_pools.delete_group(&pool_id(&input.user_pool_id)?, &input.group_name).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_groups(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: PagedPoolRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .list_groups(&pool_id(&input.user_pool_id)?, input.limit, input.next_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    let groups: Vec<GroupType> = page.items.iter().map(group_output).collect();
    to_body(&json!({ "Groups": groups, "NextToken": page.next_token }))
}

pub async fn admin_add_user_to_group(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UserGroupRequest = parse_input(raw)?;
    state
        .user_pools
        .admin_add_user_to_group(&pool_id(&input.user_pool_id)?, &input.username, &input.group_name)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn admin_remove_user_from_group(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UserGroupRequest = parse_input(raw)?;
    state
        .user_pools
        .admin_remove_user_from_group(&pool_id(&input.user_pool_id)?, &input.username, &input.group_name)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn admin_list_groups_for_user(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AdminListGroupsForUserRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .admin_list_groups_for_user(&pool_id(&input.user_pool_id)?, &input.username, input.limit, input.next_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    let groups: Vec<GroupType> = page.items.iter().map(group_output).collect();
    to_body(&json!({ "Groups": groups, "NextToken": page.next_token }))
}

pub async fn list_users_in_group(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ListUsersInGroupRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .list_users_in_group(&pool_id(&input.user_pool_id)?, &input.group_name, input.limit, input.next_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    let users: Vec<UserType> = page.items.iter().map(user_output).collect();
    to_body(&json!({ "Users": users, "NextToken": page.next_token }))
}

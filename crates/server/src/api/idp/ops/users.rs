//! AdminCreateUser, AdminGetUser, AdminDeleteUser, AdminUpdateUserAttributes,
//! AdminDeleteUserAttributes, AdminDisableUser, AdminEnableUser, AdminSetUserPassword and
//! ListUsers. Authorisation: SigV4 with the root credentials.

use serde_json::{json, Value};

use cognate_domain::{Constraint, InvalidMember};
use cognate_domain::user_pool::{AdminCreateUserInput, Attribute, MessageAction, User};

use super::pool_id;
use super::empty;
use crate::state::AppState;
use crate::aws::json::{parse_input, timestamp, to_body, ApiError};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;

fn attributes_input(attributes: Vec<AttributeType>) -> Vec<Attribute> {
    attributes
        .into_iter()
        .map(|attribute| Attribute { name: attribute.name, value: attribute.value.unwrap_or_default() })
        .collect()
}

fn attributes_output(user: &User) -> Vec<AttributeType> {
    user.attributes
        .iter()
        .map(|attribute| AttributeType { name: attribute.name.clone(), value: Some(attribute.value.clone()) })
        .collect()
}

pub fn user_output(user: &User) -> UserType {
    UserType {
        username: user.username.clone(),
        attributes: attributes_output(user),
        user_create_date: timestamp(user.created_ms),
        user_last_modified_date: timestamp(user.modified_ms),
        enabled: user.enabled,
        user_status: user.status.as_str().to_string(),
    }
}

pub async fn admin_create_user(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AdminCreateUserRequest = parse_input(raw)?;
    let message_action = match input.message_action.as_deref() {
        None => MessageAction::Send,
        Some("RESEND") => MessageAction::Resend,
        Some("SUPPRESS") => MessageAction::Suppress,
        Some(other) => {
            return Err(error_from_domain(InvalidMember::error("messageAction", other, Constraint::OneOf(vec!["RESEND", "SUPPRESS"]))))
        }
    };
    let desired_delivery_mediums = input.desired_delivery_mediums.unwrap_or_default();
    for medium in &desired_delivery_mediums {
        if medium != "EMAIL" && medium != "SMS" {
            return Err(error_from_domain(InvalidMember::error("desiredDeliveryMediums", medium, Constraint::OneOf(vec!["SMS", "EMAIL"]))));
        }
    }
    let user = state
        .user_pools
        .admin_create_user(
            &pool_id(&input.user_pool_id)?,
            AdminCreateUserInput {
                username: input.username,
                attributes: attributes_input(input.user_attributes.unwrap_or_default()),
                temporary_password: input.temporary_password,
                message_action,
                force_alias_creation: input.force_alias_creation.unwrap_or(false),
                desired_delivery_mediums,
                trigger_data: super::sign_up::trigger_data(input.validation_data, input.client_metadata),
            },
        )
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "User": user_output(&user) }))
}

pub async fn admin_get_user(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UsernameInput = parse_input(raw)?;
    let user = state.user_pools.admin_get_user(&pool_id(&input.user_pool_id)?, &input.username).await.map_err(error_from_domain)?;
    to_body(&AdminGetUserResponse {
        username: user.username.clone(),
        user_attributes: attributes_output(&user),
        user_create_date: timestamp(user.created_ms),
        user_last_modified_date: timestamp(user.modified_ms),
        enabled: user.enabled,
        user_status: user.status.as_str().to_string(),
        mfa: super::mfa::user_mfa_members(&user.mfa),
    })
}

pub async fn admin_delete_user(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UsernameInput = parse_input(raw)?;
    state.user_pools.admin_delete_user(&pool_id(&input.user_pool_id)?, &input.username).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn admin_update_user_attributes(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AdminUpdateUserAttributesRequest = parse_input(raw)?;
    state
        .user_pools
        .admin_update_user_attributes(&pool_id(&input.user_pool_id)?, &input.username, &attributes_input(input.user_attributes))
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn admin_delete_user_attributes(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AdminDeleteUserAttributesRequest = parse_input(raw)?;
    state
        .user_pools
        .admin_delete_user_attributes(&pool_id(&input.user_pool_id)?, &input.username, &input.user_attribute_names)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn admin_set_enabled(state: &AppState, raw: &[u8], enabled: bool) -> Result<Value, ApiError> {
    let input: UsernameInput = parse_input(raw)?;
    state
        .user_pools
        .admin_set_user_enabled(&pool_id(&input.user_pool_id)?, &input.username, enabled)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn admin_set_user_password(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AdminSetUserPasswordRequest = parse_input(raw)?;
    state
        .user_pools
        .admin_set_user_password(&pool_id(&input.user_pool_id)?, &input.username, &input.password, input.permanent.unwrap_or(false))
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_users(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ListUsersRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .list_users(
            &pool_id(&input.user_pool_id)?,
            input.filter.as_deref(),
            input.limit,
            input.pagination_token.as_deref(),
            input.attributes_to_get.as_deref(),
        )
        .await
        .map_err(error_from_domain)?;
    let users: Vec<UserType> = page.items.iter().map(user_output).collect();
    to_body(&json!({ "Users": users, "PaginationToken": page.next_token }))
}

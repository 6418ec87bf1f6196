//! The group and membership shapes and `GroupType`.


use serde::{Deserialize, Serialize};


#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRequest {
    pub user_pool_id: String,
    pub group_name: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupNameInput {
    pub user_pool_id: String,
    pub group_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PagedPoolRequest {
    pub user_pool_id: String,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserGroupRequest {
    pub user_pool_id: String,
    pub username: String,
    pub group_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminListGroupsForUserRequest {
    pub user_pool_id: String,
    pub username: String,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersInGroupRequest {
    pub user_pool_id: String,
    pub group_name: String,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupType {
    pub group_name: String,
    pub user_pool_id: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<u32>,
    pub last_modified_date: f64,
    pub creation_date: f64,
}

//! The user import shapes: GetCSVHeader, the import jobs and `UserImportJobType`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetCsvHeaderRequest {
    pub user_pool_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserImportJobRequest {
    pub user_pool_id: String,
    pub job_name: String,
    pub cloud_watch_logs_role_arn: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserImportJobRequest {
    pub user_pool_id: String,
    pub job_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserImportJobsRequest {
    pub user_pool_id: String,
    pub max_results: i32,
    pub pagination_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserImportJobType {
    pub job_name: String,
    pub job_id: String,
    pub user_pool_id: String,
    pub pre_signed_url: Option<String>,
    pub creation_date: f64,
    pub start_date: Option<f64>,
    pub completion_date: Option<f64>,
    pub status: String,
    pub cloud_watch_logs_role_arn: String,
    pub imported_users: u64,
    pub skipped_users: u64,
    pub failed_users: u64,
    pub completion_message: Option<String>,
}

//! GetCSVHeader and the user import jobs: CreateUserImportJob, StartUserImportJob,
//! StopUserImportJob, DescribeUserImportJob and ListUserImportJobs. A started job runs in the
//! background on this node. Authorisation: SigV4 with the root credentials.

use serde_json::{json, Value};

use cognate_domain::user_pool::import::UserImportJob;

use super::pool_id;
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;
use crate::aws::json::{parse_input, timestamp, to_body, ApiError};
use crate::state::AppState;

/// A job as the wire gives it; the upload URL while the job still takes its file (good for
/// fifteen minutes from the job's creation).
fn job_output(state: &AppState, job: &UserImportJob) -> UserImportJobType {
    UserImportJobType {
        job_name: job.job_name.clone(),
        job_id: job.job_id.clone(),
        user_pool_id: job.pool_id.clone(),
        pre_signed_url: (job.status == "Created").then(|| state.user_pools.upload_url(job, job.created_ms / 1000)),
        creation_date: timestamp(job.created_ms),
        start_date: job.started_ms.map(timestamp),
        completion_date: job.completed_ms.map(timestamp),
        status: job.status.clone(),
        cloud_watch_logs_role_arn: job.cloud_watch_logs_role_arn.clone(),
        imported_users: job.imported,
        skipped_users: job.skipped,
        failed_users: job.failed,
        completion_message: job.completion_message.clone(),
    }
}

pub async fn get_csv_header(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: GetCsvHeaderRequest = parse_input(raw)?;
    let pool = pool_id(&input.user_pool_id)?;
    let header = state.user_pools.get_csv_header(&pool).await.map_err(error_from_domain)?;
    to_body(&json!({ "UserPoolId": pool.to_string(), "CSVHeader": header }))
}

pub async fn create_user_import_job(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: CreateUserImportJobRequest = parse_input(raw)?;
    let (job, _) = state
        .user_pools
        .create_user_import_job(&pool_id(&input.user_pool_id)?, &input.job_name, &input.cloud_watch_logs_role_arn)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "UserImportJob": job_output(state, &job) }))
}

pub async fn start_user_import_job(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UserImportJobRequest = parse_input(raw)?;
    let job = state.user_pools.start_user_import_job(&pool_id(&input.user_pool_id)?, &input.job_id).await.map_err(error_from_domain)?;
    let running = state.clone();
    let (pool, job_id) = (job.pool_id.clone(), job.job_id.clone());
    tokio::spawn(async move {
        if let Err(error) = running.user_pools.run_user_import_job(&pool, &job_id).await {
            tracing::error!(pool_id = %pool, job_id = %job_id, %error, "an import job did not run");
        }
    });
    to_body(&json!({ "UserImportJob": job_output(state, &job) }))
}

pub async fn stop_user_import_job(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UserImportJobRequest = parse_input(raw)?;
    let job = state.user_pools.stop_user_import_job(&pool_id(&input.user_pool_id)?, &input.job_id).await.map_err(error_from_domain)?;
    to_body(&json!({ "UserImportJob": job_output(state, &job) }))
}

pub async fn describe_user_import_job(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UserImportJobRequest = parse_input(raw)?;
    let job = state.user_pools.describe_user_import_job(&pool_id(&input.user_pool_id)?, &input.job_id).await.map_err(error_from_domain)?;
    to_body(&json!({ "UserImportJob": job_output(state, &job) }))
}

pub async fn list_user_import_jobs(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ListUserImportJobsRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .list_user_import_jobs(&pool_id(&input.user_pool_id)?, input.max_results, input.pagination_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    let jobs: Vec<UserImportJobType> = page.items.iter().map(|job| job_output(state, job)).collect();
    to_body(&json!({ "UserImportJobs": jobs, "PaginationToken": page.next_token }))
}

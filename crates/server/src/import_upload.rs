//! The user import jobs' files. `PUT /_cognate/user-import/{pool}/{job}?X-Amz-Date=…&
//! X-Amz-Expires=900&X-Amz-Signature=…` is the pre-signed URL CreateUserImportJob answers: the
//! CSV is PUT there as to S3 (`curl -T users.csv -H "x-amz-server-side-encryption:aws:kms" URL`,
//! as the AWS documentation shows), read as it arrives and kept in pieces, never whole in
//! memory; errors are S3's XML. `GET /_cognate/user-import/{pool}/{job}/errors` lists the rows a
//! job did not import, for the root credentials as HTTP Basic (Cognito writes them to
//! CloudWatch Logs).

use std::collections::HashMap;
use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use cognate_domain::user_pool::import::{CSV_PIECE_BYTES, MAX_CSV_BYTES};
use cognate_domain::DomainError;

use crate::state::AppState;

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message></Error>",
        message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    );
    (status, [("content-type", "application/xml")], body).into_response()
}

fn from_domain(error: DomainError) -> Response {
    match error {
        DomainError::NotAuthorized(message) => s3_error(StatusCode::FORBIDDEN, "AccessDenied", &message),
        DomainError::NotFound(message) => s3_error(StatusCode::NOT_FOUND, "NoSuchKey", &message),
        DomainError::PreconditionNotMet(message) => s3_error(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", &message),
        other => {
            tracing::error!(error = %other, "storing an import file");
            s3_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "We encountered an internal error. Please try again.")
        }
    }
}

pub async fn upload(
    State(state): State<AppState>,
    Path((pool_id, job_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    mut body: Body,
) -> Response {
    let (Some(date), Some(signature)) = (query.get("X-Amz-Date"), query.get("X-Amz-Signature")) else {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Query-string authentication requires X-Amz-Date and X-Amz-Signature.");
    };
    let upload_id = match state.user_pools.begin_import_upload(&pool_id, &job_id, date, signature).await {
        Ok(upload_id) => upload_id,
        Err(error) => return from_domain(error),
    };
    let mut piece: Vec<u8> = Vec::with_capacity(CSV_PIECE_BYTES);
    let (mut pieces, mut total) = (0u32, 0u64);
    loop {
        let frame = match std::future::poll_fn(|context| Pin::new(&mut body).poll_frame(context)).await {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(error)) => return s3_error(StatusCode::BAD_REQUEST, "IncompleteBody", &format!("The upload was cut short: {error}")),
        };
        let Ok(data) = frame.into_data() else { continue };
        total += data.len() as u64;
        if total > MAX_CSV_BYTES {
            return s3_error(StatusCode::BAD_REQUEST, "EntityTooLarge", "The import file is larger than 100 MB.");
        }
        let mut rest: &[u8] = &data;
        while !rest.is_empty() {
            let take = rest.len().min(CSV_PIECE_BYTES - piece.len());
            piece.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if piece.len() == CSV_PIECE_BYTES {
                if let Err(error) = state.user_pools.store_import_piece(&pool_id, &job_id, &upload_id, pieces, &piece).await {
                    return from_domain(error);
                }
                pieces += 1;
                piece.clear();
            }
        }
    }
    if !piece.is_empty() {
        if let Err(error) = state.user_pools.store_import_piece(&pool_id, &job_id, &upload_id, pieces, &piece).await {
            return from_domain(error);
        }
        pieces += 1;
    }
    match state.user_pools.finish_import_upload(&pool_id, &job_id, &upload_id, pieces, total).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => from_domain(error),
    }
}

pub async fn errors(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((pool_id, job_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !crate::auth::root_basic::authorised(&state, &headers) {
        return crate::auth::root_basic::required();
    }
    let pool = match cognate_domain::ids::UserPoolId::parse(&pool_id) {
        Ok(pool) => pool,
        Err(error) => return (StatusCode::NOT_FOUND, axum::Json(json!({ "message": error.to_string() }))).into_response(),
    };
    let after = query.get("AfterLine").and_then(|line| line.parse().ok());
    match state.user_pools.user_import_errors(&pool, &job_id, after, 1000).await {
        Ok(rows) => {
            let rows: Vec<_> = rows
                .iter()
                .map(|row| json!({ "Line": row.line, "Username": row.username, "Message": row.message, "Skipped": row.skipped }))
                .collect();
            axum::Json(json!({ "Errors": rows })).into_response()
        }
        Err(DomainError::NotFound(message)) => (StatusCode::NOT_FOUND, axum::Json(json!({ "message": message }))).into_response(),
        Err(other) => {
            tracing::error!(error = %other, "reading an import job's errors");
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "message": "Internal server error." }))).into_response()
        }
    }
}

//! An identity of an identity pool in the console (DescribeIdentity: its logins) with its Cognito
//! Sync datasets, and one dataset's records a page at a time. Read-only; authorised as
//! DescribeIdentity on the pool and as Cognito Sync's ListDatasets and ListRecords on the
//! identity's and the dataset's resource.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use cognate_domain::ids::{IdentityId, IdentityPoolId};

use super::frame::{failure, page, path_part, seconds_text, session, sign_in_page, value_html};
use crate::state::AppState;
use crate::web::hosted::render::escape;

fn sync_arn(state: &AppState, pool: &str, identity: &str, dataset: Option<&str>) -> String {
    cognate_domain::ids::arn::sync_resource(cognate_domain::ids::region_of(pool), &state.config.account_id, Some(pool), Some(identity), dataset)
}

fn parsed(pool: &str, identity: &str) -> Result<(IdentityPoolId, IdentityId), Response> {
    match (IdentityPoolId::parse(pool), IdentityId::parse(identity)) {
        (Ok(pool), Ok(identity)) => Ok((pool, identity)),
        (Err(error), _) | (_, Err(error)) => Err(failure(&error.to_string())),
    }
}

pub(super) async fn identity(State(state): State<AppState>, headers: HeaderMap, Path((pool_id, identity_id)): Path<(String, String)>) -> Response {
    let Some(session) = session(&state, &headers).await else { return sign_in_page(StatusCode::OK, None) };
    let pool_arn = cognate_domain::ids::arn::identity_pool(cognate_domain::ids::region_of(&pool_id), &state.config.account_id, &pool_id);
    if let Err(refused) = session.may(&state, "cognito-identity:DescribeIdentity", &pool_arn).await {
        return refused;
    }
    let (pool, identity) = match parsed(&pool_id, &identity_id) {
        Ok(parsed) => parsed,
        Err(failed) => return failed,
    };
    let described = match state.identity_pools.describe_identity(&identity).await {
        Ok(described) if described.pool_id == pool => described,
        Ok(_) => return failure(&format!("Identity {identity_id} is not an identity of {pool_id}.")),
        Err(error) => return failure(&error.to_string()),
    };
    let details = json!({"IdentityId": identity_id, "Logins": described.login_providers(),
        "Created": seconds_text(described.created_ms as f64 / 1000.0), "Last modified": seconds_text(described.modified_ms as f64 / 1000.0)});
    let datasets = match session.may(&state, "cognito-sync:ListDatasets", &sync_arn(&state, &pool_id, &identity_id, None)).await {
        Err(_) => "<h2>Sync datasets</h2><p>Not shown: <code>cognito-sync:ListDatasets</code> is not allowed.</p>".to_string(),
        Ok(()) => match state.sync.list_datasets(&pool, &identity, None, Some(64)).await {
            Ok((datasets, _)) => {
                let rows: String = datasets
                    .iter()
                    .filter(|dataset| dataset.exists)
                    .map(|dataset| {
                        format!(
                            "<tr><td><a href=\"/console/identity-pools/{}/identities/{}/datasets/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            path_part(&pool_id),
                            path_part(&identity_id),
                            path_part(&dataset.name),
                            escape(&dataset.name),
                            dataset.record_count,
                            dataset.storage_bytes,
                            dataset.sync_count,
                            seconds_text(dataset.modified_ms as f64 / 1000.0)
                        )
                    })
                    .collect();
                format!("<h2>Sync datasets</h2><table><tr><th>Dataset</th><th>Records</th><th>Bytes</th><th>Sync count</th><th>Modified</th></tr>{rows}</table>")
            }
            Err(error) => format!("<h2>Sync datasets</h2><p class=error>{}</p>", escape(&error.to_string())),
        },
    };
    let body = format!("<p><a href=\"/console/identity-pools/{}\">Back to the identity pool</a></p>{}{datasets}", path_part(&pool_id), value_html(&details));
    page(StatusCode::OK, &format!("Identity {identity_id}"), &body, Some((&session, &state)), None)
}

pub(super) async fn dataset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((pool_id, identity_id, name)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(session) = session(&state, &headers).await else { return sign_in_page(StatusCode::OK, None) };
    if let Err(refused) = session.may(&state, "cognito-sync:ListRecords", &sync_arn(&state, &pool_id, &identity_id, Some(&name))).await {
        return refused;
    }
    let (pool, identity) = match parsed(&pool_id, &identity_id) {
        Ok(parsed) => parsed,
        Err(failed) => return failed,
    };
    let token = query.get("token").filter(|token| !token.is_empty()).map(String::as_str);
    let listed = match state.sync.list_records(&pool, &identity, &name, None, token, Some(100)).await {
        Ok(listed) => listed,
        Err(error) => return failure(&error.to_string()),
    };
    let rows: String = listed
        .records
        .iter()
        .map(|record| {
            let value = match &record.value {
                Some(value) => escape(value),
                None => "<i>(removed)</i>".to_string(),
            };
            format!(
                "<tr><td>{}</td><td>{value}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&record.key),
                record.sync_count,
                seconds_text(record.modified_ms as f64 / 1000.0),
                escape(&record.modified_by)
            )
        })
        .collect();
    let base = format!("/console/identity-pools/{}/identities/{}", path_part(&pool_id), path_part(&identity_id));
    let next = match &listed.next_token {
        Some(token) => format!("<p><a href=\"{base}/datasets/{}?token={}\">Next page</a></p>", path_part(&name), path_part(token)),
        None => String::new(),
    };
    let body = format!(
        "<p><a href=\"{base}\">Back to the identity</a></p>{}<h2>Records</h2><table><tr><th>Key</th><th>Value</th><th>Sync count</th><th>Modified</th><th>By</th></tr>{rows}</table>{next}",
        value_html(&json!({"Dataset sync count": listed.dataset_sync_count, "Last modified by": listed.last_modified_by, "Merged datasets": listed.merged_dataset_names}))
    );
    page(StatusCode::OK, &format!("Dataset {name}"), &body, Some((&session, &state)), None)
}

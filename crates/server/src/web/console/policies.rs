//! A customer managed policy in the console, found by its ARN: its versions and their
//! documents; a new default version (CreatePolicyVersion, the oldest version that is not the
//! default removed when five are kept, as the console of the real service offers), another
//! version made the default, a version deleted, the policy deleted (its other versions first;
//! refused while it is attached, as DeletePolicy is). Each authorised as its IAM action on the
//! policy's ARN.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::frame::{checked, confirmed, failure, page, path_part, redirect, seconds_text, session, sign_in_page, value_html};
use super::iam::{button, document_area, iam_failure, pretty};
use crate::state::AppState;
use crate::web::hosted::render::escape;

pub(super) async fn create_policy(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let name = form.get("name").unwrap_or("").trim().to_string();
    if let Err(refused) = session.may(&state, "iam:CreatePolicy", &cognate_domain::ids::arn::iam_policy(&state.config.account_id, "/", &name)).await {
        return refused;
    }
    let description = form.get("description").map(str::trim).filter(|text| !text.is_empty());
    match state.iam.create_policy(&name, None, form.get("document").unwrap_or(""), description, Default::default()).await {
        Ok(policy) => redirect(&format!("/console/iam/policies/{}", path_part(&policy.arn)), None),
        Err(error) => iam_failure(error),
    }
}

pub(super) async fn policy(State(state): State<AppState>, headers: HeaderMap, Path(arn): Path<String>) -> Response {
    let Some(session) = session(&state, &headers).await else { return sign_in_page(StatusCode::OK, None) };
    for action in ["iam:GetPolicy", "iam:ListPolicyVersions", "iam:GetPolicyVersion"] {
        if let Err(refused) = session.may(&state, action, &arn).await {
            return refused;
        }
    }
    let policy = match state.iam.get_policy(&arn).await {
        Ok(policy) => policy,
        Err(error) => return iam_failure(error),
    };
    let holders = |kind: &str, names: &std::collections::BTreeSet<String>| names.iter().map(|name| format!("{kind}/{name}")).collect::<Vec<_>>();
    let attached_to = [holders("role", &policy.roles), holders("user", &policy.users), holders("group", &policy.groups)].concat();
    let details = json!({"Arn": policy.arn, "Path": policy.path, "Description": policy.description, "Default version": policy.default_version, "Attached to": attached_to});
    let mut versions = String::new();
    for version in policy.versions.iter().rev() {
        let default = version.version_id == policy.default_version;
        let actions = if default {
            "(default)".to_string()
        } else {
            let version_id = version.version_id.as_str();
            format!(
                "{}{}",
                button(&session, &state, "set-default", &[("version", version_id)], "Make it the default", false),
                button(&session, &state, "delete-version", &[("version", version_id)], "Delete", false)
            )
        };
        versions.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{actions}</td></tr>",
            escape(&version.version_id),
            seconds_text(version.created_ms as f64 / 1000.0),
            escape(&pretty(&version.document))
        ));
    }
    let current = policy.versions.iter().find(|version| version.version_id == policy.default_version).map(|version| version.document.as_str()).unwrap_or("");
    let body = format!(
        "<p><a href=/console/iam>Back to IAM</a></p>{}<h2>Versions</h2><table><tr><th>Version</th><th>Created</th><th>Document</th><th></th></tr>{versions}</table>\
         <h2>Edit</h2><form method=post><input type=hidden name=csrf value=\"{}\"><input type=hidden name=action value=new-version>\
         <label for=doc>The document of a new default version (when five versions are kept, the oldest that is not the default is removed)</label>{}\
         <div><button type=submit>Save as the default version</button></div></form>\
         <h2>Delete the policy</h2><p>Its versions are deleted with it; a policy still attached is not deleted.</p>{}",
        value_html(&details),
        session.csrf(&state),
        document_area("doc", current),
        button(&session, &state, "delete", &[], "Delete the policy", true)
    );
    page(StatusCode::OK, &format!("Policy {}", policy.name), &body, Some((&session, &state)), None)
}

pub(super) async fn policy_action(State(state): State<AppState>, headers: HeaderMap, Path(arn): Path<String>, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let chosen = form.get("action").unwrap_or("");
    let action = match chosen {
        "new-version" => "iam:CreatePolicyVersion",
        "set-default" => "iam:SetDefaultPolicyVersion",
        "delete-version" => "iam:DeletePolicyVersion",
        "delete" => "iam:DeletePolicy",
        other => return failure(&format!("{other} is not an action of this page.")),
    };
    if let Err(refused) = session.may(&state, action, &arn).await {
        return refused;
    }
    let version = form.get("version").unwrap_or("");
    let done = match chosen {
        "new-version" => {
            let replacing_full = state.iam.get_policy(&arn).await.map(|policy| policy.versions.len() >= 5).unwrap_or(false);
            if replacing_full {
                if let Err(refused) = session.may(&state, "iam:DeletePolicyVersion", &arn).await {
                    return refused;
                }
            }
            state.iam.replace_policy_document(&arn, form.get("document").unwrap_or("")).await.map(|_| ())
        }
        "set-default" => state.iam.set_default_policy_version(&arn, version).await,
        "delete-version" => state.iam.delete_policy_version(&arn, version).await,
        _ => {
            if let Err(refused) = confirmed(&form) {
                return refused;
            }
            let versions = state.iam.get_policy(&arn).await.map(|policy| policy.versions.len()).unwrap_or(0);
            if versions > 1 {
                if let Err(refused) = session.may(&state, "iam:DeletePolicyVersion", &arn).await {
                    return refused;
                }
            }
            delete_policy(&state, &arn).await
        }
    };
    match (done, chosen) {
        (Ok(()), "delete") => redirect("/console/iam", None),
        (Ok(()), _) => redirect(&format!("/console/iam/policies/{}", path_part(&arn)), None),
        (Err(error), _) => iam_failure(error),
    }
}

/// DeletePolicy after its versions that are not the default (the console of the real service
/// does the same); the API refuses it while attached.
async fn delete_policy(state: &AppState, arn: &str) -> Result<(), cognate_domain::error::DomainError> {
    let policy = state.iam.get_policy(arn).await?;
    if policy.attachment_count() > 0 {
        return state.iam.delete_policy(arn).await;
    }
    for version in policy.versions.iter().filter(|version| version.version_id != policy.default_version) {
        state.iam.delete_policy_version(arn, &version.version_id).await?;
    }
    state.iam.delete_policy(arn).await
}

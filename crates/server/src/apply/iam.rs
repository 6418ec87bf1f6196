//! The `Iam` part of an apply file: customer managed `Policies` (PolicyName, PolicyDocument,
//! Path, Description; a changed document becomes the new default version) and `Roles`
//! (RoleName, AssumeRolePolicyDocument, Path, Description, MaxSessionDuration; inline
//! `Policies` by name, and `ManagedPolicies` by name or ARN, attached). A role or policy is found
//! by its name; a role's description and session duration are set when it is created.

use std::collections::BTreeMap;

use serde_json::Value;

use cognate_domain::error::DomainError;
use cognate_domain::iam::Holder;

use super::shared::{check_keys, document_text, list, object, same_document, text, Change, Report};
use crate::state::AppState;

pub(super) async fn apply(state: &AppState, iam: &Value, report: &mut Report) -> Result<(), String> {
    let iam = object(iam, "Iam")?;
    check_keys(iam, &["Policies", "Roles"], "Iam")?;
    for policy in list(iam.get("Policies"), "Iam.Policies")? {
        apply_policy(state, policy, report).await?;
    }
    for role in list(iam.get("Roles"), "Iam.Roles")? {
        apply_role(state, role, report).await?;
    }
    Ok(())
}

fn failed(what: &str) -> impl Fn(DomainError) -> String + '_ {
    move |error| format!("{what}: {error}")
}

/// The ARN of a managed policy given by name or ARN.
fn policy_arn(state: &AppState, policy: &str) -> String {
    if policy.starts_with("arn:") {
        policy.to_string()
    } else {
        cognate_domain::ids::arn::iam_policy(&state.config.account_id, "/", policy)
    }
}

async fn apply_policy(state: &AppState, policy: &Value, report: &mut Report) -> Result<(), String> {
    let policy = object(policy, "a managed policy")?;
    let name = text(policy, "PolicyName", "a managed policy")?;
    let what = format!("IAM policy {name}");
    check_keys(policy, &["PolicyName", "PolicyDocument", "Path", "Description"], &what)?;
    let document = document_text(policy.get("PolicyDocument").unwrap_or(&Value::Null), &format!("{what}: PolicyDocument"))?;
    let path = policy.get("Path").and_then(Value::as_str);
    let arn = cognate_domain::ids::arn::iam_policy(&state.config.account_id, path.unwrap_or("/"), name);
    let stored = match state.iam.get_policy(&arn).await {
        Ok(stored) => Some(stored),
        Err(DomainError::NotFound(_)) => None,
        Err(error) => return Err(failed(&what)(error)),
    };
    let Some(stored) = stored else {
        let description = policy.get("Description").and_then(Value::as_str);
        state.iam.create_policy(name, path, &document, description, BTreeMap::new()).await.map_err(failed(&what))?;
        report.note(what, Change::Created);
        return Ok(());
    };
    let current = stored.versions.iter().find(|version| version.version_id == stored.default_version).map(|version| version.document.as_str()).unwrap_or("");
    if same_document(current, &document) {
        report.note(what, Change::Unchanged);
        return Ok(());
    }
    state.iam.replace_policy_document(&stored.arn, &document).await.map_err(failed(&what))?;
    report.note(what, Change::Updated);
    Ok(())
}

async fn apply_role(state: &AppState, role: &Value, report: &mut Report) -> Result<(), String> {
    let role = object(role, "a role")?;
    let name = text(role, "RoleName", "a role")?;
    let what = format!("IAM role {name}");
    check_keys(role, &["RoleName", "AssumeRolePolicyDocument", "Path", "Description", "MaxSessionDuration", "Policies", "ManagedPolicies"], &what)?;
    let trust = document_text(role.get("AssumeRolePolicyDocument").unwrap_or(&Value::Null), &format!("{what}: AssumeRolePolicyDocument"))?;
    let stored = match state.iam.get_role(name).await {
        Ok(stored) => Some(stored),
        Err(DomainError::NotFound(_)) => None,
        Err(error) => return Err(failed(&what)(error)),
    };
    let mut change = Change::Unchanged;
    match stored {
        None => {
            let path = role.get("Path").and_then(Value::as_str);
            let description = role.get("Description").and_then(Value::as_str);
            let duration = role.get("MaxSessionDuration").and_then(Value::as_i64);
            state.iam.create_role(name, path, &trust, description, duration, BTreeMap::new(), None).await.map_err(failed(&what))?;
            change = Change::Created;
        }
        Some(stored) if !same_document(&stored.assume_role_policy_document, &trust) => {
            state.iam.update_assume_role_policy(name, &trust).await.map_err(failed(&what))?;
            change = Change::Updated;
        }
        Some(_) => {}
    }
    if let Some(policies) = role.get("Policies") {
        for (policy_name, document) in object(policies, &format!("{what}: Policies"))? {
            let document = document_text(document, &format!("{what}: Policies.{policy_name}"))?;
            let current = match state.iam.get_inline_policy(Holder::Role(name), policy_name).await {
                Ok((_, current)) => Some(current),
                Err(DomainError::NotFound(_)) => None,
                Err(error) => return Err(failed(&what)(error)),
            };
            if !current.is_some_and(|current| same_document(&current, &document)) {
                state.iam.put_inline_policy(Holder::Role(name), policy_name, &document).await.map_err(failed(&what))?;
                change = if change == Change::Created { Change::Created } else { Change::Updated };
            }
        }
    }
    let managed = list(role.get("ManagedPolicies"), "ManagedPolicies")?;
    if !managed.is_empty() {
        let attached = state.iam.list_attached_policies(Holder::Role(name), None, None, Some(1000)).await.map_err(failed(&what))?;
        for policy in managed {
            let policy = policy.as_str().ok_or_else(|| format!("{what}: ManagedPolicies lists names or ARNs"))?;
            let arn = policy_arn(state, policy);
            let policy_name = cognate_domain::ids::arn::policy_name_of(&arn, &state.config.account_id).unwrap_or(policy);
            if !attached.items.iter().any(|attachment| attachment.policy_arn == arn || attachment.policy_name == policy_name) {
                state.iam.change_attachment(Holder::Role(name), &arn, true).await.map_err(failed(&what))?;
                change = if change == Change::Created { Change::Created } else { Change::Updated };
            }
        }
    }
    report.note(what, change);
    Ok(())
}

//! IAM in the console: the account's roles and customer managed policies, and a role's page.
//! Roles are created (CreateRole), their trust policy replaced (UpdateAssumeRolePolicy), inline
//! policies put and deleted (PutRolePolicy, DeleteRolePolicy), managed policies attached and
//! detached, the role deleted; each authorised as its IAM action on the role's ARN. A managed
//! policy's own page is `policies`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use cognate_domain::error::DomainError;
use cognate_domain::iam::Holder;

use super::frame::{checked, confirmed, failure, page, path_part, redirect, session, sign_in_page, value_html, Session};
use crate::state::AppState;
use crate::web::hosted::render::escape;

/// The trust policy a new role's form starts with: identities of an identity pool, signed in.
const TRUST_TEMPLATE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
      "StringEquals": {"cognito-identity.amazonaws.com:aud": "IDENTITY-POOL-ID"},
      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}
    }
  }]
}"#;

/// An IAM failure as the API names it.
pub(super) fn iam_failure(error: DomainError) -> Response {
    let error = crate::api::iam::error_from_domain(error);
    failure(&format!("{}: {}", error.code, error.message))
}

/// A policy document, indented.
pub(super) fn pretty(document: &str) -> String {
    serde_json::from_str::<Value>(document).ok().and_then(|value| serde_json::to_string_pretty(&value).ok()).unwrap_or_else(|| document.to_string())
}

/// A textarea holding a policy document.
pub(super) fn document_area(id: &str, document: &str) -> String {
    format!("<textarea id={id} name=document rows=14 cols=90 spellcheck=false required>{}</textarea>", escape(&pretty(document)))
}

/// A one-button form posting `action` (and `extra` hidden fields) to the page itself.
pub(super) fn button(session: &Session, state: &AppState, action: &str, extra: &[(&str, &str)], label: &str, danger: bool) -> String {
    let hidden: String = extra.iter().map(|(name, value)| format!("<input type=hidden name={name} value=\"{}\">", escape(value))).collect();
    let (class, confirm) = if danger { (" class=danger", "<label class=inline><input type=checkbox name=confirm value=yes required> sure</label>") } else { ("", "") };
    format!(
        "<form class=inline method=post><input type=hidden name=csrf value=\"{}\"><input type=hidden name=action value={action}>{hidden}{confirm}<button{class} type=submit>{}</button></form>",
        session.csrf(state),
        escape(label)
    )
}

pub(super) async fn iam(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(session) = session(&state, &headers).await else { return sign_in_page(StatusCode::OK, None) };
    let csrf = session.csrf(&state);
    let roles = match session.may(&state, "iam:ListRoles", "*").await {
        Err(_) => "<h2>Roles</h2><p>Not shown: <code>iam:ListRoles</code> is not allowed.</p>".to_string(),
        Ok(()) => match state.iam.list_roles(None, None, Some(1000)).await {
            Ok(page) => {
                let rows: String = page
                    .items
                    .iter()
                    .map(|role| format!("<tr><td><a href=\"/console/iam/roles/{}\">{}</a></td><td><code>{}</code></td></tr>", path_part(&role.name), escape(&role.name), escape(&role.arn)))
                    .collect();
                format!("<h2>Roles</h2><table><tr><th>Name</th><th>ARN</th></tr>{rows}</table>")
            }
            Err(error) => format!("<p class=error>{}</p>", escape(&error.to_string())),
        },
    };
    let policies = match session.may(&state, "iam:ListPolicies", "*").await {
        Err(_) => "<h2>Customer managed policies</h2><p>Not shown: <code>iam:ListPolicies</code> is not allowed.</p>".to_string(),
        Ok(()) => match state.iam.list_policies(Some("Local"), false, None, None, Some(1000)).await {
            Ok(page) => {
                let rows: String = page
                    .items
                    .iter()
                    .map(|policy| {
                        let holders: Vec<String> = [("role", &policy.roles), ("user", &policy.users), ("group", &policy.groups)]
                            .iter()
                            .flat_map(|(kind, names)| names.iter().map(move |name| format!("{kind}/{name}")))
                            .collect();
                        format!(
                            "<tr><td><a href=\"/console/iam/policies/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                            path_part(&policy.arn),
                            escape(&policy.name),
                            escape(&policy.default_version),
                            escape(&holders.join(", "))
                        )
                    })
                    .collect();
                format!("<h2>Customer managed policies</h2><table><tr><th>Name</th><th>Default version</th><th>Attached to</th></tr>{rows}</table>")
            }
            Err(error) => format!("<p class=error>{}</p>", escape(&error.to_string())),
        },
    };
    let forms = format!(
        "<h2>Create a role</h2><form method=post action=/console/iam/roles><input type=hidden name=csrf value=\"{csrf}\">\
         <label for=rn>Role name</label><input id=rn name=name required><label for=rd>Description</label><input id=rd name=description size=60>\
         <label for=rt>Trust policy (who may assume the role)</label>{trust}<div><button type=submit>Create the role</button></div></form>\
         <h2>Create a managed policy</h2><form method=post action=/console/iam/policies><input type=hidden name=csrf value=\"{csrf}\">\
         <label for=pn>Policy name</label><input id=pn name=name required><label for=pd>Description</label><input id=pd name=description size=60>\
         <label for=pdoc>Policy document</label>{document}<div><button type=submit>Create the policy</button></div></form>",
        trust = document_area("rt", TRUST_TEMPLATE),
        document = document_area("pdoc", r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}"#),
    );
    page(StatusCode::OK, "IAM", &format!("{roles}{policies}{forms}"), Some((&session, &state)), None)
}

pub(super) async fn create_role(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let name = form.get("name").unwrap_or("").trim().to_string();
    if let Err(refused) = session.may(&state, "iam:CreateRole", &cognate_domain::ids::arn::iam_role(&state.config.account_id, "/", &name)).await {
        return refused;
    }
    let description = form.get("description").map(str::trim).filter(|text| !text.is_empty());
    match state.iam.create_role(&name, None, form.get("document").unwrap_or(""), description, None, Default::default(), None).await {
        Ok(role) => redirect(&format!("/console/iam/roles/{}", path_part(&role.name)), None),
        Err(error) => iam_failure(error),
    }
}

pub(super) async fn role(State(state): State<AppState>, headers: HeaderMap, Path(role_name): Path<String>) -> Response {
    let Some(session) = session(&state, &headers).await else { return sign_in_page(StatusCode::OK, None) };
    let role = match state.iam.get_role(&role_name).await {
        Ok(role) => role,
        Err(error) => return iam_failure(error),
    };
    if let Err(refused) = session.may(&state, "iam:GetRole", &role.arn).await {
        return refused;
    }
    let details = json!({"Arn": role.arn, "Path": role.path, "Description": role.description, "MaxSessionDuration": role.max_session_duration, "PermissionsBoundary": role.permissions_boundary});
    let trust = format!(
        "<h2>Trust policy</h2><form method=post><input type=hidden name=csrf value=\"{}\"><input type=hidden name=action value=trust>{}<div><button type=submit>Save the trust policy</button></div></form>",
        session.csrf(&state),
        document_area("trust", &role.assume_role_policy_document)
    );
    let inline = inline_section(&state, &session, &role.name, &role.arn).await;
    let attached = attached_section(&state, &session, &role.name, &role.arn).await;
    let body = format!(
        "<p><a href=/console/iam>Back to IAM</a></p>{}{trust}{inline}{attached}<h2>Delete the role</h2><p>Its inline policies are deleted and its managed policies detached first.</p>{}",
        value_html(&details),
        button(&session, &state, "delete", &[], "Delete the role", true)
    );
    page(StatusCode::OK, &format!("Role {}", role.name), &body, Some((&session, &state)), None)
}

/// The role's inline policies, each in a form that replaces or deletes it, and a form for a new one.
async fn inline_section(state: &AppState, session: &Session, role: &str, arn: &str) -> String {
    for action in ["iam:ListRolePolicies", "iam:GetRolePolicy"] {
        if session.may(state, action, arn).await.is_err() {
            return format!("<h2>Inline policies</h2><p>Not shown: <code>{action}</code> is not allowed.</p>");
        }
    }
    let csrf = session.csrf(state);
    let mut html = "<h2>Inline policies</h2>".to_string();
    let names = state.iam.list_inline_policies(Holder::Role(role), None, Some(1000)).await.map(|page| page.items).unwrap_or_default();
    for (index, name) in names.iter().enumerate() {
        let Ok((_, document)) = state.iam.get_inline_policy(Holder::Role(role), name).await else { continue };
        html.push_str(&format!(
            "<h3>{title}</h3><form method=post><input type=hidden name=csrf value=\"{csrf}\"><input type=hidden name=action value=put-inline>\
             <input type=hidden name=policy_name value=\"{title}\">{area}<div><button type=submit>Save {title}</button></div></form>{delete}",
            title = escape(name),
            area = document_area(&format!("inline{index}"), &document),
            delete = button(session, state, "delete-inline", &[("policy_name", name)], &format!("Delete {name}"), false),
        ));
    }
    html.push_str(&format!(
        "<h3>Add an inline policy</h3><form method=post><input type=hidden name=csrf value=\"{csrf}\"><input type=hidden name=action value=put-inline>\
         <label for=ipn>Policy name</label><input id=ipn name=policy_name required><label for=ipd>Policy document</label>{}<div><button type=submit>Add the policy</button></div></form>",
        document_area("ipd", r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}"#)
    ));
    html
}

/// The managed policies attached to the role, each with a detach button, and a select to attach one.
async fn attached_section(state: &AppState, session: &Session, role: &str, arn: &str) -> String {
    if session.may(state, "iam:ListAttachedRolePolicies", arn).await.is_err() {
        return "<h2>Managed policies</h2><p>Not shown: <code>iam:ListAttachedRolePolicies</code> is not allowed.</p>".to_string();
    }
    let attached = state.iam.list_attached_policies(Holder::Role(role), None, None, Some(1000)).await.map(|page| page.items).unwrap_or_default();
    let rows: String = attached
        .iter()
        .map(|item| {
            format!(
                "<tr><td><a href=\"/console/iam/policies/{}\">{}</a></td><td><code>{}</code></td><td>{}</td></tr>",
                path_part(&item.policy_arn),
                escape(&item.policy_name),
                escape(&item.policy_arn),
                button(session, state, "detach", &[("policy_arn", &item.policy_arn)], "Detach", false)
            )
        })
        .collect();
    let choose = match session.may(state, "iam:ListPolicies", "*").await {
        Err(_) => String::new(),
        Ok(()) => {
            let policies = state.iam.list_policies(None, false, None, None, Some(1000)).await.map(|page| page.items).unwrap_or_default();
            let options: String = policies
                .iter()
                .filter(|policy| !attached.iter().any(|item| item.policy_arn == policy.arn))
                .map(|policy| format!("<option value=\"{}\">{}</option>", escape(&policy.arn), escape(&policy.name)))
                .collect();
            format!(
                "<form method=post><input type=hidden name=csrf value=\"{}\"><input type=hidden name=action value=attach>\
                 <label for=attach>Attach a managed policy</label><select id=attach name=policy_arn>{options}</select> <button type=submit>Attach</button></form>",
                session.csrf(state)
            )
        }
    };
    format!("<h2>Managed policies</h2><table><tr><th>Name</th><th>ARN</th><th></th></tr>{rows}</table>{choose}")
}

pub(super) async fn role_action(State(state): State<AppState>, headers: HeaderMap, Path(role_name): Path<String>, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let role = match state.iam.get_role(&role_name).await {
        Ok(role) => role,
        Err(error) => return iam_failure(error),
    };
    let chosen = form.get("action").unwrap_or("");
    let action = match chosen {
        "trust" => "iam:UpdateAssumeRolePolicy",
        "put-inline" => "iam:PutRolePolicy",
        "delete-inline" => "iam:DeleteRolePolicy",
        "attach" => "iam:AttachRolePolicy",
        "detach" => "iam:DetachRolePolicy",
        "delete" => "iam:DeleteRole",
        other => return failure(&format!("{other} is not an action of this page.")),
    };
    if let Err(refused) = session.may(&state, action, &role.arn).await {
        return refused;
    }
    let document = form.get("document").unwrap_or("");
    let policy_name = form.get("policy_name").unwrap_or("").trim();
    let policy_arn = form.get("policy_arn").unwrap_or("");
    let holder = Holder::Role(&role.name);
    let done = match chosen {
        "trust" => state.iam.update_assume_role_policy(&role.name, document).await,
        "put-inline" => state.iam.put_inline_policy(holder, policy_name, document).await,
        "delete-inline" => state.iam.delete_inline_policy(holder, policy_name).await,
        "attach" => state.iam.change_attachment(holder, policy_arn, true).await,
        "detach" => state.iam.change_attachment(holder, policy_arn, false).await,
        _ => {
            if let Err(refused) = confirmed(&form) {
                return refused;
            }
            return match delete_role(&state, &session, &role).await {
                Ok(()) => redirect("/console/iam", None),
                Err(failed) => failed,
            };
        }
    };
    match done {
        Ok(()) => redirect(&format!("/console/iam/roles/{}", path_part(&role.name)), None),
        Err(error) => iam_failure(error),
    }
}

/// DeleteRole after what the API would refuse it for: its inline policies deleted and its
/// managed policies detached, each as the operator may.
async fn delete_role(state: &AppState, session: &Session, role: &cognate_domain::iam::Role) -> Result<(), Response> {
    let holder = Holder::Role(&role.name);
    let names = state.iam.list_inline_policies(holder, None, Some(1000)).await.map_err(iam_failure)?.items;
    if !names.is_empty() {
        session.may(state, "iam:DeleteRolePolicy", &role.arn).await?;
    }
    for name in names {
        state.iam.delete_inline_policy(holder, &name).await.map_err(iam_failure)?;
    }
    let attached = state.iam.list_attached_policies(holder, None, None, Some(1000)).await.map_err(iam_failure)?.items;
    if !attached.is_empty() {
        session.may(state, "iam:DetachRolePolicy", &role.arn).await?;
    }
    for item in attached {
        state.iam.change_attachment(holder, &item.policy_arn, false).await.map_err(iam_failure)?;
    }
    state.iam.delete_role(&role.name).await.map_err(iam_failure)
}

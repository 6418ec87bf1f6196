//! IAM (query protocol, 2010-05-08): roles, inline role policies, OpenID Connect providers and
//! SimulatePrincipalPolicy. Signed; callers other than the root credentials are authorised by
//! the policy engine (`iam:<Action>` on the role or provider ARN).

pub mod error;
pub mod operations;

use async_trait::async_trait;
use axum::http::StatusCode;

use cognate_domain::clock::format_iso8601;
use cognate_domain::iam::{OidcProvider, Role};

use crate::dispatch::{Answer, AwsApi, AwsRequest, OperationRef, Protocol, Refusal};
use crate::state::AppState;
pub use error::error_from_domain;
use operations::Operation;
use crate::aws::query::{url_encode, QueryError, QueryInput, Xml};

pub const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub const VERSION: &str = "2010-05-08";

/// IAM as the generic server serves it.
pub struct IamApi;

#[async_trait]
impl AwsApi for IamApi {
    fn service(&self) -> &'static str {
        "iam"
    }

    fn protocol(&self) -> Protocol {
        Protocol::Query { version: VERSION, namespace: NAMESPACE }
    }

    fn operation(&self, name: &str) -> Option<OperationRef> {
        Operation::lookup(name)
    }

    async fn resources(&self, state: &AppState, operation: OperationRef, request: &AwsRequest<'_>) -> Vec<String> {
        match (Operation::from_name(operation.name), request.query) {
            (Some(operation), Some(input)) => vec![resource_of(state, operation, input)],
            _ => vec!["*".into()],
        }
    }

    async fn handle(&self, state: &AppState, operation: OperationRef, request: AwsRequest<'_>) -> Result<Answer, Refusal> {
        let (Some(operation), Some(input)) = (Operation::from_name(operation.name), request.query) else {
            return Err(Refusal::Query(QueryError::internal()));
        };
        run(state, operation, input).await.map(Answer::Xml).map_err(Refusal::Query)
    }
}

fn role_xml(xml: &mut Xml, role: &Role) {
    xml.text("Path", &role.path)
        .text("RoleName", &role.name)
        .text("RoleId", &role.role_id)
        .text("Arn", &role.arn)
        .text("CreateDate", &format_iso8601(role.created_ms.div_euclid(1000)))
        .text("AssumeRolePolicyDocument", &url_encode(&role.assume_role_policy_document))
        .optional("Description", role.description.as_deref())
        .text("MaxSessionDuration", &role.max_session_duration.to_string());
    tags_xml(xml, &role.tags);
}

fn tags_xml(xml: &mut Xml, tags: &std::collections::BTreeMap<String, String>) {
    if tags.is_empty() {
        return;
    }
    xml.open("Tags");
    for (key, value) in tags {
        xml.open("member").text("Key", key).text("Value", value).close("member");
    }
    xml.close("Tags");
}

fn provider_xml(xml: &mut Xml, provider: &OidcProvider) {
    xml.text("Url", provider.url());
    xml.open("ClientIDList");
    for id in &provider.client_ids {
        xml.text("member", id);
    }
    xml.close("ClientIDList").open("ThumbprintList");
    for print in &provider.thumbprints {
        xml.text("member", print);
    }
    xml.close("ThumbprintList").text("CreateDate", &format_iso8601(provider.created_ms.div_euclid(1000)));
    tags_xml(xml, &provider.tags);
}

fn max_items(input: &QueryInput) -> Result<Option<i32>, QueryError> {
    Ok(input.integer("MaxItems")?.map(|value| value.clamp(i32::MIN as i64, i32::MAX as i64) as i32))
}

fn page_xml(xml: &mut Xml, marker: Option<&str>) {
    xml.text("IsTruncated", if marker.is_some() { "true" } else { "false" });
    xml.optional("Marker", marker);
}

/// The resource an action acts on, for the policy engine.
fn resource_of(state: &AppState, operation: Operation, input: &QueryInput) -> String {
    use Operation::*;
    let account = &state.config.account_id;
    match operation {
        CreateRole | GetRole | DeleteRole | UpdateAssumeRolePolicy | TagRole | UntagRole | PutRolePolicy
        | GetRolePolicy | DeleteRolePolicy | ListRolePolicies => match input.get("RoleName") {
            Some(role) => cognate_domain::ids::arn::iam_role(account, "/", role),
            None => "*".into(),
        },
        GetOpenIDConnectProvider | DeleteOpenIDConnectProvider | AddClientIDToOpenIDConnectProvider
        | RemoveClientIDFromOpenIDConnectProvider => input.get("OpenIDConnectProviderArn").unwrap_or("*").to_string(),
        CreateOpenIDConnectProvider => match input.get("Url") {
            Some(url) => {
                let host_and_path = url.strip_prefix("https://").unwrap_or(url).trim_end_matches('/');
                cognate_domain::ids::arn::oidc_provider(account, host_and_path)
            }
            None => "*".into(),
        },
        SimulatePrincipalPolicy => input.get("PolicySourceArn").unwrap_or("*").to_string(),
        // ListRoles, ListOpenIDConnectProviders and the actions not implemented act on the account.
        _ => "*".into(),
    }
}

/// Runs one action; returns the XML of its result members.
async fn run(state: &AppState, operation: Operation, input: &QueryInput) -> Result<String, QueryError> {
    use Operation::*;
    let iam = &state.iam;
    let mut xml = Xml::new();
    match operation {
        CreateRole => {
            let role = iam
                .create_role(
                    input.required("RoleName")?,
                    input.get("Path"),
                    input.required("AssumeRolePolicyDocument")?,
                    input.get("Description"),
                    input.integer("MaxSessionDuration")?,
                    input.tags("Tags"),
                )
                .await
                .map_err(error_from_domain)?;
            xml.open("Role");
            role_xml(&mut xml, &role);
            xml.close("Role");
        }
        GetRole => {
            let role = iam.get_role(input.required("RoleName")?).await.map_err(error_from_domain)?;
            xml.open("Role");
            role_xml(&mut xml, &role);
            xml.close("Role");
        }
        ListRoles => {
            let page = iam.list_roles(input.get("PathPrefix"), input.get("Marker"), max_items(input)?).await.map_err(error_from_domain)?;
            xml.open("Roles");
            for role in &page.items {
                xml.open("member");
                role_xml(&mut xml, role);
                xml.close("member");
            }
            xml.close("Roles");
            page_xml(&mut xml, page.marker.as_deref());
        }
        DeleteRole => iam.delete_role(input.required("RoleName")?).await.map_err(error_from_domain)?,
        UpdateAssumeRolePolicy => iam
            .update_assume_role_policy(input.required("RoleName")?, input.required("PolicyDocument")?)
            .await
            .map_err(error_from_domain)?,
        TagRole => iam.tag_role(input.required("RoleName")?, input.tags("Tags")).await.map_err(error_from_domain)?,
        UntagRole => iam.untag_role(input.required("RoleName")?, &input.list("TagKeys")).await.map_err(error_from_domain)?,
        PutRolePolicy => iam
            .put_role_policy(input.required("RoleName")?, input.required("PolicyName")?, input.required("PolicyDocument")?)
            .await
            .map_err(error_from_domain)?,
        GetRolePolicy => {
            let policy_name = input.required("PolicyName")?;
            let (role, document) = iam.get_role_policy(input.required("RoleName")?, policy_name).await.map_err(error_from_domain)?;
            xml.text("RoleName", &role.name).text("PolicyName", policy_name).text("PolicyDocument", &url_encode(&document));
        }
        DeleteRolePolicy => iam
            .delete_role_policy(input.required("RoleName")?, input.required("PolicyName")?)
            .await
            .map_err(error_from_domain)?,
        ListRolePolicies => {
            let page = iam
                .list_role_policies(input.required("RoleName")?, input.get("Marker"), max_items(input)?)
                .await
                .map_err(error_from_domain)?;
            xml.open("PolicyNames");
            for name in &page.items {
                xml.text("member", name);
            }
            xml.close("PolicyNames");
            page_xml(&mut xml, page.marker.as_deref());
        }
        CreateOpenIDConnectProvider => {
            let provider = iam
                .create_oidc_provider(input.required("Url")?, input.list("ClientIDList"), input.list("ThumbprintList"), input.tags("Tags"))
                .await
                .map_err(error_from_domain)?;
            xml.text("OpenIDConnectProviderArn", &provider.arn);
            tags_xml(&mut xml, &provider.tags);
        }
        GetOpenIDConnectProvider => {
            let provider = iam.get_oidc_provider(input.required("OpenIDConnectProviderArn")?).await.map_err(error_from_domain)?;
            provider_xml(&mut xml, &provider);
        }
        ListOpenIDConnectProviders => {
            let providers = iam.list_oidc_providers().await.map_err(error_from_domain)?;
            xml.open("OpenIDConnectProviderList");
            for provider in &providers {
                xml.open("member").text("Arn", &provider.arn).close("member");
            }
            xml.close("OpenIDConnectProviderList");
        }
        DeleteOpenIDConnectProvider => iam
            .delete_oidc_provider(input.required("OpenIDConnectProviderArn")?)
            .await
            .map_err(error_from_domain)?,
        AddClientIDToOpenIDConnectProvider | RemoveClientIDFromOpenIDConnectProvider => {
            let arn = input.required("OpenIDConnectProviderArn")?;
            let client_id = input.required("ClientID")?;
            iam.change_oidc_client_id(arn, client_id, operation == AddClientIDToOpenIDConnectProvider).await.map_err(error_from_domain)?;
        }
        SimulatePrincipalPolicy => {
            let context: Vec<(String, Vec<String>)> = input
                .structures("ContextEntries", &["ContextKeyName"])
                .into_iter()
                .enumerate()
                .filter_map(|(index, entry)| {
                    let name = entry.get("ContextKeyName")?.clone();
                    Some((name, input.list(&format!("ContextEntries.member.{}.ContextKeyValues", index + 1))))
                })
                .collect();
            let results = iam
                .simulate_role(
                    input.required("PolicySourceArn")?,
                    &input.list("ActionNames"),
                    &input.list("ResourceArns"),
                    &context,
                    &input.list("PolicyInputList"),
                )
                .await
                .map_err(error_from_domain)?;
            xml.open("EvaluationResults");
            for result in &results {
                xml.open("member")
                    .text("EvalActionName", &result.action)
                    .text("EvalResourceName", &result.resource)
                    .text("EvalDecision", result.decision.as_str())
                    .open("MatchedStatements")
                    .close("MatchedStatements")
                    .open("MissingContextValues")
                    .close("MissingContextValues")
                    .close("member");
            }
            xml.close("EvaluationResults").text("IsTruncated", "false");
        }
        other => {
            return Err(QueryError::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", format!("cognate does not implement IAM {} yet.", other.name())))
        }
    }
    Ok(xml.finish())
}

#[cfg(test)]
mod tests {
    use super::operations::{Operation, IMPLEMENTED};

    /// docs/compat/sts-iam.md: the implemented IAM actions, and only those, are marked so.
    #[test]
    fn compat_table_matches_the_router() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/sts-iam.md")).unwrap();
        for operation in Operation::ALL {
            let status = crate::api::compat_status(&table, operation.name());
            assert_eq!(status != "not yet", IMPLEMENTED.contains(operation), "{operation:?}");
        }
        assert_eq!(Operation::ALL.len(), 176);
    }
}

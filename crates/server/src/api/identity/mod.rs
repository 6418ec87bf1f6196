//! The Cognito Identity API (`AWSCognitoIdentityService.*`, AWS JSON 1.1): identity pools and
//! their roles (signed), identities and the trade of logins for credentials or OpenID tokens
//! (GetId, GetCredentialsForIdentity, GetOpenIdToken and UnlinkIdentity are unsigned, as in
//! Cognito), and developer-authenticated identities (signed). `operations` is the closed set of
//! the model's operations, `wire` the typed shapes, `ops` one handler per operation, `error`
//! the exhaustive error map.

pub mod error;
pub mod operations;
pub mod ops;
pub mod wire;

use async_trait::async_trait;
use serde_json::Value;

use crate::aws::json::{parse_input, ApiError};
use crate::dispatch::{Answer, AwsApi, AwsRequest, OperationRef, Protocol, Refusal};
use crate::state::AppState;
pub use error::error_from_domain;
use operations::Operation;

/// The members that say which resources an operation acts on, read by name and nothing else.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceMembers {
    identity_pool_id: Option<String>,
    identity_id: Option<String>,
    resource_arn: Option<String>,
    identity_ids_to_delete: Option<Vec<String>>,
}

/// The Cognito Identity API as the generic server serves it.
pub struct IdentityApi;

#[async_trait]
impl AwsApi for IdentityApi {
    fn service(&self) -> &'static str {
        "cognito-identity"
    }

    fn protocol(&self) -> Protocol {
        Protocol::Json { target_prefix: "AWSCognitoIdentityService" }
    }

    fn operation(&self, name: &str) -> Option<OperationRef> {
        Operation::lookup(name)
    }

    /// The resources a signed operation acts on, each of which the policy engine must allow.
    /// Each is taken from the member the operation itself acts on, as AWS's service
    /// authorization reference lists them, never from other members a caller may add: the
    /// identity pool an operation names, each identity's own pool (looked up here) for the
    /// operations that name identities, the tagged ARN for tagging, and `*` for the account-wide
    /// ones.
    async fn resources(&self, state: &AppState, operation: OperationRef, request: &AwsRequest<'_>) -> Vec<String> {
        use Operation::*;
        let pool_arn =
            |pool_id: &str| cognate_domain::ids::arn::identity_pool(cognate_domain::ids::region_of(pool_id), &state.config.account_id, pool_id);
        let members: ResourceMembers = parse_input(request.body).unwrap_or_default();
        match Operation::from_name(operation.name) {
            Some(CreateIdentityPool | ListIdentityPools) | None => vec!["*".into()],
            Some(TagResource | UntagResource | ListTagsForResource) => vec![members.resource_arn.unwrap_or_else(|| "*".into())],
            Some(DescribeIdentity) => {
                vec![match state.identity_pools.pool_of_identity(members.identity_id.as_deref().unwrap_or("")).await {
                    Some(pool_id) => pool_arn(&pool_id),
                    None => "*".into(),
                }]
            }
            Some(DeleteIdentities) => {
                let mut resources: Vec<String> = Vec::new();
                for identity_id in members.identity_ids_to_delete.unwrap_or_default().iter().take(60) {
                    if let Some(pool_id) = state.identity_pools.pool_of_identity(identity_id).await {
                        let arn = pool_arn(&pool_id);
                        if !resources.contains(&arn) {
                            resources.push(arn);
                        }
                    }
                }
                if resources.is_empty() {
                    resources.push("*".into());
                }
                resources
            }
            // Every other signed operation names its identity pool in IdentityPoolId.
            Some(_) => vec![members.identity_pool_id.as_deref().map(pool_arn).unwrap_or_else(|| "*".into())],
        }
    }

    async fn handle(&self, state: &AppState, operation: OperationRef, request: AwsRequest<'_>) -> Result<Answer, Refusal> {
        let Some(operation) = Operation::from_name(operation.name) else {
            return Err(Refusal::Json(ApiError::client("UnknownOperationException", format!("Unknown operation {}.", operation.name))));
        };
        run(state, operation, request.body, request.region).await.map(Answer::Json).map_err(Refusal::Json)
    }
}

/// Runs one operation. Signed operations have been authenticated and authorised by the caller.
/// `region` is the one the request was signed for (the default for unsigned ones): identity
/// pools are created and listed in it.
async fn run(state: &AppState, operation: Operation, body: &[u8], region: &str) -> Result<Value, ApiError> {
    use Operation::*;
    match operation {
        CreateIdentityPool => ops::pools::create_identity_pool(state, body, region).await,
        DescribeIdentityPool => ops::pools::describe_identity_pool(state, body).await,
        UpdateIdentityPool => ops::pools::update_identity_pool(state, body).await,
        DeleteIdentityPool => ops::pools::delete_identity_pool(state, body).await,
        ListIdentityPools => ops::pools::list_identity_pools(state, body, region).await,
        SetIdentityPoolRoles => ops::pools::set_identity_pool_roles(state, body).await,
        GetIdentityPoolRoles => ops::pools::get_identity_pool_roles(state, body).await,
        TagResource => ops::pools::tag_resource(state, body).await,
        UntagResource => ops::pools::untag_resource(state, body).await,
        ListTagsForResource => ops::pools::list_tags_for_resource(state, body).await,
        GetId => ops::identities::get_id(state, body).await,
        GetCredentialsForIdentity => ops::identities::get_credentials_for_identity(state, body).await,
        GetOpenIdToken => ops::identities::get_open_id_token(state, body).await,
        UnlinkIdentity => ops::identities::unlink_identity(state, body).await,
        DescribeIdentity => ops::identities::describe_identity(state, body).await,
        ListIdentities => ops::identities::list_identities(state, body).await,
        DeleteIdentities => ops::identities::delete_identities(state, body).await,
        GetOpenIdTokenForDeveloperIdentity => ops::developer::get_open_id_token_for_developer_identity(state, body).await,
        LookupDeveloperIdentity => ops::developer::lookup_developer_identity(state, body).await,
        MergeDeveloperIdentities => ops::developer::merge_developer_identities(state, body).await,
        UnlinkDeveloperIdentity => ops::developer::unlink_developer_identity(state, body).await,
        GetPrincipalTagAttributeMap => ops::pools::get_principal_tag_attribute_map(state, body).await,
        SetPrincipalTagAttributeMap => ops::pools::set_principal_tag_attribute_map(state, body).await,
    }
}

#[cfg(test)]
mod tests {
    use super::operations::NOT_IMPLEMENTED;
    use super::*;

    /// docs/compat/cognito-identity.md lists every operation with the right status.
    #[test]
    fn compat_table_matches_the_router() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/cognito-identity.md")).unwrap();
        for operation in Operation::ALL {
            let status = crate::api::compat_status(&table, operation.name());
            if NOT_IMPLEMENTED.contains(operation) {
                assert_eq!(status, "not yet", "{operation:?}");
            } else {
                assert!(status == "implemented" || status == "partial", "{operation:?} is implemented but listed as {status}");
            }
        }
        assert_eq!(Operation::ALL.len(), 23);
    }
}

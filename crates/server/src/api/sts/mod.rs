//! STS (query protocol, 2011-06-15): AssumeRoleWithWebIdentity (unsigned; the token is this
//! server's OpenID token or an ID token of an OIDC provider registered in IAM), AssumeRoleWithSAML
//! (unsigned; a SAML response verified against an IAM SAML provider's metadata), AssumeRole
//! (signed by an IAM user or a role session), GetSessionToken and GetFederationToken (an IAM
//! user's temporary credentials, as itself with MFA when asked, or as a federated user),
//! GetCallerIdentity (signed with any credentials) and GetAccessKeyInfo.

pub mod error;
pub mod operations;
pub mod ops;
pub mod wire;

use async_trait::async_trait;
use axum::http::StatusCode;

use crate::dispatch::{Answer, AwsApi, AwsRequest, OperationRef, Protocol, Refusal};
use crate::state::AppState;
pub use error::error_from_domain;
use operations::Operation;
use crate::aws::query::QueryError;

pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub const VERSION: &str = "2011-06-15";

/// STS as the generic server serves it.
pub struct StsApi;

#[async_trait]
impl AwsApi for StsApi {
    fn service(&self) -> &'static str {
        "sts"
    }

    fn protocol(&self) -> Protocol {
        Protocol::Query { version: VERSION, namespace: NAMESPACE }
    }

    fn operation(&self, name: &str) -> Option<OperationRef> {
        Operation::lookup(name)
    }

    /// AssumeRole needs `sts:AssumeRole` on the role, DecodeAuthorizationMessage its own
    /// permission; the rest answer any valid signature.
    async fn resources(&self, _state: &AppState, operation: OperationRef, request: &AwsRequest<'_>) -> Vec<String> {
        match (Operation::from_name(operation.name), request.query) {
            (Some(Operation::AssumeRole), Some(input)) => vec![input.get("RoleArn").unwrap_or("*").to_string()],
            (Some(Operation::DecodeAuthorizationMessage), _) => vec!["*".to_string()],
            _ => Vec::new(),
        }
    }

    async fn handle(&self, state: &AppState, operation: OperationRef, request: AwsRequest<'_>) -> Result<Answer, Refusal> {
        let Some(input) = request.query else {
            return Err(Refusal::Query(QueryError::internal()));
        };
        let outcome = match Operation::from_name(operation.name) {
            Some(Operation::AssumeRoleWithWebIdentity) => ops::assume_role_with_web_identity(state, input).await,
            Some(Operation::AssumeRoleWithSAML) => ops::assume_role_with_saml(state, input).await,
            Some(Operation::AssumeRole) => ops::assume_role(state, input, request.principal).await,
            Some(Operation::GetCallerIdentity) => Ok(ops::get_caller_identity(state, request.principal)),
            Some(Operation::GetAccessKeyInfo) => ops::get_access_key_info(state, input),
            Some(Operation::GetSessionToken) => ops::get_session_token(state, input, request.principal).await,
            Some(Operation::GetFederationToken) => ops::get_federation_token(state, input, request.principal).await,
            Some(Operation::DecodeAuthorizationMessage) => ops::decode_authorization_message(input),
            _ => Err(QueryError::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", format!("cognate does not implement STS {} yet.", operation.name))),
        };
        outcome.map(Answer::Xml).map_err(Refusal::Query)
    }
}

#[cfg(test)]
mod tests {
    use super::operations::{Operation, IMPLEMENTED};

    /// docs/compat/sts-iam.md: the implemented STS actions, and only those, are marked so.
    #[test]
    fn compat_table_matches_the_router() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/sts-iam.md")).unwrap();
        for operation in Operation::ALL {
            let status = crate::api::compat_status(&table, operation.name());
            assert_eq!(status != "not yet", IMPLEMENTED.contains(operation), "{operation:?}");
        }
    }
}

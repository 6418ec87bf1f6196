//! STS (query protocol, 2011-06-15): AssumeRoleWithWebIdentity (unsigned; the token is this
//! server's OpenID token or an ID token of an OIDC provider registered in IAM) and
//! GetCallerIdentity (signed with any credentials).

pub mod error;
pub mod operations;

use async_trait::async_trait;
use axum::http::StatusCode;

use cognate_domain::federation::issuer_key;
use cognate_domain::iam::WebIdentity;
use cognate_domain::tokens;
use cognate_domain::DomainError;

use crate::dispatch::{Answer, AwsApi, AwsRequest, OperationRef, Protocol, Refusal};
use crate::state::AppState;
pub use error::error_from_domain;
use operations::Operation;
use crate::aws::query::{QueryError, QueryInput, Xml};
use crate::auth::Principal;

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

    /// STS answers any valid signature: no policy check.
    async fn resources(&self, _state: &AppState, _operation: OperationRef, _request: &AwsRequest<'_>) -> Vec<String> {
        Vec::new()
    }

    async fn handle(&self, state: &AppState, operation: OperationRef, request: AwsRequest<'_>) -> Result<Answer, Refusal> {
        let Some(input) = request.query else {
            return Err(Refusal::Query(QueryError::internal()));
        };
        let outcome = match Operation::from_name(operation.name) {
            Some(Operation::AssumeRoleWithWebIdentity) => assume_role_with_web_identity(state, input).await,
            Some(Operation::GetCallerIdentity) => Ok(get_caller_identity(state, request.principal)),
            _ => Err(QueryError::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", format!("cognate does not implement STS {} yet.", operation.name))),
        };
        outcome.map(Answer::Xml).map_err(Refusal::Query)
    }
}

fn get_caller_identity(state: &AppState, principal: Option<&Principal>) -> String {
    let account = &state.config.account_id;
    let (user_id, arn) = match principal {
        Some(Principal::Session(session)) => (session.assumed_role_id(), session.assumed_role_arn(account)),
        _ => (account.clone(), cognate_domain::ids::arn::iam_root(account)),
    };
    Xml::new().text("UserId", &user_id).text("Account", account).text("Arn", &arn).finish()
}

async fn assume_role_with_web_identity(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let role_arn = input.required("RoleArn")?;
    let session_name = input.required("RoleSessionName")?;
    let token = input.required("WebIdentityToken")?;
    if token.len() < 4 || token.len() > 20_000 {
        return Err(QueryError::validation("WebIdentityToken must be 4 to 20000 characters."));
    }
    let duration = input.integer("DurationSeconds")?;
    let policy = input.get("Policy");
    if !input.list("PolicyArns").is_empty() || input.get("PolicyArns.member.1.arn").is_some() {
        return Err(QueryError::validation("Managed session policies (PolicyArns) are not supported; pass an inline Policy."));
    }
    let identity = web_identity_of(state, token).await.map_err(error_from_domain)?;
    let assumed = state
        .iam
        .assume_role_with_web_identity(role_arn, session_name, &identity, duration, policy)
        .await
        .map_err(error_from_domain)?;
    let credentials = &assumed.credentials;
    let mut xml = Xml::new();
    xml.open("Credentials")
        .text("AccessKeyId", &credentials.access_key_id)
        .text("SecretAccessKey", &credentials.secret_access_key)
        .text("SessionToken", &credentials.session_token)
        .text("Expiration", &cognate_domain::clock::format_iso8601(credentials.expiration_ms.div_euclid(1000)))
        .close("Credentials")
        .text("SubjectFromWebIdentityToken", &assumed.subject)
        .open("AssumedRoleUser")
        .text("AssumedRoleId", &assumed.assumed_role_id)
        .text("Arn", &assumed.arn)
        .close("AssumedRoleUser");
    if let Some(size) = assumed.packed_policy_size {
        xml.text("PackedPolicySize", &size.to_string());
    }
    xml.text("Provider", &assumed.provider).text("Audience", &assumed.audience);
    Ok(xml.finish())
}

/// What a web identity token proves: this server's OpenID token, or an ID token of an OIDC
/// provider registered in IAM, whose audience must be one of the provider's client ids.
async fn web_identity_of(state: &AppState, token: &str) -> Result<WebIdentity, DomainError> {
    let claims = tokens::peek_claims(token).map_err(|_| DomainError::InvalidIdentityToken("The web identity token is not a valid JWT.".into()))?;
    let issuer = claims.get("iss").and_then(|value| value.as_str()).unwrap_or_default().to_string();
    if issuer == state.identity_pools.issuer() {
        return state.identity_pools.web_identity_of_openid_token(token).await;
    }
    let provider = state.iam.find_oidc_provider_by_issuer(&issuer).await?.ok_or_else(|| {
        DomainError::InvalidIdentityToken(format!("No OpenIDConnect provider found in your account for {issuer}"))
    })?;
    let verified = state.external.verify_oidc_token(&provider.issuer, token).await?;
    let audience = verified
        .audiences
        .iter()
        .find(|audience| provider.client_ids.contains(audience))
        .cloned()
        .ok_or_else(|| DomainError::InvalidIdentityToken("Incorrect token audience".into()))?;
    Ok(WebIdentity {
        principal: provider.arn.clone(),
        key_prefix: issuer_key(&provider.issuer).to_string(),
        provider: provider.issuer.clone(),
        subject: verified.subject,
        audience,
        amr: None,
    })
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

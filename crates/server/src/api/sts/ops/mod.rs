//! The STS handlers: AssumeRoleWithWebIdentity, AssumeRoleWithSAML, AssumeRole, GetSessionToken,
//! GetFederationToken, GetCallerIdentity and GetAccessKeyInfo.

use axum::http::StatusCode;
use cognate_domain::iam::saml::SamlAssumption;
use cognate_domain::iam::sts::AwsCaller;
use cognate_domain::iam::web_identity::web_identity_of;

use crate::api::sts::error::error_from_domain;
use crate::api::sts::wire::*;
use crate::auth::Principal;
use crate::aws::query::{QueryError, QueryInput};
use crate::state::AppState;

pub async fn assume_role_with_web_identity(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = AssumeRoleWithWebIdentityRequest::from_query(input)?;
    let identity = web_identity_of(&state.iam, &state.identity_pools, &state.external, &request.web_identity_token)
        .await
        .map_err(error_from_domain)?;
    let assumed = state
        .iam
        .assume_role_with_web_identity(
            &request.role_arn,
            &request.role_session_name,
            &identity,
            request.duration_seconds,
            request.policy.as_deref(),
            &request.policy_arns,
        )
        .await
        .map_err(error_from_domain)?;
    Ok(assumed_role_xml(&assumed))
}

/// AssumeRoleWithSAML: the response verified against the IAM SAML provider's metadata; an IdP
/// set up for AWS's sign-in (recipient `https://signin.aws.amazon.com/saml`) works unchanged, and
/// so does one pointed at this server's `<public URL>/saml`.
pub async fn assume_role_with_saml(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = AssumeRoleWithSamlRequest::from_query(input)?;
    let own_recipient = format!("{}/saml", state.config.public_url);
    let assumption = SamlAssumption {
        role_arn: &request.role_arn,
        principal_arn: &request.principal_arn,
        assertion: &request.saml_assertion,
        duration_seconds: request.duration_seconds,
        session_policy: request.policy.as_deref(),
        policy_arns: &request.policy_arns,
        own_recipient: &own_recipient,
    };
    let assumed = state.iam.assume_role_with_saml(assumption).await.map_err(error_from_domain)?;
    Ok(saml_assumed_role_xml(&assumed))
}

/// AssumeRole by an IAM user or a role session; the root may not assume roles, as in AWS. The
/// caller's policies were checked for `sts:AssumeRole` on the role before this runs.
pub async fn assume_role(state: &AppState, input: &QueryInput, principal: Option<&Principal>) -> Result<String, QueryError> {
    let request = AssumeRoleRequest::from_query(input)?;
    let caller = match principal {
        Some(Principal::User(signer)) => AwsCaller::User(&signer.user),
        Some(Principal::Session(session)) => AwsCaller::Session(session),
        _ => return Err(QueryError::new(StatusCode::FORBIDDEN, "AccessDenied", "Roles may not be assumed by root accounts.")),
    };
    let assumed = state
        .iam
        .assume_role(
            caller,
            &request.role_arn,
            &request.role_session_name,
            request.duration_seconds,
            request.policy.as_deref(),
            &request.policy_arns,
            (request.external_id.as_deref(), request.mfa.as_ref().map(|(serial, code)| (serial.as_str(), code.as_str()))),
            (&request.tags, &request.transitive_tag_keys),
            request.source_identity.as_deref(),
        )
        .await
        .map_err(error_from_domain)?;
    Ok(assume_role_xml(&assumed))
}

/// GetSessionToken, for an IAM user signing with one of its access keys (credentials that act as
/// the user; with SerialNumber and TokenCode, MFA proven by that device of the user) or for the
/// root key pair (credentials that act as the root, for an hour at most); session credentials
/// cannot ask for more, as in AWS.
pub async fn get_session_token(state: &AppState, input: &QueryInput, principal: Option<&Principal>) -> Result<String, QueryError> {
    let user = long_term_caller(principal, "GetSessionToken")?;
    let duration = input.integer("DurationSeconds")?;
    let mfa = match (input.get("SerialNumber"), input.get("TokenCode")) {
        (Some(serial), Some(code)) => Some((serial, code)),
        (None, None) => None,
        _ => return Err(QueryError::validation("SerialNumber and TokenCode must be given together.")),
    };
    let credentials = state.iam.get_session_token(user, duration, mfa).await.map_err(error_from_domain)?;
    Ok(session_token_xml(&credentials))
}

/// GetFederationToken, for an IAM user signing with one of its access keys or for the root key
/// pair: credentials of the federated user Name, allowed what both the caller's policies (all,
/// for the root) and the session policies (Policy, PolicyArns) allow, and nothing without them;
/// with session tags (Tags) when the user's policies allow `sts:TagSession`.
pub async fn get_federation_token(state: &AppState, input: &QueryInput, principal: Option<&Principal>) -> Result<String, QueryError> {
    let user = long_term_caller(principal, "GetFederationToken")?;
    let request = GetFederationTokenRequest::from_query(input)?;
    let (credentials, federated_user_id, arn, packed_policy_size) = state
        .iam
        .get_federation_token(user, &request.name, request.duration_seconds, (request.policy.as_deref(), &request.policy_arns), &request.tags)
        .await
        .map_err(error_from_domain)?;
    Ok(federation_token_xml(&credentials, &federated_user_id, &arn, packed_policy_size))
}

/// The IAM user signing with one of its access keys (`Some`), or the root key pair (`None`):
/// temporary credentials are not given more temporary credentials here.
fn long_term_caller<'a>(principal: Option<&'a Principal>, operation: &str) -> Result<Option<&'a cognate_domain::iam::IamUser>, QueryError> {
    match principal {
        Some(Principal::User(signer)) if signer.session.is_none() => Ok(Some(&signer.user)),
        Some(Principal::Root) => Ok(None),
        _ => Err(QueryError::new(StatusCode::FORBIDDEN, "AccessDenied", format!("Cannot call {operation} with session credentials."))),
    }
}

pub fn get_caller_identity(state: &AppState, principal: Option<&Principal>) -> String {
    let account = &state.config.account_id;
    let arn = principal.map_or_else(|| cognate_domain::ids::arn::iam_root(account), |principal| principal.arn(account));
    let user_id = match (principal, principal.and_then(Principal::federated_name)) {
        (_, Some(name)) => format!("{account}:{name}"),
        (Some(Principal::Session(session)), None) => session.assumed_role_id(),
        (Some(Principal::User(signer)), None) => signer.user.user_id.clone(),
        _ => account.clone(),
    };
    caller_identity_xml(&user_id, account, &arn)
}

/// GetAccessKeyInfo: the account an access key id belongs to (this deployment's, for every
/// well-formed key id, whoever's it is: the answer reveals nothing about the key).
pub fn get_access_key_info(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let key = input.required("AccessKeyId")?;
    if !(16..=128).contains(&key.len()) || !key.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        use cognate_domain::error::{Constraint, InvalidMember};
        let constraint = Constraint::PatternAndLength { pattern: "[\\w]+", min: 16, max: 128 };
        return Err(error_from_domain(InvalidMember::error("accessKeyId", key, constraint)));
    }
    Ok(crate::aws::query::Xml::new().text("Account", &state.config.account_id).finish())
}

/// DecodeAuthorizationMessage: cognate's services answer refusals in plain text, as Cognito, S3,
/// DynamoDB and API Gateway do, and issue no encoded authorization message; so no message given
/// here is one this service issued (InvalidAuthorizationMessageException, as AWS answers a
/// message it did not issue).
pub fn decode_authorization_message(input: &QueryInput) -> Result<String, QueryError> {
    let message = input.required("EncodedMessage")?;
    if message.is_empty() || message.chars().count() > 10_240 {
        use cognate_domain::error::{Constraint, InvalidMember};
        let constraint = Constraint::Length { min: 1, max: 10_240 };
        return Err(error_from_domain(InvalidMember::error("encodedMessage", message, constraint)));
    }
    Err(QueryError::new(StatusCode::BAD_REQUEST, "InvalidAuthorizationMessageException", "The encoded authorization message is not one this service issued."))
}

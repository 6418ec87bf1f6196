//! The cognito-idp API (`AWSCognitoIdentityProviderService.*`): the router over every operation
//! of the service model, the wire shapes, and the handlers grouped by family in `ops`.

pub mod error;
pub mod operations;
pub(crate) mod ops;
pub mod wire;

use async_trait::async_trait;
use axum::http::StatusCode;
use serde_json::Value;

use crate::aws::json::{parse_input, ApiError};
use crate::dispatch::{Answer, AwsApi, AwsRequest, OperationRef, Protocol, Refusal};
use crate::state::AppState;
pub use error::error_from_domain;
use operations::Operation;

/// The members that say which resource an operation acts on, read from the body by name and
/// nothing else.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceMembers {
    user_pool_id: Option<String>,
    resource_arn: Option<String>,
    domain: Option<String>,
    client_id: Option<String>,
}

impl ResourceMembers {
    /// The members of a body (none when it cannot be read: the operation refuses it later).
    fn of(body: &[u8]) -> ResourceMembers {
        parse_input(body).unwrap_or_default()
    }
}

/// The cognito-idp API as the generic server serves it.
pub struct IdpApi;

#[async_trait]
impl AwsApi for IdpApi {
    fn service(&self) -> &'static str {
        "cognito-idp"
    }

    fn protocol(&self) -> Protocol {
        Protocol::Json { target_prefix: "AWSCognitoIdentityProviderService" }
    }

    fn operation(&self, name: &str) -> Option<OperationRef> {
        Operation::lookup(name)
    }

    /// The resource a signed operation acts on, for the policy engine, from the member the
    /// operation itself acts on (AWS's service authorization reference): the user pool it names
    /// in `UserPoolId`, the domain's own pool for DescribeUserPoolDomain, the tagged ARN for
    /// tagging, and `*` for CreateUserPool and ListUserPools. Other members are never read.
    async fn resources(&self, state: &AppState, operation: OperationRef, request: &AwsRequest<'_>) -> Vec<String> {
        use Operation::*;
        let pool_arn = |pool_id: &str| cognate_domain::ids::arn::user_pool(cognate_domain::ids::region_of(pool_id), &state.config.account_id, pool_id);
        let members = ResourceMembers::of(request.body);
        let resource = match Operation::from_name(operation.name) {
            Some(CreateUserPool | ListUserPools) | None => "*".into(),
            Some(TagResource | UntagResource | ListTagsForResource) => members.resource_arn.unwrap_or_else(|| "*".into()),
            Some(DescribeUserPoolDomain) => match state.user_pools.describe_user_pool_domain(members.domain.as_deref().unwrap_or("")).await {
                Ok(Some(found)) => pool_arn(&found.pool_id),
                _ => "*".into(),
            },
            // Every other signed operation of the model names its pool in UserPoolId.
            Some(_) => members.user_pool_id.as_deref().map(pool_arn).unwrap_or_else(|| "*".into()),
        };
        vec![resource]
    }

    /// The guessable operations (passwords, codes, usernames) are limited per source address
    /// and per app client.
    fn admit(&self, state: &AppState, operation: OperationRef, request: &AwsRequest<'_>) -> Result<(), Refusal> {
        if crate::rate::guessable_idp_operation(operation.name) {
            let members = ResourceMembers::of(request.body);
            if !state.rate_limits.allow(request.peer, members.client_id.as_deref()) {
                return Err(Refusal::Json(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequestsException",
                    "Too many requests. Try again in a moment.",
                )));
            }
        }
        Ok(())
    }

    async fn handle(&self, state: &AppState, operation: OperationRef, request: AwsRequest<'_>) -> Result<Answer, Refusal> {
        let Some(operation) = Operation::from_name(operation.name) else {
            return Err(Refusal::Json(ApiError::client("UnknownOperationException", format!("Unknown operation {}.", operation.name))));
        };
        let metadata = client_metadata(request.body);
        let running = run(state, operation, request.body, request.region, request.peer);
        cognate_domain::user_pool::triggers::with_client_metadata(metadata, running).await.map(Answer::Json).map_err(Refusal::Json)
    }
}

/// The request's ClientMetadata (a map of strings, in every operation that takes it), handed to
/// the triggers the operation runs; the operation itself checks its shape.
fn client_metadata(body: &[u8]) -> std::collections::BTreeMap<String, String> {
    #[derive(serde::Deserialize)]
    struct WithMetadata {
        #[serde(rename = "ClientMetadata")]
        client_metadata: Option<std::collections::BTreeMap<String, String>>,
    }
    if !body.windows(14).any(|window| window == b"ClientMetadata") {
        return Default::default();
    }
    serde_json::from_slice::<WithMetadata>(body).ok().and_then(|input| input.client_metadata).unwrap_or_default()
}

/// An operation's future, boxed by itself: one `async fn` matching over every operation would be
/// as large as the largest of them (30 KiB), allocated and copied on every request.
type OperationFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, ApiError>> + Send + 'a>>;

/// Runs one operation on the request body. Authentication has been checked by the caller.
/// `region` is the one the request was signed for (the default region for unsigned ones): pools
/// are created and listed in it. `peer` is the caller's address (a remembered device's last one).
fn run<'a>(state: &'a AppState, operation: Operation, input: &'a [u8], region: &'a str, peer: Option<std::net::IpAddr>) -> OperationFuture<'a> {
    use Operation::*;
    match operation {
        CreateUserPool => Box::pin(ops::pools::create_user_pool(state, input, region)),
        DescribeUserPool => Box::pin(ops::pools::describe_user_pool(state, input)),
        UpdateUserPool => Box::pin(ops::pools::update_user_pool(state, input)),
        DeleteUserPool => Box::pin(ops::pools::delete_user_pool(state, input)),
        ListUserPools => Box::pin(ops::pools::list_user_pools(state, input, region)),
        AddCustomAttributes => Box::pin(ops::pools::add_custom_attributes(state, input)),
        TagResource => Box::pin(ops::pools::tag_resource(state, input)),
        UntagResource => Box::pin(ops::pools::untag_resource(state, input)),
        ListTagsForResource => Box::pin(ops::pools::list_tags_for_resource(state, input)),
        CreateUserPoolClient => Box::pin(ops::clients::create_user_pool_client(state, input)),
        DescribeUserPoolClient => Box::pin(ops::clients::describe_user_pool_client(state, input)),
        UpdateUserPoolClient => Box::pin(ops::clients::update_user_pool_client(state, input)),
        DeleteUserPoolClient => Box::pin(ops::clients::delete_user_pool_client(state, input)),
        ListUserPoolClients => Box::pin(ops::clients::list_user_pool_clients(state, input)),
        AdminCreateUser => Box::pin(ops::users::admin_create_user(state, input)),
        AdminGetUser => Box::pin(ops::users::admin_get_user(state, input)),
        AdminDeleteUser => Box::pin(ops::users::admin_delete_user(state, input)),
        AdminUpdateUserAttributes => Box::pin(ops::users::admin_update_user_attributes(state, input)),
        AdminDeleteUserAttributes => Box::pin(ops::users::admin_delete_user_attributes(state, input)),
        AdminDisableUser => Box::pin(ops::users::admin_set_enabled(state, input, false)),
        AdminEnableUser => Box::pin(ops::users::admin_set_enabled(state, input, true)),
        AdminSetUserPassword => Box::pin(ops::users::admin_set_user_password(state, input)),
        ListUsers => Box::pin(ops::users::list_users(state, input)),
        CreateGroup => Box::pin(ops::groups::create_group(state, input)),
        GetGroup => Box::pin(ops::groups::get_group(state, input)),
        UpdateGroup => Box::pin(ops::groups::update_group(state, input)),
        DeleteGroup => Box::pin(ops::groups::delete_group(state, input)),
        ListGroups => Box::pin(ops::groups::list_groups(state, input)),
        AdminAddUserToGroup => Box::pin(ops::groups::admin_add_user_to_group(state, input)),
        AdminRemoveUserFromGroup => Box::pin(ops::groups::admin_remove_user_from_group(state, input)),
        AdminListGroupsForUser => Box::pin(ops::groups::admin_list_groups_for_user(state, input)),
        ListUsersInGroup => Box::pin(ops::groups::list_users_in_group(state, input)),
        InitiateAuth => Box::pin(ops::auth::initiate_auth(state, input, false)),
        GetTokensFromRefreshToken => Box::pin(ops::auth::get_tokens_from_refresh_token(state, input)),
        AddUserPoolClientSecret => Box::pin(ops::clients::add_user_pool_client_secret(state, input)),
        ListUserPoolClientSecrets => Box::pin(ops::clients::list_user_pool_client_secrets(state, input)),
        DeleteUserPoolClientSecret => Box::pin(ops::clients::delete_user_pool_client_secret(state, input)),
        AdminInitiateAuth => Box::pin(ops::auth::initiate_auth(state, input, true)),
        RespondToAuthChallenge => Box::pin(ops::auth::respond_to_auth_challenge(state, input, false, peer)),
        AdminRespondToAuthChallenge => Box::pin(ops::auth::respond_to_auth_challenge(state, input, true, peer)),
        GetUser => Box::pin(ops::auth::get_user(state, input)),
        GetUserAuthFactors => Box::pin(ops::auth::get_user_auth_factors(state, input)),
        StartWebAuthnRegistration => Box::pin(ops::passkeys::start_web_authn_registration(state, input)),
        CompleteWebAuthnRegistration => Box::pin(ops::passkeys::complete_web_authn_registration(state, input)),
        ListWebAuthnCredentials => Box::pin(ops::passkeys::list_web_authn_credentials(state, input)),
        DeleteWebAuthnCredential => Box::pin(ops::passkeys::delete_web_authn_credential(state, input)),
        GlobalSignOut => Box::pin(ops::auth::global_sign_out(state, input)),
        AdminUserGlobalSignOut => Box::pin(ops::auth::admin_user_global_sign_out(state, input)),
        RevokeToken => Box::pin(ops::auth::revoke_token(state, input)),
        ChangePassword => Box::pin(ops::auth::change_password(state, input)),
        SignUp => Box::pin(ops::sign_up::sign_up(state, input)),
        ConfirmSignUp => Box::pin(ops::sign_up::confirm_sign_up(state, input)),
        ResendConfirmationCode => Box::pin(ops::sign_up::resend_confirmation_code(state, input)),
        AdminConfirmSignUp => Box::pin(ops::sign_up::admin_confirm_sign_up(state, input)),
        ForgotPassword => Box::pin(ops::sign_up::forgot_password(state, input)),
        ConfirmForgotPassword => Box::pin(ops::sign_up::confirm_forgot_password(state, input)),
        AdminResetUserPassword => Box::pin(ops::sign_up::admin_reset_user_password(state, input)),
        UpdateUserAttributes => Box::pin(ops::auth::update_user_attributes(state, input)),
        GetUserAttributeVerificationCode => Box::pin(ops::auth::get_user_attribute_verification_code(state, input)),
        VerifyUserAttribute => Box::pin(ops::auth::verify_user_attribute(state, input)),
        DeleteUserAttributes => Box::pin(ops::auth::delete_user_attributes(state, input)),
        DeleteUser => Box::pin(ops::auth::delete_user(state, input)),
        CreateResourceServer => Box::pin(ops::oauth::create_resource_server(state, input)),
        DescribeResourceServer => Box::pin(ops::oauth::describe_resource_server(state, input)),
        UpdateResourceServer => Box::pin(ops::oauth::update_resource_server(state, input)),
        DeleteResourceServer => Box::pin(ops::oauth::delete_resource_server(state, input)),
        ListResourceServers => Box::pin(ops::oauth::list_resource_servers(state, input)),
        CreateUserPoolDomain => Box::pin(ops::hosted::create_user_pool_domain(state, input)),
        DescribeUserPoolDomain => Box::pin(ops::hosted::describe_user_pool_domain(state, input)),
        UpdateUserPoolDomain => Box::pin(ops::hosted::update_user_pool_domain(state, input)),
        DeleteUserPoolDomain => Box::pin(ops::hosted::delete_user_pool_domain(state, input)),
        SetUICustomization => Box::pin(ops::hosted::set_ui_customization(state, input)),
        GetUICustomization => Box::pin(ops::hosted::get_ui_customization(state, input)),
        CreateIdentityProvider => Box::pin(ops::hosted::create_identity_provider(state, input)),
        DescribeIdentityProvider => Box::pin(ops::hosted::describe_identity_provider(state, input)),
        GetSigningCertificate => Box::pin(ops::hosted::get_signing_certificate(state, input)),
        UpdateIdentityProvider => Box::pin(ops::hosted::update_identity_provider(state, input)),
        DeleteIdentityProvider => Box::pin(ops::hosted::delete_identity_provider(state, input)),
        ListIdentityProviders => Box::pin(ops::hosted::list_identity_providers(state, input)),
        GetIdentityProviderByIdentifier => Box::pin(ops::hosted::get_identity_provider_by_identifier(state, input)),
        AdminLinkProviderForUser => Box::pin(ops::hosted::admin_link_provider_for_user(state, input)),
        AdminDisableProviderForUser => Box::pin(ops::hosted::admin_disable_provider_for_user(state, input)),
        SetUserPoolMfaConfig => Box::pin(ops::mfa::set_user_pool_mfa_config(state, input)),
        GetUserPoolMfaConfig => Box::pin(ops::mfa::get_user_pool_mfa_config(state, input)),
        SetUserMFAPreference => Box::pin(ops::mfa::set_user_mfa_preference(state, input, false)),
        AdminSetUserMFAPreference => Box::pin(ops::mfa::set_user_mfa_preference(state, input, true)),
        SetUserSettings => Box::pin(ops::mfa::set_user_settings(state, input, false)),
        AdminSetUserSettings => Box::pin(ops::mfa::set_user_settings(state, input, true)),
        AssociateSoftwareToken => Box::pin(ops::mfa::associate_software_token(state, input)),
        VerifySoftwareToken => Box::pin(ops::mfa::verify_software_token(state, input)),
        ConfirmDevice => Box::pin(ops::devices::confirm_device(state, input, peer)),
        GetDevice => Box::pin(ops::devices::get_device(state, input, false)),
        AdminGetDevice => Box::pin(ops::devices::get_device(state, input, true)),
        ListDevices => Box::pin(ops::devices::list_devices(state, input, false)),
        AdminListDevices => Box::pin(ops::devices::list_devices(state, input, true)),
        ForgetDevice => Box::pin(ops::devices::forget_device(state, input, false)),
        AdminForgetDevice => Box::pin(ops::devices::forget_device(state, input, true)),
        UpdateDeviceStatus => Box::pin(ops::devices::update_device_status(state, input, false)),
        AdminUpdateDeviceStatus => Box::pin(ops::devices::update_device_status(state, input, true)),
        GetCSVHeader => Box::pin(ops::import::get_csv_header(state, input)),
        CreateUserImportJob => Box::pin(ops::import::create_user_import_job(state, input)),
        StartUserImportJob => Box::pin(ops::import::start_user_import_job(state, input)),
        StopUserImportJob => Box::pin(ops::import::stop_user_import_job(state, input)),
        DescribeUserImportJob => Box::pin(ops::import::describe_user_import_job(state, input)),
        ListUserImportJobs => Box::pin(ops::import::list_user_import_jobs(state, input)),
        AdminListUserAuthEvents => Box::pin(ops::events::admin_list_user_auth_events(state, input)),
        AdminUpdateAuthEventFeedback => Box::pin(ops::events::update_auth_event_feedback(state, input, true)),
        UpdateAuthEventFeedback => Box::pin(ops::events::update_auth_event_feedback(state, input, false)),
        other => Box::pin(std::future::ready(Err(not_implemented(other)))),
    }
}

/// The one answer of every operation the router knows but cognate does not implement yet.
fn not_implemented(operation: Operation) -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplementedException",
        format!("cognate does not implement {} yet; see docs/compat/cognito-idp.md.", operation.name()),
    )
}

/// The operations `handle` implements, for the compatibility table and its test.
pub const IMPLEMENTED: &[Operation] = &[
    Operation::GetCSVHeader,
    Operation::CreateUserImportJob,
    Operation::StartUserImportJob,
    Operation::StopUserImportJob,
    Operation::DescribeUserImportJob,
    Operation::ListUserImportJobs,
    Operation::SetUserPoolMfaConfig,
    Operation::GetUserPoolMfaConfig,
    Operation::SetUserMFAPreference,
    Operation::AdminSetUserMFAPreference,
    Operation::SetUserSettings,
    Operation::AdminSetUserSettings,
    Operation::AssociateSoftwareToken,
    Operation::VerifySoftwareToken,
    Operation::ConfirmDevice,
    Operation::GetDevice,
    Operation::AdminGetDevice,
    Operation::ListDevices,
    Operation::AdminListDevices,
    Operation::AdminListUserAuthEvents,
    Operation::AdminUpdateAuthEventFeedback,
    Operation::UpdateAuthEventFeedback,
    Operation::ForgetDevice,
    Operation::AdminForgetDevice,
    Operation::UpdateDeviceStatus,
    Operation::AdminUpdateDeviceStatus,
    Operation::GetUserAuthFactors,
    Operation::StartWebAuthnRegistration,
    Operation::CompleteWebAuthnRegistration,
    Operation::ListWebAuthnCredentials,
    Operation::DeleteWebAuthnCredential,
    Operation::GetTokensFromRefreshToken,
    Operation::AddUserPoolClientSecret,
    Operation::ListUserPoolClientSecrets,
    Operation::DeleteUserPoolClientSecret,
    Operation::CreateUserPool,
    Operation::DescribeUserPool,
    Operation::UpdateUserPool,
    Operation::DeleteUserPool,
    Operation::ListUserPools,
    Operation::AddCustomAttributes,
    Operation::TagResource,
    Operation::UntagResource,
    Operation::ListTagsForResource,
    Operation::CreateUserPoolClient,
    Operation::DescribeUserPoolClient,
    Operation::UpdateUserPoolClient,
    Operation::DeleteUserPoolClient,
    Operation::ListUserPoolClients,
    Operation::AdminCreateUser,
    Operation::AdminGetUser,
    Operation::AdminDeleteUser,
    Operation::AdminUpdateUserAttributes,
    Operation::AdminDeleteUserAttributes,
    Operation::AdminDisableUser,
    Operation::AdminEnableUser,
    Operation::AdminSetUserPassword,
    Operation::ListUsers,
    Operation::CreateGroup,
    Operation::GetGroup,
    Operation::UpdateGroup,
    Operation::DeleteGroup,
    Operation::ListGroups,
    Operation::AdminAddUserToGroup,
    Operation::AdminRemoveUserFromGroup,
    Operation::AdminListGroupsForUser,
    Operation::ListUsersInGroup,
    Operation::InitiateAuth,
    Operation::AdminInitiateAuth,
    Operation::RespondToAuthChallenge,
    Operation::AdminRespondToAuthChallenge,
    Operation::GetUser,
    Operation::GlobalSignOut,
    Operation::AdminUserGlobalSignOut,
    Operation::RevokeToken,
    Operation::ChangePassword,
    Operation::SignUp,
    Operation::ConfirmSignUp,
    Operation::ResendConfirmationCode,
    Operation::AdminConfirmSignUp,
    Operation::ForgotPassword,
    Operation::ConfirmForgotPassword,
    Operation::AdminResetUserPassword,
    Operation::UpdateUserAttributes,
    Operation::GetUserAttributeVerificationCode,
    Operation::VerifyUserAttribute,
    Operation::DeleteUserAttributes,
    Operation::DeleteUser,
    Operation::CreateResourceServer,
    Operation::DescribeResourceServer,
    Operation::UpdateResourceServer,
    Operation::DeleteResourceServer,
    Operation::ListResourceServers,
    Operation::CreateUserPoolDomain,
    Operation::DescribeUserPoolDomain,
    Operation::UpdateUserPoolDomain,
    Operation::DeleteUserPoolDomain,
    Operation::SetUICustomization,
    Operation::GetUICustomization,
    Operation::CreateIdentityProvider,
    Operation::DescribeIdentityProvider,
    Operation::GetSigningCertificate,
    Operation::UpdateIdentityProvider,
    Operation::DeleteIdentityProvider,
    Operation::ListIdentityProviders,
    Operation::GetIdentityProviderByIdentifier,
    Operation::AdminLinkProviderForUser,
    Operation::AdminDisableProviderForUser,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/compat/cognito-idp.md lists every operation of the router with the right status.
    #[test]
    fn compat_table_matches_the_router() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/cognito-idp.md")).unwrap();
        for operation in Operation::ALL {
            let row = table
                .lines()
                .find(|line| line.starts_with(&format!("| {} |", operation.name())))
                .unwrap_or_else(|| panic!("{} has no row in docs/compat/cognito-idp.md", operation.name()));
            let status = row.split('|').nth(3).unwrap().trim();
            if IMPLEMENTED.contains(operation) {
                assert!(status == "implemented" || status == "partial", "{} is implemented but listed as {status}", operation.name());
            } else {
                assert_eq!(status, "not yet", "{} is not implemented but listed as {status}", operation.name());
            }
        }
        assert_eq!(Operation::ALL.len(), 122);
    }

    #[test]
    fn every_operation_name_round_trips() {
        for operation in Operation::ALL {
            assert_eq!(Operation::from_name(operation.name()), Some(*operation));
        }
        assert_eq!(Operation::from_name("AdminGetUser").map(Operation::authentication), Some(operations::Authentication::Signed));
        assert_eq!(Operation::from_name("InitiateAuth").map(Operation::authentication), Some(operations::Authentication::Unsigned));
    }
}

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

/// Runs one operation on the request body. Authentication has been checked by the caller.
/// `region` is the one the request was signed for (the default region for unsigned ones): pools
/// are created and listed in it. `peer` is the caller's address (a remembered device's last one).
async fn run(state: &AppState, operation: Operation, input: &[u8], region: &str, peer: Option<std::net::IpAddr>) -> Result<Value, ApiError> {
    use Operation::*;
    match operation {
        CreateUserPool => ops::pools::create_user_pool(state, input, region).await,
        DescribeUserPool => ops::pools::describe_user_pool(state, input).await,
        UpdateUserPool => ops::pools::update_user_pool(state, input).await,
        DeleteUserPool => ops::pools::delete_user_pool(state, input).await,
        ListUserPools => ops::pools::list_user_pools(state, input, region).await,
        AddCustomAttributes => ops::pools::add_custom_attributes(state, input).await,
        TagResource => ops::pools::tag_resource(state, input).await,
        UntagResource => ops::pools::untag_resource(state, input).await,
        ListTagsForResource => ops::pools::list_tags_for_resource(state, input).await,
        CreateUserPoolClient => ops::clients::create_user_pool_client(state, input).await,
        DescribeUserPoolClient => ops::clients::describe_user_pool_client(state, input).await,
        UpdateUserPoolClient => ops::clients::update_user_pool_client(state, input).await,
        DeleteUserPoolClient => ops::clients::delete_user_pool_client(state, input).await,
        ListUserPoolClients => ops::clients::list_user_pool_clients(state, input).await,
        AdminCreateUser => ops::users::admin_create_user(state, input).await,
        AdminGetUser => ops::users::admin_get_user(state, input).await,
        AdminDeleteUser => ops::users::admin_delete_user(state, input).await,
        AdminUpdateUserAttributes => ops::users::admin_update_user_attributes(state, input).await,
        AdminDeleteUserAttributes => ops::users::admin_delete_user_attributes(state, input).await,
        AdminDisableUser => ops::users::admin_set_enabled(state, input, false).await,
        AdminEnableUser => ops::users::admin_set_enabled(state, input, true).await,
        AdminSetUserPassword => ops::users::admin_set_user_password(state, input).await,
        ListUsers => ops::users::list_users(state, input).await,
        CreateGroup => ops::groups::create_group(state, input).await,
        GetGroup => ops::groups::get_group(state, input).await,
        UpdateGroup => ops::groups::update_group(state, input).await,
        DeleteGroup => ops::groups::delete_group(state, input).await,
        ListGroups => ops::groups::list_groups(state, input).await,
        AdminAddUserToGroup => ops::groups::admin_add_user_to_group(state, input).await,
        AdminRemoveUserFromGroup => ops::groups::admin_remove_user_from_group(state, input).await,
        AdminListGroupsForUser => ops::groups::admin_list_groups_for_user(state, input).await,
        ListUsersInGroup => ops::groups::list_users_in_group(state, input).await,
        InitiateAuth => ops::auth::initiate_auth(state, input, false).await,
        GetTokensFromRefreshToken => ops::auth::get_tokens_from_refresh_token(state, input).await,
        AddUserPoolClientSecret => ops::clients::add_user_pool_client_secret(state, input).await,
        ListUserPoolClientSecrets => ops::clients::list_user_pool_client_secrets(state, input).await,
        DeleteUserPoolClientSecret => ops::clients::delete_user_pool_client_secret(state, input).await,
        AdminInitiateAuth => ops::auth::initiate_auth(state, input, true).await,
        RespondToAuthChallenge => ops::auth::respond_to_auth_challenge(state, input, false, peer).await,
        AdminRespondToAuthChallenge => ops::auth::respond_to_auth_challenge(state, input, true, peer).await,
        GetUser => ops::auth::get_user(state, input).await,
        GetUserAuthFactors => ops::auth::get_user_auth_factors(state, input).await,
        StartWebAuthnRegistration => ops::passkeys::start_web_authn_registration(state, input).await,
        CompleteWebAuthnRegistration => ops::passkeys::complete_web_authn_registration(state, input).await,
        ListWebAuthnCredentials => ops::passkeys::list_web_authn_credentials(state, input).await,
        DeleteWebAuthnCredential => ops::passkeys::delete_web_authn_credential(state, input).await,
        GlobalSignOut => ops::auth::global_sign_out(state, input).await,
        AdminUserGlobalSignOut => ops::auth::admin_user_global_sign_out(state, input).await,
        RevokeToken => ops::auth::revoke_token(state, input).await,
        ChangePassword => ops::auth::change_password(state, input).await,
        SignUp => ops::sign_up::sign_up(state, input).await,
        ConfirmSignUp => ops::sign_up::confirm_sign_up(state, input).await,
        ResendConfirmationCode => ops::sign_up::resend_confirmation_code(state, input).await,
        AdminConfirmSignUp => ops::sign_up::admin_confirm_sign_up(state, input).await,
        ForgotPassword => ops::sign_up::forgot_password(state, input).await,
        ConfirmForgotPassword => ops::sign_up::confirm_forgot_password(state, input).await,
        AdminResetUserPassword => ops::sign_up::admin_reset_user_password(state, input).await,
        UpdateUserAttributes => ops::auth::update_user_attributes(state, input).await,
        GetUserAttributeVerificationCode => ops::auth::get_user_attribute_verification_code(state, input).await,
        VerifyUserAttribute => ops::auth::verify_user_attribute(state, input).await,
        DeleteUserAttributes => ops::auth::delete_user_attributes(state, input).await,
        DeleteUser => ops::auth::delete_user(state, input).await,
        CreateResourceServer => ops::oauth::create_resource_server(state, input).await,
        DescribeResourceServer => ops::oauth::describe_resource_server(state, input).await,
        UpdateResourceServer => ops::oauth::update_resource_server(state, input).await,
        DeleteResourceServer => ops::oauth::delete_resource_server(state, input).await,
        ListResourceServers => ops::oauth::list_resource_servers(state, input).await,
        CreateUserPoolDomain => ops::hosted::create_user_pool_domain(state, input).await,
        DescribeUserPoolDomain => ops::hosted::describe_user_pool_domain(state, input).await,
        UpdateUserPoolDomain => ops::hosted::update_user_pool_domain(state, input).await,
        DeleteUserPoolDomain => ops::hosted::delete_user_pool_domain(state, input).await,
        SetUICustomization => ops::hosted::set_ui_customization(state, input).await,
        GetUICustomization => ops::hosted::get_ui_customization(state, input).await,
        CreateIdentityProvider => ops::hosted::create_identity_provider(state, input).await,
        DescribeIdentityProvider => ops::hosted::describe_identity_provider(state, input).await,
        GetSigningCertificate => ops::hosted::get_signing_certificate(state, input).await,
        UpdateIdentityProvider => ops::hosted::update_identity_provider(state, input).await,
        DeleteIdentityProvider => ops::hosted::delete_identity_provider(state, input).await,
        ListIdentityProviders => ops::hosted::list_identity_providers(state, input).await,
        GetIdentityProviderByIdentifier => ops::hosted::get_identity_provider_by_identifier(state, input).await,
        AdminLinkProviderForUser => ops::hosted::admin_link_provider_for_user(state, input).await,
        AdminDisableProviderForUser => ops::hosted::admin_disable_provider_for_user(state, input).await,
        SetUserPoolMfaConfig => ops::mfa::set_user_pool_mfa_config(state, input).await,
        GetUserPoolMfaConfig => ops::mfa::get_user_pool_mfa_config(state, input).await,
        SetUserMFAPreference => ops::mfa::set_user_mfa_preference(state, input, false).await,
        AdminSetUserMFAPreference => ops::mfa::set_user_mfa_preference(state, input, true).await,
        SetUserSettings => ops::mfa::set_user_settings(state, input, false).await,
        AdminSetUserSettings => ops::mfa::set_user_settings(state, input, true).await,
        AssociateSoftwareToken => ops::mfa::associate_software_token(state, input).await,
        VerifySoftwareToken => ops::mfa::verify_software_token(state, input).await,
        ConfirmDevice => ops::devices::confirm_device(state, input, peer).await,
        GetDevice => ops::devices::get_device(state, input, false).await,
        AdminGetDevice => ops::devices::get_device(state, input, true).await,
        ListDevices => ops::devices::list_devices(state, input, false).await,
        AdminListDevices => ops::devices::list_devices(state, input, true).await,
        ForgetDevice => ops::devices::forget_device(state, input, false).await,
        AdminForgetDevice => ops::devices::forget_device(state, input, true).await,
        UpdateDeviceStatus => ops::devices::update_device_status(state, input, false).await,
        AdminUpdateDeviceStatus => ops::devices::update_device_status(state, input, true).await,
        GetCSVHeader => ops::import::get_csv_header(state, input).await,
        CreateUserImportJob => ops::import::create_user_import_job(state, input).await,
        StartUserImportJob => ops::import::start_user_import_job(state, input).await,
        StopUserImportJob => ops::import::stop_user_import_job(state, input).await,
        DescribeUserImportJob => ops::import::describe_user_import_job(state, input).await,
        ListUserImportJobs => ops::import::list_user_import_jobs(state, input).await,
        AdminListUserAuthEvents => ops::events::admin_list_user_auth_events(state, input).await,
        AdminUpdateAuthEventFeedback => ops::events::update_auth_event_feedback(state, input, true).await,
        UpdateAuthEventFeedback => ops::events::update_auth_event_feedback(state, input, false).await,
        other => Err(not_implemented(other)),
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

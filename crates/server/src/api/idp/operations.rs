//! Every operation of the cognito-idp service model (botocore's `cognito-idp` 2016-04-18), with
//! whether Cognito requires a SigV4 signature for it. The router knows them all; the ones not
//! implemented yet answer one explicit error.

/// How a caller authenticates to an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// SigV4 with an access key (the `Admin*` family and pool management).
    Signed,
    /// No signature: by client id, access token or session (`"authtype": "none"` in the model).
    Unsigned,
}

macro_rules! operations {
    ($($name:ident => $auth:ident,)*) => {
        /// A cognito-idp operation, named as in the service model.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation {
            $($name,)*
        }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$name,)*];

            pub fn from_name(name: &str) -> Option<Operation> {
                match name {
                    $(stringify!($name) => Some(Operation::$name),)*
                    _ => None,
                }
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name),)*
                }
            }

            pub fn authentication(self) -> Authentication {
                match self {
                    $(Operation::$name => operations!(@auth $auth),)*
                }
            }
        }
    };
    (@auth signed) => { Authentication::Signed };
    (@auth unsigned) => { Authentication::Unsigned };
}

operations! {
    AddCustomAttributes => signed,
    AddUserPoolClientSecret => signed,
    AdminAddUserToGroup => signed,
    AdminConfirmSignUp => signed,
    AdminCreateUser => signed,
    AdminDeleteUser => signed,
    AdminDeleteUserAttributes => signed,
    AdminDisableProviderForUser => signed,
    AdminDisableUser => signed,
    AdminEnableUser => signed,
    AdminForgetDevice => signed,
    AdminGetDevice => signed,
    AdminGetUser => signed,
    AdminInitiateAuth => signed,
    AdminLinkProviderForUser => signed,
    AdminListDevices => signed,
    AdminListGroupsForUser => signed,
    AdminListUserAuthEvents => signed,
    AdminRemoveUserFromGroup => signed,
    AdminResetUserPassword => signed,
    AdminRespondToAuthChallenge => signed,
    AdminSetUserMFAPreference => signed,
    AdminSetUserPassword => signed,
    AdminSetUserSettings => signed,
    AdminUpdateAuthEventFeedback => signed,
    AdminUpdateDeviceStatus => signed,
    AdminUpdateUserAttributes => signed,
    AdminUserGlobalSignOut => signed,
    AssociateSoftwareToken => unsigned,
    ChangePassword => unsigned,
    CompleteWebAuthnRegistration => unsigned,
    ConfirmDevice => unsigned,
    ConfirmForgotPassword => unsigned,
    ConfirmSignUp => unsigned,
    CreateGroup => signed,
    CreateIdentityProvider => signed,
    CreateManagedLoginBranding => signed,
    CreateResourceServer => signed,
    CreateTerms => signed,
    CreateUserImportJob => signed,
    CreateUserPool => signed,
    CreateUserPoolClient => signed,
    CreateUserPoolDomain => signed,
    DeleteGroup => signed,
    DeleteIdentityProvider => signed,
    DeleteManagedLoginBranding => signed,
    DeleteResourceServer => signed,
    DeleteTerms => signed,
    DeleteUser => unsigned,
    DeleteUserAttributes => unsigned,
    DeleteUserPool => signed,
    DeleteUserPoolClient => signed,
    DeleteUserPoolClientSecret => signed,
    DeleteUserPoolDomain => signed,
    DeleteWebAuthnCredential => unsigned,
    DescribeIdentityProvider => signed,
    DescribeManagedLoginBranding => signed,
    DescribeManagedLoginBrandingByClient => signed,
    DescribeResourceServer => signed,
    DescribeRiskConfiguration => signed,
    DescribeTerms => signed,
    DescribeUserImportJob => signed,
    DescribeUserPool => signed,
    DescribeUserPoolClient => signed,
    DescribeUserPoolDomain => signed,
    ForgetDevice => unsigned,
    ForgotPassword => unsigned,
    GetCSVHeader => signed,
    GetDevice => unsigned,
    GetGroup => signed,
    GetIdentityProviderByIdentifier => signed,
    GetLogDeliveryConfiguration => signed,
    GetSigningCertificate => signed,
    GetTokensFromRefreshToken => unsigned,
    GetUICustomization => signed,
    GetUser => unsigned,
    GetUserAttributeVerificationCode => unsigned,
    GetUserAuthFactors => unsigned,
    GetUserPoolMfaConfig => signed,
    GlobalSignOut => unsigned,
    InitiateAuth => unsigned,
    ListDevices => unsigned,
    ListGroups => signed,
    ListIdentityProviders => signed,
    ListResourceServers => signed,
    ListTagsForResource => signed,
    ListTerms => signed,
    ListUserImportJobs => signed,
    ListUserPoolClientSecrets => signed,
    ListUserPoolClients => signed,
    ListUserPools => signed,
    ListUsers => signed,
    ListUsersInGroup => signed,
    ListWebAuthnCredentials => unsigned,
    ResendConfirmationCode => unsigned,
    RespondToAuthChallenge => unsigned,
    RevokeToken => unsigned,
    SetLogDeliveryConfiguration => signed,
    SetRiskConfiguration => signed,
    SetUICustomization => signed,
    SetUserMFAPreference => unsigned,
    SetUserPoolMfaConfig => signed,
    SetUserSettings => unsigned,
    SignUp => unsigned,
    StartUserImportJob => signed,
    StartWebAuthnRegistration => unsigned,
    StopUserImportJob => signed,
    TagResource => signed,
    UntagResource => signed,
    UpdateAuthEventFeedback => unsigned,
    UpdateDeviceStatus => unsigned,
    UpdateGroup => signed,
    UpdateIdentityProvider => signed,
    UpdateManagedLoginBranding => signed,
    UpdateResourceServer => signed,
    UpdateTerms => signed,
    UpdateUserAttributes => unsigned,
    UpdateUserPool => signed,
    UpdateUserPoolClient => signed,
    UpdateUserPoolDomain => signed,
    VerifySoftwareToken => unsigned,
    VerifyUserAttribute => unsigned,
}

//! Every action of botocore's STS model (2011-06-15), with whether it is signed:
//! AssumeRoleWithWebIdentity and AssumeRoleWithSAML are not, as in AWS.

use crate::aws::operations::operations;

operations! {
    AssumeRoleWithWebIdentity => unsigned,
    GetCallerIdentity => signed,
    AssumeRole => signed,
    AssumeRoleWithSAML => unsigned,
    AssumeRoot => signed,
    DecodeAuthorizationMessage => signed,
    GetAccessKeyInfo => signed,
    GetDelegatedAccessToken => signed,
    GetFederationToken => signed,
    GetSessionToken => signed,
    GetWebIdentityToken => signed,
}

/// The actions cognate implements; the others answer NotImplemented.
pub const IMPLEMENTED: &[Operation] =
    &[Operation::AssumeRole, Operation::AssumeRoleWithWebIdentity, Operation::AssumeRoleWithSAML, Operation::GetCallerIdentity, Operation::GetAccessKeyInfo, Operation::GetSessionToken, Operation::GetFederationToken, Operation::DecodeAuthorizationMessage];

//! Every operation of the cognito-identity service model (botocore's `cognito-identity`
//! 2014-06-30), with whether it is signed: GetId, GetCredentialsForIdentity, GetOpenIdToken and
//! UnlinkIdentity are unsigned, as in Cognito.

use crate::aws::operations::operations;

operations! {
    CreateIdentityPool => signed,
    DeleteIdentities => signed,
    DeleteIdentityPool => signed,
    DescribeIdentity => signed,
    DescribeIdentityPool => signed,
    GetCredentialsForIdentity => unsigned,
    GetId => unsigned,
    GetIdentityPoolRoles => signed,
    GetOpenIdToken => unsigned,
    GetOpenIdTokenForDeveloperIdentity => signed,
    GetPrincipalTagAttributeMap => signed,
    ListIdentities => signed,
    ListIdentityPools => signed,
    ListTagsForResource => signed,
    LookupDeveloperIdentity => signed,
    MergeDeveloperIdentities => signed,
    SetIdentityPoolRoles => signed,
    SetPrincipalTagAttributeMap => signed,
    TagResource => signed,
    UnlinkDeveloperIdentity => signed,
    UnlinkIdentity => unsigned,
    UntagResource => signed,
    UpdateIdentityPool => signed,
}

/// The operations cognate does not implement (they answer NotImplementedException).
pub const NOT_IMPLEMENTED: &[Operation] = &[];

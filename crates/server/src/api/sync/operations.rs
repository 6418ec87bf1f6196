//! Every operation of the cognito-sync service model (botocore's `cognito-sync` 2014-06-30), all
//! signed, and who may call which: the developer operations take the root credentials, the
//! device operations an identity's own credentials.

use crate::aws::operations::operations;

operations! {
    BulkPublish => signed,
    DeleteDataset => signed,
    DescribeDataset => signed,
    DescribeIdentityPoolUsage => signed,
    DescribeIdentityUsage => signed,
    GetBulkPublishDetails => signed,
    GetCognitoEvents => signed,
    GetIdentityPoolConfiguration => signed,
    ListDatasets => signed,
    ListIdentityPoolUsage => signed,
    ListRecords => signed,
    RegisterDevice => signed,
    SetCognitoEvents => signed,
    SetIdentityPoolConfiguration => signed,
    SubscribeToDataset => signed,
    UnsubscribeFromDataset => signed,
    UpdateRecords => signed,
}

/// The operations that answer NotImplementedException.
pub const NOT_IMPLEMENTED: &[Operation] = &[];

/// Operations only developer (root) credentials may call.
pub const DEVELOPER_ONLY: &[Operation] = &[
    Operation::BulkPublish,
    Operation::GetBulkPublishDetails,
    Operation::GetCognitoEvents,
    Operation::SetCognitoEvents,
    Operation::GetIdentityPoolConfiguration,
    Operation::SetIdentityPoolConfiguration,
    Operation::ListIdentityPoolUsage,
];

/// Operations only an identity's own credentials may call.
pub const IDENTITY_ONLY: &[Operation] = &[Operation::RegisterDevice, Operation::SubscribeToDataset, Operation::UnsubscribeFromDataset];

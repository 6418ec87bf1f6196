//! What the service's operations take and give beyond the stored records: the inputs of
//! CreateUserPool, AdminCreateUser and the group updates, and a page of results.

use super::attributes::SchemaAttributeInput;
use super::types::{Attribute, UserPoolSettings};

/// What CreateUserPool receives, with the settings already defaulted by the caller.
#[derive(Debug, Clone)]
pub struct CreateUserPoolInput {
    pub settings: UserPoolSettings,
    pub schema: Vec<SchemaAttributeInput>,
    pub alias_attributes: Vec<String>,
    pub username_attributes: Vec<String>,
    pub case_sensitive: Option<bool>,
}

/// How AdminCreateUser should treat the invitation message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAction {
    Send,
    Resend,
    Suppress,
}

#[derive(Debug, Clone)]
pub struct AdminCreateUserInput {
    pub username: String,
    pub attributes: Vec<Attribute>,
    pub temporary_password: Option<String>,
    pub message_action: MessageAction,
    pub force_alias_creation: bool,
    pub desired_delivery_mediums: Vec<String>,
    /// ValidationData and ClientMetadata, for the PreSignUp trigger.
    pub trigger_data: TriggerData,
}

/// Optional members of UpdateGroup: only the ones given change.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<u32>,
}

/// A page of results and the token for the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// What an API call hands its triggers: ValidationData and ClientMetadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerData {
    pub validation_data: std::collections::BTreeMap<String, String>,
    pub client_metadata: std::collections::BTreeMap<String, String>,
}

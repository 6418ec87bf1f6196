//! The Cognito Identity API (`AWSCognitoIdentityService.*`, AWS JSON 1.1): identity pools and
//! their roles (signed), identities and the trade of logins for credentials or OpenID tokens
//! (GetId, GetCredentialsForIdentity, GetOpenIdToken and UnlinkIdentity are unsigned, as in
//! Cognito), and developer-authenticated identities (signed).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use cognate_domain::identity_pool::{CognitoProvider, Identity, IdentityPool, IdentityPoolSettings, MappingRule, RoleMapping};
use cognate_domain::DomainError;

use crate::state::AppState;
use crate::aws::json::{parse_input, timestamp, ApiError};

/// Every operation of the cognito-identity model, and whether it is signed.
pub const OPERATIONS: &[(&str, bool)] = &[
    ("CreateIdentityPool", true),
    ("DeleteIdentities", true),
    ("DeleteIdentityPool", true),
    ("DescribeIdentity", true),
    ("DescribeIdentityPool", true),
    ("GetCredentialsForIdentity", false),
    ("GetId", false),
    ("GetIdentityPoolRoles", true),
    ("GetOpenIdToken", false),
    ("GetOpenIdTokenForDeveloperIdentity", true),
    ("GetPrincipalTagAttributeMap", true),
    ("ListIdentities", true),
    ("ListIdentityPools", true),
    ("ListTagsForResource", true),
    ("LookupDeveloperIdentity", true),
    ("MergeDeveloperIdentities", true),
    ("SetIdentityPoolRoles", true),
    ("SetPrincipalTagAttributeMap", true),
    ("TagResource", true),
    ("UnlinkDeveloperIdentity", true),
    ("UnlinkIdentity", false),
    ("UntagResource", true),
    ("UpdateIdentityPool", true),
];

/// The operations cognate does not implement (they answer NotImplementedException).
pub const NOT_IMPLEMENTED: &[&str] = &["GetPrincipalTagAttributeMap", "SetPrincipalTagAttributeMap"];

/// The operation's static name and whether it is signed.
pub fn operation(name: &str) -> Option<(&'static str, bool)> {
    OPERATIONS.iter().find(|(known, _)| *known == name).copied()
}

/// Maps a domain error to the Cognito Identity exception a client expects.
pub fn error_from_domain(error: DomainError) -> ApiError {
    match error {
        DomainError::NotFound(message) | DomainError::UserNotFound(message) => ApiError::client("ResourceNotFoundException", message),
        // A member outside the model's constraints (length, pattern, range, required) is the
        // protocol's ValidationException, as the service answers it; other refusals of a
        // parameter are InvalidParameterException.
        DomainError::InvalidParameter(message) if message.starts_with("1 validation error detected") => {
            ApiError::client("ValidationException", message)
        }
        DomainError::InvalidParameter(message)
        | DomainError::InvalidPassword(message)
        | DomainError::PasswordReused(message)
        | DomainError::MalformedPolicy(message) => {
            ApiError::client("InvalidParameterException", message)
        }
        DomainError::NotAuthorized(message)
        | DomainError::InvalidIdentityToken(message)
        | DomainError::ExpiredToken(message)
        | DomainError::AccessDenied(message)
        | DomainError::UnauthorizedClient(message)
        | DomainError::UserNotConfirmed(message)
        | DomainError::PasswordResetRequired(message)
        | DomainError::UnsupportedUserState(message) => ApiError::client("NotAuthorizedException", message),
        DomainError::Conflict(message)
        | DomainError::InUse(message)
        | DomainError::GroupExists(message)
        | DomainError::UsernameExists(message)
        | DomainError::AliasExists(message) => ApiError::client("ResourceConflictException", message),
        DomainError::InvalidConfiguration(message) => ApiError::client("InvalidIdentityPoolConfigurationException", message),
        DomainError::LimitExceeded(message) => ApiError::client("LimitExceededException", message),
        DomainError::ProviderUnreachable(message) | DomainError::TriggerUnavailable(message) => {
            ApiError::client("ExternalServiceException", message)
        }
        DomainError::TriggerOutputInvalid(message) => ApiError::client("InvalidParameterException", message),
        DomainError::CodeMismatch(message) | DomainError::ExpiredCode(message) | DomainError::UnsupportedOperation(message) => {
            ApiError::client("InvalidParameterException", message)
        }
        DomainError::NotImplemented(message) => ApiError::new(StatusCode::NOT_IMPLEMENTED, "NotImplementedException", message),
        DomainError::Unavailable(message) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException", message),
        DomainError::TooManyRequests(message) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException", message),
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", "An internal error occurred.")
        }
    }
}

// ----- wire shapes -----

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CognitoIdentityProviderShape {
    provider_name: Option<String>,
    client_id: Option<String>,
    server_side_token_check: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolInput {
    #[serde(default)]
    identity_pool_id: Option<String>,
    identity_pool_name: String,
    allow_unauthenticated_identities: bool,
    #[serde(default)]
    allow_classic_flow: Option<bool>,
    #[serde(default)]
    supported_login_providers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    developer_provider_name: Option<String>,
    #[serde(default, rename = "OpenIdConnectProviderARNs")]
    open_id_connect_provider_arns: Option<Vec<String>>,
    #[serde(default)]
    cognito_identity_providers: Option<Vec<CognitoIdentityProviderShape>>,
    #[serde(default, rename = "SamlProviderARNs")]
    saml_provider_arns: Option<Vec<String>>,
    #[serde(default)]
    identity_pool_tags: Option<BTreeMap<String, String>>,
}

impl PoolInput {
    fn settings(&self) -> Result<IdentityPoolSettings, ApiError> {
        let mut providers = Vec::new();
        for provider in self.cognito_identity_providers.clone().unwrap_or_default() {
            let (Some(provider_name), Some(client_id)) = (provider.provider_name, provider.client_id) else {
                return Err(ApiError::client("InvalidParameterException", "Each CognitoIdentityProvider needs a ProviderName and a ClientId."));
            };
            providers.push(CognitoProvider {
                provider_name,
                client_id,
                server_side_token_check: provider.server_side_token_check.unwrap_or(false),
            });
        }
        Ok(IdentityPoolSettings {
            name: self.identity_pool_name.clone(),
            allow_unauthenticated_identities: self.allow_unauthenticated_identities,
            allow_classic_flow: self.allow_classic_flow.unwrap_or(false),
            cognito_providers: providers,
            supported_login_providers: self.supported_login_providers.clone().unwrap_or_default(),
            open_id_connect_provider_arns: self.open_id_connect_provider_arns.clone().unwrap_or_default(),
            saml_provider_arns: self.saml_provider_arns.clone().unwrap_or_default(),
            developer_provider_name: self.developer_provider_name.clone(),
            tags: self.identity_pool_tags.clone().unwrap_or_default(),
        })
    }
}

fn pool_output(pool: &IdentityPool) -> Value {
    let settings = &pool.settings;
    let mut output = json!({
        "IdentityPoolId": pool.id,
        "IdentityPoolName": settings.name,
        "AllowUnauthenticatedIdentities": settings.allow_unauthenticated_identities,
        "AllowClassicFlow": settings.allow_classic_flow,
        "IdentityPoolTags": settings.tags,
    });
    // Cognito answers the map even when it is empty.
    output["SupportedLoginProviders"] = json!(settings.supported_login_providers);
    if let Some(developer) = &settings.developer_provider_name {
        output["DeveloperProviderName"] = json!(developer);
    }
    if !settings.open_id_connect_provider_arns.is_empty() {
        output["OpenIdConnectProviderARNs"] = json!(settings.open_id_connect_provider_arns);
    }
    if !settings.saml_provider_arns.is_empty() {
        output["SamlProviderARNs"] = json!(settings.saml_provider_arns);
    }
    if !settings.cognito_providers.is_empty() {
        output["CognitoIdentityProviders"] = settings
            .cognito_providers
            .iter()
            .map(|provider| {
                json!({
                    "ProviderName": provider.provider_name,
                    "ClientId": provider.client_id,
                    "ServerSideTokenCheck": provider.server_side_token_check,
                })
            })
            .collect();
    }
    output
}

fn identity_output(identity: &Identity) -> Value {
    json!({
        "IdentityId": identity.id,
        "Logins": identity.login_providers(),
        "CreationDate": timestamp(identity.created_ms),
        "LastModifiedDate": timestamp(identity.modified_ms),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MappingRuleShape {
    claim: String,
    match_type: String,
    value: String,
    #[serde(rename = "RoleARN")]
    role_arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RulesConfigurationShape {
    rules: Vec<MappingRuleShape>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleMappingShape {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ambiguous_role_resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rules_configuration: Option<RulesConfigurationShape>,
}

fn domain(result: Result<Value, DomainError>) -> Result<Value, ApiError> {
    result.map_err(error_from_domain)
}

fn string_member<'a>(input: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    match input.get(name) {
        Some(Value::String(text)) => Ok(text),
        None | Some(Value::Null) => Err(ApiError::client(
            "ValidationException",
            format!("1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null", lower_first(name)),
        )),
        Some(_) => Err(ApiError::serialization(format!("{name} must be a string."))),
    }
}

fn optional_string<'a>(input: &'a Value, name: &str) -> Result<Option<&'a str>, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ApiError::serialization(format!("{name} must be a string."))),
    }
}

fn string_map(input: &Value, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|_| ApiError::serialization(format!("{name} must map strings to strings."))),
    }
}

fn string_list(input: &Value, name: &str) -> Result<Vec<String>, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|_| ApiError::serialization(format!("{name} must be a list of strings."))),
    }
}

fn integer(input: &Value, name: &str) -> Result<Option<i64>, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or_else(|| ApiError::serialization(format!("{name} must be an integer."))),
    }
}

fn lower_first(name: &str) -> String {
    let mut characters = name.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// Runs one operation. Signed operations have been authenticated and authorised by the caller.
/// `region` is the one the request was signed for (the default for unsigned ones): identity
/// pools are created and listed in it.
pub async fn handle(state: &AppState, operation: &str, input: Value, region: &str) -> Result<Value, ApiError> {
    let pools = &state.identity_pools;
    match operation {
        "CreateIdentityPool" => {
            let request: PoolInput = parse_input(&input)?;
            domain(pools.create_pool_in(region, request.settings()?).await.map(|pool| pool_output(&pool)))
        }
        "DescribeIdentityPool" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            domain(pools.describe_pool(pool_id).await.map(|pool| pool_output(&pool)))
        }
        "UpdateIdentityPool" => {
            let request: PoolInput = parse_input(&input)?;
            let pool_id = request.identity_pool_id.clone().ok_or_else(|| {
                ApiError::client("ValidationException", "1 validation error detected: Value null at 'identityPoolId' failed to satisfy constraint: Member must not be null")
            })?;
            let tags_given = request.identity_pool_tags.is_some();
            domain(pools.update_pool(&pool_id, request.settings()?, tags_given).await.map(|pool| pool_output(&pool)))
        }
        "DeleteIdentityPool" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            domain(pools.delete_pool(pool_id).await.map(|()| json!({})))
        }
        "ListIdentityPools" => {
            let max = integer(&input, "MaxResults")?.ok_or_else(|| {
                ApiError::client("ValidationException", "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
            })?;
            let next = optional_string(&input, "NextToken")?;
            domain(pools.list_pools_in(region, max as i32, next).await.map(|(items, next)| {
                let summaries: Vec<Value> =
                    items.iter().map(|pool| json!({"IdentityPoolId": pool.id, "IdentityPoolName": pool.settings.name})).collect();
                json!({"IdentityPools": summaries, "NextToken": next})
            }))
        }
        "SetIdentityPoolRoles" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            let roles = string_map(&input, "Roles")?;
            let shapes: BTreeMap<String, RoleMappingShape> = match input.get("RoleMappings") {
                None | Some(Value::Null) => BTreeMap::new(),
                Some(value) => serde_json::from_value(value.clone())
                    .map_err(|error| ApiError::serialization(format!("RoleMappings could not be read: {error}")))?,
            };
            let mappings = shapes
                .into_iter()
                .map(|(provider, shape)| {
                    let rules = shape
                        .rules_configuration
                        .map(|config| {
                            config
                                .rules
                                .into_iter()
                                .map(|rule| MappingRule { claim: rule.claim, match_type: rule.match_type, value: rule.value, role_arn: rule.role_arn })
                                .collect()
                        })
                        .unwrap_or_default();
                    (provider, RoleMapping { kind: shape.kind, ambiguous_role_resolution: shape.ambiguous_role_resolution, rules })
                })
                .collect();
            domain(pools.set_roles(pool_id, roles, mappings).await.map(|()| json!({})))
        }
        "GetIdentityPoolRoles" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            domain(pools.describe_pool(pool_id).await.map(|pool| {
                let mappings: BTreeMap<String, RoleMappingShape> = pool
                    .role_mappings
                    .iter()
                    .map(|(provider, mapping)| {
                        let rules_configuration = (mapping.kind == "Rules").then(|| RulesConfigurationShape {
                            rules: mapping
                                .rules
                                .iter()
                                .map(|rule| MappingRuleShape {
                                    claim: rule.claim.clone(),
                                    match_type: rule.match_type.clone(),
                                    value: rule.value.clone(),
                                    role_arn: rule.role_arn.clone(),
                                })
                                .collect(),
                        });
                        (
                            provider.clone(),
                            RoleMappingShape {
                                kind: mapping.kind.clone(),
                                ambiguous_role_resolution: mapping.ambiguous_role_resolution.clone(),
                                rules_configuration,
                            },
                        )
                    })
                    .collect();
                let mut output = json!({"IdentityPoolId": pool.id, "Roles": pool.roles});
                if !mappings.is_empty() {
                    output["RoleMappings"] = json!(mappings);
                }
                output
            }))
        }
        "TagResource" => {
            let arn = string_member(&input, "ResourceArn")?;
            let tags = string_map(&input, "Tags")?;
            domain(pools.tag_pool(arn, tags).await.map(|()| json!({})))
        }
        "UntagResource" => {
            let arn = string_member(&input, "ResourceArn")?;
            let keys = string_list(&input, "TagKeys")?;
            domain(pools.untag_pool(arn, &keys).await.map(|()| json!({})))
        }
        "ListTagsForResource" => {
            let arn = string_member(&input, "ResourceArn")?;
            domain(pools.pool_of_arn(arn).await.map(|pool| json!({"Tags": pool.settings.tags})))
        }
        "GetId" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            let logins = string_map(&input, "Logins")?;
            if let Some(account) = optional_string(&input, "AccountId")? {
                if account != state.config.account_id {
                    return Err(ApiError::client("NotAuthorizedException", "The account id does not own this identity pool."));
                }
            }
            domain(pools.get_id(pool_id, &logins).await.map(|identity_id| json!({"IdentityId": identity_id})))
        }
        "GetCredentialsForIdentity" => {
            let identity_id = string_member(&input, "IdentityId")?;
            let logins = string_map(&input, "Logins")?;
            let custom_role = optional_string(&input, "CustomRoleArn")?;
            domain(pools.get_credentials_for_identity(identity_id, &logins, custom_role).await.map(|result| {
                json!({
                    "IdentityId": result.identity_id,
                    "Credentials": {
                        "AccessKeyId": result.credentials.access_key_id,
                        "SecretKey": result.credentials.secret_access_key,
                        "SessionToken": result.credentials.session_token,
                        "Expiration": result.credentials.expiration_ms.div_euclid(1000),
                    }
                })
            }))
        }
        "GetOpenIdToken" => {
            let identity_id = string_member(&input, "IdentityId")?;
            let logins = string_map(&input, "Logins")?;
            domain(pools.get_open_id_token(identity_id, &logins).await.map(|(identity_id, token)| json!({"IdentityId": identity_id, "Token": token})))
        }
        "GetOpenIdTokenForDeveloperIdentity" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            let identity_id = optional_string(&input, "IdentityId")?;
            let logins = string_map(&input, "Logins")?;
            let duration = integer(&input, "TokenDuration")?;
            domain(
                pools
                    .get_open_id_token_for_developer_identity(pool_id, identity_id, &logins, duration)
                    .await
                    .map(|(identity_id, token)| json!({"IdentityId": identity_id, "Token": token})),
            )
        }
        "LookupDeveloperIdentity" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            let identity_id = optional_string(&input, "IdentityId")?;
            let user = optional_string(&input, "DeveloperUserIdentifier")?;
            domain(pools.lookup_developer_identity(pool_id, identity_id, user).await.map(|(identity_id, users)| {
                json!({"IdentityId": identity_id, "DeveloperUserIdentifierList": users})
            }))
        }
        "MergeDeveloperIdentities" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            let provider = string_member(&input, "DeveloperProviderName")?;
            let source = string_member(&input, "SourceUserIdentifier")?;
            let destination = string_member(&input, "DestinationUserIdentifier")?;
            let (source_id, destination_id) =
                pools.merge_developer_identities(pool_id, provider, source, destination).await.map_err(error_from_domain)?;
            // The merged-away identity's sync datasets go with it.
            state.sync.merge_identity_datasets(pool_id, &source_id, &destination_id).await.map_err(error_from_domain)?;
            Ok(json!({"IdentityId": destination_id}))
        }
        "UnlinkDeveloperIdentity" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            let identity_id = string_member(&input, "IdentityId")?;
            let provider = string_member(&input, "DeveloperProviderName")?;
            let user = string_member(&input, "DeveloperUserIdentifier")?;
            domain(pools.unlink_developer_identity(pool_id, identity_id, provider, user).await.map(|()| json!({})))
        }
        "UnlinkIdentity" => {
            let identity_id = string_member(&input, "IdentityId")?;
            let logins = string_map(&input, "Logins")?;
            let remove = string_list(&input, "LoginsToRemove")?;
            domain(pools.unlink_identity(identity_id, &logins, &remove).await.map(|()| json!({})))
        }
        "DescribeIdentity" => {
            let identity_id = string_member(&input, "IdentityId")?;
            domain(pools.describe_identity(identity_id).await.map(|identity| identity_output(&identity)))
        }
        "ListIdentities" => {
            let pool_id = string_member(&input, "IdentityPoolId")?;
            let max = integer(&input, "MaxResults")?.ok_or_else(|| {
                ApiError::client("ValidationException", "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
            })?;
            let next = optional_string(&input, "NextToken")?;
            domain(pools.list_identities(pool_id, max as i32, next).await.map(|(identities, next)| {
                json!({
                    "IdentityPoolId": pool_id,
                    "Identities": identities.iter().map(identity_output).collect::<Vec<_>>(),
                    "NextToken": next,
                })
            }))
        }
        "DeleteIdentities" => {
            let ids = string_list(&input, "IdentityIdsToDelete")?;
            domain(pools.delete_identities(&ids).await.map(|unprocessed| {
                let unprocessed: Vec<Value> =
                    unprocessed.iter().map(|id| json!({"IdentityId": id, "ErrorCode": "InternalServerError"})).collect();
                json!({"UnprocessedIdentityIds": unprocessed})
            }))
        }
        other => Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplementedException",
            format!("cognate does not implement {other} yet."),
        )),
    }
}

/// The resources a signed operation acts on, each of which the policy engine must allow. Each
/// is taken from the member the operation itself acts on, as AWS's service authorization
/// reference lists them, never from other members a caller may add: the identity pool an
/// operation names, each identity's own pool (looked up here) for the operations that name
/// identities, the tagged ARN for tagging, and `*` for the account-wide ones.
pub async fn resources_of(state: &AppState, operation: &str, input: &Value) -> Vec<String> {
    let pool_arn = |pool_id: &str| cognate_domain::ids::identity_pool_arn(cognate_domain::ids::region_of(pool_id), &state.config.account_id, pool_id);
    let member = |name: &str| input.get(name).and_then(Value::as_str);
    match operation {
        "CreateIdentityPool" | "ListIdentityPools" => vec!["*".into()],
        "TagResource" | "UntagResource" | "ListTagsForResource" => vec![member("ResourceArn").unwrap_or("*").to_string()],
        "DescribeIdentity" => {
            let identity_id = member("IdentityId").unwrap_or("");
            vec![match state.identity_pools.pool_of_identity(identity_id).await {
                Some(pool_id) => pool_arn(&pool_id),
                None => "*".into(),
            }]
        }
        "DeleteIdentities" => {
            let ids: Vec<&str> = input
                .get("IdentityIdsToDelete")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(Value::as_str).take(60).collect())
                .unwrap_or_default();
            let mut resources: Vec<String> = Vec::new();
            for identity_id in ids {
                if let Some(pool_id) = state.identity_pools.pool_of_identity(identity_id).await {
                    let arn = pool_arn(&pool_id);
                    if !resources.contains(&arn) {
                        resources.push(arn);
                    }
                }
            }
            if resources.is_empty() {
                resources.push("*".into());
            }
            resources
        }
        // Every other signed operation names its identity pool in IdentityPoolId.
        _ => vec![member("IdentityPoolId").map(pool_arn).unwrap_or_else(|| "*".into())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_in(table: &str, operation: &str) -> String {
        let row = table
            .lines()
            .find(|line| line.starts_with(&format!("| {operation} |")))
            .unwrap_or_else(|| panic!("{operation} has no row in the compatibility table"));
        row.split('|').nth(3).unwrap().trim().to_string()
    }

    /// docs/compat/cognito-identity.md lists every operation with the right status.
    #[test]
    fn compat_table_matches_the_router() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/cognito-identity.md")).unwrap();
        for (operation, _) in OPERATIONS {
            let status = status_in(&table, operation);
            if NOT_IMPLEMENTED.contains(operation) {
                assert_eq!(status, "not yet", "{operation}");
            } else {
                assert!(status == "implemented" || status == "partial", "{operation} is implemented but listed as {status}");
            }
        }
        assert_eq!(OPERATIONS.len(), 23);
    }

    /// docs/compat/sts-iam.md: the implemented STS and IAM actions, and only those, are marked so.
    #[test]
    fn sts_and_iam_tables_match_the_routers() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compat/sts-iam.md")).unwrap();
        for (action, _) in crate::api::sts::ACTIONS {
            let implemented = matches!(*action, "AssumeRoleWithWebIdentity" | "GetCallerIdentity");
            assert_eq!(status_in(&table, action) != "not yet", implemented, "{action}");
        }
        for action in crate::api::iam::MODEL_ACTIONS {
            assert_eq!(status_in(&table, action) != "not yet", crate::api::iam::ACTIONS.contains(action), "{action}");
        }
        assert_eq!(crate::api::iam::MODEL_ACTIONS.len(), 176);
    }
}

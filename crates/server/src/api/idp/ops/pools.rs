//! CreateUserPool, DescribeUserPool, UpdateUserPool, DeleteUserPool, ListUserPools,
//! AddCustomAttributes and the tag operations. Authorisation: SigV4 with the root credentials.

use serde_json::{json, Value};

use cognate_domain::user_pool::{
    AdminCreateUserConfig, CreateUserPoolInput, PasswordPolicy, RecoveryMechanism, SchemaAttribute, SchemaAttributeInput,
    UserPool, UserPoolSettings,
};

use super::pool_id;
use super::empty;
use cognate_domain::user_pool::{DeletionProtection, MfaConfiguration, UserPoolTier};
use crate::state::AppState;
use crate::aws::json::{parse_input, timestamp, to_body, ApiError};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;

fn password_policy(given: Option<&PasswordPolicyType>) -> PasswordPolicy {
    let Some(given) = given else { return PasswordPolicy::default() };
    // A policy that is given counts its absent requirements as off, as Cognito does.
    PasswordPolicy {
        minimum_length: given.minimum_length.unwrap_or(8),
        require_uppercase: given.require_uppercase.unwrap_or(false),
        require_lowercase: given.require_lowercase.unwrap_or(false),
        require_numbers: given.require_numbers.unwrap_or(false),
        require_symbols: given.require_symbols.unwrap_or(false),
        password_history_size: given.password_history_size,
        temporary_password_validity_days: given.temporary_password_validity_days.unwrap_or(7),
    }
}

fn settings_from_input(input: UserPoolSettingsInput) -> Result<UserPoolSettings, ApiError> {
    let policies = input.policies.unwrap_or_default();
    let admin_create_user = match input.admin_create_user_config {
        Some(config) => AdminCreateUserConfig {
            allow_admin_create_user_only: config.allow_admin_create_user_only.unwrap_or(false),
            unused_account_validity_days: config.unused_account_validity_days.or(Some(7)),
            invite_message_template: config.invite_message_template,
        },
        None => AdminCreateUserConfig::default(),
    };
    Ok(UserPoolSettings {
        name: input.pool_name.unwrap_or_default(),
        password_policy: password_policy(policies.password_policy.as_ref()),
        other_policies: policies.other.into_iter().collect(),
        deletion_protection: input.deletion_protection.as_deref().map(DeletionProtection::parse).transpose().map_err(error_from_domain)?.unwrap_or(DeletionProtection::Inactive),
        auto_verified_attributes: input.auto_verified_attributes.unwrap_or_default(),
        mfa_configuration: input.mfa_configuration.as_deref().map(MfaConfiguration::parse).transpose().map_err(error_from_domain)?.unwrap_or(MfaConfiguration::Off),
        account_recovery: input.account_recovery_setting.map(|setting| {
            setting
                .recovery_mechanisms
                .into_iter()
                .map(|mechanism| RecoveryMechanism { priority: mechanism.priority, name: mechanism.name })
                .collect()
        }),
        admin_create_user,
        tags: input.user_pool_tags.unwrap_or_default(),
        tier: input.user_pool_tier.as_deref().map(UserPoolTier::parse).transpose().map_err(error_from_domain)?.unwrap_or(UserPoolTier::Essentials),
        opaque: input.opaque.into_opaque(),
    })
}

fn schema_input(attribute: &SchemaAttributeType) -> SchemaAttributeInput {
    SchemaAttributeInput {
        name: attribute.name.clone(),
        data_type: attribute.attribute_data_type.clone(),
        developer_only: attribute.developer_only_attribute,
        mutable: attribute.mutable,
        required: attribute.required,
        string_constraints: attribute
            .string_attribute_constraints
            .as_ref()
            .map(|constraints| (constraints.min_length.clone(), constraints.max_length.clone())),
        number_constraints: attribute
            .number_attribute_constraints
            .as_ref()
            .map(|constraints| (constraints.min_value.clone(), constraints.max_value.clone())),
    }
}

fn schema_output(attribute: &SchemaAttribute) -> SchemaAttributeType {
    SchemaAttributeType {
        name: Some(attribute.name.clone()),
        attribute_data_type: Some(attribute.data_type.as_str().to_string()),
        developer_only_attribute: Some(attribute.developer_only),
        mutable: Some(attribute.mutable),
        required: Some(attribute.required),
        number_attribute_constraints: attribute.number_constraints.as_ref().map(|(min, max)| NumberAttributeConstraintsType {
            min_value: min.clone(),
            max_value: max.clone(),
        }),
        string_attribute_constraints: attribute.string_constraints.as_ref().map(|(min, max)| StringAttributeConstraintsType {
            min_length: min.clone(),
            max_length: max.clone(),
        }),
    }
}

fn non_empty(list: &[String]) -> Option<Vec<String>> {
    if list.is_empty() {
        None
    } else {
        Some(list.to_vec())
    }
}

pub fn user_pool_output(pool: &UserPool, estimated_number_of_users: i64) -> UserPoolType {
    let settings = &pool.settings;
    let policy = &settings.password_policy;
    let mut policies = json!({
        "PasswordPolicy": {
            "MinimumLength": policy.minimum_length,
            "RequireUppercase": policy.require_uppercase,
            "RequireLowercase": policy.require_lowercase,
            "RequireNumbers": policy.require_numbers,
            "RequireSymbols": policy.require_symbols,
            "PasswordHistorySize": policy.password_history_size,
            "TemporaryPasswordValidityDays": policy.temporary_password_validity_days,
        },
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]},
    });
    for (name, value) in &settings.other_policies {
        policies[name] = value.clone();
    }
    let opaque = |name: &str| settings.opaque.get(name).cloned();
    // Cognito keeps the legacy message members and VerificationMessageTemplate in step: each
    // answers what the other was set to.
    let template = opaque("VerificationMessageTemplate");
    let from_template = |member: &str| template.as_ref().and_then(|template| template.get(member)).filter(|value| value.is_string()).cloned();
    let sms_verification_message = opaque("SmsVerificationMessage").or_else(|| from_template("SmsMessage"));
    let email_verification_message = opaque("EmailVerificationMessage").or_else(|| from_template("EmailMessage"));
    let email_verification_subject = opaque("EmailVerificationSubject").or_else(|| from_template("EmailSubject"));
    let verification_message_template = template.unwrap_or_else(|| {
        let mut template = json!({"DefaultEmailOption": "CONFIRM_WITH_CODE"});
        for (member, value) in [("SmsMessage", &sms_verification_message), ("EmailMessage", &email_verification_message), ("EmailSubject", &email_verification_subject)] {
            if let Some(value) = value {
                template[member] = value.clone();
            }
        }
        template
    });
    UserPoolType {
        id: pool.id.to_string(),
        name: settings.name.clone(),
        policies,
        deletion_protection: settings.deletion_protection.as_str().to_string(),
        lambda_config: opaque("LambdaConfig").unwrap_or_else(|| json!({})),
        last_modified_date: timestamp(pool.modified_ms),
        creation_date: timestamp(pool.created_ms),
        schema_attributes: pool.shape.schema.iter().map(schema_output).collect(),
        auto_verified_attributes: non_empty(&settings.auto_verified_attributes),
        alias_attributes: non_empty(&pool.shape.alias_attributes),
        username_attributes: non_empty(&pool.shape.username_attributes),
        sms_verification_message,
        email_verification_message,
        email_verification_subject,
        verification_message_template,
        sms_authentication_message: opaque("SmsAuthenticationMessage"),
        user_attribute_update_settings: opaque("UserAttributeUpdateSettings"),
        mfa_configuration: settings.mfa_configuration.as_str().to_string(),
        device_configuration: opaque("DeviceConfiguration"),
        estimated_number_of_users,
        email_configuration: opaque("EmailConfiguration").unwrap_or_else(|| json!({"EmailSendingAccount": "COGNITO_DEFAULT"})),
        sms_configuration: opaque("SmsConfiguration"),
        user_pool_tags: settings.tags.clone(),
        admin_create_user_config: AdminCreateUserConfigType {
            allow_admin_create_user_only: Some(settings.admin_create_user.allow_admin_create_user_only),
            unused_account_validity_days: settings.admin_create_user.unused_account_validity_days,
            invite_message_template: settings.admin_create_user.invite_message_template.clone(),
        },
        user_pool_add_ons: opaque("UserPoolAddOns"),
        username_configuration: pool.shape.case_sensitive.map(|case_sensitive| UsernameConfigurationType { case_sensitive }),
        arn: pool.arn.clone(),
        account_recovery_setting: settings.account_recovery.as_ref().map(|mechanisms| AccountRecoverySettingType {
            recovery_mechanisms: mechanisms
                .iter()
                .map(|mechanism| RecoveryOptionType { priority: mechanism.priority, name: mechanism.name.clone() })
                .collect(),
        }),
        user_pool_tier: settings.tier.as_str().to_string(),
    }
}

pub async fn create_user_pool(state: &AppState, raw: &[u8], region: &str) -> Result<Value, ApiError> {
    let input = create_user_pool_input(raw)?;
    let pool = state.user_pools.create_user_pool_in(region, input).await.map_err(error_from_domain)?;
    to_body(&json!({ "UserPool": user_pool_output(&pool, 0) }))
}

/// CreateUserPool's request as the domain takes it.
pub fn create_user_pool_input(raw: &[u8]) -> Result<CreateUserPoolInput, ApiError> {
    let shape: CreateUserPoolShapeInput = parse_input(raw)?;
    let settings_input: UserPoolSettingsInput = parse_input(raw)?;
    Ok(CreateUserPoolInput {
        settings: settings_from_input(settings_input)?,
        schema: shape.schema.unwrap_or_default().iter().map(schema_input).collect(),
        alias_attributes: shape.alias_attributes.unwrap_or_default(),
        username_attributes: shape.username_attributes.unwrap_or_default(),
        case_sensitive: shape.username_configuration.map(|configuration| configuration.case_sensitive),
    })
}

pub async fn describe_user_pool(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UserPoolIdInput = parse_input(raw)?;
    let (pool, n_users) = state.user_pools.describe_user_pool(&pool_id(&input.user_pool_id)?).await.map_err(error_from_domain)?;
    let mut output = to_body(&user_pool_output(&pool, n_users))?;
    let (prefix, custom) = state.user_pools.pool_domains(&pool.id).await.map_err(error_from_domain)?;
    if let Some(object) = output.as_object_mut() {
        if let Some(domain) = prefix {
            object.insert("Domain".into(), json!(domain));
        }
        if let Some(domain) = custom {
            object.insert("CustomDomain".into(), json!(domain));
        }
    }
    Ok(json!({ "UserPool": output }))
}

pub async fn update_user_pool(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let id: UserPoolIdInput = parse_input(raw)?;
    let settings_input: UserPoolSettingsInput = parse_input(raw)?;
    let tags_given = settings_input.user_pool_tags.is_some();
    let settings = settings_from_input(settings_input)?;
    state.user_pools.update_user_pool(&pool_id(&id.user_pool_id)?, settings, tags_given).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn delete_user_pool(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UserPoolIdInput = parse_input(raw)?;
    state.user_pools.delete_user_pool(&pool_id(&input.user_pool_id)?).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_user_pools(state: &AppState, raw: &[u8], region: &str) -> Result<Value, ApiError> {
    let input: ListUserPoolsRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .list_user_pools_in(region, input.next_token.as_deref(), input.max_results)
        .await
        .map_err(error_from_domain)?;
    let pools: Vec<UserPoolDescriptionType> = page
        .items
        .iter()
        .map(|pool| UserPoolDescriptionType {
            id: pool.id.to_string(),
            name: pool.settings.name.clone(),
            lambda_config: pool.settings.opaque.get("LambdaConfig").cloned().unwrap_or_else(|| json!({})),
            last_modified_date: timestamp(pool.modified_ms),
            creation_date: timestamp(pool.created_ms),
        })
        .collect();
    to_body(&json!({ "UserPools": pools, "NextToken": page.next_token }))
}

pub async fn add_custom_attributes(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AddCustomAttributesRequest = parse_input(raw)?;
    let attributes: Vec<SchemaAttributeInput> = input.custom_attributes.iter().map(schema_input).collect();
    state.user_pools.add_custom_attributes(&pool_id(&input.user_pool_id)?, &attributes).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn tag_resource(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: TagResourceRequest = parse_input(raw)?;
    state.user_pools.tag_resource(&input.resource_arn, input.tags).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn untag_resource(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UntagResourceRequest = parse_input(raw)?;
    state.user_pools.untag_resource(&input.resource_arn, &input.tag_keys).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn list_tags_for_resource(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ResourceArnInput = parse_input(raw)?;
    let tags = state.user_pools.list_tags_for_resource(&input.resource_arn).await.map_err(error_from_domain)?;
    to_body(&json!({ "Tags": tags }))
}

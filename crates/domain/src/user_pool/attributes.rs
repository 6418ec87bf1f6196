//! The attribute schema of a pool: Cognito's standard attributes, custom attributes, and the
//! checks that attribute values pass before they are stored.

use super::types::{AttributeDataType, Attribute, SchemaAttribute, UserPool};
use crate::error::DomainError;

/// Standard string attributes with their maximum length (birthdate is fixed at 10).
const STANDARD_STRINGS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "address",
];

/// Attributes ListUsers can filter on.
pub const SEARCHABLE_ATTRIBUTES: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

pub const MAX_CUSTOM_ATTRIBUTES: usize = 50;

/// The schema every new pool starts with, in the order DescribeUserPool lists it.
pub fn standard_schema() -> Vec<SchemaAttribute> {
    let mut schema = vec![SchemaAttribute {
        name: "sub".into(),
        data_type: AttributeDataType::String,
        developer_only: false,
        mutable: false,
        required: true,
        string_constraints: Some((Some("1".into()), Some("2048".into()))),
        number_constraints: None,
    }];
    for name in STANDARD_STRINGS {
        let (min, max) = if *name == "birthdate" { ("10", "10") } else { ("0", "2048") };
        schema.push(SchemaAttribute {
            name: name.to_string(),
            data_type: AttributeDataType::String,
            developer_only: false,
            mutable: true,
            required: false,
            string_constraints: Some((Some(min.into()), Some(max.into()))),
            number_constraints: None,
        });
        if *name == "email" || *name == "phone_number" {
            schema.push(SchemaAttribute {
                name: format!("{name}_verified"),
                data_type: AttributeDataType::Boolean,
                developer_only: false,
                mutable: true,
                required: false,
                string_constraints: None,
                number_constraints: None,
            });
        }
    }
    schema.push(SchemaAttribute {
        name: "updated_at".into(),
        data_type: AttributeDataType::Number,
        developer_only: false,
        mutable: true,
        required: false,
        string_constraints: None,
        number_constraints: Some((Some("0".into()), None)),
    });
    schema.push(SchemaAttribute {
        name: "identities".into(),
        data_type: AttributeDataType::String,
        developer_only: false,
        mutable: true,
        required: false,
        string_constraints: Some((None, None)),
        number_constraints: None,
    });
    schema
}

/// A schema entry as CreateUserPool and AddCustomAttributes receive it.
#[derive(Debug, Clone, Default)]
pub struct SchemaAttributeInput {
    pub name: Option<String>,
    pub data_type: Option<String>,
    pub developer_only: Option<bool>,
    pub mutable: Option<bool>,
    pub required: Option<bool>,
    pub string_constraints: Option<(Option<String>, Option<String>)>,
    pub number_constraints: Option<(Option<String>, Option<String>)>,
}

/// Applies the `Schema` of CreateUserPool to the standard schema: standard attributes may be
/// made required or immutable; any other name becomes a custom attribute.
pub fn build_schema(inputs: &[SchemaAttributeInput]) -> Result<Vec<SchemaAttribute>, DomainError> {
    let mut schema = standard_schema();
    let mut custom = Vec::new();
    for input in inputs {
        let name = input
            .name
            .as_deref()
            .ok_or_else(|| DomainError::InvalidParameter("Schema attributes must have a name.".into()))?;
        if let Some(standard) = schema.iter_mut().find(|attribute| attribute.name == name) {
            if name == "sub" {
                continue;
            }
            if let Some(data_type) = &input.data_type {
                if data_type != standard.data_type.as_str() {
                    return Err(DomainError::InvalidParameter(format!(
                        "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute {name}"
                    )));
                }
            }
            if input.developer_only == Some(true) {
                return Err(DomainError::InvalidParameter(format!(
                    "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute {name}"
                )));
            }
            if let Some(required) = input.required {
                standard.required = required;
            }
            if let Some(mutable) = input.mutable {
                standard.mutable = mutable;
            }
            // Constraints given for a standard attribute are kept and enforced, as for a
            // custom one (StringAttributeConstraints on email, NumberAttributeConstraints on
            // updated_at).
            match standard.data_type {
                AttributeDataType::String | AttributeDataType::DateTime => {
                    if let Some((min, max)) = input.string_constraints.clone() {
                        check_bound(&min, 0, 2048, name, "MinLength")?;
                        check_bound(&max, 0, 2048, name, "MaxLength")?;
                        standard.string_constraints = Some((min, max));
                    }
                }
                AttributeDataType::Number => {
                    if let Some((min, max)) = input.number_constraints.clone() {
                        check_bound(&min, i64::MIN, i64::MAX, name, "MinValue")?;
                        check_bound(&max, i64::MIN, i64::MAX, name, "MaxValue")?;
                        standard.number_constraints = Some((min, max));
                    }
                }
                AttributeDataType::Boolean => {}
            }
            if standard.required && !standard.mutable {
                // Cognito allows it; nothing to reject.
            }
            continue;
        }
        custom.push(custom_attribute(input)?);
    }
    add_custom(&mut schema, custom)?;
    Ok(schema)
}

/// Adds custom attributes to an existing schema (AddCustomAttributes).
pub fn add_custom_attributes(pool: &UserPool, inputs: &[SchemaAttributeInput]) -> Result<Vec<SchemaAttribute>, DomainError> {
    let mut schema = pool.shape.schema.clone();
    let mut custom = Vec::new();
    for input in inputs {
        custom.push(custom_attribute(input)?);
    }
    add_custom(&mut schema, custom)?;
    Ok(schema)
}

fn add_custom(schema: &mut Vec<SchemaAttribute>, custom: Vec<SchemaAttribute>) -> Result<(), DomainError> {
    for attribute in custom {
        if schema.iter().any(|existing| existing.name == attribute.name) {
            return Err(DomainError::InvalidParameter(format!(
                "Existing attribute already has name {}.",
                attribute.name
            )));
        }
        schema.push(attribute);
    }
    let n_custom = schema.iter().filter(|attribute| attribute.name.starts_with("custom:") || attribute.name.starts_with("dev:custom:")).count();
    if n_custom > MAX_CUSTOM_ATTRIBUTES {
        return Err(DomainError::LimitExceeded(format!(
            "A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
        )));
    }
    Ok(())
}

fn custom_attribute(input: &SchemaAttributeInput) -> Result<SchemaAttribute, DomainError> {
    let raw_name = input
        .name
        .as_deref()
        .ok_or_else(|| DomainError::InvalidParameter("Custom attributes must have a name.".into()))?;
    let bare_name = raw_name.strip_prefix("dev:").unwrap_or(raw_name);
    let bare_name = bare_name.strip_prefix("custom:").unwrap_or(bare_name);
    let valid_name = !bare_name.is_empty()
        && bare_name.chars().count() <= 20
        && bare_name.chars().all(|character| !character.is_whitespace() && !character.is_control());
    if !valid_name {
        return Err(DomainError::InvalidParameter(format!(
            "Custom attribute name {raw_name} must be 1 to 20 characters without spaces."
        )));
    }
    let data_type = match input.data_type.as_deref() {
        None => {
            return Err(DomainError::InvalidParameter(format!(
                "Custom attribute {raw_name} has no AttributeDataType (String, Number, DateTime or Boolean)."
            )))
        }
        Some(text) => AttributeDataType::parse(text).ok_or_else(|| {
            DomainError::InvalidParameter(format!("Invalid AttributeDataType {text} for attribute {raw_name}."))
        })?,
    };
    if input.required == Some(true) {
        return Err(DomainError::InvalidParameter("Required custom attributes are not supported currently.".into()));
    }
    let string_constraints = match data_type {
        AttributeDataType::String => {
            let (min, max) = input.string_constraints.clone().unwrap_or((None, None));
            check_bound(&min, 0, 2048, raw_name, "MinLength")?;
            check_bound(&max, 0, 2048, raw_name, "MaxLength")?;
            if let (Some(min), Some(max)) = (&min, &max) {
                if min.parse::<i64>().unwrap_or(0) > max.parse::<i64>().unwrap_or(0) {
                    return Err(DomainError::InvalidParameter(format!(
                        "MinLength must not exceed MaxLength for attribute {raw_name}."
                    )));
                }
            }
            Some((min, max))
        }
        _ => None,
    };
    let number_constraints = match data_type {
        AttributeDataType::Number => {
            let (min, max) = input.number_constraints.clone().unwrap_or((None, None));
            check_bound(&min, i64::MIN, i64::MAX, raw_name, "MinValue")?;
            check_bound(&max, i64::MIN, i64::MAX, raw_name, "MaxValue")?;
            Some((min, max))
        }
        _ => None,
    };
    let developer_only = input.developer_only.unwrap_or(false);
    Ok(SchemaAttribute {
        // Cognito names a developer-only attribute dev:custom:<name>.
        name: if developer_only { format!("dev:custom:{bare_name}") } else { format!("custom:{bare_name}") },
        data_type,
        developer_only,
        mutable: input.mutable.unwrap_or(true),
        required: false,
        string_constraints,
        number_constraints,
    })
}

fn check_bound(bound: &Option<String>, low: i64, high: i64, name: &str, member: &str) -> Result<(), DomainError> {
    if let Some(text) = bound {
        match text.parse::<i64>() {
            Ok(value) if value >= low && value <= high => {}
            _ => {
                return Err(DomainError::InvalidParameter(format!(
                    "{member} {text} is not valid for attribute {name}."
                )))
            }
        }
    }
    Ok(())
}

/// How a set of attributes is being written, which decides what may be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeWrite {
    /// A new user: immutable attributes may be set; required ones must be present.
    Create,
    /// An existing user: immutable attributes may not change.
    Update,
}

fn schema_error(name: &str, reason: &str) -> DomainError {
    DomainError::InvalidParameter(format!("Attributes did not conform to the schema: {name}: {reason}\n"))
}

/// Checks attribute names and values against the pool's schema.
pub fn check_attributes(pool: &UserPool, attributes: &[Attribute], write: AttributeWrite) -> Result<(), DomainError> {
    for attribute in attributes {
        let name = attribute.name.as_str();
        let Some(schema_attribute) = pool.schema_attribute(name) else {
            return Err(schema_error(name, "Attribute does not exist in the schema."));
        };
        if name == "sub" || name == "identities" {
            return Err(DomainError::InvalidParameter(format!("Cannot modify the non-mutable attribute {name}")));
        }
        if write == AttributeWrite::Update && !schema_attribute.mutable {
            return Err(DomainError::InvalidParameter(format!("Cannot modify the non-mutable attribute {name}")));
        }
        check_value(schema_attribute, &attribute.value)?;
    }
    Ok(())
}

/// Checks that every required attribute has a value once `attributes` are the user's.
pub fn check_required(pool: &UserPool, attributes: &[Attribute]) -> Result<(), DomainError> {
    for schema_attribute in &pool.shape.schema {
        if schema_attribute.required && schema_attribute.name != "sub" {
            let present = attributes
                .iter()
                .any(|attribute| attribute.name == schema_attribute.name && !attribute.value.is_empty());
            if !present {
                return Err(schema_error(&schema_attribute.name, "The attribute is required"));
            }
        }
    }
    Ok(())
}

fn check_value(schema_attribute: &SchemaAttribute, value: &str) -> Result<(), DomainError> {
    let name = schema_attribute.name.as_str();
    if value.len() > 2048 {
        return Err(schema_error(name, "String must be no longer than 2048 characters"));
    }
    match name {
        "email" if !is_email(value) => return Err(DomainError::InvalidParameter("Invalid email address format.".into())),
        "phone_number" if !is_phone_number(value) => {
            return Err(DomainError::InvalidParameter("Invalid phone number format.".into()))
        }
        _ => {}
    }
    match schema_attribute.data_type {
        AttributeDataType::Boolean => {
            // Cognito takes True/FALSE alike; values are stored lowercase (dedupe_attributes).
            if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") {
                return Err(schema_error(name, "Attribute value must be true or false"));
            }
        }
        AttributeDataType::Number => {
            let number: i64 = value.parse().map_err(|_| schema_error(name, "Number must be an integer"))?;
            if let Some((min, max)) = &schema_attribute.number_constraints {
                let below = min.as_deref().and_then(|min| min.parse::<i64>().ok()).is_some_and(|min| number < min);
                let above = max.as_deref().and_then(|max| max.parse::<i64>().ok()).is_some_and(|max| number > max);
                if below || above {
                    return Err(schema_error(name, "Number is out of the attribute's range"));
                }
            }
        }
        AttributeDataType::String | AttributeDataType::DateTime => {
            if let Some((min, max)) = &schema_attribute.string_constraints {
                let length = value.chars().count() as i64;
                let too_short = min.as_deref().and_then(|min| min.parse::<i64>().ok()).is_some_and(|min| length < min);
                let too_long = max.as_deref().and_then(|max| max.parse::<i64>().ok()).is_some_and(|max| length > max);
                if (too_short && !value.is_empty()) || too_long {
                    return Err(schema_error(name, "String length is outside the attribute's limits"));
                }
            }
        }
    }
    Ok(())
}

/// A pragmatic address check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else { return false };
    value.matches('@').count() == 1
        && !local.is_empty()
        && !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|character| character.is_whitespace() || character.is_control())
}

/// E.164 as Cognito accepts it: a plus sign and then digits only, at most 20 characters.
pub fn is_phone_number(value: &str) -> bool {
    match value.strip_prefix('+') {
        Some(digits) => (2..=19).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_attributes_get_their_prefix_and_reject_required() {
        let schema = build_schema(&[SchemaAttributeInput {
            name: Some("tenant".into()),
            data_type: Some("String".into()),
            ..Default::default()
        }])
        .unwrap();
        assert!(schema.iter().any(|attribute| attribute.name == "custom:tenant" && attribute.mutable));
        let required = build_schema(&[SchemaAttributeInput {
            name: Some("tenant".into()),
            required: Some(true),
            ..Default::default()
        }]);
        assert!(matches!(required, Err(DomainError::InvalidParameter(_))));
    }

    #[test]
    fn email_and_phone_formats() {
        assert!(is_email("alice@example.com"));
        assert!(!is_email("alice"));
        assert!(!is_email("alice@@example.com"));
        assert!(!is_email("al ice@example.com"));
        assert!(is_phone_number("+14155550100"));
        assert!(!is_phone_number("4155550100"));
        assert!(!is_phone_number("+1-415"));
    }
}

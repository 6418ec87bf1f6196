//! AWS's wording for a request member that fails its constraint in the service model, shared by
//! every AWS front end: `1 validation error detected: Value '…' at '…' failed to satisfy
//! constraint: Member must …`.

use cognate_domain::{Constraint, InvalidMember};

/// The message AWS writes for `invalid`.
pub fn message(invalid: &InvalidMember) -> String {
    let value = match &invalid.value {
        None => "null".to_string(),
        Some(value) => format!("'{value}'"),
    };
    format!(
        "1 validation error detected: Value {value} at '{}' failed to satisfy constraint: Member must {}",
        invalid.member,
        requirement(invalid)
    )
}

/// The message for a required member that is missing.
pub fn missing(member: &str) -> String {
    message(&InvalidMember { member: member.to_string(), value: None, constraint: Constraint::Required })
}

fn requirement(invalid: &InvalidMember) -> String {
    match &invalid.constraint {
        Constraint::Required => "not be null".into(),
        Constraint::Pattern(pattern) => format!("satisfy regular expression pattern: {pattern}"),
        Constraint::PatternAndLength { pattern, min, max } => {
            format!("satisfy regular expression pattern: {pattern} and length {min} to {max}")
        }
        Constraint::Length { min, max } => format!("have length between {min} and {max}"),
        Constraint::MaxLength(max) => format!("have length less than or equal to {max}"),
        Constraint::Range { min, max } => {
            let below = invalid.value.as_deref().and_then(|value| value.parse::<i64>().ok()).is_some_and(|value| value < *min);
            if below {
                format!("have value greater than or equal to {min}")
            } else {
                format!("have value less than or equal to {max}")
            }
        }
        Constraint::AtLeast(min) => format!("have value greater than or equal to {min}"),
        Constraint::OneOf(names) => format!("satisfy enum value set: [{}]", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(value: &str, constraint: Constraint) -> InvalidMember {
        InvalidMember { member: "maxResults".into(), value: Some(value.into()), constraint }
    }

    #[test]
    fn members_are_described_in_aws_wording() {
        assert_eq!(
            missing("userPoolId"),
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(
            message(&invalid("0", Constraint::Range { min: 1, max: 60 })),
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        assert!(message(&invalid("61", Constraint::Range { min: 1, max: 60 })).ends_with("Member must have value less than or equal to 60"));
        assert!(message(&invalid("X", Constraint::OneOf(vec!["A", "B"]))).ends_with("Member must satisfy enum value set: [A, B]"));
        assert!(message(&invalid("x!", Constraint::Pattern("[\\w+]+"))).ends_with("Member must satisfy regular expression pattern: [\\w+]+"));
    }
}

//! The ListUsers filter language: `attribute = "value"` or `attribute ^= "value"`.

use super::attributes::SEARCHABLE_ATTRIBUTES;
use crate::error::DomainError;
use crate::store::ValueMatch;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFilter {
    pub attribute: String,
    pub value_match: ValueMatch,
}

fn invalid(filter: &str) -> DomainError {
    DomainError::InvalidParameter(format!("Error while parsing filter: {filter}"))
}

/// Parses a filter; an empty or blank filter is None (every user).
pub fn parse_filter(filter: &str) -> Result<Option<UserFilter>, DomainError> {
    let text = filter.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let attribute_end = text
        .find(|character: char| character.is_whitespace() || character == '=' || character == '^')
        .ok_or_else(|| invalid(filter))?;
    let attribute = &text[..attribute_end];
    let rest = text[attribute_end..].trim_start();
    let (prefix, rest) = if let Some(rest) = rest.strip_prefix("^=") {
        (true, rest)
    } else if let Some(rest) = rest.strip_prefix('=') {
        (false, rest)
    } else {
        return Err(invalid(filter));
    };
    let quoted = rest.trim();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|quoted| quoted.strip_suffix('"'))
        .ok_or_else(|| invalid(filter))?;
    let mut value = String::with_capacity(inner.len());
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => value.push(characters.next().ok_or_else(|| invalid(filter))?),
            '"' => return Err(invalid(filter)),
            other => value.push(other),
        }
    }
    if !SEARCHABLE_ATTRIBUTES.contains(&attribute) {
        return Err(DomainError::InvalidParameter(format!(
            "Invalid search attribute: {attribute}"
        )));
    }
    let value = if attribute == "cognito:user_status" { value.to_uppercase() } else { value };
    Ok(Some(UserFilter {
        attribute: attribute.to_string(),
        value_match: if prefix { ValueMatch::Prefix(value) } else { ValueMatch::Exact(value) },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_equality_and_prefix() {
        let exact = parse_filter("email = \"a@example.com\"").unwrap().unwrap();
        assert_eq!(exact.attribute, "email");
        assert_eq!(exact.value_match, ValueMatch::Exact("a@example.com".into()));
        let prefix = parse_filter("family_name ^= \"Sm\"").unwrap().unwrap();
        assert_eq!(prefix.value_match, ValueMatch::Prefix("Sm".into()));
        let escaped = parse_filter(r#"name="say \"hi\"""#).unwrap().unwrap();
        assert_eq!(escaped.value_match, ValueMatch::Exact("say \"hi\"".into()));
        let status = parse_filter("cognito:user_status = \"confirmed\"").unwrap().unwrap();
        assert_eq!(status.value_match, ValueMatch::Exact("CONFIRMED".into()));
        assert_eq!(parse_filter("  ").unwrap(), None);
    }

    #[test]
    fn rejects_bad_syntax_and_unsearchable_attributes() {
        assert!(parse_filter("email").is_err());
        assert!(parse_filter("email = a@example.com").is_err());
        assert!(parse_filter("email != \"x\"").is_err());
        assert!(parse_filter("custom:tenant = \"x\"").is_err());
        assert!(parse_filter("email = \"unterminated").is_err());
    }
}

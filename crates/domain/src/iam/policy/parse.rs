//! Parsing a policy document with IAM's rules: statements, effects, actions and resources (and
//! their Not forms), principals, and every condition operator with its set qualifier and
//! `IfExists`.

use super::*;

pub(super) fn malformed(message: impl Into<String>) -> PolicyError {
    PolicyError(message.into())
}

pub(super) fn string_list(value: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.clone()),
                _ => Err(malformed(format!("{what} must be a string or a list of strings."))),
            })
            .collect(),
        _ => Err(malformed(format!("{what} must be a string or a non-empty list of strings."))),
    }
}

/// Condition values may be strings, numbers or booleans, alone or in a list.
pub(super) fn condition_values(value: &Value) -> Result<Vec<String>, PolicyError> {
    let one = |item: &Value| match item {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        _ => Err(malformed("Condition values must be strings, numbers or booleans.")),
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

pub(super) fn parse_operator(name: &str) -> Result<(SetQualifier, Comparison, bool, bool), PolicyError> {
    let unknown = || malformed(format!("Syntax errors in policy: unknown condition operator '{name}'."));
    let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (SetQualifier::ForAnyValue, rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (SetQualifier::ForAllValues, rest)
    } else {
        (SetQualifier::Single, name)
    };
    let (rest, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let (comparison, negated) = match rest {
        "StringEquals" => (Comparison::StringEquals, false),
        "StringNotEquals" => (Comparison::StringEquals, true),
        "StringEqualsIgnoreCase" => (Comparison::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Comparison::StringEqualsIgnoreCase, true),
        "StringLike" => (Comparison::StringLike, false),
        "StringNotLike" => (Comparison::StringLike, true),
        "NumericEquals" => (Comparison::NumericEquals, false),
        "NumericNotEquals" => (Comparison::NumericEquals, true),
        "NumericLessThan" => (Comparison::NumericLessThan, false),
        "NumericLessThanEquals" => (Comparison::NumericLessThanEquals, false),
        "NumericGreaterThan" => (Comparison::NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (Comparison::NumericGreaterThanEquals, false),
        "DateEquals" => (Comparison::DateEquals, false),
        "DateNotEquals" => (Comparison::DateEquals, true),
        "DateLessThan" => (Comparison::DateLessThan, false),
        "DateLessThanEquals" => (Comparison::DateLessThanEquals, false),
        "DateGreaterThan" => (Comparison::DateGreaterThan, false),
        "DateGreaterThanEquals" => (Comparison::DateGreaterThanEquals, false),
        "Bool" => (Comparison::Bool, false),
        "BinaryEquals" => (Comparison::BinaryEquals, false),
        "IpAddress" => (Comparison::IpAddress, false),
        "NotIpAddress" => (Comparison::IpAddress, true),
        "ArnEquals" | "ArnLike" => (Comparison::ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (Comparison::ArnLike, true),
        "Null" if !if_exists && qualifier == SetQualifier::Single => (Comparison::Null, false),
        _ => return Err(unknown()),
    };
    Ok((qualifier, comparison, negated, if_exists))
}

pub(super) fn parse_patterns(statement: &serde_json::Map<String, Value>, positive: &str, negative: &str) -> Result<Option<Patterns>, PolicyError> {
    match (statement.get(positive), statement.get(negative)) {
        (Some(_), Some(_)) => Err(malformed(format!("A statement cannot have both {positive} and {negative}."))),
        (Some(value), None) => Ok(Some(Patterns::Any(string_list(value, positive)?))),
        (None, Some(value)) => Ok(Some(Patterns::NoneOf(string_list(value, negative)?))),
        (None, None) => Ok(None),
    }
}

pub(super) fn parse_principals(value: &Value) -> Result<Principals, PolicyError> {
    match value {
        Value::String(text) if text == "*" => Ok(Principals::Everyone),
        Value::Object(map) if !map.is_empty() => {
            let mut named = Vec::new();
            for (kind, values) in map {
                if !matches!(kind.as_str(), "AWS" | "Federated" | "Service" | "CanonicalUser") {
                    return Err(malformed(format!("Invalid principal in policy: unknown principal type '{kind}'.")));
                }
                for value in string_list(values, "Principal")? {
                    named.push((kind.clone(), value));
                }
            }
            Ok(Principals::Named(named))
        }
        _ => Err(malformed("Invalid principal in policy.")),
    }
}

pub(super) fn parse_statement(value: &Value, kind: PolicyKind) -> Result<Statement, PolicyError> {
    let map = value.as_object().ok_or_else(|| malformed("Each statement must be an object."))?;
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource" | "Principal" | "NotPrincipal" | "Condition"
        ) {
            return Err(malformed(format!("Syntax errors in policy: unknown statement element '{key}'.")));
        }
    }
    let effect = match map.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(malformed("Each statement needs an Effect of Allow or Deny.")),
    };
    if map.contains_key("NotPrincipal") {
        return Err(malformed("NotPrincipal is not supported in this policy."));
    }
    let principals = match (kind, map.get("Principal")) {
        (PolicyKind::Trust, Some(value)) => Some(parse_principals(value)?),
        (PolicyKind::Trust, None) => return Err(malformed("Missing required field Principal.")),
        (PolicyKind::Identity, Some(_)) => return Err(malformed("Policy document should not specify a principal.")),
        (PolicyKind::Identity, None) => None,
    };
    let actions = parse_patterns(map, "Action", "NotAction")?;
    if actions.is_none() {
        return Err(malformed("Missing required field Action."));
    }
    if let Some(Patterns::Any(list) | Patterns::NoneOf(list)) = &actions {
        for action in list {
            if action != "*" && !action.contains(':') {
                return Err(malformed(format!("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. ({action})")));
            }
        }
    }
    let resources = parse_patterns(map, "Resource", "NotResource")?;
    if resources.is_none() && kind == PolicyKind::Identity {
        return Err(malformed("Missing required field Resource."));
    }
    let mut conditions = Vec::new();
    if let Some(block) = map.get("Condition") {
        let block = block.as_object().ok_or_else(|| malformed("Condition must be an object."))?;
        for (operator, keys) in block {
            let (qualifier, comparison, negated, if_exists) = parse_operator(operator)?;
            let keys = keys.as_object().ok_or_else(|| malformed(format!("Condition {operator} must map keys to values.")))?;
            for (key, values) in keys {
                if !key.contains(':') {
                    return Err(malformed(format!("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. ({key})")));
                }
                conditions.push(Condition {
                    qualifier,
                    comparison,
                    negated,
                    if_exists,
                    key: key.clone(),
                    values: condition_values(values)?,
                });
            }
        }
    }
    Ok(Statement { effect, principals, actions, resources, conditions })
}

impl Policy {
    /// Parses a document as IAM accepts it: `Version` 2012-10-17 or 2008-10-17 (or absent), and
    /// `Statement` as one object or a list.
    pub fn parse(document: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let value: Value =
            serde_json::from_str(document).map_err(|_| malformed("Syntax errors in policy: the document is not valid JSON."))?;
        let map = value.as_object().ok_or_else(|| malformed("The policy document must be a JSON object."))?;
        for key in map.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(malformed(format!("Syntax errors in policy: unknown element '{key}'.")));
            }
        }
        match map.get("Version") {
            None => {}
            Some(Value::String(version)) if version == "2012-10-17" || version == "2008-10-17" => {}
            Some(_) => return Err(malformed("The policy must contain a valid version string.")),
        }
        let statements = match map.get("Statement") {
            Some(Value::Array(items)) if !items.is_empty() => {
                items.iter().map(|item| parse_statement(item, kind)).collect::<Result<Vec<_>, _>>()?
            }
            Some(item @ Value::Object(_)) => vec![parse_statement(item, kind)?],
            _ => return Err(malformed("Missing required field Statement.")),
        };
        let spans = positions::statement_spans(document);
        let spans = if spans.len() == statements.len() { spans } else { Vec::new() };
        Ok(Policy { statements, spans, source: PolicySource { id: String::new(), kind: "none".into() } })
    }

    /// This policy, named as MatchedStatements name its source.
    pub fn with_source(mut self, id: impl Into<String>, kind: impl Into<String>) -> Policy {
        self.source = PolicySource { id: id.into(), kind: kind.into() };
        self
    }

}

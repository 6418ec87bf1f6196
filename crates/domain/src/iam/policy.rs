//! IAM policy documents and their evaluation, as IAM evaluates identity-based policies, session
//! policies and role trust policies: an explicit Deny wins, otherwise a request is allowed only
//! when some statement allows it, and with a session policy only when both allow it.
//!
//! A statement matches when its Principal (trust policies), Action/NotAction,
//! Resource/NotResource and every Condition match. Conditions support the String, Numeric,
//! Date, Bool, Binary, IpAddress, Arn and Null operators, the `…IfExists` suffix and the
//! `ForAnyValue:` / `ForAllValues:` set qualifiers. Policy variables (`${aws:username}`,
//! `${cognito-identity.amazonaws.com:sub}`, `${key, 'default'}`, `${*}`, `${?}`, `${$}`) are
//! substituted in resources and condition values.

use std::collections::HashMap;
use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::Value;

use crate::clock::parse_iso8601;

/// Why a document was refused (IAM's MalformedPolicyDocument).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// What kind of document is being parsed; trust policies need a Principal and may omit Resource,
/// identity and session policies must not name a Principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Trust,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, or everything but them (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Patterns {
    Any(Vec<String>),
    NoneOf(Vec<String>),
}

/// The principals a trust-policy statement names: `"*"`, or values per kind (`AWS`,
/// `Federated`, `Service`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principals {
    Everyone,
    Named(Vec<(String, String)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    qualifier: SetQualifier,
    comparison: Comparison,
    negated: bool,
    if_exists: bool,
    key: String,
    values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    effect: Effect,
    principals: Option<Principals>,
    actions: Option<Patterns>,
    resources: Option<Patterns>,
    conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// The outcome of an evaluation, named as SimulatePrincipalPolicy names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }

    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }
}

/// The request being decided: an action on a resource, by a principal (for trust policies),
/// with its context keys (names compared case-insensitively, each with one or more values).
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub action: String,
    pub resource: String,
    /// `(kind, value)`, e.g. `("Federated", "cognito-identity.amazonaws.com")`.
    pub principal: Option<(String, String)>,
    keys: HashMap<String, Vec<String>>,
}

impl RequestContext {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        RequestContext { action: action.into(), resource: resource.into(), principal: None, keys: HashMap::new() }
    }

    pub fn with_principal(mut self, kind: &str, value: &str) -> Self {
        self.principal = Some((kind.to_string(), value.to_string()));
        self
    }

    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.keys.insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    /// Sets a multi-valued key (such as `cognito-identity.amazonaws.com:amr`).
    pub fn set_all(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(key.to_ascii_lowercase(), values);
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }
}

fn malformed(message: impl Into<String>) -> PolicyError {
    PolicyError(message.into())
}

fn string_list(value: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
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
fn condition_values(value: &Value) -> Result<Vec<String>, PolicyError> {
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

fn parse_operator(name: &str) -> Result<(SetQualifier, Comparison, bool, bool), PolicyError> {
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

fn parse_patterns(statement: &serde_json::Map<String, Value>, positive: &str, negative: &str) -> Result<Option<Patterns>, PolicyError> {
    match (statement.get(positive), statement.get(negative)) {
        (Some(_), Some(_)) => Err(malformed(format!("A statement cannot have both {positive} and {negative}."))),
        (Some(value), None) => Ok(Some(Patterns::Any(string_list(value, positive)?))),
        (None, Some(value)) => Ok(Some(Patterns::NoneOf(string_list(value, negative)?))),
        (None, None) => Ok(None),
    }
}

fn parse_principals(value: &Value) -> Result<Principals, PolicyError> {
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

fn parse_statement(value: &Value, kind: PolicyKind) -> Result<Statement, PolicyError> {
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
        Ok(Policy { statements })
    }

    /// This policy's own verdict on a request: ExplicitDeny if a Deny statement matches,
    /// Allowed if an Allow statement does, ImplicitDeny otherwise.
    pub fn decide(&self, request: &RequestContext) -> Decision {
        let mut allowed = false;
        for statement in &self.statements {
            if statement.matches(request) {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed {
            Decision::Allowed
        } else {
            Decision::ImplicitDeny
        }
    }
}

/// IAM's evaluation for a role session: an explicit Deny in any identity or session policy
/// wins; otherwise some identity policy must allow, and when session policies are present,
/// each of them must allow too.
pub fn evaluate(identity_policies: &[Policy], session_policies: &[Policy], request: &RequestContext) -> Decision {
    let identity: Vec<Decision> = identity_policies.iter().map(|policy| policy.decide(request)).collect();
    let session: Vec<Decision> = session_policies.iter().map(|policy| policy.decide(request)).collect();
    if identity.iter().chain(session.iter()).any(|decision| *decision == Decision::ExplicitDeny) {
        return Decision::ExplicitDeny;
    }
    let identity_allows = identity.iter().any(|decision| decision.is_allowed());
    let sessions_allow = session.iter().all(|decision| decision.is_allowed());
    if identity_allows && sessions_allow {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    }
}

impl Statement {
    fn matches(&self, request: &RequestContext) -> bool {
        if let Some(principals) = &self.principals {
            let matched = match (principals, &request.principal) {
                (Principals::Everyone, _) => true,
                (Principals::Named(named), Some((kind, value))) => named.iter().any(|(named_kind, named_value)| {
                    named_kind == kind && (named_value == "*" || named_value == value)
                }),
                (Principals::Named(_), None) => false,
            };
            if !matched {
                return false;
            }
        }
        let action_matches = |pattern: &String| wildcard_match(&pattern.to_ascii_lowercase(), &request.action.to_ascii_lowercase());
        match &self.actions {
            Some(Patterns::Any(list)) if !list.iter().any(action_matches) => return false,
            Some(Patterns::NoneOf(list)) if list.iter().any(action_matches) => return false,
            _ => {}
        }
        let resource_matches = |pattern: &String| match substitute(pattern, request, true) {
            Some(pattern) => wildcard_match(&pattern, &request.resource),
            None => false,
        };
        match &self.resources {
            Some(Patterns::Any(list)) if !list.iter().any(resource_matches) => return false,
            Some(Patterns::NoneOf(list)) if list.iter().any(resource_matches) => return false,
            _ => {}
        }
        self.conditions.iter().all(|condition| condition.holds(request))
    }
}

impl Condition {
    fn holds(&self, request: &RequestContext) -> bool {
        let present = request.get(&self.key);
        if self.comparison == Comparison::Null {
            let want_absent = self.values.iter().any(|value| value.eq_ignore_ascii_case("true"));
            return present.is_none() == want_absent;
        }
        let values: Vec<String> = self
            .values
            .iter()
            .filter_map(|value| {
                if matches!(self.comparison, Comparison::StringEquals | Comparison::StringEqualsIgnoreCase | Comparison::StringLike | Comparison::ArnLike) {
                    substitute(value, request, self.comparison == Comparison::StringLike || self.comparison == Comparison::ArnLike)
                } else {
                    Some(value.clone())
                }
            })
            .collect();
        let matches_one = |context_value: &str| values.iter().any(|policy_value| self.compare(policy_value, context_value));
        match (self.qualifier, present) {
            (_, None) if self.if_exists => true,
            (SetQualifier::ForAllValues, None) => true,
            (SetQualifier::ForAnyValue, None) => false,
            (SetQualifier::Single, None) => self.negated,
            (SetQualifier::ForAllValues, Some(context)) => {
                context.iter().all(|value| matches_one(value) != self.negated)
            }
            (SetQualifier::ForAnyValue, Some(context)) => {
                context.iter().any(|value| matches_one(value) != self.negated)
            }
            (SetQualifier::Single, Some(context)) => {
                let any = context.iter().any(|value| matches_one(value));
                any != self.negated
            }
        }
    }

    fn compare(&self, policy_value: &str, context_value: &str) -> bool {
        let numbers = || Some((policy_value.trim().parse::<f64>().ok()?, context_value.trim().parse::<f64>().ok()?));
        let dates = || Some((parse_iso8601(policy_value)?, parse_iso8601(context_value)?));
        match self.comparison {
            Comparison::StringEquals => policy_value == context_value,
            Comparison::StringEqualsIgnoreCase => policy_value.to_lowercase() == context_value.to_lowercase(),
            Comparison::StringLike | Comparison::ArnLike => wildcard_match(policy_value, context_value),
            Comparison::NumericEquals => numbers().is_some_and(|(policy, context)| context == policy),
            Comparison::NumericLessThan => numbers().is_some_and(|(policy, context)| context < policy),
            Comparison::NumericLessThanEquals => numbers().is_some_and(|(policy, context)| context <= policy),
            Comparison::NumericGreaterThan => numbers().is_some_and(|(policy, context)| context > policy),
            Comparison::NumericGreaterThanEquals => numbers().is_some_and(|(policy, context)| context >= policy),
            Comparison::DateEquals => dates().is_some_and(|(policy, context)| context == policy),
            Comparison::DateLessThan => dates().is_some_and(|(policy, context)| context < policy),
            Comparison::DateLessThanEquals => dates().is_some_and(|(policy, context)| context <= policy),
            Comparison::DateGreaterThan => dates().is_some_and(|(policy, context)| context > policy),
            Comparison::DateGreaterThanEquals => dates().is_some_and(|(policy, context)| context >= policy),
            Comparison::Bool => policy_value.eq_ignore_ascii_case(context_value),
            Comparison::BinaryEquals => match (BASE64.decode(policy_value), BASE64.decode(context_value)) {
                (Ok(policy), Ok(context)) => policy == context,
                _ => false,
            },
            Comparison::IpAddress => ip_in_cidr(context_value, policy_value),
            Comparison::Null => false,
        }
    }
}

/// Whether `address` lies in `cidr` (`10.0.0.0/8`, `2001:db8::/32`, or a single address).
fn ip_in_cidr(address: &str, cidr: &str) -> bool {
    let (network, bits) = match cidr.split_once('/') {
        Some((network, bits)) => (network, bits.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let (Ok(address), Ok(network)) = (address.trim().parse::<IpAddr>(), network.trim().parse::<IpAddr>()) else {
        return false;
    };
    match (address, network) {
        (IpAddr::V4(address), IpAddr::V4(network)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(address) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(address), IpAddr::V6(network)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(address) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

/// Substitutes policy variables. `${*}`, `${?}` and `${$}` stand for the literal characters
/// (escaped as `\*` / `\?` for wildcard patterns when `for_pattern`); a variable whose key is
/// absent takes its default (`${key, 'default'}`) or makes the value unusable (`None`).
fn substitute(text: &str, request: &RequestContext, for_pattern: bool) -> Option<String> {
    if !text.contains("${") {
        return Some(text.to_string());
    }
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        output.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            output.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = after[..end].trim();
        let escape = |character: char| if for_pattern { format!("\\{character}") } else { character.to_string() };
        let replacement = match inner {
            "*" => escape('*'),
            "?" => escape('?'),
            "$" => "$".to_string(),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((key, default)) => {
                        let default = default.trim();
                        let default = default.strip_prefix('\'').and_then(|value| value.strip_suffix('\'')).unwrap_or(default);
                        (key.trim(), Some(default.to_string()))
                    }
                    None => (inner, None),
                };
                match request.get(key).and_then(|values| values.first()) {
                    Some(value) if for_pattern => value.replace('*', "\\*").replace('?', "\\?"),
                    Some(value) => value.clone(),
                    None => default?,
                }
            }
        };
        output.push_str(&replacement);
        rest = &after[end + 1..];
    }
    output.push_str(rest);
    Some(output)
}

/// Matches `text` against `pattern`, where `*` is any run of characters, `?` any one, and
/// `\*` / `\?` (from substituted variables) the literal characters.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Star,
        One,
        Literal(char),
    }
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut characters = pattern.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\\' if matches!(characters.peek(), Some('*') | Some('?')) => tokens.push(Token::Literal(characters.next().unwrap())),
            '*' => tokens.push(Token::Star),
            '?' => tokens.push(Token::One),
            other => tokens.push(Token::Literal(other)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    let (mut token_index, mut text_index) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while text_index < text.len() {
        match tokens.get(token_index) {
            Some(Token::Star) => {
                backtrack = Some((token_index, text_index));
                token_index += 1;
            }
            Some(Token::One) => {
                token_index += 1;
                text_index += 1;
            }
            Some(Token::Literal(character)) if *character == text[text_index] => {
                token_index += 1;
                text_index += 1;
            }
            _ => match backtrack {
                Some((star, position)) => {
                    token_index = star + 1;
                    text_index = position + 1;
                    backtrack = Some((star, position + 1));
                }
                None => return false,
            },
        }
    }
    tokens[token_index..].iter().all(|token| *token == Token::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(document: &str) -> Policy {
        Policy::parse(document, PolicyKind::Identity).unwrap()
    }

    fn allow_with(condition: &str) -> Policy {
        identity(&format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}}}"#))
    }

    fn request() -> RequestContext {
        RequestContext::new("s3:GetObject", "arn:aws:s3:::bucket/key")
    }

    #[test]
    fn wildcards() {
        let table = [
            ("*", "", true),
            ("*", "anything", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*b*", "aab", true),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", true),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/a", false),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("**a", "ba", true),
        ];
        for (pattern, text, expected) in table {
            assert_eq!(wildcard_match(pattern, text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn evaluation_rules() {
        let allow_get = identity(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::bucket/*"}]}"#);
        let deny_all = identity(r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#);
        let allow_put = identity(r#"{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}"#);
        let not_action = identity(r#"{"Statement":{"Effect":"Allow","NotAction":"s3:Delete*","NotResource":"arn:aws:s3:::secret/*"}}"#);
        let get = request();
        let put = RequestContext::new("s3:PutObject", "arn:aws:s3:::bucket/key");
        let delete = RequestContext::new("s3:DeleteObject", "arn:aws:s3:::bucket/key");
        let secret = RequestContext::new("s3:GetObject", "arn:aws:s3:::secret/key");
        let shouting = RequestContext::new("S3:getobject", "arn:aws:s3:::bucket/k");
        let table: Vec<(&str, Vec<&Policy>, Vec<&Policy>, &RequestContext, Decision)> = vec![
            ("no policy is an implicit deny", vec![], vec![], &get, Decision::ImplicitDeny),
            ("a matching allow allows", vec![&allow_get], vec![], &get, Decision::Allowed),
            ("actions match case-insensitively", vec![&allow_get], vec![], &shouting, Decision::Allowed),
            ("an action no statement names is implicitly denied", vec![&allow_get], vec![], &put, Decision::ImplicitDeny),
            ("an explicit deny wins over an allow", vec![&allow_get, &deny_all], vec![], &get, Decision::ExplicitDeny),
            ("a session policy narrows", vec![&allow_get, &allow_put], vec![&allow_put], &get, Decision::ImplicitDeny),
            ("a session policy passes what both allow", vec![&allow_get, &allow_put], vec![&allow_put], &put, Decision::Allowed),
            ("a session policy cannot widen", vec![&allow_get], vec![&allow_put], &put, Decision::ImplicitDeny),
            ("a deny in a session policy wins", vec![&allow_get], vec![&deny_all], &get, Decision::ExplicitDeny),
            ("NotAction allows what it does not name", vec![&not_action], vec![], &put, Decision::Allowed),
            ("NotAction excludes what it names", vec![&not_action], vec![], &delete, Decision::ImplicitDeny),
            ("NotResource excludes what it names", vec![&not_action], vec![], &secret, Decision::ImplicitDeny),
        ];
        for (name, identity_policies, session_policies, request, expected) in table {
            let identity_policies: Vec<Policy> = identity_policies.into_iter().cloned().collect();
            let session_policies: Vec<Policy> = session_policies.into_iter().cloned().collect();
            assert_eq!(evaluate(&identity_policies, &session_policies, request), expected, "{name}");
        }
    }

    #[test]
    fn condition_operators() {
        let mut context = request();
        context.set("aws:username", "alice");
        context.set("aws:SecureTransport", "true");
        context.set("aws:CurrentTime", "2026-06-01T00:00:00Z");
        context.set("aws:SourceIp", "10.1.2.3");
        context.set("s3:max-keys", "10");
        context.set("test:binary", "aGVsbG8=");
        context.set("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic");
        context.set_all("cognito-identity.amazonaws.com:amr", vec!["authenticated".into(), "accounts.google.com".into()]);
        let table = [
            (r#"{"StringEquals":{"aws:username":"alice"}}"#, true),
            (r#"{"StringEquals":{"aws:username":"Alice"}}"#, false),
            (r#"{"StringEquals":{"aws:username":["bob","alice"]}}"#, true),
            (r#"{"StringNotEquals":{"aws:username":["bob","carol"]}}"#, true),
            (r#"{"StringNotEquals":{"aws:username":["bob","alice"]}}"#, false),
            (r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, true),
            (r#"{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, false),
            (r#"{"StringLike":{"aws:username":"al*"}}"#, true),
            (r#"{"StringNotLike":{"aws:username":"b*"}}"#, true),
            (r#"{"StringEquals":{"AWS:USERNAME":"alice"}}"#, true),
            (r#"{"NumericLessThan":{"s3:max-keys":"11"}}"#, true),
            (r#"{"NumericLessThan":{"s3:max-keys":10}}"#, false),
            (r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, true),
            (r#"{"NumericGreaterThan":{"s3:max-keys":"9"}}"#, true),
            (r#"{"NumericGreaterThanEquals":{"s3:max-keys":"11"}}"#, false),
            (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, true),
            (r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#, false),
            (r#"{"NumericEquals":{"s3:max-keys":"ten"}}"#, false),
            (r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#, true),
            (r#"{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#, false),
            (r#"{"DateLessThanEquals":{"aws:CurrentTime":"2026-06-01"}}"#, true),
            (r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-06-02"}}"#, false),
            (r#"{"DateEquals":{"aws:CurrentTime":"1780272000"}}"#, true),
            (r#"{"DateNotEquals":{"aws:CurrentTime":"2026-06-01T00:00:00Z"}}"#, false),
            (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, true),
            (r#"{"Bool":{"aws:SecureTransport":false}}"#, false),
            (r#"{"BinaryEquals":{"test:binary":"aGVsbG8="}}"#, true),
            (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, true),
            (r#"{"IpAddress":{"aws:SourceIp":["192.168.0.0/16"]}}"#, false),
            (r#"{"NotIpAddress":{"aws:SourceIp":"192.168.0.0/16"}}"#, true),
            (r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, true),
            (r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}}"#, false),
            (r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, true),
            (r#"{"Null":{"aws:username":"true"}}"#, false),
            (r#"{"Null":{"aws:username":"false"}}"#, true),
            // Absent keys: false for positive operators, true for negated ones and IfExists.
            (r#"{"StringEquals":{"aws:absent":"x"}}"#, false),
            (r#"{"StringNotEquals":{"aws:absent":"x"}}"#, true),
            (r#"{"StringEqualsIfExists":{"aws:absent":"x"}}"#, true),
            (r#"{"StringEqualsIfExists":{"aws:username":"bob"}}"#, false),
            (r#"{"NumericLessThanIfExists":{"s3:max-keys":"5"}}"#, false),
            // Set qualifiers on a multi-valued key.
            (r#"{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}"#, true),
            (r#"{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}"#, false),
            (r#"{"ForAllValues:StringLike":{"cognito-identity.amazonaws.com:amr":["authenticated","accounts.*"]}}"#, true),
            (r#"{"ForAllValues:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}"#, false),
            (r#"{"ForAllValues:StringEquals":{"aws:absent":"x"}}"#, true),
            (r#"{"ForAnyValue:StringEquals":{"aws:absent":"x"}}"#, false),
            (r#"{"ForAnyValue:StringNotEquals":{"cognito-identity.amazonaws.com:amr":"authenticated"}}"#, true),
            (r#"{"ForAllValues:StringNotEquals":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}"#, true),
            // Operators and keys within a block are ANDed.
            (r#"{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"false"}}"#, false),
            (r#"{"StringEquals":{"aws:username":"alice","s3:max-keys":"10"}}"#, true),
            // Policy variables in condition values.
            (r#"{"StringEquals":{"aws:username":"${aws:username}"}}"#, true),
            (r#"{"StringLike":{"aws:SourceArn":"*:${aws:username}"}}"#, false),
            (r#"{"StringEquals":{"aws:username":"${aws:absent, 'alice'}"}}"#, true),
        ];
        for (condition, expected) in table {
            let decision = allow_with(condition).decide(&context);
            assert_eq!(decision.is_allowed(), expected, "{condition}");
        }
    }

    #[test]
    fn policy_variables_in_resources() {
        let policy = identity(
            r#"{"Statement":{"Effect":"Allow","Action":"cognito-sync:*","Resource":"arn:aws:cognito-sync:us-east-1:123456789012:identitypool/*/identity/${cognito-identity.amazonaws.com:sub}/*"}}"#,
        );
        let mut own = RequestContext::new(
            "cognito-sync:UpdateRecords",
            "arn:aws:cognito-sync:us-east-1:123456789012:identitypool/p/identity/us-east-1:abc/dataset/d",
        );
        own.set("cognito-identity.amazonaws.com:sub", "us-east-1:abc");
        assert_eq!(policy.decide(&own), Decision::Allowed);
        let mut other = own.clone();
        other.set("cognito-identity.amazonaws.com:sub", "us-east-1:xyz");
        assert_eq!(policy.decide(&other), Decision::ImplicitDeny);
        let mut star = own.clone();
        star.set("cognito-identity.amazonaws.com:sub", "*");
        assert_eq!(policy.decide(&star), Decision::ImplicitDeny, "a substituted value is literal, never a wildcard");
        let anonymous = RequestContext::new(own.action.clone(), own.resource.clone());
        assert_eq!(policy.decide(&anonymous), Decision::ImplicitDeny, "an absent variable matches nothing");
    }

    #[test]
    fn trust_policies_match_principals() {
        let trust = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},
                "Action":"sts:AssumeRoleWithWebIdentity",
                "Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"},
                             "ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}"#,
            PolicyKind::Trust,
        )
        .unwrap();
        let mut context = RequestContext::new("sts:AssumeRoleWithWebIdentity", "arn:aws:iam::123456789012:role/r")
            .with_principal("Federated", "cognito-identity.amazonaws.com");
        context.set("cognito-identity.amazonaws.com:aud", "us-east-1:pool");
        context.set_all("cognito-identity.amazonaws.com:amr", vec!["authenticated".into()]);
        assert_eq!(trust.decide(&context), Decision::Allowed);
        let mut guest = context.clone();
        guest.set_all("cognito-identity.amazonaws.com:amr", vec!["unauthenticated".into()]);
        assert_eq!(trust.decide(&guest), Decision::ImplicitDeny);
        let other_principal = RequestContext { principal: Some(("Federated".into(), "accounts.google.com".into())), ..context.clone() };
        assert_eq!(trust.decide(&other_principal), Decision::ImplicitDeny);
        let mut other_pool = context.clone();
        other_pool.set("cognito-identity.amazonaws.com:aud", "us-east-1:other");
        assert_eq!(trust.decide(&other_pool), Decision::ImplicitDeny);
    }

    #[test]
    fn malformed_documents_are_refused() {
        let table = [
            ("not json", PolicyKind::Identity),
            (r#"[]"#, PolicyKind::Identity),
            (r#"{"Version":"2099-01-01","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, PolicyKind::Identity),
            (r#"{"Statement":[]}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Maybe","Action":"s3:*","Resource":"*"}}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Allow","Action":"getobject","Resource":"*"}}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:x","Resource":"*"}}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringSortOf":{"a:b":"c"}}}}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"nokey":"c"}}}}"#, PolicyKind::Identity),
            (r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity"}}"#, PolicyKind::Trust),
            (r#"{"Statement":{"Effect":"Allow","Principal":{"Nobody":"x"},"Action":"sts:AssumeRole"}}"#, PolicyKind::Trust),
        ];
        for (document, kind) in table {
            assert!(Policy::parse(document, kind).is_err(), "{document}");
        }
    }
}

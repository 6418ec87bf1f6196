//! Evaluating a policy against a request: a statement's match, conditions with every operator
//! family, CIDR tests, policy variables and IAM's wildcards.

use super::*;

impl Policy {
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

    /// The statements of this policy with `effect` that match the request, with where they stand.
    pub fn matched(&self, request: &RequestContext, effect: Effect) -> Vec<MatchedStatement> {
        self.statements
            .iter()
            .zip(&self.spans)
            .filter(|(statement, _)| statement.effect == effect && statement.matches(request))
            .map(|(_, (start, end))| MatchedStatement { source: self.source.clone(), start: *start, end: *end })
            .collect()
    }
}

impl Statement {
    pub(super) fn matches(&self, request: &RequestContext) -> bool {
        if let Some(principals) = &self.principals {
            let matched = match (principals, &request.principal) {
                (Principals::Everyone, _) => true,
                (Principals::Named(named), Some((kind, value))) => named.iter().any(|(named_kind, named_value)| {
                    named_kind == kind && (named_value == "*" || named_value == value || request.principal_aliases.contains(named_value))
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
    pub(super) fn holds(&self, request: &RequestContext) -> bool {
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

    pub(super) fn compare(&self, policy_value: &str, context_value: &str) -> bool {
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
pub(super) fn ip_in_cidr(address: &str, cidr: &str) -> bool {
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
pub(super) fn substitute(text: &str, request: &RequestContext, for_pattern: bool) -> Option<String> {
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

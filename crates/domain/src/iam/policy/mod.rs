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

mod evaluate;
mod parse;
mod positions;

pub use positions::Position;

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
    /// Where each statement stands in the document (one span a statement).
    spans: Vec<(Position, Position)>,
    source: PolicySource,
}

/// Where a policy came from, as MatchedStatements name it: its id (an inline policy's name, a
/// managed policy's name, `PolicyInputList.<n>`) and its type (`user`, `group`, `role`,
/// `aws-managed`, `user-managed`, `none`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    pub id: String,
    pub kind: String,
}

/// A statement that decided a simulation: its policy, and where it stands in that document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub source: PolicySource,
    pub start: Position,
    pub end: Position,
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
    /// Other values of the same kind a statement may name the principal by (an `AWS`
    /// principal's role, its account's root ARN, the account id).
    pub principal_aliases: Vec<String>,
    keys: HashMap<String, Vec<String>>,
}

impl RequestContext {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        RequestContext { action: action.into(), resource: resource.into(), principal: None, principal_aliases: Vec::new(), keys: HashMap::new() }
    }

    pub fn with_principal(mut self, kind: &str, value: &str) -> Self {
        self.principal = Some((kind.to_string(), value.to_string()));
        self
    }

    /// Other names of the principal (see [`RequestContext::principal_aliases`]).
    pub fn with_principal_aliases(mut self, aliases: Vec<String>) -> Self {
        self.principal_aliases = aliases;
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

/// IAM's evaluation for a role session: an explicit Deny in any identity or session policy
/// wins; otherwise some identity policy must allow, and when session policies are present, one
/// of them must allow too.
pub fn evaluate(identity_policies: &[Policy], session_policies: &[Policy], request: &RequestContext) -> Decision {
    evaluate_limited(identity_policies, &[session_policies], request)
}

/// IAM's evaluation with limits: the identity policies, capped by groups of limiting policies
/// (the session policies, inline and managed; a permissions boundary). An explicit Deny anywhere
/// wins; otherwise an identity policy must allow, and so must a policy of every non-empty group.
pub fn evaluate_limited(identity_policies: &[Policy], limits: &[&[Policy]], request: &RequestContext) -> Decision {
    let identity: Vec<Decision> = identity_policies.iter().map(|policy| policy.decide(request)).collect();
    let limited: Vec<Vec<Decision>> = limits.iter().map(|group| group.iter().map(|policy| policy.decide(request)).collect()).collect();
    if identity.iter().chain(limited.iter().flatten()).any(|decision| *decision == Decision::ExplicitDeny) {
        return Decision::ExplicitDeny;
    }
    let identity_allows = identity.iter().any(|decision| decision.is_allowed());
    let limits_allow = limited.iter().all(|group| group.is_empty() || group.iter().any(|decision| decision.is_allowed()));
    if identity_allows && limits_allow {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    use super::evaluate::wildcard_match;
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

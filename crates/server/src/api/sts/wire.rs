//! STS's typed requests, read from the query parameters once, and the XML of its answers.

use std::collections::BTreeMap;

use cognate_domain::iam::saml::SamlAssumedRole;
use cognate_domain::iam::{AssumedRole, TemporaryCredentials};

use crate::aws::query::{QueryError, QueryInput, Xml};

pub struct AssumeRoleWithWebIdentityRequest {
    pub role_arn: String,
    pub role_session_name: String,
    pub web_identity_token: String,
    pub duration_seconds: Option<i64>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

impl AssumeRoleWithWebIdentityRequest {
    pub fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        let role_arn = input.required("RoleArn")?.to_string();
        let role_session_name = input.required("RoleSessionName")?.to_string();
        let token = input.required("WebIdentityToken")?;
        if token.len() < 4 || token.len() > 20_000 {
            return Err(QueryError::validation("WebIdentityToken must be 4 to 20000 characters."));
        }
        let duration_seconds = input.integer("DurationSeconds")?;
        Ok(AssumeRoleWithWebIdentityRequest {
            role_arn,
            role_session_name,
            web_identity_token: token.to_string(),
            duration_seconds,
            policy: input.get("Policy").map(str::to_string),
            policy_arns: policy_arns(input)?,
        })
    }
}

pub struct AssumeRoleWithSamlRequest {
    pub role_arn: String,
    pub principal_arn: String,
    pub saml_assertion: String,
    pub duration_seconds: Option<i64>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

impl AssumeRoleWithSamlRequest {
    pub fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        let role_arn = input.required("RoleArn")?.to_string();
        let principal_arn = input.required("PrincipalArn")?.to_string();
        let assertion = input.required("SAMLAssertion")?;
        if !(4..=100_000).contains(&assertion.len()) {
            return Err(QueryError::validation("SAMLAssertion must be 4 to 100000 characters."));
        }
        Ok(AssumeRoleWithSamlRequest {
            role_arn,
            principal_arn,
            saml_assertion: assertion.to_string(),
            duration_seconds: input.integer("DurationSeconds")?,
            policy: input.get("Policy").map(str::to_string),
            policy_arns: policy_arns(input)?,
        })
    }
}

pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub role_session_name: String,
    pub duration_seconds: Option<i64>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub external_id: Option<String>,
    /// SerialNumber and TokenCode: MFA of the calling IAM user.
    pub mfa: Option<(String, String)>,
    /// Session tags (at most 50), which the role's policies test as `aws:PrincipalTag/<key>`.
    pub tags: BTreeMap<String, String>,
    /// The keys of `tags` that pass on to sessions this one assumes (role chaining).
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
}

impl AssumeRoleRequest {
    pub fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        let role_arn = input.required("RoleArn")?.to_string();
        let role_session_name = input.required("RoleSessionName")?.to_string();
        let tags = input.tags("Tags");
        let transitive_tag_keys = input.list("TransitiveTagKeys");
        if let Some(key) = transitive_tag_keys.iter().find(|key| !tags.contains_key(*key)) {
            return Err(QueryError::validation(format!("The transitive tag key {key} is not a key of Tags.")));
        }
        if tags.len() > 50 || tags.iter().any(|(key, value)| key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256) {
            return Err(QueryError::validation("Tags: at most 50, each key 1 to 128 characters and each value at most 256."));
        }
        let mfa = match (input.get("SerialNumber"), input.get("TokenCode")) {
            (Some(serial), Some(code)) => Some((serial.to_string(), code.to_string())),
            (None, None) => None,
            _ => return Err(QueryError::validation("SerialNumber and TokenCode must be given together.")),
        };
        let external_id = input.get("ExternalId").map(str::to_string);
        if external_id.as_deref().is_some_and(|id| !(2..=1224).contains(&id.len())) {
            return Err(QueryError::validation("ExternalId must be 2 to 1224 characters."));
        }
        Ok(AssumeRoleRequest {
            role_arn,
            role_session_name,
            duration_seconds: input.integer("DurationSeconds")?,
            policy: input.get("Policy").map(str::to_string),
            policy_arns: policy_arns(input)?,
            external_id,
            mfa,
            tags,
            transitive_tag_keys,
            source_identity: input.get("SourceIdentity").map(str::to_string),
        })
    }
}

/// GetFederationToken's members.
pub struct GetFederationTokenRequest {
    pub name: String,
    pub duration_seconds: Option<i64>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    /// The session tags.
    pub tags: BTreeMap<String, String>,
}

impl GetFederationTokenRequest {
    pub fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(GetFederationTokenRequest {
            name: input.required("Name")?.to_string(),
            duration_seconds: input.integer("DurationSeconds")?,
            policy: input.get("Policy").map(str::to_string),
            policy_arns: policy_arns(input)?,
            tags: input.tags("Tags"),
        })
    }
}

/// The result members of GetFederationToken.
pub fn federation_token_xml(credentials: &TemporaryCredentials, federated_user_id: &str, arn: &str, packed_policy_size: Option<i64>) -> String {
    let mut xml = Xml::new();
    credentials_xml(&mut xml, credentials);
    xml.open("FederatedUser").text("FederatedUserId", federated_user_id).text("Arn", arn).close("FederatedUser");
    if let Some(size) = packed_policy_size {
        xml.text("PackedPolicySize", &size.to_string());
    }
    xml.finish()
}

/// `PolicyArns.member.N.arn`: the managed session policies (20 to 2048 characters each).
fn policy_arns(input: &QueryInput) -> Result<Vec<String>, QueryError> {
    let arns: Vec<String> = input.structures("PolicyArns", &["arn"]).into_iter().filter_map(|mut entry| entry.remove("arn")).collect();
    if arns.iter().any(|arn| !(20..=2048).contains(&arn.len())) {
        return Err(QueryError::validation("Each of PolicyArns must be an ARN of 20 to 2048 characters."));
    }
    Ok(arns)
}

/// The result members of AssumeRole.
pub fn assume_role_xml(assumed: &AssumedRole) -> String {
    let mut xml = Xml::new();
    credentials_xml(&mut xml, &assumed.credentials);
    xml.open("AssumedRoleUser").text("AssumedRoleId", &assumed.assumed_role_id).text("Arn", &assumed.arn).close("AssumedRoleUser");
    if let Some(size) = assumed.packed_policy_size {
        xml.text("PackedPolicySize", &size.to_string());
    }
    xml.optional("SourceIdentity", assumed.source_identity.as_deref());
    xml.finish()
}

fn credentials_xml(xml: &mut Xml, credentials: &TemporaryCredentials) {
    xml.open("Credentials")
        .text("AccessKeyId", &credentials.access_key_id)
        .text("SecretAccessKey", &credentials.secret_access_key)
        .text("SessionToken", &credentials.session_token)
        .text("Expiration", &cognate_domain::clock::format_iso8601(credentials.expiration_ms.div_euclid(1000)))
        .close("Credentials");
}

/// The result members of GetSessionToken.
pub fn session_token_xml(credentials: &TemporaryCredentials) -> String {
    let mut xml = Xml::new();
    credentials_xml(&mut xml, credentials);
    xml.finish()
}

/// The result members of AssumeRoleWithWebIdentity.
pub fn assumed_role_xml(assumed: &AssumedRole) -> String {
    let mut xml = Xml::new();
    credentials_xml(&mut xml, &assumed.credentials);
    xml.text("SubjectFromWebIdentityToken", &assumed.subject)
        .open("AssumedRoleUser")
        .text("AssumedRoleId", &assumed.assumed_role_id)
        .text("Arn", &assumed.arn)
        .close("AssumedRoleUser");
    if let Some(size) = assumed.packed_policy_size {
        xml.text("PackedPolicySize", &size.to_string());
    }
    xml.text("Provider", &assumed.provider).text("Audience", &assumed.audience);
    xml.optional("SourceIdentity", assumed.source_identity.as_deref());
    xml.finish()
}

/// The result members of AssumeRoleWithSAML.
pub fn saml_assumed_role_xml(saml: &SamlAssumedRole) -> String {
    let assumed = &saml.assumed;
    let mut xml = Xml::new();
    credentials_xml(&mut xml, &assumed.credentials);
    xml.open("AssumedRoleUser").text("AssumedRoleId", &assumed.assumed_role_id).text("Arn", &assumed.arn).close("AssumedRoleUser");
    if let Some(size) = assumed.packed_policy_size {
        xml.text("PackedPolicySize", &size.to_string());
    }
    xml.text("Subject", &assumed.subject)
        .text("SubjectType", &saml.subject_type)
        .text("Issuer", &saml.issuer)
        .text("Audience", &assumed.audience)
        .text("NameQualifier", &saml.name_qualifier);
    xml.optional("SourceIdentity", assumed.source_identity.as_deref());
    xml.finish()
}

/// The result members of GetCallerIdentity.
pub fn caller_identity_xml(user_id: &str, account: &str, arn: &str) -> String {
    Xml::new().text("UserId", user_id).text("Account", account).text("Arn", arn).finish()
}

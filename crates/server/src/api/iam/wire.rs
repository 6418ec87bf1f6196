//! IAM's typed requests, each read from the query parameters once and naming the resource a
//! policy decides on, and the XML of its answers.

use std::collections::BTreeMap;

use cognate_domain::clock::format_iso8601;
use cognate_domain::iam::{OidcProvider, Role};
use cognate_domain::ids::arn;

use crate::aws::query::{url_encode, QueryError, QueryInput, Xml};

/// A request read from the query parameters.
pub trait FromQuery: Sized {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError>;
}

/// The resource a request acts on, for the policy engine.
pub trait ActsOn {
    fn resource(&self, account_id: &str) -> String;
}

pub fn max_items(input: &QueryInput) -> Result<Option<i32>, QueryError> {
    Ok(input.integer("MaxItems")?.map(|value| value.clamp(i32::MIN as i64, i32::MAX as i64) as i32))
}

pub fn optional(input: &QueryInput, name: &str) -> Option<String> {
    input.get(name).map(str::to_string)
}

pub fn required(input: &QueryInput, name: &str) -> Result<String, QueryError> {
    input.required(name).map(str::to_string)
}

/// GetRole and DeleteRole.
pub struct RoleNameRequest {
    pub role_name: String,
}

pub struct CreateRoleRequest {
    pub role_name: String,
    pub path: Option<String>,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub tags: BTreeMap<String, String>,
    pub permissions_boundary: Option<String>,
}

/// PutRolePermissionsBoundary and DeleteRolePermissionsBoundary (no policy).
pub struct RoleBoundaryRequest {
    pub role_name: String,
    pub permissions_boundary: Option<String>,
}

pub struct ListRolesRequest {
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i32>,
}

/// UpdateRole and UpdateRoleDescription (which requires the description).
pub struct UpdateRoleRequest {
    pub role_name: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
}

pub struct UpdateAssumeRolePolicyRequest {
    pub role_name: String,
    pub policy_document: String,
}

/// Tag…, Untag… and List…Tags of a role (`RoleName`), a user (`UserName`) or a managed policy
/// (`PolicyArn`): the name or ARN, the tags to add and the keys to remove.
pub struct TagsRequest {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub tag_keys: Vec<String>,
}

impl TagsRequest {
    /// Reads the request with the target named by `member`.
    pub fn from_query_for(input: &QueryInput, member: &str) -> Result<Self, QueryError> {
        Ok(TagsRequest { name: required(input, member)?, tags: input.tags("Tags"), tag_keys: input.list("TagKeys") })
    }
}

pub struct PutRolePolicyRequest {
    pub role_name: String,
    pub policy_name: String,
    pub policy_document: String,
}

/// GetRolePolicy and DeleteRolePolicy.
pub struct RolePolicyNameRequest {
    pub role_name: String,
    pub policy_name: String,
}

pub struct ListRolePoliciesRequest {
    pub role_name: String,
    pub marker: Option<String>,
    pub max_items: Option<i32>,
}

pub struct CreateOidcProviderRequest {
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// GetOpenIDConnectProvider and DeleteOpenIDConnectProvider.
pub struct OidcProviderArnRequest {
    pub arn: String,
}

/// AddClientIDToOpenIDConnectProvider and RemoveClientIDFromOpenIDConnectProvider.
pub struct OidcClientIdRequest {
    pub arn: String,
    pub client_id: String,
}

pub struct SimulatePrincipalPolicyRequest {
    pub policy_source_arn: String,
    pub action_names: Vec<String>,
    pub resource_arns: Vec<String>,
    /// `ContextEntries`: each key with its values.
    pub context: Vec<(String, Vec<String>)>,
    pub policy_input_list: Vec<String>,
}

impl FromQuery for RoleNameRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(RoleNameRequest { role_name: required(input, "RoleName")? })
    }
}

impl FromQuery for UpdateRoleRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        let (description, max_session_duration) = (optional(input, "Description"), input.integer("MaxSessionDuration")?);
        Ok(UpdateRoleRequest { role_name: required(input, "RoleName")?, description, max_session_duration })
    }
}

impl FromQuery for CreateRoleRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(CreateRoleRequest {
            role_name: required(input, "RoleName")?,
            path: optional(input, "Path"),
            assume_role_policy_document: required(input, "AssumeRolePolicyDocument")?,
            description: optional(input, "Description"),
            max_session_duration: input.integer("MaxSessionDuration")?,
            tags: input.tags("Tags"),
            permissions_boundary: optional(input, "PermissionsBoundary"),
        })
    }
}

impl FromQuery for RoleBoundaryRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(RoleBoundaryRequest { role_name: required(input, "RoleName")?, permissions_boundary: optional(input, "PermissionsBoundary") })
    }
}

impl FromQuery for ListRolesRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(ListRolesRequest { path_prefix: optional(input, "PathPrefix"), marker: optional(input, "Marker"), max_items: max_items(input)? })
    }
}

impl FromQuery for UpdateAssumeRolePolicyRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(UpdateAssumeRolePolicyRequest { role_name: required(input, "RoleName")?, policy_document: required(input, "PolicyDocument")? })
    }
}

impl FromQuery for PutRolePolicyRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(PutRolePolicyRequest {
            role_name: required(input, "RoleName")?,
            policy_name: required(input, "PolicyName")?,
            policy_document: required(input, "PolicyDocument")?,
        })
    }
}

impl FromQuery for RolePolicyNameRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(RolePolicyNameRequest { role_name: required(input, "RoleName")?, policy_name: required(input, "PolicyName")? })
    }
}

impl FromQuery for ListRolePoliciesRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(ListRolePoliciesRequest { role_name: required(input, "RoleName")?, marker: optional(input, "Marker"), max_items: max_items(input)? })
    }
}

impl FromQuery for CreateOidcProviderRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(CreateOidcProviderRequest {
            url: required(input, "Url")?,
            client_ids: input.list("ClientIDList"),
            thumbprints: input.list("ThumbprintList"),
            tags: input.tags("Tags"),
        })
    }
}

impl FromQuery for OidcProviderArnRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(OidcProviderArnRequest { arn: required(input, "OpenIDConnectProviderArn")? })
    }
}

impl FromQuery for OidcClientIdRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(OidcClientIdRequest { arn: required(input, "OpenIDConnectProviderArn")?, client_id: required(input, "ClientID")? })
    }
}

/// `ContextEntries`: each key with its values.
fn context_entries(input: &QueryInput) -> Vec<(String, Vec<String>)> {
    input
        .structures("ContextEntries", &["ContextKeyName"])
        .into_iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            let name = entry.get("ContextKeyName")?.clone();
            Some((name, input.list(&format!("ContextEntries.member.{}.ContextKeyValues", index + 1))))
        })
        .collect()
}

impl FromQuery for SimulatePrincipalPolicyRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        Ok(SimulatePrincipalPolicyRequest {
            policy_source_arn: required(input, "PolicySourceArn")?,
            action_names: input.list("ActionNames"),
            resource_arns: input.list("ResourceArns"),
            context: context_entries(input),
            policy_input_list: input.list("PolicyInputList"),
        })
    }
}

/// SimulateCustomPolicy: policies given as documents, no principal.
pub struct SimulateCustomPolicyRequest {
    pub policy_input_list: Vec<String>,
    pub boundary_policy_input_list: Vec<String>,
    pub action_names: Vec<String>,
    pub resource_arns: Vec<String>,
    pub context: Vec<(String, Vec<String>)>,
}

impl FromQuery for SimulateCustomPolicyRequest {
    fn from_query(input: &QueryInput) -> Result<Self, QueryError> {
        if input.get("ResourcePolicy").is_some() {
            return Err(QueryError::validation("ResourcePolicy is not supported: cognate has no resource-based policies."));
        }
        Ok(SimulateCustomPolicyRequest {
            policy_input_list: input.list("PolicyInputList"),
            boundary_policy_input_list: input.list("PermissionsBoundaryPolicyInputList"),
            action_names: input.list("ActionNames"),
            resource_arns: input.list("ResourceArns"),
            context: context_entries(input),
        })
    }
}

macro_rules! acts_on_role {
    ($($request:ty),*) => {
        $(impl ActsOn for $request {
            fn resource(&self, account_id: &str) -> String {
                arn::iam_role(account_id, "/", &self.role_name)
            }
        })*
    };
}

acts_on_role!(
    RoleNameRequest,
    CreateRoleRequest,
    UpdateAssumeRolePolicyRequest,
    UpdateRoleRequest,
    PutRolePolicyRequest,
    RolePolicyNameRequest,
    ListRolePoliciesRequest,
    RoleBoundaryRequest
);

impl ActsOn for OidcProviderArnRequest {
    fn resource(&self, _account_id: &str) -> String {
        self.arn.clone()
    }
}

impl ActsOn for OidcClientIdRequest {
    fn resource(&self, _account_id: &str) -> String {
        self.arn.clone()
    }
}

impl ActsOn for CreateOidcProviderRequest {
    fn resource(&self, account_id: &str) -> String {
        let host_and_path = self.url.strip_prefix("https://").unwrap_or(&self.url).trim_end_matches('/');
        arn::oidc_provider(account_id, host_and_path)
    }
}

impl ActsOn for SimulatePrincipalPolicyRequest {
    fn resource(&self, _account_id: &str) -> String {
        self.policy_source_arn.clone()
    }
}

/// The resource of a request as a policy sees it; `*` when its members do not name one.
pub fn resource_of<R: FromQuery + ActsOn>(input: &QueryInput, account_id: &str) -> String {
    R::from_query(input).map(|request| request.resource(account_id)).unwrap_or_else(|_| "*".into())
}

pub fn role_xml(xml: &mut Xml, role: &Role) {
    xml.text("Path", &role.path)
        .text("RoleName", &role.name)
        .text("RoleId", &role.role_id)
        .text("Arn", &role.arn)
        .text("CreateDate", &format_iso8601(role.created_ms.div_euclid(1000)))
        .text("AssumeRolePolicyDocument", &url_encode(&role.assume_role_policy_document))
        .optional("Description", role.description.as_deref())
        .text("MaxSessionDuration", &role.max_session_duration.to_string());
    boundary_xml(xml, role.permissions_boundary.as_deref());
    tags_xml(xml, &role.tags);
}

/// The PermissionsBoundary member of a role or user, when it has one.
pub fn boundary_xml(xml: &mut Xml, boundary: Option<&str>) {
    if let Some(arn) = boundary {
        xml.open("PermissionsBoundary")
            .text("PermissionsBoundaryType", "PermissionsPolicy")
            .text("PermissionsBoundaryArn", arn)
            .close("PermissionsBoundary");
    }
}

pub fn tags_xml(xml: &mut Xml, tags: &BTreeMap<String, String>) {
    if tags.is_empty() {
        return;
    }
    xml.open("Tags");
    for (key, value) in tags {
        xml.open("member").text("Key", key).text("Value", value).close("member");
    }
    xml.close("Tags");
}

pub fn provider_xml(xml: &mut Xml, provider: &OidcProvider) {
    xml.text("Url", provider.url());
    xml.open("ClientIDList");
    for id in &provider.client_ids {
        xml.text("member", id);
    }
    xml.close("ClientIDList").open("ThumbprintList");
    for print in &provider.thumbprints {
        xml.text("member", print);
    }
    xml.close("ThumbprintList").text("CreateDate", &format_iso8601(provider.created_ms.div_euclid(1000)));
    tags_xml(xml, &provider.tags);
}

pub fn page_xml(xml: &mut Xml, marker: Option<&str>) {
    xml.text("IsTruncated", if marker.is_some() { "true" } else { "false" });
    xml.optional("Marker", marker);
}

/// The names of inline policies (ListRolePolicies, ListUserPolicies).
pub fn policy_names_xml(names: &[String], marker: Option<&str>) -> String {
    let mut xml = Xml::new();
    xml.open("PolicyNames");
    for name in names {
        xml.text("member", name);
    }
    xml.close("PolicyNames");
    page_xml(&mut xml, marker);
    xml.finish()
}

/// The tags List…Tags answers (an empty list too).
pub fn tag_list_xml(tags: &BTreeMap<String, String>) -> String {
    let mut xml = Xml::new();
    xml.open("Tags");
    for (key, value) in tags {
        xml.open("member").text("Key", key).text("Value", value).close("member");
    }
    xml.close("Tags");
    page_xml(&mut xml, None);
    xml.finish()
}

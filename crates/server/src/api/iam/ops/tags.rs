//! Tags of roles, users, managed policies and SAML providers: TagRole, UntagRole, ListRoleTags,
//! TagUser, UntagUser, ListUserTags, TagPolicy, UntagPolicy, ListPolicyTags, TagSAMLProvider,
//! UntagSAMLProvider and ListSAMLProviderTags.

use cognate_domain::iam::Tagged;

use crate::api::iam::error::error_from_domain;
use crate::api::iam::wire::{tag_list_xml, TagsRequest};
use crate::aws::query::{QueryError, QueryInput};
use crate::state::AppState;

/// What tags a request names: `RoleName`, `UserName`, `PolicyArn` or `SAMLProviderArn`.
#[derive(Debug, Clone, Copy)]
pub enum TagTarget {
    Role,
    User,
    Policy,
    SamlProvider,
}

impl TagTarget {
    pub fn member(self) -> &'static str {
        match self {
            TagTarget::Role => "RoleName",
            TagTarget::User => "UserName",
            TagTarget::Policy => "PolicyArn",
            TagTarget::SamlProvider => "SAMLProviderArn",
        }
    }

    fn of(self, name: &str) -> Tagged<'_> {
        match self {
            TagTarget::Role => Tagged::Role(name),
            TagTarget::User => Tagged::User(name),
            TagTarget::Policy => Tagged::Policy(name),
            TagTarget::SamlProvider => Tagged::SamlProvider(name),
        }
    }
}

/// Tag… (`add`) and Untag….
pub async fn change_tags(state: &AppState, input: &QueryInput, target: TagTarget, add: bool) -> Result<String, QueryError> {
    let request = TagsRequest::from_query_for(input, target.member())?;
    let (tags, keys) = if add { (request.tags, Vec::new()) } else { (Default::default(), request.tag_keys) };
    state.iam.change_tags(target.of(&request.name), &tags, &keys).await.map_err(error_from_domain)?;
    Ok(String::new())
}

/// List…Tags (one page).
pub async fn list_tags(state: &AppState, input: &QueryInput, target: TagTarget) -> Result<String, QueryError> {
    let request = TagsRequest::from_query_for(input, target.member())?;
    let tags = state.iam.tags_of(target.of(&request.name)).await.map_err(error_from_domain)?;
    Ok(tag_list_xml(&tags))
}

//! Tags of roles, IAM users and managed policies: added, removed and read, each change a
//! compare-and-set on the tagged record; at most 50 tags each, as in IAM.

use super::*;

/// Tags one role, user or policy may have (IAM's quota).
const MAX_TAGS: usize = 50;

fn apply(tags: &mut BTreeMap<String, String>, add: &BTreeMap<String, String>, remove: &[String], what: &str) -> DomainResult<()> {
    for key in remove {
        tags.remove(key);
    }
    tags.extend(add.iter().map(|(key, value)| (key.clone(), value.clone())));
    if tags.len() > MAX_TAGS {
        return Err(DomainError::LimitExceeded(format!("A {what} may have at most {MAX_TAGS} tags.")));
    }
    Ok(())
}

impl IamService {
    /// Tag… (`add`) and Untag… (`remove`).
    pub async fn change_tags(&self, target: Tagged<'_>, add: &BTreeMap<String, String>, remove: &[String]) -> DomainResult<()> {
        for (key, value) in add {
            if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
                return Err(InvalidMember::error("tags", key.clone(), Constraint::Length { min: 1, max: 128 }));
            }
        }
        match target {
            Tagged::Role(name) => self.change_role(name, |role| apply(&mut role.tags, add, remove, "role")).await,
            Tagged::User(name) => {
                let user = self.get_user(name).await?;
                self.store
                    .change_record_of::<IamUser, _>("", &user.key(), |user| apply(&mut user.tags, add, remove, "user"))
                    .await?
                    .map(|_| ())
                    .ok_or_else(|| DomainError::NotFound(format!("The user with name {name} cannot be found.")))
            }
            Tagged::Policy(arn) => self.change_policy(arn, |policy| apply(&mut policy.tags, add, remove, "policy")).await.map(|_| ()),
        }
    }

    /// List…Tags: the tags, by key.
    pub async fn tags_of(&self, target: Tagged<'_>) -> DomainResult<BTreeMap<String, String>> {
        Ok(match target {
            Tagged::Role(name) => self.get_role(name).await?.tags,
            Tagged::User(name) => self.get_user(name).await?.tags,
            Tagged::Policy(arn) => self.get_policy(arn).await?.tags,
        })
    }
}

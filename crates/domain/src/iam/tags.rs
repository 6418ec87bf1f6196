//! Tags of roles, IAM users, managed policies and SAML providers: added, removed and read, each
//! change a compare-and-set on the tagged record; at most 50 tags each, as in IAM. A role's tags
//! are its sessions' principal tags.

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
            Tagged::Role(name) => {
                self.change_role(name, |role| apply(&mut role.tags, add, remove, "role")).await?;
                self.forget_policies(Holder::Role(name));
                Ok(())
            }
            Tagged::User(name) => {
                let user = self.get_user(name).await?;
                self.store
                    .change_record_of::<IamUser, _>("", &user.key(), |user| apply(&mut user.tags, add, remove, "user"))
                    .await?
                    .map(|_| ())
                    .ok_or_else(|| DomainError::NotFound(format!("The user with name {name} cannot be found.")))
            }
            Tagged::Policy(arn) => self.change_policy(arn, |policy| apply(&mut policy.tags, add, remove, "policy")).await.map(|_| ()),
            Tagged::SamlProvider(arn) => {
                let provider = self.get_saml_provider(arn).await?;
                self.store
                    .change_record_of::<super::saml::SamlProvider, _>("", &provider.key(), |provider| apply(&mut provider.tags, add, remove, "SAML provider"))
                    .await?
                    .map(|_| ())
                    .ok_or_else(|| DomainError::NotFound(format!("Manifest not found for arn {arn}")))
            }
        }
    }

    /// List…Tags: the tags, by key.
    pub async fn tags_of(&self, target: Tagged<'_>) -> DomainResult<BTreeMap<String, String>> {
        Ok(match target {
            Tagged::Role(name) => self.get_role(name).await?.tags,
            Tagged::User(name) => self.get_user(name).await?.tags,
            Tagged::Policy(arn) => self.get_policy(arn).await?.tags,
            Tagged::SamlProvider(arn) => self.get_saml_provider(arn).await?.tags,
        })
    }
}

impl IamService {
    /// A role's tags, which its sessions carry as `aws:PrincipalTag/…` (session tags win), cached
    /// briefly as its policies are; none for a role that is gone.
    pub(super) async fn role_tags(&self, role_name: &str) -> DomainResult<BTreeMap<String, String>> {
        let key = Holder::Role(role_name).scope();
        if let Some((loaded, tags)) = self.role_tag_cache.lock().expect("role tag cache lock").get(&key) {
            if loaded.elapsed() < POLICY_CACHE_TTL {
                return Ok(tags.clone());
            }
        }
        let tags = match self.get_role(role_name).await {
            Ok(role) => role.tags,
            Err(DomainError::NotFound(_)) => BTreeMap::new(),
            Err(error) => return Err(error),
        };
        self.role_tag_cache.lock().expect("role tag cache lock").insert(key, (Instant::now(), tags.clone()));
        Ok(tags)
    }
}

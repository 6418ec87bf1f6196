//! Reading and writing one user: resolving a name (username, username attribute or verified
//! alias), the stored record with its search values and aliases, and the compare-and-set saves
//! that every read-modify-write of a user goes through.

use super::*;

impl UserPoolService {
    /// Finds a user by username, or by a username attribute or verified alias.
    pub async fn resolve_user(&self, pool: &UserPool, name: &str) -> DomainResult<User> {
        ids::check_name(name, "username")?;
        if let Some(user) = self.store.get_user(&pool.id, &pool.username_key(name)).await? {
            return Ok(user);
        }
        for attribute in ["email", "phone_number", "preferred_username"] {
            let applies = pool.shape.username_attributes.iter().any(|name| name == attribute)
                || pool.shape.alias_attributes.iter().any(|name| name == attribute);
            if applies {
                let found = self
                    .store
                    .find_user_by_alias(&pool.id, attribute, &normalise_alias(attribute, name))
                    .await
                    ?;
                if let Some(user) = found {
                    return Ok(user);
                }
            }
        }
        Err(user_not_found())
    }

    /// The stored form of `user`: its lookup key, search values and aliases. Public so that bulk
    /// loaders (benchmarks, imports) write exactly what the admin operations write.
    pub fn user_record(&self, pool: &UserPool, user: &User) -> UserRecord {
        let mut search = vec![("username".to_string(), user.username.clone())];
        for attribute in &user.attributes {
            if attributes::SEARCHABLE_ATTRIBUTES.contains(&attribute.name.as_str()) {
                search.push((attribute.name.clone(), attribute.value.clone()));
            }
        }
        search.push(("cognito:user_status".into(), user.status.as_str().into()));
        search.push(("status".into(), if user.enabled { "Enabled" } else { "Disabled" }.into()));
        let mut aliases = Vec::new();
        // Users of external providers hold no aliases: their email may also be a native user's.
        let holds_aliases = user.status != UserStatus::ExternalProvider;
        for attribute in ["email", "phone_number", "preferred_username"] {
            let Some(value) = user.attribute(attribute).filter(|_| holds_aliases) else { continue };
            let is_username_attribute = pool.shape.username_attributes.iter().any(|name| name == attribute);
            let is_alias = pool.shape.alias_attributes.iter().any(|name| name == attribute);
            let verified = attribute == "preferred_username"
                || user.attribute(&format!("{attribute}_verified")) == Some("true");
            if is_username_attribute || (is_alias && verified) {
                aliases.push((attribute.to_string(), normalise_alias(attribute, value)));
            }
        }
        UserRecord { user: user.clone(), username_key: pool.username_key(&user.username), search, aliases }
    }

    pub(super) fn alias_error(pool: &UserPool, attribute: &str) -> DomainError {
        let noun = if attribute == "phone_number" { "phone_number" } else { attribute };
        if pool.shape.username_attributes.iter().any(|name| name == attribute) {
            DomainError::UsernameExists(format!("An account with the given {noun} already exists."))
        } else {
            DomainError::AliasExists(format!("An account with the given {noun} already exists."))
        }
    }

    /// Writes a user back, on the condition that nobody changed it since it was read (its
    /// version); `user` then holds the new version. When someone did, nothing is written and
    /// the error is the stale one, which [`retrying`] redoes from a fresh read.
    pub(super) async fn save_user(&self, pool: &UserPool, user: &mut User) -> DomainResult<()> {
        match self.store.update_user(&self.user_record(pool, user)).await {
            Ok(true) => {
                user.version += 1;
                Ok(())
            }
            Ok(false) => Err(user_not_found()),
            // Changing a user onto a value another user holds is an alias conflict, whether
            // the attribute is an alias or the pool's username attribute (Cognito answers
            // AliasExistsException there; creating such a user is UsernameExistsException).
            Err(StoreError::Conflict(ConflictOn::Alias(attribute))) => {
                let noun = if attribute == "phone_number" { "phone_number" } else { attribute.as_str() };
                Err(DomainError::AliasExists(format!("An account with the given {noun} already exists.")))
            }
            Err(StoreError::Conflict(ConflictOn::Stale)) => Err(stale_user()),
            Err(error) => Err(DomainError::from(error)),
        }
    }

    /// As [`Self::save_user`] for a change that leaves the user's indexed values (attributes,
    /// status, enabled) alone: counters and codes. One statement instead of a transaction
    /// that rewrites the search and alias rows.
    pub(super) async fn save_user_document(&self, pool: &UserPool, user: &mut User) -> DomainResult<()> {
        match self.store.update_user_document(user, &pool.username_key(&user.username)).await {
            Ok(true) => {
                user.version += 1;
                Ok(())
            }
            Ok(false) => Err(user_not_found()),
            Err(StoreError::Conflict(ConflictOn::Stale)) => Err(stale_user()),
            Err(error) => Err(DomainError::from(error)),
        }
    }

    /// The user as stored now, for redoing a change that found it changed.
    pub(super) async fn reload_user(&self, pool: &UserPool, user: &User) -> DomainResult<User> {
        self.store.get_user(&pool.id, &pool.username_key(&user.username)).await?.ok_or_else(user_not_found)
    }

    /// Applies `change` to `user` (a copy already read) and writes the document back with
    /// [`Self::save_user_document`], redoing it on a fresh read whenever another request
    /// changed the user first; `user` is then the stored user. For counters and codes only.
    pub(super) async fn change_user_document(&self, pool: &UserPool, user: &mut User, mut change: impl FnMut(&mut User) -> DomainResult<()>) -> DomainResult<()> {
        for _ in 0..USER_RETRIES {
            change(user)?;
            match self.save_user_document(pool, user).await {
                Err(error) if is_stale(&error) => *user = self.reload_user(pool, user).await?,
                other => return other,
            }
        }
        Err(stale_user())
    }

    /// Applies `change` to the user stored under `username_key` and writes it back, redoing it
    /// on a fresh read whenever another request changed the user first. Returns the user as
    /// written (as read, when `change` left it as it was: then nothing is written).
    pub(super) async fn change_user(&self, pool: &UserPool, username_key: &str, mut change: impl FnMut(&mut User) -> DomainResult<()>) -> DomainResult<User> {
        for _ in 0..USER_RETRIES {
            let mut user = self.store.get_user(&pool.id, username_key).await?.ok_or_else(user_not_found)?;
            let before = user.clone();
            change(&mut user)?;
            if user == before {
                return Ok(user);
            }
            match self.save_user(pool, &mut user).await {
                Err(error) if is_stale(&error) => continue,
                Err(error) => return Err(error),
                Ok(()) => return Ok(user),
            }
        }
        Err(stale_user())
    }

    /// Takes verified aliases that `user` is about to hold away from other users (ForceAliasCreation).
    pub(super) async fn release_aliases(&self, pool: &UserPool, user: &User) -> DomainResult<()> {
        for (attribute, value) in self.user_record(pool, user).aliases {
            if pool.shape.username_attributes.iter().any(|name| name == &attribute) {
                continue;
            }
            let holder = self.store.find_user_by_alias(&pool.id, &attribute, &value).await?;
            if let Some(mut holder) = holder {
                if holder.sub != user.sub {
                    set_attribute(&mut holder.attributes, &format!("{attribute}_verified"), "false");
                    holder.modified_ms = self.now();
                    self.save_user(pool, &mut holder).await?;
                }
            }
        }
        Ok(())
    }
}

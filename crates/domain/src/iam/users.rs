//! IAM users and their access keys: users created, read, listed and deleted; keys created (the
//! secret answered once and kept sealed), listed, made Inactive or Active, deleted, opened to
//! verify a signature, and their last use; and what a user's policies allow.

use super::*;
use crate::sealing::iam_access_key_secret;

/// Access keys one user may have (IAM's quota).
const MAX_ACCESS_KEYS: usize = 2;
/// A key's last use is written at most this often.
const LAST_USED_EVERY_MS: i64 = 60_000;
/// How many times a change of a user's keys is tried against others at the same time.
const KEY_ATTEMPTS: usize = 8;

fn no_user(name: &str) -> DomainError {
    DomainError::NotFound(format!("The user with name {name} cannot be found."))
}

fn no_key(access_key_id: &str) -> DomainError {
    DomainError::NotFound(format!("The Access Key with id {access_key_id} cannot be found."))
}

impl IamService {
    pub async fn create_user(&self, name: &str, path: Option<&str>, tags: BTreeMap<String, String>, boundary: Option<&str>) -> DomainResult<IamUser> {
        check_iam_name(name, "userName", 64)?;
        if let Some(arn) = boundary {
            self.get_policy(arn).await?;
        }
        let path = path.unwrap_or("/");
        check_path(path)?;
        if tags.len() > 50 {
            return Err(DomainError::LimitExceeded("A user may have at most 50 tags.".into()));
        }
        let user = IamUser {
            name: name.to_string(),
            user_id: format!("AIDA{}", random_string(UPPER_ALPHANUMERIC, 17)),
            arn: crate::ids::arn::iam_user(&self.account_id, path, name),
            path: path.to_string(),
            created_ms: self.now(),
            tags,
            access_keys: Vec::new(),
            groups: BTreeSet::new(),
            permissions_boundary: boundary.map(str::to_string),
            revision: 0,
        };
        match self.store.write_records(&[user.insert()?]).await {
            Ok(()) => Ok(user),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("User with name {name} already exists."))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    pub async fn get_user(&self, name: &str) -> DomainResult<IamUser> {
        check_iam_name(name, "userName", 64)?;
        let user: Option<IamUser> = self.store.get_record_of("", &name.to_ascii_lowercase(), 0).await?;
        user.ok_or_else(|| no_user(name))
    }

    pub async fn list_users(&self, path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<IamUser>> {
        let limit = marker_limit(max_items)?;
        let prefix = path_prefix.unwrap_or("/");
        self.filtered_page(marker, limit, |user: &IamUser| user.path.starts_with(prefix)).await
    }

    /// DeleteUser: refused while the user has access keys or policies, as IAM refuses it. The
    /// record is read before anything filed under it is looked at, and the deletion is a
    /// compare-and-set against that read: a key, policy or profile added meanwhile raised the
    /// user's revision, and the deletion fails rather than leave it behind.
    pub async fn delete_user(&self, name: &str) -> DomainResult<()> {
        check_iam_name(name, "userName", 64)?;
        let stored = self.store.read_record_of::<IamUser>("", &name.to_ascii_lowercase()).await?.ok_or_else(|| no_user(name))?;
        let user = stored.value.clone();
        if !user.access_keys.is_empty() {
            return Err(DomainError::InUse("Cannot delete entity, must delete access keys first.".into()));
        }
        if !user.groups.is_empty() {
            return Err(DomainError::InUse("Cannot delete entity, must remove user from all groups first.".into()));
        }
        if !self.list_mfa_devices(&user.name).await?.is_empty() {
            return Err(DomainError::InUse("Cannot delete entity, must delete MFA device first.".into()));
        }
        if self.store.get_record_of::<LoginProfile>("", &user.key(), 0).await?.is_some() {
            return Err(DomainError::InUse("Cannot delete entity, must delete login profile first.".into()));
        }
        let scope = Holder::User(&user.name).scope();
        if !self.store.list_records(ROLE_POLICY, &scope, None, 1).await?.is_empty() {
            return Err(DomainError::InUse("Cannot delete entity, must delete policies first.".into()));
        }
        if self.has_attached_policies(Holder::User(&user.name)).await? {
            return Err(DomainError::InUse("Cannot delete entity, must detach all policies first.".into()));
        }
        // The unchanged write first: the deletion happens only if nothing came meanwhile.
        let unchanged = stored.value.swap_at("", &user.key(), &stored.stored)?;
        self.store.write_records(&[unchanged, IamUser::delete_at("", &user.key())]).await.map_err(|error| match error {
            StoreError::Conflict(_) => DomainError::TooManyRequests("The user changed while it was being deleted; try again.".into()),
            other => DomainError::from(other),
        })?;
        self.forget_policies(Holder::User(&user.name));
        Ok(())
    }

    /// CreateAccessKey: `AKIA…` and a 40-character secret, answered this once and kept sealed;
    /// at most two per user, counted by compare-and-set on the user.
    pub async fn create_access_key(&self, user_name: &str) -> DomainResult<(AccessKey, String)> {
        self.get_user(user_name).await?;
        for _ in 0..KEY_ATTEMPTS {
            let stored = self.store.read_record_of::<IamUser>("", &user_name.to_ascii_lowercase()).await?.ok_or_else(|| no_user(user_name))?;
            let mut user = stored.value.clone();
            if user.access_keys.len() >= MAX_ACCESS_KEYS {
                return Err(DomainError::LimitExceeded(format!("Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}")));
            }
            let access_key_id = format!("AKIA{}", random_string(KEY_ID_ALPHABET, 16));
            let secret = random_string(SECRET_ALPHABET, 40);
            let key = AccessKey {
                access_key_id: access_key_id.clone(),
                user_name: user.name.clone(),
                sealed_secret: self.master_key.seal(secret.as_bytes(), &iam_access_key_secret(&access_key_id)),
                status: "Active".into(),
                created_ms: self.now(),
                last_used_ms: None,
                last_used_service: None,
                last_used_region: None,
            };
            user.access_keys.push(access_key_id);
            match self.store.write_records(&[user.swap_at("", &user.key(), &stored.stored)?, key.insert()?]).await {
                Ok(()) => return Ok((key, secret)),
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(DomainError::from(other)),
            }
        }
        Err(DomainError::TooManyRequests("The user's keys are being changed by others; try again.".into()))
    }

    /// The user's access keys, oldest first.
    pub async fn list_access_keys(&self, user_name: &str) -> DomainResult<(IamUser, Vec<AccessKey>)> {
        let user = self.get_user(user_name).await?;
        let mut keys = Vec::with_capacity(user.access_keys.len());
        for id in &user.access_keys {
            if let Some(key) = self.store.get_record_of::<AccessKey>("", id, 0).await? {
                keys.push(key);
            }
        }
        Ok((user, keys))
    }

    /// The access key `access_key_id` of the user, which must be the user's.
    async fn users_key(&self, user_name: &str, access_key_id: &str) -> DomainResult<(IamUser, AccessKey)> {
        let user = self.get_user(user_name).await?;
        let key: Option<AccessKey> = self.store.get_record_of("", access_key_id, 0).await?;
        match key {
            Some(key) if user.access_keys.contains(&key.access_key_id) => Ok((user, key)),
            _ => Err(no_key(access_key_id)),
        }
    }

    /// UpdateAccessKey: `Active` or `Inactive`; an inactive key signs nothing.
    pub async fn update_access_key(&self, user_name: &str, access_key_id: &str, status: &str) -> DomainResult<()> {
        if !["Active", "Inactive"].contains(&status) {
            return Err(InvalidMember::error("status", status, Constraint::OneOf(vec!["Active", "Inactive"])));
        }
        let (_, key) = self.users_key(user_name, access_key_id).await?;
        self.store
            .change_record_of::<AccessKey, _>("", &key.access_key_id, |key| {
                key.status = status.to_string();
                Ok(())
            })
            .await?
            .ok_or_else(|| no_key(access_key_id))?;
        Ok(())
    }

    /// DeleteAccessKey: the key and the user's note of it go in one transaction.
    pub async fn delete_access_key(&self, user_name: &str, access_key_id: &str) -> DomainResult<()> {
        let (user, key) = self.users_key(user_name, access_key_id).await?;
        for _ in 0..KEY_ATTEMPTS {
            let stored = self.store.read_record_of::<IamUser>("", &user.key()).await?.ok_or_else(|| no_user(user_name))?;
            let mut changed = stored.value.clone();
            changed.access_keys.retain(|id| *id != key.access_key_id);
            match self.store.write_records(&[changed.swap_at("", &user.key(), &stored.stored)?, key.delete()]).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(DomainError::from(other)),
            }
        }
        Err(DomainError::TooManyRequests("The user's keys are being changed by others; try again.".into()))
    }

    /// GetAccessKeyLastUsed: the key (with its user's name).
    pub async fn get_access_key(&self, access_key_id: &str) -> DomainResult<AccessKey> {
        self.store.get_record_of("", access_key_id, 0).await?.ok_or_else(|| no_key(access_key_id))
    }

    /// The user and secret of an active access key, to verify a signature with; None for a key
    /// that is unknown, inactive, or whose user is gone.
    pub async fn open_access_key(&self, access_key_id: &str) -> DomainResult<Option<(IamUser, AccessKey, String)>> {
        let Some(key) = self.store.get_record_of::<AccessKey>("", access_key_id, 0).await? else {
            return Ok(None);
        };
        if !key.is_active() {
            return Ok(None);
        }
        let user: Option<IamUser> = self.store.get_record_of("", &key.user_name.to_ascii_lowercase(), 0).await?;
        let Some(user) = user.filter(|user| user.access_keys.contains(&key.access_key_id)) else {
            return Ok(None);
        };
        let secret = self.master_key.open(&key.sealed_secret, &iam_access_key_secret(access_key_id))?;
        let secret = String::from_utf8(secret).map_err(DomainError::internal)?;
        Ok(Some((user, key, secret)))
    }

    /// Notes that a key signed a request for `service` in `region`, at most once a minute.
    pub async fn note_key_used(&self, key: &AccessKey, service: &str, region: &str) -> DomainResult<()> {
        let now = self.now();
        if key.last_used_ms.is_some_and(|used| now - used < LAST_USED_EVERY_MS) {
            return Ok(());
        }
        self.store
            .change_record_of::<AccessKey, _>("", &key.access_key_id, |key| {
                key.last_used_ms = Some(now);
                key.last_used_service = Some(service.to_string());
                key.last_used_region = Some(region.to_string());
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// A user's own and its groups' policies, inline and attached.
    pub(super) async fn user_policies(&self, user: &IamUser) -> DomainResult<Vec<Policy>> {
        let mut policies = self.holder_policies(Holder::User(&user.name)).await?.as_ref().clone();
        for group in &user.groups {
            policies.extend(self.holder_policies(Holder::Group(group)).await?.iter().cloned());
        }
        Ok(policies)
    }

    /// Decides whether an IAM user may perform `action` on `resource`: its own and its groups'
    /// inline and attached policies, with its context keys and `extra` ones.
    pub async fn authorize_user(&self, user: &IamUser, action: &str, resource: &str, extra: &[(&str, Vec<String>)]) -> DomainResult<Decision> {
        self.authorize_user_session(user, None, action, resource, extra).await
    }

    /// [`Self::authorize_user`] for a request signed with temporary credentials of the user:
    /// GetSessionToken's act as the user (with their MFA context); GetFederationToken's as the
    /// federated user, whose session policies cap the user's (none: nothing is allowed).
    pub async fn authorize_user_session(&self, user: &IamUser, session: Option<&StsSession>, action: &str, resource: &str, extra: &[(&str, Vec<String>)]) -> DomainResult<Decision> {
        let policies = self.user_policies(user).await?;
        let mut request = RequestContext::new(action, resource);
        let now = self.now();
        request.set("aws:CurrentTime", format_iso8601(now.div_euclid(1000)));
        request.set("aws:EpochTime", now.div_euclid(1000).to_string());
        request.set("aws:PrincipalAccount", self.account_id.clone());
        let federated = session.and_then(|session| session.federated_name.as_deref());
        match federated {
            Some(name) => {
                request.set("aws:PrincipalArn", crate::ids::arn::federated_user(&self.account_id, name));
                request.set("aws:PrincipalType", "FederatedUser".to_string());
                request.set("aws:userid", format!("{}:{name}", self.account_id));
                // The user's tags, but where a session tag has the key in any case.
                let session_tags: BTreeSet<String> = session
                    .iter()
                    .flat_map(|session| session.context.keys())
                    .filter_map(|key| key.strip_prefix("aws:PrincipalTag/"))
                    .map(str::to_lowercase)
                    .collect();
                for (key, value) in user.tags.iter().filter(|(key, _)| !session_tags.contains(&key.to_lowercase())) {
                    request.set(&format!("aws:PrincipalTag/{key}"), value.clone());
                }
            }
            None => {
                request.set("aws:PrincipalArn", user.arn.clone());
                request.set("aws:PrincipalType", "User".to_string());
                request.set("aws:username", user.name.clone());
                request.set("aws:userid", user.user_id.clone());
                for (key, value) in &user.tags {
                    request.set(&format!("aws:PrincipalTag/{key}"), value.clone());
                }
            }
        }
        if let Some(session) = session {
            for (key, values) in self.session_user_context(session) {
                request.set_all(key, values);
            }
            for (key, values) in &session.context {
                request.set_all(key, values.clone());
            }
        }
        for (key, values) in extra {
            request.set_all(key, values.clone());
        }
        let boundary = self.holder_boundary(Holder::User(&user.name)).await?;
        let mut session_policies = Vec::new();
        if let Some(session) = session.filter(|_| federated.is_some()) {
            if let Some(document) = &session.session_policy {
                session_policies.push(parse_policy(document, PolicyKind::Identity)?);
            }
            session_policies.extend(self.session_managed_policies(&session.session_policy_arns).await?);
            if session_policies.is_empty() {
                return Ok(Decision::ImplicitDeny);
            }
        }
        Ok(policy::evaluate_limited(&policies, &[&session_policies, &boundary], &request))
    }
}

//! The administrator's user operations: AdminCreateUser (with invitations), AdminGetUser,
//! AdminDeleteUser, attribute updates and deletions, enabling, passwords, and ListUsers.

use super::*;

impl UserPoolService {
    pub async fn admin_create_user(&self, pool_id: &UserPoolId, input: AdminCreateUserInput) -> DomainResult<User> {
        retrying(|| self.admin_create_user_once(pool_id, input.clone())).await
    }

    pub(super) async fn admin_create_user_once(&self, pool_id: &str, input: AdminCreateUserInput) -> DomainResult<User> {
        let pool = self.load_pool(pool_id).await?;
        ids::check_name(&input.username, "username")?;
        if input.message_action == MessageAction::Resend {
            return self.resend_invitation(&pool, &input).await;
        }
        let (username, attributes, sub) = self.prepare_new_user(&pool, &input.username, &input.attributes)?;
        for medium in &input.desired_delivery_mediums {
            let attribute = if medium == "EMAIL" { "email" } else { "phone_number" };
            if input.message_action == MessageAction::Send && !attributes.iter().any(|existing| existing.name == attribute) {
                return Err(DomainError::InvalidParameter(format!(
                    "User has no attribute matching desired delivery medium {medium}."
                )));
            }
        }
        let temporary_password = temporary_password(&pool, input.temporary_password.as_deref())?;
        let mut attributes = attributes;
        let answer = self.pre_sign_up(&pool, "PreSignUp_AdminCreateUser", &username, None, &attributes, &input.trigger_data).await?;
        apply_auto_verify(&mut attributes, answer);
        let now = self.now();
        let mut user = User::new(&pool.id, username, sub, attributes, UserStatus::ForceChangePassword, now);
        user.temporary_password_expires_ms = Some(now + self.temporary_password_validity_ms(&pool));
        self.set_password(&pool, &mut user, &temporary_password).await?;
        // The invitations are composed (CustomMessage) before anything is written.
        let invitations = match input.message_action {
            MessageAction::Send => {
                let drafts = Self::invitation_drafts(&pool, &user, &temporary_password, &input.desired_delivery_mediums);
                self.compose_all(&pool, &user, drafts).await?
            }
            _ => Vec::new(),
        };
        if input.force_alias_creation {
            self.release_aliases(&pool, &user).await?;
        }
        match self.store.insert_user(&self.user_record(&pool, &user)).await {
            Ok(()) => {}
            Err(StoreError::Conflict(ConflictOn::Key)) => {
                return Err(DomainError::UsernameExists("User account already exists".into()))
            }
            Err(StoreError::Conflict(ConflictOn::Alias(attribute))) => return Err(Self::alias_error(&pool, &attribute)),
            Err(error) => return Err(DomainError::from(error)),
        }
        for invitation in invitations {
            self.dispatch(&pool, &user, None, invitation).await?;
        }
        Ok(user)
    }

    /// Stores a new password: its Argon2id hash and its sealed SRP verifier, computed on the
    /// CPU pool. With PasswordHistorySize n, the password may not be the current one nor one of
    /// the n - 1 before it.
    pub(super) async fn set_password(&self, pool: &UserPool, user: &mut User, password: &str) -> DomainResult<()> {
        let keep = pool.settings.password_policy.password_history_size.unwrap_or(0) as usize;
        let recent: Vec<String> = user.password_hash.iter().chain(user.password_history.iter()).take(keep).cloned().collect();
        let hashing = self.password_hashing;
        let (realm, username, password) = (crate::srp::pool_name(&pool.id).to_string(), user.username.clone(), password.to_string());
        let computed = self
            .cpu
            .run(move || -> DomainResult<Option<(String, (String, String))>> {
                if recent.iter().any(|hash| crate::crypto::verify_password(&password, hash)) {
                    return Ok(None);
                }
                Ok(Some((hashing.hash(&password)?, crate::srp::make_verifier(&realm, &username, &password))))
            })
            .await??;
        let Some((hash, (salt, verifier))) = computed else {
            return Err(DomainError::PasswordReused("The password has been used previously.".into()));
        };
        let previous = user.password_hash.replace(hash);
        if let Some(previous) = previous.filter(|_| keep > 1) {
            user.password_history.insert(0, previous);
        }
        user.password_history.truncate(keep.saturating_sub(1));
        user.sealed_srp_verifier =
            Some(self.master_key.seal(format!("{salt}:{verifier}").as_bytes(), &srp_seal_context(&pool.id, &user.sub)));
        Ok(())
    }

    /// The SRP salt and verifier of a user, as hex.
    pub(super) fn srp_verifier(&self, pool: &UserPool, user: &User) -> DomainResult<Option<(String, String)>> {
        let Some(sealed) = &user.sealed_srp_verifier else { return Ok(None) };
        let plain = self.master_key.open(sealed, &srp_seal_context(&pool.id, &user.sub))?;
        let text = String::from_utf8(plain).map_err(DomainError::internal)?;
        let (salt, verifier) = text.split_once(':').ok_or_else(|| DomainError::internal("malformed SRP verifier"))?;
        Ok(Some((salt.to_string(), verifier.to_string())))
    }

    /// The username, attributes and sub of a new user: checks the attributes against the schema,
    /// applies the pool's username attributes (the username becomes the sub) and alias rules.
    pub(super) fn prepare_new_user(
        &self,
        pool: &UserPool,
        username: &str,
        raw_attributes: &[Attribute],
    ) -> DomainResult<(String, Vec<Attribute>, String)> {
        let mut attributes = dedupe_attributes(raw_attributes);
        attributes::check_attributes(&pool, &attributes, AttributeWrite::Create)?;
        let sub = ids::new_uuid();
        let username = if pool.shape.username_attributes.is_empty() {
            let email_alias = pool.shape.alias_attributes.iter().any(|name| name == "email");
            let phone_alias = pool.shape.alias_attributes.iter().any(|name| name == "phone_number");
            if email_alias && attributes::is_email(username) {
                return Err(DomainError::InvalidParameter(
                    "Username cannot be of email format, since user pool is configured for email alias.".into(),
                ));
            }
            if phone_alias && attributes::is_phone_number(username) {
                return Err(DomainError::InvalidParameter(
                    "Username cannot be of phone format, since user pool is configured for phone alias.".into(),
                ));
            }
            username.to_string()
        } else {
            let allows_email = pool.shape.username_attributes.iter().any(|name| name == "email");
            let allows_phone = pool.shape.username_attributes.iter().any(|name| name == "phone_number");
            let attribute = if allows_email && attributes::is_email(username) {
                "email"
            } else if allows_phone && attributes::is_phone_number(username) {
                "phone_number"
            } else {
                let expected = match (allows_email, allows_phone) {
                    (true, true) => "Username should be either an email or a phone number.",
                    (true, false) => "Username should be an email.",
                    _ => "Username should be a phone number.",
                };
                return Err(DomainError::InvalidParameter(expected.into()));
            };
            // The username becomes the attribute: it meets the attribute's constraints too.
            attributes::check_attributes(pool, &[Attribute { name: attribute.to_string(), value: username.to_string() }], AttributeWrite::Create)?;
            set_attribute(&mut attributes, attribute, username);
            sub.clone()
        };
        attributes.retain(|attribute| attribute.name != "sub");
        attributes.insert(0, Attribute { name: "sub".into(), value: sub.clone() });
        attributes::check_required(&pool, &attributes)?;
        Ok((username, attributes, sub))
    }

    pub(super) fn temporary_password_validity_ms(&self, pool: &UserPool) -> i64 {
        let days = match pool.settings.password_policy.temporary_password_validity_days {
            0 => 7,
            days => days,
        };
        days as i64 * DAY_MS
    }

    pub(super) async fn resend_invitation(&self, pool: &UserPool, input: &AdminCreateUserInput) -> DomainResult<User> {
        let mut user = self.resolve_user(pool, &input.username).await?;
        if user.status != UserStatus::ForceChangePassword {
            return Err(DomainError::UnsupportedUserState(
                "Resend not possible. User status must be FORCE_CHANGE_PASSWORD.".into(),
            ));
        }
        let temporary_password = temporary_password(&pool, input.temporary_password.as_deref())?;
        let now = self.now();
        self.set_password(pool, &mut user, &temporary_password).await?;
        user.temporary_password_expires_ms = Some(now + self.temporary_password_validity_ms(pool));
        user.modified_ms = now;
        let drafts = Self::invitation_drafts(pool, &user, &temporary_password, &input.desired_delivery_mediums);
        let invitations = self.compose_all(pool, &user, drafts).await?;
        self.save_user(pool, &mut user).await?;
        for invitation in invitations {
            self.dispatch(pool, &user, None, invitation).await?;
        }
        Ok(user)
    }

    pub async fn admin_get_user(&self, pool_id: &UserPoolId, username: &str) -> DomainResult<User> {
        let pool = self.load_pool(pool_id).await?;
        self.resolve_user(&pool, username).await
    }

    /// Whether `password` is the user's stored password (checked on the CPU pool): `cognate apply`
    /// leaves a user whose password is already the one given alone.
    pub async fn admin_password_is(&self, pool_id: &UserPoolId, username: &str, password: &str) -> DomainResult<bool> {
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        match &user.password_hash {
            Some(hash) => self.verify_on_pool(password, hash).await,
            None => Ok(false),
        }
    }

    pub async fn admin_delete_user(&self, pool_id: &UserPoolId, username: &str) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        if !self.store.delete_user(&pool.id, &pool.username_key(&user.username)).await? {
            return Err(user_not_found());
        }
        let (devices, passkeys) = (UserPoolService::forget_all_devices(&pool.id, &user.sub), UserPoolService::forget_all_passkeys(&pool.id, &user.sub));
        let events = UserPoolService::forget_all_events(&pool.id, &user.sub);
        self.store.write_records(&[devices, passkeys, events]).await?;
        Ok(())
    }

    pub async fn admin_update_user_attributes(&self, pool_id: &UserPoolId, username: &str, changes: &[Attribute]) -> DomainResult<()> {
        retrying(|| self.admin_update_user_attributes_once(pool_id, username, changes)).await
    }

    pub(super) async fn admin_update_user_attributes_once(&self, pool_id: &str, username: &str, changes: &[Attribute]) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let mut user = self.resolve_user(&pool, username).await?;
        let changes = dedupe_attributes(changes);
        attributes::check_attributes(&pool, &changes, AttributeWrite::Update)?;
        for channel in ["email", "phone_number"] {
            let verified_name = format!("{channel}_verified");
            let Some(change) = changes.iter().find(|change| change.name == channel) else { continue };
            let changed = user.attribute(channel) != Some(change.value.as_str());
            let verification_given = changes.iter().any(|change| change.name == verified_name);
            if changed && !verification_given {
                set_attribute(&mut user.attributes, &verified_name, "false");
            }
        }
        for change in &changes {
            if change.value.is_empty() {
                remove_attribute(&mut user.attributes, &change.name);
            } else {
                set_attribute(&mut user.attributes, &change.name, &change.value);
            }
        }
        if let Some(username_attribute) = pool
            .shape
            .username_attributes
            .iter()
            .find(|name| changes.iter().any(|change| &change.name == *name && change.value.is_empty()))
        {
            return Err(DomainError::InvalidParameter(format!("Cannot remove the username attribute {username_attribute}.")));
        }
        attributes::check_required(&pool, &user.attributes)?;
        user.modified_ms = self.now();
        self.save_user(&pool, &mut user).await
    }

    pub async fn admin_delete_user_attributes(&self, pool_id: &UserPoolId, username: &str, names: &[String]) -> DomainResult<()> {
        retrying(|| self.admin_delete_user_attributes_once(pool_id, username, names)).await
    }

    pub(super) async fn admin_delete_user_attributes_once(&self, pool_id: &str, username: &str, names: &[String]) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let mut user = self.resolve_user(&pool, username).await?;
        for name in names {
            let Some(schema_attribute) = pool.schema_attribute(name) else {
                return Err(DomainError::InvalidParameter(format!(
                    "Attributes did not conform to the schema: {name}: Attribute does not exist in the schema.\n"
                )));
            };
            if name == "sub" || !schema_attribute.mutable {
                return Err(DomainError::InvalidParameter(format!("Cannot modify the non-mutable attribute {name}")));
            }
            if schema_attribute.required || pool.shape.username_attributes.iter().any(|attribute| attribute == name) {
                return Err(DomainError::InvalidParameter(format!(
                    "Attributes did not conform to the schema: {name}: The attribute is required\n"
                )));
            }
            remove_attribute(&mut user.attributes, name);
            if name == "email" || name == "phone_number" {
                remove_attribute(&mut user.attributes, &format!("{name}_verified"));
            }
        }
        user.modified_ms = self.now();
        self.save_user(&pool, &mut user).await
    }

    pub async fn admin_set_user_enabled(&self, pool_id: &UserPoolId, username: &str, enabled: bool) -> DomainResult<()> {
        retrying(|| self.admin_set_user_enabled_once(pool_id, username, enabled)).await
    }

    pub(super) async fn admin_set_user_enabled_once(&self, pool_id: &str, username: &str, enabled: bool) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let mut user = self.resolve_user(&pool, username).await?;
        if user.enabled != enabled {
            user.enabled = enabled;
            user.modified_ms = self.now();
            self.save_user(&pool, &mut user).await?;
        }
        Ok(())
    }

    pub async fn admin_set_user_password(&self, pool_id: &UserPoolId, username: &str, password: &str, permanent: bool) -> DomainResult<()> {
        retrying(|| self.admin_set_user_password_once(pool_id, username, password, permanent)).await
    }

    pub(super) async fn admin_set_user_password_once(&self, pool_id: &str, username: &str, password: &str, permanent: bool) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let mut user = self.resolve_user(&pool, username).await?;
        password::check_password(&pool.settings.password_policy, password)?;
        let now = self.now();
        self.set_password(&pool, &mut user, password).await?;
        user.failed_sign_ins = 0;
        user.last_failed_sign_in_ms = None;
        if permanent {
            user.status = UserStatus::Confirmed;
            user.temporary_password_expires_ms = None;
        } else {
            user.status = UserStatus::ForceChangePassword;
            user.temporary_password_expires_ms = Some(now + self.temporary_password_validity_ms(&pool));
        }
        user.modified_ms = now;
        self.save_user(&pool, &mut user).await?;
        self.after_password_reset(&pool, &user).await
    }

    /// One page of ListUsers. `attributes_to_get`, when given, restricts each user's attributes.
    pub async fn list_users(
        &self,
        pool_id: &UserPoolId,
        filter: Option<&str>,
        limit: Option<i32>,
        pagination_token: Option<&str>,
        attributes_to_get: Option<&[String]>,
    ) -> DomainResult<Page<User>> {
        let limit = page_limit(limit, "limit")?;
        let pool = self.load_pool(pool_id).await?;
        if let Some(names) = attributes_to_get {
            for name in names {
                if pool.schema_attribute(name).is_none() {
                    return Err(DomainError::InvalidParameter(format!(
                        "Attributes did not conform to the schema: {name}: Attribute does not exist in the schema.\n"
                    )));
                }
            }
        }
        let parsed = filter::parse_filter(filter.unwrap_or(""))?;
        let (attribute, value_match) = match parsed {
            Some(parsed) => (parsed.attribute, parsed.value_match),
            None => ("username".to_string(), ValueMatch::Prefix(String::new())),
        };
        let after = pagination_token
            .map(|token| decode_token(token, 2))
            .transpose()?
            .map(|parts| UserCursor { value: parts[0].clone(), username_key: parts[1].clone() });
        let query = UserQuery { attribute, value_match, after, limit: limit + 1 };
        let rows = self.store.list_users(&pool.id, &query).await?;
        let (rows, more) = split_page(rows, limit);
        let next_token = if more {
            rows.last().map(|(_, cursor)| encode_token(&[&cursor.value, &cursor.username_key]))
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|(mut user, _)| {
                if let Some(names) = attributes_to_get {
                    user.attributes.retain(|attribute| names.iter().any(|name| name == &attribute.name));
                }
                user
            })
            .collect();
        Ok(Page { items, next_token })
    }

    // ----- groups -----
}

/// PreSignUp's autoVerifyEmail and autoVerifyPhone: the attribute, when the user has it, is
/// verified.
pub(crate) fn apply_auto_verify(attributes: &mut Vec<Attribute>, answer: crate::user_pool::triggers::PreSignUpAnswer) {
    for (wanted, name) in [(answer.auto_verify_email, "email"), (answer.auto_verify_phone, "phone_number")] {
        if wanted && attributes.iter().any(|attribute| attribute.name == name) {
            set_attribute(attributes, &format!("{name}_verified"), "true");
        }
    }
}

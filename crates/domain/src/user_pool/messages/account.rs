//! What the holder of an access token does to their own account: attribute updates with
//! verification codes, attribute deletion and deleting the user.

use super::*;
use super::compose::{delivery_details, MessageSource};

impl UserPoolService {
    /// UpdateUserAttributes, by the holder of an access token. A changed email or phone number
    /// becomes unverified and a code is sent to it.
    pub async fn update_user_attributes(&self, access_token: &str, changes: &[Attribute]) -> DomainResult<Vec<CodeDeliveryDetails>> {
        let holder = self.authenticate_access_token(access_token).await?;
        let client_id = holder.claims.get("client_id").and_then(Value::as_str).unwrap_or("").to_string();
        let (pool, client) = self.client_for(&client_id, &Caller::Client).await?;
        check_client_writes(&client, changes)?;
        if changes.iter().any(|change| change.name.ends_with("_verified")) {
            return Err(DomainError::NotAuthorized("A user may not mark an attribute verified.".into()));
        }
        let before = holder.user.clone();
        // AttributesRequireVerificationBeforeUpdate: a verified email or phone number keeps its
        // value until the code sent to the new one comes back.
        let held: Vec<String> = pool
            .settings
            .opaque
            .get("UserAttributeUpdateSettings")
            .and_then(|settings| settings.get("AttributesRequireVerificationBeforeUpdate"))
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let (waiting, applied): (Vec<Attribute>, Vec<Attribute>) = changes.iter().cloned().partition(|change| {
            held.contains(&change.name)
                && before.attribute(&format!("{}_verified", change.name)) == Some("true")
                && before.attribute(&change.name) != Some(change.value.as_str())
                && pool.settings.auto_verified_attributes.contains(&change.name)
        });
        let mut deliveries = Vec::new();
        if !waiting.is_empty() {
            attributes::check_attributes(&pool, &waiting, crate::user_pool::AttributeWrite::Update)?;
        }
        if !applied.is_empty() {
            self.admin_update_user_attributes(&pool.id, &holder.user.username, &applied).await?;
        }
        // The codes are stored on the user first (redone on a fresh read if the user changed
        // meanwhile), then sent: a code that was sent is always the one stored.
        let mut codes: Vec<(String, String, String)> = Vec::new();
        let username_key = pool.username_key(&holder.user.username);
        let user = self
            .change_user(&pool, &username_key, |user| {
                codes.clear();
                for change in &waiting {
                    let purpose = CodePurpose::verifying(&change.name).expect("email and phone_number are verifiable");
                    let (attribute, code) = self.prepare_code(user, purpose, &change.name);
                    if let Some(pending) = user.pending_codes.iter_mut().find(|pending| pending.purpose == purpose) {
                        pending.pending_value = Some(change.value.clone());
                    }
                    codes.push((attribute, change.value.clone(), code));
                }
                for attribute in ["email", "phone_number"] {
                    let changed = user.attribute(attribute).is_some() && user.attribute(attribute) != before.attribute(attribute);
                    let changed = changed && !waiting.iter().any(|change| change.name == attribute);
                    if changed && pool.settings.auto_verified_attributes.iter().any(|name| name == attribute) {
                        let purpose = CodePurpose::verifying(attribute).expect("email and phone_number are verifiable");
                        let destination = user.attribute(attribute).unwrap_or_default().to_string();
                        let (attribute, code) = self.prepare_code(user, purpose, attribute);
                        codes.push((attribute, destination, code));
                    }
                }
                Ok(())
            })
            .await?;
        for (attribute, destination, code) in codes {
            let draft = Self::verification_draft(&pool, &attribute, destination, code, MessageSource::UpdateUserAttribute);
            deliveries.push(delivery_details(&draft, &attribute));
            self.compose_and_send(&pool, &user, Some(&client_id), draft).await?;
        }
        Ok(deliveries)
    }

    /// GetUserAttributeVerificationCode.
    pub async fn get_user_attribute_verification_code(&self, access_token: &str, attribute: &str) -> DomainResult<CodeDeliveryDetails> {
        retrying(|| self.get_user_attribute_verification_code_once(access_token, attribute)).await
    }

    pub(crate) async fn get_user_attribute_verification_code_once(&self, access_token: &str, attribute: &str) -> DomainResult<CodeDeliveryDetails> {
        let holder = self.authenticate_access_token(access_token).await?;
        let purpose = CodePurpose::verifying(attribute)
            .ok_or_else(|| DomainError::InvalidParameter(format!("{attribute} cannot be verified.")))?;
        let (pool, mut user) = (holder.pool, holder.user);
        self.count_attempt(&mut user, "GetUserAttributeVerificationCode", 5)?;
        let client_id = holder.claims.get("client_id").and_then(Value::as_str).map(str::to_string);
        self.send_code(&pool, &mut user, purpose, attribute, client_id.as_deref()).await
    }

    /// VerifyUserAttribute.
    pub async fn verify_user_attribute(&self, access_token: &str, attribute: &str, code: &str) -> DomainResult<()> {
        retrying(|| self.verify_user_attribute_once(access_token, attribute, code)).await
    }

    pub(crate) async fn verify_user_attribute_once(&self, access_token: &str, attribute: &str, code: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        let purpose = CodePurpose::verifying(attribute)
            .ok_or_else(|| DomainError::InvalidParameter(format!("{attribute} cannot be verified.")))?;
        let (pool, mut user) = (holder.pool, holder.user);
        self.count_attempt(&mut user, "VerifyUserAttribute", 15)?;
        let pending = self.consume_pending_code(&pool, &mut user, purpose, code).await?;
        if let Some(value) = pending.pending_value {
            set_attribute(&mut user.attributes, attribute, &value);
        }
        set_attribute(&mut user.attributes, &format!("{attribute}_verified"), "true");
        user.modified_ms = self.now();
        self.save_user(&pool, &mut user).await
    }

    /// DeleteUserAttributes, by the holder of an access token.
    pub async fn delete_user_attributes(&self, access_token: &str, names: &[String]) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.admin_delete_user_attributes(&holder.pool.id, &holder.user.username, names).await
    }

    /// DeleteUser, by the holder of an access token.
    pub async fn delete_user(&self, access_token: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.admin_delete_user(&holder.pool.id, &holder.user.username).await
    }
}

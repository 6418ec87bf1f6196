//! Account recovery: ForgotPassword, ConfirmForgotPassword and AdminResetUserPassword.

use super::*;
use crate::user_pool::auth::ClientProof;

impl UserPoolService {
    /// The verified channel a password-reset code goes to, by the pool's recovery setting.
    pub(crate) fn recovery_channel(pool: &UserPool, user: &User) -> Option<String> {
        let mechanisms: Vec<String> = match &pool.settings.account_recovery {
            Some(mechanisms) => {
                let mut sorted = mechanisms.clone();
                sorted.sort_by_key(|mechanism| mechanism.priority);
                sorted.into_iter().map(|mechanism| mechanism.name).collect()
            }
            None => vec!["verified_phone_number".into(), "verified_email".into()],
        };
        mechanisms.iter().find_map(|mechanism| {
            let attribute = mechanism.strip_prefix("verified_")?;
            let verified = user.attribute(&format!("{attribute}_verified")) == Some("true");
            (verified && user.attribute(attribute).is_some()).then(|| attribute.to_string())
        })
    }

    /// ForgotPassword. With PreventUserExistenceErrors an unknown user gets a plausible answer.
    pub async fn forgot_password(&self, client_id: &ClientId, username: &str, proof: ClientProof<'_>)
        -> DomainResult<CodeDeliveryDetails> {
        retrying(|| self.forgot_password_once(client_id, username, proof)).await
    }

    pub(crate) async fn forgot_password_once(&self, client_id: &str, username: &str, proof: ClientProof<'_>)
        -> DomainResult<CodeDeliveryDetails> {
        let (pool, client) = self.client_for(client_id, &Caller::Client).await?;
        let Some(mut user) = self.find_or_migrate(&pool, &client, username, proof, None).await? else {
            self.decoy_write(&pool, username, true).await?;
            return Ok(self.decoy_delivery(&pool, username));
        };
        if pool.settings.account_recovery.as_ref().is_some_and(|mechanisms| mechanisms.iter().any(|mechanism| mechanism.name == "admin_only")) {
            return Err(DomainError::NotAuthorized("The user pool allows account recovery by an administrator only.".into()));
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        let channel = Self::recovery_channel(&pool, &user).ok_or_else(|| {
            DomainError::InvalidParameter(
                "Cannot reset password for the user as there is no registered/verified email or phone_number".into(),
            )
        })?;
        self.count_attempt(&mut user, "ForgotPassword", 5)?;
        let details = self.send_code(&pool, &mut user, CodePurpose::ResetPassword, &channel, Some(client_id)).await?;
        self.record_account_event(&pool, &user, crate::user_pool::auth_events::types::EventKind::ForgotPassword, Some(client_id)).await?;
        Ok(details)
    }

    /// ConfirmForgotPassword.
    pub async fn confirm_forgot_password(
        &self,
        client_id: &ClientId,
        username: &str,
        code: &str,
        new_password: &str,
        proof: ClientProof<'_>,
    ) -> DomainResult<()> {
        retrying(|| self.confirm_forgot_password_once(client_id, username, code, new_password, proof)).await
    }

    pub(crate) async fn confirm_forgot_password_once(
        &self,
        client_id: &str,
        username: &str,
        code: &str,
        new_password: &str,
        proof: ClientProof<'_>,
    ) -> DomainResult<()> {
        let (pool, _, user) = self.client_user(client_id, username, proof).await?;
        let Some(mut user) = user else {
            password::check_password(&pool.settings.password_policy, new_password)?;
            self.decoy_write(&pool, username, false).await?;
            return Err(DomainError::CodeMismatch("Invalid verification code provided, please try again.".into()));
        };
        password::check_password(&pool.settings.password_policy, new_password)?;
        self.count_attempt(&mut user, "ConfirmForgotPassword", 10)?;
        self.consume_code(&pool, &mut user, CodePurpose::ResetPassword, code).await?;
        self.set_password(&pool, &mut user, new_password).await?;
        user.status = UserStatus::Confirmed;
        user.temporary_password_expires_ms = None;
        user.failed_sign_ins = 0;
        user.last_failed_sign_in_ms = None;
        user.modified_ms = self.now();
        self.save_user(&pool, &mut user).await?;
        self.after_password_reset(&pool, &user).await?;
        self.record_account_event(&pool, &user, crate::user_pool::auth_events::types::EventKind::PasswordChange, Some(client_id)).await?;
        self.post_confirmation(&pool, Some(client_id), &user, "PostConfirmation_ConfirmForgotPassword").await
    }

    /// AdminResetUserPassword: the user must reset their password with a code before signing in.
    pub async fn admin_reset_user_password(&self, pool_id: &UserPoolId, username: &str) -> DomainResult<()> {
        retrying(|| self.admin_reset_user_password_once(pool_id, username)).await
    }

    pub(crate) async fn admin_reset_user_password_once(&self, pool_id: &str, username: &str) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let mut user = self.resolve_user(&pool, username).await?;
        let channel = Self::recovery_channel(&pool, &user).ok_or_else(|| {
            DomainError::InvalidParameter(
                "Cannot reset password for the user as there is no registered/verified email or phone_number".into(),
            )
        })?;
        user.status = UserStatus::ResetRequired;
        user.modified_ms = self.now();
        self.send_code(&pool, &mut user, CodePurpose::ResetPassword, &channel, None).await?;
        self.after_password_reset(&pool, &user).await
    }
}

//! IAM users' console passwords: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile,
//! DeleteLoginProfile, and the check of a console sign-in (the password hashed with Argon2id off
//! the async workers; a user without a profile costs the same time).

use super::*;

fn no_profile(name: &str) -> DomainError {
    DomainError::NotFound(format!("Login Profile for User {name} cannot be found."))
}

/// IAM's default password policy: 8 to 128 characters.
fn check_console_password(password: &str) -> DomainResult<()> {
    let length = password.chars().count();
    if !(8..=128).contains(&length) {
        return Err(DomainError::InvalidPassword("Password should have a minimum length of 8 and a maximum length of 128.".into()));
    }
    Ok(())
}

/// The hash checked for a user who has no console password.
static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn decoy() -> DomainResult<String> {
    if let Some(decoy) = DECOY.get() {
        return Ok(decoy.clone());
    }
    let made = hashed(&random_string(UPPER_ALPHANUMERIC, 24)).await?;
    Ok(DECOY.get_or_init(|| made).clone())
}

async fn hashed(password: &str) -> DomainResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || crate::crypto::hash_password(&password)).await.map_err(DomainError::internal)?
}

impl IamService {
    /// CreateLoginProfile.
    pub async fn create_login_profile(&self, user_name: &str, password: &str, reset_required: bool) -> DomainResult<LoginProfile> {
        let user = self.get_user(user_name).await?;
        check_console_password(password)?;
        let profile = LoginProfile { user_name: user.name.clone(), password_hash: hashed(password).await?, created_ms: self.now(), password_reset_required: reset_required };
        match self.write_under(Holder::User(&user.name), profile.insert()?).await {
            Ok(()) => Ok(profile),
            Err(DomainError::Conflict(_)) => Err(DomainError::Conflict(format!("Login Profile for user {} already exists.", user.name))),
            Err(other) => Err(other),
        }
    }

    /// GetLoginProfile.
    pub async fn get_login_profile(&self, user_name: &str) -> DomainResult<LoginProfile> {
        let user = self.get_user(user_name).await?;
        self.store.get_record_of::<LoginProfile>("", &user.key(), 0).await?.ok_or_else(|| no_profile(&user.name))
    }

    /// UpdateLoginProfile: a new password and/or whether it must be reset.
    pub async fn update_login_profile(&self, user_name: &str, password: Option<&str>, reset_required: Option<bool>) -> DomainResult<()> {
        let user = self.get_user(user_name).await?;
        let hash = match password {
            Some(password) => {
                check_console_password(password)?;
                Some(hashed(password).await?)
            }
            None => None,
        };
        let changed = self
            .store
            .change_record_of::<LoginProfile, _>("", &user.key(), |profile| {
                if let Some(hash) = &hash {
                    profile.password_hash = hash.clone();
                }
                if let Some(reset) = reset_required {
                    profile.password_reset_required = reset;
                }
                Ok(())
            })
            .await?;
        changed.map(|_| ()).ok_or_else(|| no_profile(&user.name))
    }

    /// DeleteLoginProfile.
    pub async fn delete_login_profile(&self, user_name: &str) -> DomainResult<()> {
        let user = self.get_user(user_name).await?;
        self.get_login_profile(&user.name).await?;
        self.store.write_records(&[LoginProfile::delete_at("", &user.key())]).await.map_err(DomainError::from)
    }

    /// A console sign-in: the user when `password` is their console password. Unknown users,
    /// users without a profile and wrong passwords are all "not authorized", after the same work.
    pub async fn console_sign_in(&self, user_name: &str, password: &str) -> DomainResult<(IamUser, LoginProfile)> {
        let refused = || DomainError::NotAuthorized("Your authentication information is incorrect.".into());
        let user = match self.get_user(user_name).await {
            Ok(user) => Some(user),
            Err(DomainError::NotFound(_) | DomainError::InvalidMember(_)) => None,
            Err(other) => return Err(other),
        };
        let profile = match &user {
            Some(user) => self.store.get_record_of::<LoginProfile>("", &user.key(), 0).await?,
            None => None,
        };
        // Without a profile, a hash of a random password stands in, so the time does not tell.
        let phc = match &profile {
            Some(profile) => profile.password_hash.clone(),
            None => decoy().await?,
        };
        let given = password.to_string();
        let matches = tokio::task::spawn_blocking(move || crate::crypto::verify_password(&given, &phc)).await.map_err(DomainError::internal)?;
        match (user, profile) {
            (Some(user), Some(profile)) if matches => Ok((user, profile)),
            _ => Err(refused()),
        }
    }
}

//! Remembered devices: the pool's DeviceConfiguration, the key a sign-in from an unknown device is
//! given (NewDeviceMetadata), ConfirmDevice, and GetDevice, ListDevices, ForgetDevice and
//! UpdateDeviceStatus with their Admin forms. The device's own sign-in (DEVICE_SRP_AUTH and
//! DEVICE_PASSWORD_VERIFIER) is in `sign_in`.
//!
//! A device is stored only once it is confirmed: the key handed out at sign-in is written into
//! that sign-in's access token (`device_key`), and ConfirmDevice accepts only the key of the
//! token it is called with, so unconfirmed keys cost nothing to keep.

mod browser;
mod sign_in;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::NewDeviceMetadata;
use super::inputs::Page;
use super::{User, UserPool, UserPoolService};
use crate::error::{DomainError, DomainResult};
use crate::ids::UserPoolId;
use crate::paging::{decode_key_token, encode_token, page_limit, split_page};
use crate::records::{Document, Read, Records};
use crate::store::{ConflictOn, RecordWrite, StoreError};

/// The sealing context of device verifiers.
use crate::sealing::DEVICE_VERIFIER as VERIFIER_CONTEXT;

/// The pool's DeviceConfiguration. A pool remembers devices when it has one with any property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceConfiguration {
    /// A remembered device signs in without the second factor.
    pub challenge_required_on_new_device: bool,
    /// A confirmed device is remembered only when the user says so (UpdateDeviceStatus).
    pub device_only_remembered_on_user_prompt: bool,
}

impl DeviceConfiguration {
    pub fn of(pool: &UserPool) -> Option<DeviceConfiguration> {
        let object = pool.settings.opaque.get("DeviceConfiguration")?.as_object()?;
        if object.values().all(Value::is_null) {
            return None;
        }
        let flag = |name: &str| object.get(name).and_then(Value::as_bool).unwrap_or(false);
        Some(DeviceConfiguration {
            challenge_required_on_new_device: flag("ChallengeRequiredOnNewDevice"),
            device_only_remembered_on_user_prompt: flag("DeviceOnlyRememberedOnUserPrompt"),
        })
    }
}

/// A confirmed device of a user, filed under the pool and the user's `sub` by its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedDevice {
    pub device_key: String,
    /// The SRP salt and verifier the client registered, sealed (`salt_hex:verifier_hex`).
    pub sealed_verifier: String,
    pub remembered: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ip: Option<String>,
    pub created_ms: i64,
    pub modified_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_authenticated_ms: Option<i64>,
    /// The group key the device registered under, when it is not the one this deployment
    /// derives (a deployment imported under another master key keeps its devices' keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_key: Option<String>,
}

impl Document for RememberedDevice {
    const KIND: &'static str = "user-device";
}

impl RememberedDevice {
    /// `DeviceAttributes` as Cognito lists them.
    pub fn attributes(&self) -> Vec<(String, String)> {
        let status = if self.remembered { "remembered" } else { "not_remembered" };
        let mut attributes = vec![("device_status".to_string(), "valid".to_string()), ("dev:device_remembered_status".to_string(), status.to_string())];
        if let Some(name) = &self.name {
            attributes.push(("device_name".into(), name.clone()));
        }
        if let Some(ip) = &self.last_ip {
            attributes.push(("last_ip_used".into(), ip.clone()));
        }
        attributes
    }
}

pub(crate) use crate::sealing::device_scope;

/// ConfirmDevice's DeviceSecretVerifierConfig: base64 of the salt's and the verifier's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceVerifierInput {
    pub salt: String,
    pub password_verifier: String,
}

fn device_not_found() -> DomainError {
    DomainError::NotFound("Device does not exist.".into())
}

/// The salt and verifier as hex, checked: both base64, the salt at most 64 bytes, the verifier a
/// non-zero number below the group's prime.
fn verifier_hex(input: &DeviceVerifierInput) -> DomainResult<(String, String)> {
    let invalid = || DomainError::InvalidParameter("DeviceSecretVerifierConfig is not a valid SRP salt and verifier.".into());
    let salt = BASE64.decode(input.salt.trim()).map_err(|_| invalid())?;
    let verifier = BASE64.decode(input.password_verifier.trim()).map_err(|_| invalid())?;
    if salt.is_empty() || salt.len() > 64 || !crate::srp::is_group_element(&verifier) {
        return Err(invalid());
    }
    Ok((hex::encode(salt), hex::encode(verifier)))
}

impl UserPoolService {
    /// The group key of a user's devices: derived from the user under the master key, so it is
    /// the same for every device of the user and needs no storage.
    pub(crate) fn device_group_key(&self, pool: &UserPool, user: &User) -> String {
        crate::sealing::device_group_key(&self.master_key, &device_scope(&pool.id, &user.sub))
    }

    /// The group key `device` proves itself with.
    pub(crate) fn group_key_of(&self, pool: &UserPool, user: &User, device: &RememberedDevice) -> String {
        device.group_key.clone().unwrap_or_else(|| self.device_group_key(pool, user))
    }

    /// A new device key (`<region>_<uuid>`) for a sign-in from a device the pool does not know.
    pub(crate) fn new_device(&self, pool: &UserPool, user: &User) -> NewDeviceMetadata {
        NewDeviceMetadata {
            device_key: format!("{}_{}", crate::ids::region_of(&pool.id), crate::ids::new_uuid()),
            device_group_key: self.device_group_key(pool, user),
        }
    }

    /// A confirmed device of the user, with the text it was read as.
    pub(crate) async fn read_device(&self, pool: &UserPool, user: &User, device_key: &str) -> DomainResult<Read<RememberedDevice>> {
        self.store.read_record_of(&device_scope(&pool.id, &user.sub), device_key).await?.ok_or_else(device_not_found)
    }

    /// The device's salt and verifier, as hex.
    pub(crate) fn device_verifier(&self, device: &RememberedDevice) -> DomainResult<(String, String)> {
        let opened = self.master_key.open(&device.sealed_verifier, VERIFIER_CONTEXT)?;
        let text = String::from_utf8(opened).map_err(DomainError::internal)?;
        let (salt, verifier) = text.split_once(':').ok_or_else(|| DomainError::internal("a device verifier has no salt"))?;
        Ok((salt.to_string(), verifier.to_string()))
    }

    /// Changes a device with a compare-and-set.
    pub(crate) async fn change_device<F>(&self, pool: &UserPool, user: &User, device_key: &str, change: F) -> DomainResult<RememberedDevice>
    where
        F: FnMut(&mut RememberedDevice) -> DomainResult<()> + Send,
    {
        self.store.change_record_of(&device_scope(&pool.id, &user.sub), device_key, change).await?.ok_or_else(device_not_found)
    }

    /// ConfirmDevice: registers the device key of this sign-in (the access token's `device_key`)
    /// with the client's SRP verifier. Answers whether the user must still choose to remember it
    /// (the pool's DeviceOnlyRememberedOnUserPrompt).
    pub async fn confirm_device(
        &self,
        access_token: &str,
        device_key: &str,
        verifier: &DeviceVerifierInput,
        name: Option<&str>,
        source_ip: Option<String>,
    ) -> DomainResult<bool> {
        let holder = self.authenticate_access_token(access_token).await?;
        let pool = &holder.pool;
        let Some(configuration) = DeviceConfiguration::of(pool) else {
            return Err(DomainError::InvalidParameter("Device tracking is not enabled for this user pool.".into()));
        };
        if holder.claims.get("device_key").and_then(Value::as_str) != Some(device_key) {
            return Err(device_not_found());
        }
        let (salt, verifier) = verifier_hex(verifier)?;
        let now = self.now();
        let device = RememberedDevice {
            device_key: device_key.to_string(),
            sealed_verifier: self.master_key.seal(format!("{salt}:{verifier}").as_bytes(), VERIFIER_CONTEXT),
            remembered: !configuration.device_only_remembered_on_user_prompt,
            name: name.map(str::to_string),
            last_ip: source_ip,
            created_ms: now,
            modified_ms: now,
            last_authenticated_ms: Some(now),
            group_key: None,
        };
        let write = device.insert_at(&device_scope(&pool.id, &holder.user.sub), device_key, None)?;
        match self.store.write_records(&[write]).await {
            Ok(()) => Ok(configuration.device_only_remembered_on_user_prompt),
            Err(StoreError::Conflict(ConflictOn::Key)) => Err(DomainError::DeviceKeyExists("The device is confirmed already.".into())),
            Err(other) => Err(other.into()),
        }
    }

    /// GetDevice, by the holder of an access token.
    pub async fn get_device(&self, access_token: &str, device_key: &str) -> DomainResult<RememberedDevice> {
        let holder = self.authenticate_access_token(access_token).await?;
        Ok(self.read_device(&holder.pool, &holder.user, device_key).await?.value)
    }

    /// AdminGetDevice.
    pub async fn admin_get_device(&self, pool_id: &UserPoolId, username: &str, device_key: &str) -> DomainResult<RememberedDevice> {
        let (pool, user) = self.pool_and_user(pool_id, username).await?;
        Ok(self.read_device(&pool, &user, device_key).await?.value)
    }

    /// ListDevices, by the holder of an access token.
    pub async fn list_devices(&self, access_token: &str, limit: Option<i32>, token: Option<&str>) -> DomainResult<Page<RememberedDevice>> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.devices_page(&holder.pool, &holder.user, limit, token).await
    }

    /// AdminListDevices.
    pub async fn admin_list_devices(&self, pool_id: &UserPoolId, username: &str, limit: Option<i32>, token: Option<&str>) -> DomainResult<Page<RememberedDevice>> {
        let (pool, user) = self.pool_and_user(pool_id, username).await?;
        self.devices_page(&pool, &user, limit, token).await
    }

    async fn devices_page(&self, pool: &UserPool, user: &User, limit: Option<i32>, token: Option<&str>) -> DomainResult<Page<RememberedDevice>> {
        let limit = page_limit(limit, "limit")?;
        let after = decode_key_token(token)?;
        let rows = self.store.list_records_of(&device_scope(&pool.id, &user.sub), after.as_deref(), limit + 1).await?;
        let (items, more): (Vec<RememberedDevice>, bool) = split_page(rows, limit);
        let next_token = more.then(|| items.last().map(|device| encode_token(&[&device.device_key]))).flatten();
        Ok(Page { items, next_token })
    }

    /// ForgetDevice, by the holder of an access token.
    pub async fn forget_device(&self, access_token: &str, device_key: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.forget(&holder.pool, &holder.user, device_key).await
    }

    /// AdminForgetDevice.
    pub async fn admin_forget_device(&self, pool_id: &UserPoolId, username: &str, device_key: &str) -> DomainResult<()> {
        let (pool, user) = self.pool_and_user(pool_id, username).await?;
        self.forget(&pool, &user, device_key).await
    }

    async fn forget(&self, pool: &UserPool, user: &User, device_key: &str) -> DomainResult<()> {
        self.read_device(pool, user, device_key).await?;
        self.store.write_records(&[RememberedDevice::delete_at(&device_scope(&pool.id, &user.sub), device_key)]).await?;
        Ok(())
    }

    /// UpdateDeviceStatus, by the holder of an access token.
    pub async fn update_device_status(&self, access_token: &str, device_key: &str, remembered: bool) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.set_remembered(&holder.pool, &holder.user, device_key, remembered).await
    }

    /// AdminUpdateDeviceStatus.
    pub async fn admin_update_device_status(&self, pool_id: &UserPoolId, username: &str, device_key: &str, remembered: bool) -> DomainResult<()> {
        let (pool, user) = self.pool_and_user(pool_id, username).await?;
        self.set_remembered(&pool, &user, device_key, remembered).await
    }

    async fn set_remembered(&self, pool: &UserPool, user: &User, device_key: &str, remembered: bool) -> DomainResult<()> {
        let now = self.now();
        self.change_device(pool, user, device_key, |device| {
            device.remembered = remembered;
            device.modified_ms = now;
            Ok(())
        })
        .await
        .map(|_| ())
    }

    /// The write that forgets every device of a user (when the user is deleted).
    pub(crate) fn forget_all_devices(pool_id: &str, sub: &str) -> RecordWrite {
        RecordWrite::DeleteScope { kind: RememberedDevice::KIND, scope: device_scope(pool_id, sub) }
    }

    async fn pool_and_user(&self, pool_id: &UserPoolId, username: &str) -> DomainResult<(UserPool, User)> {
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        Ok((pool, user))
    }
}

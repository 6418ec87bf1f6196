//! The hosted pages' "remember this device": a browser that passed the second factor becomes one
//! of the user's devices (ListDevices shows it), whose key and secret ride in an HttpOnly cookie.
//! The secret is kept as an SRP verifier, as a device's is, so the cookie is checked without the
//! server ever storing it; a remembered browser skips the second factor when the pool's
//! ChallengeRequiredOnNewDevice says so, until the device is forgotten.

use super::{device_scope, DeviceConfiguration, RememberedDevice, VERIFIER_CONTEXT};
use crate::crypto::constant_time_eq;
use crate::error::DomainResult;
use crate::records::Document;
use crate::user_pool::passkeys::webauthn::{b64url, b64url_decode};
use crate::user_pool::{User, UserPool, UserPoolService};

impl UserPoolService {
    /// Whether the hosted pages offer to remember the browser (the pool tracks devices), and
    /// whether they ask the user first (DeviceOnlyRememberedOnUserPrompt).
    pub fn browser_remembering(pool: &UserPool) -> Option<bool> {
        DeviceConfiguration::of(pool).map(|config| config.device_only_remembered_on_user_prompt)
    }

    /// Remembers the browser a user just signed in with: a new device with a random secret;
    /// answers the cookie value (base64url of `<device key>:<secret>`). None when the pool tracks
    /// no devices.
    pub async fn remember_browser(&self, pool: &UserPool, user: &User, name: &str, source_ip: Option<String>) -> DomainResult<Option<String>> {
        if DeviceConfiguration::of(pool).is_none() {
            return Ok(None);
        }
        let metadata = self.new_device(pool, user);
        let secret = crate::user_pool::auth::random_token(32);
        let (salt, verifier) = crate::srp::make_verifier(&metadata.device_group_key, &metadata.device_key, &secret);
        let now = self.now();
        let device = RememberedDevice {
            device_key: metadata.device_key.clone(),
            sealed_verifier: self.master_key.seal(format!("{salt}:{verifier}").as_bytes(), VERIFIER_CONTEXT),
            remembered: true,
            name: Some(name.to_string()),
            last_ip: source_ip,
            created_ms: now,
            modified_ms: now,
            last_authenticated_ms: Some(now),
            group_key: None,
        };
        self.store.write_records(&[device.insert_at(&device_scope(&pool.id, &user.sub), &metadata.device_key, None)?]).await?;
        Ok(Some(b64url(format!("{}:{secret}", metadata.device_key).as_bytes())))
    }

    /// Whether the browser's cookie names a device of `user` that is remembered and lets the
    /// sign-in skip the second factor; marks the device used.
    pub(crate) async fn browser_skips_second_factor(&self, pool: &UserPool, user: &User, cookie: Option<&str>) -> DomainResult<bool> {
        let decoded = cookie.and_then(|cookie| b64url_decode(cookie).ok()).and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default();
        let Some((device_key, secret)) = decoded.split_once(':') else {
            return Ok(false);
        };
        if !DeviceConfiguration::of(pool).is_some_and(|config| config.challenge_required_on_new_device) {
            return Ok(false);
        }
        let Ok(read) = self.read_device(pool, user, device_key).await else {
            return Ok(false);
        };
        let (salt, verifier) = self.device_verifier(&read.value)?;
        let group_key = self.group_key_of(pool, user, &read.value);
        let expected = crate::srp::verifier_with_salt(&group_key, device_key, secret, &salt);
        if !read.value.remembered || !expected.is_some_and(|expected| constant_time_eq(expected.as_bytes(), verifier.as_bytes())) {
            return Ok(false);
        }
        let now = self.now();
        self.change_device(pool, user, device_key, |device| {
            device.last_authenticated_ms = Some(now);
            Ok(())
        })
        .await?;
        Ok(true)
    }
}

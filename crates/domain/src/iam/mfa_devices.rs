//! IAM users' virtual MFA devices: CreateVirtualMFADevice (the secret answered once, in base32,
//! and kept sealed), EnableMFADevice with two consecutive codes, ListMFADevices,
//! ListVirtualMFADevices, DeactivateMFADevice, DeleteVirtualMFADevice, and the check of a code at
//! a console sign-in (each time step accepted once, by compare-and-set).

use super::*;
use crate::user_pool::mfa::totp;

fn no_device(serial: &str) -> DomainError {
    DomainError::NotFound(format!("VirtualMFADevice with serial number {serial} doesn't exist."))
}

fn code_refused() -> DomainError {
    DomainError::CodeMismatch("Authentication code for device is not valid.".into())
}

impl IamService {
    /// CreateVirtualMFADevice: the device and its secret in base32 (answered this once).
    pub async fn create_virtual_mfa_device(&self, name: &str, path: Option<&str>) -> DomainResult<(VirtualMfaDevice, String)> {
        check_iam_name(name, "virtualMFADeviceName", 226)?;
        let path = path.unwrap_or("/");
        check_path(path)?;
        let secret = totp::new_secret();
        let device = VirtualMfaDevice {
            name: name.to_string(),
            serial_number: crate::ids::arn::iam_mfa(&self.account_id, path, name),
            sealed_secret: self.master_key.seal(&secret, crate::sealing::TOTP_SECRET),
            created_ms: self.now(),
            user_name: None,
            enabled_ms: None,
            last_step: None,
        };
        match self.store.write_records(&[device.insert()?]).await {
            Ok(()) => Ok((device, totp::base32(&secret))),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("MFADevice entity at the same path and name already exists: {name}"))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    async fn device(&self, serial: &str) -> DomainResult<VirtualMfaDevice> {
        self.store.get_record_of::<VirtualMfaDevice>("", serial, 0).await?.ok_or_else(|| no_device(serial))
    }

    /// EnableMFADevice: two consecutive codes of the device, which then belongs to the user.
    pub async fn enable_mfa_device(&self, user_name: &str, serial: &str, first: &str, second: &str) -> DomainResult<()> {
        let user = self.get_user(user_name).await?;
        let device = self.device(serial).await?;
        if device.user_name.is_some() {
            return Err(DomainError::Conflict(format!("MFA Device {serial} is already in use.")));
        }
        let secret = self.master_key.open(&device.sealed_secret, crate::sealing::TOTP_SECRET)?;
        let now = self.now();
        let first_step = totp::matching_step(&secret, first.trim(), now, None).ok_or_else(code_refused)?;
        if totp::code_at_step(&secret, first_step + 1) != second.trim() {
            return Err(code_refused());
        }
        // The device changes by compare-and-set, with the user's revision raised beside it.
        let stored = self.store.read_record_of::<VirtualMfaDevice>("", serial).await?.ok_or_else(|| no_device(serial))?;
        let mut enabled = stored.value.clone();
        if enabled.user_name.is_some() {
            return Err(DomainError::Conflict(format!("MFA Device {serial} is already in use.")));
        }
        enabled.user_name = Some(user.name.clone());
        enabled.enabled_ms = Some(now);
        enabled.last_step = Some(first_step + 1);
        let write = enabled.swap_at("", serial, &stored.stored)?;
        match self.write_under(Holder::User(&user.name), write).await {
            Err(DomainError::TooManyRequests(_)) => Err(DomainError::Conflict(format!("MFA Device {serial} changed meanwhile; try again."))),
            other => other,
        }
    }

    /// The virtual devices, all or those of one assignment status (`Assigned`, `Unassigned`).
    pub async fn list_virtual_mfa_devices(&self, assigned: Option<bool>, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<VirtualMfaDevice>> {
        let limit = marker_limit(max_items)?;
        self.filtered_page(marker, limit, |device: &VirtualMfaDevice| assigned.is_none_or(|assigned| device.user_name.is_some() == assigned)).await
    }

    /// ListMFADevices: the user's enabled devices, by serial number.
    pub async fn list_mfa_devices(&self, user_name: &str) -> DomainResult<Vec<VirtualMfaDevice>> {
        let user = self.get_user(user_name).await?;
        let mine = |device: &VirtualMfaDevice| device.user_name.as_deref() == Some(user.name.as_str());
        let mut devices = Vec::new();
        let mut marker = None;
        loop {
            let page = self.filtered_page(marker.as_deref(), 1000, mine).await?;
            devices.extend(page.items);
            match page.marker {
                Some(next) => marker = Some(next),
                None => return Ok(devices),
            }
        }
    }

    /// DeactivateMFADevice: the device leaves the user (and may be enabled again or deleted).
    pub async fn deactivate_mfa_device(&self, user_name: &str, serial: &str) -> DomainResult<()> {
        let user = self.get_user(user_name).await?;
        let name = user.name.clone();
        self.store
            .change_record_of::<VirtualMfaDevice, _>("", serial, |device| {
                if device.user_name.as_deref() != Some(name.as_str()) {
                    return Err(no_device(serial));
                }
                device.user_name = None;
                device.enabled_ms = None;
                Ok(())
            })
            .await?
            .map(|_| ())
            .ok_or_else(|| no_device(serial))
    }

    /// DeleteVirtualMFADevice: refused while the device is enabled for a user.
    pub async fn delete_virtual_mfa_device(&self, serial: &str) -> DomainResult<()> {
        let device = self.device(serial).await?;
        if device.user_name.is_some() {
            return Err(DomainError::InUse("MFA VirtualDevice in use. Must deactivate first.".into()));
        }
        self.store.write_records(&[VirtualMfaDevice::delete_at("", serial)]).await.map_err(DomainError::from)
    }

    /// A console sign-in's second factor: Ok when the user has no device, or when `code` is a
    /// current code of one of theirs not used before (spent by compare-and-set).
    pub async fn check_user_mfa(&self, user: &IamUser, code: Option<&str>) -> DomainResult<()> {
        let devices = self.list_mfa_devices(&user.name).await?;
        if devices.is_empty() {
            return Ok(());
        }
        let code = code.map(str::trim).filter(|code| !code.is_empty()).ok_or_else(|| DomainError::NotAuthorized("This user signs in with an MFA code.".into()))?;
        for device in devices {
            if self.spend_code(&device, code).await? {
                return Ok(());
            }
        }
        Err(DomainError::NotAuthorized("The MFA code is not right.".into()))
    }

    /// MFA given with an STS call (SerialNumber, TokenCode): `code` must be a current code, not
    /// used before, of the user's device `serial`; it is spent.
    pub(super) async fn prove_mfa(&self, user: &IamUser, serial: &str, code: &str) -> DomainResult<()> {
        let refused = || DomainError::AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code.".into());
        let devices = self.list_mfa_devices(&user.name).await?;
        let device = devices.iter().find(|device| device.serial_number == serial).ok_or_else(refused)?;
        if self.spend_code(device, code.trim()).await? {
            Ok(())
        } else {
            Err(refused())
        }
    }

    /// Whether `code` is a current code of `device` not used before; spent if so (compare-and-set).
    async fn spend_code(&self, device: &VirtualMfaDevice, code: &str) -> DomainResult<bool> {
        let secret = self.master_key.open(&device.sealed_secret, crate::sealing::TOTP_SECRET)?;
        let Some(step) = totp::matching_step(&secret, code, self.now(), device.last_step) else { return Ok(false) };
        let spent = self
            .store
            .change_record_of::<VirtualMfaDevice, _>("", &device.serial_number, |stored| {
                if stored.last_step.is_some_and(|last| last >= step) {
                    return Err(DomainError::NotAuthorized("The MFA code was used already.".into()));
                }
                stored.last_step = Some(step);
                Ok(())
            })
            .await?;
        Ok(spent.is_some())
    }
}

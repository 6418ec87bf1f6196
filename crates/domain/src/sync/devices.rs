//! Devices registered for push and their subscriptions to datasets.

use super::*;

impl SyncService {
    // Devices, subscriptions and pool configuration.

    /// RegisterDevice: the same identity, platform and token always give the same device id.
    pub async fn register_device(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId, platform: &str, token: &str) -> DomainResult<String> {
        self.check_identity(pool_id, identity_id).await?;
        if !matches!(platform, "APNS" | "APNS_SANDBOX" | "GCM" | "ADM") {
            return Err(invalid(format!("Platform must be APNS, APNS_SANDBOX, GCM or ADM, not {platform}.")));
        }
        if token.is_empty() || token.len() > 4096 {
            return Err(invalid("The push token must be 1 to 4096 characters."));
        }
        let token_key = format!("{identity_id}\u{1}{platform}\u{1}{token}");
        if let Some(device_id) = self.store.get_record(DEVICE_TOKEN, pool_id, &token_key, 0).await? {
            return Ok(device_id);
        }
        let device = Device {
            device_id: crate::ids::new_uuid(),
            identity_id: identity_id.into(),
            pool_id: pool_id.into(),
            platform: platform.into(),
            token: token.into(),
            created_ms: self.now(),
        };
        let writes = [
            device.insert()?,
            RecordWrite::Insert { kind: DEVICE_TOKEN, scope: pool_id.into(), key: token_key.clone(), data: device.device_id.clone(), expires_ms: None },
        ];
        match self.store.write_records(&writes).await {
            Ok(()) => Ok(device.device_id),
            Err(StoreError::Conflict(_)) => self
                .store
                .get_record(DEVICE_TOKEN, pool_id, &token_key, 0)
                .await
                ?
                .ok_or_else(|| DomainError::internal("a device registration vanished")),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    /// The device, if it is registered to this identity in this pool.
    pub async fn device(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId, device_id: &str) -> DomainResult<Device> {
        let device: Option<Device> = self.store.get_record_of(pool_id, device_id, 0).await?;
        device
            .filter(|device| device.identity_id == identity_id)
            .ok_or_else(|| DomainError::NotFound(format!("Device {device_id} is not registered to this identity.")))
    }

    pub async fn subscribe(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId, dataset_name: &str, device_id: &str, subscribe: bool) -> DomainResult<()> {
        check_dataset_name(dataset_name)?;
        self.check_identity(pool_id, identity_id).await?;
        self.device(pool_id, identity_id, device_id).await?;
        let scope = subscription_scope(identity_id, dataset_name);
        let write = if subscribe {
            RecordWrite::Put { kind: SUBSCRIPTION, scope, key: device_id.into(), data: String::new(), expires_ms: None }
        } else {
            RecordWrite::Delete { kind: SUBSCRIPTION, scope, key: device_id.into() }
        };
        self.store.write_records(&[write]).await.map_err(DomainError::from)
    }

    /// The devices subscribed to a dataset.
    pub async fn subscribers(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId, dataset_name: &str) -> DomainResult<Vec<Device>> {
        let rows = self.store.list_records(SUBSCRIPTION, &subscription_scope(identity_id, dataset_name), None, 1000).await?;
        let mut devices = Vec::with_capacity(rows.len());
        for (device_id, _) in rows {
            if let Ok(device) = self.device(pool_id, identity_id, &device_id).await {
                devices.push(device);
            }
        }
        Ok(devices)
    }
}

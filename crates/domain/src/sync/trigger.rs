//! The Sync trigger: the pool's Lambda-style hook that may rewrite an update before it commits.

use super::*;

impl SyncService {
    /// The Sync trigger's URL when one is set and this request runs it.
    pub(super) async fn sync_trigger(&self, pool_id: &str, run_trigger: bool) -> DomainResult<Option<String>> {
        if !run_trigger {
            return Ok(None);
        }
        let configuration = self.store.get_record_of::<PoolSyncConfiguration>("", pool_id, 0).await?.unwrap_or_default();
        Ok(configuration.events.get("SyncTrigger").filter(|target| target.starts_with("http://") || target.starts_with("https://")).cloned())
    }

    /// Sends the Sync trigger event (the shape Cognito sends to Lambda) and reads the records
    /// it answers: `op` `replace` with a `newValue`, or `remove` (also when `op` is null).
    /// Keys it leaves out are not written.
    pub(super) async fn run_trigger(
        &self,
        url: &str,
        pool_id: &str,
        identity_id: &str,
        dataset_name: &str,
        patches: &[RecordPatch],
        stored: &[SyncRecord],
    ) -> DomainResult<Vec<RecordPatch>> {
        let mut records = serde_json::Map::new();
        for patch in patches {
            let old_value = stored.iter().find(|record| record.key == patch.key).and_then(|record| record.value.clone());
            records.insert(
                patch.key.clone(),
                serde_json::json!({
                    "oldValue": old_value,
                    "newValue": if patch.remove { None } else { patch.value.clone() },
                    "op": if patch.remove { "remove" } else { "replace" },
                }),
            );
        }
        let event = serde_json::json!({
            "version": 2,
            "eventType": "SyncTrigger",
            "region": if crate::ids::region_of(pool_id).is_empty() { self.region.as_str() } else { crate::ids::region_of(pool_id) },
            "identityPoolId": pool_id,
            "identityId": identity_id,
            "datasetName": dataset_name,
            "datasetRecords": records,
        });
        let answer = self.http.post_json(url, &event).await.map_err(|detail| {
            tracing::warn!(%detail, "the Sync trigger failed");
            DomainError::TriggerUnavailable("The Sync trigger did not answer.".into())
        })?;
        let bad = |why: &str| DomainError::TriggerOutputInvalid(format!("The Sync trigger's answer is not valid: {why}."));
        let answered = answer.get("datasetRecords").and_then(serde_json::Value::as_object).ok_or_else(|| bad("no datasetRecords object"))?;
        let mut rewritten = Vec::with_capacity(answered.len());
        for (key, entry) in answered {
            if key.is_empty() || key.chars().count() > limits::MAX_KEY_CHARS {
                return Err(bad("a key is empty or too long"));
            }
            let original = patches.iter().find(|patch| &patch.key == key);
            let op = entry.get("op").and_then(serde_json::Value::as_str);
            let remove = match op {
                Some("replace") => false,
                Some("remove") | None => true,
                Some(_) => return Err(bad("op must be replace or remove")),
            };
            let value = entry.get("newValue").and_then(serde_json::Value::as_str).map(str::to_string);
            if !remove && value.is_none() {
                return Err(bad("a replace needs a newValue"));
            }
            rewritten.push(RecordPatch {
                remove,
                key: key.clone(),
                value,
                sync_count: original.map(|patch| patch.sync_count).unwrap_or(0),
                device_modified_ms: original.and_then(|patch| patch.device_modified_ms),
            });
        }
        Ok(rewritten)
    }
}

//! The AWS KMS API as the custom senders' codes need it: `GenerateDataKey` (AES_256, with the
//! encryption context) at `--kms-endpoint`, in KMS's JSON 1.1 protocol (`X-Amz-Target:
//! TrentService.GenerateDataKey`), SigV4-signed for `kms` in the region of the key's ARN when
//! keys are configured. AWS KMS and emulators (moto's server mode, LocalStack) serve it, so a
//! sender function decrypts the codes with the same key service.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::{HeaderMap, HeaderValue};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use cognate_domain::user_pool::channels::{DataKey, KeyService};
use serde_json::{json, Value};

use crate::aws::sigv4;

/// How long a call may take: the code it encrypts waits on it.
const DEADLINE: Duration = Duration::from_secs(5);

pub struct KmsClient {
    endpoint: String,
    keys: Option<sigv4::AccessKeys>,
    default_region: String,
    http: reqwest::Client,
}

impl KmsClient {
    pub fn new(endpoint: &str, keys: Option<sigv4::AccessKeys>, default_region: &str) -> Result<KmsClient, String> {
        let http = crate::http_client::client_builder()
            .timeout(DEADLINE)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("building the KMS client: {error}"))?;
        Ok(KmsClient { endpoint: endpoint.trim_end_matches('/').to_string(), keys, default_region: default_region.to_string(), http })
    }
}

/// A base64 member of KMS's answer.
fn bytes_member(answer: &Value, name: &str) -> Result<Vec<u8>, String> {
    let text = answer.get(name).and_then(Value::as_str).ok_or_else(|| format!("KMS's answer has no {name}"))?;
    BASE64.decode(text).map_err(|_| format!("KMS's {name} is not base64"))
}

#[async_trait]
impl KeyService for KmsClient {
    async fn generate_data_key(&self, key_id: &str, context: &BTreeMap<String, String>) -> Result<DataKey, String> {
        let body = json!({"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context}).to_string();
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        headers.insert("x-amz-target", HeaderValue::from_static("TrentService.GenerateDataKey"));
        let region = sigv4::arn_region(key_id).unwrap_or(&self.default_region);
        let headers = sigv4::outgoing_post_headers(&self.endpoint, "/", headers, body.as_bytes(), self.keys.as_ref(), region, "kms")?;
        let response = self.http.post(format!("{}/", self.endpoint)).headers(headers).body(body).send().await.map_err(|error| error.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|error| error.to_string())?;
        let answer: Value = serde_json::from_str(&text).map_err(|_| format!("KMS answered {status} with no JSON"))?;
        if !status.is_success() {
            let kind = answer.get("__type").and_then(Value::as_str).unwrap_or("an error");
            let message = answer.get("message").or_else(|| answer.get("Message")).and_then(Value::as_str).unwrap_or("");
            return Err(format!("KMS answered {status}: {kind}: {message}"));
        }
        let plaintext: [u8; 32] = bytes_member(&answer, "Plaintext")?.try_into().map_err(|_| "KMS's data key is not 32 bytes".to_string())?;
        let encrypted = bytes_member(&answer, "CiphertextBlob")?;
        let key_arn = answer.get("KeyId").and_then(Value::as_str).ok_or("KMS's answer has no KeyId")?.to_string();
        if encrypted.len() > u16::MAX as usize || key_arn.len() > u16::MAX as usize {
            return Err("KMS's answer is too large for a message's data key".into());
        }
        Ok(DataKey { plaintext, encrypted, key_arn })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_from_key_arns() {
        assert_eq!(sigv4::arn_region("arn:aws:kms:eu-west-1:123456789012:key/1234"), Some("eu-west-1"));
        assert_eq!(sigv4::arn_region("alias/senders"), None);
    }
}

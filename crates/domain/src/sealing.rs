//! What every stored secret is sealed under, in one place, and re-sealing a deployment's stored
//! secrets under another master key (`cognate import --source-master-key-file`).
//!
//! A sealed value is bound to a context (AES-GCM's associated data): a fixed one for values of
//! one kind, or one naming the row, so that a sealed value copied to another row does not open.
//! Re-sealing opens each sealed value of a carried row under the source key, trying the contexts
//! that row can have (the tag proves which one it was), and seals it again under the target key
//! with the same context. A value that should be sealed and opens under none of them stops the
//! import: nothing is left behind under a key the target does not hold.

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{Map, Value};

use crate::crypto::MasterKey;

pub(crate) const TOTP_SECRET: &str = "totp-secret";
pub(crate) const OUTBOX_MESSAGE: &str = "outbox-message";
pub(crate) const DEVICE_VERIFIER: &str = "device-verifier";
pub(crate) const SRP_BLOCK: &str = "srp-secret-block";
pub(crate) const DEVICE_SRP_BLOCK: &str = "device-srp-block";
pub(crate) const CUSTOM_CHALLENGE: &str = "custom-challenge";
pub(crate) const EXISTENCE_DECOY: &str = "existence-decoy";
pub(crate) const SYNC_SESSION: &str = "sync-session";
/// The details of an identity provider that are kept sealed.
pub(crate) const PROVIDER_SEALED_DETAILS: &[&str] = &["client_secret", "private_key"];
/// The purpose of the MAC from which a user's device group key is derived.
pub(crate) const DEVICE_GROUP_MAC: &str = "device-group";

const FIXED: &[&str] = &[TOTP_SECRET, OUTBOX_MESSAGE, DEVICE_VERIFIER, SRP_BLOCK, DEVICE_SRP_BLOCK, CUSTOM_CHALLENGE, EXISTENCE_DECOY, SYNC_SESSION];

pub(crate) fn srp_verifier(pool_id: &str, sub: &str) -> String {
    format!("srp-verifier:{pool_id}:{sub}")
}

pub(crate) fn client_secret(client_id: &str) -> String {
    format!("app-client-secret:{client_id}")
}

pub(crate) fn signing_key(pool_id: &str, kid: &str) -> String {
    format!("signing-key:{pool_id}:{kid}")
}

/// The private key a pool signs its SAML requests with.
pub(crate) fn saml_sp_key(pool_id: &str) -> String {
    format!("saml-sp-key:{pool_id}")
}

/// The private key identity providers encrypt a pool's SAML assertions to.
pub(crate) fn saml_sp_encryption_key(pool_id: &str) -> String {
    format!("saml-sp-encryption-key:{pool_id}")
}

/// A private key an IAM SAML provider's assertions are encrypted to (by the provider's UUID).
pub(crate) fn iam_saml_private_key(provider_uuid: &str) -> String {
    format!("iam-saml-private-key:{provider_uuid}")
}

pub(crate) fn sts_secret(access_key_id: &str) -> String {
    format!("sts-secret:{access_key_id}")
}

pub(crate) fn iam_access_key_secret(access_key_id: &str) -> String {
    format!("iam-access-key-secret:{access_key_id}")
}

pub(crate) fn cognito_source(pool_id: &str) -> String {
    format!("cognito-source:{pool_id}")
}

pub(crate) fn provider_detail(pool_id: &str, name: &str, detail: &str) -> String {
    format!("idp:{pool_id}:{name}:{detail}")
}

/// The scope a user's remembered devices are filed under, and from which their group key is
/// derived.
pub(crate) fn device_scope(pool_id: &str, sub: &str) -> String {
    format!("{pool_id}/{sub}")
}

/// The group key of the devices filed under `scope`: derived under the master key.
pub(crate) fn device_group_key(master_key: &MasterKey, scope: &str) -> String {
    let mac = master_key.mac(DEVICE_GROUP_MAC, scope.as_bytes());
    format!("-{}", URL_SAFE_NO_PAD.encode(&mac[..9]))
}

/// Re-seals the rows of an export from one master key to another.
pub struct Reseal {
    from: MasterKey,
    to: MasterKey,
    resealed: u64,
}

impl Reseal {
    pub fn new(from: MasterKey, to: MasterKey) -> Self {
        Reseal { from, to, resealed: 0 }
    }

    /// How many sealed values have been re-sealed.
    pub fn resealed(&self) -> u64 {
        self.resealed
    }

    /// Re-seals every sealed value of one row of `table`, whose values follow `columns`.
    pub fn row(&mut self, table: &str, columns: &[&str], row: &mut [Value]) -> Result<(), String> {
        let column = |name: &str| columns.iter().position(|column| *column == name).and_then(|index| row[index].as_str()).map(str::to_string);
        let Some(data_index) = columns.iter().position(|column| *column == "data") else {
            return Ok(());
        };
        let Some(text) = row[data_index].as_str() else {
            return Ok(());
        };
        let where_ = || format!("{table} ({})", columns.iter().zip(row.iter()).filter(|(name, _)| **name != "data").map(|(name, value)| format!("{name} {value}")).collect::<Vec<_>>().join(", "));
        let mut contexts: Vec<String> = FIXED.iter().map(|context| context.to_string()).collect();
        let kind = column("kind");
        match serde_json::from_str::<Value>(text) {
            Ok(mut data) if data.is_object() => {
                if let Value::Object(object) = &data {
                    add_row_contexts(&mut contexts, object, &column);
                }
                if let Err(key) = self.walk(&mut data, None, &contexts) {
                    return Err(format!("{}: the sealed value of {key} opens under none of its contexts", where_()));
                }
                if kind.as_deref() == Some("user-device") {
                    if let (Some(scope), Value::Object(object)) = (column("scope"), &mut data) {
                        // The device registered under the group key the source derived; keep it.
                        object.entry("group_key").or_insert_with(|| Value::String(device_group_key(&self.from, &scope)));
                    }
                }
                row[data_index] = Value::String(data.to_string());
            }
            _ if looks_sealed(text) => {
                let resealed = self.reseal(text, &contexts).ok_or_else(|| format!("{}: its sealed value opens under none of its contexts", where_()))?;
                row[data_index] = Value::String(resealed);
            }
            _ => {}
        }
        Ok(())
    }

    /// Re-seals the sealed values within `value`; a value that must be sealed and does not open
    /// is an error naming its key.
    fn walk(&mut self, value: &mut Value, key: Option<&str>, contexts: &[String]) -> Result<(), String> {
        match value {
            Value::Object(object) => {
                for (name, child) in object.iter_mut() {
                    self.walk(child, Some(name), contexts)?;
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.walk(item, key, contexts)?;
                }
            }
            Value::String(text) if looks_sealed(text) => match self.reseal(text, contexts) {
                Some(resealed) => *text = resealed,
                None if must_be_sealed(key) => return Err(key.unwrap_or("?").to_string()),
                None => {}
            },
            _ => {}
        }
        Ok(())
    }

    fn reseal(&mut self, sealed: &str, contexts: &[String]) -> Option<String> {
        for context in contexts {
            if let Ok(plain) = self.from.open(sealed, context) {
                self.resealed += 1;
                return Some(self.to.seal(&plain, context));
            }
        }
        None
    }
}

/// The contexts a row's values may be sealed under, from its columns and its document's fields.
fn add_row_contexts(contexts: &mut Vec<String>, data: &Map<String, Value>, column: &dyn Fn(&str) -> Option<String>) {
    let field = |name: &str| column(name).or_else(|| data.get(name).and_then(Value::as_str).map(str::to_string));
    let pool_id = field("pool_id");
    if let Some(pool_id) = &pool_id {
        contexts.push(cognito_source(pool_id));
        contexts.push(saml_sp_key(pool_id));
        contexts.push(saml_sp_encryption_key(pool_id));
    }
    if let (Some(pool_id), Some(sub)) = (&pool_id, field("sub")) {
        contexts.push(srp_verifier(pool_id, &sub));
    }
    if let Some(client_id) = field("client_id") {
        contexts.push(client_secret(&client_id));
    }
    if let (Some(pool_id), Some(kid)) = (&pool_id, field("kid")) {
        contexts.push(signing_key(pool_id, &kid));
    }
    if let Some(uuid) = field("uuid") {
        contexts.push(iam_saml_private_key(&uuid));
    }
    if let Some(access_key_id) = field("access_key_id") {
        contexts.push(sts_secret(&access_key_id));
        contexts.push(iam_access_key_secret(&access_key_id));
    }
    if let (Some(pool_id), Some(name)) = (&pool_id, data.get("name").and_then(Value::as_str)) {
        contexts.extend(PROVIDER_SEALED_DETAILS.iter().map(|detail| provider_detail(pool_id, name, detail)));
    }
}

/// Whether a value found under `key` is one that cognate always seals.
fn must_be_sealed(key: Option<&str>) -> bool {
    key.is_some_and(|key| key.starts_with("sealed") || key == "body" || PROVIDER_SEALED_DETAILS.contains(&key))
}

/// Whether `text` has the form of a sealed value (`v1:` and the base64 of a nonce, a tag and
/// more).
fn looks_sealed(text: &str) -> bool {
    text.strip_prefix("v1:").and_then(|encoded| BASE64.decode(encoded).ok()).is_some_and(|bytes| bytes.len() >= 28)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn data(row: &[Value]) -> Value {
        serde_json::from_str(row.last().unwrap().as_str().unwrap()).unwrap()
    }

    #[test]
    fn sealed_values_of_a_row_open_under_the_new_key_with_the_same_context() {
        let (from, to) = (MasterKey::generate(), MasterKey::generate());
        let sealed = from.seal(b"salt:verifier", &srp_verifier("p1", "s1"));
        let totp = from.seal(b"totp", TOTP_SECRET);
        let document = json!({"sealed_srp_verifier": sealed, "mfa": {"totp": {"sealed_secret": totp}}, "attributes": [{"name": "nickname", "value": "v1:not sealed"}]});
        let mut row = vec![json!("p1"), json!("alice"), json!("s1"), json!(3), json!(document.to_string())];
        let mut reseal = Reseal::new(from.clone(), to.clone());
        reseal.row("users", &["pool_id", "username_key", "sub", "version", "data"], &mut row).unwrap();
        assert_eq!(reseal.resealed(), 2);
        let after = data(&row);
        assert_eq!(to.open(after["sealed_srp_verifier"].as_str().unwrap(), &srp_verifier("p1", "s1")).unwrap(), b"salt:verifier");
        assert!(from.open(after["sealed_srp_verifier"].as_str().unwrap(), &srp_verifier("p1", "s1")).is_err());
        assert_eq!(to.open(after["mfa"]["totp"]["sealed_secret"].as_str().unwrap(), TOTP_SECRET).unwrap(), b"totp");
        assert_eq!(after["attributes"][0]["value"], "v1:not sealed");
    }

    #[test]
    fn a_sealed_value_under_an_unknown_context_stops_the_import() {
        let (from, to) = (MasterKey::generate(), MasterKey::generate());
        let document = json!({"sealed_secret": from.seal(b"x", "somewhere-else")});
        let mut row = vec![json!("k"), json!(document.to_string())];
        let error = Reseal::new(from, to).row("records", &["key", "data"], &mut row).unwrap_err();
        assert!(error.contains("sealed_secret"), "{error}");
    }

    #[test]
    fn a_copied_pools_source_keys_are_resealed() {
        let (from, to) = (MasterKey::generate(), MasterKey::generate());
        let document = json!({"pool_id": "p1", "sealed_secret_access_key": from.seal(b"key", &cognito_source("p1"))});
        let mut row = vec![json!("cognito-source"), json!("p1"), json!(""), Value::Null, json!(document.to_string())];
        Reseal::new(from, to.clone()).row("records", &["kind", "scope", "key", "expires_ms", "data"], &mut row).unwrap();
        assert_eq!(to.open(data(&row)["sealed_secret_access_key"].as_str().unwrap(), &cognito_source("p1")).unwrap(), b"key");
    }

    #[test]
    fn a_pools_saml_signing_key_is_resealed() {
        let (from, to) = (MasterKey::generate(), MasterKey::generate());
        let document = json!({"pool_id": "p1", "sealed_private_key": from.seal(b"pkcs8", &saml_sp_key("p1")), "certificate": "MII"});
        let mut row = vec![json!("saml_sp_key"), json!("p1"), json!("current"), Value::Null, json!(document.to_string())];
        Reseal::new(from, to.clone()).row("records", &["kind", "scope", "key", "expires_ms", "data"], &mut row).unwrap();
        assert_eq!(to.open(data(&row)["sealed_private_key"].as_str().unwrap(), &saml_sp_key("p1")).unwrap(), b"pkcs8");
    }

    #[test]
    fn a_pools_saml_encryption_key_is_resealed() {
        let (from, to) = (MasterKey::generate(), MasterKey::generate());
        let document = json!({"pool_id": "p1", "sealed_private_key": from.seal(b"pkcs8", &saml_sp_encryption_key("p1")), "certificate": "MII"});
        let mut row = vec![json!("saml_sp_key"), json!("p1"), json!("encryption"), Value::Null, json!(document.to_string())];
        Reseal::new(from, to.clone()).row("records", &["kind", "scope", "key", "expires_ms", "data"], &mut row).unwrap();
        assert_eq!(to.open(data(&row)["sealed_private_key"].as_str().unwrap(), &saml_sp_encryption_key("p1")).unwrap(), b"pkcs8");
    }

    #[test]
    fn an_iam_saml_providers_private_keys_are_resealed() {
        let (from, to) = (MasterKey::generate(), MasterKey::generate());
        let uuid = "6f2a1c4e-0000-4000-8000-000000000000";
        let keys = json!([{"key_id": "A", "sealed_key": from.seal(b"one", &iam_saml_private_key(uuid)), "created_ms": 1}, {"key_id": "B", "sealed_key": from.seal(b"two", &iam_saml_private_key(uuid)), "created_ms": 2}]);
        let document = json!({"arn": "arn:aws:iam::000000000000:saml-provider/Corp", "name": "Corp", "uuid": uuid, "private_keys": keys});
        let mut row = vec![json!("iam_saml_provider"), json!(""), json!("corp"), Value::Null, json!(document.to_string())];
        Reseal::new(from, to.clone()).row("records", &["kind", "scope", "key", "expires_ms", "data"], &mut row).unwrap();
        let keys = &data(&row)["private_keys"];
        assert_eq!(to.open(keys[0]["sealed_key"].as_str().unwrap(), &iam_saml_private_key(uuid)).unwrap(), b"one");
        assert_eq!(to.open(keys[1]["sealed_key"].as_str().unwrap(), &iam_saml_private_key(uuid)).unwrap(), b"two");
    }

    #[test]
    fn a_device_keeps_the_group_key_it_registered_under() {
        let (from, to) = (MasterKey::generate(), MasterKey::generate());
        let document = json!({"device_key": "d", "sealed_verifier": from.seal(b"s:v", DEVICE_VERIFIER)});
        let scope = device_scope("p1", "s1");
        let mut row = vec![json!("user-device"), json!(scope), json!("d"), Value::Null, json!(document.to_string())];
        Reseal::new(from.clone(), to.clone()).row("records", &["kind", "scope", "key", "expires_ms", "data"], &mut row).unwrap();
        let after = data(&row);
        assert_eq!(after["group_key"], device_group_key(&from, &scope));
        assert_ne!(after["group_key"], device_group_key(&to, &scope));
    }
}

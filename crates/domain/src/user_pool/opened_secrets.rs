//! Client secrets a node has opened, kept so that a request that presents one does not decrypt
//! it again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::crypto::MasterKey;
use crate::error::{DomainError, DomainResult};

/// How many opened secrets a node keeps before it forgets them all and opens them again.
const OPENED_SECRETS_KEPT: usize = 4096;

/// Client secrets this node has opened, by sealed value and seal context, so that a request that
/// presents a secret does not decrypt it again. The sealed value is the key: AES-GCM binds it and
/// its context to one plaintext, and a new or rotated secret is a new sealed value, so nothing
/// here goes stale. Held in memory as the signing keys are.
#[derive(Default)]
pub(crate) struct OpenedSecrets(Mutex<HashMap<String, Opened>>);

/// A secret opened under one seal context.
struct Opened {
    context: String,
    secret: Arc<str>,
}

impl OpenedSecrets {
    pub(crate) fn open(&self, master_key: &MasterKey, sealed: &str, context: &str) -> DomainResult<Arc<str>> {
        let kept = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(sealed).filter(|opened| opened.context == context).map(|opened| opened.secret.clone());
        if let Some(secret) = kept {
            return Ok(secret);
        }
        let bytes = master_key.open(sealed, context)?;
        let secret: Arc<str> = String::from_utf8(bytes).map_err(DomainError::internal)?.into();
        let mut kept = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.len() >= OPENED_SECRETS_KEPT {
            kept.clear();
        }
        kept.insert(sealed.to_string(), Opened { context: context.to_string(), secret: secret.clone() });
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opened_secret_is_kept_for_its_own_context_only() {
        let (master_key, opened) = (MasterKey::generate(), OpenedSecrets::default());
        let sealed = master_key.seal(b"first-secret", "client-a");
        assert_eq!(&*opened.open(&master_key, &sealed, "client-a").unwrap(), "first-secret");
        // Kept: a key that cannot open it still gets the kept value for the same seal and context.
        assert_eq!(&*opened.open(&MasterKey::generate(), &sealed, "client-a").unwrap(), "first-secret");
        // Another context is opened, and refused, as if nothing were kept.
        assert!(opened.open(&master_key, &sealed, "client-b").is_err());
        // A new seal of another secret opens to that secret.
        let rotated = master_key.seal(b"second-secret", "client-a");
        assert_eq!(&*opened.open(&master_key, &rotated, "client-a").unwrap(), "second-secret");
        // Past the cap, everything kept is forgotten and opened again.
        for index in 0..OPENED_SECRETS_KEPT {
            opened.open(&master_key, &master_key.seal(index.to_string().as_bytes(), "client-c"), "client-c").unwrap();
        }
        assert!(opened.open(&MasterKey::generate(), &sealed, "client-a").is_err());
        assert!(opened.0.lock().unwrap().len() <= OPENED_SECRETS_KEPT);
    }
}

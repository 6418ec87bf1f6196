//! Temporary credentials that carry their session. The session token is the session (the role
//! or user it acts as, its session policies, its context keys) with the secret, sealed under a
//! key derived from the master key for that token alone and bound to the access key id.
//!
//! Minting stores nothing, so GetCredentialsForIdentity and AssumeRole… wait for no commit and
//! every node of a cluster opens the credentials of every other. What a session may do is still
//! decided when it is used, from the role's or user's policies as they are then: a deleted role
//! or user leaves its sessions allowed nothing. A token opens only with its own access key id
//! and under the master key it was made with; changing the master key ends every session.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::crypto::{random_string, MasterKey};

/// The characters of access key ids after their four-letter prefix, and of secret keys.
pub(super) const KEY_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub(super) const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// The purpose of the keys session tokens are sealed under.
const TOKEN_KEY_PURPOSE: &str = "sts-session-token";
/// What leads a session token (AWS's tokens begin so too).
const TOKEN_PREFIX: &str = "IQo";
/// A longer token is refused before it is decoded: a session with a 2,048-character policy, ten
/// policy ARNs and fifty tags seals to well under this.
const MAX_TOKEN_CHARS: usize = 16 * 1024;

/// A session of temporary credentials: an assumed role's, or a GetSessionToken or
/// GetFederationToken session of an IAM user or the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsSession {
    pub access_key_id: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub role_arn: String,
    pub role_id: String,
    pub role_name: String,
    pub session_name: String,
    pub session_policy: Option<String>,
    /// The managed session policies (AssumeRole…'s PolicyArns), read when the session is used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_policy_arns: Vec<String>,
    /// Context keys the role's policies may test, e.g. `cognito-identity.amazonaws.com:sub`.
    pub context: BTreeMap<String, Vec<String>>,
    /// A GetSessionToken session: the IAM user its credentials act as (the role's fields are
    /// empty then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// When MFA was proven for a GetSessionToken session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_ms: Option<i64>,
    /// A GetFederationToken session: the federated user's name (its user is the one that asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated_name: Option<String>,
    /// Asked for by the root key pair (GetSessionToken, GetFederationToken): no user is named.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub root: bool,
}

impl StsSession {
    pub fn assumed_role_arn(&self, account_id: &str) -> String {
        crate::ids::arn::assumed_role(account_id, &self.role_name, &self.session_name)
    }

    pub fn assumed_role_id(&self) -> String {
        format!("{}:{}", self.role_id, self.session_name)
    }
}

/// The key pair and token handed to a client, in clear this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration_ms: i64,
}

/// What a token seals: the session and its secret.
#[derive(Serialize, Deserialize)]
struct Carried {
    secret: String,
    #[serde(flatten)]
    session: StsSession,
}

fn token_context(access_key_id: &str) -> String {
    format!("sts-session-token:{access_key_id}")
}

/// Fresh credentials, `ASIA` and 16 characters with a 40-character secret, for the session
/// `session` builds from their access key id and expiry; the token carries that session.
pub fn mint_credentials(
    master_key: &MasterKey,
    now_ms: i64,
    duration_seconds: i64,
    session: impl FnOnce(String, i64) -> StsSession,
) -> (TemporaryCredentials, StsSession) {
    let access_key_id = format!("ASIA{}", random_string(KEY_ID_ALPHABET, 16));
    let expiration_ms = now_ms + duration_seconds * 1000;
    let session = session(access_key_id.clone(), expiration_ms);
    let secret_access_key = random_string(SECRET_ALPHABET, 40);
    let carried = Carried { secret: secret_access_key, session };
    let plain = serde_json::to_vec(&carried).expect("a session serializes");
    let sealed = master_key.seal_with_own_key(TOKEN_KEY_PURPOSE, &plain, &token_context(&access_key_id));
    let credentials = TemporaryCredentials {
        access_key_id,
        secret_access_key: carried.secret,
        session_token: format!("{TOKEN_PREFIX}{}", BASE64.encode(sealed)),
        expiration_ms,
    };
    (credentials, carried.session)
}

/// The session and secret a token carries, when it was made under `master_key` for
/// `access_key_id`; None for any other token. Expiry is the caller's to check.
pub(super) fn open_token(master_key: &MasterKey, access_key_id: &str, token: &str) -> Option<(StsSession, String)> {
    if token.len() > MAX_TOKEN_CHARS {
        return None;
    }
    let sealed = BASE64.decode(token.strip_prefix(TOKEN_PREFIX)?).ok()?;
    let plain = master_key.open_with_own_key(TOKEN_KEY_PURPOSE, &sealed, &token_context(access_key_id))?;
    let carried: Carried = serde_json::from_slice(&plain).ok()?;
    (carried.session.access_key_id == access_key_id).then_some((carried.session, carried.secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(access_key_id: String, expires_ms: i64) -> StsSession {
        StsSession {
            access_key_id,
            created_ms: 1_000,
            expires_ms,
            role_arn: "arn:aws:iam::000000000000:role/reader".into(),
            role_id: "AROAEXAMPLE".into(),
            role_name: "reader".into(),
            session_name: "alice".into(),
            session_policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
            session_policy_arns: Vec::new(),
            context: BTreeMap::from([("cognito-identity.amazonaws.com:sub".to_string(), vec!["us-east-1:abc".to_string()])]),
            user_name: None,
            mfa_ms: None,
            federated_name: None,
            root: false,
        }
    }

    #[test]
    fn credentials_have_aws_shapes_and_their_token_carries_the_session() {
        let key = MasterKey::generate();
        let (credentials, minted) = mint_credentials(&key, 1_000, 3600, session);
        assert!(credentials.access_key_id.starts_with("ASIA") && credentials.access_key_id.len() == 20);
        assert_eq!(credentials.secret_access_key.len(), 40);
        assert!(credentials.session_token.starts_with("IQo") && credentials.session_token.len() > 200);
        assert_eq!(credentials.expiration_ms, 1_000 + 3_600_000);
        assert_eq!(minted.expires_ms, credentials.expiration_ms);
        assert!(!credentials.session_token.contains(&credentials.secret_access_key));
        let (opened, secret) = open_token(&key, &credentials.access_key_id, &credentials.session_token).unwrap();
        assert_eq!((opened, secret), (minted, credentials.secret_access_key.clone()));
    }

    #[test]
    fn a_token_opens_only_with_its_own_key_id_and_master_key() {
        let key = MasterKey::generate();
        let (credentials, _) = mint_credentials(&key, 0, 900, session);
        let (other, _) = mint_credentials(&key, 0, 900, session);
        assert!(open_token(&key, &other.access_key_id, &credentials.session_token).is_none());
        assert!(open_token(&MasterKey::generate(), &credentials.access_key_id, &credentials.session_token).is_none());
        let mut altered = credentials.session_token.clone().into_bytes();
        altered[40] = if altered[40] == b'A' { b'B' } else { b'A' };
        assert!(open_token(&key, &credentials.access_key_id, std::str::from_utf8(&altered).unwrap()).is_none());
        assert!(open_token(&key, &credentials.access_key_id, "IQo!!").is_none());
        assert!(open_token(&key, &credentials.access_key_id, &credentials.session_token[3..]).is_none());
        assert!(open_token(&key, &credentials.access_key_id, &"IQoA".repeat(5000)).is_none());
    }
}

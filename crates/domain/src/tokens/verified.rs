//! The signatures this process has already verified, so that a token presented again (the ID
//! token of GetId and then of GetCredentialsForIdentity, an access token on each call) costs a
//! hash rather than an RSA verification.
//!
//! An entry is the SHA-256 of a whole token and of the key (kid, modulus, exponent, algorithm)
//! its signature verified under. It answers only for that token under that same key: a key that
//! has left the caller's set, or a kid now naming other material, verifies afresh. Only
//! signatures are remembered; every claim (expiry, issuer, audience, revocation) is checked on
//! each use as before. Entries are added only for signatures that verified, so the memo holds
//! nothing an attacker can place there without a valid token; when it is full it starts over.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aws_lc_rs::digest::{digest, Context, SHA256};

/// Entries kept before the memo starts over: about 100 bytes each.
const CAPACITY: usize = 16_384;

type Digest32 = [u8; 32];

fn memo() -> &'static Mutex<HashMap<Digest32, Digest32>> {
    static MEMO: OnceLock<Mutex<HashMap<Digest32, Digest32>>> = OnceLock::new();
    MEMO.get_or_init(|| Mutex::new(HashMap::new()))
}

fn sha256(bytes: &[u8]) -> Digest32 {
    digest(&SHA256, bytes).as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// What names a verifying key: its kid, modulus, exponent and algorithm.
pub(super) fn key_fingerprint(kid: &str, modulus: &str, exponent: &str, algorithm: &str) -> Digest32 {
    let mut context = Context::new(&SHA256);
    for part in [kid, modulus, exponent, algorithm] {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part.as_bytes());
    }
    context.finish().as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// The digest a token is remembered under.
pub(super) fn token_digest(token: &str) -> Digest32 {
    sha256(token.as_bytes())
}

/// Whether the token of `token_digest` was verified under the key of `fingerprint`.
pub(super) fn seen(token_digest: &Digest32, fingerprint: &Digest32) -> bool {
    let memo = memo().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    memo.get(token_digest).is_some_and(|remembered| remembered == fingerprint)
}

/// Remembers that the token of `token_digest` verified under the key of `fingerprint`.
pub(super) fn remember(token_digest: Digest32, fingerprint: Digest32) {
    let mut memo = memo().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if memo.len() >= CAPACITY {
        memo.clear();
    }
    memo.insert(token_digest, fingerprint);
}

//! Secrets at rest and passwords: the master key that seals stored secrets, Argon2id password
//! hashes, constant-time comparison, and random bytes and strings from the operating system's
//! generator (`getrandom`). AWS-LC keeps its own generator for what it draws itself (RSA
//! blinding, key generation); seeding it samples CPU jitter for tens of milliseconds, which
//! [`warm_up_generator`] spends off the start-up path.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use crate::error::DomainError;

const SEALED_PREFIX: &str = "v1:";

/// The 256-bit key under which every node of a cluster seals the secrets it stores (client
/// secrets, signing keys). Each node gets it from its configuration; it never enters the store.
#[derive(Clone)]
pub struct MasterKey {
    key_bytes: [u8; 32],
    /// AES-256-GCM under the key, expanded once rather than at every seal and open.
    cipher: std::sync::Arc<LessSafeKey>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn from_bytes(key_bytes: [u8; 32]) -> Self {
        let cipher = std::sync::Arc::new(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key_bytes).expect("32-byte key")));
        MasterKey { key_bytes, cipher }
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        MasterKey::from_bytes(random_bytes())
    }

    /// Parses the text form: 64 hex digits or standard base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let decoded = if text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|error| error.to_string())?
        } else {
            BASE64.decode(text).map_err(|_| "the master key must be 64 hex digits or base64 of 32 bytes".to_string())?
        };
        let key_bytes: [u8; 32] =
            decoded.try_into().map_err(|_| "the master key must be exactly 32 bytes".to_string())?;
        Ok(MasterKey::from_bytes(key_bytes))
    }

    /// The text form accepted by [`MasterKey::parse`].
    pub fn to_text(&self) -> String {
        hex::encode(self.key_bytes)
    }

    /// Encrypts `plaintext`, binding it to `context` (for example the row it belongs to), so a
    /// sealed value copied to another row does not open.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let nonce_bytes: [u8; 12] = random_bytes();
        let mut sealed = nonce_bytes.to_vec();
        sealed.extend_from_slice(plaintext);
        let mut in_out = sealed.split_off(12);
        self.cipher()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::from(context.as_bytes()), &mut in_out)
            .expect("AES-GCM encryption does not fail for in-memory buffers");
        sealed.extend_from_slice(&in_out);
        format!("{SEALED_PREFIX}{}", BASE64.encode(sealed))
    }

    /// Seals `plaintext` under a key of its own: AES-256-GCM keyed by the MAC, for `purpose`, of
    /// a random 128-bit salt, which leads the result (salt, ciphertext, tag). For values made at
    /// a rate at which random nonces under the one master key would in time repeat (session
    /// tokens): each derived key seals one value, so its nonce may be fixed.
    pub fn seal_with_own_key(&self, purpose: &str, plaintext: &[u8], context: &str) -> Vec<u8> {
        let salt: [u8; 16] = random_bytes();
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.mac(purpose, &salt)).expect("32-byte key"));
        let mut in_out = plaintext.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key([0; 12]), Aad::from(context.as_bytes()), &mut in_out)
            .expect("AES-GCM encryption does not fail for in-memory buffers");
        let mut sealed = salt.to_vec();
        sealed.extend_from_slice(&in_out);
        sealed
    }

    /// Opens a value made by [`MasterKey::seal_with_own_key`] with the same purpose and context;
    /// None for anything else.
    pub fn open_with_own_key(&self, purpose: &str, sealed: &[u8], context: &str) -> Option<Vec<u8>> {
        if sealed.len() < 16 + 16 {
            return None;
        }
        let (salt, ciphertext) = sealed.split_at(16);
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.mac(purpose, salt)).expect("32-byte key"));
        let mut in_out = ciphertext.to_vec();
        let plain = key.open_in_place(Nonce::assume_unique_for_key([0; 12]), Aad::from(context.as_bytes()), &mut in_out).ok()?;
        Some(plain.to_vec())
    }

    /// AES-256-GCM under the master key: values are the 96-bit nonce, the ciphertext and the tag.
    fn cipher(&self) -> &LessSafeKey {
        &self.cipher
    }

    /// HMAC-SHA256 of `data` under a key derived from the master key for `purpose`: every node
    /// of a cluster computes the same value (CSRF tokens of the hosted pages, OAuth state).
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut derive = <Hmac::<sha2::Sha256> as Mac>::new_from_slice(&self.key_bytes).expect("HMAC takes any key length");
        derive.update(b"cognate-mac:");
        derive.update(purpose.as_bytes());
        let derived = derive.finalize().into_bytes();
        let mut mac = <Hmac::<sha2::Sha256> as Mac>::new_from_slice(&derived).expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Decrypts a value made by [`MasterKey::seal`] with the same context.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, DomainError> {
        let encoded = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| DomainError::internal("sealed value has an unknown format"))?;
        let bytes = BASE64.decode(encoded).map_err(DomainError::internal)?;
        if bytes.len() < 12 + 16 {
            return Err(DomainError::internal("sealed value is too short"));
        }
        let (nonce_bytes, ciphertext) = bytes.split_at(12);
        let refused = || DomainError::internal("a sealed value does not open with this node's master key");
        let nonce = Nonce::try_assume_unique_for_key(nonce_bytes).map_err(|_| refused())?;
        let mut in_out = ciphertext.to_vec();
        let plain = self.cipher().open_in_place(nonce, Aad::from(context.as_bytes()), &mut in_out).map_err(|_| refused())?;
        Ok(plain.to_vec())
    }
}

/// The Argon2id cost of new password hashes. The default is OWASP's first recommendation
/// (m = 19 MiB, t = 2, p = 1). Hashes carry their parameters, so changing them affects only
/// passwords set afterwards; every hash still verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashing {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        PasswordHashing { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

impl PasswordHashing {
    /// Checked parameters: Argon2's own limits, and no weaker than m = 7 MiB, t = 1 (the lowest
    /// of OWASP's equivalent settings).
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, String> {
        if memory_kib < 7 * 1024 || iterations < 1 || parallelism < 1 || memory_kib < 8 * parallelism {
            return Err(format!(
                "Argon2id parameters m={memory_kib} KiB, t={iterations}, p={parallelism} are below the floor of m=7168 KiB, t=1, p=1"
            ));
        }
        argon2::Params::new(memory_kib, iterations, parallelism, None).map_err(|error| format!("Argon2id parameters: {error}"))?;
        Ok(PasswordHashing { memory_kib, iterations, parallelism })
    }

    fn hasher(&self) -> argon2::Argon2<'static> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None).expect("checked parameters");
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
    }

    /// Hashes a password into a PHC string with these parameters.
    pub fn hash(&self, password: &str) -> Result<String, DomainError> {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(DomainError::internal)?;
        self.hasher().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(DomainError::internal)
    }
}

/// Hashes a password with Argon2id at the default cost into a PHC string.
pub fn hash_password(password: &str) -> Result<String, DomainError> {
    PasswordHashing::default().hash(password)
}

/// The largest Argon2 memory a thread keeps between verifications (bigger costs allocate).
const MAX_KEPT_ARGON2_KIB: usize = 256 * 1024;

thread_local! {
    /// Argon2 memory kept per thread: a verification then neither maps, faults in nor zeroes
    /// its 19 MiB afresh. Every block is written before it is read, so what an earlier
    /// verification left behind never enters a result.
    static ARGON2_BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Checks a password against an Argon2id PHC string (any parameters), in constant time.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::PasswordHash;
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    if parsed.algorithm.as_str() != "argon2id" {
        return false;
    }
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else { return false };
    let Ok(params) = argon2::Params::try_from(&parsed) else { return false };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_buffer = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buffer) else { return false };
    let count = params.block_count();
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, version, params);
    let mut computed = vec![0u8; expected.len()];
    let outcome = if count <= MAX_KEPT_ARGON2_KIB {
        ARGON2_BLOCKS.with(|cell| {
            let mut blocks = cell.borrow_mut();
            if blocks.len() < count {
                blocks.resize(count, argon2::Block::default());
            }
            hasher.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, &mut blocks[..count])
        })
    } else {
        hasher.hash_password_into(password.as_bytes(), salt, &mut computed)
    };
    outcome.is_ok() && constant_time_eq(&computed, expected.as_bytes())
}

/// Compares two secrets without leaking where they differ.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    left.len() == right.len() && bool::from(left.ct_eq(right))
}

/// Fills `bytes` from the operating system's generator.
pub fn fill_random(bytes: &mut [u8]) {
    rand::RngCore::try_fill_bytes(&mut rand::rngs::OsRng, bytes).expect("the operating system's generator does not fail");
}

/// Seeds AWS-LC's generator (its first draw samples CPU jitter for tens of milliseconds), so
/// that the first signature or key does not wait for it. Run once, on a thread of its own, after
/// the server is ready.
pub fn warm_up_generator() {
    let mut byte = [0u8; 1];
    let _ = aws_lc_rs::rand::fill(&mut byte);
}

/// `N` random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    fill_random(&mut bytes);
    bytes
}

/// A fresh 2048-bit RSA key from AWS-LC: the key pair and its PKCS#8 DER (what is sealed and
/// stored). Its public modulus and exponent are `rsa_public_numbers` of it.
pub fn new_rsa_key() -> Result<(aws_lc_rs::signature::RsaKeyPair, Vec<u8>), DomainError> {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(|_| DomainError::internal("no RSA key"))?;
    let der: Pkcs8V1Der = key.as_der().map_err(|_| DomainError::internal("an RSA key without PKCS#8"))?;
    Ok((key, der.as_ref().to_vec()))
}

/// The public modulus and exponent of an RSA key, big-endian without leading zeros (as a JWK
/// writes them).
pub fn rsa_public_numbers(key: &aws_lc_rs::signature::RsaKeyPair) -> (Vec<u8>, Vec<u8>) {
    use aws_lc_rs::signature::KeyPair;
    let public = key.public_key();
    (public.modulus().big_endian_without_leading_zero().to_vec(), public.exponent().big_endian_without_leading_zero().to_vec())
}

/// A random string of `length` characters drawn uniformly from `alphabet` (1 to 128 ASCII
/// characters): random bytes taken in one draw, those past the largest multiple of the
/// alphabet's size thrown away so that every character is equally likely.
pub fn random_string(alphabet: &[u8], length: usize) -> String {
    assert!((1..=128).contains(&alphabet.len()) && alphabet.is_ascii(), "an alphabet of 1 to 128 ASCII characters");
    let limit = 256 - 256 % alphabet.len();
    let mut text = String::with_capacity(length);
    let mut bytes = vec![0u8; length + length / 2 + 8];
    while text.len() < length {
        fill_random(&mut bytes);
        for &byte in bytes.iter().filter(|&&byte| usize::from(byte) < limit) {
            if text.len() == length {
                break;
            }
            text.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_strings_have_their_length_and_use_the_whole_alphabet_evenly() {
        let text = random_string(b"abc", 30_000);
        assert_eq!(text.len(), 30_000);
        for letter in ['a', 'b', 'c'] {
            let count = text.chars().filter(|&character| character == letter).count();
            assert!((9_000..11_000).contains(&count), "{letter}: {count}");
        }
        assert_eq!(random_string(b"0123456789", 6).len(), 6);
        assert_ne!(random_bytes::<32>(), random_bytes::<32>());
    }

    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"client secret", "client:abc");
        assert_eq!(key.open(&sealed, "client:abc").unwrap(), b"client secret");
        assert!(key.open(&sealed, "client:other").is_err());
        assert!(MasterKey::generate().open(&sealed, "client:abc").is_err());
        assert!(!sealed.contains("client secret"));
    }

    #[test]
    fn values_sealed_under_their_own_key_open_only_with_the_same_purpose_context_and_bytes() {
        let key = MasterKey::generate();
        let sealed = key.seal_with_own_key("token", b"a session", "key:ASIA1");
        assert_eq!(key.open_with_own_key("token", &sealed, "key:ASIA1").unwrap(), b"a session");
        assert!(key.open_with_own_key("token", &sealed, "key:ASIA2").is_none());
        assert!(key.open_with_own_key("other", &sealed, "key:ASIA1").is_none());
        assert!(MasterKey::generate().open_with_own_key("token", &sealed, "key:ASIA1").is_none());
        let mut flipped = sealed.clone();
        flipped[3] ^= 1;
        assert!(key.open_with_own_key("token", &flipped, "key:ASIA1").is_none(), "the salt is bound too");
        assert!(key.open_with_own_key("token", &sealed[..31], "key:ASIA1").is_none());
        assert_ne!(sealed[..16], key.seal_with_own_key("token", b"a session", "key:ASIA1")[..16], "each value has a salt of its own");
    }

    #[test]
    fn values_sealed_before_open_the_same() {
        // AES-256-GCM by Python's cryptography package: key 07 × 32, nonce 00..0b, the context
        // as associated data; the layout every stored value has had since v1.
        let sealed = "v1:AAECAwQFBgcICQoLeaGKHHRstz1XwYD/kD0YRghj2ZhIQVyIyrYTvzPZhA==";
        let key = MasterKey::from_bytes([7; 32]);
        assert_eq!(key.open(sealed, "client-secret:abc").unwrap(), b"a client secret");
        assert!(key.open(sealed, "client-secret:abd").is_err());
    }

    #[test]
    fn macs_depend_on_key_purpose_and_data() {
        let key = MasterKey::generate();
        assert_eq!(key.mac("csrf", b"a"), key.mac("csrf", b"a"));
        assert_ne!(key.mac("csrf", b"a"), key.mac("state", b"a"));
        assert_ne!(key.mac("csrf", b"a"), key.mac("csrf", b"b"));
        assert_ne!(key.mac("csrf", b"a"), MasterKey::generate().mac("csrf", b"a"));
    }

    #[test]
    fn master_key_text_round_trips_and_rejects_short_keys() {
        let key = MasterKey::generate();
        let parsed = MasterKey::parse(&key.to_text()).unwrap();
        assert_eq!(parsed.key_bytes, key.key_bytes);
        assert!(MasterKey::parse("abcd").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn hashing_parameters_are_checked_and_carried_by_the_hash() {
        assert!(PasswordHashing::new(1024, 1, 1).is_err());
        assert!(PasswordHashing::new(19 * 1024, 0, 1).is_err());
        let cheap = PasswordHashing::new(7 * 1024, 1, 1).unwrap();
        let phc = cheap.hash("Correct-Horse-1").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=7168,t=1,p=1$"), "{phc}");
        assert!(verify_password("Correct-Horse-1", &phc));
        assert!(hash_password("x").unwrap().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[test]
    fn password_hashes_verify_only_the_right_password() {
        let phc = hash_password("Correct-Horse-1").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("Correct-Horse-1", &phc));
        assert!(!verify_password("Correct-Horse-2", &phc));
        // Kept memory from a bigger or smaller cost does not change an answer.
        let cheap = PasswordHashing::new(7 * 1024, 1, 1).unwrap().hash("Correct-Horse-1").unwrap();
        assert!(verify_password("Correct-Horse-1", &cheap));
        assert!(verify_password("Correct-Horse-1", &phc));
        assert!(!verify_password("Correct-Horse-1", &phc.replace("$argon2id$", "$argon2i$")));
        assert!(!verify_password("Correct-Horse-1", "not a hash"));
    }
}

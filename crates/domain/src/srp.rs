//! SRP-6a as Cognito speaks it (USER_SRP_AUTH): the 3072-bit group, its k/u/x derivations with
//! Java-style minimal two's-complement padding, the HKDF-derived key and the claim signature
//! over pool name, user id, secret block and timestamp.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use num_bigint_dig::BigUint;
use sha2::{Digest, Sha256};

const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

fn n() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("the group prime parses")
}

fn g() -> BigUint {
    BigUint::from(2u32)
}

/// Minimal big-endian two's-complement bytes of a positive number (Java's `toByteArray`).
pub fn pad(value: &BigUint) -> Vec<u8> {
    let mut bytes = value.to_bytes_be();
    if bytes.is_empty() {
        bytes.push(0);
    }
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    bytes
}

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn k() -> BigUint {
    BigUint::from_bytes_be(&sha256(&[&pad(&n()), &pad(&g())]))
}

/// Lowercase hex without leading zeros (as the clients send numbers).
pub fn to_hex(value: &BigUint) -> String {
    value.to_str_radix(16)
}

pub fn parse_hex(text: &str) -> Option<BigUint> {
    if text.is_empty() || text.len() > 2048 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    BigUint::parse_bytes(text.as_bytes(), 16)
}

/// `x = H(pad(salt) || H(poolName + userId + ":" + password))`.
fn x(pool_name: &str, user_id: &str, password: &str, salt: &BigUint) -> BigUint {
    let inner = sha256(&[format!("{pool_name}{user_id}:{password}").as_bytes()]);
    BigUint::from_bytes_be(&sha256(&[&pad(salt), &inner]))
}

/// The part of a pool id after `_`.
pub fn pool_name(pool_id: &str) -> &str {
    pool_id.split_once('_').map(|(_, name)| name).unwrap_or(pool_id)
}

/// A fresh salt and the verifier of `password`, as hex. `realm` is what the client puts before
/// the user id in `x`: the pool's name ([`pool_name`]) for users, the device group key for
/// remembered devices (whose user id is the device key).
pub fn make_verifier(realm: &str, user_id: &str, password: &str) -> (String, String) {
    let mut salt_bytes = [0u8; 16];
    crate::crypto::fill_random(&mut salt_bytes);
    let salt = BigUint::from_bytes_be(&salt_bytes);
    let verifier = g().modpow(&x(realm, user_id, password, &salt), &n());
    (to_hex_canonical(&salt), to_hex(&verifier))
}

/// The verifier of `password` with a given salt (hex), as [`make_verifier`] writes it: to check
/// a secret against a stored verifier. None for a salt that is not hex.
pub fn verifier_with_salt(realm: &str, user_id: &str, password: &str, salt_hex: &str) -> Option<String> {
    let salt = parse_hex(salt_hex)?;
    Some(to_hex(&g().modpow(&x(realm, user_id, password, &salt), &n())))
}

/// A salt and verifier for a user who does not exist (or has no password), derived from
/// `seed` alone: the same every time for the same seed, as a real user's are, and as cheap to
/// produce as opening a stored one (no exponentiation). No password matches it.
pub fn decoy_verifier(seed: &[u8; 32]) -> (String, String) {
    let block = |label: u8, counter: u8| -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update([label, counter]);
        hasher.update(seed);
        hasher.finalize().into()
    };
    let salt = BigUint::from_bytes_be(&block(0, 0)[..16]);
    let mut wide = Vec::with_capacity(12 * 32);
    for counter in 0..12 {
        wide.extend_from_slice(&block(1, counter));
    }
    let verifier = BigUint::from_bytes_be(&wide) % n();
    (to_hex_canonical(&salt), to_hex(&verifier))
}

/// The salt as the canonical hex of `pad(salt)`, which both client libraries read alike.
fn to_hex_canonical(value: &BigUint) -> String {
    hex::encode(pad(value))
}

/// Whether `bytes` (big-endian) are a number the group can use as a verifier: not zero and below
/// the prime.
pub fn is_group_element(bytes: &[u8]) -> bool {
    let value = BigUint::from_bytes_be(bytes);
    value != BigUint::from(0u32) && value < n()
}

/// The server's ephemeral values for one attempt.
pub struct ServerChallenge {
    pub b: BigUint,
    pub big_b: BigUint,
}

/// Checks the client's `A` and makes `b` and `B = k*v + g^b mod N`.
pub fn server_challenge(verifier_hex: &str, a_hex: &str) -> Option<ServerChallenge> {
    let modulus = n();
    let big_a = parse_hex(a_hex)?;
    if (&big_a % &modulus) == BigUint::from(0u32) {
        return None;
    }
    let verifier = parse_hex(verifier_hex)?;
    let mut b_bytes = [0u8; 32];
    crate::crypto::fill_random(&mut b_bytes);
    let b = BigUint::from_bytes_be(&b_bytes);
    let big_b = (k() * verifier + g().modpow(&b, &modulus)) % &modulus;
    Some(ServerChallenge { b, big_b })
}

/// The claim signature the client must send: base64(HMAC(K, realm || userId || secretBlock ||
/// timestamp)), where K is derived from the shared secret and `realm` is as in
/// [`make_verifier`]. None when `u` is zero.
#[allow(clippy::too_many_arguments)]
pub fn expected_signature(
    realm: &str,
    user_id: &str,
    verifier_hex: &str,
    a_hex: &str,
    b: &BigUint,
    big_b: &BigUint,
    secret_block: &[u8],
    timestamp: &str,
) -> Option<String> {
    let modulus = n();
    let big_a = parse_hex(a_hex)?;
    let verifier = parse_hex(verifier_hex)?;
    let u = BigUint::from_bytes_be(&sha256(&[&pad(&big_a), &pad(big_b)]));
    if u == BigUint::from(0u32) {
        return None;
    }
    let shared = (big_a * verifier.modpow(&u, &modulus)).modpow(b, &modulus);
    Some(claim_signature(realm, user_id, &u, &shared, secret_block, timestamp))
}

/// base64(HMAC(K, realm || userId || secretBlock || timestamp)), K the first 16 bytes of
/// HKDF(salt = pad(u), key = pad(S), info = "Caldera Derived Key").
fn claim_signature(realm: &str, user_id: &str, u: &BigUint, shared: &BigUint, secret_block: &[u8], timestamp: &str) -> String {
    let prk = hmac_sha256(&pad(u), &pad(shared));
    let mut info = b"Caldera Derived Key".to_vec();
    info.push(1);
    let key = &hmac_sha256(&prk, &info)[..16];
    let mut message = Vec::new();
    message.extend_from_slice(realm.as_bytes());
    message.extend_from_slice(user_id.as_bytes());
    message.extend_from_slice(secret_block);
    message.extend_from_slice(timestamp.as_bytes());
    BASE64.encode(hmac_sha256(key, &message))
}

/// The client's side of one attempt, as amazon-cognito-identity-js computes it: for the load
/// generator and tests, which sign in with SRP without a JavaScript runtime.
pub struct ClientAttempt {
    a: BigUint,
    big_a: BigUint,
}

impl ClientAttempt {
    /// A fresh 256-bit `a` and `A = g^a mod N` (amazon-cognito-identity-js draws 128 bytes;
    /// 32 give the same strength against the 3072-bit group's 128-bit security level).
    pub fn new() -> ClientAttempt {
        let mut a_bytes = [0u8; 32];
        crate::crypto::fill_random(&mut a_bytes);
        Self::with_secret(BigUint::from_bytes_be(&a_bytes))
    }

    fn with_secret(a: BigUint) -> ClientAttempt {
        let big_a = g().modpow(&a, &n());
        ClientAttempt { a, big_a }
    }

    /// `SRP_A`, as hex.
    pub fn big_a_hex(&self) -> String {
        to_hex(&self.big_a)
    }

    /// PASSWORD_CLAIM_SIGNATURE for the server's SALT, SRP_B and SECRET_BLOCK (base64): the key
    /// from `S = (B - k·g^x)^(a + u·x)`, then the HMAC over pool name, user id, block and
    /// timestamp. None for a `B` or `u` that must be refused.
    pub fn claim(&self, realm: &str, user_id: &str, password: &str, salt_hex: &str, b_hex: &str, secret_block: &str, timestamp: &str) -> Option<String> {
        let modulus = n();
        let big_b = parse_hex(b_hex)?;
        if (&big_b % &modulus) == BigUint::from(0u32) {
            return None;
        }
        let u = BigUint::from_bytes_be(&sha256(&[&pad(&self.big_a), &pad(&big_b)]));
        if u == BigUint::from(0u32) {
            return None;
        }
        let x_value = x(realm, user_id, password, &parse_hex(salt_hex)?);
        let k_g_x = (k() * g().modpow(&x_value, &modulus)) % &modulus;
        let base = (&big_b % &modulus + &modulus - k_g_x) % &modulus;
        let shared = base.modpow(&(&self.a + &u * &x_value), &modulus);
        Some(claim_signature(realm, user_id, &u, &shared, &BASE64.decode(secret_block).ok()?, timestamp))
    }
}

impl Default for ClientAttempt {
    fn default() -> Self {
        Self::new()
    }
}

/// The TIMESTAMP clients send, `Sat Nov 7 01:02:03 UTC 2026`, for epoch seconds.
pub fn format_timestamp(epoch_seconds: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = epoch_seconds.div_euclid(86_400);
    let (year, month, day) = crate::clock::civil_from_days(days);
    let seconds = epoch_seconds.rem_euclid(86_400);
    format!(
        "{} {} {day} {:02}:{:02}:{:02} UTC {year}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// Parses Cognito's SRP timestamp, `Sat Nov 7 01:02:03 UTC 2026`, into epoch seconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    if parts.len() != 6 || parts[4] != "UTC" {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|month| *month == parts[1])? as i64 + 1;
    let day: i64 = parts[2].parse().ok()?;
    let year: i64 = parts[5].parse().ok()?;
    let clock: Vec<i64> = parts[3].split(':').map(|part| part.parse().ok()).collect::<Option<_>>()?;
    if clock.len() != 3 || !(1..=31).contains(&day) || clock[0] > 23 || clock[1] > 59 || clock[2] > 60 {
        return None;
    }
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = if shifted_year >= 0 { shifted_year } else { shifted_year - 399 } / 400;
    let year_of_era = shifted_year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the shared reference, checked against two client libraries.
    #[test]
    fn matches_the_reference_test_vector() {
        let salt = BigUint::parse_bytes(b"9a3f1c2b4d5e6f708192a3b4c5d6e7f8", 16).unwrap();
        let x_value = x("AbCdEfGhI", "alice", "P@ssw0rd!", &salt);
        assert_eq!(to_hex(&x_value), "d2889fa7451d825b9209870d0eebedeb72544a17df8ec6ff1fea40c44598e0d6");
        assert_eq!(to_hex(&k()), "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6");
        let verifier = g().modpow(&x_value, &n());
        let a = BigUint::from_bytes_be(&[0x2b; 128]);
        let big_a = g().modpow(&a, &n());
        let b = BigUint::from_bytes_be(&[0x1f; 32]);
        let big_b = (k() * &verifier + g().modpow(&b, &n())) % n();
        assert!(to_hex(&verifier).starts_with("45a88edb80b501bf2f97355e"));
        assert!(to_hex(&big_a).starts_with("c0a14065bf6a9acbe1c79844"));
        assert!(to_hex(&big_b).starts_with("c7b97648c0396f60da4965bd"));
        let signature = expected_signature(
            "AbCdEfGhI",
            "alice",
            &to_hex(&verifier),
            &to_hex(&big_a),
            &b,
            &big_b,
            b"secret-block-bytes",
            "Sat Nov 7 01:02:03 UTC 2026",
        )
        .unwrap();
        assert_eq!(signature, "niboNFbgaglZdoii/uxf8MbWioPXobot2LOyUseQNhs=");
    }

    /// The client side reaches the reference vector's signature from the password alone.
    #[test]
    fn the_client_side_matches_the_reference_test_vector() {
        let salt = BigUint::parse_bytes(b"9a3f1c2b4d5e6f708192a3b4c5d6e7f8", 16).unwrap();
        let verifier = g().modpow(&x("AbCdEfGhI", "alice", "P@ssw0rd!", &salt), &n());
        let attempt = ClientAttempt::with_secret(BigUint::from_bytes_be(&[0x2b; 128]));
        let b = BigUint::from_bytes_be(&[0x1f; 32]);
        let big_b = (k() * &verifier + g().modpow(&b, &n())) % n();
        let block = BASE64.encode(b"secret-block-bytes");
        let claim = attempt.claim("AbCdEfGhI", "alice", "P@ssw0rd!", &to_hex(&salt), &to_hex(&big_b), &block, "Sat Nov 7 01:02:03 UTC 2026");
        assert_eq!(claim.as_deref(), Some("niboNFbgaglZdoii/uxf8MbWioPXobot2LOyUseQNhs="));
        let wrong = attempt.claim("AbCdEfGhI", "alice", "wrong", &to_hex(&salt), &to_hex(&big_b), &block, "Sat Nov 7 01:02:03 UTC 2026");
        assert_ne!(wrong, claim);
        assert_eq!(format_timestamp(1_794_013_323), "Sat Nov 7 01:02:03 UTC 2026");
        assert_eq!(parse_timestamp(&format_timestamp(1_794_013_323)), Some(1_794_013_323));
    }

    #[test]
    fn padding_follows_java_big_integer() {
        assert_eq!(pad(&BigUint::from(0x7fu32)), vec![0x7f]);
        assert_eq!(pad(&BigUint::from(0x80u32)), vec![0x00, 0x80]);
        assert_eq!(pad(&n()).len(), 385);
    }

    #[test]
    fn timestamps_parse_with_and_without_a_padded_day() {
        let expected = 1_794_013_323; // 2026-11-07T01:02:03Z
        assert_eq!(parse_timestamp("Sat Nov 7 01:02:03 UTC 2026"), Some(expected));
        assert_eq!(parse_timestamp("Sat Nov 07 01:02:03 UTC 2026"), Some(expected));
        assert_eq!(parse_timestamp("2026-11-07T01:02:03Z"), None);
    }

    #[test]
    fn zero_a_is_refused() {
        let (_, verifier) = make_verifier("abc", "alice", "pw");
        assert!(server_challenge(&verifier, "0").is_none());
        assert!(server_challenge(&verifier, &N_HEX.to_lowercase()).is_none());
        assert!(server_challenge(&verifier, "zz").is_none());
    }
}

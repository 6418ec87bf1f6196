//! Time-based one-time passwords as authenticator apps compute them (RFC 6238 over RFC 4226):
//! HMAC-SHA-1, six digits, thirty-second steps; secrets of 160 bits shown in base32.


/// The length of a step, in seconds.
pub const STEP_SECONDS: i64 = 30;
/// Steps of drift accepted either way.
const DRIFT_STEPS: i64 = 1;
const DIGITS: u32 = 6;
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new secret: 160 random bits.
pub fn new_secret() -> Vec<u8> {
    crate::crypto::random_bytes::<20>().to_vec()
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(char::from(BASE32_ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        text.push(char::from(BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    text
}

/// The bytes of an RFC 4648 base32 text (no padding), as an authenticator app reads a secret;
/// None when a character is not of the alphabet.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let (mut buffer, mut bits, mut bytes) = (0u32, 0u32, Vec::new());
    for character in text.trim_end_matches('=').bytes() {
        let value = BASE32_ALPHABET.iter().position(|&letter| letter == character.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    Some(bytes)
}

/// The code of one time step (HOTP with the step as the counter).
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let digest = aws_lc_rs::hmac::sign(&key, &step.to_be_bytes());
    let digest = digest.as_ref();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    format!("{:0width$}", value % 10u32.pow(DIGITS), width = DIGITS as usize)
}

/// The step of a time, in milliseconds since the epoch.
pub fn step_of(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000 * STEP_SECONDS)
}

/// The step whose code `code` is, within one step of `now_ms` and later than `after_step` (a
/// code is accepted once: the step of the last accepted code is given here); None otherwise.
/// Every candidate is compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, now_ms: i64, after_step: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let now = step_of(now_ms);
    let mut found = None;
    for step in now - DRIFT_STEPS..=now + DRIFT_STEPS {
        let matches = crate::crypto::constant_time_eq(code_at_step(secret, step).as_bytes(), code.as_bytes());
        if matches && after_step.is_none_or(|last| step > last) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890"; its eight-digit codes
    /// end in the six digits checked here.
    #[test]
    fn codes_match_the_rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (seconds, eight_digits) in [(59, "94287082"), (1_111_111_109, "07081804"), (1_234_567_890, "89005924"), (2_000_000_000, "69279037")] {
            assert_eq!(code_at_step(secret, step_of(seconds * 1000)), eight_digits[2..]);
        }
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(&new_secret()).len(), 32);
        let secret = new_secret();
        assert_eq!(base32_decode(&base32(&secret)), Some(secret));
        assert_eq!(base32_decode("MZXW6YTBOI"), Some(b"foobar".to_vec()));
        assert_eq!(base32_decode("MZ1"), None);
    }

    #[test]
    fn one_step_of_drift_and_each_step_once() {
        let secret = new_secret();
        let now = 1_700_000_000_000;
        let step = step_of(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at_step(&secret, step + offset);
            assert_eq!(matching_step(&secret, &code, now, None).is_some(), accepted, "offset {offset}");
        }
        let code = code_at_step(&secret, step);
        assert_eq!(matching_step(&secret, &code, now, None), Some(step));
        assert_eq!(matching_step(&secret, &code, now, Some(step)), None, "a code already used");
        assert_eq!(matching_step(&secret, &code_at_step(&secret, step + 1), now, Some(step)), Some(step + 1));
        assert_eq!(matching_step(&secret, "12345", now, None), None);
        assert_eq!(matching_step(&secret, "abcdef", now, None), None);
    }
}

//! Password policy: checks with Cognito's messages, and temporary passwords that satisfy it.

use rand::rngs::OsRng;
use rand::seq::SliceRandom;

use super::types::PasswordPolicy;
use crate::crypto::random_string;
use crate::error::DomainError;

pub const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";
const MAX_PASSWORD_LENGTH: usize = 256;

/// Checks `password` against `policy`, answering Cognito's `InvalidPasswordException` texts.
pub fn check_password(policy: &PasswordPolicy, password: &str) -> Result<(), DomainError> {
    let fail = |reason: &str| Err(DomainError::InvalidPassword(format!("Password does not conform to policy: {reason}")));
    if password.chars().count() < policy.minimum_length as usize {
        return fail("Password not long enough");
    }
    if password.chars().count() > MAX_PASSWORD_LENGTH {
        return fail("Password is too long");
    }
    if policy.require_lowercase && !password.chars().any(|character| character.is_ascii_lowercase()) {
        return fail("Password must have lowercase characters");
    }
    if policy.require_uppercase && !password.chars().any(|character| character.is_ascii_uppercase()) {
        return fail("Password must have uppercase characters");
    }
    if policy.require_numbers && !password.chars().any(|character| character.is_ascii_digit()) {
        return fail("Password must have numeric characters");
    }
    if policy.require_symbols && !password.chars().any(|character| SYMBOLS.contains(character)) {
        return fail("Password must have symbol characters");
    }
    Ok(())
}

/// A random password of at least 12 characters that passes `policy`.
pub fn generate_temporary_password(policy: &PasswordPolicy) -> String {
    let length = (policy.minimum_length as usize).max(12);
    let mut characters: Vec<char> = Vec::with_capacity(length);
    characters.extend(random_string(b"abcdefghijkmnopqrstuvwxyz", 1).chars());
    characters.extend(random_string(b"ABCDEFGHJKLMNPQRSTUVWXYZ", 1).chars());
    characters.extend(random_string(b"23456789", 1).chars());
    characters.extend(random_string(b"!#%&*+-=?^_", 1).chars());
    let rest = length - characters.len();
    characters.extend(random_string(b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%&*+-=?^_", rest).chars());
    characters.shuffle(&mut OsRng);
    characters.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_messages_follow_cognito() {
        let policy = PasswordPolicy::default();
        let short = check_password(&policy, "Ab1!").unwrap_err();
        assert_eq!(short.to_string(), "Password does not conform to policy: Password not long enough");
        let no_symbol = check_password(&policy, "Abcdefgh1").unwrap_err();
        assert_eq!(no_symbol.to_string(), "Password does not conform to policy: Password must have symbol characters");
        check_password(&policy, "Abcdefg1!").unwrap();
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        let policy = PasswordPolicy { minimum_length: 20, ..Default::default() };
        for _ in 0..50 {
            let password = generate_temporary_password(&policy);
            assert_eq!(password.len(), 20);
            check_password(&policy, &password).unwrap();
        }
    }
}

//! The shapes of Cognito's ids: how each is made, which region it names, and the check that
//! parses it.

use crate::crypto::random_string;
use crate::error::{Constraint, DomainError, InvalidMember};

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE32_LOWER: &[u8] = b"0123456789abcdefghijklmnopqrstuv";

/// `<region>_<9 alphanumerics>`, as in `us-east-1_mrk4RyjYz`.
pub fn new_user_pool_id(region: &str) -> String {
    format!("{region}_{}", random_string(ALPHANUMERIC, 9))
}

/// 26 characters of `[0-9a-v]`.
pub fn new_client_id() -> String {
    random_string(BASE32_LOWER, 26)
}

/// 51 characters of `[0-9a-v]` (255 bits).
pub fn new_client_secret() -> String {
    random_string(BASE32_LOWER, 51)
}

/// A random (version 4) UUID, from the thread's generator: ChaCha12 seeded and reseeded from
/// the operating system's, drawn without a system call (ids are made once or twice a request:
/// request ids, token ids). Secrets come from `crypto::random_bytes` instead.
pub fn new_uuid() -> String {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string()
}

/// The region a user pool id (`<region>_<suffix>`) or identity pool or identity id
/// (`<region>:<uuid>`) belongs to.
pub fn region_of(id: &str) -> &str {
    match (id.find('_'), id.find(':')) {
        (Some(underscore), Some(colon)) => &id[..underscore.min(colon)],
        (Some(at), None) | (None, Some(at)) => &id[..at],
        (None, None) => "",
    }
}

/// The user pool id in a provider name `cognito-idp.<region>.amazonaws.com/<pool id>` whose
/// region is the pool's own.
pub fn user_pool_of_provider(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("cognito-idp.")?;
    let (region, pool_id) = rest.split_once(".amazonaws.com/")?;
    (region_of(pool_id) == region).then_some(pool_id)
}

/// A pool id must match `[\w-]+_[0-9a-zA-Z]+` and be at most 55 characters.
pub fn check_user_pool_id(pool_id: &str) -> Result<(), DomainError> {
    let valid = pool_id.len() <= 55
        && match pool_id.rsplit_once('_') {
            Some((region, suffix)) => {
                !region.is_empty()
                    && region.chars().all(|character| character.is_alphanumeric() || character == '_' || character == '-')
                    && !suffix.is_empty()
                    && suffix.chars().all(|character| character.is_ascii_alphanumeric())
            }
            None => false,
        };
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error("userPoolId", pool_id, Constraint::Pattern("[\\w-]+_[0-9a-zA-Z]+")))
    }
}

/// Identity pool ids are `<region>:<uuid>`.
pub fn check_identity_pool_id(pool_id: &str) -> Result<(), DomainError> {
    check_region_uuid(pool_id, "identityPoolId")
}

/// Identity ids are `<region>:<uuid>`.
pub fn check_identity_id(identity_id: &str) -> Result<(), DomainError> {
    check_region_uuid(identity_id, "identityId")
}

fn check_region_uuid(value: &str, member: &str) -> Result<(), DomainError> {
    let valid = value.len() <= 55
        && value.split_once(':').is_some_and(|(region, id)| {
            !region.is_empty()
                && region.chars().all(|character| character.is_ascii_alphanumeric() || character == '-')
                && !id.is_empty()
                && id.chars().all(|character| character.is_ascii_hexdigit() || character == '-')
        });
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error(member, value, Constraint::Pattern("[\\w-]+:[0-9a-f-]+")))
    }
}

/// Client ids match `[\w+]+`, 1 to 128 characters.
pub fn check_client_id(client_id: &str) -> Result<(), DomainError> {
    let valid = !client_id.is_empty()
        && client_id.len() <= 128
        && client_id.chars().all(|character| character.is_alphanumeric() || character == '_' || character == '+');
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error("clientId", client_id, Constraint::Pattern("[\\w+]+")))
    }
}

/// Usernames and group names: 1 to 128 letters, marks, symbols, numbers or punctuation (no spaces).
pub fn check_name(value: &str, member: &str) -> Result<(), DomainError> {
    let length = value.chars().count();
    let valid = (1..=128).contains(&length)
        && value.chars().all(|character| !character.is_whitespace() && !character.is_control());
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error(member, value, Constraint::Pattern("[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+")))
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_cognito_shapes() {
        let pool_id = new_user_pool_id("eu-west-1");
        assert!(pool_id.starts_with("eu-west-1_"));
        assert_eq!(pool_id.len(), "eu-west-1_".len() + 9);
        check_user_pool_id(&pool_id).unwrap();
        let client_id = new_client_id();
        assert_eq!(client_id.len(), 26);
        assert!(client_id.bytes().all(|byte| BASE32_LOWER.contains(&byte)));
        check_client_id(&client_id).unwrap();
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!(check_user_pool_id("nounderscore").is_err());
        assert!(check_user_pool_id("us-east-1_bad!").is_err());
        assert!(check_client_id("").is_err());
        assert!(check_name("has space", "username").is_err());
        assert!(check_name(&"x".repeat(129), "username").is_err());
    }
}

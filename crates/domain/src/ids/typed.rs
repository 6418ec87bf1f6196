//! The ids a request names, as types: each is parsed once, where it enters (an API member, a
//! path, a token's issuer), and every service operation takes the type, so an id that reaches
//! the domain has its service's shape. Each reads as a `&str` (`Deref`) and is stored and
//! answered as the bare string.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::DomainResult;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id a value names; a value of another shape is the member's validation error.
            pub fn parse(value: impl AsRef<str> + Into<String>) -> DomainResult<$name> {
                $check(value.as_ref())?;
                Ok($name(value.into()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<&$name> for String {
            fn eq(&self, other: &&$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        /// Stored ids are read back through the same check.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let value = String::deserialize(deserializer)?;
                $name::parse(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type! {
    /// A user pool id, `<region>_<suffix>`.
    UserPoolId, super::shape::check_user_pool_id
}

id_type! {
    /// An app client id.
    ClientId, super::shape::check_client_id
}

id_type! {
    /// An identity pool id, `<region>:<uuid>`.
    IdentityPoolId, super::shape::check_identity_pool_id
}

id_type! {
    /// An identity id, `<region>:<uuid>`.
    IdentityId, super::shape::check_identity_id
}

impl UserPoolId {
    /// A new pool id in `region`.
    pub fn generate(region: &str) -> UserPoolId {
        UserPoolId(super::shape::new_user_pool_id(region))
    }

    /// The region the pool lives in.
    pub fn region(&self) -> &str {
        super::shape::region_of(&self.0)
    }
}

impl ClientId {
    /// A new client id.
    pub fn generate() -> ClientId {
        ClientId(super::shape::new_client_id())
    }
}

impl IdentityPoolId {
    /// A new identity pool id in `region`.
    pub fn generate(region: &str) -> IdentityPoolId {
        IdentityPoolId(format!("{region}:{}", super::shape::new_uuid()))
    }

    pub fn region(&self) -> &str {
        super::shape::region_of(&self.0)
    }
}

impl IdentityId {
    /// A new identity id in `region`.
    pub fn generate(region: &str) -> IdentityId {
        IdentityId(format!("{region}:{}", super::shape::new_uuid()))
    }

    pub fn region(&self) -> &str {
        super::shape::region_of(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    #[test]
    fn ids_are_parsed_once_and_read_as_strings() {
        let pool = UserPoolId::parse("eu-west-1_abc").unwrap();
        assert_eq!(pool.region(), "eu-west-1");
        assert_eq!(&*pool, "eu-west-1_abc");
        assert_eq!(serde_json::to_string(&pool).unwrap(), "\"eu-west-1_abc\"");
        assert!(matches!(UserPoolId::parse("nope"), Err(DomainError::InvalidMember(_))));
        assert!(serde_json::from_str::<UserPoolId>("\"nope\"").is_err());
        let identity = IdentityId::parse("us-east-1:4628a310-f743-43bb-8808-6123c744c664").unwrap();
        assert_eq!(identity.region(), "us-east-1");
        assert!(IdentityId::parse("us-east-1").is_err());
        assert!(IdentityPoolId::parse("us-east-1:not-a-uuid!").is_err());
        assert!(ClientId::parse("").is_err());
        assert!(UserPoolId::generate("us-west-2").starts_with("us-west-2_"));
    }
}

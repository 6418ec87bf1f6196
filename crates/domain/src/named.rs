//! `named_enum!`: an enum whose variants are the strings a service model enumerates. Each
//! variant is stored and answered under its model name (serde renames keep the stored JSON as
//! it was), and `parse` refuses any other value with Cognito's validation wording.

/// `named_enum! { /// doc  Name, "memberName" { Variant => "MODEL_NAME", … } }`
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident, $member:literal { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The model's name of the value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value a name designates, if any.
            pub fn from_name(value: &str) -> Option<$name> {
                match value {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// The value a member names; any other is a validation error in Cognito's wording.
            pub fn parse(value: &str) -> $crate::error::DomainResult<$name> {
                match value {
                    $($text => Ok($name::$variant),)*
                    other => Err($crate::error::InvalidMember::error($member, other, $crate::error::Constraint::OneOf(vec![$($text),*]))),
                }
            }
        }
    };
}

pub(crate) use named_enum;

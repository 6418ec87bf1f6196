//! A secret string (a key, a password, a URL with credentials) that never shows in `Debug` output.

/// A secret string whose `Debug` form is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("<redacted>")
    }
}

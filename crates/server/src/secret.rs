//! A secret string (a key, a password, a URL with credentials) that never shows in `Debug` output,
//! and a database URL whose password does not.

/// A secret string whose `Debug` form is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("<redacted>")
    }
}

/// A secret given directly, else read from the file named for it, else none.
pub fn secret_from(value: Option<String>, file: Option<std::path::PathBuf>, what: &str) -> Result<Option<Secret>, String> {
    match (value, file) {
        (Some(value), _) => Ok(Some(Secret(value))),
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map(|text| Some(Secret(text.trim().to_string())))
            .map_err(|error| format!("reading {what} from {}: {error}", path.display())),
        (None, None) => Ok(None),
    }
}

/// A database URL: `sqlite://PATH` or `postgres://user:password@host/db`. It reads as the URL;
/// its `Debug` form and [`DatabaseUrl::redacted`] hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    /// The URL with `***` for its password, if it has one.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => match url[scheme_end + 3..at].split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.clone(),
            },
            _ => url.clone(),
        }
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{:?}", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_never_shows() {
        let url = DatabaseUrl("postgres://cognate:s3cr%40t@db.internal:5432/cognate?sslmode=require".into());
        assert_eq!(format!("{url:?}"), "\"postgres://cognate:***@db.internal:5432/cognate?sslmode=require\"");
        assert!(url.starts_with("postgres://"), "it reads as the URL");
        assert_eq!(DatabaseUrl("sqlite://./data/cognate.db".into()).redacted(), "sqlite://./data/cognate.db");
        assert_eq!(DatabaseUrl("postgres://cognate@db/cognate".into()).redacted(), "postgres://cognate@db/cognate");
    }
}

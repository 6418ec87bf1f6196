//! One thing a request needs allowed: an action on a resource, with the request's condition keys;
//! and the path rule every mapper applies before naming a resource.

use super::refusal::Refusal;

/// An action on a resource, and the context keys the policies may test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub action: String,
    pub resource: String,
    pub context: Vec<(&'static str, Vec<String>)>,
}

impl Check {
    pub fn new(action: &str, resource: String, context: Vec<(&'static str, Vec<String>)>) -> Check {
        Check { action: action.to_string(), resource, context }
    }
}

/// Refuses a path with a `.` or `..` segment: an upstream (or the URL parser on the way to it)
/// could resolve it to another bucket or key than the one authorised.
pub fn refuse_dot_segments(raw_path: &str) -> Result<(), Refusal> {
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8_lossy();
    if path.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(Refusal::BadRequest("The path may not have '.' or '..' segments.".into()));
    }
    Ok(())
}

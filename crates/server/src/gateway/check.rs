//! One thing a request needs allowed: an action on a resource, with the request's condition keys.

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

//! What the parts of `apply` share: the report of a run, the shape checks of an entry, calling
//! an operation's handler in this process, and comparing and merging what a file gives with what
//! is stored.

use serde_json::{Map, Value};

use crate::aws::json::ApiError;

/// What a run did: the resources it created and updated, and how many were already as given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
}

impl Report {
    pub(super) fn note(&mut self, what: String, change: Change) {
        match change {
            Change::Created => self.created.push(what),
            Change::Updated => self.updated.push(what),
            Change::Unchanged => self.unchanged += 1,
        }
    }

    /// One line per change, and a summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for what in &self.created {
            out.push_str(&format!("created {what}\n"));
        }
        for what in &self.updated {
            out.push_str(&format!("updated {what}\n"));
        }
        out.push_str(&format!("{} created, {} updated, {} unchanged\n", self.created.len(), self.updated.len(), self.unchanged));
        out
    }
}

/// What happened to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    Created,
    Updated,
    Unchanged,
}

/// A user pool as applied: its name and id, and its clients' names and ids (what identity
/// pools refer to).
#[derive(Debug, Clone)]
pub struct AppliedPool {
    pub name: String,
    pub id: String,
    pub clients: Vec<(String, String)>,
}

pub(super) fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    value.as_object().ok_or_else(|| format!("{what} must be a mapping"))
}

pub(super) fn list<'a>(value: Option<&'a Value>, what: &str) -> Result<&'a [Value], String> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("{what} must be a list")),
    }
}

pub(super) fn text<'a>(entry: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a str, String> {
    entry.get(key).and_then(Value::as_str).filter(|value| !value.is_empty()).ok_or_else(|| format!("{what}: {key} is required"))
}

/// Refuses keys the format does not have (a misspelt key would otherwise be ignored silently).
pub(super) fn check_keys(entry: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), String> {
    match entry.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(format!("{what}: unknown key {key}")),
        None => Ok(()),
    }
}

/// The members of `entry` other than `reserved` (the format's own keys): an operation's request.
pub(super) fn members(entry: &Map<String, Value>, reserved: &[&str]) -> Map<String, Value> {
    entry.iter().filter(|(key, _)| !reserved.contains(&key.as_str())).map(|(key, value)| (key.clone(), value.clone())).collect()
}

/// Every item named `name` in every page of a listing: `page` answers a page (given the token of
/// the one before) and `read` takes from it the items' names, their ids and the next token.
pub(super) async fn ids_named<F, Fut>(name: &str, what: &str, mut page: F, read: fn(&Value) -> (Vec<(String, String)>, Option<String>)) -> Result<Option<String>, String>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Value, ApiError>>,
{
    let mut found = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let answer = call(what, page(next_token.clone())).await?;
        let (items, next) = read(&answer);
        found.extend(items.into_iter().filter(|(item, _)| item == name).map(|(_, id)| id));
        next_token = next;
        if next_token.is_none() {
            break;
        }
    }
    match found.as_slice() {
        [] => Ok(None),
        [id] => Ok(Some(id.clone())),
        _ => Err(format!("several {what} are named {name} ({}): give the one meant by its id, or rename all but one", found.join(", "))),
    }
}

/// Calls an operation's handler in this process; its answer, or the error as text.
pub(super) use crate::from_cognito::local as call;

pub(super) fn body(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Whether everything `wanted` says is so in `stored`: objects key by key (keys `wanted` leaves
/// out do not matter), lists of plain values as sets, anything else equal. Numbers compare by
/// value; a string "true"/"10" matches the boolean or number (YAML's quoting).
pub(super) fn holds(wanted: &Value, stored: &Value) -> bool {
    match (wanted, stored) {
        // An absent member (null in an answer) is what an empty one says.
        (wanted, Value::Null) => match wanted {
            Value::Object(map) => map.values().all(Value::is_null),
            Value::Array(items) => items.is_empty(),
            other => other.is_null(),
        },
        (Value::Object(wanted), Value::Object(stored)) => {
            wanted.iter().all(|(key, value)| value.is_null() || stored.get(key).is_some_and(|stored| holds(value, stored)))
        }
        (Value::Array(wanted), Value::Array(stored)) if wanted.iter().chain(stored).all(|item| !item.is_object() && !item.is_array()) => {
            wanted.len() == stored.len() && wanted.iter().all(|item| stored.iter().any(|other| holds(item, other)))
        }
        (Value::Array(wanted), Value::Array(stored)) => wanted.len() == stored.len() && wanted.iter().zip(stored).all(|(item, other)| holds(item, other)),
        (Value::Number(wanted), Value::Number(stored)) => wanted.as_f64() == stored.as_f64(),
        (Value::String(wanted), Value::Bool(stored)) => wanted == &stored.to_string(),
        (Value::String(wanted), Value::Number(stored)) => wanted.parse::<f64>().ok() == stored.as_f64(),
        (wanted, stored) => wanted == stored,
    }
}

/// `stored` with `wanted` laid over it: objects merged key by key, anything else replaced.
pub(super) fn overlay(stored: &Value, wanted: &Value) -> Value {
    match (stored, wanted) {
        (Value::Object(stored), Value::Object(wanted)) => {
            let mut merged = stored.clone();
            for (key, value) in wanted {
                let next = match merged.get(key) {
                    Some(existing) => overlay(existing, value),
                    None => value.clone(),
                };
                merged.insert(key.clone(), next);
            }
            Value::Object(merged)
        }
        (_, wanted) => wanted.clone(),
    }
}

/// A policy document given as a mapping or as JSON text, as JSON text.
pub(super) fn document_text(value: &Value, what: &str) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Object(_) => Ok(value.to_string()),
        _ => Err(format!("{what} must be a policy document (a mapping or JSON text)")),
    }
}

/// Whether two policy documents say the same (compared as JSON when both parse).
pub(super) fn same_document(left: &str, right: &str) -> bool {
    match (serde_json::from_str::<Value>(left), serde_json::from_str::<Value>(right)) {
        (Ok(left), Ok(right)) => left == right,
        _ => left == right,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_subset_holds_and_an_overlay_keeps_the_rest() {
        let stored = json!({"Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireSymbols": true}}, "AutoVerifiedAttributes": ["email", "phone_number"]});
        assert!(holds(&json!({"Policies": {"PasswordPolicy": {"MinimumLength": 8}}}), &stored));
        assert!(holds(&json!({"AutoVerifiedAttributes": ["phone_number", "email"]}), &stored));
        assert!(!holds(&json!({"AutoVerifiedAttributes": ["email"]}), &stored));
        assert!(!holds(&json!({"Policies": {"PasswordPolicy": {"MinimumLength": 10}}}), &stored));
        assert!(holds(&json!({"Policies": {"PasswordPolicy": {"RequireSymbols": "true", "MinimumLength": 8.0}}}), &stored));
        assert!(holds(&json!({"RoleMappings": {}}), &json!({"RoleMappings": null})));
        assert!(!holds(&json!({"RoleMappings": {"a": 1}}), &json!({"RoleMappings": null})));
        let merged = overlay(&stored, &json!({"Policies": {"PasswordPolicy": {"MinimumLength": 10}}}));
        assert_eq!(merged["Policies"]["PasswordPolicy"], json!({"MinimumLength": 10, "RequireSymbols": true}));
        assert!(holds(&json!({"Policies": {"PasswordPolicy": {"MinimumLength": 10}}}), &merged));
    }
}

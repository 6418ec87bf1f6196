//! `cognate apply FILE` (and `cognate serve --apply FILE`): a file, YAML or JSON, that says which
//! user pools (with their clients, groups, users, domain, resource servers and identity
//! providers), identity pools and IAM roles and policies exist, in the members of the AWS
//! operations that create them. Each is created when it is missing and updated when what the file
//! gives differs from what is stored; a second run changes nothing. Nothing the file leaves out is
//! deleted. The parts: `user_pools`, `identity_pools`, `iam`; `export` writes the same format
//! from a database (`cognate export --format apply`).

pub mod export;
mod iam;
mod identity_pools;
mod pool_parts;
mod shared;
mod user_pools;

use serde_json::{Map, Value};

pub use shared::{AppliedPool, Report};
use shared::{check_keys, list, object};
use crate::state::AppState;

/// Reads a file's text: JSON when it parses as JSON, YAML otherwise.
pub fn parse(text: &str) -> Result<Value, String> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return Ok(value);
    }
    let documents = yaml_rust2::YamlLoader::load_from_str(text).map_err(|error| format!("the file is neither JSON nor YAML: {error}"))?;
    match documents.as_slice() {
        [] => Ok(Value::Object(Map::new())),
        [document] => yaml_to_json(document),
        _ => Err("the file holds more than one YAML document".into()),
    }
}

fn yaml_to_json(yaml: &yaml_rust2::Yaml) -> Result<Value, String> {
    use yaml_rust2::Yaml;
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Boolean(value) => Value::Bool(*value),
        Yaml::Integer(value) => Value::from(*value),
        Yaml::Real(text) => text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number).ok_or_else(|| format!("{text} is not a number"))?,
        Yaml::String(text) => Value::String(text.clone()),
        Yaml::Array(items) => Value::Array(items.iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Yaml::Hash(entries) => {
            let mut object = Map::new();
            for (key, value) in entries {
                let key = match key {
                    Yaml::String(text) => text.clone(),
                    Yaml::Integer(number) => number.to_string(),
                    Yaml::Boolean(flag) => flag.to_string(),
                    other => return Err(format!("a mapping key must be a string, not {other:?}")),
                };
                object.insert(key, yaml_to_json(value)?);
            }
            Value::Object(object)
        }
        Yaml::Alias(_) | Yaml::BadValue => return Err("the YAML has an alias or a value that cannot be read".into()),
    })
}

/// Applies a parsed file: IAM first (user pool groups and identity pools name its roles), then
/// user pools, then identity pools (which name the pools' clients).
pub async fn apply(state: &AppState, document: &Value) -> Result<Report, String> {
    let top = object(document, "the file")?;
    check_keys(top, &["UserPools", "IdentityPools", "Iam"], "the file")?;
    let mut report = Report::default();
    if let Some(iam) = top.get("Iam") {
        iam::apply(state, iam, &mut report).await?;
    }
    let mut pools = Vec::new();
    for entry in list(top.get("UserPools"), "UserPools")? {
        pools.push(user_pools::apply(state, entry, &mut report).await?);
    }
    for entry in list(top.get("IdentityPools"), "IdentityPools")? {
        identity_pools::apply(state, entry, &pools, &mut report).await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_read_the_same() {
        let yaml = parse("UserPools:\n  - PoolName: demo\n    MfaConfiguration: \"OFF\"\n    Policies:\n      PasswordPolicy: {MinimumLength: 10}\n").unwrap();
        let json = parse(r#"{"UserPools": [{"PoolName": "demo", "MfaConfiguration": "OFF", "Policies": {"PasswordPolicy": {"MinimumLength": 10}}}]}"#).unwrap();
        assert_eq!(yaml, json);
        assert!(parse("a: [").is_err());
    }
}

//! DynamoDB's operations as IAM sees them: `dynamodb:<Operation>` on the table's ARN (or its
//! index's), with `dynamodb:LeadingKeys` (the partition key values the request touches, found
//! through the table's key schema), `dynamodb:Attributes`, `dynamodb:Select` and
//! `dynamodb:ReturnValues`. Batches and transactions are checked item by item, as AWS does.

use std::collections::{BTreeSet, HashMap};

use cognate_domain::ids::arn;
use serde_json::Value;

use super::refusal::Refusal;
use super::check::Check;

/// The partition key of a table and of each of its indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    pub partition_key: String,
    pub index_keys: HashMap<String, String>,
}

impl KeySchema {
    /// From a DescribeTable answer.
    pub fn from_description(description: &Value) -> Option<KeySchema> {
        let table = description.get("Table")?;
        let hash_of = |schema: &Value| {
            schema.as_array()?.iter().find(|key| key["KeyType"] == "HASH").and_then(|key| key["AttributeName"].as_str()).map(str::to_string)
        };
        let partition_key = hash_of(&table["KeySchema"])?;
        let mut index_keys = HashMap::new();
        for kind in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            for index in table[kind].as_array().into_iter().flatten() {
                if let (Some(name), Some(key)) = (index["IndexName"].as_str(), hash_of(&index["KeySchema"])) {
                    index_keys.insert(name.to_string(), key);
                }
            }
        }
        Some(KeySchema { partition_key, index_keys })
    }
}

/// Operations the gateway does not check item by item and so does not forward.
const REFUSED: &[&str] = &["ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"];

/// The tables whose key schemas the checks of `operation` need.
pub fn tables_needing_schema(operation: &str, body: &Value) -> Vec<String> {
    let mut tables = BTreeSet::new();
    match operation {
        "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" | "Query" => {
            if let Some(table) = body["TableName"].as_str() {
                tables.insert(table.to_string());
            }
        }
        "BatchGetItem" | "BatchWriteItem" => {
            tables.extend(body["RequestItems"].as_object().into_iter().flat_map(|items| items.keys().cloned()));
        }
        "TransactGetItems" | "TransactWriteItems" => {
            for item in body["TransactItems"].as_array().into_iter().flatten() {
                if let Some(table) = item.as_object().and_then(|item| item.values().next()).and_then(|inner| inner["TableName"].as_str()) {
                    tables.insert(table.to_string());
                }
            }
        }
        _ => {}
    }
    tables.into_iter().collect()
}

/// What a DynamoDB request needs allowed. `schemas`: the key schemas of the tables that exist.
pub fn checks(operation: &str, body: &Value, region: &str, account: &str, schemas: &HashMap<String, KeySchema>) -> Result<Vec<Check>, Refusal> {
    if REFUSED.contains(&operation) {
        return Err(Refusal::NotImplemented(format!("The gateway does not forward {operation}: its items cannot be checked one by one.")));
    }
    let table_arn = |table: &str, index: Option<&str>| match index {
        Some(index) => format!("{}/index/{index}", arn::dynamodb_table(region, account, Some(table))),
        None => arn::dynamodb_table(region, account, Some(table)),
    };
    let leading = |table: &str, index: Option<&str>, item: &Value| -> Vec<String> {
        let Some(schema) = schemas.get(table) else { return Vec::new() };
        let key = index.and_then(|index| schema.index_keys.get(index)).unwrap_or(&schema.partition_key);
        scalar(&item[key.as_str()]).into_iter().collect()
    };
    let mut checks = Vec::new();
    match operation {
        "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" | "Query" => {
            let table = table_name(body)?;
            let index = body["IndexName"].as_str();
            let keys = match operation {
                "PutItem" => leading(table, None, &body["Item"]),
                "Query" => query_leading_key(body, schemas.get(table).map(|schema| {
                    index.and_then(|index| schema.index_keys.get(index)).unwrap_or(&schema.partition_key).as_str()
                }))?,
                _ => leading(table, None, &body["Key"]),
            };
            let mut context = request_context(body);
            context.push(("dynamodb:LeadingKeys", keys));
            checks.push(Check::new(&format!("dynamodb:{operation}"), table_arn(table, index), context));
        }
        "BatchGetItem" | "BatchWriteItem" => {
            let items = body["RequestItems"].as_object().ok_or_else(|| Refusal::BadRequest("RequestItems is required.".into()))?;
            for (table, request) in items {
                let mut keys = BTreeSet::new();
                let mut names = BTreeSet::new();
                let entries: Vec<&Value> = match operation {
                    "BatchGetItem" => request["Keys"].as_array().into_iter().flatten().collect(),
                    _ => request
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|write| write.get("PutRequest").map(|put| &put["Item"]).or_else(|| write.get("DeleteRequest").map(|delete| &delete["Key"])))
                        .collect(),
                };
                for entry in entries {
                    keys.extend(leading(table, None, entry));
                    names.extend(entry.as_object().into_iter().flat_map(|item| item.keys().cloned()));
                }
                let context = vec![("dynamodb:LeadingKeys", keys.into_iter().collect()), ("dynamodb:Attributes", names.into_iter().collect())];
                checks.push(Check::new(&format!("dynamodb:{operation}"), table_arn(table, None), context));
            }
        }
        "TransactGetItems" | "TransactWriteItems" => {
            for item in body["TransactItems"].as_array().into_iter().flatten() {
                let Some((kind, inner)) = item.as_object().and_then(|item| item.iter().next()) else { continue };
                let action = match kind.as_str() {
                    "Get" => "GetItem",
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    other => return Err(Refusal::BadRequest(format!("Unknown transaction item {other}."))),
                };
                let table = table_name(inner)?;
                let entry = if kind == "Put" { &inner["Item"] } else { &inner["Key"] };
                let mut context = request_context(inner);
                context.push(("dynamodb:LeadingKeys", leading(table, None, entry)));
                checks.push(Check::new(&format!("dynamodb:{action}"), table_arn(table, None), context));
            }
        }
        _ => {
            let resource = match (body["TableName"].as_str(), body["ResourceArn"].as_str()) {
                (Some(table), _) => table_arn(table, body["IndexName"].as_str()),
                (None, Some(resource)) => resource.to_string(),
                (None, None) => "*".to_string(),
            };
            checks.push(Check::new(&format!("dynamodb:{operation}"), resource, request_context(body)));
        }
    }
    Ok(checks)
}

fn table_name(body: &Value) -> Result<&str, Refusal> {
    body["TableName"].as_str().ok_or_else(|| Refusal::BadRequest("TableName is required.".into()))
}

/// The text of a scalar attribute value (`{"S": "…"}`, `{"N": "…"}`, `{"B": "…"}`).
fn scalar(value: &Value) -> Option<String> {
    ["S", "N", "B"].iter().find_map(|kind| value[*kind].as_str().map(str::to_string))
}

/// The partition key value of a Query, from its KeyConditionExpression (or legacy KeyConditions).
/// A Query whose partition key cannot be read is refused rather than let through unchecked.
fn query_leading_key(body: &Value, partition_key: Option<&str>) -> Result<Vec<String>, Refusal> {
    let Some(partition_key) = partition_key else { return Ok(Vec::new()) };
    if let Some(condition) = body["KeyConditions"].get(partition_key) {
        return Ok(scalar(&condition["AttributeValueList"][0]).into_iter().collect());
    }
    let expression = body["KeyConditionExpression"].as_str().unwrap_or("");
    let resolve = |token: &str| -> String {
        let token = token.trim().trim_matches(|character| character == '(' || character == ')').trim();
        match token.starts_with('#') {
            true => body["ExpressionAttributeNames"][token].as_str().unwrap_or(token).to_string(),
            false => token.to_string(),
        }
    };
    for clause in expression.split(" AND ").flat_map(|part| part.split(" and ")) {
        let Some((left, right)) = clause.split_once('=') else { continue };
        if left.ends_with(['<', '>', '!']) {
            continue;
        }
        let (name, placeholder) = if right.trim().trim_end_matches(')').trim().starts_with(':') { (left, right) } else { (right, left) };
        if resolve(name) == partition_key {
            let placeholder = placeholder.trim().trim_matches(|character| character == '(' || character == ')').trim();
            if let Some(value) = scalar(&body["ExpressionAttributeValues"][placeholder]) {
                return Ok(vec![value]);
            }
        }
    }
    Err(Refusal::BadRequest(format!("The gateway could not read the value of the partition key {partition_key} in the Query's key condition.")))
}

/// `dynamodb:Attributes`, `dynamodb:Select`, `dynamodb:ReturnValues` of one request or item.
fn request_context(body: &Value) -> Vec<(&'static str, Vec<String>)> {
    let mut names = BTreeSet::new();
    for member in ["Item", "Key", "AttributeUpdates"] {
        names.extend(body[member].as_object().into_iter().flat_map(|item| item.keys().cloned()));
    }
    names.extend(body["AttributesToGet"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
    for member in ["ProjectionExpression", "UpdateExpression"] {
        if let Some(expression) = body[member].as_str() {
            names.extend(expression_names(expression, &body["ExpressionAttributeNames"]));
        }
    }
    let mut context = vec![("dynamodb:Attributes", names.into_iter().collect())];
    for (member, key) in [("Select", "dynamodb:Select"), ("ReturnValues", "dynamodb:ReturnValues"), ("ReturnConsumedCapacity", "dynamodb:ReturnConsumedCapacity")] {
        if let Some(value) = body[member].as_str() {
            context.push((key, vec![value.to_string()]));
        }
    }
    context
}

/// The top-level attribute names an expression touches (`#name` resolved; functions, keywords
/// and `:values` left out).
fn expression_names(expression: &str, names: &Value) -> Vec<String> {
    const WORDS: &[&str] = &["SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "if_not_exists", "list_append", "size"];
    let mut found = Vec::new();
    let mut rest = expression;
    while !rest.is_empty() {
        let start = rest.find(|character: char| character.is_alphanumeric() || character == '#' || character == '_' || character == ':');
        let Some(start) = start else { break };
        let token_rest = &rest[start..];
        let end = token_rest[1..].find(|character: char| !(character.is_alphanumeric() || character == '_' || character == '-')).map_or(token_rest.len(), |end| end + 1);
        let token = &token_rest[..end];
        // Skip a path's later parts (`a.b`, `a[0]`): only the top-level name is an attribute.
        let after_dot = rest[..start].ends_with('.');
        rest = &token_rest[end..];
        if token.starts_with(':') || after_dot || WORDS.iter().any(|word| word.eq_ignore_ascii_case(token)) || token.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        match token.strip_prefix('#') {
            Some(_) => found.push(names[token].as_str().unwrap_or(token).to_string()),
            None => found.push(token.to_string()),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> HashMap<String, KeySchema> {
        let description = json!({"Table": {"KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
            "GlobalSecondaryIndexes": [{"IndexName": "byKind", "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}]}]}});
        HashMap::from([("notes".to_string(), KeySchema::from_description(&description).unwrap())])
    }

    fn context_of<'a>(check: &'a Check, key: &str) -> &'a [String] {
        check.context.iter().find(|(name, _)| *name == key).map(|(_, values)| values.as_slice()).unwrap()
    }

    #[test]
    fn item_operations_carry_their_partition_key() {
        let body = json!({"TableName": "notes", "Item": {"owner": {"S": "id-1"}, "at": {"N": "5"}, "text": {"S": "x"}}});
        let checks = checks("PutItem", &body, "us-east-1", "123456789012", &schemas()).unwrap();
        assert_eq!(checks[0].action, "dynamodb:PutItem");
        assert_eq!(checks[0].resource, "arn:aws:dynamodb:us-east-1:123456789012:table/notes");
        assert_eq!(context_of(&checks[0], "dynamodb:LeadingKeys"), ["id-1"]);
        assert_eq!(context_of(&checks[0], "dynamodb:Attributes"), ["at", "owner", "text"]);
    }

    #[test]
    fn queries_read_the_key_condition_and_indexes_their_own_key() {
        let body = json!({"TableName": "notes", "KeyConditionExpression": "#o = :o AND begins_with(at, :p)",
            "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": "id-2"}, ":p": {"N": "1"}}});
        let checks = checks("Query", &body, "us-east-1", "123456789012", &schemas()).unwrap();
        assert_eq!(context_of(&checks[0], "dynamodb:LeadingKeys"), ["id-2"]);
        let on_index = json!({"TableName": "notes", "IndexName": "byKind", "KeyConditionExpression": "kind = :k",
            "ExpressionAttributeValues": {":k": {"S": "memo"}}});
        let checks = super::checks("Query", &on_index, "us-east-1", "123456789012", &schemas()).unwrap();
        assert_eq!(checks[0].resource, "arn:aws:dynamodb:us-east-1:123456789012:table/notes/index/byKind");
        assert_eq!(context_of(&checks[0], "dynamodb:LeadingKeys"), ["memo"]);
        let unreadable = json!({"TableName": "notes", "KeyConditionExpression": "at > :a", "ExpressionAttributeValues": {":a": {"N": "1"}}});
        assert!(super::checks("Query", &unreadable, "us-east-1", "123456789012", &schemas()).is_err());
    }

    #[test]
    fn batches_and_transactions_are_checked_per_table_and_item() {
        let body = json!({"RequestItems": {"notes": [{"PutRequest": {"Item": {"owner": {"S": "a"}}}}, {"DeleteRequest": {"Key": {"owner": {"S": "b"}}}}]}});
        let checks = checks("BatchWriteItem", &body, "us-east-1", "123456789012", &schemas()).unwrap();
        assert_eq!(context_of(&checks[0], "dynamodb:LeadingKeys"), ["a", "b"]);
        let body = json!({"TransactItems": [{"Update": {"TableName": "notes", "Key": {"owner": {"S": "c"}}, "UpdateExpression": "SET #t = :t, n.m = :m",
            "ExpressionAttributeNames": {"#t": "text"}}}]});
        let checks = super::checks("TransactWriteItems", &body, "us-east-1", "123456789012", &schemas()).unwrap();
        assert_eq!(checks[0].action, "dynamodb:UpdateItem");
        assert_eq!(context_of(&checks[0], "dynamodb:Attributes"), ["n", "owner", "text"]);
        assert!(super::checks("ExecuteStatement", &json!({}), "us-east-1", "123456789012", &schemas()).is_err());
    }
}

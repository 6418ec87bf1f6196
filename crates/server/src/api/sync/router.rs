//! Cognito Sync's REST routing: a method and a path under `/identitypools` to an operation, with
//! the path's parameters decoded, and the query parameters of the listings.

use axum::http::{Method, Uri};

use super::operations::Operation;
use crate::aws::json::ApiError;

/// A request matched to an operation, with its path parameters decoded.
pub struct Route {
    pub operation: Operation,
    pub pool_id: Option<String>,
    pub identity_id: Option<String>,
    pub dataset: Option<String>,
    pub device_id: Option<String>,
}

fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// The operation a method and path designate, with the path's parameters.
pub fn route(method: &Method, path: &str) -> Option<Route> {
    let segments: Vec<String> = path.trim_matches('/').split('/').map(decode_segment).collect();
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    let delete = *method == Method::DELETE;
    let mut route = Route { operation: Operation::ListRecords, pool_id: None, identity_id: None, dataset: None, device_id: None };
    let operation = match parts.as_slice() {
        ["identitypools"] if get => Operation::ListIdentityPoolUsage,
        ["identitypools", pool] => {
            route.pool_id = Some(pool.to_string());
            if get { Operation::DescribeIdentityPoolUsage } else { return None }
        }
        ["identitypools", pool, action] => {
            route.pool_id = Some(pool.to_string());
            match (*action, post, get) {
                ("bulkpublish", true, _) => Operation::BulkPublish,
                ("getBulkPublishDetails", true, _) => Operation::GetBulkPublishDetails,
                ("events", _, true) => Operation::GetCognitoEvents,
                ("events", true, _) => Operation::SetCognitoEvents,
                ("configuration", _, true) => Operation::GetIdentityPoolConfiguration,
                ("configuration", true, _) => Operation::SetIdentityPoolConfiguration,
                _ => return None,
            }
        }
        ["identitypools", pool, "identities", identity] if get => {
            route.pool_id = Some(pool.to_string());
            route.identity_id = Some(identity.to_string());
            Operation::DescribeIdentityUsage
        }
        ["identitypools", pool, "identity", identity, "device"] if post => {
            route.pool_id = Some(pool.to_string());
            route.identity_id = Some(identity.to_string());
            Operation::RegisterDevice
        }
        ["identitypools", pool, "identities", identity, "datasets"] if get => {
            route.pool_id = Some(pool.to_string());
            route.identity_id = Some(identity.to_string());
            Operation::ListDatasets
        }
        ["identitypools", pool, "identities", identity, "datasets", dataset, rest @ ..] => {
            route.pool_id = Some(pool.to_string());
            route.identity_id = Some(identity.to_string());
            route.dataset = Some(dataset.to_string());
            match (rest, method.clone()) {
                ([], Method::GET) => Operation::DescribeDataset,
                ([], Method::DELETE) => Operation::DeleteDataset,
                ([], Method::POST) => Operation::UpdateRecords,
                (["records"], Method::GET) => Operation::ListRecords,
                (["subscriptions", device], _) if post || delete => {
                    route.device_id = Some(device.to_string());
                    if post { Operation::SubscribeToDataset } else { Operation::UnsubscribeFromDataset }
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    route.operation = operation;
    Some(route)
}

pub fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| decode_segment(&value.replace('+', " ")))
    })
}

pub fn integer_param(uri: &Uri, name: &str) -> Result<Option<i64>, ApiError> {
    query_param(uri, name)
        .map(|value| value.parse::<i64>().map_err(|_| ApiError::client("InvalidParameterException", format!("{name} must be an integer."))))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_model() {
        let table = [
            (Method::GET, "/identitypools", "ListIdentityPoolUsage"),
            (Method::GET, "/identitypools/us-east-1%3Ap", "DescribeIdentityPoolUsage"),
            (Method::GET, "/identitypools/p/identities/us-east-1%3Ai", "DescribeIdentityUsage"),
            (Method::GET, "/identitypools/p/identities/i/datasets", "ListDatasets"),
            (Method::GET, "/identitypools/p/identities/i/datasets/d", "DescribeDataset"),
            (Method::DELETE, "/identitypools/p/identities/i/datasets/d", "DeleteDataset"),
            (Method::POST, "/identitypools/p/identities/i/datasets/d", "UpdateRecords"),
            (Method::GET, "/identitypools/p/identities/i/datasets/d/records", "ListRecords"),
            (Method::POST, "/identitypools/p/identity/i/device", "RegisterDevice"),
            (Method::POST, "/identitypools/p/identities/i/datasets/d/subscriptions/dev", "SubscribeToDataset"),
            (Method::DELETE, "/identitypools/p/identities/i/datasets/d/subscriptions/dev", "UnsubscribeFromDataset"),
            (Method::POST, "/identitypools/p/bulkpublish", "BulkPublish"),
            (Method::POST, "/identitypools/p/getBulkPublishDetails", "GetBulkPublishDetails"),
            (Method::GET, "/identitypools/p/events", "GetCognitoEvents"),
            (Method::POST, "/identitypools/p/events", "SetCognitoEvents"),
            (Method::GET, "/identitypools/p/configuration", "GetIdentityPoolConfiguration"),
            (Method::POST, "/identitypools/p/configuration", "SetIdentityPoolConfiguration"),
        ];
        for (method, path, operation) in &table {
            assert_eq!(route(method, path).map(|route| route.operation.name()), Some(*operation), "{method} {path}");
        }
        assert_eq!(route(&Method::GET, "/identitypools/us-east-1%3Ap").unwrap().pool_id.as_deref(), Some("us-east-1:p"));
        assert!(route(&Method::PUT, "/identitypools/p/identities/i/datasets/d").is_none());
        assert!(Operation::ALL.iter().all(|operation| table.iter().any(|(_, _, routed)| *routed == operation.name())));
    }
}


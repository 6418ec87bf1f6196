//! AWS JSON 1.1: request bodies, `X-Amz-Target` routing, success and error responses.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// An error in the protocol's own format: `{"__type": ..., "message": ...}` with the matching
/// `x-amzn-ErrorType` header and an HTTP status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub type_name: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, type_name: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, type_name, message: message.into() }
    }

    /// A client fault: Cognito answers 400 for every one of these.
    pub fn client(type_name: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, type_name, message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        ApiError::client("SerializationException", message)
    }

    pub fn internal() -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", "Internal server error.")
    }

    pub fn into_response_with(self, request_id: &str) -> Response {
        let body = serde_json::json!({ "__type": self.type_name, "message": self.message });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.type_name));
        if let Ok(value) = HeaderValue::from_str(request_id) {
            headers.insert("x-amzn-requestid", value);
        }
        if let Ok(value) = HeaderValue::from_str(&header_safe(&self.message)) {
            headers.insert("x-amzn-errormessage", value);
        }
        response
    }
}

fn header_safe(message: &str) -> String {
    message.chars().map(|character| if character.is_ascii_graphic() || character == ' ' { character } else { ' ' }).collect()
}

/// A successful answer: the JSON body with null members removed, as AWS omits absent members.
pub fn success(body: Value, request_id: &str) -> Response {
    let text = serde_json::to_string(&WithoutNulls(&body)).expect("a JSON value serializes");
    let mut response = (StatusCode::OK, text).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// A value serialized without the null members of its objects, at every depth, written as it
/// is walked rather than rebuilt first.
struct WithoutNulls<'a>(&'a Value);

impl Serialize for WithoutNulls<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(members) => {
                let mut map = serializer.serialize_map(None)?;
                for (name, member) in members.iter().filter(|(_, member)| !member.is_null()) {
                    map.serialize_entry(name, &WithoutNulls(member))?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&WithoutNulls(item))?;
                }
                seq.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// The bytes of an empty body read as `{}`, as AWS reads them.
fn body_text(body: &[u8]) -> &[u8] {
    if body.iter().all(|byte| byte.is_ascii_whitespace()) {
        b"{}"
    } else {
        body
    }
}

/// Checks that the request body is one JSON object (without building it); anything else is a
/// SerializationException.
pub fn check_body(body: &[u8]) -> Result<(), ApiError> {
    let text = body_text(body);
    serde_json::from_slice::<serde::de::IgnoredAny>(text)
        .map_err(|error| ApiError::serialization(format!("The request body is not valid JSON: {error}")))?;
    if text.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::serialization("The request body must be a JSON object."));
    }
    Ok(())
}

/// `UserPoolId` → `userPoolId`, the way AWS validation messages name members.
fn member_label(member: &str) -> String {
    let mut characters = member.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// Deserialises an operation's input straight from the body into its typed request. A missing
/// required member is an InvalidParameterException in Cognito's validation wording; a member of
/// the wrong type is a SerializationException.
pub fn parse_input<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    parse_input_as(body, "InvalidParameterException")
}

/// As [`parse_input`], with the exception a missing member is answered with (cognito-identity
/// answers ValidationException).
pub fn parse_input_as<T: DeserializeOwned>(body: &[u8], missing_member: &'static str) -> Result<T, ApiError> {
    serde_json::from_slice::<T>(body_text(body)).map_err(|error| {
        let text = error.to_string();
        if let Some(rest) = text.strip_prefix("missing field `") {
            let member = rest.split('`').next().unwrap_or("");
            ApiError::client(missing_member, super::validation::missing(&member_label(member)))
        } else {
            ApiError::serialization(format!("Could not read the request: {text}"))
        }
    })
}

/// Serialises an operation's output.
pub fn to_body<T: Serialize>(output: &T) -> Result<Value, ApiError> {
    serde_json::to_value(output).map_err(|error| {
        tracing::error!(%error, "serialising a response");
        ApiError::internal()
    })
}

/// The empty answer of operations that return nothing.
pub fn empty() -> Value {
    Value::Object(Default::default())
}

/// Epoch milliseconds as the epoch seconds AWS JSON uses for timestamps.
pub fn timestamp(millis: i64) -> f64 {
    millis as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Sample {
        user_pool_id: String,
        limit: Option<i32>,
    }

    #[test]
    fn missing_members_use_cognito_validation_wording() {
        let error = parse_input::<Sample>(b"{}").unwrap_err();
        assert_eq!(error.type_name, "InvalidParameterException");
        assert_eq!(
            error.message,
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null"
        );
        let wrong_type = parse_input::<Sample>(br#"{"UserPoolId": "x", "Limit": "ten"}"#).unwrap_err();
        assert_eq!(wrong_type.type_name, "SerializationException");
    }

    #[test]
    fn bodies_must_be_objects_and_nulls_are_dropped() {
        assert!(check_body(b"[1]").is_err());
        assert!(check_body(b"{not json").is_err());
        assert!(check_body(b"").is_ok() && check_body(b" {} ").is_ok());
        let cleaned = serde_json::to_string(&WithoutNulls(&serde_json::json!({"A": null, "B": [{"C": null, "D": 1}, null], "E": {"F": null}})));
        assert_eq!(cleaned.unwrap(), r#"{"B":[{"D":1},null],"E":{}}"#);
    }
}

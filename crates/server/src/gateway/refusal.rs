//! The gateway's refusals, each answered in the format of the service the client called: S3's XML
//! `<Error>`, DynamoDB's JSON `__type`, API Gateway's `{"message"}` with `x-amzn-ErrorType`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use crate::aws::sigv4::SignatureError;

/// The services the gateway knows how to authorise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    S3,
    DynamoDb,
    ExecuteApi,
}

impl Service {
    pub fn from_scope(name: &str) -> Option<Service> {
        match name {
            "s3" => Some(Service::S3),
            "dynamodb" => Some(Service::DynamoDb),
            "execute-api" => Some(Service::ExecuteApi),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::DynamoDb => "dynamodb",
            Service::ExecuteApi => "execute-api",
        }
    }
}

/// Why the gateway did not forward a request (or could not finish forwarding it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    MissingAuthentication,
    Malformed(String),
    UnknownAccessKey,
    BadSignature(String),
    ExpiredToken(String),
    /// A presigned URL past its expiry, or a signature too far from the gateway's clock.
    Expired(String),
    Denied(String),
    /// The body does not match the hash or chunk signatures the client signed.
    BodyMismatch(String),
    BadRequest(String),
    MissingLength,
    TooLarge(String),
    NotImplemented(String),
    NoUpstream(String),
    Upstream(String),
    Internal,
}

impl From<SignatureError> for Refusal {
    fn from(error: SignatureError) -> Refusal {
        match error {
            SignatureError::Missing => Refusal::MissingAuthentication,
            SignatureError::Incomplete(message) => Refusal::Malformed(message),
            SignatureError::UnknownAccessKey => Refusal::UnknownAccessKey,
            SignatureError::Invalid(message) if message.contains("expired") || message.contains("in the future") => {
                Refusal::Expired(message)
            }
            SignatureError::Invalid(message) => Refusal::BadSignature(message),
        }
    }
}

impl Refusal {
    /// The decision an access log records for it.
    pub fn decision(&self) -> &'static str {
        match self {
            Refusal::Denied(_) => "denied",
            Refusal::Upstream(_) | Refusal::Internal => "error",
            Refusal::MissingAuthentication
            | Refusal::Malformed(_)
            | Refusal::UnknownAccessKey
            | Refusal::BadSignature(_)
            | Refusal::ExpiredToken(_)
            | Refusal::Expired(_)
            | Refusal::BodyMismatch(_) => "unauthenticated",
            _ => "refused",
        }
    }

    /// (status, S3 code, DynamoDB/API Gateway type, message).
    fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        use StatusCode as S;
        match self {
            Refusal::MissingAuthentication => (S::FORBIDDEN, "AccessDenied", "MissingAuthenticationTokenException", "Missing Authentication Token".into()),
            Refusal::Malformed(message) => (S::BAD_REQUEST, "AuthorizationHeaderMalformed", "IncompleteSignatureException", message.clone()),
            Refusal::UnknownAccessKey => (
                S::FORBIDDEN,
                "InvalidAccessKeyId",
                "UnrecognizedClientException",
                "The AWS Access Key Id you provided does not exist in our records.".into(),
            ),
            Refusal::BadSignature(message) => (S::FORBIDDEN, "SignatureDoesNotMatch", "InvalidSignatureException", message.clone()),
            Refusal::ExpiredToken(message) => (S::BAD_REQUEST, "ExpiredToken", "ExpiredTokenException", message.clone()),
            Refusal::Expired(message) => (S::FORBIDDEN, "AccessDenied", "InvalidSignatureException", message.clone()),
            Refusal::Denied(message) => (S::FORBIDDEN, "AccessDenied", "AccessDeniedException", message.clone()),
            Refusal::BodyMismatch(message) => (S::BAD_REQUEST, "XAmzContentSHA256Mismatch", "InvalidSignatureException", message.clone()),
            Refusal::BadRequest(message) => (S::BAD_REQUEST, "InvalidRequest", "ValidationException", message.clone()),
            Refusal::MissingLength => (
                S::LENGTH_REQUIRED,
                "MissingContentLength",
                "ValidationException",
                "You must provide the Content-Length HTTP header.".into(),
            ),
            Refusal::TooLarge(message) => (S::PAYLOAD_TOO_LARGE, "EntityTooLarge", "RequestEntityTooLarge", message.clone()),
            Refusal::NotImplemented(message) => (S::NOT_IMPLEMENTED, "NotImplemented", "UnknownOperationException", message.clone()),
            Refusal::NoUpstream(message) => (S::BAD_GATEWAY, "ServiceUnavailable", "ServiceUnavailable", message.clone()),
            Refusal::Upstream(message) => (S::BAD_GATEWAY, "ServiceUnavailable", "ServiceUnavailable", message.clone()),
            Refusal::Internal => (S::INTERNAL_SERVER_ERROR, "InternalError", "InternalServerError", "We encountered an internal error. Please try again.".into()),
        }
    }

    /// The answer a client of `service` expects; `head`: a HEAD request (no body).
    pub fn respond(&self, service: Option<Service>, head: bool, request_id: &str) -> Response {
        let (status, s3_code, json_type, message) = self.parts();
        let (status, content_type, body) = match service.unwrap_or(Service::S3) {
            Service::S3 => (
                status,
                "application/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{s3_code}</Code><Message>{}</Message><RequestId>{request_id}</RequestId></Error>",
                    xml_escape(&message)
                ),
            ),
            // DynamoDB answers its client errors, refusals included, with 400.
            Service::DynamoDb => (
                if status.is_client_error() { StatusCode::BAD_REQUEST } else { status },
                "application/x-amz-json-1.0",
                serde_json::json!({"__type": format!("com.amazon.coral.service#{json_type}"), "message": message}).to_string(),
            ),
            Service::ExecuteApi => (status, "application/json", serde_json::json!({"message": message}).to_string()),
        };
        let mut response = Response::new(if head { Body::empty() } else { Body::from(body) });
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static(content_type));
        if let Ok(value) = HeaderValue::from_str(request_id) {
            headers.insert("x-amz-request-id", value.clone());
            headers.insert("x-amzn-requestid", value);
        }
        if service == Some(Service::ExecuteApi) {
            headers.insert("x-amzn-errortype", HeaderValue::from_static(json_type));
        }
        response
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

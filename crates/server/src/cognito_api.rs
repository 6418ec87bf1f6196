//! The cognito-idp JSON protocol as a client speaks it, for the Cognito pools that copied pools
//! came from (`cognate import --from-cognito`, and a copied user's first password sign-in):
//! `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`, SigV4-signed for
//! `cognito-idp`, within a deadline.

use std::time::Duration;

use async_trait::async_trait;
use axum::http::{HeaderMap, HeaderValue};
use cognate_domain::user_pool::channels::{CognitoApi, SourceEndpoint, SourceError};
use serde_json::Value;

use crate::aws::sigv4;

const DEADLINE: Duration = Duration::from_secs(10);

pub struct CognitoClient {
    http: reqwest::Client,
}

impl CognitoClient {
    pub fn new() -> Result<CognitoClient, String> {
        let http = crate::http_client::client_builder()
            .timeout(DEADLINE)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("building the Cognito client: {error}"))?;
        Ok(CognitoClient { http })
    }
}

/// The `__type` of an error answer without its namespace (`…#NotAuthorizedException`).
fn error_code(answer: &Value) -> String {
    let code = answer.get("__type").and_then(Value::as_str).unwrap_or("UnknownError");
    code.rsplit('#').next().unwrap_or(code).to_string()
}

#[async_trait]
impl CognitoApi for CognitoClient {
    async fn call(&self, source: &SourceEndpoint, operation: &str, body: &Value) -> Result<Value, SourceError> {
        let endpoint = source.endpoint.trim_end_matches('/');
        let host = endpoint.split("://").nth(1).unwrap_or("").split('/').next().unwrap_or("").to_string();
        let body = body.to_string();
        let mut headers = HeaderMap::new();
        let header = |value: &str| HeaderValue::from_str(value).map_err(|error| SourceError::Unreachable(error.to_string()));
        headers.insert("host", header(&host)?);
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        headers.insert("x-amz-target", header(&format!("AWSCognitoIdentityProviderService.{operation}"))?);
        if let Some(token) = &source.session_token {
            headers.insert("x-amz-security-token", header(token)?);
        }
        let keys = sigv4::SigningCredentials {
            access_key_id: &source.access_key_id,
            secret_access_key: &source.secret_access_key,
            region: &source.region,
            service: "cognito-idp",
        };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_secs() as i64).unwrap_or(0);
        sigv4::sign_outgoing("POST", "/", &mut headers, body.as_bytes(), &keys, now);
        headers.remove("host");
        let response = self.http.post(format!("{endpoint}/")).headers(headers).body(body).send().await.map_err(|error| SourceError::Unreachable(error.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|error| SourceError::Unreachable(error.to_string()))?;
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        if answer.get("__type").is_some() {
            let message = answer.get("message").or_else(|| answer.get("Message")).and_then(Value::as_str).unwrap_or("").to_string();
            return Err(SourceError::Service { code: error_code(&answer), message });
        }
        Err(SourceError::Unreachable(format!("the service answered {status}: {}", text.chars().take(200).collect::<String>())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_lose_their_namespace() {
        assert_eq!(error_code(&serde_json::json!({"__type": "com.amazonaws#NotAuthorizedException"})), "NotAuthorizedException");
        assert_eq!(error_code(&serde_json::json!({"__type": "UserNotFoundException"})), "UserNotFoundException");
    }
}

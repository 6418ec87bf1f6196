//! The Lambda Invoke API as the pools' triggers use it: `POST {endpoint}/2015-03-31/functions/
//! {FunctionName}/invocations` with the event as the body, synchronous (`RequestResponse`),
//! SigV4-signed for `lambda` when keys are configured, within Cognito's 5-second deadline. AWS
//! Lambda, `sam local start-lambda` and emulators serve this one protocol, so trigger code runs
//! unchanged. `X-Amz-Function-Error` on the answer marks a function error.

use std::time::Duration;

use async_trait::async_trait;
use axum::http::{HeaderMap, HeaderValue};
use cognate_domain::user_pool::triggers::{InvokeFailure, LambdaInvoker};
use serde_json::Value;

use crate::aws::sigv4;

/// Cognito's deadline for a trigger.
const DEADLINE: Duration = Duration::from_secs(5);

pub struct LambdaInvoke {
    endpoint: String,
    keys: Option<sigv4::AccessKeys>,
    default_region: String,
    http: reqwest::Client,
}

impl LambdaInvoke {
    pub fn new(endpoint: &str, keys: Option<sigv4::AccessKeys>, default_region: &str) -> Result<LambdaInvoke, String> {
        let http = crate::http_client::client_builder()
            .timeout(DEADLINE)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("building the Lambda client: {error}"))?;
        Ok(LambdaInvoke { endpoint: endpoint.trim_end_matches('/').to_string(), keys, default_region: default_region.to_string(), http })
    }
}

#[async_trait]
impl LambdaInvoker for LambdaInvoke {
    async fn invoke(&self, function: &str, event: &Value) -> Result<Value, InvokeFailure> {
        let path = format!("/2015-03-31/functions/{}/invocations", sigv4::uri_encode(function, false));
        let url = format!("{}{path}", self.endpoint);
        let body = event.to_string();
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("x-amz-invocation-type", HeaderValue::from_static("RequestResponse"));
        let region = sigv4::arn_region(function).unwrap_or(&self.default_region);
        let headers = sigv4::outgoing_post_headers(&self.endpoint, &path, headers, body.as_bytes(), self.keys.as_ref(), region, "lambda")
            .map_err(InvokeFailure::Unreachable)?;
        let response = self.http.post(&url).headers(headers).body(body).send().await.map_err(|error| InvokeFailure::Unreachable(error.to_string()))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let text = response.text().await.map_err(|error| InvokeFailure::Unreachable(error.to_string()))?;
        if function_error {
            let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message = answer.get("errorMessage").and_then(Value::as_str).map(str::to_string).unwrap_or(text);
            return Err(InvokeFailure::Function(message));
        }
        if !status.is_success() {
            return Err(InvokeFailure::Unreachable(format!("the Invoke API answered {status}: {}", text.chars().take(200).collect::<String>())));
        }
        // An answer that is not JSON is handed on as a string, which no trigger takes.
        Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_from_function_arns() {
        assert_eq!(sigv4::arn_region("arn:aws:lambda:eu-west-1:123456789012:function:pre-sign-up"), Some("eu-west-1"));
        assert_eq!(sigv4::arn_region("pre-sign-up"), None);
    }
}

//! The HTTP client the domain uses to reach identity providers (discovery documents, JWKS,
//! social token checks): reqwest over rustls, with short timeouts and a size cap.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use cognate_domain::federation::HttpClient;

/// Provider documents larger than this are refused.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

pub struct ReqwestClient {
    client: reqwest::Client,
}

/// The start of every outbound HTTP client: reqwest over rustls with AWS-LC, the provider
/// installed here first (reqwest is built without one of its own).
pub fn client_builder() -> reqwest::ClientBuilder {
    crate::tls::install_crypto_provider();
    reqwest::Client::builder()
}

impl ReqwestClient {
    pub fn new() -> Result<ReqwestClient, String> {
        let client = client_builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("cognate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("building the HTTP client: {error}"))?;
        Ok(ReqwestClient { client })
    }
}

#[async_trait]
impl HttpClient for ReqwestClient {
    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let response = self.client.get(url).header("accept", "application/json").send().await.map_err(|error| error.to_string())?;
        read_json(url, response).await
    }

    async fn post_json(&self, url: &str, body: &Value) -> Result<Value, String> {
        let response = self
            .client
            .post(url)
            .header("accept", "application/json")
            .json(body)
            .send()
            .await
            .map_err(|error| error.to_string())?;
        read_json(url, response).await
    }

    async fn post_form(&self, url: &str, fields: &[(String, String)]) -> Result<Value, String> {
        let response = self
            .client
            .post(url)
            .header("accept", "application/json")
            .form(fields)
            .send()
            .await
            .map_err(|error| error.to_string())?;
        read_json(url, response).await
    }

    async fn get_text(&self, url: &str) -> Result<String, String> {
        let response = self.client.get(url).send().await.map_err(|error| error.to_string())?;
        let body = read_body(url, response).await?;
        String::from_utf8(body).map_err(|_| format!("{url} answered something that is not UTF-8 text"))
    }
}

/// The JSON body of a 2xx answer, read up to the size cap.
async fn read_json(url: &str, response: reqwest::Response) -> Result<Value, String> {
    let body = read_body(url, response).await?;
    serde_json::from_slice(&body).map_err(|error| format!("{url} answered something that is not JSON: {error}"))
}

/// The body of a 2xx answer, read up to the size cap.
async fn read_body(url: &str, mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| error.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("{url} answered more than {MAX_DOCUMENT_BYTES} bytes"));
        }
    }
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    Ok(body)
}

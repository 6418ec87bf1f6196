//! The request as the upstream receives it: the client's headers without its credentials (and
//! without hop-by-hop headers), the path and query without presigning parameters, signed anew
//! with the upstream's own key when it has one; and the answer streamed back.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::Response;

use crate::aws::sigv4::{self, SignedParts};

use super::config::Upstream;
use super::refusal::Refusal;

/// Headers that belong to one connection, or to the client's signature, and are never forwarded.
const NOT_FORWARDED: &[&str] = &[
    "host", "authorization", "x-amz-security-token", "x-amz-date", "x-amz-content-sha256", "content-length", "connection",
    "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-connection", "expect",
];

/// Presigning parameters of the client's URL, never forwarded.
const PRESIGN_PARAMETERS: &[&str] = &[
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
    "X-Amz-Security-Token", "X-Amz-Content-Sha256",
];

/// One request on its way upstream.
pub struct Outgoing {
    pub method: Method,
    /// The path as sent (percent-encoded), below the upstream URL's own path.
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    /// What `x-amz-content-sha256` says upstream.
    pub payload_hash: String,
    pub length: Option<u64>,
}

impl Outgoing {
    /// The client's request with its credentials and connection headers removed.
    pub fn from_client(method: &Method, path: String, raw_query: &str, client_headers: &HeaderMap, payload_hash: String) -> Outgoing {
        let mut headers = HeaderMap::new();
        for (name, value) in client_headers {
            if !NOT_FORWARDED.contains(&name.as_str()) && !name.as_str().starts_with("x-cognate-") {
                headers.append(name.clone(), value.clone());
            }
        }
        let query = raw_query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or("");
                !PRESIGN_PARAMETERS.iter().any(|parameter| parameter.eq_ignore_ascii_case(&sigv4::percent_decode(name)))
            })
            .collect::<Vec<_>>()
            .join("&");
        Outgoing { method: method.clone(), path, query, headers, payload_hash, length: None }
    }

    pub fn set(&mut self, name: &'static str, value: &str) -> Result<(), Refusal> {
        let value = HeaderValue::from_str(value).map_err(|_| Refusal::BadRequest(format!("The value of {name} is not a valid header value.")))?;
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(())
    }

    /// Sends the request to `upstream` for `service` (signed for `region` when the upstream has a
    /// key) with `body`; answers the upstream's answer with its body streaming.
    pub async fn send(
        mut self,
        client: &reqwest::Client,
        upstream: &Upstream,
        service: &str,
        region: &str,
        now_seconds: i64,
        body: reqwest::Body,
    ) -> Result<reqwest::Response, String> {
        let authority = upstream.url.split_once("://").map(|(_, rest)| rest.split('/').next().unwrap_or(rest)).unwrap_or("");
        let origin = &upstream.url[..upstream.url.find("://").map_or(0, |at| at + 3) + authority.len()];
        // The upstream's own path prefix, if its URL has one, goes before the client's path.
        self.path = format!("{}{}", &upstream.url[origin.len()..], self.path);
        if let Some(length) = self.length {
            self.headers.insert("content-length", HeaderValue::from(length));
        }
        if let Some(keys) = &upstream.keys {
            self.headers.insert("host", HeaderValue::from_str(authority).map_err(|error| error.to_string())?);
            self.headers.insert("x-amz-content-sha256", HeaderValue::from_str(&self.payload_hash).map_err(|error| error.to_string())?);
            if let Some(token) = &keys.session_token {
                self.headers.insert("x-amz-security-token", HeaderValue::from_str(&token.0).map_err(|error| error.to_string())?);
            }
            let date_time = sigv4::amz_date(now_seconds);
            self.headers.insert("x-amz-date", HeaderValue::from_str(&date_time).map_err(|error| error.to_string())?);
            let mut signed: Vec<String> = self
                .headers
                .keys()
                .map(|name| name.as_str())
                .filter(|name| matches!(*name, "host" | "content-type" | "content-md5") || name.starts_with("x-amz-"))
                .map(str::to_string)
                .collect();
            signed.sort();
            signed.dedup();
            let region = upstream.region.as_deref().unwrap_or(region);
            let parts = SignedParts { method: self.method.as_str(), raw_path: &self.path, raw_query: &self.query, headers: &self.headers, body: b"" };
            let canonical_uri = if service == "s3" { self.path.clone() } else { sigv4::uri_encode(&self.path, true) };
            let canonical = sigv4::canonical_request_at(&parts, &canonical_uri, &signed, &self.payload_hash).map_err(|error| format!("{error:?}"))?;
            let signing = sigv4::SigningCredentials { access_key_id: &keys.access_key_id, secret_access_key: &keys.secret_access_key.0, region, service };
            let authorization = sigv4::authorization_for(&canonical, &signed, &date_time, &signing);
            self.headers.insert("authorization", HeaderValue::from_str(&authorization).map_err(|error| error.to_string())?);
        }
        let url = if self.query.is_empty() { format!("{origin}{}", self.path) } else { format!("{origin}{}?{}", self.path, self.query) };
        client.request(self.method, url).headers(self.headers).body(body).send().await.map_err(|error| {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        })
    }
}

/// The upstream's answer for the client: its status and headers (but connection headers) and
/// its body, streamed through `wrap`.
pub fn answer<B>(response: reqwest::Response, wrap: impl FnOnce(reqwest::Body) -> B) -> Response
where
    B: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let status = response.status();
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers() {
        if !matches!(name.as_str(), "connection" | "keep-alive" | "transfer-encoding" | "te" | "trailer" | "upgrade") {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut answer = Response::new(Body::new(wrap(reqwest::Body::from(response))));
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    answer
}

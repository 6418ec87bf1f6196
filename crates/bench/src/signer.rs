//! The SigV4 signer of the load generator's requests.

use super::*;

pub(crate) struct Signer {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) region: String,
}

impl Signer {
    pub(crate) fn sign(&self, host: &str, target: &str, body: &str) -> HeaderMap {
        let target = format!("AWSCognitoIdentityProviderService.{target}");
        self.sign_with(host, "cognito-idp", &[("x-amz-target", target.as_str())], body)
    }

    /// Signs a POST to `service` with the given headers (plus `host` and `x-amz-date`; a JSON
    /// content type unless one is given).
    pub(crate) fn sign_with(&self, host: &str, service: &str, extra: &[(&str, &str)], body: &str) -> HeaderMap {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(host).unwrap());
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        for (name, value) in extra {
            headers.insert(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        let keys = sigv4::SigningCredentials { access_key_id: &self.access_key_id, secret_access_key: &self.secret_access_key, region: &self.region, service };
        sigv4::sign_outgoing("POST", "/", &mut headers, body.as_bytes(), &keys, now);
        headers
    }
}

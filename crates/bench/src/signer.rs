//! The SigV4 signer of the load generator's requests.

use super::*;

pub(crate) struct Signer {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) region: String,
}

/// Epoch seconds as `YYYYMMDDTHHMMSSZ`.
pub(crate) fn amz_date(epoch_seconds: i64) -> String {
    let (year, month, day) = cognate_domain::clock::civil_from_days(epoch_seconds.div_euclid(86_400));
    let seconds_of_day = epoch_seconds.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60,
        seconds_of_day % 60
    )
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
        let date_time = amz_date(now);
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(host).unwrap());
        headers.insert("x-amz-date", HeaderValue::from_str(&date_time).unwrap());
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        for (name, value) in extra {
            headers.insert(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        let mut signed_headers: Vec<String> = headers.keys().map(|name| name.as_str().to_string()).collect();
        signed_headers.sort();
        let parts = sigv4::SignedParts { method: "POST", raw_path: "/", raw_query: "", headers: &headers, body: body.as_bytes() };
        let payload_hash = hex::encode(Sha256::digest(body.as_bytes()));
        let canonical = sigv4::canonical_request(&parts, &signed_headers, &payload_hash).unwrap();
        let date = &date_time[..8];
        let scope = format!("{date}/{}/{service}/aws4_request", self.region);
        let string_to_sign =
            format!("AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let signature = sigv4::signature(&self.secret_access_key, date, &self.region, service, &string_to_sign);
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            self.access_key_id,
            signed_headers.join(";")
        );
        headers.insert("authorization", HeaderValue::from_str(&authorization).unwrap());
        headers
    }
}

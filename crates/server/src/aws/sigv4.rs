//! AWS Signature Version 4 verification: the canonical request, the credential scope and the
//! signing-key derivation exactly as botocore's `SigV4Auth` signs, compared in constant time.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub use cognate_domain::clock::{amz_date, parse_amz_date};

type HmacSha256 = Hmac<Sha256>;

/// How far a request's `X-Amz-Date` may be from the server's clock.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

/// Why a signature was refused. Each maps to the AWS error a client expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// No `Authorization` header (MissingAuthenticationTokenException).
    Missing,
    /// The header is malformed or incomplete (IncompleteSignatureException).
    Incomplete(String),
    /// The access key is not known (UnrecognizedClientException).
    UnknownAccessKey,
    /// The signature does not match, or the scope is wrong (InvalidSignatureException).
    Invalid(String),
}

/// The request parts that a signature covers.
pub struct SignedParts<'a> {
    pub method: &'a str,
    /// The path as it arrived on the wire (still percent-encoded).
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Who signed a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCaller {
    pub access_key_id: String,
    pub region: String,
}

pub fn parse_authorization(value: &str) -> Result<Authorization, SignatureError> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| SignatureError::Incomplete("Authorization header requires the AWS4-HMAC-SHA256 algorithm.".into()))?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(value) = part.strip_prefix("Credential=") {
            credential = Some(value);
        } else if let Some(value) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(value);
        } else if let Some(value) = part.strip_prefix("Signature=") {
            signature = Some(value);
        }
    }
    let incomplete = |what: &str| {
        SignatureError::Incomplete(format!(
            "Authorization header requires '{what}' parameter. Authorization={value}"
        ))
    };
    let credential = credential.ok_or_else(|| incomplete("Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| incomplete("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| incomplete("Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" || scope[0].is_empty() || scope[1].len() != 8 {
        return Err(SignatureError::Incomplete(format!(
            "Credential should be scoped to a valid region, service and date: {credential}"
        )));
    }
    if signature.len() != 64 || !signature.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(SignatureError::Incomplete("The signature must be 64 hex digits.".into()));
    }
    Ok(Authorization {
        access_key_id: scope[0].to_string(),
        date: scope[1].to_string(),
        region: scope[2].to_string(),
        service: scope[3].to_string(),
        signed_headers: signed_headers.split(';').map(|name| name.to_ascii_lowercase()).collect(),
        signature: signature.to_ascii_lowercase(),
    })
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` when asked).
pub fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut encoded = String::with_capacity(input.len());
    for byte in input.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

pub(crate) fn percent_decode(input: &str) -> String {
    percent_encoding::percent_decode_str(&input.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// The canonical query string: every pair decoded, re-encoded and sorted; `X-Amz-Signature`
/// (present on presigned URLs) left out.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(&percent_decode(name), false), uri_encode(&percent_decode(value), false))
        })
        .filter(|(name, _)| name != "X-Amz-Signature")
        .collect();
    pairs.sort();
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

pub(crate) fn canonical_header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|value| {
            let text = String::from_utf8_lossy(value.as_bytes());
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.join(","))
    }
}

/// The canonical request of botocore's SigV4 signer, for a given payload hash.
pub fn canonical_request(parts: &SignedParts<'_>, signed_headers: &[String], payload_hash: &str) -> Result<String, SignatureError> {
    let path = if parts.raw_path.is_empty() { "/" } else { parts.raw_path };
    canonical_request_at(parts, &uri_encode(path, true), signed_headers, payload_hash)
}

/// S3's canonical URI: the path decoded once and encoded once (S3 alone does not encode the
/// path a second time).
pub fn s3_canonical_uri(raw_path: &str) -> String {
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    uri_encode(&percent_encoding::percent_decode_str(path).decode_utf8_lossy(), true)
}

/// The canonical request with a given canonical URI.
pub fn canonical_request_at(
    parts: &SignedParts<'_>,
    canonical_uri: &str,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, SignatureError> {
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let value = canonical_header_value(parts.headers, name).ok_or_else(|| {
            SignatureError::Invalid(format!("The request does not carry the signed header '{name}'."))
        })?;
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        parts.method,
        canonical_uri,
        canonical_query(parts.raw_query),
        canonical_headers,
        signed_headers.join(";"),
        payload_hash
    ))
}

/// The signing key for one day, region and service.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let date_key = hmac(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes());
    let region_key = hmac(&date_key, region.as_bytes());
    let service_key = hmac(&region_key, service.as_bytes());
    hmac(&service_key, b"aws4_request")
}

/// The hex signature of a string to sign.
pub fn signature(secret_access_key: &str, authorization_date: &str, region: &str, service: &str, string_to_sign: &str) -> String {
    hex::encode(hmac(&signing_key(secret_access_key, authorization_date, region, service), string_to_sign.as_bytes()))
}

/// Keys that sign the requests cognate sends to other services (the Lambda Invoke API, KMS).
#[derive(Clone)]
pub struct AccessKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for AccessKeys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "AccessKeys({}, secret withheld)", self.access_key_id)
    }
}

/// The region an ARN names (`arn:<partition>:<service>:<region>:…`), if it is an ARN with one.
pub fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn")).then(|| parts.nth(2)).flatten().filter(|region| !region.is_empty())
}

/// The headers of a POST of `body` to `path` at `endpoint` (`http[s]://host[:port]`): `headers`
/// as given, signed for `service` in `region` when there are keys, unsigned otherwise.
pub fn outgoing_post_headers(endpoint: &str, path: &str, mut headers: HeaderMap, body: &[u8], keys: Option<&AccessKeys>, region: &str, service: &str)
    -> Result<HeaderMap, String> {
    if let Some(keys) = keys {
        let host = endpoint.split("://").nth(1).unwrap_or("").split('/').next().unwrap_or("");
        headers.insert("host", axum::http::HeaderValue::from_str(host).map_err(|error| error.to_string())?);
        let credentials = SigningCredentials { access_key_id: &keys.access_key_id, secret_access_key: &keys.secret_access_key, region, service };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_secs() as i64).unwrap_or(0);
        sign_outgoing("POST", path, &mut headers, body, &credentials, now);
        // The HTTP client writes the Host header itself, as signed.
        headers.remove("host");
    }
    Ok(headers)
}

/// Keys that sign a request this server sends (to a Lambda endpoint, in the load generator).
pub struct SigningCredentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

/// Signs an outgoing request: adds `x-amz-date` and `authorization` to `headers` (which must hold
/// `host` and whatever else is to be signed; every header given is signed). `raw_path` is the
/// path as sent, percent-encoded.
pub fn sign_outgoing(method: &str, raw_path: &str, headers: &mut HeaderMap, body: &[u8], keys: &SigningCredentials<'_>, epoch_seconds: i64) {
    use axum::http::HeaderValue;
    let date_time = amz_date(epoch_seconds);
    headers.insert("x-amz-date", HeaderValue::from_str(&date_time).expect("an ASCII date"));
    let mut signed_headers: Vec<String> = headers.keys().map(|name| name.as_str().to_string()).collect();
    signed_headers.sort();
    signed_headers.dedup();
    let parts = SignedParts { method, raw_path, raw_query: "", headers, body };
    let payload_hash = hex::encode(Sha256::digest(body));
    let canonical = canonical_request(&parts, &signed_headers, &payload_hash).expect("every signed header is present");
    let authorization = authorization_for(&canonical, &signed_headers, &date_time, keys);
    headers.insert("authorization", HeaderValue::from_str(&authorization).expect("an ASCII authorization"));
}

/// The `Authorization` value of a request whose canonical form is `canonical_request`, signed
/// at `date_time` (its `x-amz-date`) with `keys` over `signed_headers`.
pub fn authorization_for(canonical_request: &str, signed_headers: &[String], date_time: &str, keys: &SigningCredentials<'_>) -> String {
    let date = &date_time[..8];
    let scope = format!("{date}/{}/{}/aws4_request", keys.region, keys.service);
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}", hex::encode(Sha256::digest(canonical_request.as_bytes())));
    let signature = signature(keys.secret_access_key, date, keys.region, keys.service, &string_to_sign);
    format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}", keys.access_key_id, signed_headers.join(";"))
}


/// Refuses a request whose signature leaves out `host`, `content-type` or any `x-amz-*` header
/// it carries (except those named in `exempt`): an unsigned header could be changed or added by
/// anyone who replays the request (`X-Amz-Target` would turn one operation into another).
pub(crate) fn require_signed_headers(headers: &HeaderMap, signed: &[String], exempt: &[&str]) -> Result<(), SignatureError> {
    if !signed.iter().any(|name| name == "host") {
        return Err(SignatureError::Invalid("The host header must be signed.".into()));
    }
    for name in headers.keys() {
        let name = name.as_str();
        let must_sign = name == "content-type" || (name.starts_with("x-amz-") && !exempt.contains(&name));
        if must_sign && !signed.iter().any(|signed| signed == name) {
            return Err(SignatureError::Invalid(format!("The header '{name}' is present but not signed; it must be in SignedHeaders.")));
        }
    }
    Ok(())
}

/// Whether `region` names a region: lowercase letters, digits and hyphens, as AWS's do.
pub fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region.starts_with(|character: char| character.is_ascii_lowercase())
        && region.chars().all(|character| character.is_ascii_lowercase() || character.is_ascii_digit() || character == '-')
}

pub(crate) fn region_accepted(region: &str, expectation: &Expectation<'_>) -> bool {
    match expectation.region {
        None => is_region(region),
        Some(expected) => region == expected || Some(region) == expectation.also_region,
    }
}

/// What the verifier needs to know about the server.
pub struct Expectation<'a> {
    pub service: &'a str,
    /// The region the scope must name; None: any well-formed region (each is served apart).
    pub region: Option<&'a str>,
    /// A second region the scope may name (global services are signed for us-east-1).
    pub also_region: Option<&'a str>,
    pub now_seconds: i64,
}

/// Verifies the `Authorization` header of a request. `secret_for` returns the secret of an
/// access key it knows; with `accept_any`, any well-formed header passes (local development
/// only; never the default).
pub fn verify(
    parts: &SignedParts<'_>,
    expectation: &Expectation<'_>,
    secret_for: impl Fn(&str) -> Option<String>,
    accept_any: bool,
) -> Result<VerifiedCaller, SignatureError> {
    let header = parts.headers.get("authorization").ok_or(SignatureError::Missing)?;
    let header = header.to_str().map_err(|_| SignatureError::Incomplete("The Authorization header is not ASCII.".into()))?;
    let authorization = parse_authorization(header)?;
    let amz_date = parts
        .headers
        .get("x-amz-date")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| SignatureError::Incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into()))?;
    let signed_at = parse_amz_date(amz_date)
        .ok_or_else(|| SignatureError::Incomplete(format!("The X-Amz-Date header is not a valid date: {amz_date}")))?;
    if !authorization.signed_headers.iter().any(|name| name == "host") {
        return Err(SignatureError::Invalid("The host header must be signed.".into()));
    }
    if accept_any {
        return Ok(VerifiedCaller { access_key_id: authorization.access_key_id, region: authorization.region });
    }
    require_signed_headers(parts.headers, &authorization.signed_headers, &[])?;
    if (expectation.now_seconds - signed_at).abs() > MAX_CLOCK_SKEW_SECONDS {
        return Err(SignatureError::Invalid(format!(
            "Signature expired: {amz_date} is now earlier or later than the allowed 15 minutes of the server's time."
        )));
    }
    if !amz_date.starts_with(&authorization.date) {
        return Err(SignatureError::Invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'",
            authorization.date,
            &amz_date[..8]
        )));
    }
    if authorization.service != expectation.service {
        return Err(SignatureError::Invalid(format!(
            "Credential should be scoped to correct service: '{}'.",
            expectation.service
        )));
    }
    if !region_accepted(&authorization.region, expectation) {
        return Err(SignatureError::Invalid(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            authorization.region
        )));
    }
    let secret = secret_for(&authorization.access_key_id).ok_or(SignatureError::UnknownAccessKey)?;
    let payload_hash = sha256_hex(parts.body);
    let canonical = canonical_request(parts, &authorization.signed_headers, &payload_hash)?;
    let scope = format!("{}/{}/{}/aws4_request", authorization.date, authorization.region, authorization.service);
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
    let expected = signature(&secret, &authorization.date, &authorization.region, &authorization.service, &string_to_sign);
    if cognate_domain::crypto::constant_time_eq(expected.as_bytes(), authorization.signature.as_bytes()) {
        Ok(VerifiedCaller { access_key_id: authorization.access_key_id, region: authorization.region })
    } else {
        Err(SignatureError::Invalid(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The "get-vanilla" case of the AWS SigV4 test suite, with its documented credentials.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// The signed headers of the suite's "get-vanilla" request.
    fn vanilla_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                .parse()
                .unwrap(),
        );
        headers
    }

    #[test]
    fn verifies_the_aws_test_suite_vanilla_get() {
        let headers = vanilla_headers();
        let parts = SignedParts { method: "GET", raw_path: "/", raw_query: "", headers: &headers, body: b"" };
        let now = parse_amz_date("20150830T123600Z").unwrap();
        let expectation = Expectation { service: "service", region: Some("us-east-1"), also_region: None, now_seconds: now };
        let caller = verify(&parts, &expectation, |key| (key == "AKIDEXAMPLE").then(|| SECRET.to_string()), false).unwrap();
        assert_eq!(caller.access_key_id, "AKIDEXAMPLE");

        let wrong_secret = verify(&parts, &expectation, |_| Some("other".into()), false);
        assert!(matches!(wrong_secret, Err(SignatureError::Invalid(_))));
        let unknown = verify(&parts, &expectation, |_| None, false);
        assert_eq!(unknown, Err(SignatureError::UnknownAccessKey));
        let late = Expectation { now_seconds: now + 16 * 60, ..expectation };
        assert!(matches!(verify(&parts, &late, |_| Some(SECRET.into()), false), Err(SignatureError::Invalid(_))));
    }

    #[test]
    fn unsigned_target_or_content_type_is_refused() {
        let mut headers = vanilla_headers();
        headers.insert("x-amz-target", "AWSCognitoIdentityProviderService.DeleteGroup".parse().unwrap());
        let parts = SignedParts { method: "GET", raw_path: "/", raw_query: "", headers: &headers, body: b"" };
        let now = parse_amz_date("20150830T123600Z").unwrap();
        let expectation = Expectation { service: "service", region: Some("us-east-1"), also_region: None, now_seconds: now };
        let outcome = verify(&parts, &expectation, |_| Some(SECRET.into()), false);
        assert!(matches!(&outcome, Err(SignatureError::Invalid(message)) if message.contains("x-amz-target")), "{outcome:?}");
        headers.remove("x-amz-target");
        headers.insert("content-type", "application/x-amz-json-1.1".parse().unwrap());
        let parts = SignedParts { method: "GET", raw_path: "/", raw_query: "", headers: &headers, body: b"" };
        let outcome = verify(&parts, &expectation, |_| Some(SECRET.into()), false);
        assert!(matches!(&outcome, Err(SignatureError::Invalid(message)) if message.contains("content-type")), "{outcome:?}");
    }

    #[test]
    fn amz_dates_round_trip() {
        for epoch_seconds in [0, 951_782_400, 1_440_938_160, 1_795_831_295, 4_102_444_799] {
            let text = amz_date(epoch_seconds);
            assert_eq!(parse_amz_date(&text), Some(epoch_seconds), "{text}");
        }
    }

    #[test]
    fn amz_dates_parse_to_epoch_seconds() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("2015-08-30"), None);
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query("b=2&a=1&c=x%20y"), "a=1&b=2&c=x%20y");
        assert_eq!(canonical_query("X-Amz-Signature=abc&a=1"), "a=1");
    }

    #[test]
    fn malformed_headers_are_incomplete() {
        assert!(matches!(parse_authorization("Bearer x"), Err(SignatureError::Incomplete(_))));
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/svc/aws4_request, SignedHeaders=host"),
            Err(SignatureError::Incomplete(_))
        ));
    }
}

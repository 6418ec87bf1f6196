//! The client's SigV4, verified as the service it calls verifies it: the `Authorization` header
//! or a presigned query string, S3's once-encoded path and its `x-amz-content-sha256` forms
//! (a body hash, `UNSIGNED-PAYLOAD`, the aws-chunked streaming forms), other services' hash of
//! the whole body; every `x-amz-*` header signed.

use axum::http::HeaderMap;

use crate::aws::presigned::{query_params, MAX_PRESIGN_SECONDS};
use crate::aws::sigv4::{self, SignedParts, MAX_CLOCK_SKEW_SECONDS};

use super::refusal::{Refusal, Service};

/// Who claims to have signed a request, before the signature is checked.
#[derive(Debug, Clone)]
pub struct Claim {
    pub access_key_id: String,
    pub session_token: Option<String>,
    pub date: String,
    pub region: String,
    pub service: String,
    amz_date: String,
    signed_headers: Vec<String>,
    signature: String,
    /// `X-Amz-Expires` of a presigned URL; None for a signed header.
    expires: Option<i64>,
    content_sha256: Option<String>,
}

impl Claim {
    pub fn presigned(&self) -> bool {
        self.expires.is_some()
    }
}

/// What the verified signature says about the body.
#[derive(Debug, Clone)]
pub enum Payload {
    /// The body's SHA-256 in hex, to be checked as it streams.
    Sha256(String),
    Unsigned,
    /// `Content-Encoding: aws-chunked`: each chunk signed in a chain from the request's signature
    /// (`chain`), or unsigned; `trailer`: trailing headers (checksums) follow the last chunk.
    Chunked { chain: Option<ChunkChain>, trailer: bool },
}

/// The chain of chunk signatures of a streaming upload.
#[derive(Debug, Clone)]
pub struct ChunkChain {
    key: Vec<u8>,
    amz_date: String,
    scope: String,
    previous: String,
}

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl ChunkChain {
    /// Checks the signature of the next chunk, whose data is `data`.
    pub fn check_chunk(&mut self, data: &[u8], claimed: &str) -> Result<(), Refusal> {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            sigv4::sha256_hex(data)
        );
        self.advance(&string_to_sign, claimed)
    }

    /// Checks the signature of the trailing headers, given as `name:value\n` lines.
    pub fn check_trailer(&mut self, canonical_trailer: &str, claimed: &str) -> Result<(), Refusal> {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            sigv4::sha256_hex(canonical_trailer.as_bytes())
        );
        self.advance(&string_to_sign, claimed)
    }

    fn advance(&mut self, string_to_sign: &str, claimed: &str) -> Result<(), Refusal> {
        let expected = hex::encode(sigv4::hmac(&self.key, string_to_sign.as_bytes()));
        if !cognate_domain::crypto::constant_time_eq(expected.as_bytes(), claimed.to_ascii_lowercase().as_bytes()) {
            return Err(Refusal::BodyMismatch("The chunk signature we calculated does not match the signature you provided.".into()));
        }
        self.previous = expected;
        Ok(())
    }
}

/// Reads the claim of a signed header or of a presigned query string.
pub fn claim(raw_query: &str, headers: &HeaderMap) -> Result<Claim, Refusal> {
    if let Some(header) = headers.get("authorization") {
        let header = header.to_str().map_err(|_| Refusal::Malformed("The Authorization header is not ASCII.".into()))?;
        let authorization = sigv4::parse_authorization(header)?;
        let amz_date = header_text(headers, "x-amz-date")
            .ok_or_else(|| Refusal::Malformed("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into()))?;
        return Ok(Claim {
            access_key_id: authorization.access_key_id,
            session_token: header_text(headers, "x-amz-security-token"),
            date: authorization.date,
            region: authorization.region,
            service: authorization.service,
            amz_date,
            signed_headers: authorization.signed_headers,
            signature: authorization.signature,
            expires: None,
            content_sha256: header_text(headers, "x-amz-content-sha256"),
        });
    }
    let params = query_params(raw_query);
    if !params.contains_key("X-Amz-Signature") {
        return Err(Refusal::MissingAuthentication);
    }
    let get = |name: &str| params.get(name).cloned().ok_or_else(|| Refusal::Malformed(format!("The presigned URL lacks the {name} parameter.")));
    if get("X-Amz-Algorithm")? != "AWS4-HMAC-SHA256" {
        return Err(Refusal::Malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".".into()));
    }
    let credential = get("X-Amz-Credential")?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" || scope[1].len() != 8 || scope[0].is_empty() {
        return Err(Refusal::Malformed(format!("Credential should be scoped to a valid region, service and date: {credential}")));
    }
    let expires = get("X-Amz-Expires")?
        .parse::<i64>()
        .ok()
        .filter(|seconds| (1..=MAX_PRESIGN_SECONDS).contains(seconds))
        .ok_or_else(|| Refusal::Malformed("X-Amz-Expires must be between 1 and 604800 seconds.".into()))?;
    let signature = get("X-Amz-Signature")?.to_ascii_lowercase();
    if signature.len() != 64 || !signature.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(Refusal::Malformed("The signature must be 64 hex digits.".into()));
    }
    Ok(Claim {
        access_key_id: scope[0].to_string(),
        session_token: params.get("X-Amz-Security-Token").cloned(),
        date: scope[1].to_string(),
        region: scope[2].to_string(),
        service: scope[3].to_string(),
        amz_date: get("X-Amz-Date")?,
        signed_headers: get("X-Amz-SignedHeaders")?.split(';').map(|name| name.to_ascii_lowercase()).collect(),
        signature,
        expires: Some(expires),
        content_sha256: params.get("X-Amz-Content-Sha256").cloned().or_else(|| header_text(headers, "x-amz-content-sha256")),
    })
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_string)
}

/// Verifies `claim` against the request with the key's `secret`. `body_sha256`: the hash of the
/// whole body, read before (every service but S3).
pub fn verify(
    claim: &Claim,
    service: Service,
    parts: &SignedParts<'_>,
    body_sha256: Option<&str>,
    secret: &str,
    now_seconds: i64,
) -> Result<Payload, Refusal> {
    let signed_at = sigv4::parse_amz_date(&claim.amz_date)
        .ok_or_else(|| Refusal::Malformed(format!("X-Amz-Date must be in the ISO8601 Long Format: {}", claim.amz_date)))?;
    if !claim.signed_headers.iter().any(|name| name == "host") {
        return Err(Refusal::BadSignature("The host header must be signed.".into()));
    }
    for name in parts.headers.keys() {
        let name = name.as_str();
        // A presigner cannot know the headers the SDK adds afterwards (these two) nor the type a
        // browser sends; a signed header covers every x-amz-* header and the type.
        let must_sign = if claim.presigned() {
            name.starts_with("x-amz-") && !matches!(name, "x-amz-user-agent" | "x-amz-checksum-mode")
        } else {
            name.starts_with("x-amz-") || name == "content-type"
        };
        if must_sign && !claim.signed_headers.iter().any(|signed| signed == name) {
            return Err(Refusal::BadSignature(format!("The header '{name}' is present but not signed; it must be in SignedHeaders.")));
        }
    }
    match claim.expires {
        Some(expires) => {
            if now_seconds > signed_at + expires {
                return Err(Refusal::Expired("Request has expired".into()));
            }
            if signed_at - now_seconds > MAX_CLOCK_SKEW_SECONDS {
                return Err(Refusal::Expired("Request is signed in the future.".into()));
            }
        }
        None if (now_seconds - signed_at).abs() > MAX_CLOCK_SKEW_SECONDS => {
            return Err(Refusal::Expired(
                "The difference between the request time and the current time is too large (the signature expired).".into(),
            ));
        }
        None => {}
    }
    if !claim.amz_date.starts_with(&claim.date) {
        return Err(Refusal::Malformed("The date of the credential scope does not match X-Amz-Date.".into()));
    }
    if claim.service != service.name() || !sigv4::is_region(&claim.region) {
        return Err(Refusal::Malformed(format!("Credential should be scoped to a valid region and to the service '{}'.", service.name())));
    }
    let (payload, payload_hash) = match (service, body_sha256) {
        (Service::S3, _) => {
            let declared = match (&claim.content_sha256, claim.presigned()) {
                (Some(value), _) => value.clone(),
                (None, true) => "UNSIGNED-PAYLOAD".to_string(),
                (None, false) => return Err(Refusal::BadRequest("Missing required header for this request: x-amz-content-sha256".into())),
            };
            (s3_payload(&declared)?, declared)
        }
        (_, Some(hash)) => (Payload::Sha256(hash.to_string()), hash.to_string()),
        (_, None) => return Err(Refusal::Internal),
    };
    let canonical_uri = match service {
        Service::S3 => sigv4::s3_canonical_uri(parts.raw_path),
        _ => sigv4::uri_encode(if parts.raw_path.is_empty() { "/" } else { parts.raw_path }, true),
    };
    let canonical = sigv4::canonical_request_at(parts, &canonical_uri, &claim.signed_headers, &payload_hash)?;
    let scope = format!("{}/{}/{}/aws4_request", claim.date, claim.region, claim.service);
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{}\n{scope}\n{}", claim.amz_date, sigv4::sha256_hex(canonical.as_bytes()));
    let key = sigv4::signing_key(secret, &claim.date, &claim.region, &claim.service);
    let expected = hex::encode(sigv4::hmac(&key, string_to_sign.as_bytes()));
    if !cognate_domain::crypto::constant_time_eq(expected.as_bytes(), claim.signature.as_bytes()) {
        return Err(Refusal::BadSignature(
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.".into(),
        ));
    }
    Ok(match payload {
        Payload::Chunked { chain: Some(_), trailer } => {
            Payload::Chunked { chain: Some(ChunkChain { key, amz_date: claim.amz_date.clone(), scope, previous: expected }), trailer }
        }
        other => other,
    })
}

/// The forms of `x-amz-content-sha256` S3 accepts (SigV4A's ECDSA streaming form is not offered).
fn s3_payload(declared: &str) -> Result<Payload, Refusal> {
    let placeholder = ChunkChain { key: Vec::new(), amz_date: String::new(), scope: String::new(), previous: String::new() };
    Ok(match declared {
        "UNSIGNED-PAYLOAD" => Payload::Unsigned,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => Payload::Chunked { chain: Some(placeholder), trailer: false },
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Payload::Chunked { chain: Some(placeholder), trailer: true },
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Payload::Chunked { chain: None, trailer: true },
        hash if hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()) => Payload::Sha256(hash.to_ascii_lowercase()),
        other if other.starts_with("STREAMING-") => {
            return Err(Refusal::NotImplemented(format!("The gateway does not accept x-amz-content-sha256 {other}.")))
        }
        other => return Err(Refusal::BadRequest(format!("x-amz-content-sha256 must be a SHA-256 in hex or a known form, got {other}"))),
    })
}

//! SigV4 in the query string (a presigned URL, as the push WebSocket uses): its parameters, the
//! cap on its lifetime, and its verification with the same canonical request as a signed header.

use super::sigv4::*;

/// The longest validity a presigned URL may claim (seven days, as AWS allows).
pub const MAX_PRESIGN_SECONDS: i64 = 7 * 24 * 3600;

/// The `X-Amz-*` parameters of a presigned URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub access_key_id: String,
    pub session_token: Option<String>,
}

/// Reads who signed a presigned URL (before its signature is checked).
pub fn presigned_caller(raw_query: &str) -> Result<Presigned, SignatureError> {
    let params = query_params(raw_query);
    let credential = params.get("X-Amz-Credential").ok_or(SignatureError::Missing)?;
    let access_key_id = credential.split('/').next().unwrap_or("").to_string();
    Ok(Presigned { access_key_id, session_token: params.get("X-Amz-Security-Token").cloned() })
}

pub fn query_params(raw_query: &str) -> std::collections::HashMap<String, String> {
    raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

/// Verifies a URL presigned as botocore's `SigV4QueryAuth` presigns it: the `X-Amz-*` query
/// parameters, the signed headers (at least `host`), the hash of the (empty) payload, and a
/// validity window of `X-Amz-Date` + `X-Amz-Expires`.
pub fn verify_presigned(
    parts: &SignedParts<'_>,
    expectation: &Expectation<'_>,
    secret_for: impl Fn(&str) -> Option<String>,
    accept_any: bool,
) -> Result<VerifiedCaller, SignatureError> {
    let params = query_params(parts.raw_query);
    let get = |name: &str| {
        params
            .get(name)
            .cloned()
            .ok_or_else(|| SignatureError::Incomplete(format!("The presigned URL lacks the {name} parameter.")))
    };
    if !params.contains_key("X-Amz-Signature") {
        return Err(SignatureError::Missing);
    }
    if get("X-Amz-Algorithm")? != "AWS4-HMAC-SHA256" {
        return Err(SignatureError::Incomplete("X-Amz-Algorithm must be AWS4-HMAC-SHA256.".into()));
    }
    let credential = get("X-Amz-Credential")?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" || scope[1].len() != 8 {
        return Err(SignatureError::Incomplete(format!("Credential should be scoped to a valid region, service and date: {credential}")));
    }
    let amz_date = get("X-Amz-Date")?;
    let signed_at = parse_amz_date(&amz_date).ok_or_else(|| SignatureError::Incomplete(format!("X-Amz-Date is not a valid date: {amz_date}")))?;
    let expires: i64 = get("X-Amz-Expires")?
        .parse()
        .ok()
        .filter(|seconds| (1..=MAX_PRESIGN_SECONDS).contains(seconds))
        .ok_or_else(|| SignatureError::Incomplete("X-Amz-Expires must be between 1 and 604800 seconds.".into()))?;
    let signed_headers: Vec<String> = get("X-Amz-SignedHeaders")?.split(';').map(|name| name.to_ascii_lowercase()).collect();
    // A presigner leaves these two out of the signature by design (the SDKs add them after
    // presigning); any other `x-amz-*` header must be covered.
    require_signed_headers(parts.headers, &signed_headers, &["x-amz-user-agent", "x-amz-checksum-mode"])?;
    let signature = get("X-Amz-Signature")?.to_ascii_lowercase();
    if accept_any {
        return Ok(VerifiedCaller { access_key_id: scope[0].to_string(), region: scope[2].to_string() });
    }
    if expectation.now_seconds > signed_at + expires {
        return Err(SignatureError::Invalid("Request has expired".into()));
    }
    if signed_at - expectation.now_seconds > MAX_CLOCK_SKEW_SECONDS {
        return Err(SignatureError::Invalid("Request is signed in the future.".into()));
    }
    if !amz_date.starts_with(scope[1]) || scope[3] != expectation.service {
        return Err(SignatureError::Invalid(format!("Credential should be scoped to correct service: '{}'.", expectation.service)));
    }
    if !region_accepted(scope[2], expectation) {
        return Err(SignatureError::Invalid(format!("Credential should be scoped to a valid region, not '{}'. ", scope[2])));
    }
    let secret = secret_for(scope[0]).ok_or(SignatureError::UnknownAccessKey)?;
    let canonical = canonical_request(parts, &signed_headers, &sha256_hex(b""))?;
    let scope_text = format!("{}/{}/{}/aws4_request", scope[1], scope[2], scope[3]);
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope_text}\n{}", sha256_hex(canonical.as_bytes()));
    let expected = self::signature(&secret, scope[1], scope[2], scope[3], &string_to_sign);
    if cognate_domain::crypto::constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        Ok(VerifiedCaller { access_key_id: scope[0].to_string(), region: scope[2].to_string() })
    } else {
        Err(SignatureError::Invalid("The request signature we calculated does not match the signature you provided.".into()))
    }
}

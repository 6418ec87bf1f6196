//! The client's body from the gateway's side: where it is (unread, read whole, streaming
//! upstream), how an S3 body goes upstream (plain, or aws-chunked again with its trailer), and
//! what a refusal does with what is left of it.

use std::time::Duration;

use axum::body::Body;
use axum::http::HeaderMap;

use super::body::{self, Forwarding, Source};
use super::refusal::Refusal;
use super::signature::Payload;

/// Where the client's body is: not touched yet, read whole, or handed to the upstream stream.
pub enum BodyState {
    Unread(Body),
    Read,
    Streaming,
}

impl BodyState {
    /// The whole body (at most `cap` bytes), once.
    pub async fn read_all(&mut self, cap: usize) -> Result<axum::body::Bytes, Refusal> {
        let BodyState::Unread(body) = std::mem::replace(self, BodyState::Streaming) else {
            return Err(Refusal::Internal);
        };
        let whole = Source::new(body).read_all(cap).await?;
        *self = BodyState::Read;
        Ok(whole)
    }

    pub fn take_for_streaming(&mut self) -> Option<Body> {
        match std::mem::replace(self, BodyState::Streaming) {
            BodyState::Unread(body) => Some(body),
            _ => None,
        }
    }
}

/// Reads and drops what is left of a refused request's body (a little, briefly), so that the
/// client, still sending it, reads the refusal and the connection stays usable (a socket closed
/// with unread data is reset, and the client may lose the answer). False when it must be closed
/// instead: a body partly read, too long or too slow, or one the client holds back until
/// `100 Continue`.
pub async fn drained(headers: &HeaderMap, body: BodyState) -> bool {
    const DRAIN_BYTES: u64 = 8 * 1024 * 1024;
    let declared = header_number(headers, "content-length");
    let body = match body {
        BodyState::Unread(body) => body,
        BodyState::Read => return true,
        BodyState::Streaming => return declared.is_none_or(|length| length == 0) && !headers.contains_key("transfer-encoding"),
    };
    if header_text(headers, "expect").is_some_and(|expect| expect.eq_ignore_ascii_case("100-continue")) {
        return false;
    }
    if declared.is_some_and(|length| length > DRAIN_BYTES) {
        return false;
    }
    let reading = async {
        let mut body = body;
        let mut read = 0u64;
        while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
            match frame {
                Ok(frame) => read += frame.data_ref().map_or(0, |data| data.len() as u64),
                Err(_) => return false,
            }
            if read > DRAIN_BYTES {
                return false;
            }
        }
        true
    };
    tokio::time::timeout(Duration::from_secs(10), reading).await.unwrap_or(false)
}

/// How an S3 body goes upstream: the forwarding, the `x-amz-content-sha256` upstream and the length.
pub fn forwarding(payload: &Payload, headers: &HeaderMap, declared_length: Option<u64>) -> Result<(Forwarding, String, Option<u64>), Refusal> {
    let plain = Forwarding { trailers: Vec::new(), decoded_length: None };
    Ok(match payload {
        Payload::Sha256(hash) => (plain, hash.clone(), declared_length),
        Payload::Unsigned => (plain, "UNSIGNED-PAYLOAD".into(), declared_length),
        Payload::Chunked { trailer, .. } => {
            let decoded = header_number(headers, "x-amz-decoded-content-length").ok_or(Refusal::MissingLength)?;
            if !trailer {
                return Ok((Forwarding { trailers: Vec::new(), decoded_length: Some(decoded) }, "UNSIGNED-PAYLOAD".into(), Some(decoded)));
            }
            let trailers: Vec<String> = header_text(headers, "x-amz-trailer")
                .unwrap_or("")
                .split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty())
                .collect();
            if trailers.is_empty() {
                return Ok((Forwarding { trailers, decoded_length: Some(decoded) }, "UNSIGNED-PAYLOAD".into(), Some(decoded)));
            }
            let length = body::rechunked_length(decoded, &trailers)
                .ok_or_else(|| Refusal::BadRequest("x-amz-trailer may name only x-amz-checksum-* trailers.".into()))?;
            (Forwarding { trailers, decoded_length: Some(decoded) }, "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(), Some(length))
        }
    })
}

pub fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    header_text(headers, name).and_then(|value| value.trim().parse().ok())
}

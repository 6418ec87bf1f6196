//! Request bodies on their way upstream, never held whole: the client's body is read frame by
//! frame (a bounded wait for each), checked against what the client signed — the SHA-256 of the
//! whole body, or each aws-chunked chunk's signature and the trailer's — and handed to the
//! upstream request through a small channel. The last piece is held back until the check at the
//! end has passed, so an upstream never receives a complete body that failed it: a failure
//! breaks the upstream request instead.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::refusal::Refusal;
use super::signature::{ChunkChain, Payload};

/// How long the client may leave the body without sending more of it.
pub const BODY_IDLE: Duration = Duration::from_secs(30);
/// The largest aws-chunked chunk accepted (the SDKs send 64 KiB or less).
const MAX_CHUNK: usize = 16 * 1024 * 1024;
/// The size of the chunks forwarded upstream when a trailer goes with them.
const OUT_CHUNK: usize = 64 * 1024;

pub type Piece = Result<Bytes, std::io::Error>;

/// The upstream request's body: what the pump sends.
pub struct ChannelBody {
    receiver: mpsc::Receiver<Piece>,
    length: Option<u64>,
}

impl ChannelBody {
    pub fn new(length: Option<u64>) -> (mpsc::Sender<Piece>, ChannelBody) {
        let (sender, receiver) = mpsc::channel(8);
        (sender, ChannelBody { receiver, length })
    }
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.receiver.poll_recv(context).map(|piece| piece.map(|piece| piece.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        self.length.map(SizeHint::with_exact).unwrap_or_default()
    }
}

/// How the upstream is to receive the body.
pub struct Forwarding {
    /// aws-chunked with these trailing headers (unsigned), re-chunked; empty: the plain bytes.
    pub trailers: Vec<String>,
    /// `x-amz-decoded-content-length` of an aws-chunked body.
    pub decoded_length: Option<u64>,
}

/// The client's body as frames, with a bounded wait for each.
pub struct Source {
    body: Body,
    buffer: Vec<u8>,
    start: usize,
    ended: bool,
    pub received: u64,
}

impl Source {
    pub fn new(body: Body) -> Source {
        Source { body, buffer: Vec::new(), start: 0, ended: false, received: 0 }
    }

    /// The next frame of data, None at the end.
    async fn frame(&mut self) -> Result<Option<Bytes>, Refusal> {
        loop {
            match tokio::time::timeout(BODY_IDLE, self.body.frame()).await {
                Err(_) => return Err(Refusal::BadRequest("Your socket connection to the server was not read from or written to within the timeout period.".into())),
                Ok(None) => return Ok(None),
                Ok(Some(Err(error))) => return Err(Refusal::BadRequest(format!("reading the request body: {error}"))),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.received += data.len() as u64;
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// Reads more into the buffer; false at the end of the body.
    async fn more(&mut self) -> Result<bool, Refusal> {
        if self.ended {
            return Ok(false);
        }
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        match self.frame().await? {
            Some(data) => {
                self.buffer.extend_from_slice(&data);
                Ok(true)
            }
            None => {
                self.ended = true;
                Ok(false)
            }
        }
    }

    /// A line ending in CRLF, without it.
    async fn line(&mut self, max: usize) -> Result<String, Refusal> {
        loop {
            if let Some(at) = self.buffer[self.start..].windows(2).position(|pair| pair == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buffer[self.start..self.start + at]).into_owned();
                self.start += at + 2;
                return Ok(line);
            }
            if self.buffer.len() - self.start > max || !self.more().await? {
                return Err(Refusal::BadRequest("The aws-chunked body is malformed.".into()));
            }
        }
    }

    /// Exactly `count` bytes.
    async fn take(&mut self, count: usize) -> Result<Bytes, Refusal> {
        while self.buffer.len() - self.start < count {
            if !self.more().await? {
                return Err(Refusal::BadRequest("The request body ended before its declared length.".into()));
            }
        }
        let data = Bytes::copy_from_slice(&self.buffer[self.start..self.start + count]);
        self.start += count;
        Ok(data)
    }

    /// The whole body, refused beyond `cap` bytes.
    pub async fn read_all(mut self, cap: usize) -> Result<Bytes, Refusal> {
        let mut whole = Vec::new();
        while let Some(data) = self.frame().await? {
            whole.extend_from_slice(&data);
            if whole.len() > cap {
                return Err(Refusal::TooLarge(format!("The request body is larger than the {cap} bytes the gateway accepts for this service.")));
            }
        }
        Ok(Bytes::from(whole))
    }
}

/// Sends pieces upstream one behind: the last is released only by [`Outlet::finish`].
struct Outlet {
    sender: mpsc::Sender<Piece>,
    held: Option<Bytes>,
}

/// The upstream stopped reading (it answered, or failed): nothing more to send.
struct Gone;

impl Outlet {
    async fn push(&mut self, data: Bytes) -> Result<(), Gone> {
        if data.is_empty() {
            return Ok(());
        }
        if let Some(previous) = self.held.replace(data) {
            self.sender.send(Ok(previous)).await.map_err(|_| Gone)?;
        }
        Ok(())
    }

    async fn finish(mut self, last: Option<Bytes>) -> Result<(), Gone> {
        if let Some(previous) = self.held.take() {
            self.sender.send(Ok(previous)).await.map_err(|_| Gone)?;
        }
        if let Some(last) = last.filter(|data| !data.is_empty()) {
            self.sender.send(Ok(last)).await.map_err(|_| Gone)?;
        }
        Ok(())
    }
}

/// Reads the client's body, checks it as `payload` says, and sends it upstream as `forwarding`
/// says. On a failed check the upstream request is broken and the refusal returned. Answers the
/// bytes received from the client.
pub async fn pump(mut source: Source, payload: Payload, forwarding: Forwarding, sender: mpsc::Sender<Piece>) -> Result<u64, Refusal> {
    let breaker = sender.clone();
    let mut outlet = Outlet { sender, held: None };
    let outcome = match payload {
        Payload::Unsigned => pass_through(&mut source, &mut outlet, None).await,
        Payload::Sha256(hash) => pass_through(&mut source, &mut outlet, Some(hash)).await,
        Payload::Chunked { chain, trailer } => dechunk(&mut source, &mut outlet, chain, trailer, &forwarding).await,
    };
    match outcome {
        Ok(Some(last)) => {
            let _ = outlet.finish(last).await;
            Ok(source.received)
        }
        Ok(None) => Ok(source.received),
        Err(refusal) => {
            let _ = breaker.send(Err(std::io::Error::other("the request body failed its check"))).await;
            Err(refusal)
        }
    }
}

/// The plain body, its hash checked at the end. Ok(None): the upstream is gone.
async fn pass_through(source: &mut Source, outlet: &mut Outlet, expected: Option<String>) -> Result<Option<Option<Bytes>>, Refusal> {
    let mut hasher = expected.as_ref().map(|_| Sha256::new());
    while let Some(data) = source.frame().await? {
        if let Some(hasher) = hasher.as_mut() {
            hasher.update(&data);
        }
        if outlet.push(data).await.is_err() {
            return Ok(None);
        }
    }
    if let (Some(hasher), Some(expected)) = (hasher, expected) {
        if hex::encode(hasher.finalize()) != expected {
            return Err(Refusal::BodyMismatch("The provided 'x-amz-content-sha256' header does not match what was computed.".into()));
        }
    }
    Ok(Some(None))
}

/// An aws-chunked body: each chunk's signature checked (when signed), the data forwarded plain
/// or re-chunked with the trailer. Answers the last piece to release.
async fn dechunk(
    source: &mut Source,
    outlet: &mut Outlet,
    mut chain: Option<ChunkChain>,
    trailer: bool,
    forwarding: &Forwarding,
) -> Result<Option<Option<Bytes>>, Refusal> {
    let mut decoded: u64 = 0;
    let mut rechunk = (!forwarding.trailers.is_empty()).then(Vec::new);
    loop {
        let header = source.line(4096).await?;
        let (size, extension) = header.split_once(';').unwrap_or((header.as_str(), ""));
        let size = usize::from_str_radix(size.trim(), 16)
            .ok()
            .filter(|size| *size <= MAX_CHUNK)
            .ok_or_else(|| Refusal::BadRequest("An aws-chunked chunk size is malformed or too large.".into()))?;
        let signature = extension.trim().strip_prefix("chunk-signature=");
        let data = if size > 0 { source.take(size).await? } else { Bytes::new() };
        if size > 0 && source.take(2).await?.as_ref() != b"\r\n" {
            return Err(Refusal::BadRequest("An aws-chunked chunk does not end with CRLF.".into()));
        }
        if let Some(chain) = chain.as_mut() {
            let signature = signature.ok_or_else(|| Refusal::BodyMismatch("A chunk lacks its chunk-signature.".into()))?;
            chain.check_chunk(&data, signature)?;
        }
        decoded += size as u64;
        if forwarding.decoded_length.is_some_and(|declared| decoded > declared) {
            return Err(Refusal::BadRequest("The aws-chunked body is longer than x-amz-decoded-content-length.".into()));
        }
        if size == 0 {
            break;
        }
        let sent = match rechunk.as_mut() {
            Some(pending) => {
                pending.extend_from_slice(&data);
                let mut result = Ok(());
                while pending.len() >= OUT_CHUNK && result.is_ok() {
                    let rest = pending.split_off(OUT_CHUNK);
                    result = outlet.push(frame_chunk(&std::mem::replace(pending, rest))).await;
                }
                result
            }
            None => outlet.push(data).await,
        };
        if sent.is_err() {
            return Ok(None);
        }
    }
    let mut trailers: Vec<(String, String)> = Vec::new();
    if trailer {
        let mut trailer_signature = None;
        loop {
            let line = source.line(4096).await?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').ok_or_else(|| Refusal::BadRequest("A trailing header is malformed.".into()))?;
            let name = name.trim().to_ascii_lowercase();
            if name == "x-amz-trailer-signature" {
                trailer_signature = Some(value.trim().to_string());
            } else if trailers.len() < 8 {
                trailers.push((name, value.trim().to_string()));
            }
        }
        if let Some(chain) = chain.as_mut() {
            let canonical: String = trailers.iter().map(|(name, value)| format!("{name}:{value}\n")).collect();
            let signature = trailer_signature.ok_or_else(|| Refusal::BodyMismatch("The trailer lacks x-amz-trailer-signature.".into()))?;
            chain.check_trailer(&canonical, &signature)?;
        }
    } else if source.take(2).await?.as_ref() != b"\r\n" {
        return Err(Refusal::BadRequest("The aws-chunked body does not end with CRLF.".into()));
    }
    if source.more().await? {
        return Err(Refusal::BadRequest("The aws-chunked body goes on after its last chunk.".into()));
    }
    if forwarding.decoded_length.is_some_and(|declared| decoded != declared) {
        return Err(Refusal::BadRequest("The aws-chunked body is shorter than x-amz-decoded-content-length.".into()));
    }
    let Some(pending) = rechunk else {
        return Ok(Some(None));
    };
    let mut last = if pending.is_empty() { Vec::new() } else { frame_chunk(&pending).to_vec() };
    last.extend_from_slice(b"0\r\n");
    for name in &forwarding.trailers {
        let value = trailers
            .iter()
            .find(|(sent, _)| sent == name)
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| Refusal::BadRequest(format!("The trailer {name} named in x-amz-trailer did not come.")))?;
        if Some(value.len()) != checksum_length(name) {
            return Err(Refusal::BadRequest(format!("The value of the trailer {name} is malformed.")));
        }
        last.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
    }
    last.extend_from_slice(b"\r\n");
    Ok(Some(Some(Bytes::from(last))))
}

fn frame_chunk(data: &[u8]) -> Bytes {
    let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
    framed.extend_from_slice(data);
    framed.extend_from_slice(b"\r\n");
    Bytes::from(framed)
}

/// The base64 length of a trailing checksum's value; None for a trailer the gateway does not forward.
pub fn checksum_length(name: &str) -> Option<usize> {
    match name {
        "x-amz-checksum-crc32" | "x-amz-checksum-crc32c" => Some(8),
        "x-amz-checksum-crc64nvme" => Some(12),
        "x-amz-checksum-sha1" => Some(28),
        "x-amz-checksum-sha256" => Some(44),
        _ => None,
    }
}

/// The length of the re-chunked body forwarded with `trailers` for `decoded` bytes of data.
pub fn rechunked_length(decoded: u64, trailers: &[String]) -> Option<u64> {
    let chunk = OUT_CHUNK as u64;
    let framed = |size: u64| format!("{size:x}").len() as u64 + 2 + size + 2;
    let (full, rest) = (decoded / chunk, decoded % chunk);
    let mut length = full * framed(chunk) + if rest > 0 { framed(rest) } else { 0 } + 3 + 2;
    for name in trailers {
        length += name.len() as u64 + 1 + checksum_length(name)? as u64 + 2;
    }
    Some(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(body: &'static [u8], payload: Payload, forwarding: Forwarding) -> (Result<u64, Refusal>, Vec<u8>) {
        let (sender, mut channel) = ChannelBody::new(None);
        let pumping = tokio::spawn(pump(Source::new(Body::from(body)), payload, forwarding, sender));
        let mut received = Vec::new();
        while let Some(Ok(frame)) = channel.frame().await {
            received.extend_from_slice(&frame.into_data().unwrap());
        }
        (pumping.await.unwrap(), received)
    }

    #[tokio::test]
    async fn an_unsigned_trailer_body_is_rechunked_with_its_checksum() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let trailers = vec!["x-amz-checksum-crc32".to_string()];
        let forwarding = Forwarding { trailers: trailers.clone(), decoded_length: Some(11) };
        let (outcome, received) = run(body, Payload::Chunked { chain: None, trailer: true }, forwarding).await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(received, b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
        assert_eq!(rechunked_length(11, &trailers), Some(received.len() as u64));
    }

    #[tokio::test]
    async fn a_wrong_body_hash_breaks_the_upstream_body() {
        let wrong = "0".repeat(64);
        let forwarding = Forwarding { trailers: Vec::new(), decoded_length: None };
        let (outcome, received) = run(b"some bytes", Payload::Sha256(wrong), forwarding).await;
        assert!(matches!(outcome, Err(Refusal::BodyMismatch(_))), "{outcome:?}");
        assert!(received.is_empty(), "the held-back piece must not reach the upstream");
    }

    #[tokio::test]
    async fn a_body_longer_than_declared_is_refused() {
        let forwarding = Forwarding { trailers: Vec::new(), decoded_length: Some(3) };
        let (outcome, _) = run(b"5\r\nhello\r\n0\r\n\r\n", Payload::Chunked { chain: None, trailer: false }, forwarding).await;
        assert!(matches!(outcome, Err(Refusal::BadRequest(_))), "{outcome:?}");
    }
}

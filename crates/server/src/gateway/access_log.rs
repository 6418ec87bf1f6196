//! One structured log line per gateway request (target `cognate::gateway`): who, which action
//! on which resource, the decision, the upstream's status, the bytes each way and the time,
//! written when the answer's body has been sent (or abandoned).

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Bytes;
use http_body::{Frame, SizeHint};

/// What one request's log line says.
#[derive(Debug)]
pub struct AccessLog {
    pub request_id: String,
    pub peer: SocketAddr,
    pub method: String,
    pub path: String,
    pub service: &'static str,
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub decision: &'static str,
    pub status: u16,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub started: Instant,
    /// Where the request is counted when its line is written.
    pub metrics: std::sync::Arc<crate::counters::Metrics>,
}

impl AccessLog {
    pub fn new(request_id: String, peer: SocketAddr, method: &str, path: &str, metrics: std::sync::Arc<crate::counters::Metrics>) -> AccessLog {
        AccessLog {
            request_id,
            peer,
            method: method.to_string(),
            path: path.to_string(),
            service: "-",
            principal: "-".into(),
            action: "-".into(),
            resource: "-".into(),
            decision: "-",
            status: 0,
            bytes_in: 0,
            bytes_out: 0,
            started: Instant::now(),
            metrics,
        }
    }

    pub fn write(&self, completed: bool) {
        self.metrics.observe_gateway(&crate::counters::GatewayObserved {
            service: self.service,
            decision: self.decision,
            status: self.status,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
            latency: self.started.elapsed(),
        });
        tracing::info!(
            target: "cognate::gateway",
            request_id = %self.request_id,
            peer = %self.peer,
            method = %self.method,
            path = %self.path,
            service = %self.service,
            principal = %self.principal,
            action = %self.action,
            resource = %self.resource,
            decision = %self.decision,
            status = self.status,
            bytes_in = self.bytes_in,
            bytes_out = self.bytes_out,
            latency_ms = self.started.elapsed().as_millis() as u64,
            completed,
            "gateway request"
        );
    }
}

/// The upstream's answer on its way to the client, counted; the log line is written at its end.
pub struct Counted<B: http_body::Body> {
    inner: B,
    log: Option<AccessLog>,
}

impl<B: http_body::Body> Counted<B> {
    pub fn new(inner: B, log: AccessLog) -> Counted<B> {
        Counted { inner, log: Some(log) }
    }
}

impl<B> http_body::Body for Counted<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(context);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(log)) = (frame.data_ref(), self.log.as_mut()) {
                    log.bytes_out += data.len() as u64;
                }
            }
            Poll::Ready(None) => {
                if let Some(log) = self.log.take() {
                    log.write(true);
                }
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B: http_body::Body> Drop for Counted<B> {
    fn drop(&mut self) {
        if let Some(log) = self.log.take() {
            // Not polled to its end: complete if nothing was left to send (a known length sent whole).
            log.write(self.inner.is_end_stream());
        }
    }
}

//! The HTTP/1.1 connection loop. Each accepted connection takes one of a fixed number of places
//! (a connection over the cap is closed at once); with TLS, it has the header timeout to finish
//! its handshake; a client has a bounded time to send each
//! request's headers, which is also how long a kept-alive connection may sit idle; and on
//! shutdown the loop stops accepting, in-flight requests get until a deadline to finish, the
//! push WebSockets are closed with a close frame, and whatever is left is dropped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::io::{AsyncRead, AsyncWrite};
use tower_service::Service;

use crate::proxies::{ClientOrigin, TrustedProxies};
use crate::tls::Certificates;

/// Bounds on what connections may hold: how many, and for how long.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    /// For a request's headers, and for an idle kept-alive connection.
    pub header_timeout: std::time::Duration,
    /// For a whole request.
    pub request_timeout: std::time::Duration,
    /// For in-flight requests after a shutdown signal.
    pub drain: std::time::Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 768,
            header_timeout: std::time::Duration::from_secs(10),
            request_timeout: std::time::Duration::from_secs(30),
            drain: std::time::Duration::from_secs(10),
        }
    }
}
impl ConnectionLimits {
    /// The configured values over the defaults; zero is refused.
    pub fn resolve(max_connections: Option<usize>, header: Option<u64>, request: Option<u64>, drain: Option<u64>) -> Result<ConnectionLimits, String> {
        let defaults = ConnectionLimits::default();
        let seconds = |value: Option<u64>, default: Duration, what: &str| match value {
            None => Ok(default),
            Some(0) => Err(format!("{what} must be at least 1 second")),
            Some(value) => Ok(Duration::from_secs(value)),
        };
        Ok(ConnectionLimits {
            max_connections: match max_connections {
                Some(0) => return Err("max_connections must be at least 1".into()),
                Some(value) => value,
                None => defaults.max_connections,
            },
            header_timeout: seconds(header, defaults.header_timeout, "header_timeout_seconds")?,
            request_timeout: seconds(request, defaults.request_timeout, "request_timeout_seconds")?,
            drain: seconds(drain, defaults.drain, "drain_seconds")?,
        })
    }
}

/// How a listener meets its clients: the bounds on connections, TLS if any, and the proxies
/// whose forwarding headers are believed.
#[derive(Clone, Default)]
pub struct Front {
    pub limits: ConnectionLimits,
    pub tls: Option<Certificates>,
    pub proxies: Arc<TrustedProxies>,
}


/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module
/// docs). `on_drain` runs when draining starts (the push hub closes its WebSockets there).
pub async fn run(
    listener: TcpListener,
    router: Router,
    front: Front,
    shutdown: impl Future<Output = ()>,
    on_drain: impl FnOnce(),
) {
    let limits = front.limits.clone();
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let (draining, drain_signal) = tokio::sync::watch::channel(false);
    let mut last_refusal_log: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors or a transient error: pause instead of spinning.
                    tracing::warn!(%error, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(place) = places.clone().try_acquire_owned() else {
            if last_refusal_log.is_none_or(|at| at.elapsed() > Duration::from_secs(1)) {
                tracing::warn!(max = limits.max_connections, "connection limit reached: closing new connections");
                last_refusal_log = Some(Instant::now());
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let drain_signal = drain_signal.clone();
        let front = front.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let Some(tls) = &front.tls else {
                let service = PeerAddress { router, peer, proxies: front.proxies.clone(), tls: false };
                return serve_connection(stream, service, &front.limits, drain_signal, place).await;
            };
            match tokio::time::timeout(front.limits.header_timeout, tls.acceptor().accept(stream)).await {
                Ok(Ok(stream)) => {
                    let service = PeerAddress { router, peer, proxies: front.proxies.clone(), tls: true };
                    serve_connection(stream, service, &front.limits, drain_signal, place).await
                }
                Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; in-flight requests have {:?} to finish", limits.drain);
    let _ = draining.send(true);
    on_drain();
    let every_place = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    tokio::select! {
        _ = places.acquire_many(every_place) => tracing::info!("every connection finished"),
        _ = tokio::time::sleep(limits.drain) => tracing::warn!("drain deadline reached; closing the connections still open"),
    }
}

/// Serves one connection until it ends, or until draining starts and its request in flight,
/// if any, is done.
async fn serve_connection<I>(
    io: I,
    service: PeerAddress,
    limits: &ConnectionLimits,
    mut drain_signal: tokio::sync::watch::Receiver<bool>,
    place: tokio::sync::OwnedSemaphorePermit,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = service.peer;
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(service)).with_upgrades();
    tokio::pin!(connection);
    let outcome = tokio::select! {
        outcome = connection.as_mut() => outcome,
        _ = drain_signal.changed() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = outcome {
        tracing::debug!(%error, %peer, "connection ended with an error");
    }
    drop(place);
}

/// The router, with the client's address (for per-address limits and logs) and the origin it
/// asked for added to each request; both as a trusted proxy forwards them.
#[derive(Clone)]
struct PeerAddress {
    router: Router,
    peer: SocketAddr,
    proxies: Arc<TrustedProxies>,
    tls: bool,
}

impl Service<hyper::Request<Incoming>> for PeerAddress {
    type Response = <Router as Service<hyper::Request<Incoming>>>::Response;
    type Error = <Router as Service<hyper::Request<Incoming>>>::Error;
    type Future = <Router as Service<hyper::Request<Incoming>>>::Future;

    fn poll_ready(&mut self, context: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        <Router as Service<hyper::Request<Incoming>>>::poll_ready(&mut self.router, context)
    }

    fn call(&mut self, mut request: hyper::Request<Incoming>) -> Self::Future {
        let (client, origin): (SocketAddr, ClientOrigin) = self.proxies.client(self.peer, request.headers(), self.tls);
        request.extensions_mut().insert(ConnectInfo(client));
        request.extensions_mut().insert(origin);
        self.router.call(request)
    }
}

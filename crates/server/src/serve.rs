//! The HTTP/1.1 connection loop. Each accepted connection takes one of a fixed number of places
//! (a connection over the cap is closed at once); a client has a bounded time to send each
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
use tower_service::Service;

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


/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module
/// docs). `on_drain` runs when draining starts (the push hub closes its WebSockets there).
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
    on_drain: impl FnOnce(),
) {
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
        let service = TowerToHyperService::new(PeerAddress { router: router.clone(), peer });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
        let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let mut drain_signal = drain_signal.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = drain_signal.changed() => {
                    // Finish the request in flight, if any, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(place);
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

/// The router, with the client's address added to each request (for per-address limits).
#[derive(Clone)]
struct PeerAddress {
    router: Router,
    peer: SocketAddr,
}

impl Service<hyper::Request<Incoming>> for PeerAddress {
    type Response = <Router as Service<hyper::Request<Incoming>>>::Response;
    type Error = <Router as Service<hyper::Request<Incoming>>>::Error;
    type Future = <Router as Service<hyper::Request<Incoming>>>::Future;

    fn poll_ready(&mut self, context: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        <Router as Service<hyper::Request<Incoming>>>::poll_ready(&mut self.router, context)
    }

    fn call(&mut self, mut request: hyper::Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        self.router.call(request)
    }
}

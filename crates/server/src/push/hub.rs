//! `PushHub`: this node's WebSocket connections, the one delivery task that keeps changes in
//! commit order, the HTTP push gateway with retries, and the listener for changes committed on
//! other nodes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use serde_json::json;
use tokio::sync::mpsc;

use cognate_domain::ids::{IdentityId, IdentityPoolId};
use cognate_domain::sync::{ChangeSink, DatasetChange, Device, SyncService};


/// How often the gateway is tried for one notification, and the first pause between tries.
const GATEWAY_ATTEMPTS: u32 = 4;
const GATEWAY_FIRST_BACKOFF: Duration = Duration::from_millis(200);

struct Connection {
    pool_id: String,
    identity_id: String,
    device_id: String,
    sender: mpsc::UnboundedSender<String>,
}

/// The connections of this node and the delivery of changes to them.
pub struct PushHub {
    node_id: String,
    connections: Mutex<HashMap<u64, Connection>>,
    next_connection: AtomicU64,
    sync: OnceLock<SyncService>,
    gateway_url: Option<String>,
    http: reqwest::Client,
    /// Changes wait here for the one delivery task, which keeps them in commit order.
    queue: mpsc::UnboundedSender<DatasetChange>,
    pending: Mutex<Option<mpsc::UnboundedReceiver<DatasetChange>>>,
    /// Notifications sent to this node's sockets, accepted by the push gateway, and given up.
    to_sockets: AtomicU64,
    to_gateway: AtomicU64,
    gateway_dropped: AtomicU64,
}

/// The silent notification a device receives, with the fields of Cognito's push-sync payload.
pub fn payload(change: &DatasetChange) -> String {
    json!({
        "source": "cognito-sync",
        "identityPoolId": change.identity_pool_id,
        "identityId": change.identity_id,
        "datasetName": change.dataset_name,
        "syncCount": change.sync_count,
    })
    .to_string()
}

impl PushHub {
    pub fn new(node_id: String, gateway_url: Option<String>) -> Arc<PushHub> {
        let (queue, pending) = mpsc::unbounded_channel();
        Arc::new(PushHub {
            node_id,
            connections: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(1),
            sync: OnceLock::new(),
            gateway_url,
            http: crate::http_client::client_builder().timeout(Duration::from_secs(5)).build().unwrap_or_default(),
            queue,
            pending: Mutex::new(Some(pending)),
            to_sockets: AtomicU64::new(0),
            to_gateway: AtomicU64::new(0),
            gateway_dropped: AtomicU64::new(0),
        })
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Hands the hub the sync service it asks for subscriptions (they are created together) and
    /// starts the delivery task.
    pub fn attach(self: &Arc<Self>, sync: SyncService) {
        let _ = self.sync.set(sync);
        if let Some(mut pending) = self.pending.lock().expect("push queue lock").take() {
            let hub = Arc::downgrade(self);
            tokio::spawn(async move {
                while let Some(change) = pending.recv().await {
                    let Some(hub) = hub.upgrade() else {
                        return;
                    };
                    hub.deliver_now(change).await;
                }
            });
        }
    }

    /// Ends every WebSocket of this node with a close frame (1001, going away): the server is
    /// shutting down.
    pub fn close_all(&self) {
        // Dropping each connection's sender ends its loop, which sends the close frame.
        self.connections.lock().expect("push connections lock").clear();
    }

    /// Tells every WebSocket of this node to list its datasets again: notifications may have
    /// been missed (the listener for other nodes' changes lost its connection for a while).
    pub fn ask_to_resynchronise(&self) {
        let message = json!({"type": "resync"}).to_string();
        for connection in self.connections.lock().expect("push connections lock").values() {
            let _ = connection.sender.send(message.clone());
        }
    }

    pub fn connection_count(&self) -> usize {
        self.connections.lock().expect("push connections lock").len()
    }

    /// The connections open now and the notifications delivered so far, for the metrics.
    pub fn counts(&self) -> crate::counters::PushCounts {
        crate::counters::PushCounts {
            connections: self.connection_count(),
            to_sockets: self.to_sockets.load(Ordering::Relaxed),
            to_gateway: self.to_gateway.load(Ordering::Relaxed),
            gateway_dropped: self.gateway_dropped.load(Ordering::Relaxed),
        }
    }

    fn connected_to(&self, change: &DatasetChange) -> bool {
        self.connections
            .lock()
            .expect("push connections lock")
            .values()
            .any(|connection| connection.identity_id == change.identity_id && connection.pool_id == change.identity_pool_id)
    }

    /// Queues a change for delivery: to this node's connections, and (when it was committed
    /// here) to the push gateway. The write that caused it does not wait.
    pub fn deliver(&self, change: DatasetChange) {
        let _ = self.queue.send(change);
    }

    async fn deliver_now(self: Arc<Self>, change: DatasetChange) {
        let committed_here = change.origin == self.node_id;
        let to_gateway = committed_here && self.gateway_url.is_some();
        if !to_gateway && !self.connected_to(&change) {
            return;
        }
        let Some(sync) = self.sync.get() else {
            return;
        };
        let (Ok(pool_id), Ok(identity_id)) = (IdentityPoolId::parse(change.identity_pool_id.as_str()), IdentityId::parse(change.identity_id.as_str())) else {
            return;
        };
        let devices = match sync.subscribers(&pool_id, &identity_id, &change.dataset_name).await {
            Ok(devices) => devices,
            Err(error) => {
                tracing::warn!(%error, "reading the subscribers of a dataset");
                return;
            }
        };
        let devices: Vec<Device> =
            devices.into_iter().filter(|device| Some(device.device_id.as_str()) != change.device_id.as_deref()).collect();
        let message = payload(&change);
        {
            let connections = self.connections.lock().expect("push connections lock");
            for connection in connections.values() {
                let subscribed = devices
                    .iter()
                    .any(|device| device.device_id == connection.device_id && device.identity_id == connection.identity_id);
                if subscribed && connection.pool_id == change.identity_pool_id && connection.sender.send(message.clone()).is_ok() {
                    self.to_sockets.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if to_gateway {
            for device in devices {
                tokio::spawn(self.clone().post_to_gateway(device, message.clone()));
            }
        }
    }

    /// One POST per device to the push gateway, retried with exponential backoff.
    async fn post_to_gateway(self: Arc<Self>, device: Device, message: String) {
        let Some(url) = &self.gateway_url else {
            return;
        };
        let body = json!({
            "platform": device.platform,
            "token": device.token,
            "deviceId": device.device_id,
            "payload": serde_json::from_str::<serde_json::Value>(&message).unwrap_or_default(),
        });
        let mut backoff = GATEWAY_FIRST_BACKOFF;
        for attempt in 1..=GATEWAY_ATTEMPTS {
            match self.http.post(url).json(&body).send().await {
                Ok(response) if response.status().is_success() => {
                    self.to_gateway.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Ok(response) => tracing::warn!(status = %response.status(), attempt, "the push gateway refused a notification"),
                Err(error) => tracing::warn!(%error, attempt, "the push gateway did not answer"),
            }
            if attempt < GATEWAY_ATTEMPTS {
                tokio::time::sleep(backoff).await;
                backoff *= 4;
            }
        }
        self.gateway_dropped.fetch_add(1, Ordering::Relaxed);
        tracing::error!(device = %device.device_id, "a push notification was dropped after {GATEWAY_ATTEMPTS} attempts");
    }
}

/// The domain's sink: a committed change goes to the hub.
pub struct HubSink(pub Arc<PushHub>);

impl ChangeSink for HubSink {
    fn publish(&self, change: &DatasetChange) {
        self.0.deliver(change.clone());
    }
}

/// Carries changes committed on other nodes (PostgreSQL NOTIFY) to this node's connections.
/// Reconnects after a failure.
pub async fn listen_to_other_nodes(hub: Arc<PushHub>, database_url: String) {
    let mut lost = false;
    loop {
        match cognate_store::SyncListener::connect(&database_url).await {
            Ok(mut listener) => loop {
                if std::mem::take(&mut lost) {
                    // Changes committed elsewhere while this node was not listening were not
                    // delivered: the devices connected here list their datasets again.
                    tracing::info!("the sync listener is back; asking connected devices to resynchronise");
                    hub.ask_to_resynchronise();
                }
                match listener.next().await {
                    Ok(payload) => match serde_json::from_str::<DatasetChange>(&payload) {
                        Ok(change) if change.origin != hub.node_id => hub.deliver(change),
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "an unreadable sync notification"),
                    },
                    Err(error) => {
                        tracing::warn!(%error, "the sync listener lost its connection");
                        lost = true;
                        break;
                    }
                }
            },
            Err(error) => {
                tracing::warn!(%error, "the sync listener could not connect");
                lost = true;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Streams one device's notifications to its WebSocket until either side closes.
pub async fn serve_connection(hub: Arc<PushHub>, mut socket: WebSocket, pool_id: String, identity_id: String, device_id: String) {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let id = hub.next_connection.fetch_add(1, Ordering::Relaxed);
    hub.connections.lock().expect("push connections lock").insert(
        id,
        Connection { pool_id, identity_id, device_id, sender },
    );
    let _ = socket.send(Message::Text(json!({"type": "ready"}).to_string().into())).await;
    loop {
        tokio::select! {
            outgoing = receiver.recv() => match outgoing {
                Some(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                None => {
                    let frame = axum::extract::ws::CloseFrame { code: 1001, reason: "the server is shutting down".into() };
                    let _ = socket.send(Message::Close(Some(frame))).await;
                    break;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    hub.connections.lock().expect("push connections lock").remove(&id);
}

//! Push notifications for Cognito Sync: the WebSocket endpoint `/sync/push` (authenticated by a
//! SigV4-presigned URL for `cognito-sync`), the hub that tells connected devices when a dataset
//! they subscribed to changes, the HTTP push gateway for platform devices (GCM, APNS, ADM), and
//! the PostgreSQL listener that carries changes committed on other nodes.
//!
//! A change is delivered to every subscribed device of the identity except the one that made it.
//! Each node delivers to its own WebSocket connections; only the node that committed a change
//! posts it to the push gateway, so a platform device hears of it once.


pub mod hub;
pub mod socket;

pub use hub::{listen_to_other_nodes, payload, HubSink, PushHub};
pub use socket::websocket;

//! The one integration-test binary: every test boots the real server on an ephemeral port over
//! a fresh store and drives it with real clients (the AWS SDK for Rust, reqwest).

mod harness;

mod auth;
mod auth_events;
mod clients;
mod concurrency;
mod devices;
mod cluster;
mod federation;
mod fidelity;
mod fuzz;
mod groups;
mod hosted;
mod iam;
mod import;
mod limits;
mod mfa;
mod oauth;
mod operator;
mod outage;
mod passkeys;
mod pools;
mod refresh;
mod sign_up;
mod tidy;
mod transfer;
pub mod sync_push;
mod trust;
mod protocol;
mod user_auth;
mod users;

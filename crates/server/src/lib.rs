#![forbid(unsafe_code)]
//! The cognate server: configuration, the AWS wire protocols, the API front ends and the HTTP
//! application that serves them all on one port.

pub mod app;
pub mod aws;
pub mod config;
pub mod dispatch;
pub mod hosted;
pub mod http_client;
pub mod iam;
pub mod keys;
pub mod identity;
pub mod idp;
pub mod oauth;
pub mod outbox;
pub mod push;
pub mod rate;
pub mod serve;
pub mod smtp;
pub mod streams;
pub mod sts;
pub mod sync;
pub mod wellknown;

#![forbid(unsafe_code)]
//! The cognate server: configuration, the AWS wire protocols, the API front ends and the HTTP
//! application that serves them all on one port.

pub mod api;
pub mod app;
pub mod apply;
pub mod auth;
pub mod cognito_api;
pub mod aws;
pub mod config;
pub mod counters;
pub mod data_dir;
pub mod dispatch;
pub mod from_cognito;
pub mod front_door;
pub mod gateway;
pub mod http_client;
pub mod import_upload;
pub mod keys;
pub mod kms;
pub mod lambda;
pub mod log_writer;
pub mod metrics;
pub mod observing;
pub mod outbox;
pub mod proxies;
pub mod push;
pub mod qr;
pub mod rate;
pub mod secret;
pub mod serve;
pub mod smtp;
pub mod state;
pub mod stream_sink;
pub mod tls;
pub mod transfer;
pub mod trigger_services;
pub mod web;

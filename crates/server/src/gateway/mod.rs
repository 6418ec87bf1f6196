//! The SigV4 gateway: a second listener in front of S3, DynamoDB and any HTTP API. Each request's
//! signature is verified as the service verifies it ([`signature`], [`body`]) with cognate's
//! temporary credentials or IAM users' keys; its action, resource and condition keys are derived
//! as AWS derives them ([`s3`], [`dynamodb`], [`execute_api`]); the policy engine decides; and
//! the request goes to the upstream the credential scope's service names, signed anew with the
//! upstream's own key ([`upstream`]), bodies streaming both ways. Refusals come in the service's
//! own format ([`refusal`]); every request leaves one access log line ([`access_log`]).

pub mod access_log;
pub mod body;
pub mod check;
pub mod client_body;
pub mod config;
pub mod dynamodb;
pub mod execute_api;
pub mod refusal;
pub mod s3;
pub mod signature;
pub mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::Router;

use crate::auth::{self, AuthFailure, Principal};
use crate::aws::sigv4::{self, SignedParts};
use crate::state::AppState;
use access_log::{AccessLog, Counted};
use body::{ChannelBody, Source};
use client_body::{drained, forwarding, header_number, header_text, BodyState};
use check::Check;
use config::{GatewayConfig, Upstream};
use dynamodb::KeySchema;
use refusal::{Refusal, Service};
use signature::Payload;
use upstream::Outgoing;

/// Bodies read whole before they are checked (every service but S3 signs its body's hash).
const DYNAMODB_MAX_BODY: usize = 16 * 1024 * 1024;
const EXECUTE_API_MAX_BODY: usize = 10 * 1024 * 1024;
const DELETE_OBJECTS_MAX_BODY: usize = 2 * 1024 * 1024;
/// How long a table's key schema is trusted before it is asked again.
const SCHEMA_TTL: Duration = Duration::from_secs(60);

/// The gateway's shared parts.
pub struct Gateway {
    state: AppState,
    config: GatewayConfig,
    client: reqwest::Client,
    schemas: Mutex<HashMap<String, (Instant, KeySchema)>>,
}

impl Gateway {
    pub fn new(state: AppState, config: GatewayConfig) -> Result<Arc<Gateway>, String> {
        let client = crate::http_client::client_builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("building the gateway's HTTP client: {error}"))?;
        Ok(Arc::new(Gateway { state, config, client, schemas: Mutex::new(HashMap::new()) }))
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self)
    }

    fn upstream(&self, name: &str) -> Result<&Upstream, Refusal> {
        self.config.upstreams.get(name).ok_or_else(|| Refusal::NoUpstream(format!("The gateway has no upstream for {name}.")))
    }
}

async fn handle(State(gateway): State<Arc<Gateway>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string()[..16].to_ascii_uppercase();
    let (parts, body) = request.into_parts();
    let mut log = AccessLog::new(request_id.clone(), peer, parts.method.as_str(), parts.uri.path(), gateway.state.metrics.clone());
    let mut service = None;
    let mut body = BodyState::Unread(body);
    match gateway.forward(&parts, &mut body, peer, &mut log, &mut service).await {
        Ok(response) => {
            log.status = response.status().as_u16();
            log.decision = "allowed";
            upstream::answer(response, move |body| Counted::new(body, log))
        }
        Err(refusal) => {
            if matches!(refusal, Refusal::Internal | Refusal::Upstream(_) | Refusal::NoUpstream(_)) {
                tracing::warn!(target: "cognate::gateway", ?refusal, "a gateway request failed");
            }
            let mut response = refusal.respond(service, parts.method == Method::HEAD, &request_id);
            if !drained(&parts.headers, body).await {
                response.headers_mut().insert("connection", axum::http::HeaderValue::from_static("close"));
            }
            log.decision = refusal.decision();
            log.status = response.status().as_u16();
            log.write(true);
            response
        }
    }
}

impl Gateway {
    async fn forward(
        &self,
        parts: &Parts,
        body: &mut BodyState,
        peer: SocketAddr,
        log: &mut AccessLog,
        service_seen: &mut Option<Service>,
    ) -> Result<reqwest::Response, Refusal> {
        let raw_query = parts.uri.query().unwrap_or("");
        let claim = signature::claim(raw_query, &parts.headers)?;
        let service = Service::from_scope(&claim.service)
            .ok_or_else(|| Refusal::NotImplemented(format!("The gateway serves s3, dynamodb and execute-api, not {}.", claim.service)))?;
        *service_seen = Some(service);
        log.service = service.name();
        let (principal, secret) = match auth::resolve_key(&self.state, &claim.access_key_id, claim.session_token.as_deref()).await {
            Ok((principal, Some(secret))) => (principal, secret),
            Ok((_, None)) => return Err(Refusal::UnknownAccessKey),
            Err(AuthFailure::Expired(message)) => return Err(Refusal::ExpiredToken(message)),
            Err(_) => return Err(Refusal::Internal),
        };
        log.principal = principal.arn(&self.state.config.account_id);
        let now = self.state.clock.now_millis().div_euclid(1000);
        let signed = SignedParts { method: parts.method.as_str(), raw_path: parts.uri.path(), raw_query, headers: &parts.headers, body: b"" };
        if service == Service::S3 {
            let payload = signature::verify(&claim, service, &signed, None, &secret, now)?;
            auth::note_key_used(&self.state, &principal, service.name(), &claim.region).await;
            return self.s3(parts, body, payload, &principal, &claim.region, peer, log).await;
        }
        let cap = if service == Service::DynamoDb { DYNAMODB_MAX_BODY } else { EXECUTE_API_MAX_BODY };
        let whole = body.read_all(cap).await?;
        log.bytes_in = whole.len() as u64;
        let hash = sigv4::sha256_hex(&whole);
        signature::verify(&claim, service, &signed, Some(&hash), &secret, now)?;
        auth::note_key_used(&self.state, &principal, service.name(), &claim.region).await;
        let account = self.state.config.account_id.as_str();
        let (upstream, mut outgoing) = if service == Service::DynamoDb {
            let operation = parts
                .headers
                .get("x-amz-target")
                .and_then(|value| value.to_str().ok())
                .and_then(|target| target.strip_prefix("DynamoDB_20120810."))
                .ok_or_else(|| Refusal::BadRequest("X-Amz-Target must name a DynamoDB_20120810 operation.".into()))?;
            let request: serde_json::Value =
                serde_json::from_slice(&whole).map_err(|_| Refusal::BadRequest("The request body is not JSON.".into()))?;
            let upstream = self.upstream("dynamodb")?;
            let schemas = self.schemas(upstream, &claim.region, &dynamodb::tables_needing_schema(operation, &request)).await?;
            let checks = dynamodb::checks(operation, &request, &claim.region, account, &schemas)?;
            self.authorize(&principal, &checks, peer, log).await?;
            (upstream, Outgoing::from_client(&parts.method, "/".into(), raw_query, &parts.headers, hash))
        } else {
            let route = execute_api::route(parts.uri.path())?;
            self.authorize(&principal, &[execute_api::check(&route, parts.method.as_str(), &claim.region, account)], peer, log).await?;
            let upstream = self.upstream(&format!("execute-api:{}", route.api_id))?;
            let mut outgoing = Outgoing::from_client(&parts.method, format!("/{}", route.rest), raw_query, &parts.headers, hash);
            for (name, value) in execute_api::identity_headers(&principal, account, route.stage) {
                outgoing.set(name, &value)?;
            }
            (upstream, outgoing)
        };
        outgoing.length = Some(whole.len() as u64);
        outgoing
            .send(&self.client, upstream, service.name(), &claim.region, now, reqwest::Body::from(whole))
            .await
            .map_err(Refusal::Upstream)
    }

    #[allow(clippy::too_many_arguments)]
    async fn s3(
        &self,
        parts: &Parts,
        body: &mut BodyState,
        payload: Payload,
        principal: &Principal,
        region: &str,
        peer: SocketAddr,
        log: &mut AccessLog,
    ) -> Result<reqwest::Response, Refusal> {
        let headers = &parts.headers;
        let host = parts.uri.authority().map(|authority| authority.as_str()).or_else(|| header_text(headers, "host"));
        let path = s3::path_style(parts.uri.path(), host, self.config.s3_domain.as_deref())?;
        let path = path.as_str();
        let raw_query = parts.uri.query().unwrap_or("");
        let presigned = headers.get("authorization").is_none();
        let mut checks = s3::checks(parts.method.as_str(), path, &s3::parameters(raw_query)?, headers, presigned)?;
        let upstream = self.upstream("s3")?;
        let out_path = sigv4::s3_canonical_uri(path);
        let now = self.state.clock.now_millis().div_euclid(1000);
        if checks.is_empty() {
            // DeleteObjects: the keys it deletes are in its body.
            let whole = body.read_all(DELETE_OBJECTS_MAX_BODY).await?;
            let hash = sigv4::sha256_hex(&whole);
            match &payload {
                Payload::Sha256(expected) if *expected != hash => return Err(Refusal::BodyMismatch("The body does not match x-amz-content-sha256.".into())),
                Payload::Chunked { .. } => return Err(Refusal::BadRequest("DeleteObjects takes a plain body.".into())),
                _ => {}
            }
            checks = s3::delete_checks(path, &whole)?;
            self.authorize(principal, &checks, peer, log).await?;
            let mut outgoing = Outgoing::from_client(&parts.method, out_path, raw_query, headers, hash);
            outgoing.length = Some(whole.len() as u64);
            log.bytes_in = whole.len() as u64;
            return outgoing.send(&self.client, upstream, "s3", region, now, reqwest::Body::from(whole)).await.map_err(Refusal::Upstream);
        }
        self.authorize(principal, &checks, peer, log).await?;
        let declared_length = header_number(headers, "content-length");
        let has_body = declared_length.is_some_and(|length| length > 0) || headers.contains_key("transfer-encoding");
        let (forwarding, payload_hash, length) = forwarding(&payload, headers, declared_length)?;
        let mut outgoing = Outgoing::from_client(&parts.method, out_path, raw_query, headers, payload_hash);
        outgoing.length = length;
        if let Payload::Chunked { .. } = &payload {
            let trailer = !forwarding.trailers.is_empty();
            let encodings: Vec<&str> = header_text(headers, "content-encoding")
                .map(|value| value.split(',').map(str::trim).filter(|encoding| *encoding != "aws-chunked").collect())
                .unwrap_or_default();
            outgoing.headers.remove("content-encoding");
            outgoing.headers.remove("x-amz-decoded-content-length");
            outgoing.headers.remove("x-amz-trailer");
            let mut encodings = encodings.join(",");
            if trailer {
                encodings = if encodings.is_empty() { "aws-chunked".into() } else { format!("aws-chunked,{encodings}") };
                outgoing.set("x-amz-decoded-content-length", &forwarding.decoded_length.unwrap_or(0).to_string())?;
                outgoing.set("x-amz-trailer", &forwarding.trailers.join(","))?;
            }
            if !encodings.is_empty() {
                outgoing.set("content-encoding", &encodings)?;
            }
        }
        if !has_body {
            if matches!(&payload, Payload::Sha256(hash) if *hash != sigv4::sha256_hex(b"")) {
                return Err(Refusal::BodyMismatch("The body does not match x-amz-content-sha256.".into()));
            }
            if matches!(&payload, Payload::Chunked { .. }) {
                return Err(Refusal::MissingLength);
            }
            return outgoing.send(&self.client, upstream, "s3", region, now, reqwest::Body::from(Vec::new())).await.map_err(Refusal::Upstream);
        }
        let (sender, channel) = ChannelBody::new(length);
        let source = Source::new(body.take_for_streaming().ok_or(Refusal::Internal)?);
        let pumping = tokio::spawn(body::pump(source, payload, forwarding, sender));
        match outgoing.send(&self.client, upstream, "s3", region, now, reqwest::Body::wrap(channel)).await {
            Ok(response) => {
                if pumping.is_finished() {
                    if let Ok(Ok(received)) = pumping.await {
                        log.bytes_in = received;
                    }
                }
                Ok(response)
            }
            Err(error) => match pumping.await {
                Ok(Err(refusal)) => Err(refusal),
                _ => Err(Refusal::Upstream(error)),
            },
        }
    }

    /// Every check must be allowed; the log names the last one looked at.
    async fn authorize(&self, principal: &Principal, checks: &[Check], peer: SocketAddr, log: &mut AccessLog) -> Result<(), Refusal> {
        for check in checks {
            log.action = check.action.clone();
            log.resource = check.resource.clone();
            let mut context = check.context.clone();
            context.push(("aws:SourceIp", vec![peer.ip().to_string()]));
            context.push(("aws:SecureTransport", vec!["false".to_string()]));
            match auth::authorize_with(&self.state, principal, &check.action, &check.resource, &context).await {
                Ok(()) => {}
                Err(AuthFailure::Denied(message)) => return Err(Refusal::Denied(message)),
                Err(_) => return Err(Refusal::Internal),
            }
        }
        if let Some(first) = checks.first() {
            log.action = first.action.clone();
            log.resource = first.resource.clone();
        }
        Ok(())
    }

    /// The key schemas of the tables that exist, asked of the upstream (only found ones are kept,
    /// so a table created later is never taken for one without keys).
    async fn schemas(&self, upstream: &Upstream, region: &str, tables: &[String]) -> Result<HashMap<String, KeySchema>, Refusal> {
        let mut found = HashMap::new();
        for table in tables {
            let cache_key = format!("{}|{region}|{table}", upstream.url);
            let cached = self.schemas.lock().expect("the schema cache").get(&cache_key).cloned();
            if let Some((_, schema)) = cached.filter(|(at, _)| at.elapsed() < SCHEMA_TTL) {
                found.insert(table.clone(), schema);
                continue;
            }
            let body = serde_json::json!({ "TableName": table }).to_string();
            let mut outgoing = Outgoing::from_client(&Method::POST, "/".into(), "", &HeaderMap::new(), sigv4::sha256_hex(body.as_bytes()));
            outgoing.set("content-type", "application/x-amz-json-1.0")?;
            outgoing.set("x-amz-target", "DynamoDB_20120810.DescribeTable")?;
            outgoing.length = Some(body.len() as u64);
            let now = self.state.clock.now_millis().div_euclid(1000);
            let response = outgoing.send(&self.client, upstream, "dynamodb", region, now, reqwest::Body::from(body)).await.map_err(Refusal::Upstream)?;
            let status = response.status();
            let answer: serde_json::Value = response.json().await.unwrap_or_default();
            if status.is_success() {
                if let Some(schema) = KeySchema::from_description(&answer) {
                    self.schemas.lock().expect("the schema cache").insert(cache_key, (Instant::now(), schema.clone()));
                    found.insert(table.clone(), schema);
                }
            } else if !answer["__type"].as_str().unwrap_or("").ends_with("ResourceNotFoundException") {
                return Err(Refusal::Upstream(format!("DescribeTable {table} answered {status}")));
            }
        }
        Ok(found)
    }
}

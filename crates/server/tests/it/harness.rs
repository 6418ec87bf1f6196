//! Starting servers for tests and building clients for them.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider as idp;
use idp::config::{BehaviorVersion, Credentials, Region};
use idp::error::ProvideErrorMetadata;

use cognate_server::app::build_app_with_clock;
use cognate_server::config::{Config, Secret};

pub const ACCESS_KEY_ID: &str = "AKIATESTROOT00000001";
pub const SECRET_ACCESS_KEY: &str = "test-root-secret-access-key-0123456789ab";
pub const MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// Replaced by the address the server listens on; a test that sets another keeps it.
const PLACEHOLDER_PUBLIC_URL: &str = "http://127.0.0.1:0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and what a test needs to reach it.
pub struct TestServer {
    pub base_url: String,
    pub idp: idp::Client,
    /// Kept so that the data directory lives as long as the server.
    _data_dir: Arc<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

pub async fn database_url(backend: Backend, data_dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", data_dir.join("cognate.db").display()),
        Backend::Postgres => cognate_store::testing::fresh_postgres_database().await,
    }
}

pub fn test_config(data_dir: &std::path::Path, database_url: &str) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        database_url: cognate_server::config::DatabaseUrl(database_url.to_string()),
        public_url: PLACEHOLDER_PUBLIC_URL.into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        master_key: Some(Secret(MASTER_KEY.into())),
        root_credentials: Some((ACCESS_KEY_ID.into(), Secret(SECRET_ACCESS_KEY.into()))),
        insecure_accept_any_signature: false,
        max_body_bytes: 64 * 1024,
        smtp_url: None,
        mail_from: "cognate <no-reply@localhost>".into(),
        smtp_ca_pem: None,
        providers: Default::default(),
        push_gateway_url: None,
        stream_sink_url: None,
        sms_webhook_url: None,
        trigger_services: Default::default(),
        password_hashing: Default::default(),
        connections: Default::default(),
        rate_limit_per_address: 50,
        rate_limit_per_client: 500,
        revoke_tokens_on_password_reset: false,
        saml_allow_sha1: false,
        gateway: None,
        tls: None,
        trusted_proxies: Default::default(),
        observing: Default::default(),
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        let data_dir = Arc::new(tempfile::tempdir().unwrap());
        let database_url = database_url(backend, data_dir.path()).await;
        Self::start_with(test_config(data_dir.path(), &database_url), data_dir).await
    }

    pub async fn start_with(config: Config, data_dir: Arc<tempfile::TempDir>) -> TestServer {
        Self::start_with_clock(config, data_dir, Arc::new(cognate_domain::clock::SystemClock)).await
    }

    /// Starts a server whose clock the test controls. Unless the test chose one, the public URL
    /// becomes the address the server listens on, so that issuers and JWKS URLs are reachable.
    pub async fn start_with_clock(
        mut config: Config,
        data_dir: Arc<tempfile::TempDir>,
        clock: Arc<dyn cognate_domain::clock::Clock>,
    ) -> TestServer {
        cognate_server::tls::install_crypto_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        if config.public_url == PLACEHOLDER_PUBLIC_URL {
            config.public_url = base_url.clone();
        }
        let front = cognate_server::serve::Front { limits: config.connections.clone(), tls: None, proxies: config.trusted_proxies.clone() };
        let app = build_app_with_clock(config, clock).await.expect("the server starts");
        app.keep_generated_root_credentials().expect("generated root credentials are written");
        let (shutdown, shutdown_received) = tokio::sync::oneshot::channel::<()>();
        let push = app.state.push.clone();
        let task = tokio::spawn(async move {
            let stop = async {
                let _ = shutdown_received.await;
            };
            cognate_server::serve::run(listener, app.router, front, stop, move || push.close_all()).await;
        });
        let idp = idp_client(&base_url, ACCESS_KEY_ID, SECRET_ACCESS_KEY);
        TestServer { base_url, idp, _data_dir: data_dir, shutdown: Some(shutdown), task: Some(task) }
    }

    /// Stops the server and waits until it has finished.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

fn idp_config_builder(base_url: &str, access_key_id: &str, secret_access_key: &str) -> idp::config::Builder {
    idp::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(access_key_id, secret_access_key, None, None, "cognate-tests"))
        .endpoint_url(base_url)
        .retry_config(idp::config::retry::RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
}

/// An SDK client signing with the given key pair.
pub fn idp_client(base_url: &str, access_key_id: &str, secret_access_key: &str) -> idp::Client {
    idp::Client::from_conf(idp_config_builder(base_url, access_key_id, secret_access_key).build())
}

/// An SDK client whose clock is `offset_seconds` away from the real one.
pub fn idp_client_with_clock_offset(base_url: &str, offset_seconds: i64) -> idp::Client {
    let now = std::time::SystemTime::now();
    let shifted = if offset_seconds >= 0 {
        now + std::time::Duration::from_secs(offset_seconds as u64)
    } else {
        now - std::time::Duration::from_secs((-offset_seconds) as u64)
    };
    let config = idp_config_builder(base_url, ACCESS_KEY_ID, SECRET_ACCESS_KEY)
        .time_source(aws_smithy_async::time::StaticTimeSource::new(shifted))
        .build();
    idp::Client::from_conf(config)
}

/// The AWS error code of a failed SDK call.
pub fn error_code<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(error: &idp::error::SdkError<E, R>) -> String {
    match error {
        idp::error::SdkError::ServiceError(service_error) => service_error.err().code().unwrap_or("").to_string(),
        other => format!("not a service error: {other:?}"),
    }
}

/// A unique name for resources of one test.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple().to_string().get(..10).unwrap())
}

/// Sends a CreateUserPool request and returns the new pool's id.
pub async fn pool_from(request: idp::operation::create_user_pool::builders::CreateUserPoolFluentBuilder) -> String {
    request.send().await.unwrap().user_pool.unwrap().id.unwrap()
}

/// Creates a pool with default settings and returns its id.
pub async fn create_pool(server: &TestServer) -> String {
    server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap()
}

/// Creates an app client without a secret that allows USER_PASSWORD_AUTH and refresh; returns
/// its id.
pub async fn password_client(server: &TestServer, pool_id: &str) -> String {
    server
        .idp
        .create_user_pool_client()
        .user_pool_id(pool_id)
        .client_name("app")
        .explicit_auth_flows(idp::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(idp::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap()
}

/// A raw JSON 1.1 POST without a signature.
pub async fn raw_post(base_url: &str, target: &str, body: &str) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let response = reqwest::Client::new()
        .post(format!("{base_url}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, value, headers)
}

/// `on_each_backend!(name, body)`: a test per backend of `body(Backend)`, for tests that start
/// their own servers.
#[macro_export]
macro_rules! on_each_backend {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body(crate::harness::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body(crate::harness::Backend::Postgres).await;
            }
        }
    };
}

/// Runs an async test body once per storage backend, on a server started for it.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::harness::TestServer::start($crate::harness::Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::harness::TestServer::start($crate::harness::Backend::Postgres).await).await;
            }
        }
    };
}

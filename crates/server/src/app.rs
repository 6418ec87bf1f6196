//! Building the application: open the store, load the keys, and assemble the one router that
//! serves every protocol on the port. [`build_app`] takes its [`Config`] by value and keeps no
//! global state, so several servers can run in one process (the tests do).

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::{Extension, Router};

use cognate_domain::clock::{Clock, SystemClock};
use cognate_domain::crypto::MasterKey;
use cognate_domain::store::Store;
use cognate_domain::federation::ExternalVerifier;
use cognate_domain::iam::IamService;
use cognate_domain::identity_pool::IdentityPoolService;
use cognate_domain::sync::SyncService;
use cognate_domain::user_pool::UserPoolService;
use cognate_store::SqlStore;

use crate::aws::json::ApiError;
use crate::config::Config;
use crate::data_dir::{load_or_create_master_key, load_or_generate_root_credentials, make_private_database, sqlite_path};
pub use crate::data_dir::prepare_data_dir;
use crate::dispatch::AwsApis;
use crate::state::{AppState, RequestId, RootCredentials};

/// The assembled application.
pub struct App {
    pub router: Router,
    pub state: AppState,
    /// Where root credentials this start generated go, once the caller is sure to start
    /// ([`App::keep_generated_root_credentials`]); None when they were configured or read.
    pub generated_root_credentials: Option<std::path::PathBuf>,
}

impl App {
    /// Writes root credentials this start generated into the data directory, once the server is
    /// sure to run (its listeners bound); the path when it did, for the caller to show them.
    pub fn keep_generated_root_credentials(&self) -> Result<Option<&Path>, String> {
        match &self.generated_root_credentials {
            Some(path) => {
                crate::data_dir::write_root_credentials(path, &self.state.root)?;
                Ok(Some(path))
            }
            None => Ok(None),
        }
    }
}

pub(crate) const MASTER_KEY_CHECK: &str = "master-key-check";

pub async fn build_app(config: Config) -> Result<App, String> {
    build_app_with_clock(config, Arc::new(SystemClock)).await
}

pub async fn build_app_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<App, String> {
    let (store, master_key) = open_store(&config).await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let (root, generated_root_credentials) = match &config.root_credentials {
        Some((access_key_id, secret)) => {
            (RootCredentials { access_key_id: access_key_id.clone(), secret_access_key: secret.clone() }, None)
        }
        None => load_or_generate_root_credentials(&config.data_dir.join("root-credentials"))?,
    };
    let metrics = Arc::new(crate::counters::Metrics::new(config.observing.metrics));
    let mut user_pools = UserPoolService::new(
        store.clone(),
        clock.clone(),
        master_key.clone(),
        config.region.clone(),
        config.account_id.clone(),
        config.public_url.clone(),
    );
    user_pools = user_pools.with_password_hashing(config.password_hashing).with_revocation_on_password_reset(config.revoke_tokens_on_password_reset).with_auth_event_retention(config.observing.auth_event_retention_ms()).with_tally(metrics.clone()).with_cognito_api(Arc::new(crate::cognito_api::CognitoClient::new()?)).with_saml_sha1(config.saml_allow_sha1);
    if let Some(lambda) = &config.trigger_services.lambda {
        user_pools = user_pools.with_lambda(Arc::new(crate::lambda::LambdaInvoke::new(&lambda.url, lambda.keys.clone(), &config.region)?));
    }
    if let Some(kms) = &config.trigger_services.kms {
        user_pools = user_pools.with_key_service(Arc::new(crate::kms::KmsClient::new(&kms.url, kms.keys.clone(), &config.region)?));
    }
    if let Some(url) = &config.sms_webhook_url {
        user_pools = user_pools.with_sms_channel(std::sync::Arc::new(crate::smtp::SmsWebhook::new(url)?));
    }
    if let Some(url) = &config.smtp_url {
        user_pools = user_pools.with_email_channel(Arc::new(crate::smtp::SmtpChannel::new(&url.0, &config.mail_from, config.smtp_ca_pem.as_deref())?));
    }
    let http: Arc<dyn cognate_domain::federation::HttpClient> = Arc::new(crate::http_client::ReqwestClient::new()?);
    let external = ExternalVerifier::new(http.clone(), clock.clone(), config.providers.clone());
    let user_pools = user_pools.with_external(external.clone());
    let iam = IamService::new(store.clone(), clock.clone(), master_key.clone(), config.account_id.clone()).with_saml_sha1(config.saml_allow_sha1);
    let identity_pools = IdentityPoolService::new(
        store.clone(),
        clock.clone(),
        master_key.clone(),
        config.region.clone(),
        config.account_id.clone(),
        format!("{}/{}", config.public_url, crate::web::wellknown::IDENTITY_PATH),
        user_pools.clone(),
        iam.clone(),
        external.clone(),
    );
    let push = crate::push::PushHub::new(uuid::Uuid::new_v4().to_string(), config.push_gateway_url.clone());
    let outbound = crate::http_client::client_builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|error| format!("building the HTTP client: {error}"))?;
    let sync = SyncService::new(
        store.clone(),
        clock.clone(),
        master_key,
        identity_pools.clone(),
        Arc::new(crate::push::HubSink(push.clone())),
        push.node_id().to_string(),
        http,
        config.region.clone(),
    );
    let sync = match &config.stream_sink_url {
        Some(url) => sync.with_stream_sink(Arc::new(crate::stream_sink::HttpStreamSink { http: outbound.clone(), url: url.clone() })),
        None => sync,
    };
    push.attach(sync.clone());
    if cognate_store::Dialect::of_url(&config.database_url) == Some(cognate_store::Dialect::Postgres) {
        tokio::spawn(crate::push::listen_to_other_nodes(push.clone(), config.database_url.0.clone()));
    }
    let rate_limits = Arc::new(crate::rate::RateLimits::new(config.rate_limit_per_address, config.rate_limit_per_client));
    let state = AppState::new(crate::state::Shared {
        config: Arc::new(config),
        store,
        clock,
        user_pools,
        iam,
        identity_pools,
        external,
        sync,
        push,
        outbound,
        root,
        rate_limits,
        metrics,
    });
    let router = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(crate::metrics::scrape))
        .merge(crate::web::console::routes())
        .route("/_cognate/outbox", get(crate::outbox::list))
        .route("/_cognate/signing-keys/rotate", post(crate::keys::rotate))
        .route("/_cognate/user-import/{pool_id}/{job_id}", put(crate::import_upload::upload))
        .route("/_cognate/user-import/{pool_id}/{job_id}/errors", get(crate::import_upload::errors))
        .route("/{pool_id}/.well-known/jwks.json", get(crate::web::wellknown::jwks))
        .route("/cognito-identity/.well-known/jwks_uri", get(crate::web::wellknown::identity_jwks))
        .route("/{pool_id}/oauth2/token", post(crate::web::oauth::token))
        .route("/{pool_id}/oauth2/revoke", post(crate::web::oauth::revoke))
        .route("/{pool_id}/oauth2/userInfo", get(crate::web::oauth::user_info).post(crate::web::oauth::user_info))
        .route("/{pool_id}/.well-known/openid-configuration", get(crate::web::wellknown::openid_configuration))
        .route("/{pool_id}/oauth2/authorize", get(crate::web::hosted::authorize))
        .route("/{pool_id}/oauth2/idpresponse", get(crate::web::hosted::idp_response).post(crate::web::hosted::idp_response))
        .route("/{pool_id}/saml2/idpresponse", post(crate::web::hosted::saml_response))
        .route("/{pool_id}/saml2/metadata", get(crate::web::hosted::saml_metadata))
        .route("/{pool_id}/saml2/logout", get(crate::web::hosted::saml_logout).post(crate::web::hosted::saml_logout))
        .route("/{pool_id}/login", get(crate::web::hosted::login_page).post(crate::web::hosted::login_submit))
        .route("/{pool_id}/signup", get(crate::web::hosted::signup_page).post(crate::web::hosted::signup_submit))
        .route("/{pool_id}/confirm", get(crate::web::hosted::code_page).post(crate::web::hosted::code_submit))
        .route("/{pool_id}/confirmForgotPassword", get(crate::web::hosted::code_page).post(crate::web::hosted::code_submit))
        .route("/{pool_id}/forgotPassword", get(crate::web::hosted::forgot_page).post(crate::web::hosted::forgot_submit))
        .route("/{pool_id}/newPassword", post(crate::web::hosted::new_password_submit))
        .route("/{pool_id}/mfa", post(crate::web::hosted::mfa_submit))
        .route("/{pool_id}/passwordless", post(crate::web::hosted::passwordless_submit))
        .route("/{pool_id}/passkey", post(crate::web::hosted::passkey_submit))
        .route("/{pool_id}/passkeys/add", get(crate::web::hosted::add_passkey_page).post(crate::web::hosted::add_passkey_submit))
        .route("/{pool_id}/passkey.js", get(crate::web::hosted::passkey_script))
        .route("/{pool_id}/logout", get(crate::web::hosted::logout))
        .route("/{pool_id}/error", get(crate::web::hosted::error))
        .route("/{pool_id}/_ui/{client_id}/logo", get(crate::web::hosted::logo))
        .route("/", post(crate::dispatch::aws_post).get(crate::web::landing::root))
        .route("/identitypools", any(crate::api::sync::handle))
        .route("/identitypools/{*rest}", any(crate::api::sync::handle))
        .route("/sync/push", get(crate::push::websocket))
        .fallback(not_found)
        .layer(Extension(aws_apis()))
        .with_state(state.clone());
    // Every request passes the front door before the routing above (which it may change: a
    // request on a pool's domain goes to the pool's paths).
    let router = Router::new().fallback_service(router).layer(middleware::from_fn_with_state(state.clone(), crate::front_door::front_door));
    Ok(App { router, state, generated_root_credentials })
}

/// The AWS front ends served on `POST /`: this is the one place that names them all.
fn aws_apis() -> AwsApis {
    AwsApis(Arc::new(vec![
        Arc::new(crate::api::idp::IdpApi),
        Arc::new(crate::api::identity::IdentityApi),
        Arc::new(crate::api::sts::StsApi),
        Arc::new(crate::api::iam::IamApi),
    ]))
}

/// The configured database, migrated, and the master key, checked against the one the database
/// was created with (the data directory made first for SQLite).
pub async fn open_store(config: &Config) -> Result<(SqlStore, MasterKey), String> {
    prepare_data_dir(&config.data_dir)?;
    if let Some(path) = sqlite_path(&config.database_url) {
        make_private_database(Path::new(&path))?;
    }
    let master_key = match &config.master_key {
        Some(text) => MasterKey::parse(&text.0)?,
        None => load_or_create_master_key(&config.data_dir.join("master.key"))?,
    };
    let store = SqlStore::connect(&config.database_url).await.map_err(|error| format!("opening the database: {error}"))?;
    check_master_key(&store, &master_key).await?;
    Ok((store, master_key))
}

/// Every node of a cluster must use the same master key: the first node stores a value sealed
/// under its key, and a node whose key does not open it refuses to start.
async fn check_master_key(store: &dyn Store, master_key: &MasterKey) -> Result<(), String> {
    let candidate = master_key.seal(b"cognate", MASTER_KEY_CHECK);
    let stored = store
        .insert_cluster_value_if_absent(MASTER_KEY_CHECK, &candidate)
        .await
        .map_err(|error| format!("reading the master key check: {error}"))?;
    match master_key.open(&stored, MASTER_KEY_CHECK) {
        Ok(plaintext) if plaintext == b"cognate" => Ok(()),
        _ => Err("the master key does not match the one this database was created with; \
                  every node of a cluster needs the same COGNATE_MASTER_KEY"
            .into()),
    }
}

/// How long `/health` waits for the store before answering 503.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// `GET /health`: 200 when the store answers (and can write) within a second, 503 when not.
async fn health(State(state): State<AppState>) -> Response {
    let answer = tokio::time::timeout(HEALTH_TIMEOUT, state.store.ping()).await;
    match answer.unwrap_or_else(|_| Err(cognate_domain::store::StoreError::Unavailable("no answer within a second".into()))) {
        Ok(()) => (StatusCode::OK, [("content-type", "application/json")], r#"{"status":"ok"}"#).into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check: the store does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, [("content-type", "application/json")], r#"{"status":"unavailable"}"#)
                .into_response()
        }
    }
}

async fn not_found(request: Request) -> Response {
    let request_id = request.extensions().get::<RequestId>().map(|id| id.0.clone()).unwrap_or_default();
    ApiError::new(StatusCode::NOT_FOUND, "UnknownOperationException", format!("No route for {} {}", request.method(), request.uri().path()))
        .into_response_with(&request_id)
}

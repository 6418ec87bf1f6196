//! Configuration, layered: command-line flags, then `COGNATE_*` environment variables, then an
//! optional TOML file, then defaults. Secrets may also come from a file (`*_FILE`) and never
//! appear in `Debug` output.

pub use crate::secret::{DatabaseUrl, Secret};
use crate::secret::secret_from;
pub use crate::serve::ConnectionLimits;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;

/// The settings of `cognate serve` (and of `check-config` and `migrate`).
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// Optional TOML file with any of the settings below (keys in snake_case).
    #[arg(long, env = "COGNATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:9229].
    #[arg(long, env = "COGNATE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the embedded database and generated keys [default: ./cognate-data].
    #[arg(long, env = "COGNATE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://…` [default: SQLite file in the data directory].
    #[arg(long, env = "COGNATE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Base URL that issuers and links use [default: http://<listen>].
    #[arg(long, env = "COGNATE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// AWS region this server answers as [default: us-east-1].
    #[arg(long, env = "COGNATE_REGION")]
    pub region: Option<String>,
    /// AWS account id in ARNs [default: 000000000000].
    #[arg(long, env = "COGNATE_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// Master key sealing stored secrets: 64 hex digits or base64 of 32 bytes.
    #[arg(long, env = "COGNATE_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// File holding the master key.
    #[arg(long, env = "COGNATE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Access key id of the root credentials that sign admin operations.
    #[arg(long, env = "COGNATE_ROOT_ACCESS_KEY_ID")]
    pub root_access_key_id: Option<String>,
    /// Secret access key of the root credentials.
    #[arg(long, env = "COGNATE_ROOT_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub root_secret_access_key: Option<String>,
    /// File holding the root secret access key.
    #[arg(long, env = "COGNATE_ROOT_SECRET_ACCESS_KEY_FILE")]
    pub root_secret_access_key_file: Option<PathBuf>,
    /// Accept any well-formed SigV4 signature without checking it. For local development only.
    #[arg(long, env = "COGNATE_INSECURE_ACCEPT_ANY_SIGNATURE")]
    pub insecure_accept_any_signature: Option<bool>,
    /// Largest request body accepted, in bytes [default: 1048576].
    #[arg(long, env = "COGNATE_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Send email through `smtp://[user:pass@]host[:port]` or `smtps://…` [default: keep
    /// messages in the outbox].
    #[arg(long, env = "COGNATE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// File holding the SMTP URL.
    #[arg(long, env = "COGNATE_SMTP_URL_FILE")]
    pub smtp_url_file: Option<PathBuf>,
    /// Sender of the email cognate sends [default: cognate <no-reply@localhost>].
    #[arg(long, env = "COGNATE_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// PEM file of root certificates to trust for `smtps://`, besides the public ones.
    #[arg(long, env = "COGNATE_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// Issuer of Google ID tokens (Logins key accounts.google.com) [default: https://accounts.google.com].
    #[arg(long, env = "COGNATE_GOOGLE_ISSUER")]
    pub google_issuer: Option<String>,
    /// Issuer of Sign in with Apple ID tokens (appleid.apple.com) [default: https://appleid.apple.com].
    #[arg(long, env = "COGNATE_APPLE_ISSUER")]
    pub apple_issuer: Option<String>,
    /// Facebook Graph API base URL (graph.facebook.com) [default: https://graph.facebook.com].
    #[arg(long, env = "COGNATE_FACEBOOK_GRAPH_URL")]
    pub facebook_graph_url: Option<String>,
    /// Login with Amazon API base URL (www.amazon.com) [default: https://api.amazon.com].
    #[arg(long, env = "COGNATE_AMAZON_API_URL")]
    pub amazon_api_url: Option<String>,
    /// HTTP push gateway for sync notifications to GCM/APNS/ADM devices: one POST per device
    /// [default: none; WebSocket subscribers only].
    #[arg(long, env = "COGNATE_PUSH_GATEWAY_URL")]
    pub push_gateway_url: Option<String>,
    /// Stream sink for Cognito Streams and BulkPublish: one POST per stream record
    /// [default: none; streaming settings are stored but nothing is sent].
    #[arg(long, env = "COGNATE_STREAM_SINK_URL")]
    pub stream_sink_url: Option<String>,
    /// Send SMS (codes, invitations) as one JSON POST per message to this URL
    /// [default: keep SMS messages in the outbox].
    #[arg(long, env = "COGNATE_SMS_WEBHOOK_URL")]
    pub sms_webhook_url: Option<String>,
    /// Argon2id memory cost of new password hashes, in KiB [default: 19456].
    #[arg(long, env = "COGNATE_ARGON2_MEMORY_KIB")]
    pub argon2_memory_kib: Option<u32>,
    /// Argon2id iterations of new password hashes [default: 2].
    #[arg(long, env = "COGNATE_ARGON2_ITERATIONS")]
    pub argon2_iterations: Option<u32>,
    /// Argon2id parallelism of new password hashes [default: 1].
    #[arg(long, env = "COGNATE_ARGON2_PARALLELISM")]
    pub argon2_parallelism: Option<u32>,
    /// Open connections served at once; more are closed as they arrive [default: 768].
    #[arg(long, env = "COGNATE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds a client has to send a request's headers, and that a kept-alive connection may
    /// stay idle [default: 10].
    #[arg(long, env = "COGNATE_HEADER_TIMEOUT_SECONDS")]
    pub header_timeout_seconds: Option<u64>,
    /// Seconds one request may take, its body included [default: 30].
    #[arg(long, env = "COGNATE_REQUEST_TIMEOUT_SECONDS")]
    pub request_timeout_seconds: Option<u64>,
    /// Seconds in-flight requests get to finish after SIGTERM before the process exits [default: 10].
    #[arg(long, env = "COGNATE_DRAIN_SECONDS")]
    pub drain_seconds: Option<u64>,
    /// Guessable requests (sign-in, sign-up, codes, recovery, token endpoint, hosted forms) per
    /// second from one address, twice that in a burst; 0 turns the limit off [default: 50].
    #[arg(long, env = "COGNATE_RATE_LIMIT_PER_ADDRESS")]
    pub rate_limit_per_address: Option<u32>,
    /// The same per app client [default: 500].
    #[arg(long, env = "COGNATE_RATE_LIMIT_PER_CLIENT")]
    pub rate_limit_per_client: Option<u32>,
    /// Sign users out everywhere when their password is reset (ConfirmForgotPassword,
    /// AdminSetUserPassword, AdminResetUserPassword) [default: false, as Cognito].
    #[arg(long, env = "COGNATE_REVOKE_TOKENS_ON_PASSWORD_RESET")]
    pub revoke_tokens_on_password_reset: Option<bool>,
    /// Accept SAML signatures and digests made with SHA-1 [default: false].
    #[arg(long, env = "COGNATE_SAML_ALLOW_SHA1")]
    pub saml_allow_sha1: Option<bool>,
    /// A reverse proxy (an address or ADDRESS/PREFIX, repeatable) whose X-Forwarded-For,
    /// -Host and -Proto headers are believed [default: none].
    #[arg(long = "trusted-proxy", env = "COGNATE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<String>,
    #[command(flatten)]
    pub observing: crate::observing::ObservingArgs,
    #[command(flatten)]
    pub trigger_services: crate::trigger_services::TriggerServicesArgs,
    #[command(flatten)]
    pub tls: crate::tls::TlsArgs,
    #[command(flatten)]
    pub gateway: crate::gateway::config::GatewayArgs,
}

/// The same settings as read from the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    region: Option<String>,
    account_id: Option<String>,
    master_key: Option<String>,
    master_key_file: Option<PathBuf>,
    root_access_key_id: Option<String>,
    root_secret_access_key: Option<String>,
    root_secret_access_key_file: Option<PathBuf>,
    insecure_accept_any_signature: Option<bool>,
    max_body_bytes: Option<usize>,
    smtp_url: Option<String>,
    smtp_url_file: Option<PathBuf>,
    mail_from: Option<String>,
    smtp_ca_file: Option<PathBuf>,
    google_issuer: Option<String>,
    apple_issuer: Option<String>,
    facebook_graph_url: Option<String>,
    amazon_api_url: Option<String>,
    push_gateway_url: Option<String>,
    stream_sink_url: Option<String>,
    sms_webhook_url: Option<String>,
    lambda_endpoint: Option<String>,
    lambda_access_key_id: Option<String>,
    lambda_secret_access_key: Option<String>,
    kms_endpoint: Option<String>,
    kms_access_key_id: Option<String>,
    kms_secret_access_key: Option<String>,
    argon2_memory_kib: Option<u32>,
    argon2_iterations: Option<u32>,
    argon2_parallelism: Option<u32>,
    max_connections: Option<usize>,
    header_timeout_seconds: Option<u64>,
    request_timeout_seconds: Option<u64>,
    drain_seconds: Option<u64>,
    rate_limit_per_address: Option<u32>,
    rate_limit_per_client: Option<u32>,
    revoke_tokens_on_password_reset: Option<bool>,
    saml_allow_sha1: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    metrics_token: Option<String>,
    metrics: Option<bool>,
    auth_event_retention_days: Option<u32>,
    tls: Option<crate::tls::TlsFile>,
    gateway: Option<crate::gateway::config::GatewayFile>,
}

/// The resolved configuration handed to [`crate::app::build_app`].
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Its password, if any, is redacted in `Debug` output.
    pub database_url: DatabaseUrl,
    /// Without a trailing slash.
    pub public_url: String,
    pub region: String,
    pub account_id: String,
    /// None: read or generate `<data_dir>/master.key`.
    pub master_key: Option<Secret>,
    /// None: read or generate `<data_dir>/root-credentials`.
    pub root_credentials: Option<(String, Secret)>,
    pub insecure_accept_any_signature: bool,
    pub max_body_bytes: usize,
    /// None: messages stay in the outbox.
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// Extra trusted roots for `smtps://`, PEM.
    pub smtp_ca_pem: Option<Vec<u8>>,
    /// Where the social identity providers answer.
    pub providers: cognate_domain::federation::ProviderEndpoints,
    /// Where sync notifications for platform devices are posted.
    pub push_gateway_url: Option<String>,
    /// Where stream records are posted.
    pub stream_sink_url: Option<String>,
    /// Where SMS messages are posted; None: they stay in the outbox.
    pub sms_webhook_url: Option<String>,
    /// Where the triggers run and the custom senders' codes are encrypted.
    pub trigger_services: crate::trigger_services::TriggerServices,
    /// The Argon2id cost of new password hashes.
    pub password_hashing: cognate_domain::crypto::PasswordHashing,
    pub connections: ConnectionLimits,
    /// Guessable requests per second per address and per app client (0: off).
    pub rate_limit_per_address: u32,
    pub rate_limit_per_client: u32,
    pub revoke_tokens_on_password_reset: bool,
    pub saml_allow_sha1: bool,
    /// The SigV4 gateway's listener and upstreams, when it runs.
    pub gateway: Option<crate::gateway::config::GatewayConfig>,
    /// The certificate both listeners serve HTTPS with; None: plain HTTP.
    pub tls: Option<crate::tls::TlsConfig>,
    pub trusted_proxies: std::sync::Arc<crate::proxies::TrustedProxies>,
    pub observing: crate::observing::Observing,
}

impl Config {
    /// Resolves flags and environment (already merged by clap) over the TOML file and defaults.
    pub fn resolve(args: ConfigArgs) -> Result<Config, String> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| format!("reading {}: {error}", path.display()))?;
                toml::from_str::<FileConfig>(&text).map_err(|error| format!("parsing {}: {error}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let listen = args.listen.or(file.listen).unwrap_or_else(|| "127.0.0.1:9229".parse().expect("valid address"));
        let data_dir = args.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from("./cognate-data"));
        let database_url = args
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("cognate.db").display()));
        if cognate_store::Dialect::of_url(&database_url).is_none() {
            return Err(format!("database URL must start with sqlite:// or postgres://, got {database_url}"));
        }
        let tls = crate::tls::TlsConfig::resolve(args.tls, file.tls)?;
        let public_url = match args.public_url.or(file.public_url) {
            Some(url) => url.trim_end_matches('/').to_string(),
            None if listen.ip().is_unspecified() => {
                return Err(format!(
                    "listening on {listen} needs --public-url (COGNATE_PUBLIC_URL): tokens would name {} as their issuer, \
                     an address no client can reach; set it to the URL clients use, such as https://auth.example.com",
                    listen.ip()
                ))
            }
            None => format!("{}://{listen}", if tls.is_some() { "https" } else { "http" }),
        };
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!("public URL must start with http:// or https://, got {public_url}"));
        }
        let region = args.region.or(file.region).unwrap_or_else(|| "us-east-1".into());
        let region_valid = !region.is_empty()
            && region.len() <= 32
            && region.chars().all(|character| character.is_ascii_lowercase() || character.is_ascii_digit() || character == '-');
        if !region_valid {
            return Err(format!("region must look like us-east-1, got {region}"));
        }
        let account_id = args.account_id.or(file.account_id).unwrap_or_else(|| "000000000000".into());
        if account_id.len() != 12 || !account_id.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(format!("account id must be 12 digits, got {account_id}"));
        }
        let master_key = secret_from(args.master_key.or(file.master_key), args.master_key_file.or(file.master_key_file), "the master key")?;
        if let Some(key) = &master_key {
            cognate_domain::crypto::MasterKey::parse(&key.0)?;
        }
        let root_secret = secret_from(
            args.root_secret_access_key.or(file.root_secret_access_key),
            args.root_secret_access_key_file.or(file.root_secret_access_key_file),
            "the root secret access key",
        )?;
        let root_credentials = match (args.root_access_key_id.or(file.root_access_key_id), root_secret) {
            (Some(key_id), Some(secret)) => Some((key_id, secret)),
            (None, None) => None,
            _ => return Err("set both the root access key id and the root secret access key, or neither".into()),
        };
        let smtp_url = secret_from(args.smtp_url.or(file.smtp_url), args.smtp_url_file.or(file.smtp_url_file), "the SMTP URL")?;
        let mail_from = args.mail_from.or(file.mail_from).unwrap_or_else(|| "cognate <no-reply@localhost>".into());
        let smtp_ca_pem = match args.smtp_ca_file.or(file.smtp_ca_file) {
            Some(path) => Some(std::fs::read(&path).map_err(|error| format!("reading the SMTP CA file {}: {error}", path.display()))?),
            None => None,
        };
        if let Some(url) = &smtp_url {
            crate::smtp::SmtpChannel::new(&url.0, &mail_from, smtp_ca_pem.as_deref())?;
        }
        let providers = cognate_domain::federation::ProviderEndpoints::with_overrides(
            args.google_issuer.or(file.google_issuer),
            args.apple_issuer.or(file.apple_issuer),
            args.facebook_graph_url.or(file.facebook_graph_url),
            args.amazon_api_url.or(file.amazon_api_url),
        )?;
        let push_gateway_url = args.push_gateway_url.or(file.push_gateway_url);
        let stream_sink_url = args.stream_sink_url.or(file.stream_sink_url);
        let sms_webhook_url = args.sms_webhook_url.or(file.sms_webhook_url);
        let defaults = cognate_domain::crypto::PasswordHashing::default();
        let password_hashing = cognate_domain::crypto::PasswordHashing::new(
            args.argon2_memory_kib.or(file.argon2_memory_kib).unwrap_or(defaults.memory_kib),
            args.argon2_iterations.or(file.argon2_iterations).unwrap_or(defaults.iterations),
            args.argon2_parallelism.or(file.argon2_parallelism).unwrap_or(defaults.parallelism),
        )?;
        for (what, url) in [("push gateway", &push_gateway_url), ("stream sink", &stream_sink_url), ("SMS webhook", &sms_webhook_url)] {
            if let Some(url) = url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!("the {what} URL must start with http:// or https://, got {url}"));
                }
            }
        }
        let connections = ConnectionLimits::resolve(
            args.max_connections.or(file.max_connections),
            args.header_timeout_seconds.or(file.header_timeout_seconds),
            args.request_timeout_seconds.or(file.request_timeout_seconds),
            args.drain_seconds.or(file.drain_seconds),
        )?;
        let trusted_proxies = match (args.trusted_proxy.is_empty(), file.trusted_proxies) {
            (true, Some(entries)) => entries,
            _ => args.trusted_proxy,
        };
        Ok(Config {
            trusted_proxies: std::sync::Arc::new(crate::proxies::TrustedProxies::parse(&trusted_proxies)?),
            tls,
            observing: crate::observing::Observing::resolve(args.observing, crate::observing::ObservingFile {
                metrics_token: file.metrics_token,
                metrics: file.metrics,
                auth_event_retention_days: file.auth_event_retention_days,
            })?,
            gateway: crate::gateway::config::GatewayConfig::resolve(args.gateway, file.gateway)?,
            connections,
            rate_limit_per_address: args.rate_limit_per_address.or(file.rate_limit_per_address).unwrap_or(50),
            rate_limit_per_client: args.rate_limit_per_client.or(file.rate_limit_per_client).unwrap_or(500),
            revoke_tokens_on_password_reset: args.revoke_tokens_on_password_reset.or(file.revoke_tokens_on_password_reset).unwrap_or(false),
            saml_allow_sha1: args.saml_allow_sha1.or(file.saml_allow_sha1).unwrap_or(false),
            sms_webhook_url,
            trigger_services: crate::trigger_services::TriggerServices::resolve(args.trigger_services, crate::trigger_services::TriggerServicesFile {
                lambda_endpoint: file.lambda_endpoint,
                lambda_access_key_id: file.lambda_access_key_id,
                lambda_secret_access_key: file.lambda_secret_access_key,
                kms_endpoint: file.kms_endpoint,
                kms_access_key_id: file.kms_access_key_id,
                kms_secret_access_key: file.kms_secret_access_key,
            })?,
            password_hashing,
            stream_sink_url,
            push_gateway_url,
            providers,
            listen,
            data_dir,
            database_url: DatabaseUrl(database_url),
            public_url,
            region,
            account_id,
            master_key,
            root_credentials,
            insecure_accept_any_signature: args
                .insecure_accept_any_signature
                .or(file.insecure_accept_any_signature)
                .unwrap_or(false),
            max_body_bytes: args.max_body_bytes.or(file.max_body_bytes).unwrap_or(1024 * 1024),
            smtp_url,
            mail_from,
            smtp_ca_pem,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cognate.toml");
        std::fs::write(&file, "region = \"eu-west-1\"\naccount_id = \"123456789012\"\n").unwrap();
        let args = ConfigArgs { config: Some(file), region: Some("ap-south-1".into()), ..Default::default() };
        let config = Config::resolve(args).unwrap();
        assert_eq!(config.region, "ap-south-1");
        assert_eq!(config.account_id, "123456789012");
        assert_eq!(config.listen.to_string(), "127.0.0.1:9229");
        assert_eq!(config.public_url, "http://127.0.0.1:9229");
        assert!(config.database_url.starts_with("sqlite://"));
        assert!(!config.insecure_accept_any_signature);
    }

    #[test]
    fn bad_settings_are_refused_and_secrets_redacted() {
        let args = ConfigArgs { account_id: Some("12".into()), ..Default::default() };
        assert!(Config::resolve(args).is_err());
        let args = ConfigArgs { root_access_key_id: Some("AKIA".into()), ..Default::default() };
        assert!(Config::resolve(args).is_err());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "no_such_setting = 1\n").unwrap();
        assert!(Config::resolve(ConfigArgs { config: Some(file), ..Default::default() }).is_err());
        assert!(Config::resolve(ConfigArgs { argon2_memory_kib: Some(1024), ..Default::default() }).is_err());
        let stronger = Config::resolve(ConfigArgs { argon2_memory_kib: Some(65536), argon2_iterations: Some(3), ..Default::default() }).unwrap();
        assert_eq!((stronger.password_hashing.memory_kib, stronger.password_hashing.iterations), (65536, 3));
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "<redacted>");
    }
}

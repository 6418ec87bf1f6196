//! HTTPS on cognate's own listeners: a certificate chain and its key from PEM files
//! (`--tls-cert`, `--tls-key`, or the `[tls]` table of the TOML file), served with rustls
//! (TLS 1.2 and 1.3, AWS-LC's algorithms, HTTP/1.1 by ALPN), and read again on SIGHUP. A reload
//! that fails keeps the certificate in use and says why in the log; connections already open
//! keep the certificate they started with.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::Deserialize;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The TLS flags (flattened into `cognate serve`'s).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// PEM file of the certificate chain to serve HTTPS with (the server's certificate first);
    /// read again on SIGHUP [default: plain HTTP].
    #[arg(long, env = "COGNATE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file of its private key (PKCS #8, PKCS #1 or SEC 1).
    #[arg(long, env = "COGNATE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// The `[tls]` table of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

/// Where the certificate and key are read from.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsConfig {
    /// None without a certificate; an error when only one of the two files is named, or when
    /// they cannot be read into a certificate and its key.
    pub fn resolve(args: TlsArgs, file: Option<TlsFile>) -> Result<Option<TlsConfig>, String> {
        let file = file.unwrap_or_default();
        match (args.tls_cert.or(file.cert), args.tls_key.or(file.key)) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => {
                let config = TlsConfig { cert, key };
                server_config(&config)?;
                Ok(Some(config))
            }
            _ => Err("set both the TLS certificate and its key (--tls-cert, --tls-key), or neither".into()),
        }
    }
}

/// The rustls settings in use, replaced whole on a reload.
#[derive(Clone)]
pub struct Certificates {
    config: TlsConfig,
    current: Arc<RwLock<Arc<rustls::ServerConfig>>>,
}

impl Certificates {
    pub fn load(config: &TlsConfig) -> Result<Certificates, String> {
        let current = Arc::new(RwLock::new(Arc::new(server_config(config)?)));
        Ok(Certificates { config: config.clone(), current })
    }

    /// The acceptor for a connection that starts now.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let current = self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        tokio_rustls::TlsAcceptor::from(current)
    }

    /// Reads the files again; on an error the certificate in use stays.
    pub fn reload(&self) -> Result<(), String> {
        let fresh = Arc::new(server_config(&self.config)?);
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        Ok(())
    }

    /// Reloads on every SIGHUP, for as long as the process runs.
    pub fn reload_on_hangup(&self) {
        #[cfg(unix)]
        {
            let certificates = self.clone();
            tokio::spawn(async move {
                let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
                    tracing::warn!("cannot listen for SIGHUP: the TLS certificate will not be reloaded");
                    return;
                };
                while hangups.recv().await.is_some() {
                    match certificates.reload() {
                        Ok(()) => tracing::info!(cert = %certificates.config.cert.display(), "TLS certificate reloaded"),
                        Err(error) => tracing::error!(%error, "reloading the TLS certificate; the previous one stays in use"),
                    }
                }
            });
        }
    }
}

/// Makes AWS-LC the process's rustls provider: the one every outbound client (reqwest's, built
/// without a provider of its own) takes. Called before any client is built; a second call
/// changes nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

fn server_config(config: &TlsConfig) -> Result<rustls::ServerConfig, String> {
    let chain = read_chain(&config.cert)?;
    let key = PrivateKeyDer::from_pem_file(&config.key)
        .map_err(|error| format!("reading the TLS key from {}: {error}", config.key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS settings: {error}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| format!("the TLS certificate {} and key {}: {error}", config.cert.display(), config.key.display()))?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(server)
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|error| format!("reading the TLS certificate from {}: {error}", path.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(chain)
}

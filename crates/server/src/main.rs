#![forbid(unsafe_code)]
//! The `cognate` binary: `serve`, `env`, `apply`, `check-config`, `migrate`, `health`, `export` and `import`.

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use cognate_server::app::build_app;
use cognate_server::config::{Config, ConfigArgs};
use cognate_server::log_writer::{self, LineForm};
use cognate_server::serve::Front;

#[derive(Parser)]
#[command(name = "cognate", version, about = "A self-hosted identity broker that speaks Amazon Cognito's protocols.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines as text or as one JSON object per line [default: text].
    #[arg(long, global = true, env = "COGNATE_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LineForm,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server.
    Serve(ServeArgs),
    /// Print the shell lines that point the AWS CLI and SDKs at this server: `eval "$(cognate env)"`
    /// sets AWS_ENDPOINT_URL, AWS_DEFAULT_REGION and the root key pair.
    Env(ConfigArgs),
    /// Create or update what a file (YAML or JSON) declares: user pools with their clients,
    /// groups, users, domains, resource servers and identity providers; identity pools; IAM roles
    /// and policies. A second run changes nothing.
    Apply(ApplyArgs),
    /// Resolve and check the configuration, print it (secrets redacted) and exit.
    CheckConfig(ConfigArgs),
    /// Apply pending database migrations and exit.
    Migrate(ConfigArgs),
    /// Ask the server configured here (its listen address, over loopback) for `/health`: exit
    /// status 0 when it answers 200 within 5 seconds (a container's health check).
    Health(ConfigArgs),
    /// Write the whole database (the configured one) to a file: every pool, client, group, user,
    /// signing key, identity pool, identity, role, policy and sync dataset.
    Export(TransferArgs),
    /// Read a file of `cognate export` into the configured database, which must be empty (its
    /// secrets re-sealed under the configured master key when the source's is given), or copy a
    /// live Cognito user pool into it (`--from-cognito --user-pool-id ID`).
    Import(ImportArgs),
}

#[derive(clap::Args)]
struct TransferArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The export file.
    #[arg(long)]
    file: std::path::PathBuf,
    /// `transfer`: every table, for `cognate import`; `apply`: the resources as an apply file.
    #[arg(long, default_value = "transfer")]
    format: ExportFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Transfer,
    Apply,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// An apply file (see `cognate apply`) applied before the server answers.
    #[arg(long, env = "COGNATE_APPLY")]
    apply: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
struct ApplyArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The file: YAML or JSON.
    file: std::path::PathBuf,
}

#[derive(clap::Args)]
struct ImportArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The export file.
    #[arg(long, required_unless_present = "from_cognito")]
    file: Option<std::path::PathBuf>,
    /// A file holding the source deployment's master key, when it is not this one's: every
    /// sealed secret of the export is opened with it and sealed again under this master key.
    #[arg(long, conflicts_with = "from_cognito")]
    source_master_key_file: Option<std::path::PathBuf>,
    /// Copy a live Cognito user pool (credentials and endpoint from the AWS environment
    /// variables): its settings, clients, groups and users, which keep their ids.
    #[arg(long, requires = "user_pool_id", conflicts_with = "file")]
    from_cognito: bool,
    /// The Cognito user pool to copy.
    #[arg(long, requires = "from_cognito")]
    user_pool_id: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // For `serve`, lines go through the log writer's thread; its guard writes what is left when
    // it is dropped at the end of `main`.
    let _log_writer = log_writer::init(cli.log_format, matches!(cli.command, Command::Serve(_)));
    let result = match cli.command {
        Command::Serve(args) => serve(args.config, args.apply).await,
        Command::Apply(args) => apply(args).await,
        Command::Env(args) => env(args),
        Command::CheckConfig(args) => check_config(args).await,
        Command::Migrate(args) => migrate(args).await,
        Command::Health(args) => health(args).await,
        Command::Export(args) => export(args).await,
        Command::Import(args) => import(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cognate: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn health(args: ConfigArgs) -> Result<(), String> {
    let config = Config::resolve(args)?;
    let mut address = config.listen;
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    // Its own certificate names the public host, not the loopback address asked here.
    let client = cognate_server::http_client::client_builder()
        .timeout(std::time::Duration::from_secs(5))
        .danger_accept_invalid_certs(true)
        .build()
        .map_err(|error| error.to_string())?;
    let url = format!("{scheme}://{address}/health");
    let response = client.get(&url).send().await.map_err(|error| format!("{url}: {error}"))?;
    match response.status().as_u16() {
        200 => Ok(()),
        status => Err(format!("{url} answered {status}")),
    }
}

async fn migrate(args: ConfigArgs) -> Result<(), String> {
    let config = Config::resolve(args)?;
    if config.database_url.starts_with("sqlite:") {
        cognate_server::app::prepare_data_dir(&config.data_dir)?;
    }
    let store = cognate_store::SqlStore::connect(&config.database_url).await.map_err(|error| error.to_string())?;
    let applied = store.applied_migrations().await.map_err(|error| error.to_string())?;
    println!("database is at migration {}", applied.last().copied().unwrap_or(0));
    Ok(())
}

async fn export(args: TransferArgs) -> Result<(), String> {
    let config = Config::resolve(args.config)?;
    if let ExportFormat::Apply = args.format {
        let app = build_app(config).await?;
        let document = cognate_server::apply::export::export(&app.state).await?;
        let text = serde_json::to_string_pretty(&document).map_err(|error| error.to_string())?;
        std::fs::write(&args.file, text + "\n").map_err(|error| format!("writing {}: {error}", args.file.display()))?;
        println!("exported the resources to {} (apply format)", args.file.display());
        return Ok(());
    }
    let (store, _) = cognate_server::app::open_store(&config).await?;
    let file = std::fs::File::create(&args.file).map_err(|error| format!("creating {}: {error}", args.file.display()))?;
    let counts = cognate_server::transfer::export(&store, &mut std::io::BufWriter::new(file)).await?;
    report("exported", &counts);
    Ok(())
}

async fn import(args: ImportArgs) -> Result<(), String> {
    if let (true, Some(pool_id)) = (args.from_cognito, &args.user_pool_id) {
        return from_cognito(args.config, pool_id).await;
    }
    let source_key = match &args.source_master_key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| format!("reading {}: {error}", path.display()))?;
            Some(cognate_domain::crypto::MasterKey::parse(&text).map_err(|error| format!("{}: {error}", path.display()))?)
        }
        None => None,
    };
    let config = Config::resolve(args.config)?;
    let (store, master_key) = cognate_server::app::open_store(&config).await?;
    let path = args.file.ok_or("--file is required")?;
    let file = std::fs::File::open(&path).map_err(|error| format!("opening {}: {error}", path.display()))?;
    let counts = cognate_server::transfer::import(&store, &master_key, source_key.as_ref(), std::io::BufReader::new(file)).await?;
    report("imported", &counts);
    Ok(())
}

/// Writes root credentials this start generated and shows them, once.
fn keep_generated_root_credentials(app: &cognate_server::app::App) -> Result<(), String> {
    if let Some(path) = app.keep_generated_root_credentials()? {
        let root = &app.state.root;
        println!("Generated root credentials (stored in {}; shown only now):", path.display());
        println!("  export AWS_ACCESS_KEY_ID={}", root.access_key_id);
        println!("  export AWS_SECRET_ACCESS_KEY={}", root.secret_access_key.0);
    }
    Ok(())
}

/// Prints the resolved settings (secrets redacted), then checks that the database answers:
/// a PostgreSQL server is connected to, an SQLite file opened if it exists (nothing is
/// created or migrated).
async fn check_config(args: ConfigArgs) -> Result<(), String> {
    let config = Config::resolve(args)?;
    println!("{config:#?}");
    let database = config.database_url.redacted();
    match cognate_store::probe(&config.database_url).await {
        Ok(answer) => {
            println!("database {database}: {answer}");
            Ok(())
        }
        Err(error) => Err(format!("database {database}: {error}")),
    }
}

async fn from_cognito(config: ConfigArgs, pool_id: &str) -> Result<(), String> {
    let source = cognate_server::from_cognito::source_from_environment(pool_id)?;
    let config = Config::resolve(config)?;
    let app = build_app(config).await?;
    keep_generated_root_credentials(&app)?;
    let copied = cognate_server::from_cognito::copy_pool(&app.state, &source, pool_id).await?;
    println!(
        "copied {pool_id} from {}: clients {}, groups {}, users {}, memberships {}, resource servers {}, identity providers {}",
        source.endpoint, copied.clients, copied.groups, copied.users, copied.memberships, copied.resource_servers, copied.providers
    );
    for (username, reason) in &copied.refused {
        println!("  not copied: {username}: {reason}");
    }
    match &copied.password_client {
        Some(client) => println!("first passwords are checked at the source with its client {client}"),
        None => println!(
            "no client of the source allows ALLOW_ADMIN_USER_PASSWORD_AUTH: copied users cannot prove their passwords here and must reset them"
        ),
    }
    Ok(())
}

fn report(done: &str, counts: &cognate_server::transfer::Counts) {
    let parts: Vec<String> = counts.iter().filter(|(_, rows)| *rows > 0).map(|(table, rows)| format!("{table} {rows}")).collect();
    println!("{done}: {}", parts.join(", "));
}

/// Reads and applies an apply file against a built app; prints what it did.
async fn apply_file(app: &cognate_server::app::App, file: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|error| format!("reading {}: {error}", file.display()))?;
    let document = cognate_server::apply::parse(&text).map_err(|error| format!("{}: {error}", file.display()))?;
    let report = cognate_server::apply::apply(&app.state, &document).await.map_err(|error| format!("{}: {error}", file.display()))?;
    print!("{}", report.render());
    Ok(())
}

fn env(args: ConfigArgs) -> Result<(), String> {
    let config = Config::resolve(args)?;
    let root = cognate_server::data_dir::existing_root_credentials(&config)?
        .ok_or_else(|| format!("{} has no root credentials yet: start the server once (cognate serve)", config.data_dir.display()))?;
    println!("export AWS_ENDPOINT_URL={}", config.public_url);
    println!("export AWS_DEFAULT_REGION={}", config.region);
    println!("export AWS_ACCESS_KEY_ID={}", root.access_key_id);
    println!("export AWS_SECRET_ACCESS_KEY={}", root.secret_access_key.0);
    Ok(())
}

async fn apply(args: ApplyArgs) -> Result<(), String> {
    let config = Config::resolve(args.config)?;
    let app = build_app(config).await?;
    keep_generated_root_credentials(&app)?;
    apply_file(&app, &args.file).await
}

async fn serve(args: ConfigArgs, apply: Option<std::path::PathBuf>) -> Result<(), String> {
    let started = Instant::now();
    let config = Config::resolve(args)?;
    // Bind first: a busy port stops the start before anything is generated or written.
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|error| format!("listening on {}: {error}", config.listen))?;
    let gateway_listener = match &config.gateway {
        Some(gateway) => Some(tokio::net::TcpListener::bind(gateway.listen).await.map_err(|error| format!("listening on {}: {error}", gateway.listen))?),
        None => None,
    };
    let certificates = config.tls.as_ref().map(cognate_server::tls::Certificates::load).transpose()?;
    let app = build_app(config).await?;
    if let Some(file) = &apply {
        apply_file(&app, file).await?;
    }
    let local = listener.local_addr().map_err(|error| error.to_string())?;
    let config = &app.state.config;
    if config.insecure_accept_any_signature {
        tracing::warn!("INSECURE: every well-formed SigV4 signature is accepted without checking it; never use this outside local development");
        eprintln!("WARNING: --insecure-accept-any-signature is on: signatures are NOT checked. Local development only.");
    }
    // What this start has logged comes before what it prints.
    log_writer::written();
    keep_generated_root_credentials(&app)?;
    if let Some(certificates) = &certificates {
        certificates.reload_on_hangup();
    }
    let front = Front { limits: config.connections.clone(), tls: certificates, proxies: config.trusted_proxies.clone() };
    let scheme = if front.tls.is_some() { "https" } else { "http" };
    if let (Some(gateway), Some(listener)) = (&config.gateway, gateway_listener) {
        let address = listener.local_addr().map_err(|error| error.to_string())?;
        let services: Vec<&str> = gateway.upstreams.keys().map(String::as_str).collect();
        println!("cognate gateway listening on {scheme}://{address} (upstreams: {})", services.join(", "));
        let router = cognate_server::gateway::Gateway::new(app.state.clone(), gateway.clone())?.router();
        tokio::spawn(cognate_server::serve::run(listener, router, front.clone(), shutdown_signal(), || {}));
    }
    println!(
        "cognate listening on {scheme}://{local} (public URL {}, region {}); data in {}, database {}; ready in {} ms",
        config.public_url,
        config.region,
        config.data_dir.display(),
        config.database_url.redacted(),
        started.elapsed().as_millis()
    );
    std::thread::spawn(cognate_domain::crypto::warm_up_generator);
    tokio::spawn(purge_expired(app.state.clone()));
    let push = app.state.push.clone();
    cognate_server::serve::run(listener, app.router, front, shutdown_signal(), move || push.close_all()).await;
    tracing::info!("stopped");
    Ok(())
}

/// Every ten minutes: removes expired records (codes, states and the like), refresh tokens,
/// challenge sessions and old outbox messages. Every node does it; the deletes are idempotent
/// and batched.
async fn purge_expired(state: cognate_server::state::AppState) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        interval.tick().await;
        match state.store.purge_expired_records(state.clock.now_millis()).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "purged expired records"),
            Err(error) => tracing::warn!(%error, "purging expired records"),
        }
        match state.user_pools.purge_stale().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "purged expired refresh tokens, challenge sessions and old outbox messages"),
            Err(error) => tracing::warn!(%error, "purging refresh tokens, sessions and the outbox"),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}

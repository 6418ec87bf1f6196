//! The load generator's command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cognate-load", about = "Load and start-up measurements for cognate (loopback only).")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Keep the load's threads in the normal scheduling class. By default they run as batch
    /// threads, so that a response waking one does not preempt the server mid-request and charge
    /// the switch to the server's CPU time (see `scheduling`).
    #[arg(long, global = true)]
    pub normal_scheduling: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start `cognate serve` on an empty SQLite store several times; report time to ready and idle RSS.
    Startup {
        #[arg(long, default_value = "target/release/cognate")]
        binary: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Create a pool, a sign-in client and N confirmed users directly in a database (sqlite:// or
    /// postgres://); prints the pool id and the client id.
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        users: usize,
    },
    /// Send one signed cognito-idp operation repeatedly at a fixed concurrency for a bounded time.
    Run {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        /// Operation name, e.g. ListUsers.
        #[arg(long)]
        target: String,
        /// JSON body; `{i}` is replaced by a random index below --index-range, as %07d, and
        /// `{refresh}` by a refresh token obtained once with --refresh-from.
        #[arg(long)]
        body: String,
        #[arg(long, default_value_t = 1)]
        index_range: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// `CLIENT_ID:USERNAME:PASSWORD`: sign in once first and use its refresh token as `{refresh}`.
        #[arg(long)]
        refresh_from: Option<String>,
        /// The server's process id: report requests per server CPU-second against the raw RS256
        /// signing rate measured in the same run.
        #[arg(long)]
        server_pid: Option<u32>,
        /// RS256 signatures the operation makes per request (2 for a refresh: ID and access token).
        #[arg(long, default_value_t = 2.0)]
        signatures: f64,
        /// With --server-pid: measure this many windows of --seconds in turn, each against its own
        /// yardstick, and report every round's ratio and their median (a shared machine's speed
        /// drifts from minute to minute; one window is one sample of it).
        #[arg(long, default_value_t = 1)]
        rounds: usize,
    },
    /// The token endpoint under load. `--grant client_credentials`: creates a resource server and
    /// a machine client in --pool, then requests access tokens at a fixed concurrency.
    /// `--grant authorization_code`: creates a user and a web client, signs in once through the
    /// hosted page, then for --seconds gets codes from /oauth2/authorize with the session cookie
    /// (PKCE S256), and exchanges every code at the token endpoint at a fixed concurrency.
    Oauth {
        #[arg(long, default_value = "client_credentials")]
        grant: String,
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// The server's process id (client_credentials): tokens per server CPU-second against
        /// the raw RS256 signing rate measured in the same run (one signature a token).
        #[arg(long)]
        server_pid: Option<u32>,
        /// With --server-pid: measure this many windows of --seconds in turn, each against its own
        /// yardstick, and report every round's ratio and their median (a shared machine's speed
        /// drifts from minute to minute; one window is one sample of it).
        #[arg(long, default_value_t = 1)]
        rounds: usize,
    },
    /// The raw Argon2id rate on this machine's cores: --threads threads hash for --seconds
    /// (the yardstick of password sign-ins, measured the way they run: in parallel).
    Argon2 {
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// `hash` (a fresh hash each time, as the library computes it) or `verify` (cognate's
        /// verification, which keeps its Argon2 memory per thread).
        #[arg(long, default_value = "hash")]
        mode: String,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// SRP sign-ins under load: creates an SRP client and --users users in --pool, then signs
    /// them in with USER_SRP_AUTH and PASSWORD_VERIFIER at a fixed concurrency.
    Srp {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 20)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// The console's users page for --pool (a seeded one), first page and a filtered search,
    /// rendered --requests times each one at a time, beside the ListUsers calls behind them.
    Console {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        /// The search: `email ^= "<prefix>"` (seeded emails are user0000000@example.com, …).
        #[arg(long, default_value = "user00123")]
        filter_prefix: String,
        #[arg(long, default_value_t = 200)]
        requests: usize,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
    },
    /// What metrics and sign-in history cost password sign-ins: --endpoint runs with the
    /// defaults, --bare-endpoint with `--metrics false --auth-event-retention-days 0` (the same
    /// root credentials); alternating rounds against each, then the cost of a /metrics scrape.
    Observing {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long, default_value = "http://127.0.0.1:9239")]
        bare_endpoint: String,
        #[arg(long, default_value_t = 50)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// Cognito Sync under load: UpdateRecords per second (one identity and dataset per worker),
    /// then push latency from a writer on --endpoint to a listener on --listen-endpoint.
    Sync {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        /// Where the listening device connects (another node of the cluster) [default: --endpoint].
        #[arg(long)]
        listen_endpoint: Option<String>,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// How many changes the push-latency phase writes, one at a time.
        #[arg(long, default_value_t = 500)]
        writes: usize,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
    },
    /// Sign-ins with a password and an authenticator code (two calls each) in --pool: sets the
    /// pool's TOTP factor, a client and --users enrolled users; then the raw Argon2id
    /// verification rate, measured in the same run.
    Totp {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 200)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// Sign-ins with a passkey (two calls each) in --pool: lets the pool take passkeys (relying
    /// party `localhost`), a client and --users users with an ES256 passkey of a software
    /// authenticator; then the raw cost of one ES256 verification and two RS256 token
    /// signatures, measured in the same run.
    Passkey {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 50)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// The same sign-in and refresh workload against cognate and against a peer server that
    /// speaks cognito-idp (moto's server mode, for one), in one run: for each, a pool, a client and
    /// --users users made through the admin API, then USER_PASSWORD_AUTH sign-ins and
    /// REFRESH_TOKEN_AUTH refreshes at --concurrency for --seconds each; requests per second,
    /// p50/p99 and, with the process ids, requests per server CPU-second, and the ratios
    Peer {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        server_pid: Option<u32>,
        #[arg(long)]
        peer_endpoint: String,
        #[arg(long)]
        peer_pid: Option<u32>,
        #[arg(long, default_value_t = 20)]
        users: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        /// The peer's credentials (moto takes any).
        #[arg(long, default_value = "testing")]
        peer_access_key_id: String,
        #[arg(long, default_value = "testing")]
        peer_secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// The enhanced flow under load: sets up an IAM role and an identity pool over a seeded user
    /// pool, signs in --users seeded users, then each request pair is GetId followed by
    /// GetCredentialsForIdentity with a user's ID token.
    Identity {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        /// The seeded pool and client (`cognate-load seed` prints them).
        #[arg(long)]
        pool: String,
        #[arg(long)]
        client: String,
        #[arg(long, default_value_t = 200)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// Sign-ins and refreshes per second with a PreTokenGeneration trigger, beside the same
    /// without it: the load generator serves the Lambda Invoke API on --lambda-listen (start the
    /// server with `--lambda-endpoint http://<that address>`), answering each event at once.
    Triggers {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        /// A pool of the run; its LambdaConfig is replaced, and emptied at the end.
        #[arg(long)]
        pool: String,
        #[arg(long, default_value = "127.0.0.1:9231")]
        lambda_listen: String,
        #[arg(long, default_value_t = 50)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// A user import job of --rows rows: the upload, the job's users per second and the server's
    /// peak memory (with --server-pid), beside the same users written straight into a fresh
    /// SQLite store in this process.
    Import {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long)]
        pool: String,
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long)]
        server_pid: Option<u32>,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// The SigV4 gateway against going straight to the upstream, in one run: serves an S3
    /// stand-in on --upstream-listen (name it as the server's `s3` upstream), then small GETs and
    /// PUTs (p50/p99), GETs at --concurrency, and a --large-mib upload and download (MB/s, the
    /// server's peak memory with --server-pid).
    Gateway {
        #[arg(long, default_value = "http://127.0.0.1:9229")]
        endpoint: String,
        #[arg(long, default_value = "http://127.0.0.1:9230")]
        gateway: String,
        #[arg(long, default_value = "127.0.0.1:9232")]
        upstream_listen: String,
        #[arg(long)]
        server_pid: Option<u32>,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 1024)]
        large_mib: u64,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY")]
        secret_access_key: String,
    },
}

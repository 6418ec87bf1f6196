//! A throwaway PostgreSQL server for tests, started from the system's binaries (initdb and
//! pg_ctl) once per test process, with a fresh database for each caller. A watchdog stops the
//! server and removes its files when the test process exits. It never skips: when PostgreSQL
//! cannot start, the caller's test fails with the reason.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

struct Server {
    port: u16,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static DATABASE_COUNTER: AtomicU32 = AtomicU32::new(0);

fn postgres_bin_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("COGNATE_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|error| format!("PostgreSQL binaries not found under /usr/lib/postgresql: {error}"))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    candidates.sort();
    candidates.pop().ok_or_else(|| "no PostgreSQL with initdb under /usr/lib/postgresql".to_string())
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0").unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when this process is root (PostgreSQL refuses
/// to run as root).
fn run_tool(as_root: bool, program: PathBuf, arguments: &[&str]) -> Result<(), String> {
    let mut command = if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(&program);
        command
    } else {
        Command::new(&program)
    };
    let output = command
        .args(arguments)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("running {}: {error}", program.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|error| error.to_string())?;
    Ok(listener.local_addr().map_err(|error| error.to_string())?.port())
}

fn start() -> Result<Server, String> {
    let bin = postgres_bin_dir()?;
    let as_root = running_as_root();
    let base = std::env::temp_dir().join(format!("cognate-pg-{}-{}", std::process::id(), free_port()?));
    let data_dir = base.join("data");
    std::fs::create_dir_all(&base).map_err(|error| error.to_string())?;
    if as_root {
        let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&base).status();
        if !matches!(status, Ok(status) if status.success()) {
            return Err("could not hand the PostgreSQL directory to the postgres user".into());
        }
    }
    let data = data_dir.to_string_lossy().to_string();
    run_tool(
        as_root,
        bin.join("initdb"),
        &["-D", &data, "-U", "postgres", "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync"],
    )?;
    let port = free_port()?;
    let options = format!(
        "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000",
        base.display()
    );
    let log = base.join("postgres.log").to_string_lossy().to_string();
    run_tool(as_root, bin.join("pg_ctl"), &["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start"])?;
    // Stop the server and remove its files once this test process has gone.
    let pg_ctl = bin.join("pg_ctl");
    let stop = if as_root {
        format!("runuser -u postgres -- {} -D {data} -m immediate stop", pg_ctl.display())
    } else {
        format!("{} -D {data} -m immediate stop", pg_ctl.display())
    };
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {base}",
        pid = std::process::id(),
        base = base.display()
    );
    Command::new("sh")
        .args(["-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| format!("starting the PostgreSQL watchdog: {error}"))?;
    Ok(Server { port })
}

/// The URL of a new, empty database on the test process's PostgreSQL server. Panics with the
/// reason when the server cannot be started.
pub async fn fresh_postgres_database() -> String {
    let server = match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(reason) => panic!("PostgreSQL could not start: {reason}"),
    };
    let name = format!("cognate_test_{}_{}", std::process::id(), DATABASE_COUNTER.fetch_add(1, Ordering::SeqCst));
    let admin_url = format!("postgres://postgres@127.0.0.1:{}/postgres", server.port);
    sqlx::any::install_default_drivers();
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(&admin_url).await.expect("connect to the test PostgreSQL");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut connection).await.expect("create a test database");
    let _ = connection.close().await;
    format!("postgres://postgres@127.0.0.1:{}/{name}", server.port)
}

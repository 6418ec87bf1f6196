//! What the server records about its own work, and who may read it: the metrics `GET /metrics`
//! serves (on unless turned off) and their bearer token, and how long each user's sign-in
//! history is kept (0: none is recorded).

use crate::secret::Secret;

/// The flags (flattened into `cognate serve`'s).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ObservingArgs {
    /// Bearer token that may read `GET /metrics` (the root credentials always may).
    #[arg(long, env = "COGNATE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Count requests, sign-ins and the rest for `GET /metrics` [default: true].
    #[arg(long, env = "COGNATE_METRICS")]
    pub metrics: Option<bool>,
    /// Days each sign-in attempt and account event stays in the user's history
    /// (AdminListUserAuthEvents); 0 records none [default: 90].
    #[arg(long, env = "COGNATE_AUTH_EVENT_RETENTION_DAYS")]
    pub auth_event_retention_days: Option<u32>,
}

/// The same, as the TOML file gives them (top-level keys).
#[derive(Debug, Clone, Default)]
pub struct ObservingFile {
    pub metrics_token: Option<String>,
    pub metrics: Option<bool>,
    pub auth_event_retention_days: Option<u32>,
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Observing {
    pub metrics_token: Option<Secret>,
    pub metrics: bool,
    pub auth_event_retention_days: u32,
}

impl Default for Observing {
    fn default() -> Self {
        Observing { metrics_token: None, metrics: true, auth_event_retention_days: 90 }
    }
}

impl Observing {
    pub fn resolve(args: ObservingArgs, file: ObservingFile) -> Result<Observing, String> {
        let days = args.auth_event_retention_days.or(file.auth_event_retention_days).unwrap_or(90);
        if days > 3650 {
            return Err(format!("auth_event_retention_days is {days}: keep sign-in history for at most 3650 days"));
        }
        Ok(Observing {
            metrics_token: args.metrics_token.or(file.metrics_token).filter(|token| !token.is_empty()).map(Secret),
            metrics: args.metrics.or(file.metrics).unwrap_or(true),
            auth_event_retention_days: days,
        })
    }

    /// The retention handed to the user pools: None when no history is kept.
    pub fn auth_event_retention_ms(&self) -> Option<i64> {
        (self.auth_event_retention_days > 0).then(|| i64::from(self.auth_event_retention_days) * 24 * 60 * 60 * 1000)
    }
}

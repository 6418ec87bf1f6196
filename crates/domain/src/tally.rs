//! What the services count for the operator's metrics, through the [`Tally`] port the server
//! implements: sign-in steps by flow and outcome, lockouts, tokens issued, and trigger
//! invocations with their latency. Counting never fails and never waits.

use std::time::Duration;

/// One thing counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// A sign-in step (`flow`: the AuthFlow, the challenge answered, or the hosted page's step)
    /// and its outcome (`Pass`, `Fail`, `InProgress`).
    SignIn { flow: &'static str, outcome: &'static str },
    /// A sign-in refused because the user is locked out after failed attempts.
    Lockout,
    /// ID and access tokens issued, by occasion (the PreTokenGeneration trigger source, or
    /// `ClientCredentials`).
    TokensIssued { occasion: &'static str },
    /// A Lambda trigger invoked: its name, `ok` or the failure (`refused`, `unreachable`,
    /// `invalid`), and how long it took.
    Trigger { trigger: &'static str, outcome: &'static str, latency: Duration },
}

/// Where the counts go.
pub trait Tally: Send + Sync + 'static {
    fn count(&self, counted: Counted);
}

//! The ways to reach users that the server hands in: email (SMTP) and SMS (a webhook). Without
//! one, or when it fails, messages stay in the outbox, so nothing is lost.

/// A way to reach users by email, handed in by the server (SMTP). Without one, or when it
/// fails, messages stay in the outbox, so nothing is lost.
#[async_trait::async_trait]
pub trait EmailChannel: Send + Sync + 'static {
    /// Sends one message; the error text is for the log.
    async fn send_email(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}

/// A way to reach users by SMS, handed in by the server (an HTTP webhook). Without one, or when
/// it fails, messages stay in the outbox.
#[async_trait::async_trait]
pub trait SmsChannel: Send + Sync + 'static {
    /// Sends one text message; the error text is for the log.
    async fn send_sms(&self, pool_id: &str, username: &str, to: &str, body: &str) -> Result<(), String>;
}

//! Message delivery. Email over SMTP: `smtp://[user:pass@]host[:port]` (plain, for a local
//! relay) or `smtps://[user:pass@]host[:port]` (TLS from the first byte, port 465 by default).
//! SMS through an HTTP webhook: one JSON POST per message
//! (`{"userPoolId", "username", "phoneNumber", "message"}`), sent when it answers 2xx.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use cognate_domain::user_pool::messages::{EmailChannel, SmsChannel};

/// SMS through an HTTP webhook (an SMS gateway, or a test's receiver).
pub struct SmsWebhook {
    client: reqwest::Client,
    url: String,
}

impl SmsWebhook {
    pub fn new(url: &str) -> Result<SmsWebhook, String> {
        let client = crate::http_client::client_builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|error| format!("building the SMS webhook client: {error}"))?;
        Ok(SmsWebhook { client, url: url.to_string() })
    }
}

#[async_trait::async_trait]
impl SmsChannel for SmsWebhook {
    async fn send_sms(&self, pool_id: &str, username: &str, to: &str, body: &str) -> Result<(), String> {
        let message = serde_json::json!({"userPoolId": pool_id, "username": username, "phoneNumber": to, "message": body});
        let response = self.client.post(&self.url).json(&message).send().await.map_err(|error| error.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the SMS webhook answered {}", response.status()))
        }
    }
}

pub struct SmtpChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpChannel {
    /// Parses the URL and the sender; fails on anything it cannot use. `ca_pem` adds trusted
    /// root certificates for `smtps://` (a relay with a private CA); the public roots stay.
    pub fn new(url: &str, mail_from: &str, ca_pem: Option<&[u8]>) -> Result<SmtpChannel, String> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| format!("the SMTP URL must be smtp:// or smtps://, got {url}"))?;
        let (credentials, host_port) = match rest.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, rest),
        };
        let host_port = host_port.trim_end_matches('/');
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port.parse::<u16>().map_err(|_| format!("bad SMTP port in {host_port}"))?)),
            None => (host_port, None),
        };
        if host.is_empty() {
            return Err("the SMTP URL names no host".into());
        }
        let mut builder = match scheme {
            "smtp" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port.unwrap_or(25)),
            "smtps" => {
                use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
                let mut parameters = TlsParameters::builder(host.to_string());
                if let Some(pem) = ca_pem {
                    if !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----") {
                        return Err("the SMTP CA file holds no PEM certificate".into());
                    }
                    let certificate = Certificate::from_pem(pem).map_err(|error| format!("the SMTP CA file: {error}"))?;
                    parameters = parameters.add_root_certificate(certificate);
                }
                let parameters = parameters.build_rustls().map_err(|error| error.to_string())?;
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port.unwrap_or(465)).tls(Tls::Wrapper(parameters))
            }
            other => return Err(format!("the SMTP URL must be smtp:// or smtps://, got {other}://")),
        };
        if let Some(credentials) = credentials {
            let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
            let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
            builder = builder.credentials(Credentials::new(decode(user), decode(password)));
        }
        let from: Mailbox = mail_from.parse().map_err(|error| format!("the sender {mail_from} is not an address: {error}"))?;
        Ok(SmtpChannel { transport: builder.build(), from })
    }
}

#[async_trait::async_trait]
impl EmailChannel for SmtpChannel {
    async fn send_email(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|error| format!("bad recipient: {error}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|error| error.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(SmtpChannel::new("smtp://127.0.0.1:2525", "cognate <no-reply@example.com>", None).is_ok());
        assert!(SmtpChannel::new("smtps://user:p%40ss@mail.example.com", "no-reply@example.com", None).is_ok());
        assert!(SmtpChannel::new("http://mail.example.com", "no-reply@example.com", None).is_err());
        assert!(SmtpChannel::new("smtp://:25", "no-reply@example.com", None).is_err());
        assert!(SmtpChannel::new("smtp://mail.example.com", "not an address", None).is_err());
        assert!(SmtpChannel::new("smtps://mail.example.com", "no-reply@example.com", Some(b"not a certificate")).is_err());
    }
}

//! The ways out that the server hands in: email (SMTP) and SMS (a webhook), where without one,
//! or when it fails, messages stay in the outbox, so nothing is lost; and the Lambda Invoke API
//! that runs the pools' triggers and the key service (KMS) that encrypts their custom senders'
//! codes; the cognito-idp API of the Cognito pools copied pools came from.

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

/// Why an invocation gave no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeFailure {
    /// The function ran and failed (X-Amz-Function-Error): its error message.
    Function(String),
    /// No answer: the endpoint is down, refused the call, or took longer than the deadline.
    Unreachable(String),
}

/// Invokes a Lambda function synchronously with an event and answers its result, handed in by
/// the server (the Lambda Invoke API).
#[async_trait::async_trait]
pub trait LambdaInvoker: Send + Sync {
    async fn invoke(&self, function: &str, event: &serde_json::Value) -> Result<serde_json::Value, InvokeFailure>;
}

/// Where the source pool is and the keys that reach it.
#[derive(Debug, Clone)]
pub struct SourceEndpoint {
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// Why a call to the source did not answer a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// The service's error: its `__type` (without namespace) and message.
    Service { code: String, message: String },
    Unreachable(String),
}

/// A signed call of the cognito-idp JSON protocol to a source pool's service.
#[async_trait::async_trait]
pub trait CognitoApi: Send + Sync {
    async fn call(&self, source: &SourceEndpoint, operation: &str, body: &serde_json::Value) -> Result<serde_json::Value, SourceError>;
}

/// A data key from a key service (AWS KMS's GenerateDataKey, AES_256): the key, the same key
/// encrypted under the service's key, and that key's full ARN.
pub struct DataKey {
    pub plaintext: [u8; 32],
    pub encrypted: Vec<u8>,
    pub key_arn: String,
}

/// Makes data keys under a key of a key service (the AWS KMS API), handed in by the server: the
/// custom senders' codes are encrypted under them, as Cognito encrypts them.
#[async_trait::async_trait]
pub trait KeyService: Send + Sync {
    /// A fresh data key under `key_id` (an ARN, a key id or an alias), bound to `context`;
    /// the error text is for the log.
    async fn generate_data_key(&self, key_id: &str, context: &std::collections::BTreeMap<String, String>) -> Result<DataKey, String>;
}

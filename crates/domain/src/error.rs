//! The one error type of the domain, in domain words. Each protocol edge maps it exhaustively.

/// What went wrong, as the domain sees it. Messages are shown to clients, so they never carry
/// secrets or internal detail; [`DomainError::Internal`] carries detail for the log only.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// A pool, client or group that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A user that does not exist.
    #[error("{0}")]
    UserNotFound(String),
    /// A group with this name already exists.
    #[error("{0}")]
    GroupExists(String),
    /// A user with this username (or username attribute) already exists.
    #[error("{0}")]
    UsernameExists(String),
    /// An alias (email, phone) is already used by another user.
    #[error("{0}")]
    AliasExists(String),
    /// A request member outside its constraint in the service model (pattern, length, range,
    /// enumeration, required). Each edge writes it in its protocol's validation wording.
    #[error("{0}")]
    InvalidMember(InvalidMember),
    /// A parameter that contradicts the resource's settings or the service's rules.
    #[error("{0}")]
    InvalidParameter(String),
    /// A password does not satisfy the pool's password policy.
    #[error("{0}")]
    InvalidPassword(String),
    /// A new password is one of the user's recent ones (PasswordHistorySize).
    #[error("{0}")]
    PasswordReused(String),
    /// The caller may not do this.
    #[error("{0}")]
    NotAuthorized(String),
    /// The user is in a state that does not allow this operation.
    #[error("{0}")]
    UnsupportedUserState(String),
    /// The user has not confirmed their account.
    #[error("{0}")]
    UserNotConfirmed(String),
    /// The user must reset their password before signing in.
    #[error("{0}")]
    PasswordResetRequired(String),
    /// A refresh token replaced by a rotation, used after the grace period
    /// (RefreshTokenReuseException).
    #[error("{0}")]
    RefreshTokenReused(String),
    /// A one-time code does not match.
    #[error("{0}")]
    CodeMismatch(String),
    /// A code of the authenticator app being set up does not match
    /// (EnableSoftwareTokenMFAException).
    #[error("{0}")]
    EnableSoftwareTokenMfa(String),
    /// No authenticator app is being set up, or the pool does not offer one
    /// (SoftwareTokenMFANotFoundException).
    #[error("{0}")]
    SoftwareTokenMfaNotFound(String),
    /// A device that is confirmed already (DeviceKeyExistsException).
    #[error("{0}")]
    DeviceKeyExists(String),
    /// A passkey registration refused for a WebAuthn reason of its own (Cognito's
    /// WebAuthn*Exception).
    #[error("{1}")]
    WebAuthn(WebAuthnError, String),
    /// A one-time code has expired.
    #[error("{0}")]
    ExpiredCode(String),
    /// The operation is switched off for this resource (for example token revocation).
    #[error("{0}")]
    UnsupportedOperation(String),
    /// The client may not act on this resource (a token issued to another client).
    #[error("{0}")]
    UnauthorizedClient(String),
    /// The resource is not in the state the operation needs (an import job already started).
    #[error("{0}")]
    PreconditionNotMet(String),
    /// A Cognito feature cognate does not implement yet.
    #[error("{0}")]
    NotImplemented(String),
    /// A resource limit was reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// The resource exists already, or is still in use (IAM's EntityAlreadyExists and
    /// DeleteConflict, Cognito Identity's ResourceConflictException).
    #[error("{0}")]
    Conflict(String),
    /// The same request is already being carried out (Cognito Sync's DuplicateRequestException:
    /// a bulk publish in progress).
    #[error("{0}")]
    DuplicateRequest(String),
    /// The pool was bulk published in the last 24 hours (AlreadyStreamedException).
    #[error("{0}")]
    AlreadyStreamed(String),
    /// The resource is still used by others and cannot be deleted (IAM's DeleteConflict).
    #[error("{0}")]
    InUse(String),
    /// A policy document that does not parse or breaks IAM's rules.
    #[error("{0}")]
    MalformedPolicy(String),
    /// A web identity token that is malformed, not signed by its issuer, expired or meant for
    /// another audience.
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// A policy (trust or identity) does not allow the request.
    #[error("{0}")]
    AccessDenied(String),
    /// Temporary credentials or a token past their expiry.
    #[error("{0}")]
    ExpiredToken(String),
    /// A configuration that cannot serve: an identity pool whose roles cannot serve the
    /// request, a pool's provider set up wrongly, or (IAM's InvalidInput) a SAML provider's
    /// metadata or keys that are not what they must be.
    #[error("{0}")]
    InvalidConfiguration(String),
    /// An external identity provider could not be reached or answered nonsense.
    #[error("{0}")]
    ProviderUnreachable(String),
    /// A trigger (webhook) answered something that is not a valid result.
    #[error("{0}")]
    TriggerOutputInvalid(String),
    /// A trigger's function ran and failed (UserLambdaValidationException): the message names
    /// the trigger and carries the function's error.
    #[error("{0}")]
    TriggerRefused(String),
    /// A trigger (webhook) could not be reached or failed.
    #[error("{0}")]
    TriggerUnavailable(String),
    /// Too much at once: the record this request changes was changed by others every time it
    /// tried, or the work it needs is over the server's bounds. Nothing was changed; the caller
    /// may try again (Cognito's TooManyRequestsException).
    #[error("{0}")]
    TooManyRequests(String),
    /// The database cannot be reached right now; the caller may retry (503).
    #[error("{0}")]
    Unavailable(String),
    /// Something that is not the caller's fault: storage unreachable, corrupt data.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a passkey registration was refused, as Cognito names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebAuthnError {
    /// The pool does not allow passkeys (WebAuthnNotEnabledException).
    NotEnabled,
    /// The pool has no relying party ID (WebAuthnConfigurationMissingException).
    ConfigurationMissing,
    /// No registration is pending, or its challenge is not the one answered
    /// (WebAuthnChallengeNotFoundException).
    ChallengeNotFound,
    /// The authenticator data names another relying party (WebAuthnRelyingPartyMismatchException).
    RelyingPartyMismatch,
    /// The client data is not of a registration (WebAuthnClientMismatchException).
    ClientMismatch,
    /// The origin is not the relying party's (WebAuthnOriginNotAllowedException).
    OriginNotAllowed,
    /// A key algorithm or attestation this server does not take
    /// (WebAuthnCredentialNotSupportedException).
    CredentialNotSupported,
}

impl WebAuthnError {
    /// Cognito's exception name.
    pub fn exception(self) -> &'static str {
        match self {
            WebAuthnError::NotEnabled => "WebAuthnNotEnabledException",
            WebAuthnError::ConfigurationMissing => "WebAuthnConfigurationMissingException",
            WebAuthnError::ChallengeNotFound => "WebAuthnChallengeNotFoundException",
            WebAuthnError::RelyingPartyMismatch => "WebAuthnRelyingPartyMismatchException",
            WebAuthnError::ClientMismatch => "WebAuthnClientMismatchException",
            WebAuthnError::OriginNotAllowed => "WebAuthnOriginNotAllowedException",
            WebAuthnError::CredentialNotSupported => "WebAuthnCredentialNotSupportedException",
        }
    }
}

/// A member that fails its constraint: the member's model name (`userPoolId`), the value given
/// (`None` when it is missing) and the constraint it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidMember {
    pub member: String,
    pub value: Option<String>,
    pub constraint: Constraint,
}

/// A constraint of the service model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// Must be given.
    Required,
    /// Must match a regular expression (as the model writes it).
    Pattern(&'static str),
    /// Must match a regular expression and have a length in `min..=max` characters.
    PatternAndLength { pattern: &'static str, min: usize, max: usize },
    /// Must have a length in `min..=max` characters (or items).
    Length { min: usize, max: usize },
    /// Must have at most this many characters.
    MaxLength(usize),
    /// Must be a number in `min..=max`.
    Range { min: i64, max: i64 },
    /// Must be a number of at least this.
    AtLeast(i64),
    /// Must be one of these names.
    OneOf(Vec<&'static str>),
}

impl InvalidMember {
    /// The error for `value` at `member` failing `constraint`.
    pub fn error(member: &str, value: impl Into<String>, constraint: Constraint) -> DomainError {
        DomainError::InvalidMember(InvalidMember { member: member.to_string(), value: Some(value.into()), constraint })
    }

    /// The error for a required `member` that is missing.
    pub fn missing(member: &str) -> DomainError {
        DomainError::InvalidMember(InvalidMember { member: member.to_string(), value: None, constraint: Constraint::Required })
    }
}

impl std::fmt::Display for InvalidMember {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            None => write!(formatter, "{} is required", self.member),
            Some(value) => write!(formatter, "'{value}' is not a valid {}", self.member),
        }
    }
}

impl DomainError {
    /// Wraps an unexpected failure (storage, crypto) whose detail is for the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        DomainError::Internal(detail.to_string())
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

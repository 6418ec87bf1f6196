//! STS's errors: every `DomainError` mapped by name to STS's error codes (no catch-all).

use axum::http::StatusCode;

use cognate_domain::DomainError;

use crate::aws::validation;
use crate::aws::query::QueryError;

pub fn error_from_domain(error: DomainError) -> QueryError {
    match error {
        DomainError::InvalidIdentityToken(message) => QueryError::sender("InvalidIdentityToken", message),
        DomainError::ExpiredToken(message) => QueryError::sender("ExpiredTokenException", message),
        DomainError::AccessDenied(message) | DomainError::NotAuthorized(message) | DomainError::NotFound(message) => {
            QueryError::new(StatusCode::FORBIDDEN, "AccessDenied", message)
        }
        DomainError::MalformedPolicy(message) => QueryError::sender("MalformedPolicyDocument", message),
        DomainError::LimitExceeded(message) => QueryError::sender("PackedPolicyTooLarge", message),
        DomainError::ProviderUnreachable(message) => QueryError::sender("IDPCommunicationError", message),
        DomainError::NotImplemented(message) => QueryError::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", message),
        DomainError::Unavailable(message) => QueryError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", message),
        DomainError::TooManyRequests(message) => QueryError::sender("Throttling", message),
        DomainError::InvalidMember(invalid) => QueryError::validation(validation::message(&invalid)),
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            QueryError::internal()
        }
        error @ (DomainError::DuplicateRequest(_)
        | DomainError::AlreadyStreamed(_)
        | DomainError::UserNotFound(_)
        | DomainError::GroupExists(_)
        | DomainError::UsernameExists(_)
        | DomainError::AliasExists(_)
        | DomainError::InvalidParameter(_)
        | DomainError::InvalidPassword(_)
        | DomainError::PasswordReused(_)
        | DomainError::UnsupportedUserState(_)
        | DomainError::UserNotConfirmed(_)
        | DomainError::PasswordResetRequired(_)
        | DomainError::CodeMismatch(_)
        | DomainError::EnableSoftwareTokenMfa(_)
        | DomainError::SoftwareTokenMfaNotFound(_)
        | DomainError::DeviceKeyExists(_)
        | DomainError::TriggerRefused(_)
        | DomainError::WebAuthn(..)
        | DomainError::RefreshTokenReused(_)
        | DomainError::ExpiredCode(_)
        | DomainError::PreconditionNotMet(_)
        | DomainError::UnsupportedOperation(_)
        | DomainError::UnauthorizedClient(_)
        | DomainError::Conflict(_)
        | DomainError::InUse(_)
        | DomainError::InvalidConfiguration(_)
        | DomainError::TriggerOutputInvalid(_)
        | DomainError::TriggerUnavailable(_)) => QueryError::validation(error.to_string()),
    }
}

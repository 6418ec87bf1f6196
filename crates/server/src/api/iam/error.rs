//! IAM's errors: every `DomainError` mapped by name to IAM's error codes (no catch-all).

use axum::http::StatusCode;

use cognate_domain::DomainError;

use crate::aws::validation;
use crate::aws::query::QueryError;

pub fn error_from_domain(error: DomainError) -> QueryError {
    match error {
        DomainError::NotFound(message) => QueryError::new(StatusCode::NOT_FOUND, "NoSuchEntity", message),
        DomainError::Conflict(message) => QueryError::new(StatusCode::CONFLICT, "EntityAlreadyExists", message),
        DomainError::InUse(message) => QueryError::new(StatusCode::CONFLICT, "DeleteConflict", message),
        DomainError::InvalidPassword(message) => QueryError::sender("PasswordPolicyViolation", message),
        DomainError::CodeMismatch(message) => QueryError::new(StatusCode::FORBIDDEN, "InvalidAuthenticationCode", message),
        DomainError::MalformedPolicy(message) => QueryError::sender("MalformedPolicyDocument", message),
        DomainError::LimitExceeded(message) => QueryError::new(StatusCode::CONFLICT, "LimitExceeded", message),
        DomainError::InvalidMember(invalid) => QueryError::validation(validation::message(&invalid)),
        DomainError::InvalidParameter(message) => QueryError::validation(message),
        DomainError::InvalidConfiguration(message) => QueryError::sender("InvalidInput", message),
        DomainError::NotImplemented(message) => QueryError::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", message),
        DomainError::Unavailable(message) => QueryError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", message),
        DomainError::TooManyRequests(message) => QueryError::sender("Throttling", message),
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            QueryError::new(StatusCode::INTERNAL_SERVER_ERROR, "ServiceFailure", "The request processing has failed because of an unknown error.")
        }
        error @ (DomainError::DuplicateRequest(_)
        | DomainError::AlreadyStreamed(_)
        | DomainError::UserNotFound(_)
        | DomainError::GroupExists(_)
        | DomainError::UsernameExists(_)
        | DomainError::AliasExists(_)
        | DomainError::PasswordReused(_)
        | DomainError::NotAuthorized(_)
        | DomainError::UnsupportedUserState(_)
        | DomainError::UserNotConfirmed(_)
        | DomainError::PasswordResetRequired(_)
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
        | DomainError::InvalidIdentityToken(_)
        | DomainError::AccessDenied(_)
        | DomainError::ExpiredToken(_)
        | DomainError::ProviderUnreachable(_)
        | DomainError::TriggerOutputInvalid(_)
        | DomainError::TriggerUnavailable(_)) => QueryError::sender("InvalidInput", error.to_string()),
    }
}

//! Cognito Identity's errors: every `DomainError` mapped by name to the service's exceptions (no
//! catch-all); internal errors are logged and answered generically.

use axum::http::StatusCode;

use cognate_domain::DomainError;

use crate::aws::validation;
use crate::aws::json::ApiError;

/// Maps a domain error to the Cognito Identity exception a client expects.
pub fn error_from_domain(error: DomainError) -> ApiError {
    match error {
        DomainError::NotFound(message) | DomainError::UserNotFound(message) => ApiError::client("ResourceNotFoundException", message),
        // A member outside the model's constraints (length, pattern, range, required) is the
        // protocol's ValidationException, as the service answers it; other refusals of a
        // parameter are InvalidParameterException.
        DomainError::InvalidMember(invalid) => ApiError::client("ValidationException", validation::message(&invalid)),
        DomainError::InvalidParameter(message)
        | DomainError::InvalidPassword(message)
        | DomainError::PasswordReused(message)
        | DomainError::MalformedPolicy(message) => {
            ApiError::client("InvalidParameterException", message)
        }
        DomainError::NotAuthorized(message)
        | DomainError::RefreshTokenReused(message)
        | DomainError::InvalidIdentityToken(message)
        | DomainError::ExpiredToken(message)
        | DomainError::AccessDenied(message)
        | DomainError::UnauthorizedClient(message)
        | DomainError::UserNotConfirmed(message)
        | DomainError::PasswordResetRequired(message)
        | DomainError::UnsupportedUserState(message) => ApiError::client("NotAuthorizedException", message),
        DomainError::Conflict(message)
        | DomainError::InUse(message)
        | DomainError::GroupExists(message)
        | DomainError::UsernameExists(message)
        | DomainError::AliasExists(message) => ApiError::client("ResourceConflictException", message),
        DomainError::InvalidConfiguration(message) => ApiError::client("InvalidIdentityPoolConfigurationException", message),
        DomainError::LimitExceeded(message) => ApiError::client("LimitExceededException", message),
        DomainError::ProviderUnreachable(message) | DomainError::TriggerUnavailable(message) => {
            ApiError::client("ExternalServiceException", message)
        }
        DomainError::TriggerOutputInvalid(message) => ApiError::client("InvalidParameterException", message),
        DomainError::CodeMismatch(message)
        | DomainError::EnableSoftwareTokenMfa(message)
        | DomainError::SoftwareTokenMfaNotFound(message)
        | DomainError::DeviceKeyExists(message)
        | DomainError::TriggerRefused(message)
        | DomainError::WebAuthn(_, message)
        | DomainError::ExpiredCode(message)
        | DomainError::PreconditionNotMet(message)
        | DomainError::UnsupportedOperation(message) => {
            ApiError::client("InvalidParameterException", message)
        }
        DomainError::NotImplemented(message) => ApiError::new(StatusCode::NOT_IMPLEMENTED, "NotImplementedException", message),
        DomainError::Unavailable(message) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException", message),
        DomainError::TooManyRequests(message) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException", message),
        DomainError::DuplicateRequest(message) | DomainError::AlreadyStreamed(message) => ApiError::client("ResourceConflictException", message),
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", "An internal error occurred.")
        }
    }
}

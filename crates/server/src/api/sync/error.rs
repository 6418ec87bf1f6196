//! Cognito Sync's errors: every `DomainError` mapped by name to the service's exceptions.

use axum::http::StatusCode;

use cognate_domain::DomainError;

use crate::aws::validation;
use crate::aws::json::ApiError;

pub fn error_from_domain(error: DomainError) -> ApiError {
    match error {
        DomainError::NotFound(message) | DomainError::UserNotFound(message) => {
            ApiError::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
        }
        DomainError::Conflict(message) | DomainError::InUse(message) => ApiError::new(StatusCode::CONFLICT, "ResourceConflictException", message),
        DomainError::NotAuthorized(message)
        | DomainError::AccessDenied(message)
        | DomainError::InvalidIdentityToken(message)
        | DomainError::ExpiredToken(message)
        | DomainError::UnauthorizedClient(message) => ApiError::new(StatusCode::FORBIDDEN, "NotAuthorizedException", message),
        DomainError::LimitExceeded(message) => ApiError::client("LimitExceededException", message),
        DomainError::InvalidConfiguration(message) => ApiError::client("InvalidConfigurationException", message),
        DomainError::TriggerOutputInvalid(message) => ApiError::client("InvalidLambdaFunctionOutputException", message),
        DomainError::TriggerUnavailable(message) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "LambdaThrottledException", message),
        DomainError::NotImplemented(message) => ApiError::new(StatusCode::NOT_IMPLEMENTED, "NotImplementedException", message),
        DomainError::Unavailable(message) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException", message),
        DomainError::TooManyRequests(message) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException", message),
        DomainError::DuplicateRequest(message) => ApiError::client("DuplicateRequestException", message),
        DomainError::AlreadyStreamed(message) => ApiError::client("AlreadyStreamedException", message),
        DomainError::InvalidMember(invalid) => ApiError::client("InvalidParameterException", validation::message(&invalid)),
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", "An internal error occurred.")
        }
        error @ (DomainError::GroupExists(_)
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
        | DomainError::MalformedPolicy(_)
        | DomainError::ProviderUnreachable(_)) => ApiError::client("InvalidParameterException", error.to_string()),
    }
}

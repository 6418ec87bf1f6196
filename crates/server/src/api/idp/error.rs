//! cognito-idp's errors: every `DomainError` mapped by name to Cognito's exceptions (no catch-all,
//! so a new variant must be decided here); internal errors are logged and answered generically.

use axum::http::StatusCode;

use cognate_domain::DomainError;

use crate::aws::validation;
use crate::aws::json::ApiError;

/// Maps a domain error to the Cognito exception a client expects.
pub fn error_from_domain(error: DomainError) -> ApiError {
    match error {
        DomainError::NotFound(message) => ApiError::client("ResourceNotFoundException", message),
        DomainError::UserNotFound(message) => ApiError::client("UserNotFoundException", message),
        DomainError::GroupExists(message) => ApiError::client("GroupExistsException", message),
        DomainError::UsernameExists(message) => ApiError::client("UsernameExistsException", message),
        DomainError::AliasExists(message) => ApiError::client("AliasExistsException", message),
        DomainError::InvalidMember(invalid) => ApiError::client("InvalidParameterException", validation::message(&invalid)),
        DomainError::InvalidParameter(message) => ApiError::client("InvalidParameterException", message),
        DomainError::InvalidPassword(message) => ApiError::client("InvalidPasswordException", message),
        DomainError::PasswordReused(message) => ApiError::client("PasswordHistoryPolicyViolationException", message),
        DomainError::NotAuthorized(message) => ApiError::client("NotAuthorizedException", message),
        DomainError::UnsupportedUserState(message) => ApiError::client("UnsupportedUserStateException", message),
        DomainError::LimitExceeded(message) => ApiError::client("LimitExceededException", message),
        DomainError::UserNotConfirmed(message) => ApiError::client("UserNotConfirmedException", message),
        DomainError::PasswordResetRequired(message) => ApiError::client("PasswordResetRequiredException", message),
        DomainError::CodeMismatch(message) => ApiError::client("CodeMismatchException", message),
        DomainError::EnableSoftwareTokenMfa(message) => ApiError::client("EnableSoftwareTokenMFAException", message),
        DomainError::SoftwareTokenMfaNotFound(message) => ApiError::client("SoftwareTokenMFANotFoundException", message),
        DomainError::DeviceKeyExists(message) => ApiError::client("DeviceKeyExistsException", message),
        DomainError::WebAuthn(kind, message) => ApiError::client(kind.exception(), message),
        DomainError::RefreshTokenReused(message) => ApiError::client("RefreshTokenReuseException", message),
        DomainError::ExpiredCode(message) => ApiError::client("ExpiredCodeException", message),
        DomainError::UnsupportedOperation(message) => ApiError::client("UnsupportedOperationException", message),
        DomainError::PreconditionNotMet(message) => ApiError::client("PreconditionNotMetException", message),
        DomainError::UnauthorizedClient(message) => ApiError::client("UnauthorizedException", message),
        DomainError::NotImplemented(message) => ApiError::new(StatusCode::NOT_IMPLEMENTED, "NotImplementedException", message),
        DomainError::Conflict(message) | DomainError::InUse(message) => ApiError::client("ConcurrentModificationException", message),
        DomainError::MalformedPolicy(message) | DomainError::InvalidConfiguration(message) => {
            ApiError::client("InvalidParameterException", message)
        }
        DomainError::InvalidIdentityToken(message) | DomainError::AccessDenied(message) | DomainError::ExpiredToken(message) => {
            ApiError::client("NotAuthorizedException", message)
        }
        DomainError::ProviderUnreachable(message) => ApiError::client("InvalidOAuthFlowException", message),
        DomainError::TriggerRefused(message) => ApiError::client("UserLambdaValidationException", message),
        DomainError::TriggerOutputInvalid(message) => ApiError::client("InvalidLambdaResponseException", message),
        DomainError::TriggerUnavailable(message) => ApiError::client("UnexpectedLambdaException", message),
        DomainError::Unavailable(message) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException", message),
        DomainError::TooManyRequests(message) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException", message),
        // Cognito Sync's refusals; no cognito-idp operation meets them.
        DomainError::DuplicateRequest(message) | DomainError::AlreadyStreamed(message) => ApiError::client("InvalidParameterException", message),
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            ApiError::internal()
        }
    }
}

//! The rate limit in front of the hosted forms and the token endpoint: a request that could guess
//! a password or a code is refused with 429, in the form's own format (plain text for pages,
//! OAuth's `slow_down` for the token endpoint), once its source address is over its limit.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::rate::peer_address;
use crate::state::AppState;

/// The 429 answer to a hosted form, the console's sign-in or the token endpoint whose source
/// address is over its limit; None when the request may go on (the token endpoint is also
/// limited by client, where the client is known).
pub(crate) fn refusal(state: &AppState, request: &Request) -> Option<Response> {
    let path = request.uri().path();
    let guessable = request.method() == Method::POST
        && ["/login", "/signup", "/confirm", "/confirmForgotPassword", "/forgotPassword", "/newPassword", "/mfa", "/passwordless", "/passkey", "/oauth2/token", "/oauth2/revoke", "/console/sign-in"]
            .iter()
            .any(|suffix| path.ends_with(suffix));
    if guessable && !state.rate_limits.allow(peer_address(request), None) {
        let oauth = path.ends_with("/oauth2/token") || path.ends_with("/oauth2/revoke");
        let body = if oauth {
            r#"{"error":"slow_down","error_description":"Too many requests from this address."}"#
        } else {
            "Too many requests from this address. Try again in a moment."
        };
        let content_type = if oauth { "application/json" } else { "text/plain; charset=utf-8" };
        return Some((StatusCode::TOO_MANY_REQUESTS, [("content-type", content_type), ("retry-after", "1")], body).into_response());
    }
    None
}

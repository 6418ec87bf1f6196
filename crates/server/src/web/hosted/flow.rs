//! One step of the hosted flow: the authorization request a page carries (checked by the
//! domain), what every page handler takes from the request, forms, and refusals shown as pages
//! or redirects.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use cognate_domain::ids::UserPoolId;
use cognate_domain::user_pool::hosted::{with_parameters, AuthorizeError, AuthorizeRequest, CheckedAuthorize};
use cognate_domain::user_pool::User;
use cognate_domain::DomainError;

use crate::state::AppState;
use crate::aws::query::QueryInput;
use crate::web::hosted::domains::*;
use crate::web::hosted::render::*;
use crate::web::hosted::session::*;

/// The authorization request's parameters as a query string, to carry from page to page.
pub(crate) fn auth_query(request: &AuthorizeRequest) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("client_id", &request.client_id),
        ("response_type", &request.response_type),
        ("redirect_uri", &request.redirect_uri),
    ];
    for (name, value) in [
        ("state", &request.state),
        ("scope", &request.scope),
        ("nonce", &request.nonce),
        ("code_challenge", &request.code_challenge),
        ("code_challenge_method", &request.code_challenge_method),
    ] {
        if let Some(value) = value {
            pairs.push((name, value));
        }
    }
    with_parameters("", &pairs, false).trim_start_matches('?').to_string()
}

pub(crate) fn authorize_request(query: &QueryInput) -> AuthorizeRequest {
    let text = |name: &str| query.get(name).map(str::to_string);
    AuthorizeRequest {
        client_id: query.get("client_id").unwrap_or("").to_string(),
        response_type: query.get("response_type").unwrap_or("").to_string(),
        redirect_uri: query.get("redirect_uri").unwrap_or("").to_string(),
        state: text("state"),
        scope: text("scope"),
        nonce: text("nonce"),
        code_challenge: text("code_challenge"),
        code_challenge_method: text("code_challenge_method"),
        identity_provider: text("identity_provider"),
        idp_identifier: text("idp_identifier"),
        prompt: text("prompt"),
    }
}

pub(crate) fn query_of(uri: &Uri) -> QueryInput {
    QueryInput::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default()
}

/// What to answer when an authorization request fails its checks.
pub(crate) fn refused(error: AuthorizeError, request: &AuthorizeRequest, operation: &'static str) -> Response {
    match error {
        AuthorizeError::Page(message) => finish(error_page(&message, ""), operation),
        AuthorizeError::Redirect { error, description } => {
            let mut pairs = vec![("error", error), ("error_description", description.as_str())];
            if let Some(state) = request.state.as_deref() {
                pairs.push(("state", state));
            }
            redirect(&with_parameters(&request.redirect_uri, &pairs, false), vec![], operation)
        }
    }
}

/// The message a page shows for a refusal of the domain.
pub(crate) fn page_message(error: &DomainError) -> String {
    match error {
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error on a hosted page");
            "An internal error occurred. Try again.".into()
        }
        DomainError::UserNotFound(_) => "Incorrect username or password.".into(),
        error @ (DomainError::NotFound(_)
        | DomainError::GroupExists(_)
        | DomainError::UsernameExists(_)
        | DomainError::AliasExists(_)
        | DomainError::InvalidParameter(_)
        | DomainError::InvalidMember(_)
        | DomainError::RefreshTokenReused(_)
        | DomainError::InvalidPassword(_)
        | DomainError::PasswordReused(_)
        | DomainError::NotAuthorized(_)
        | DomainError::UnsupportedUserState(_)
        | DomainError::UserNotConfirmed(_)
        | DomainError::PasswordResetRequired(_)
        | DomainError::CodeMismatch(_)
        | DomainError::EnableSoftwareTokenMfa(_)
        | DomainError::SoftwareTokenMfaNotFound(_)
        | DomainError::DeviceKeyExists(_)
        | DomainError::TriggerRefused(_)
        | DomainError::WebAuthn(..)
        | DomainError::ExpiredCode(_)
        | DomainError::PreconditionNotMet(_)
        | DomainError::UnsupportedOperation(_)
        | DomainError::UnauthorizedClient(_)
        | DomainError::NotImplemented(_)
        | DomainError::LimitExceeded(_)
        | DomainError::Conflict(_)
        | DomainError::DuplicateRequest(_)
        | DomainError::AlreadyStreamed(_)
        | DomainError::InUse(_)
        | DomainError::MalformedPolicy(_)
        | DomainError::InvalidIdentityToken(_)
        | DomainError::AccessDenied(_)
        | DomainError::ExpiredToken(_)
        | DomainError::InvalidConfiguration(_)
        | DomainError::ProviderUnreachable(_)
        | DomainError::TriggerOutputInvalid(_)
        | DomainError::TriggerUnavailable(_)
        | DomainError::TooManyRequests(_)
        | DomainError::Unavailable(_)) => error.to_string(),
    }
}

/// One page of the flow: its checked request, look and CSRF token.
pub(crate) struct Flow {
    pub(crate) checked: CheckedAuthorize,
    pub(crate) base: HostedBase,
    pub(crate) look: Look,
    pub(crate) query: String,
    pub(crate) token: String,
    pub(crate) cookies: Vec<String>,
}

pub(crate) async fn flow(state: &AppState, pool_id: &UserPoolId, base: HostedBase, uri: &Uri, headers: &HeaderMap, operation: &'static str) -> Result<Flow, Response> {
    let request = authorize_request(&query_of(uri));
    let checked = state.user_pools.check_authorize(pool_id, &request).await.map_err(|error| refused(error, &request, operation))?;
    let look = look(state, pool_id, &request.client_id, &base).await;
    let (token, new_cookie) = csrf(state, headers, if base.prefix.is_empty() { "/" } else { &base.prefix });
    Ok(Flow { query: auth_query(&request), checked, base, look, token, cookies: new_cookie.into_iter().collect() })
}

impl Flow {
    pub(crate) fn action(&self, page: &str) -> String {
        format!("{}/{page}?{}", self.base.prefix, self.query)
    }

    pub(crate) fn form(&self, page: &str, fields: &str, submit: &str) -> String {
        format!(
            "<form method=\"post\" action=\"{action}\" novalidate><input type=\"hidden\" name=\"_csrf\" value=\"{token}\">{fields}<button class=\"submitButton-customizable\" type=\"submit\">{submit}</button></form>",
            action = escape(&self.action(page)),
            token = escape(&self.token),
        )
    }

    pub(crate) fn render(self, status: StatusCode, title: &str, error: Option<&str>, info: Option<&str>, content: &str, operation: &'static str) -> Response {
        let body = layout(title, Some(&self.look), error, info, content);
        finish(Page { status, body, cookies: self.cookies }, operation)
    }

    pub(crate) fn session_cookie(&self, state: &AppState, token: &str) -> String {
        let path = if self.base.prefix.is_empty() { "/" } else { &self.base.prefix };
        cookie(state, SESSION_COOKIE, token, path, Some(cognate_domain::user_pool::hosted::HOSTED_SESSION_MS / 1000))
    }

    /// Signs the browser in and sends it back to the app.
    pub(crate) async fn signed_in(mut self, state: &AppState, user: &User, operation: &'static str) -> Response {
        let now = state.clock.now_millis();
        let pool_id = self.checked.pool.id.clone();
        let outcome = async {
            let token = state.user_pools.start_hosted_session(&pool_id, &self.checked.client.client_id, user, now).await?;
            let target = state.user_pools.complete_authorize(&self.checked, user, now).await?;
            Ok::<_, DomainError>((token, target))
        }
        .await;
        match outcome {
            Ok((token, target)) => {
                self.cookies.push(self.session_cookie(state, &token));
                redirect(&target.0, self.cookies, operation)
            }
            Err(error) => finish(error_page(&page_message(&error), &self.look.css), operation),
        }
    }
}

/// What every page handler takes from the request: the pool, how the request reached the
/// pages, the URI (the authorization request's parameters ride in its query) and the headers.
pub struct PageRequest {
    pub(crate) pool_id: UserPoolId,
    pub(crate) base: HostedBase,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
}

impl axum::extract::FromRequestParts<AppState> for PageRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(pool_id) = Path::<String>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let pool_id = UserPoolId::parse(pool_id).map_err(|error| finish(error_page(&page_message(&error), ""), "hosted"))?;
        let base = base_of(state, parts.extensions.get::<HostedBase>(), &pool_id);
        Ok(PageRequest { pool_id, base, uri: parts.uri.clone(), headers: parts.headers.clone() })
    }
}

impl PageRequest {
    /// The checked authorization request, the look and the CSRF token of a page.
    pub(crate) async fn flow(&self, state: &AppState, operation: &'static str) -> Result<Flow, Response> {
        flow(state, &self.pool_id, self.base.clone(), &self.uri, &self.headers, operation).await
    }

    /// A submitted form whose CSRF token checks out, with the page's flow.
    pub(crate) async fn submitted(&self, state: &AppState, body: &[u8], operation: &'static str) -> Result<(QueryInput, Flow), Response> {
        let Some(form) = read_form(&self.headers, body).filter(|form| csrf_ok(state, &self.headers, form)) else {
            return Err(csrf_refused(operation));
        };
        Ok((form, self.flow(state, operation).await?))
    }
}

pub(crate) fn read_form(headers: &HeaderMap, body: &[u8]) -> Option<QueryInput> {
    let form_encoded = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if form_encoded {
        QueryInput::parse(body).ok()
    } else {
        None
    }
}

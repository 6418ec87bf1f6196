//! `/logout`, the federation callbacks `/oauth2/idpresponse` (OIDC and social providers) and
//! `/saml2/idpresponse` (SAML), SAML's metadata and single logout, the error page and the pool's logo.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use cognate_domain::ids::UserPoolId;
use cognate_domain::user_pool::hosted::{AuthorizeError, CheckedAuthorize, UpstreamFailure};
use cognate_domain::user_pool::providers::saml_logout::SamlLogoutMessage;
use cognate_domain::user_pool::User;

use crate::aws::query::QueryInput;
use crate::state::AppState;
use crate::web::hosted::flow::*;
use crate::web::hosted::render::*;
use crate::web::hosted::session::*;

/// `GET /logout`: ends the browser's session, then either goes to `logout_uri` (one of the
/// client's sign-out URLs) or, with `redirect_uri` and `response_type`, back to the sign-in page.
pub async fn logout(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "logout";
    let (pool_id, base, uri, headers) = (&page.pool_id, &page.base, &page.uri, &page.headers);
    let query = query_of(&uri);
    let client_id = query.get("client_id").unwrap_or("");
    let target = if let Some(logout_uri) = query.get("logout_uri") {
        match state.user_pools.check_logout(&pool_id, client_id, logout_uri).await {
            Ok(()) => logout_uri.to_string(),
            Err(_) => return finish(error_page("The client_id or logout_uri is not valid for this app.", ""), OPERATION),
        }
    } else {
        let request = authorize_request(&query);
        if let Err(error) = state.user_pools.check_authorize(&pool_id, &request).await {
            return match error {
                AuthorizeError::Page(_) => finish(error_page("Sign-out needs client_id with logout_uri, or with redirect_uri and response_type.", ""), OPERATION),
                other => refused(other, &request, OPERATION),
            };
        }
        format!("{}/login?{}&notice=signed_out", base.prefix, auth_query(&request))
    };
    let mut target = target;
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        // A user signed in through a SAML provider with IDPSignout signs out there too first.
        if let Ok(Some((user, _))) = state.user_pools.hosted_session_user(&pool_id, &token).await {
            match state.user_pools.saml_logout(&pool_id, &user, &target).await {
                Ok(Some(at_idp)) => target = at_idp,
                Ok(None) => {}
                Err(error) => return finish(error_page(&page_message(&error), ""), OPERATION),
            }
        }
        if let Err(error) = state.user_pools.end_hosted_session(&pool_id, &token).await {
            return finish(error_page(&page_message(&error), ""), OPERATION);
        }
    }
    let path = if base.prefix.is_empty() { "/".to_string() } else { base.prefix.clone() };
    let cleared = cookie(&state, SESSION_COOKIE, "", &path, Some(0));
    redirect(&target, vec![cleared], OPERATION)
}

/// `GET|POST /saml2/logout`, single logout by either SAML binding (a query for HTTP-Redirect, a
/// form for HTTP-POST): the IdP's LogoutResponse ends a sign-out started here and sends the
/// browser on to where it was going; the IdP's LogoutRequest signs the user out here and sends
/// the browser back to the IdP with the answer.
pub async fn saml_logout(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "saml2/logout";
    let logout_url = format!("{}{}/saml2/logout", page.base.origin, page.base.prefix);
    let form = read_form(&page.headers, &body);
    let query = page.uri.query().unwrap_or("");
    let (message, is_request) = match &form {
        Some(form) => match (form.get("SAMLRequest"), form.get("SAMLResponse")) {
            (Some(request), None) => (SamlLogoutMessage::Post { message: request, relay_state: form.get("RelayState") }, true),
            (None, Some(response)) => (SamlLogoutMessage::Post { message: response, relay_state: form.get("RelayState") }, false),
            _ => return finish(error_page("A logout message must post either SAMLRequest or SAMLResponse.", ""), OPERATION),
        },
        None => {
            let named = |name: &str| query.split('&').any(|pair| pair.split('=').next() == Some(name));
            match (named("SAMLRequest"), named("SAMLResponse")) {
                (true, false) => (SamlLogoutMessage::Redirect(query), true),
                (false, true) => (SamlLogoutMessage::Redirect(query), false),
                _ => return finish(error_page("A logout message must carry either SAMLRequest or SAMLResponse.", ""), OPERATION),
            }
        }
    };
    let outcome = match is_request {
        true => state.user_pools.idp_logout(&page.pool_id, message, &logout_url).await,
        false => state.user_pools.finish_saml_logout(&page.pool_id, message, &logout_url).await,
    };
    match outcome {
        Ok(target) => redirect(&target, vec![], OPERATION),
        Err(error) => finish(error_page(&page_message(&error), ""), OPERATION),
    }
}

/// `GET|POST /oauth2/idpresponse`: the upstream provider sends the browser back here with
/// `code` and `state` (Sign in with Apple POSTs them).
pub async fn idp_response(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "oauth2/idpresponse";
    let (pool_id, base, uri, headers) = (&page.pool_id, &page.base, &page.uri, &page.headers);
    let params = read_form(&headers, &body).filter(|form| form.get("state").is_some()).unwrap_or_else(|| query_of(&uri));
    if let Some(error) = params.get("error") {
        let description = params.get("error_description").unwrap_or("");
        return finish(error_page(&format!("The identity provider refused the sign-in: {error} {description}"), ""), OPERATION);
    }
    let (Some(upstream_state), Some(code)) = (params.get("state"), params.get("code")) else {
        return finish(error_page("The identity provider's answer has no code or state.", ""), OPERATION);
    };
    let callback = format!("{}{}/oauth2/idpresponse", base.origin, base.prefix);
    let outcome = state.user_pools.finish_upstream(&pool_id, upstream_state, code, &callback).await;
    federated(&state, &page, outcome, OPERATION).await
}

/// `POST /saml2/idpresponse`: the SAML IdP posts `SAMLResponse` and `RelayState` (the state
/// of the sign-in this server started) here, the pool's assertion consumer service.
pub async fn saml_response(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "saml2/idpresponse";
    let Some(form) = read_form(&page.headers, &body) else {
        return finish(error_page("The identity provider's answer is not a form post.", ""), OPERATION);
    };
    let (Some(response), Some(relay_state)) = (form.get("SAMLResponse"), form.get("RelayState")) else {
        return finish(error_page("The identity provider's answer has no SAMLResponse or RelayState (a sign-in the IdP starts must give the app's client_id, redirect_uri and response_type in RelayState).", ""), OPERATION);
    };
    let acs_url = format!("{}{}/saml2/idpresponse", page.base.origin, page.base.prefix);
    // This server's states are URL-safe tokens; a RelayState with `=` is the query of the app's
    // authorization request, from an IdP that started the sign-in itself.
    let outcome = if relay_state.contains('=') {
        let request = authorize_request(&QueryInput::parse(relay_state.trim_start_matches('?').as_bytes()).unwrap_or_default());
        state.user_pools.finish_idp_initiated_saml(&page.pool_id, response, &request, &acs_url).await
    } else {
        state.user_pools.finish_saml(&page.pool_id, response, relay_state, &acs_url).await
    };
    federated(&state, &page, outcome, OPERATION).await
}

/// `GET /saml2/metadata`: the pool's metadata as a SAML service provider (entity id, signing
/// certificate, the ACS URL at the address this was asked on), for an IdP to import.
pub async fn saml_metadata(State(state): State<AppState>, page: PageRequest) -> Response {
    let pages = format!("{}{}", page.base.origin, page.base.prefix);
    match state.user_pools.sp_metadata(&page.pool_id, &pages).await {
        Ok(xml) => {
            let mut response = (StatusCode::OK, xml).into_response();
            response.headers_mut().insert("content-type", HeaderValue::from_static("application/samlmetadata+xml"));
            response
        }
        Err(error) => finish(error_page(&page_message(&error), ""), "saml2/metadata"),
    }
}

/// A federated sign-in's end: the app gets its code (or the trigger's refusal), or the browser
/// an error page.
async fn federated(state: &AppState, page: &PageRequest, outcome: Result<(CheckedAuthorize, User), UpstreamFailure>, operation: &'static str) -> Response {
    match outcome {
        Ok((checked, user)) => {
            let look = look(state, &page.pool_id, &checked.client.client_id, &page.base).await;
            let flow = Flow { query: auth_query(&checked.request), checked, base: page.base.clone(), look, token: String::new(), cookies: vec![] };
            flow.signed_in(state, &user, operation).await
        }
        Err(UpstreamFailure::Page(error)) => finish(error_page(&page_message(&error), ""), operation),
        Err(UpstreamFailure::App { request, error }) => {
            refused(AuthorizeError::Redirect { error: "invalid_request", description: error.to_string() }, &request, operation)
        }
    }
}

/// `GET /error`.
pub async fn error(uri: Uri) -> Response {
    let query = query_of(&uri);
    let message = query.get("error_description").or(query.get("error")).unwrap_or("An error occurred.");
    finish(error_page(message, ""), "error")
}

/// `GET /<pool id>/_ui/<client id or ALL>/logo`: the logo of SetUICustomization.
pub async fn logo(State(state): State<AppState>, Path((pool_id, client_id)): Path<(String, String)>) -> Response {
    let Ok(pool_id) = UserPoolId::parse(pool_id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let found = state.user_pools.get_ui_customization(&pool_id, Some(&client_id)).await.ok().flatten();
    match found.and_then(|custom| Some((custom.image?, custom.image_type?))) {
        Some((image, kind)) => match base64::engine::general_purpose::STANDARD.decode(image) {
            Ok(bytes) => {
                let mut response = (StatusCode::OK, bytes).into_response();
                if let Ok(value) = HeaderValue::from_str(&kind) {
                    response.headers_mut().insert("content-type", value);
                }
                response.headers_mut().insert("cache-control", HeaderValue::from_static("public, max-age=86400"));
                response
            }
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        },
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

//! `GET /` without a query: a short page that says what this server is and where its endpoints
//! are, for a person who opens the public URL in a browser.

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::aws::query::escape;

/// `GET /`: the page without a query, the query protocol (`?Action=…`) with one.
pub async fn root(State(state): State<AppState>, request: Request) -> Response {
    if request.uri().query().is_none_or(str::is_empty) {
        return page(&state);
    }
    crate::dispatch::aws_get.call(request, state).await
}

fn page(state: &AppState) -> Response {
    let base = escape(&state.config.public_url);
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cognate</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\n<body>\
         <h1>cognate {version}</h1>\n<p>A self-hosted identity broker that speaks Amazon Cognito's protocols: \
         user pools, identity pools, STS and IAM answer AWS SDK requests signed for this endpoint, \
         <code>{base}</code>, in region <code>{region}</code>.</p>\n<ul>\
         <li>Health: <a href=\"{base}/health\">{base}/health</a></li>\
         <li>A user pool's OpenID configuration: <code>{base}/&lt;user pool id&gt;/.well-known/openid-configuration</code></li>\
         <li>A user pool's keys: <code>{base}/&lt;user pool id&gt;/.well-known/jwks.json</code></li>\
         </ul>\n</body></html>\n",
        version = env!("CARGO_PKG_VERSION"),
        region = escape(&state.config.region),
    );
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

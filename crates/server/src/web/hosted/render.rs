//! The HTML of the pages: the layout with Cognito's `-customizable` classes, the pool's look
//! (CSS and logo), form fields, escaping, and the security headers of every answer.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};


use cognate_domain::ids::UserPoolId;
use crate::state::{AppState, OperationName};
use crate::web::hosted::domains::*;

/// Escapes text for HTML (the XML escape: HTML5 knows `&apos;` too).
pub(crate) fn escape(text: &str) -> String {
    crate::aws::query::escape(text)
}

/// One HTML answer being built: status, page, cookies to set.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
    pub(crate) cookies: Vec<String>,
}

pub(crate) fn security_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"),
    );
}

pub(crate) fn finish(page: Page, operation: &'static str) -> Response {
    let mut response = (page.status, page.body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/html; charset=utf-8"));
    for cookie in page.cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append("set-cookie", value);
        }
    }
    security_headers(&mut response);
    response.extensions_mut().insert(OperationName(operation));
    response
}

pub(crate) fn redirect(location: &str, cookies: Vec<String>, operation: &'static str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert("location", value);
        }
        Err(_) => return finish(error_page("The redirect address is not valid.", ""), operation),
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append("set-cookie", value);
        }
    }
    security_headers(&mut response);
    response.extensions_mut().insert(OperationName(operation));
    response
}

pub(crate) const BASE_CSS: &str = "\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f2f3f3;color:#16191f;}\
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d5dbdb;border-radius:8px;}\
h1{font-size:1.4rem;margin:0 0 1rem;}\
label{display:block;font-weight:600;margin:1rem 0 .3rem;}\
input[type=text],input[type=password],input[type=email],input[type=tel]{box-sizing:border-box;width:100%;padding:.6rem;border:1px solid #687078;border-radius:4px;font-size:1rem;color:#16191f;}\
input:focus,button:focus,a:focus{outline:3px solid #0b5fff;outline-offset:2px;}\
button{margin-top:1.4rem;width:100%;padding:.7rem;border:0;border-radius:4px;background:#0b4f9e;color:#fff;font-size:1rem;font-weight:600;cursor:pointer;}\
button.secondary{background:#fff;color:#0b4f9e;border:1px solid #0b4f9e;}\
.errorMessage-customizable{color:#a4141b;background:#fdecea;border:1px solid #a4141b;padding:.6rem;border-radius:4px;}\
.info{color:#1d5121;background:#e9f5ea;border:1px solid #1d5121;padding:.6rem;border-radius:4px;}\
.links{margin-top:1.2rem;display:flex;flex-direction:column;gap:.5rem;}\
a{color:#0b4f9e;}\
.idpButton-customizable{display:block;text-align:center;margin-top:.6rem;padding:.6rem;border:1px solid #16191f;border-radius:4px;text-decoration:none;color:#16191f;font-weight:600;}\
.logo-customizable{max-width:100%;max-height:5rem;display:block;margin:0 auto 1rem;}\
.hint{font-size:.9rem;color:#414750;}";

pub(crate) struct Look {
    pub(crate) css: String,
    pub(crate) logo: Option<String>,
}

pub(crate) async fn look(state: &AppState, pool_id: &UserPoolId, client_id: &str, base: &HostedBase) -> Look {
    match state.user_pools.get_ui_customization(pool_id, Some(client_id)).await {
        Ok(Some(custom)) => Look {
            css: custom.css.clone().unwrap_or_default(),
            logo: custom.image.as_ref().map(|_| format!("{}/_ui/{}/logo?v={}", base.prefix, custom.client_id, custom.css_version)),
        },
        _ => Look { css: String::new(), logo: None },
    }
}

pub(crate) fn layout(title: &str, look: Option<&Look>, error: Option<&str>, info: Option<&str>, content: &str) -> String {
    let custom_css = look.map(|look| look.css.as_str()).unwrap_or("");
    let logo = look
        .and_then(|look| look.logo.as_deref())
        .map(|url| format!("<img class=\"logo-customizable\" src=\"{}\" alt=\"\">", escape(url)))
        .unwrap_or_default();
    let error = error
        .map(|message| format!("<p id=\"form-error\" class=\"errorMessage-customizable\" role=\"alert\">{}</p>", escape(message)))
        .unwrap_or_default();
    let info = info.map(|message| format!("<p class=\"info\" role=\"status\">{}</p>", escape(message))).unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{BASE_CSS}{custom_css}</style></head>\
<body class=\"background-customizable\"><main><div class=\"banner-customizable\">{logo}</div><h1>{title}</h1>{error}{info}{content}</main></body></html>\n",
        title = escape(title),
    )
}

pub(crate) fn error_page(message: &str, css: &str) -> Page {
    let look = Look { css: css.to_string(), logo: None };
    Page { status: StatusCode::BAD_REQUEST, body: layout("Something went wrong", Some(&look), Some(message), None, ""), cookies: vec![] }
}

/// The form fields every page's form carries.
/// A hidden form field.
pub(crate) fn hidden(name: &str, value: &str) -> String {
    format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value))
}

pub(crate) fn field(id: &str, label: &str, kind: &str, autocomplete: &str, value: &str, autofocus: bool, has_error: bool) -> String {
    let focus = if autofocus { " autofocus" } else { "" };
    let described = if has_error { " aria-describedby=\"form-error\" aria-invalid=\"true\"" } else { "" };
    format!(
        "<label class=\"label-customizable\" for=\"{id}\">{label}</label><input class=\"inputField-customizable\" id=\"{id}\" name=\"{id}\" type=\"{kind}\" autocomplete=\"{autocomplete}\" value=\"{value}\" required{focus}{described}>",
        label = escape(label),
        value = escape(value),
    )
}

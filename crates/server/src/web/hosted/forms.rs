//! The forms of the hosted pages (sign-in, new password, sign-up, codes) as HTML, with the
//! attributes a pool asks for, and the SECRET_HASH the pages compute for a client with a secret.


use cognate_domain::federation::percent_encode;
use cognate_domain::user_pool::Attribute;

use crate::aws::query::QueryInput;
use crate::web::hosted::flow::*;
use crate::web::hosted::render::*;

pub(crate) fn login_content(flow: &Flow, username: &str, has_error: bool) -> String {
    let mut content = String::new();
    if flow.checked.cognito_allowed {
        let fields = format!(
            "{}{}",
            field("username", "Username", "text", "username", username, true, has_error),
            field("password", "Password", "password", "current-password", "", false, has_error),
        );
        content.push_str(&flow.form("login", &fields, "Sign in"));
        content.push_str(&passwordless_form(flow, username));
        content.push_str(&format!(
            "<div class=\"links\"><a class=\"redirect-customizable\" href=\"{}\">Forgot your password?</a><a class=\"redirect-customizable\" href=\"{}\">Need an account? Sign up</a></div>",
            escape(&flow.action("forgotPassword")),
            escape(&flow.action("signup")),
        ));
    }
    if flow.checked.routes_by_email {
        let field = field("corporate_email", "Sign in with your corporate email", "email", "email", "", false, false);
        content.push_str(&flow.form("login", &field, "Continue"));
    }
    for provider in &flow.checked.external_providers {
        let href = format!("{}/oauth2/authorize?{}&identity_provider={}", flow.base.prefix, flow.query, percent_encode(provider));
        content.push_str(&format!(
            "<a class=\"idpButton-customizable\" href=\"{}\">Continue with {}</a>",
            escape(&href),
            escape(provider)
        ));
    }
    content
}


/// The sign-in without a password the pool allows: a code by email or SMS, or a passkey.
fn passwordless_form(flow: &Flow, username: &str) -> String {
    let allowed = cognate_domain::user_pool::auth::user_auth::allowed_first_factors(&flow.checked.pool);
    let buttons: String = [("EMAIL_OTP", "Email me a sign-in code"), ("SMS_OTP", "Text me a sign-in code"), ("WEB_AUTHN", "Sign in with a passkey")]
        .into_iter()
        .filter(|(method, _)| allowed.iter().any(|name| name == method))
        .map(|(method, label)| format!("<button class=\"submitButton-customizable\" type=\"submit\" name=\"method\" value=\"{method}\">{label}</button>"))
        .collect();
    if buttons.is_empty() {
        return String::new();
    }
    format!(
        "<form method=\"post\" action=\"{action}\" class=\"passwordless\" novalidate><input type=\"hidden\" name=\"_csrf\" value=\"{token}\">\
         <label class=\"label-customizable\" for=\"passwordless-username\">Or sign in without a password</label>\
         <input class=\"inputField-customizable\" id=\"passwordless-username\" name=\"username\" type=\"text\" autocomplete=\"username webauthn\" value=\"{value}\">{buttons}</form>",
        action = escape(&flow.action("passwordless")),
        token = escape(&flow.token),
        value = escape(username),
    )
}

pub(crate) fn new_password_content(flow: &Flow, username: &str, session: &str, required: &[String], has_error: bool) -> String {
    let mut fields = format!(
        "<input type=\"hidden\" name=\"username\" value=\"{}\"><input type=\"hidden\" name=\"session\" value=\"{}\">",
        escape(username),
        escape(session)
    );
    fields.push_str(&field("password", "New password", "password", "new-password", "", true, has_error));
    for attribute in required {
        fields.push_str(&field(&format!("attr_{attribute}"), &attribute_label(attribute), input_kind(attribute), attribute, "", false, has_error));
    }
    flow.form("newPassword", &fields, "Change password")
}

pub(crate) fn attribute_label(name: &str) -> String {
    match name {
        "email" => "Email".into(),
        "phone_number" => "Phone number".into(),
        "given_name" => "Given name".into(),
        "family_name" => "Family name".into(),
        "name" => "Name".into(),
        other => other.trim_start_matches("custom:").replace('_', " "),
    }
}

pub(crate) fn input_kind(name: &str) -> &'static str {
    match name {
        "email" => "email",
        "phone_number" => "tel",
        _ => "text",
    }
}

pub(crate) fn attributes_from(form: &QueryInput, names: &[String]) -> Vec<Attribute> {
    names
        .iter()
        .filter_map(|name| form.get(&format!("attr_{name}")).map(|value| Attribute { name: name.clone(), value: value.trim().to_string() }))
        .filter(|attribute| !attribute.value.is_empty())
        .collect()
}

pub(crate) fn signup_content(flow: &Flow, form: Option<&QueryInput>, has_error: bool) -> String {
    let value = |name: &str| form.and_then(|form| form.get(name)).unwrap_or("").to_string();
    let pool = &flow.checked.pool;
    let username_attributes = &pool.shape.username_attributes;
    let mut fields = String::new();
    let username_label = if username_attributes.iter().any(|name| name == "email") {
        "Email"
    } else if !username_attributes.is_empty() {
        "Phone number"
    } else {
        "Username"
    };
    let username_kind = if username_label == "Email" { "email" } else { "text" };
    fields.push_str(&field("username", username_label, username_kind, "username", &value("username"), true, has_error));
    for attribute in signup_attributes(flow) {
        let input = field(&format!("attr_{attribute}"), &attribute_label(&attribute), input_kind(&attribute), &attribute, &value(&format!("attr_{attribute}")), false, has_error);
        let required = pool.shape.schema.iter().any(|schema| schema.name == attribute && schema.required);
        fields.push_str(&if required { input } else { input.replace(" required", "") });
    }
    fields.push_str(&field("password", "Password", "password", "new-password", "", false, has_error));
    let policy = &pool.settings.password_policy;
    let mut rules = vec![format!("at least {} characters", policy.minimum_length)];
    if policy.require_uppercase {
        rules.push("an upper-case letter".into());
    }
    if policy.require_lowercase {
        rules.push("a lower-case letter".into());
    }
    if policy.require_numbers {
        rules.push("a number".into());
    }
    if policy.require_symbols {
        rules.push("a symbol".into());
    }
    fields.push_str(&format!("<p class=\"hint textDescription-customizable\">Passwords need {}.</p>", escape(&rules.join(", "))));
    let mut content = flow.form("signup", &fields, "Sign up");
    content.push_str(&format!(
        "<div class=\"links\"><a class=\"redirect-customizable\" href=\"{}\">Already have an account? Sign in</a></div>",
        escape(&flow.action("login"))
    ));
    content
}

/// The attributes the sign-up form asks for: email (when it is not the username) and the
/// pool's other required attributes.
pub(crate) fn signup_attributes(flow: &Flow) -> Vec<String> {
    let pool = &flow.checked.pool;
    let mut names = Vec::new();
    let email_is_username = pool.shape.username_attributes.iter().any(|name| name == "email");
    let has_email = pool.shape.schema.iter().any(|attribute| attribute.name == "email");
    if !email_is_username && has_email {
        names.push("email".to_string());
    }
    for attribute in &pool.shape.schema {
        if attribute.required && attribute.name != "sub" && !names.contains(&attribute.name) && !(email_is_username && attribute.name == "email") {
            names.push(attribute.name.clone());
        }
    }
    names
}

pub(crate) fn code_content(flow: &Flow, page: &str, username: &str, with_password: bool, has_error: bool) -> String {
    let mut fields = format!("<input type=\"hidden\" name=\"username\" value=\"{}\">", escape(username));
    fields.push_str(&field("code", "Verification code", "text", "one-time-code", "", true, has_error));
    if with_password {
        fields.push_str(&field("password", "New password", "password", "new-password", "", false, has_error));
    }
    let submit = if with_password { "Change password" } else { "Confirm account" };
    let mut content = flow.form(page, &fields, submit);
    if !with_password {
        let resend = format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\"><input type=\"hidden\" name=\"username\" value=\"{}\"><input type=\"hidden\" name=\"resend\" value=\"1\"><button class=\"secondary\" type=\"submit\">Send a new code</button></form>",
            escape(&flow.action(page)),
            escape(&flow.token),
            escape(username)
        );
        content.push_str(&resend);
    }
    content
}

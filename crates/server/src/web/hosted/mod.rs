//! The hosted sign-in of a pool's domain: `/oauth2/authorize`, the pages (sign-in, sign-up,
//! confirmation, forgotten password, new password, the second factor, passwordless sign-in and
//! passkeys, error), `/logout` and the federation callbacks `/oauth2/idpresponse` and
//! `/saml2/idpresponse`. They answer under the issuer path (`/<pool id>/login`, …) and, through
//! `domains::route_domain`, at the root of the pool's domain (`<prefix>.<public host>/login`, …).
//!
//! The pages are server-rendered HTML that works without JavaScript, but for the passkey pages,
//! which run the browser's WebAuthn call from `/passkey.js`. Each form carries a CSRF
//! token: a MAC (under the master key) of a random value kept in an HttpOnly cookie, so any node
//! of a cluster can check it. Signing in sets a session cookie that spares the user the form
//! until it expires, `prompt=login` asks again, or `/logout` ends it.

mod domains;
mod flow;
mod forms;
mod pages;
pub(crate) mod render;
pub(crate) mod session;

pub(crate) use domains::route_domain;
pub use domains::HostedBase;
pub use flow::PageRequest;
pub use pages::codes::{code_page, code_submit, forgot_page, forgot_submit};
pub use pages::endpoints::{error, idp_response, logo, logout, saml_logout, saml_metadata, saml_response};
pub use pages::login::{authorize, login_page, login_submit};
pub use pages::mfa::mfa_submit;
pub use pages::new_password::new_password_submit;
pub use pages::passkeys::{add_passkey_page, add_passkey_submit, passkey_script, passkey_submit, passwordless_submit};
pub use pages::signup::{signup_page, signup_submit};

//! The pages and endpoints of the hosted sign-in, one family per file. Each parses its form,
//! makes one domain call and renders the answer.

pub mod codes;
pub mod endpoints;
pub mod login;
pub mod mfa;
pub mod new_password;
pub mod passkeys;
pub mod signup;

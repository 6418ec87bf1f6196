#![forbid(unsafe_code)]
//! The cognate domain: user pools and their rules. It knows no HTTP, no SQL and no wire JSON;
//! storage is reached only through the traits in [`store`].

pub mod clock;
pub mod crypto;
pub mod error;
pub mod federation;
pub mod iam;
pub mod identity_pool;
pub mod ids;
mod named;
pub mod paging;
pub mod records;
pub mod saml;
pub mod sealing;
pub mod srp;
pub mod store;
pub mod sync;
pub mod tally;
pub mod tokens;
pub mod user_pool;
pub mod work;

pub use error::{Constraint, DomainError, DomainResult, InvalidMember};

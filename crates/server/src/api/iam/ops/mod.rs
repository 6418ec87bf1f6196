//! The IAM handlers, one family per file: each reads its typed request from the query
//! parameters, makes one domain call and writes the XML of its result members.

pub mod groups;
pub mod managed;
pub mod oidc;
pub mod policies;
pub mod roles;
pub mod saml;
pub mod simulate;
pub mod tags;
pub mod users;

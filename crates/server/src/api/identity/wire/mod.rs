//! cognito-identity's wire shapes, named as the service model names them, parsed straight from
//! the request body and converted by hand to and from the domain's types.

mod requests;
mod responses;

pub use requests::*;
pub use responses::*;

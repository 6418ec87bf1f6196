//! Identifiers as Cognito makes them: their shapes and checks (`shape`), the typed ids a request
//! names (`typed`), and every ARN (`arn`).

pub mod arn;
mod shape;
mod typed;

pub use shape::*;
pub use typed::{ClientId, IdentityId, IdentityPoolId, UserPoolId};

//! cognito-idp shapes, named as the service model names them. Requests deserialise from the
//! body; responses serialise with absent members left out (see `aws::json::success`).

mod shared;
mod pools;
mod clients;
mod users;
mod groups;
mod tags;
mod sign_in;
mod sign_up;
mod attributes;
mod mfa;
mod devices;
mod passkeys;
mod import;
mod events;

pub use shared::*;
pub use pools::*;
pub use clients::*;
pub use users::*;
pub use groups::*;
pub use tags::*;
pub use sign_in::*;
pub use sign_up::*;
pub use attributes::*;
pub use mfa::*;
pub use devices::*;
pub use passkeys::*;
pub use import::*;
pub use events::*;

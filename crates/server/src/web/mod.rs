//! What a browser or an OAuth client meets: the hosted sign-in pages, the OAuth 2.0 endpoints and
//! the well-known documents (OpenID discovery, JWKS) under each pool's issuer.

pub mod console;
pub mod hosted;
pub mod landing;
pub mod oauth;
pub mod rate_limit;
pub mod wellknown;

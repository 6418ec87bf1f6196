//! SAML 2.0 as a relying party: an identity provider's metadata read, and a `<samlp:Response>`
//! verified and read — the XML signature (exclusive canonicalisation, RSA-SHA256, the reference
//! bound to the element used, keys only from the metadata), the issuer, the audience, the
//! recipient and the time conditions; single logout's messages, by HTTP-POST or HTTP-Redirect.
//! Documents with a DTD are refused before anything is read.

mod c14n;
pub mod certificate;
pub mod logout;
pub mod redirect;
mod der;
mod dsig;
mod metadata;
mod response;
mod xml;
pub mod xmlenc;

pub use metadata::{IdpMetadata, POST_BINDING, REDIRECT_BINDING};
pub use response::{claimed_issuer, verify_response, Decryption, Expectation, Solicitation, VerifiedAssertion, SKEW_MS};

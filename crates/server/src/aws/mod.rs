//! The AWS wire protocols shared by every API on the port: AWS JSON 1.1 framing and errors, and
//! Signature Version 4 verification.

pub mod json;
pub mod operations;
pub mod presigned;
pub mod query;
pub mod sigv4;
pub mod validation;

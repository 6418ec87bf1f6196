//! Pagination as Cognito does it: opaque tokens (the resume keys, base64url), page sizes with the
//! service's limits, and the split of `limit + 1` fetched rows into a page and whether more follow.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};

/// The largest page a listing answers.
pub const MAX_PAGE: u32 = 60;

pub fn encode_token(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("\u{1}"))
}

pub fn decode_token(token: &str, n_parts: usize) -> DomainResult<Vec<String>> {
    let invalid = || DomainError::InvalidParameter("Invalid pagination token.".into());
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<String> = text.split('\u{1}').map(str::to_string).collect();
    if parts.len() != n_parts {
        return Err(invalid());
    }
    Ok(parts)
}

/// The key a single-key listing resumes after.
pub fn decode_key_token(token: Option<&str>) -> DomainResult<Option<String>> {
    Ok(token.map(|token| decode_token(token, 1)).transpose()?.map(|mut parts| parts.remove(0)))
}

pub fn page_limit(limit: Option<i32>, member: &str) -> DomainResult<u32> {
    match limit {
        None | Some(0) => Ok(MAX_PAGE),
        Some(value) if (1..=MAX_PAGE as i32).contains(&value) => Ok(value as u32),
        Some(value) => Err(InvalidMember::error(member, value.to_string(), Constraint::Range { min: 0, max: MAX_PAGE.into() })),
    }
}

/// Splits `limit + 1` fetched rows into a page and whether more follow.
pub fn split_page<T>(mut rows: Vec<T>, limit: u32) -> (Vec<T>, bool) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    (rows, more)
}

//! IAM's pages: MaxItems (1 to 1000, 100 when not given) and the Marker that resumes a
//! listing after the last item of the page before.

use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};

/// A page of a listing with IAM's marker.
#[derive(Debug, Clone)]
pub struct MarkerPage<T> {
    pub items: Vec<T>,
    pub marker: Option<String>,
}

pub(super) fn marker_limit(max_items: Option<i32>) -> DomainResult<u32> {
    match max_items {
        None => Ok(100),
        Some(value) if (1..=1000).contains(&value) => Ok(value as u32),
        Some(value) => Err(InvalidMember::error("maxItems", value.to_string(), Constraint::Range { min: 1, max: 1000 })),
    }
}

/// A page of a listing held whole (a group's members, a policy's versions and entities, a
/// user's MFA devices), in the order IAM answers it: the items after the one whose `key` is
/// `marker`. A marker that names no item of the listing is refused, so that a client paging
/// through a listing that changed under it is told so rather than sent back to its start.
pub fn page_of<T>(items: Vec<T>, key: impl Fn(&T) -> String, marker: Option<&str>, max_items: Option<i32>) -> DomainResult<MarkerPage<T>> {
    let limit = marker_limit(max_items)? as usize;
    let start = match marker {
        None => 0,
        Some(marker) => match items.iter().position(|item| key(item) == marker) {
            Some(position) => position + 1,
            None => return Err(DomainError::InvalidParameter("The marker does not name an item of this listing; list again from the start.".into())),
        },
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let marker = if more { rest.last().map(&key) } else { None };
    Ok(MarkerPage { items: rest, marker })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_resume_after_the_marker_and_end_without_one() {
        let items: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let first = page_of(items.clone(), String::clone, None, Some(2)).unwrap();
        assert_eq!((first.items.as_slice(), first.marker.as_deref()), (&["a".to_string(), "b".to_string()][..], Some("b")));
        let second = page_of(items.clone(), String::clone, Some("b"), Some(2)).unwrap();
        assert_eq!(second.items, ["c", "d"]);
        let last = page_of(items.clone(), String::clone, Some("d"), Some(2)).unwrap();
        assert_eq!((last.items.as_slice(), last.marker), (&["e".to_string()][..], None));
        let whole = page_of(items.clone(), String::clone, None, Some(5)).unwrap();
        assert_eq!((whole.items.len(), whole.marker), (5, None));
        assert!(matches!(page_of(items.clone(), String::clone, Some("zz"), None), Err(DomainError::InvalidParameter(_))));
        assert!(matches!(page_of(items, String::clone, None, Some(0)), Err(DomainError::InvalidMember(_))));
    }
}

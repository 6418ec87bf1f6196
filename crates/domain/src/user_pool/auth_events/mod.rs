//! The sign-in history of each user: every sign-in attempt and account event (sign-up,
//! password recovery and change, resent codes) kept as a record under the user's `sub` for the
//! configured retention, listed newest first by AdminListUserAuthEvents, and marked by
//! AdminUpdateAuthEventFeedback / UpdateAuthEventFeedback. What a request records is gathered
//! in `recording`.

pub(crate) mod recording;
pub(crate) mod types;

pub use recording::{with_call_context, CallContext};
pub use types::*;

use super::{UserPool, UserPoolService};
use crate::crypto::constant_time_eq;
use crate::error::{DomainError, DomainResult};
use crate::ids::UserPoolId;
use super::inputs::Page;
use crate::paging::{decode_key_token, encode_token, page_limit, split_page};
use crate::records::{Document, Record, Records};

/// An id that sorts before every id made earlier: 48 bits of inverted milliseconds, then 80
/// random bits, in the shape of a UUID.
fn new_event_id(now_ms: i64) -> String {
    let inverted = 0xffff_ffff_ffffu64.saturating_sub(now_ms.max(0) as u64);
    let random: [u8; 10] = crate::crypto::random_bytes();
    let random = hex::encode(random);
    let time = format!("{inverted:012x}");
    format!("{}-{}-{}-{}-{}", &time[..8], &time[8..], &random[..4], &random[4..8], &random[8..])
}

impl UserPoolService {
    /// Keeps sign-in history for `retention_ms` (None: none is recorded).
    pub fn with_auth_event_retention(mut self, retention_ms: Option<i64>) -> Self {
        self.auth_event_retention_ms = retention_ms.filter(|ms| *ms > 0);
        self
    }

    /// AdminListUserAuthEvents: the user's events, newest first.
    pub async fn admin_list_user_auth_events(&self, pool_id: &UserPoolId, username: &str, max_results: Option<i32>, next_token: Option<&str>) -> DomainResult<Page<AuthEvent>> {
        let limit = page_limit(max_results, "maxResults")?;
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        let after = decode_key_token(next_token)?;
        let scope = crate::sealing::device_scope(&pool.id, &user.sub);
        let now = self.now();
        let rows: Vec<AuthEvent> = self.store.list_records_of(&scope, after.as_deref(), limit + 1).await?;
        let (mut items, more) = split_page(rows, limit);
        items.retain(|event| event.expires_ms > now);
        let next_token = if more { items.last().map(|event| encode_token(&[&event.event_id])) } else { None };
        Ok(Page { items, next_token })
    }

    /// AdminUpdateAuthEventFeedback: feedback by an administrator.
    pub async fn admin_update_auth_event_feedback(&self, pool_id: &UserPoolId, username: &str, event_id: &str, value: FeedbackValue) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        self.set_feedback(&pool, username, event_id, value, "Admin").await
    }

    /// UpdateAuthEventFeedback: feedback by the user, who proves it with the event's feedback
    /// token ([`Self::feedback_token`]).
    pub async fn update_auth_event_feedback(&self, pool_id: &UserPoolId, username: &str, event_id: &str, token: &str, value: FeedbackValue) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        let expected = self.feedback_token(&pool, &user.sub, event_id);
        if !constant_time_eq(expected.as_bytes(), token.as_bytes()) {
            return Err(DomainError::NotAuthorized("The feedback token is not valid for this event.".into()));
        }
        self.set_feedback(&pool, username, event_id, value, "User").await
    }

    /// The token that lets the user give feedback on one of their events: a MAC of the event
    /// under the master key (the `{one-click-link-…}` links carry it).
    pub fn feedback_token(&self, pool: &UserPool, sub: &str, event_id: &str) -> String {
        hex::encode(self.master_key.mac("auth-event-feedback", format!("{}/{sub}/{event_id}", pool.id).as_bytes()))
    }

    async fn set_feedback(&self, pool: &UserPool, username: &str, event_id: &str, value: FeedbackValue, provider: &str) -> DomainResult<()> {
        let user = self.resolve_user(pool, username).await?;
        let now = self.now();
        let scope = crate::sealing::device_scope(&pool.id, &user.sub);
        let changed = self
            .store
            .change_record_of::<AuthEvent, _>(&scope, event_id, |event| {
                event.feedback = Some(Feedback { value, provider: provider.to_string(), date_ms: now });
                Ok(())
            })
            .await?;
        match changed {
            Some(event) if event.expires_ms > now => Ok(()),
            _ => Err(DomainError::NotFound("Authentication event not found.".into())),
        }
    }

    /// Records an account event of `user` that is not a sign-in (sign-up, recovery, password
    /// change, resent code), as having passed.
    pub(crate) async fn record_account_event(&self, pool: &UserPool, user: &super::User, kind: EventKind, client_id: Option<&str>) -> DomainResult<()> {
        let Some(event) = self.new_event(pool, &user.sub, kind, EventResponse::Pass, Vec::new(), client_id, None) else {
            return Ok(());
        };
        self.store.write_records(&[event.insert()?]).await.map_err(DomainError::from)
    }

    /// A new event with this request's address and user agent; None when no history is kept.
    #[allow(clippy::too_many_arguments)]
    fn new_event(&self, pool: &UserPool, sub: &str, kind: EventKind, response: EventResponse, challenges: Vec<ChallengeResult>, client_id: Option<&str>, reason: Option<String>) -> Option<AuthEvent> {
        let retention = self.auth_event_retention_ms?;
        let now = self.now();
        let call = recording::call_context();
        Some(AuthEvent {
            pool_id: pool.id.to_string(),
            sub: sub.to_string(),
            event_id: new_event_id(now),
            kind,
            created_ms: now,
            response,
            challenges,
            client_id: client_id.map(str::to_string),
            ip: call.ip,
            user_agent: call.user_agent,
            reason,
            feedback: None,
            expires_ms: now + retention,
        })
    }

    /// The write that forgets every event of a user (when the user is deleted).
    pub(crate) fn forget_all_events(pool_id: &str, sub: &str) -> crate::records::RecordWrite {
        crate::records::RecordWrite::DeleteScope { kind: AuthEvent::KIND, scope: crate::sealing::device_scope(pool_id, sub) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_events_sort_first() {
        let (earlier, later) = (new_event_id(1_700_000_000_000), new_event_id(1_700_000_000_001));
        assert!(later < earlier, "{later} should sort before {earlier}");
        assert_eq!(earlier.len(), 36);
        assert!(earlier.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    }
}

//! What a sign-in request records: the caller's address and user agent for the whole request
//! (`with_call_context`, set by the server for every request), and, while one sign-in step
//! runs (`UserPoolService::recording`), a note of the user it reached and the challenges it
//! checked, written as one event when the step ends. A step that answers a challenge updates
//! the event of the step that asked it: the session handed out is linked to the event.

use std::cell::RefCell;
use std::future::Future;

use serde::{Deserialize, Serialize};

use super::types::{AuthEvent, ChallengeKind, ChallengeResult, EventKind, EventResponse};
use crate::error::{DomainError, DomainResult};
use crate::records::{Document, Record, Records};
use crate::tally::Counted;
use crate::user_pool::{User, UserPool, UserPoolService};

/// Who made the request being served: its client address and user agent.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The most of a user agent that is kept.
const MAX_USER_AGENT: usize = 512;
/// How long an event waits for the answer to the challenge its step asked (the longest
/// session validity).
const LINK_MS: i64 = 15 * 60 * 1000;

tokio::task_local! {
    static CALL: CallContext;
    static NOTE: RefCell<Note>;
}

/// Runs `work` (one request) as made from `context`.
pub async fn with_call_context<F: Future>(mut context: CallContext, work: F) -> F::Output {
    if let Some(agent) = &mut context.user_agent {
        if agent.len() > MAX_USER_AGENT {
            let mut end = MAX_USER_AGENT;
            while !agent.is_char_boundary(end) {
                end -= 1;
            }
            agent.truncate(end);
        }
    }
    CALL.scope(context, work).await
}

pub(super) fn call_context() -> CallContext {
    CALL.try_with(Clone::clone).unwrap_or_default()
}

/// What a sign-in step has done so far.
#[derive(Debug, Default, PartialEq)]
struct Note {
    /// The pool and `sub` of the user the step reached.
    user: Option<(String, String)>,
    /// The challenges checked; None while the check has not ended.
    challenges: Vec<(ChallengeKind, Option<bool>)>,
}

/// The step reached `user`.
pub(crate) fn note_user(user: &User) {
    let _ = NOTE.try_with(|note| note.borrow_mut().user = Some((user.pool_id.clone(), user.sub.clone())));
}

/// The step is about to check a challenge of `kind` for `user`.
pub(crate) fn note_attempt(user: &User, kind: ChallengeKind) {
    note_user(user);
    let _ = NOTE.try_with(|note| note.borrow_mut().challenges.push((kind, None)));
}

/// The first factor being checked passed or failed (whatever the step then decides).
pub(crate) fn note_first_factor(ok: bool) {
    let _ = NOTE.try_with(|note| {
        if let Some(entry) = note.borrow_mut().challenges.iter_mut().rev().find(|(kind, result)| *kind == ChallengeKind::Password && result.is_none()) {
            entry.1 = Some(ok);
        }
    });
}

/// What a step's result says about the sign-in: its response, and the session it handed out.
pub trait StepOutcome {
    fn response(&self) -> EventResponse;
    fn session(&self) -> Option<&str>;
}

impl StepOutcome for User {
    fn response(&self) -> EventResponse {
        EventResponse::Pass
    }
    fn session(&self) -> Option<&str> {
        None
    }
}

/// The SHA-256 of a session string, in hex: what a link is filed under.
fn session_hash(session: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(session.as_bytes()))
}

fn outcome_name<T: StepOutcome>(result: &DomainResult<T>) -> &'static str {
    match result.as_ref().map(StepOutcome::response) {
        Ok(EventResponse::Pass) => "Pass",
        Ok(EventResponse::InProgress) => "InProgress",
        Ok(EventResponse::Fail) | Err(_) => "Fail",
    }
}

/// Where the event of a step that asked a challenge is, kept under the hash of the session it
/// handed out.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EventLink {
    scope: String,
    event_id: String,
}

impl Document for EventLink {
    const KIND: &'static str = "user-auth-event-link";
}

impl UserPoolService {
    /// Runs one sign-in step of `client_id` in `pool` (`session` is the one it answers) and
    /// records what it did in the user's history. A step inside another one is recorded by the
    /// outer step. A step that reached no user records nothing.
    /// `flow` names the step in the metrics.
    pub(crate) async fn recording<T, F>(&self, pool: &UserPool, client_id: &str, flow: &'static str, session: Option<&str>, work: F) -> DomainResult<T>
    where
        T: StepOutcome,
        F: Future<Output = DomainResult<T>>,
    {
        if NOTE.try_with(|_| ()).is_ok() {
            return work.await;
        }
        if self.auth_event_retention_ms.is_none() {
            let result = work.await;
            self.count(Counted::SignIn { flow, outcome: outcome_name(&result) });
            return result;
        }
        let (result, note) = NOTE
            .scope(RefCell::new(Note::default()), async {
                let result = work.await;
                (result, NOTE.with(|note| note.take()))
            })
            .await;
        self.count(Counted::SignIn { flow, outcome: outcome_name(&result) });
        if let Some((pool_id, sub)) = &note.user {
            if *pool_id == pool.id {
                self.record_step(pool, sub, client_id, session, note.challenges, &result).await?;
            }
        }
        result
    }

    async fn record_step<T: StepOutcome>(
        &self,
        pool: &UserPool,
        sub: &str,
        client_id: &str,
        session: Option<&str>,
        noted: Vec<(ChallengeKind, Option<bool>)>,
        result: &DomainResult<T>,
    ) -> DomainResult<()> {
        let (response, reason, handed_out) = match result {
            Ok(outcome) => (outcome.response(), None, outcome.session()),
            Err(error) => (EventResponse::Fail, Some(error.to_string()), None),
        };
        let challenges: Vec<ChallengeResult> =
            noted.into_iter().map(|(name, success)| ChallengeResult { name, success: success.unwrap_or(result.is_ok()) }).collect();
        let scope = crate::sealing::device_scope(&pool.id, sub);
        let now = self.now();
        let link = match session {
            Some(session) => self.store.get_record_of::<EventLink>("", &session_hash(session), now).await?.filter(|link| link.scope == scope),
            None => None,
        };
        let mut writes = Vec::new();
        let mut event_id = None;
        if let Some(link) = link {
            let updated = self
                .store
                .change_record_of::<AuthEvent, _>(&scope, &link.event_id, |event| {
                    event.response = response;
                    event.challenges.extend(challenges.iter().cloned());
                    event.reason = reason.clone();
                    Ok(())
                })
                .await?;
            event_id = updated.map(|event| event.event_id);
        }
        if event_id.is_none() {
            let Some(event) = self.new_event(pool, sub, EventKind::SignIn, response, challenges, Some(client_id), reason) else {
                return Ok(());
            };
            writes.push(event.insert()?);
            event_id = Some(event.event_id);
        }
        if let (Some(handed_out), Some(event_id)) = (handed_out, event_id) {
            writes.push(EventLink { scope, event_id }.put_at("", &session_hash(handed_out), Some(now + LINK_MS))?);
        }
        if writes.is_empty() {
            return Ok(());
        }
        self.store.write_records(&writes).await.map_err(DomainError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn notes_are_kept_only_inside_a_step() {
        note_first_factor(true);
        let noted = NOTE
            .scope(RefCell::new(Note::default()), async {
                let user = User::new("p", "u".into(), "s".into(), vec![], crate::user_pool::UserStatus::Confirmed, 0);
                note_attempt(&user, ChallengeKind::Password);
                note_first_factor(false);
                note_attempt(&user, ChallengeKind::Mfa);
                NOTE.with(|note| note.take())
            })
            .await;
        assert_eq!(noted.user, Some(("p".into(), "s".into())));
        assert_eq!(noted.challenges, vec![(ChallengeKind::Password, Some(false)), (ChallengeKind::Mfa, None)]);
    }

    #[tokio::test]
    async fn long_user_agents_are_cut_on_a_character() {
        let agent = "é".repeat(400);
        let kept = with_call_context(CallContext { ip: None, user_agent: Some(agent) }, async { call_context() }).await;
        let kept = kept.user_agent.unwrap();
        assert!(kept.len() <= MAX_USER_AGENT && kept.len() >= MAX_USER_AGENT - 1, "{}", kept.len());
    }
}

//! What a clerk typed into a task's form, kept on the server for a little while so that no
//! step between the form and its completion throws it away: the claim (pressed on the form,
//! it carries the form), the confirmation of a refusing outcome ("Back to the form"), and a
//! session that expired while the form was being filled in (the values wait for the same
//! login to sign in again).
//!
//! Why in memory, and not in a cookie or the database: the values are personal data (an
//! IIN, a name, a refusal's reasons), which must not travel in a cookie in the clear, and
//! they are worth keeping for minutes, not for ever, so a table with its migration, its
//! export and its clean-up would cost more than it saves. The browser holds only a random id
//! (in the URL, `?draft=…`, or for a sign-in in a short cookie), and the id opens nothing by
//! itself: a draft is given back only to the login it was kept for, for its own task.
//!
//! The cost of that choice: a draft lives in the process that kept it. With several engine
//! processes behind one address (PostgreSQL), the next page may come from another process,
//! which does not have it; the form then opens as it would have without it (the case's own
//! values), which is today's behaviour, never a wrong value.
//!
//! Bounded: [`MAX_DRAFTS`] in all, [`MAX_PER_LOGIN`] per login (the oldest go first), each
//! given back for [`LIFETIME`] by the engine's clock (which tests move by days) and dropped
//! from memory after it by the process's own monotonic clock (which no engine's clock may
//! move for another: one process may run several engines, as the tests do).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use indexmap::IndexMap;
use serde_json::{Map, Value};

/// How long a draft is kept: long enough to sign in again after a session's idle timeout,
/// or to read a confirmation twice; short enough that nothing lingers.
pub const LIFETIME: Duration = Duration::hours(1);

/// The most drafts kept at once, for everybody.
pub const MAX_DRAFTS: usize = 1000;

/// The most drafts kept for one login: a clerk works one form at a time, and a few tabs.
pub const MAX_PER_LOGIN: usize = 10;

/// Why a draft was kept: what the form says when it opens with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The clerk claimed the task from its form: what was typed is there again.
    Claimed,
    /// Another clerk claimed the task first: what was typed is shown, but cannot be sent.
    Taken,
    /// A refusing outcome waits for its confirmation ("Back to the form" opens it).
    Confirm,
    /// The session expired while the form was being filled in.
    Expired,
}

/// The values of one task's form, for one login.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Whose: only this login gets it back.
    pub login: String,
    /// The task's key: it opens only on this task's form.
    pub key: String,
    /// The values as typed, by field, as the form shows them again.
    pub typed: HashMap<String, String>,
    /// The values as the engine checks them (a date typed as dd.mm.yyyy is an ISO date, a
    /// scan is its stored reference), by field: what a confirmation completes with.
    pub data: Map<String, Value>,
    /// The outcome pressed, if any (the one to confirm).
    pub outcome: Option<String>,
    /// Why it was kept.
    pub kept: Kept,
}

/// A draft and when it was kept.
struct Entry {
    draft: Draft,
    /// By the engine's clock: whether it may still be given back.
    at: DateTime<Utc>,
    /// By the process's clock: whether it may still take memory.
    since: Instant,
}

impl Entry {
    fn live(&self, now: DateTime<Utc>) -> bool {
        now >= self.at && now - self.at <= LIFETIME
    }
}

/// Drops from memory what has been kept longer than its lifetime.
fn expire(map: &mut IndexMap<String, Entry>) {
    let lifetime = LIFETIME.to_std().expect("the lifetime is positive");
    map.retain(|_, e| e.since.elapsed() <= lifetime);
}

/// The drafts a service keeps, by id, oldest first: one map per [`crate::service::Service`],
/// so two services in one process (the tests run many) never share or evict each other's.
#[derive(Default)]
pub struct Drafts(Mutex<IndexMap<String, Entry>>);

/// How many, never what: a draft holds what a clerk typed about a citizen.
impl std::fmt::Debug for Drafts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Drafts({})", self.drafts().len())
    }
}

impl Drafts {
    fn drafts(&self) -> std::sync::MutexGuard<'_, IndexMap<String, Entry>> {
        // A panic while the lock was held leaves a map that is still whole: take it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `draft` at `now`; the id to find it by. A login's drafts of the same task and
    /// reason replace each other (a clerk who claims twice keeps the last form).
    pub fn keep(&self, draft: Draft, now: DateTime<Utc>) -> String {
        let id = crate::accounts::token::new_token();
        let mut map = self.drafts();
        expire(&mut map);
        map.retain(|_, e| {
            !(e.draft.login == draft.login
                && e.draft.key == draft.key
                && e.draft.kept == draft.kept)
        });
        let theirs: Vec<String> = map
            .iter()
            .filter(|(_, e)| e.draft.login == draft.login)
            .map(|(id, _)| id.clone())
            .collect();
        for old in theirs
            .iter()
            .take((theirs.len() + 1).saturating_sub(MAX_PER_LOGIN))
        {
            map.shift_remove(old);
        }
        while map.len() >= MAX_DRAFTS {
            map.shift_remove_index(0);
        }
        map.insert(
            id.clone(),
            Entry {
                draft,
                at: now,
                since: Instant::now(),
            },
        );
        id
    }

    /// The draft `id` for `login` on task `key`, if it is theirs and still kept at `now`.
    pub fn get(&self, id: &str, login: &str, key: &str, now: DateTime<Utc>) -> Option<Draft> {
        let mut map = self.drafts();
        expire(&mut map);
        map.get(id)
            .filter(|e| e.live(now) && e.draft.login == login && e.draft.key == key)
            .map(|e| e.draft.clone())
    }

    /// The task a draft kept for `login` at a session's expiry opens on, if `id` is one.
    pub fn expired_task(&self, id: &str, login: &str, now: DateTime<Utc>) -> Option<String> {
        let mut map = self.drafts();
        expire(&mut map);
        map.get(id)
            .filter(|e| e.live(now) && e.draft.login == login && e.draft.kept == Kept::Expired)
            .map(|e| e.draft.key.clone())
    }

    /// Whether a draft kept at a session's expiry waits under `id` (for the sign-in page's
    /// notice; it says nothing of whose it is).
    pub fn waits(&self, id: &str, now: DateTime<Utc>) -> bool {
        let mut map = self.drafts();
        expire(&mut map);
        map.get(id)
            .is_some_and(|e| e.live(now) && e.draft.kept == Kept::Expired)
    }

    /// Forgets every draft of `login` on task `key`: the task is completed.
    pub fn forget(&self, login: &str, key: &str) {
        self.drafts()
            .retain(|_, e| !(e.draft.login == login && e.draft.key == key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(login: &str, key: &str, kept: Kept) -> Draft {
        Draft {
            login: login.into(),
            key: key.into(),
            typed: HashMap::from([("refusal.reasons".to_string(), "x".to_string())]),
            data: Map::new(),
            outcome: None,
            kept,
        }
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2031-01-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::minutes(minutes)
    }

    #[test]
    fn a_draft_opens_only_for_its_login_and_task_and_only_for_its_lifetime() {
        let drafts = Drafts::default();
        let id = drafts.keep(draft("drafts-a", "task:1:1:1", Kept::Claimed), at(0));
        assert!(drafts.get(&id, "drafts-a", "task:1:1:1", at(5)).is_some());
        assert!(drafts.get(&id, "drafts-b", "task:1:1:1", at(5)).is_none());
        assert!(drafts.get(&id, "drafts-a", "task:1:1:2", at(5)).is_none());
        assert!(drafts.get(&id, "drafts-a", "task:1:1:1", at(61)).is_none());
    }

    #[test]
    fn a_login_keeps_at_most_its_share_the_oldest_going_first() {
        let drafts = Drafts::default();
        let ids: Vec<String> = (0..MAX_PER_LOGIN + 2)
            .map(|i| {
                drafts.keep(
                    draft("drafts-c", &format!("task:2:1:{i}"), Kept::Claimed),
                    at(i as i64),
                )
            })
            .collect();
        let now = at(20);
        assert!(drafts.get(&ids[0], "drafts-c", "task:2:1:0", now).is_none());
        assert!(drafts.get(&ids[1], "drafts-c", "task:2:1:1", now).is_none());
        let last = MAX_PER_LOGIN + 1;
        assert!(
            drafts
                .get(&ids[last], "drafts-c", &format!("task:2:1:{last}"), now)
                .is_some()
        );
    }

    #[test]
    fn a_completed_task_forgets_its_drafts_and_an_expired_session_names_its_task() {
        let drafts = Drafts::default();
        let id = drafts.keep(draft("drafts-d", "task:3:1:1", Kept::Expired), at(0));
        assert!(drafts.waits(&id, at(1)));
        assert_eq!(
            drafts.expired_task(&id, "drafts-d", at(1)).as_deref(),
            Some("task:3:1:1")
        );
        assert_eq!(drafts.expired_task(&id, "drafts-e", at(1)), None);
        drafts.forget("drafts-d", "task:3:1:1");
        assert!(!drafts.waits(&id, at(1)));
    }
}

//! The change-of-rules notices owed, and the one place they are sent from (seeds/004 item
//! 20: within three working days, to the contact centre, the provider, the State
//! Corporation and the eGov operator).
//!
//! Two occasions owe a notice. A start owes one for every state-service version the engine
//! runs (a version shipped with the workflows folder). A deployment through
//! `POST /definitions` owes one for its version at once: the version runs only from the next
//! start, but its rules are approved now, and a server may not restart for months. Both go
//! through [`RulesNotices`] to [`NotifyPerformer::send_rules_changed`], whose sent-record is
//! keyed by service and version, so each version is told once whichever occasion comes
//! first, and a restart after a deployment sends nothing again. Sends go one at a time, so
//! two occasions for one version cannot both find it unsent.
//!
//! Nothing is lost if a send fails: the deployment wrote its version to the `definitions`
//! table and the workflows folder before telling, so a notice that did not go is retried
//! by the service's loop while it runs ([`RulesNotices::owed`] wakes it), and found by the
//! next start if it stops first. "At once" is well within the three working days; only an
//! outage of the mail server longer than that could miss them, and the loop logs every
//! failed attempt for the administrator.

use std::sync::{Arc, Mutex};

use super::performer::NotifyPerformer;
use super::rules;
use crate::definition::Definition;
use crate::worker::announce::{Announced, Announcer};
use crate::worker::jobs::BoxFuture;

/// Sends the change-of-rules notices, and keeps those of deployments that did not go.
pub struct RulesNotices {
    notify: Arc<NotifyPerformer>,
    /// Versions deployed through the API whose notice has not gone yet, each with the version
    /// before it. (The start's are the engine's own versions, asked for each time.)
    pending: Mutex<Vec<(Definition, Option<Definition>)>>,
    /// Wakes the retry loop when a deployment's notice did not go.
    wake: tokio::sync::Notify,
    /// One send at a time (see the module's note).
    turn: tokio::sync::Mutex<()>,
}

impl RulesNotices {
    /// Notices sent through `notify`.
    pub fn new(notify: Arc<NotifyPerformer>) -> Self {
        RulesNotices {
            notify,
            pending: Mutex::default(),
            wake: tokio::sync::Notify::new(),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Sends the notice of `new` (compared with `previous`) unless it was sent before; says
    /// what became of it.
    pub async fn send(&self, new: &Definition, previous: Option<&Definition>) -> Announced {
        if !rules::announced(new) {
            return Announced::NotRequired;
        }
        if !self.notify.tells_rules_changes() {
            tracing::warn!(
                "no recipients are configured for the change-of-rules notice (notify.rules_change); none is sent"
            );
            return Announced::NoRecipients;
        }
        let _turn = self.turn.lock().await;
        match self.notify.send_rules_changed(new, previous).await {
            Ok(_) => Announced::Sent,
            Err(e) => {
                tracing::warn!(service = %new.id, version = %new.version, error = %e, "the change-of-rules notice is not sent yet");
                Announced::Pending
            }
        }
    }

    /// Sends every notice owed — of each state-service version in `running` (the engine's
    /// own), and of each version deployed since whose notice did not go — and returns how
    /// many are still unsent.
    pub async fn send_owed(&self, running: &[Definition]) -> usize {
        let mut services: Vec<&Definition> =
            running.iter().filter(|d| rules::announced(d)).collect();
        services.sort_by(|a, b| (&a.id, a.effective_from).cmp(&(&b.id, b.effective_from)));
        let mut unsent = 0;
        for new in services {
            let previous = rules::previous(running, new);
            if self.send(new, previous).await == Announced::Pending {
                unsent += 1;
            }
        }
        let deployed = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (new, previous) in deployed {
            if self.send(&new, previous.as_ref()).await == Announced::Pending {
                self.keep(new, previous);
                unsent += 1;
            }
        }
        unsent
    }

    /// Resolves when a deployment's notice did not go and waits for [`Self::send_owed`].
    pub async fn owed(&self) {
        self.wake.notified().await;
    }

    fn keep(&self, new: Definition, previous: Option<Definition>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if !pending
            .iter()
            .any(|(d, _)| d.id == new.id && d.version == new.version)
        {
            pending.push((new, previous));
        }
    }
}

impl Announcer for RulesNotices {
    fn deployed<'a>(
        &'a self,
        new: &'a Definition,
        previous: Option<&'a Definition>,
    ) -> BoxFuture<'a, Announced> {
        Box::pin(async move {
            let announced = self.send(new, previous).await;
            if announced == Announced::Pending {
                self.keep(new.clone(), previous.cloned());
                self.wake.notify_one();
            }
            announced
        })
    }
}

//! What a deployment sets off besides itself: the change-of-rules notice.
//!
//! "Information on changes to the rules … is sent within three working days to the Unified
//! Contact Centre, the service provider, the State Corporation and the operator of the
//! e-government infrastructure" (seeds/004 item 20). A version deployed through
//! `POST /definitions` runs only from the next start, but its rules are approved when it is
//! deployed, and a server may run for months: the notice cannot wait for a restart. The
//! engine does not send e-mail; the service that assembles it does, so it hands the engine an
//! [`Announcer`] ([`super::Engine::set_announcer`]) that the deployment calls once the version
//! is recorded and in place. The engine alone (the API's own tests) has none.

use serde::Serialize;
use utoipa::ToSchema;

use super::jobs::BoxFuture;
use crate::definition::Definition;

/// What became of the change-of-rules notice of a version just deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Announced {
    /// Sent now (or before: the same version deployed again).
    Sent,
    /// Not sent yet (the mail server did not take it): retried until it goes, and at the
    /// next start if the service stops first.
    Pending,
    /// Not a state service whose rules the organisations answer citizens about (a scheduled
    /// internal job): no notice.
    NotRequired,
    /// No recipient is configured (`notify.rules_change`): nothing can be sent.
    NoRecipients,
}

/// Tells the organisations of a new version's rules.
pub trait Announcer: Send + Sync {
    /// Tells of `new`, deployed and written to the workflows folder; `previous` is the
    /// version of the same service before it, if any, for what changed. Called again for
    /// the same version, it sends nothing twice.
    fn deployed<'a>(
        &'a self,
        new: &'a Definition,
        previous: Option<&'a Definition>,
    ) -> BoxFuture<'a, Announced>;
}

//! Life events: what happens to a case after its service is rendered, while it holds.
//!
//! A monthly payment lives for years after its assignment: it is increased when a law raises
//! it, suspended, resumed, terminated, and the citizen reports changed details. The format
//! says so as data (`events:` and `hold` steps): the case waits at a `hold` (its state:
//! `active`, `suspended`), and an event — a message, or the start of a day a date in the case
//! names — takes the case from the hold into the event's own steps, which come back to a hold
//! or end the case. One event runs at a time: each decision is made on the payment as the one
//! before it left it, and a message that comes meanwhile waits in the inbox until the case is
//! back at a hold that takes it.

use serde_json::{Value, json};

use super::Error;
use super::event::*;
use super::machine::{Machine, get_path, term_rung_key};
use super::state::*;
use crate::definition::model::{Definition, LifeEvent, StepId, StepKind, Trigger};

/// The values of the definition's `record:` names in `state`.
pub(super) fn record_values(def: &Definition, state: &CaseState) -> Vec<Option<Value>> {
    let data = state.scope("");
    def.record
        .iter()
        .map(|name| get_path(&data, name).filter(|v| !v.is_null()).cloned())
        .collect()
}

/// The hold a case is at, if it is at one: its token and step.
pub fn holding(def: &Definition, state: &CaseState) -> Option<(u32, StepId)> {
    state
        .tokens
        .iter()
        .find(|t| {
            t.calls.is_empty()
                && matches!(t.waiting, Waiting::Hold { .. })
                && matches!(def.step(t.step).kind, StepKind::Hold { .. })
        })
        .map(|t| (t.id, t.step))
}

/// The state a living case is in: its hold's `hold:` name (`active`, `suspended`), or its
/// result once it has ended after holding (`terminated`). `None` for a case that has never
/// held (its application is still being decided, or was refused).
pub fn living_state(def: &Definition, state: &CaseState) -> Option<String> {
    state.held_since?;
    if state.is_closed() {
        return state.result.clone();
    }
    match holding(def, state) {
        Some((_, step)) => match &def.step(step).kind {
            StepKind::Hold { state, .. } => Some(state.clone()),
            _ => None,
        },
        None => None,
    }
}

/// The events that may start now by a message: those of the hold the case is at.
pub fn events_open<'d>(def: &'d Definition, state: &CaseState) -> Vec<&'d LifeEvent> {
    if state.is_closed() {
        return Vec::new();
    }
    match holding(def, state) {
        Some((_, step)) => def
            .events_at(step)
            .filter(|e| matches!(e.trigger, Trigger::Message(_)))
            .collect(),
        None => Vec::new(),
    }
}

/// A value as a key's text: a string as itself, anything else as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Machine<'_, '_> {
    /// The case comes to a hold: the first time, its term is met; then a life event that
    /// waited in the inbox starts at once, or the case waits here, with a timer for each
    /// event that starts on a date.
    pub(super) fn hold(&mut self, token: u32, step: StepId, path: &str) -> Result<(), Error> {
        let def = self.ctx.definition;
        let now = self.ctx.now;
        if self.state.held_since.is_none() {
            self.state.held_since = Some(now);
            let rungs = self.pending_term_rungs();
            if let Some(term) = &mut self.state.term
                && term.met_at.is_none()
            {
                term.met_at = Some(now);
                let due_on = term.due_on;
                for i in rungs {
                    self.effects.push(Effect::CancelTimer {
                        key: term_rung_key(self.state.id, i),
                    });
                }
                self.history(
                    Actor::Engine,
                    "term_met",
                    Some(path),
                    json!({ "due_on": due_on }),
                    None,
                );
            }
        }
        self.state.in_event = None;
        let state_name = match &def.step(step).kind {
            StepKind::Hold { state, .. } => state.clone(),
            _ => return Err(Error::Internal("a hold outside a hold step")),
        };
        self.prune_inbox();
        let waiting = self.state.inbox.iter().position(|m| {
            m.event
                && def
                    .event_for_message(&m.name)
                    .is_some_and(|e| e.during.contains(&step))
        });
        if let Some(pos) = waiting {
            let m = self.state.inbox.remove(pos);
            let event = def
                .event_for_message(&m.name)
                .ok_or(Error::Internal("an event message without its event"))?;
            self.history(
                Actor::Engine,
                "message_taken",
                Some(path),
                json!({ "message": m.name, "received_at": m.received_at }),
                None,
            );
            return self.start_event(token, event, Some(&m.payload), Actor::Engine, path);
        }
        let mut timers = Vec::new();
        for event in def.events_at(step) {
            let Trigger::Date(e) = &event.trigger else {
                continue;
            };
            match self.date_of("", e) {
                Ok(date) => {
                    let key = self.key("timer:");
                    let due_at = self.start_of_day(date);
                    self.effects.push(Effect::SetTimer {
                        key: key.clone(),
                        due_at,
                        purpose: TimerPurpose::LifeEvent {
                            token,
                            event: event.name.clone(),
                        },
                    });
                    timers.push(key);
                }
                // No such date in the case (a disability established indefinitely): the
                // event does not come by itself.
                Err(_) => self.history(
                    Actor::Engine,
                    "event_date_absent",
                    Some(path),
                    json!({ "event": event.name, "date": e.source() }),
                    None,
                ),
            }
        }
        self.history(
            Actor::Engine,
            "holding",
            Some(path),
            json!({ "state": state_name }),
            None,
        );
        self.wait(token, Waiting::Hold { timers });
        Ok(())
    }

    /// The token leaves its hold for the event's first step.
    fn start_event(
        &mut self,
        token: u32,
        event: &LifeEvent,
        payload: Option<&Value>,
        by: Actor,
        path: &str,
    ) -> Result<(), Error> {
        if let Waiting::Hold { timers } = &self.token(token)?.waiting {
            for key in timers.clone() {
                self.effects.push(Effect::CancelTimer { key });
            }
        }
        // What changed so far belongs to the event that just came back to the hold, if any.
        self.record_changes();
        if let Some(payload) = payload {
            self.assign("", &event.store, Some(("message", payload)))?;
        }
        self.state.in_event = Some(event.name.clone());
        self.history(
            by,
            "event_started",
            Some(path),
            json!({ "event": event.name }),
            None,
        );
        self.advance(token, event.start)
    }

    /// A message that starts a life event: checked as the definition declares it, refused
    /// when its key was taken, started when the case is at one of the event's holds, kept
    /// when the case is busy with another event, refused (saying where the case is) when it
    /// is at another hold or has not held yet.
    pub(super) fn event_message(
        &mut self,
        name: &str,
        payload: &Value,
        by: &Actor,
    ) -> Result<(), Error> {
        let def = self.ctx.definition;
        let event = def
            .event_for_message(name)
            .ok_or(Error::Internal("an event message without its event"))?;
        let payload = super::message::check(self.ctx, name, payload)?;
        let key = match &event.once_per {
            Some(e) => {
                let value = plain(&self.eval("", e, Some(("message", &payload)))?);
                let key = format!("{}:{value}", event.name);
                if self.state.event_keys.contains(&key) {
                    return Err(Error::Duplicate {
                        event: event.name.clone(),
                        key: value,
                    });
                }
                Some(key)
            }
            None => None,
        };
        let titles = |ids: &[StepId]| -> String {
            ids.iter()
                .map(|id| {
                    let step = def.step(*id);
                    match &step.title {
                        Some(t) => format!("«{}» ({})", t.ru, step.name),
                        None => step.name.clone(),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match holding(def, self.state) {
            Some((token, step)) if event.during.contains(&step) => {
                self.state.event_keys.extend(key);
                let path = def.step(step).name.clone();
                self.start_event(token, event, Some(&payload), by.clone(), &path)
            }
            Some((_, step)) => Err(Error::EventNotNow(format!(
                "`{name}` starts only while the case is at {}; it is at {}",
                titles(&event.during),
                titles(&[step])
            ))),
            None if self.state.held_since.is_none() => Err(Error::EventNotNow(format!(
                "`{name}` starts only while the case is at {}; the case has not come there yet",
                titles(&event.during)
            ))),
            None => {
                self.prune_inbox();
                let limit = self.ctx.settings.max_waiting_messages;
                if self.state.inbox.len() >= limit {
                    return Err(Error::InboxFull { limit });
                }
                self.state.event_keys.extend(key);
                self.state.inbox.push(InboxMessage {
                    name: name.to_string(),
                    payload,
                    received_at: self.ctx.now,
                    expires_at: self.ctx.now + self.ctx.settings.message_retention,
                    event: true,
                });
                self.history(
                    by.clone(),
                    "message_kept",
                    None,
                    json!({ "message": name, "event": event.name }),
                    None,
                );
                Ok(())
            }
        }
    }

    /// A date event's day has come: the event starts, unless the date has moved later
    /// meanwhile (then the timer is set again) or the case has left the hold.
    pub(super) fn event_date(&mut self, key: &str, token: u32, event: &str) -> Result<(), Error> {
        let def = self.ctx.definition;
        let Some(t) = self.state.token(token).cloned() else {
            return Err(Error::Stale(format!("timer {key}: its token is gone")));
        };
        let Waiting::Hold { timers } = &t.waiting else {
            return Err(Error::Stale(format!("timer {key}: the case left the hold")));
        };
        if !timers.iter().any(|k| k == key) {
            return Err(Error::Stale(format!("timer {key}: the case left the hold")));
        }
        let Some(event) = def.events.get(event) else {
            return Err(Error::Internal("a timer for an unknown event"));
        };
        let Trigger::Date(e) = &event.trigger else {
            return Err(Error::Internal("a date timer for a message event"));
        };
        let path = def.step(t.step).name.clone();
        if let Ok(date) = self.date_of("", e) {
            let due_at = self.start_of_day(date);
            if due_at > self.ctx.now {
                let new_key = self.key("timer:");
                self.effects.push(Effect::SetTimer {
                    key: new_key.clone(),
                    due_at,
                    purpose: TimerPurpose::LifeEvent {
                        token,
                        event: event.name.clone(),
                    },
                });
                let timers: Vec<String> = timers
                    .iter()
                    .map(|k| if k == key { new_key.clone() } else { k.clone() })
                    .collect();
                self.history(
                    Actor::Engine,
                    "event_date_moved",
                    Some(&path),
                    json!({ "event": event.name, "date": date }),
                    None,
                );
                self.wait(token, Waiting::Hold { timers });
                return Ok(());
            }
        }
        let others: Vec<String> = timers.iter().filter(|k| *k != key).cloned().collect();
        self.wait(token, Waiting::Hold { timers: others });
        self.start_event(token, event, None, Actor::Engine, &path)
    }

    /// Keeps in the history each `record:` value changed since the transition began (or since
    /// the last call), with the event that changed it — the one the case is in, else the one
    /// it was in when the transition began (an event that has just come back to its hold):
    /// the payment's amount history.
    pub(super) fn record_changes(&mut self) {
        let def = self.ctx.definition;
        let after = record_values(def, self.state);
        let event = self
            .state
            .in_event
            .clone()
            .or_else(|| self.event_before.clone())
            .map(Value::String);
        let before = std::mem::replace(&mut self.record_before, after.clone());
        for ((name, before), after) in def.record.iter().zip(before).zip(after) {
            if before != after {
                self.history(
                    Actor::Engine,
                    "record_changed",
                    None,
                    json!({ "field": name, "from": before, "to": after, "event": event }),
                    None,
                );
            }
        }
    }
}

//! Expectations, checked against the world: each says in words what was expected and
//! what was found, the way a methodologist would say it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::compile::{SentExpect, What, When};
use super::world::{Rendered, Sent, World, compact, listing};
use crate::runtime::{Status, get_path};

/// Checks one expectation; `Err` says what was expected and what was found.
pub fn check(w: &World<'_>, what: &What) -> Result<(), String> {
    match what {
        What::Status(want) => {
            let found = w.state.as_ref().map(|s| s.status);
            if found == Some(*want) {
                return Ok(());
            }
            Err(format!(
                "expected the case to be {}, but it is {}",
                status_name(*want),
                describe_case(w)
            ))
        }
        What::Result(want) => {
            let found = w.state.as_ref().and_then(|s| s.result.as_deref());
            if found == Some(want.as_str()) {
                return Ok(());
            }
            Err(format!(
                "expected the case to end with the result `{want}`, but it is {}",
                describe_case(w)
            ))
        }
        What::TermDue(want) => match w.state.as_ref().and_then(|s| s.term.as_ref()) {
            Some(term) if term.due_on == *want => Ok(()),
            Some(term) => Err(format!(
                "expected the term to end on {}, but it ends on {}",
                want.format("%a %Y-%m-%d"),
                term.due_on.format("%a %Y-%m-%d")
            )),
            None => Err(format!(
                "expected the term to end on {}, but the term has not started",
                want.format("%a %Y-%m-%d")
            )),
        },
        What::WaitingAt(want) => {
            let found = w.waiting_at();
            let (mut a, mut b) = (want.clone(), found.clone());
            a.sort();
            b.sort();
            if a == b {
                return Ok(());
            }
            let expected = if want.is_empty() {
                "expected the case to wait nowhere".to_string()
            } else {
                format!("expected the case to wait at {}", listing(want))
            };
            let actual = if found.is_empty() {
                format!("it waits nowhere ({})", describe_case(w))
            } else {
                format!("it waits at {}", listing(&found))
            };
            Err(format!("{expected}, but {actual}"))
        }
        What::Task { step, role, due } => {
            let Some(task) = w.tasks.values().find(|t| &t.step == step) else {
                let open: Vec<String> = w
                    .tasks
                    .values()
                    .map(|t| format!("`{}` for {}", t.step, t.role))
                    .collect();
                return Err(format!(
                    "expected an open task at `{step}`, but there is none (open: {})",
                    if open.is_empty() {
                        "none".to_string()
                    } else {
                        open.join(", ")
                    }
                ));
            };
            if let Some(role) = role
                && &task.role != role
            {
                return Err(format!(
                    "expected the task at `{step}` to be in the queue of {role}, but it is in the queue of {}",
                    task.role
                ));
            }
            if let Some(due) = due {
                match task.due {
                    Some(at) if matches(w, at, *due) => {}
                    Some(at) => {
                        return Err(format!(
                            "expected the task at `{step}` to be due {}, but it is due {}",
                            show_when(*due),
                            w.show(at)
                        ));
                    }
                    None => {
                        return Err(format!(
                            "expected the task at `{step}` to be due {}, but it has no due time",
                            show_when(*due)
                        ));
                    }
                }
            }
            Ok(())
        }
        What::Timer { step, due } => {
            let mut set: Vec<DateTime<Utc>> = w
                .timers
                .values()
                .filter(|t| t.step.as_deref() == Some(step.as_str()))
                .map(|t| t.due)
                .collect();
            if set.iter().any(|at| matches(w, *at, *due)) {
                return Ok(());
            }
            set.sort();
            if set.is_empty() {
                Err(format!(
                    "expected a timer at `{step}` due {}, but `{step}` has no timer set",
                    show_when(*due)
                ))
            } else {
                let dues: Vec<String> = set.iter().map(|at| w.show(*at)).collect();
                Err(format!(
                    "expected a timer at `{step}` due {}, but its timers are due {}",
                    show_when(*due),
                    dues.join(", ")
                ))
            }
        }
        What::Notified(want) => {
            let sent: Vec<Shape<'_>> = w.notifications.iter().map(Shape::sent).collect();
            found_times(want, &sent, "sent")
        }
        What::OnlyNotified(listed) => {
            for s in &w.notifications {
                let shape = Shape::sent(s);
                if !listed.iter().any(|l| shape.fits(l).is_ok()) {
                    return Err(format!(
                        "expected no notification but those listed, but `{}` was also sent to {} by {}",
                        s.template,
                        s.to,
                        s.channels.join(", ")
                    ));
                }
            }
            Ok(())
        }
        What::Document(want) => {
            let rendered: Vec<Shape<'_>> = w.documents.iter().map(Shape::rendered).collect();
            found_times(want, &rendered, "rendered")
        }
        What::OnlyDocuments(listed) => {
            for d in &w.documents {
                let shape = Shape::rendered(d);
                if !listed.iter().any(|l| shape.fits(l).is_ok()) {
                    return Err(format!(
                        "expected no document but those listed, but `{}` was also rendered",
                        d.template
                    ));
                }
            }
            Ok(())
        }
        What::Stages { codes, exact } => {
            if *exact {
                if &w.stages == codes {
                    return Ok(());
                }
                return Err(format!(
                    "expected exactly the stages {}, but the stages reported are {}",
                    listing(codes),
                    listing(&w.stages)
                ));
            }
            let mut rest = w.stages.iter();
            let mut previous: Option<&String> = None;
            for code in codes {
                if !rest.any(|s| s == code) {
                    let place = previous
                        .map(|p| format!(" after `{p}`"))
                        .unwrap_or_default();
                    return Err(format!(
                        "expected the stages {} in this order, but `{code}` was not reported{place} (reported: {})",
                        listing(codes),
                        listing(&w.stages)
                    ));
                }
                previous = Some(code);
            }
            Ok(())
        }
        What::Data(scope, name, want) => {
            let data = w
                .state
                .as_ref()
                .map(|s| s.scope(scope))
                .unwrap_or(Value::Null);
            let found = get_path(&data, name).filter(|v| !v.is_null());
            let label = if scope.is_empty() {
                name.clone()
            } else {
                format!("{scope}/{name}")
            };
            match (found, want) {
                (None, Value::Null) => Ok(()),
                (Some(v), want) if same(v, want) => Ok(()),
                (None, want) => Err(format!(
                    "expected `{label}` to be {}, but it is not set",
                    compact(want)
                )),
                (Some(v), Value::Null) => Err(format!(
                    "expected `{label}` not to be set, but it is {}",
                    compact(v)
                )),
                (Some(v), want) => Err(format!(
                    "expected `{label}` to be {}, but it is {}",
                    compact(want),
                    compact(v)
                )),
            }
        }
    }
}

/// Equal, with a number written in the scenario matching the same number as text.
fn same(found: &Value, want: &Value) -> bool {
    found == want
        || match (found, want) {
            (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
                s == &n.to_string()
            }
            _ => false,
        }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Active => "active",
        Status::Completed => "completed",
        Status::Withdrawn => "withdrawn",
    }
}

/// The case in a few words: "active, waiting at `review`", "completed with the result `issued`".
fn describe_case(w: &World<'_>) -> String {
    let Some(state) = &w.state else {
        return "not open".into();
    };
    match state.status {
        Status::Active => {
            let at = w.waiting_at();
            if at.is_empty() {
                "active".into()
            } else {
                format!("active, waiting at {}", listing(&at))
            }
        }
        status => format!(
            "{} with the result `{}`",
            status_name(status),
            state.result.as_deref().unwrap_or_default()
        ),
    }
}

fn matches(w: &World<'_>, at: DateTime<Utc>, when: When) -> bool {
    let local = w.local(at);
    match when {
        When::At(t) => local == t,
        When::On(d) => local.date() == d,
    }
}

fn show_when(when: When) -> String {
    match when {
        When::At(t) => t.format("%a %Y-%m-%d %H:%M").to_string(),
        When::On(d) => d.format("%a %Y-%m-%d").to_string(),
    }
}

/// A notification or a document, as far as an expectation looks at it.
struct Shape<'a> {
    template: &'a str,
    to: Option<&'a str>,
    channels: Option<&'a [String]>,
    kind: Option<&'a str>,
    vars: &'a Value,
}

impl<'a> Shape<'a> {
    fn sent(s: &'a Sent) -> Self {
        Shape {
            template: &s.template,
            to: Some(&s.to),
            channels: Some(&s.channels),
            kind: None,
            vars: &s.vars,
        }
    }

    fn rendered(d: &'a Rendered) -> Self {
        Shape {
            template: &d.template,
            to: None,
            channels: None,
            kind: d.kind.as_deref(),
            vars: &d.vars,
        }
    }

    /// Whether it is what `want` describes; `Err` says how it differs.
    fn fits(&self, want: &SentExpect) -> Result<(), String> {
        if self.template != want.template {
            return Err(format!("it is `{}`", self.template));
        }
        if let Some(to) = &want.to
            && self.to != Some(to.as_str())
        {
            return Err(format!("it went to {}", self.to.unwrap_or("nobody")));
        }
        if let Some(channels) = &want.channels {
            let mut a = channels.clone();
            let mut b: Vec<String> = self.channels.map(<[String]>::to_vec).unwrap_or_default();
            a.sort();
            b.sort();
            if a != b {
                return Err(format!("it went by {}", b.join(", ")));
            }
        }
        if let Some(kind) = &want.kind
            && self.kind != Some(kind.as_str())
        {
            return Err(format!(
                "it is a {}",
                self.kind.unwrap_or("document of no kind")
            ));
        }
        for (name, value) in &want.vars {
            match get_path(self.vars, name) {
                Some(v) if same(v, value) => {}
                Some(v) => return Err(format!("its `{name}` is {}", compact(v))),
                None => return Err(format!("it has no `{name}`")),
            }
        }
        Ok(())
    }
}

/// What `want` describes, after "expected `template` to be sent once": to whom, how, with what.
fn details(want: &SentExpect) -> String {
    let mut out = String::new();
    if let Some(to) = &want.to {
        out.push_str(&format!(" to {to}"));
    }
    if let Some(channels) = &want.channels {
        out.push_str(&format!(" by {}", channels.join(", ")));
    }
    if let Some(kind) = &want.kind {
        out.push_str(&format!(" as a {kind}"));
    }
    if !want.vars.is_empty() {
        let vars: Vec<String> = want
            .vars
            .iter()
            .map(|(k, v)| format!("{k} = {}", compact(v)))
            .collect();
        out.push_str(&format!(" with {}", vars.join(", ")));
    }
    out
}

fn times(n: usize) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

/// `want` found exactly `want.times` times among `done`.
fn found_times(want: &SentExpect, done: &[Shape<'_>], verb: &str) -> Result<(), String> {
    let fitting = done.iter().filter(|d| d.fits(want).is_ok()).count();
    if fitting == want.times as usize {
        return Ok(());
    }
    let expected = format!(
        "expected `{}` to be {verb} {}{}",
        want.template,
        times(want.times as usize),
        details(want)
    );
    let same_template: Vec<&Shape<'_>> = done
        .iter()
        .filter(|d| d.template == want.template)
        .collect();
    if fitting > 0 {
        return Err(format!("{expected}, but it was {verb} {}", times(fitting)));
    }
    if let Some(near) = same_template.first() {
        let how = near.fits(want).err().unwrap_or_default();
        return Err(format!("{expected}, but {how}"));
    }
    let so_far: Vec<&str> = done.iter().map(|d| d.template).collect();
    Err(format!(
        "{expected}, but it was not {verb} ({verb} so far: {})",
        listing(&so_far)
    ))
}

//! The statutory-term check: does the worst case fit the term the law sets?
//!
//! Every path that does not repeat a step is tried (a loop, asking the citizen again, is
//! counted once; a fork takes its longest branch; a `call` the path taken through the
//! sub-workflow), each step taking all the time it is given. Steps that pause the term
//! (`pauses_term`: the case waits on the citizen) add nothing.
//!
//! The check must never pass a path the runtime (`runtime/machine.rs`, drawn by
//! `timeline.rs`) would finish after the term, whatever the day and hour of acceptance, so
//! it does not add lengths up: it follows each path as a moment [`Pos`] — a working day
//! counted from the acceptance and the working minutes spent of it — with the runtime's
//! rules, each taken at its latest:
//! - the path starts at the close of the day of acceptance (day 0; "the day of acceptance
//!   does not count", seeds/004 appendix 2 row 5): a case accepted at 17:55 has no time left
//!   that day;
//! - a due time, timeout or timer in days ends at the close of the Nth working day after the
//!   day it starts on (a calendar day is counted as a working day: never fewer);
//! - working minutes run only while the office is open, at most [`DAY`] of them a working day
//!   (the shortest office day of the calendars' profiles), so 4 hours from a day's close
//!   end in the middle of the next day, not "half a day" later;
//! - a window or wait counted from a recorded date (`counted_from`, `until_working_day …
//!   after`) starts at the end of that *day*: the part of it the path had already used
//!   before is lost, not taken off;
//! - a task due "N working days before the end of the term" ends at the close of that day,
//!   and what follows it on every path must fit in the N days.
//!
//! The path fits when it ends on the term's last day at the latest.
//!
//! Not covered: a term in `calendar_days` is compared with the path's working days, which is
//! sound only where the span holds no more non-working days than the term leaves spare (the
//! check has no calendar; `enpf-reconciliation`'s 25 calendar days for 15 working days hold
//! from its scheduled start in February, not from any day: over New Year they would not).

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::messages::Msg;
use super::model::*;
use super::validate::Problems;
use crate::msg;
use crate::yaml::escape;

/// Enumerating paths is exponential in the number of decisions; real services have a few
/// dozen paths. Past this many, the check gives up rather than hang the validator.
const MAX_PATHS: usize = 20_000;

/// Working minutes the check counts in a working day: 8 hours, the normal working day of the
/// Labour Code (art. 68). No office profile of the calendars (`calendars/*/rules.yaml`:
/// `standard` 09:00–18:00, `duty` 09:00–20:00) is open less on a working day, so a due time in
/// working hours never ends later than the check says (`tests/it/term.rs` ties the two).
const DAY: u32 = WorkingTime::MINUTES_PER_DAY;

/// A moment on a path, at its latest: the working day counted from the day of acceptance
/// (day 0) and the working minutes of it already spent. `used == DAY` is the close of the
/// day; `used == 0` its start (a wait "until the Nth working day" ends at 00:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
struct Pos {
    day: u32,
    used: u32,
}

impl Pos {
    fn close(day: u32) -> Pos {
        Pos { day, used: DAY }
    }

    fn linear(self) -> u64 {
        u64::from(self.day) * u64::from(DAY) + u64::from(self.used)
    }

    /// `minutes` of office time later: what is left of the day, then whole days.
    fn plus_minutes(self, minutes: u32) -> Pos {
        let left = DAY - self.used.min(DAY);
        if minutes <= left {
            return Pos {
                day: self.day,
                used: self.used + minutes,
            };
        }
        let rest = minutes - left;
        let days = rest.div_ceil(DAY);
        Pos {
            day: self.day.saturating_add(days),
            used: rest - (days - 1) * DAY,
        }
    }

    /// When `length` started now ends: days at the close of the last one (counted from the
    /// day, whatever the hour), minutes in office time.
    fn after(self, length: Length) -> Pos {
        match length {
            Length::WorkingDays(n) | Length::CalendarDays(n) => {
                Pos::close(self.day.saturating_add(n)).max(self)
            }
            Length::WorkingMinutes(m) => self.plus_minutes(m),
        }
    }

    /// The working time from `self` to `later`, in days of [`DAY`] minutes.
    fn until(self, later: Pos) -> WorkingTime {
        let diff = later.linear().saturating_sub(self.linear());
        let per_day = u64::from(DAY);
        WorkingTime {
            days: u32::try_from(diff / per_day).unwrap_or(u32::MAX),
            minutes: u32::try_from(diff % per_day).unwrap_or(u32::MAX),
        }
    }
}

/// How a step moves a path's moment on, as the runtime sets its end.
#[derive(Debug, Clone)]
enum Rule {
    /// It passes at once (or pauses the term).
    Instant,
    /// A due time, timeout or timer counted from when the step is reached.
    Takes(Length),
    /// A window counted from a date the path recorded (`counted_from`): it ends `length`
    /// working days after the end of that day; before it was recorded, after today.
    FromDate { date: String, length: Length },
    /// A wait until the start (00:00) of the `days`th working day after a recorded date.
    DayAfter { date: String, days: u32 },
    /// Due at the close of the day `n` working days before the term's last.
    BeforeEnd(u32),
}

/// One step on a path, as the check counts it.
#[derive(Debug, Clone)]
struct Item {
    /// `step` or `call_step/sub_step`.
    name: String,
    /// The step in the checked file this item belongs to (the call, for sub-workflow steps).
    owner: String,
    rule: Rule,
    /// The data this step records (scoped by `prefix`), for the windows counted from them.
    sets: Vec<String>,
    /// For an end step, its result: where a `call` continues.
    result: Option<String>,
    /// A `receive` that waits on the citizen with a timeout of its own, not paused: the one
    /// kind of step the rules may stop the clock for (`pauses_term`).
    waits_on_citizen: bool,
    /// A `receive` counted from a recorded date: a window the law gives the citizen (the
    /// objection's, APPK art. 73(3)), inside the term; the date's name.
    window_from: Option<String>,
}

/// The term as the check compares with it: its length as written (days) and the day index
/// of its last day (`day 0` being the day of acceptance).
struct Limit {
    days: u32,
    last_day: u32,
    /// 1 when the day of acceptance counts: a path ending on day `d` then takes `d + 1`.
    offset: u32,
}

impl Limit {
    fn of(term: &Term) -> Limit {
        let days = match term.length {
            Length::WorkingDays(d) | Length::CalendarDays(d) => d,
            Length::WorkingMinutes(m) => m.div_ceil(DAY),
        };
        let offset = u32::from(term.acceptance_day_counts);
        Limit {
            days,
            last_day: days.saturating_sub(offset),
            offset,
        }
    }
}

/// Checks the term of a service and returns the worst case; for a sub-workflow, returns its
/// worst case from start to end (used by the services that call it).
pub fn check(
    def: &Definition,
    subworkflows: &IndexMap<String, Definition>,
    p: &mut Problems,
) -> WorkingTime {
    let mut walker = Walker {
        subworkflows,
        budget: MAX_PATHS,
    };
    let (paths, limit) = match (&def.kind, &def.term) {
        (Kind::Service, Some(term)) => {
            let first = def.step(term.starts_after).kind.successors();
            let mut all = Vec::new();
            for (next, _) in first {
                all.extend(walker.paths(def, next, None, "", &mut vec![term.starts_after]));
            }
            (all, Some(Limit::of(term)))
        }
        _ => (walker.paths(def, def.start, None, "", &mut vec![]), None),
    };
    let last_day = limit.as_ref().map(|l| l.last_day);
    let mut walked: Vec<(&Vec<Item>, Vec<Pos>)> = paths
        .iter()
        .map(|path| (path, positions(path, last_day)))
        .collect();
    // The latest end; among equals, the last path found (the reports name it).
    let Some((worst, worst_at)) = walked.iter().max_by_key(|(_, at)| end(at)) else {
        return WorkingTime::default();
    };
    let worst_end = end(worst_at);
    let Some(limit) = limit else {
        return duration(worst_end);
    };
    if worst_end.day > limit.last_day {
        let days = worst_end.day + limit.offset;
        p.at(
            "/term",
            msg!(
                "term.exceeded",
                days = days,
                excess = days - limit.days,
                term = limit.days,
            )
            .with_list("path", describe(worst, &costs(START, worst_at)), " → "),
        )
        .hint(hint(worst, &costs(START, worst_at)));
    }
    // "No later than N working days before the decision": what follows must fit in N. The
    // latest paths first; among equals, the first found.
    walked.sort_by_key(|(_, at)| std::cmp::Reverse(end(at)));
    let mut reported = HashSet::new();
    for (path, at) in &walked {
        let path_end = end(at);
        if path_end.day <= limit.last_day {
            continue;
        }
        for (k, item) in path.iter().enumerate() {
            let Rule::BeforeEnd(n) = item.rule else {
                continue;
            };
            let due = Pos::close(limit.last_day.saturating_sub(n));
            // Only where its due time governs: a path late before it is late anyway.
            if at[k] != due || !reported.insert(item.name.clone()) {
                continue;
            }
            let after = costs(at[k], &at[k + 1..]);
            p.at(
                format!("/steps/{}", escape(&item.owner)),
                msg!(
                    "term.before_end",
                    step = item.name,
                    n = n,
                    days = path_end.day - due.day,
                )
                .with_list("path", describe(&path[k + 1..], &after), " → "),
            )
            .hint(hint(&path[k + 1..], &after));
        }
    }
    duration(worst_end)
}

/// The moment the path starts: the close of the day of acceptance (or of the day a
/// sub-workflow is called), the latest a case can be accepted that day.
const START: Pos = Pos { day: 0, used: DAY };

/// Where a path is after each of its steps, at the latest.
fn positions(path: &[Item], last_day: Option<u32>) -> Vec<Pos> {
    let mut now = START;
    let mut recorded: HashMap<&str, u32> = HashMap::new();
    let mut out = Vec::with_capacity(path.len());
    for item in path {
        let from = |date: &str| recorded.get(date).copied().unwrap_or(now.day);
        now = match &item.rule {
            Rule::Instant => now,
            Rule::Takes(length) => now.after(*length),
            Rule::FromDate { date, length } => match length {
                Length::WorkingMinutes(m) => now.plus_minutes(*m),
                Length::WorkingDays(n) | Length::CalendarDays(n) => {
                    Pos::close(from(date).saturating_add(*n)).max(now)
                }
            },
            Rule::DayAfter { date, days } => Pos {
                day: from(date).saturating_add(*days),
                used: 0,
            }
            .max(now),
            Rule::BeforeEnd(n) => match last_day {
                Some(last) => Pos::close(last.saturating_sub(*n)).max(now),
                None => now,
            },
        };
        for name in &item.sets {
            recorded.insert(name, now.day);
        }
        out.push(now);
    }
    out
}

fn end(at: &[Pos]) -> Pos {
    at.last().copied().unwrap_or(START)
}

/// A path's worst case as a length from its start, whole days counted as the check counts
/// them (a path ending on day `d` takes `d` days).
fn duration(end: Pos) -> WorkingTime {
    match end.day {
        0 => WorkingTime::default(),
        day if end.used == 0 => WorkingTime {
            days: day,
            minutes: 0,
        },
        day => WorkingTime {
            days: day - 1,
            minutes: end.used,
        },
    }
}

/// What each step takes, from where the path is before the first (`start`) and after each
/// (`at`).
fn costs(start: Pos, at: &[Pos]) -> Vec<WorkingTime> {
    let mut before = start;
    at.iter()
        .map(|&now| std::mem::replace(&mut before, now).until(now))
        .collect()
}

/// `review (1 working day) → hearing/objection (2 working days) → refused`: the steps that
/// take time, and the end; messages, so that the units are in the methodologist's language.
fn describe(path: &[Item], costs: &[WorkingTime]) -> Vec<Msg> {
    let mut parts: Vec<Msg> = path
        .iter()
        .zip(costs)
        .filter(|(_, c)| **c != WorkingTime::default())
        .map(|(i, c)| msg!("term.path_step", step = i.name).with_list("cost", units(*c), " "))
        .collect();
    if let Some(last) = path.last() {
        parts.push(msg!("term.path_end", step = last.name));
    }
    parts
}

/// A time in working days, hours and minutes.
fn units(t: WorkingTime) -> Vec<Msg> {
    let mut out = Vec::new();
    match t.days {
        0 => {}
        1 => out.push(msg!("term.day")),
        n => out.push(msg!("term.days", n = n)),
    }
    match t.minutes / 60 {
        0 => {}
        1 => out.push(msg!("term.hour")),
        n => out.push(msg!("term.hours", n = n)),
    }
    let minutes = t.minutes % 60;
    if minutes > 0 {
        out.push(msg!("term.minutes", n = minutes));
    }
    out
}

/// What may lawfully make a path shorter. The clerk's steps can be shortened; a step that
/// waits on the citizen may pause the term where the rules stop the clock. But the time
/// inside a sub-workflow the law places within the term (the hearing: neither APPK art. 73
/// nor the service rules suspend the term for it, see `workflows/_shared/hearing.yaml`) and
/// a window the law gives the citizen count: marking them `pauses_term` would break the
/// law, so the hint never suggests it for them.
fn hint(path: &[Item], costs: &[WorkingTime]) -> Msg {
    let (mut shorten, mut pause, mut calls, mut windows) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (item, cost) in path.iter().zip(costs) {
        if *cost == WorkingTime::default() {
            continue;
        }
        if item.name != item.owner {
            if !calls.contains(&item.owner) {
                calls.push(item.owner.clone());
            }
        } else if let Some(from) = &item.window_from {
            windows.push(msg!("hint.term_window", step = item.name, from = from));
        } else {
            shorten.push(format!("`{}`", item.name));
            if item.waits_on_citizen {
                pause.push(format!("`{}`", item.name));
            }
        }
    }
    let mut parts = Vec::new();
    if !shorten.is_empty() {
        parts.push(msg!("hint.term_shorten", steps = shorten.join(", ")));
    }
    if !pause.is_empty() {
        parts.push(msg!("hint.term_pause", steps = pause.join(", ")));
    }
    parts.extend(calls.iter().map(|c| msg!("hint.term_counted", call = c)));
    parts.extend(windows);
    if parts.is_empty() {
        return msg!("hint.term_exceeded");
    }
    msg!("hint.term_parts").with_list("parts", parts, "; ")
}

struct Walker<'a> {
    subworkflows: &'a IndexMap<String, Definition>,
    budget: usize,
}

impl Walker<'_> {
    /// Every path from `from` to an end (or to `stop`, exclusive), not repeating a step.
    /// `prefix` names the call a sub-workflow's steps are inside.
    fn paths(
        &mut self,
        def: &Definition,
        from: StepId,
        stop: Option<StepId>,
        prefix: &str,
        on_path: &mut Vec<StepId>,
    ) -> Vec<Vec<Item>> {
        if Some(from) == stop || on_path.contains(&from) || self.budget == 0 {
            return vec![vec![]];
        }
        self.budget -= 1;
        let step = def.step(from);
        let name = if prefix.is_empty() {
            step.name.clone()
        } else {
            format!("{prefix}/{}", step.name)
        };
        let owner = prefix
            .split('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(&step.name)
            .to_string();
        let item = Item {
            name: name.clone(),
            owner,
            rule: if step.pauses_term {
                Rule::Instant
            } else {
                rule(&step.kind, prefix)
            },
            sets: sets(&step.kind)
                .into_iter()
                .map(|n| format!("{prefix}|{n}"))
                .collect(),
            result: match &step.kind {
                StepKind::End { result } => Some(result.clone()),
                _ => None,
            },
            waits_on_citizen: !step.pauses_term
                && matches!(
                    step.kind,
                    StepKind::Receive {
                        counted_from: None,
                        ..
                    }
                ),
            window_from: match &step.kind {
                StepKind::Receive {
                    counted_from: Some(from),
                    ..
                } if !step.pauses_term => Some(from.source().trim().to_string()),
                _ => None,
            },
        };
        on_path.push(from);
        let mut out = Vec::new();
        match &step.kind {
            // A hold ends the term: the service is rendered (the payment assigned), and what
            // happens later to the living case has each step's own due, not the term's.
            StepKind::End { .. } | StepKind::Hold { .. } => out.push(vec![item.clone()]),
            StepKind::Fork { branches, join } => {
                // The fork lasts as long as its longest branch: try each branch's paths.
                let mut branch_paths = Vec::new();
                for b in branches {
                    branch_paths.extend(self.paths(def, *b, Some(*join), prefix, on_path));
                }
                let rest = self.paths(def, *join, stop, prefix, on_path);
                for bp in &branch_paths {
                    for r in &rest {
                        out.push(join_paths(&item, bp, r));
                    }
                }
            }
            StepKind::Call {
                workflow, outcomes, ..
            } => {
                if let Some(sub) = self.subworkflows.get(workflow) {
                    let sub_paths = self.paths(sub, sub.start, None, &name, &mut vec![]);
                    for sp in sub_paths {
                        let end_result = sp.last().and_then(|i| i.result.as_ref());
                        let Some(next) = end_result.and_then(|r| outcomes.get(r)) else {
                            continue;
                        };
                        for r in self.paths(def, next.next, stop, prefix, on_path) {
                            out.push(join_paths(&item, &sp, &r));
                        }
                    }
                }
            }
            kind => {
                let mut nexts: Vec<StepId> =
                    kind.successors().into_iter().map(|(s, _)| s).collect();
                nexts.dedup();
                for next in nexts {
                    for r in self.paths(def, next, stop, prefix, on_path) {
                        let mut path = vec![item.clone()];
                        path.extend(r);
                        out.push(path);
                    }
                }
            }
        }
        on_path.pop();
        if out.is_empty() {
            // Every way on loops back: the path ends here for the count.
            out.push(vec![item]);
        }
        out
    }
}

fn join_paths(head: &Item, middle: &[Item], tail: &[Item]) -> Vec<Item> {
    let mut path = Vec::with_capacity(1 + middle.len() + tail.len());
    path.push(head.clone());
    path.extend_from_slice(middle);
    path.extend_from_slice(tail);
    path
}

/// How a step moves the path on; `prefix` scopes the dates it is counted from.
fn rule(kind: &StepKind, prefix: &str) -> Rule {
    let scoped = |date: &str| format!("{prefix}|{}", date.trim());
    match kind {
        StepKind::Task(Task { due: Some(due), .. }) => match due {
            Due::After(length) => Rule::Takes(*length),
            Due::BeforeTermEnd(n) => Rule::BeforeEnd(*n),
        },
        StepKind::Wait { until, .. } => match until {
            WaitFor::Length(length) => Rule::Takes(*length),
            WaitFor::WorkingDayAfter { days, after } => Rule::DayAfter {
                date: scoped(after.source()),
                days: *days,
            },
            // A date only a case's data gives: nothing to count with.
            WaitFor::Until(_) => Rule::Instant,
        },
        StepKind::Receive {
            timeout,
            counted_from: Some(from),
            ..
        } => Rule::FromDate {
            date: scoped(from.source()),
            length: *timeout,
        },
        StepKind::Receive { timeout, .. } => Rule::Takes(*timeout),
        StepKind::Request(r) => match r.timeout {
            Some(t) => Rule::Takes(times(t, r.retry.attempts)),
            None => Rule::Instant,
        },
        _ => Rule::Instant,
    }
}

/// `length` × `n`, for a request's attempts.
fn times(length: Length, n: u32) -> Length {
    match length {
        Length::WorkingDays(d) => Length::WorkingDays(d.saturating_mul(n)),
        Length::CalendarDays(d) => Length::CalendarDays(d.saturating_mul(n)),
        Length::WorkingMinutes(m) => Length::WorkingMinutes(m.saturating_mul(n)),
    }
}

/// The data a step records, by name.
fn sets(kind: &StepKind) -> Vec<&str> {
    match kind {
        StepKind::Task(t) => t
            .form
            .iter()
            .map(|f| f.field.as_str())
            .chain(
                t.outcomes
                    .values()
                    .flat_map(|o| o.set.iter().map(|(n, _)| n.as_str())),
            )
            .collect(),
        StepKind::Notify {
            receipt: Some(r), ..
        } => vec![r.record.as_str()],
        StepKind::Request(r) => r.output.iter().map(|(n, _)| n.as_str()).collect(),
        StepKind::Receive { store, .. } => store.iter().map(|(n, _)| n.as_str()).collect(),
        _ => vec![],
    }
}

//! The dates of a service, worked out without running a case: `qyzmet simulate --dry-run`.
//!
//! A methodologist asks "accepted on Monday at ten, when is each step due, when does the
//! citizen's objection window close, when is the head of department told?" and should not
//! have to write a scenario to find out. This module answers from the compiled definition
//! and the calendar alone: for the term, and for every path through the process, as the term
//! check (`term.rs`) walks them — every path that does not repeat a step, a `call` expanded
//! into the sub-workflow's paths, a loop counted once — each step's due time, each window
//! (a `receive`'s timeout, a timer), and each escalation rung, with the calendar's evidence.
//!
//! Each path is taken at its **worst**: every step takes all the time it is given (a task is
//! completed at its due time, a message comes at the end of its window), because that is
//! the case the term must hold for. The arithmetic is the runtime's (`runtime/machine.rs`):
//! a due time in working days ends at the office's close on the last day, working hours run
//! only while the office (the installation's profile, `standard` by default) is open, a rung
//! falls at its share of the time and waits for the office to open, a wait "until the Nth
//! working day after" ends at 00:00 that day. A date a step records (the day a notice was
//! obtained) is the day the path reaches it, so the windows counted from it move with it.
//! A step that pauses the term (`pauses_term`) moves the term's end as long as it lasts, so
//! the path goes on from where the step began, whatever kind of step it is.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use indexmap::IndexMap;

use super::model::{
    Definition, Due, Kind, Length, Rung, Step, StepId, StepKind, Task, WaitFor, WorkingTime,
};
use crate::calendar::{self, Calendar, Deadline};
use crate::runtime::Settings;

/// As in the term check: past this many paths the walk stops rather than hang.
const MAX_PATHS: usize = 20_000;

/// Why a timeline cannot be drawn.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A date the computation needs is outside the calendar, or the office profile is
    /// missing.
    #[error(transparent)]
    Calendar(#[from] calendar::Error),
    /// The acceptance time does not exist in the calendar's zone.
    #[error("{0} is not a time in the calendar's zone")]
    NoSuchTime(chrono::NaiveDateTime),
}

/// The dates of one service for one acceptance moment.
#[derive(Debug)]
pub struct Timeline<'a> {
    /// The version drawn.
    pub definition: &'a Definition,
    /// When the term-starting step was completed, local time.
    pub accepted_at: DateTime<Tz>,
    /// The day that counts as the day of acceptance (after closing: the next working day).
    pub accepted_on: NaiveDate,
    /// The term, for a service that has one.
    pub term: Option<TermDates>,
    /// Every distinct path, in the order the walk finds them.
    pub paths: Vec<Vec<Entry<'a>>>,
}

/// The statutory term's dates.
#[derive(Debug)]
pub struct TermDates {
    /// Its length as the definition gives it.
    pub length: Length,
    /// Whether the day of acceptance counts.
    pub acceptance_day_counts: bool,
    /// The end of its last day.
    pub due_at: DateTime<Tz>,
    /// The count, with every day skipped and why.
    pub evidence: Deadline,
    /// Its escalation rungs.
    pub rungs: Vec<RungDate>,
}

/// When one escalation rung fires.
#[derive(Debug)]
pub struct RungDate {
    /// The rung.
    pub rung: Rung,
    /// When it fires: its share of the time, or the next opening of the office after it.
    pub at: DateTime<Tz>,
    /// The share's own time, when the office was closed then and the rung waits.
    pub moved_from: Option<DateTime<Tz>>,
}

/// One step on a path, with its dates.
#[derive(Debug)]
pub struct Entry<'a> {
    /// `step`, or `call/step` inside a sub-workflow.
    pub name: String,
    /// The step.
    pub step: &'a Step,
    /// When the path reaches it (at worst).
    pub starts: DateTime<Tz>,
    /// What its dates are.
    pub dates: Dates,
}

/// The dates of a step, by what it is.
#[derive(Debug)]
pub enum Dates {
    /// Nothing to wait for: it passes at once.
    Instant,
    /// A task: when it is due (none without `due`), the count behind it, and its rungs.
    Task {
        /// Its role.
        role: String,
        /// How its due time is set.
        due: Option<Due>,
        /// The due time.
        due_at: Option<DateTime<Tz>>,
        /// The day count, for a due time in days.
        evidence: Option<Deadline>,
        /// Its escalation rungs.
        rungs: Vec<RungDate>,
    },
    /// A window: a `receive` waiting for a message until its timeout.
    Window {
        /// The message.
        message: String,
        /// The day the window is counted from.
        from: NaiveDate,
        /// What that day is: the data field that recorded it, or `None` for the day reached.
        counted_from: Option<String>,
        /// Its length.
        length: Length,
        /// Its end.
        until: DateTime<Tz>,
        /// The day count.
        evidence: Option<Deadline>,
    },
    /// A timer.
    Timer {
        /// Its end; `None` when it waits for a date only a case's data gives.
        until: Option<DateTime<Tz>>,
        /// What it waits for, as written.
        what: String,
        /// The day count.
        evidence: Option<Deadline>,
    },
    /// A request through the gateway: at worst every attempt times out.
    Request {
        /// The connector.
        connector: String,
        /// Attempts in all.
        attempts: u32,
        /// One attempt's timeout.
        timeout: Option<Length>,
        /// The end of the last attempt, when there is a timeout.
        until: Option<DateTime<Tz>>,
    },
    /// A notice whose sending the case waits for: the day it goes is recorded.
    Notice {
        /// The field that records the day.
        record: String,
        /// The day recorded (sent at once; quiet hours can move an SMS to the morning).
        on: NaiveDate,
    },
    /// An end.
    End {
        /// Its result.
        result: String,
    },
}

/// Works out the dates of `def` for a case whose term starts at `accepted_at` (the moment
/// the step `term.starts_after` is completed; for a definition without a term, the moment
/// it starts).
pub fn compute<'a>(
    def: &'a Definition,
    subworkflows: &'a IndexMap<String, Definition>,
    calendar: &Calendar,
    settings: &Settings,
    accepted_at: chrono::NaiveDateTime,
) -> Result<Timeline<'a>, Error> {
    walk(def, subworkflows).at(calendar, settings, accepted_at)
}

/// The paths of `def`, walked once: they do not depend on when a case is accepted, so a
/// caller that dates one service at many moments (the term's test draws thousands) walks
/// it once and dates each moment with [`Walk::at`].
pub fn walk<'a>(def: &'a Definition, subworkflows: &'a IndexMap<String, Definition>) -> Walk<'a> {
    let mut walker = Walker {
        subworkflows,
        budget: MAX_PATHS,
    };
    let walked = match (&def.kind, &def.term) {
        (Kind::Service, Some(term)) => {
            let mut all = Vec::new();
            let mut firsts: Vec<StepId> = def
                .step(term.starts_after)
                .kind
                .successors()
                .into_iter()
                .map(|(s, _)| s)
                .collect();
            firsts.dedup();
            for next in firsts {
                all.extend(walker.paths(def, next, None, "", &mut vec![term.starts_after]));
            }
            all
        }
        _ => walker.paths(def, def.start, None, "", &mut vec![]),
    };
    let mut seen = HashSet::new();
    let paths = walked
        .into_iter()
        .filter(|path| seen.insert(path.iter().map(|n| n.name.clone()).collect::<Vec<_>>()))
        .collect();
    Walk { def, paths }
}

/// The distinct paths of one definition, in the order the walk finds them, not yet dated.
pub struct Walk<'a> {
    def: &'a Definition,
    paths: Vec<Vec<Node<'a>>>,
}

impl<'a> Walk<'a> {
    /// How many distinct paths the definition has.
    pub fn path_count(&self) -> usize {
        self.paths.len()
    }

    /// The dates of every path for a case whose term starts at `accepted_at`.
    pub fn at(
        &self,
        calendar: &Calendar,
        settings: &Settings,
        accepted_at: chrono::NaiveDateTime,
    ) -> Result<Timeline<'a>, Error> {
        let def = self.def;
        let tz = calendar.time_zone();
        let start = tz
            .from_local_datetime(&accepted_at)
            .earliest()
            .ok_or(Error::NoSuchTime(accepted_at))?;
        let clock = Clock { calendar, settings };
        let accepted_on = calendar.acceptance_date(&settings.office_profile, accepted_at)?;
        let term = match (&def.kind, &def.term) {
            (Kind::Service, Some(term)) => {
                let evidence = match term.length {
                    Length::WorkingDays(n) if term.acceptance_day_counts => {
                        calendar.add_working_days(accepted_on, n.saturating_sub(1))?
                    }
                    Length::WorkingDays(n) => calendar.add_working_days(accepted_on, n)?,
                    Length::CalendarDays(n) => calendar.add_calendar_days(accepted_on, n)?,
                    Length::WorkingMinutes(m) => calendar
                        .add_working_days(accepted_on, m.div_ceil(WorkingTime::MINUTES_PER_DAY))?,
                };
                let due_at = clock.end_of_day(evidence.result);
                let mut rungs = Vec::new();
                for rung in &term.escalation {
                    let at = match term.length {
                        Length::WorkingDays(n) => clock.working_share(
                            accepted_on,
                            n,
                            u32::from(term.acceptance_day_counts),
                            rung.at_percent,
                        )?,
                        _ => share(start, due_at, rung.at_percent),
                    }
                    .max(start);
                    rungs.push(clock.rung(rung, at)?);
                }
                Some(TermDates {
                    length: term.length,
                    acceptance_day_counts: term.acceptance_day_counts,
                    due_at,
                    evidence,
                    rungs,
                })
            }
            _ => None,
        };
        let paths = self
            .paths
            .iter()
            .map(|path| clock.dates(path, start, term.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Timeline {
            definition: def,
            accepted_at: start,
            accepted_on,
            term,
            paths,
        })
    }
}

/// One step on a walked path.
struct Node<'a> {
    name: String,
    /// The call the step is inside (`""` at the top), for the names its data is kept under.
    scope: String,
    step: &'a Step,
}

/// The term check's walk, keeping the steps themselves.
struct Walker<'a> {
    subworkflows: &'a IndexMap<String, Definition>,
    budget: usize,
}

impl<'a> Walker<'a> {
    /// Every path from `from` to an end (or to `stop`, exclusive), not repeating a step.
    fn paths(
        &mut self,
        def: &'a Definition,
        from: StepId,
        stop: Option<StepId>,
        prefix: &str,
        on_path: &mut Vec<StepId>,
    ) -> Vec<Vec<Node<'a>>> {
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
        let node = || Node {
            name: name.clone(),
            scope: prefix.to_string(),
            step,
        };
        on_path.push(from);
        let mut out = Vec::new();
        match &step.kind {
            // The term ends at the first hold; a living case's events have dues of their own.
            StepKind::End { .. } | StepKind::Hold { .. } => out.push(vec![node()]),
            StepKind::Fork { branches, join } => {
                let mut branch_paths = Vec::new();
                for b in branches {
                    branch_paths.extend(self.paths(def, *b, Some(*join), prefix, on_path));
                }
                let rest = self.paths(def, *join, stop, prefix, on_path);
                for bp in &branch_paths {
                    for r in &rest {
                        let mut path = vec![node()];
                        path.extend(bp.iter().map(Node::again));
                        path.extend(r.iter().map(Node::again));
                        out.push(path);
                    }
                }
            }
            StepKind::Call {
                workflow, outcomes, ..
            } => {
                if let Some(sub) = self.subworkflows.get(workflow) {
                    for sp in self.paths(sub, sub.start, None, &name, &mut vec![]) {
                        let result = match sp.last().map(|n| &n.step.kind) {
                            Some(StepKind::End { result }) => result,
                            _ => continue,
                        };
                        let Some(next) = outcomes.get(result) else {
                            continue;
                        };
                        for r in self.paths(def, next.next, stop, prefix, on_path) {
                            let mut path = vec![node()];
                            path.extend(sp.iter().map(Node::again));
                            path.extend(r);
                            out.push(path);
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
                        let mut path = vec![node()];
                        path.extend(r);
                        out.push(path);
                    }
                }
            }
        }
        on_path.pop();
        if out.is_empty() {
            out.push(vec![node()]);
        }
        out
    }
}

impl Node<'_> {
    fn again(&self) -> Self {
        Node {
            name: self.name.clone(),
            scope: self.scope.clone(),
            step: self.step,
        }
    }
}

/// The runtime's time arithmetic, on a calendar and the installation's settings.
struct Clock<'c> {
    calendar: &'c Calendar,
    settings: &'c Settings,
}

impl Clock<'_> {
    fn tz(&self) -> Tz {
        self.calendar.time_zone()
    }

    fn at(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Tz> {
        let local = date.and_time(time);
        self.tz()
            .from_local_datetime(&local)
            .earliest()
            .unwrap_or_else(|| self.tz().from_utc_datetime(&local))
    }

    /// The close of the office on `date`: when a due time in days ends.
    fn end_of_day(&self, date: NaiveDate) -> DateTime<Tz> {
        self.at(date, self.settings.close_of_day)
    }

    fn start_of_day(&self, date: NaiveDate) -> DateTime<Tz> {
        self.at(date, NaiveTime::MIN)
    }

    /// When `length` counted from the day `from` ends; working minutes run from `now`.
    fn due_from(
        &self,
        from: NaiveDate,
        now: DateTime<Tz>,
        length: Length,
    ) -> Result<(DateTime<Tz>, Option<Deadline>), Error> {
        Ok(match length {
            Length::WorkingDays(n) => {
                let d = self.calendar.add_working_days(from, n)?;
                (self.end_of_day(d.result), Some(d))
            }
            Length::CalendarDays(n) => {
                let d = self.calendar.add_calendar_days(from, n)?;
                (self.end_of_day(d.result), Some(d))
            }
            Length::WorkingMinutes(m) => (
                self.calendar
                    .add_working_minutes(&self.settings.office_profile, now, m)?,
                None,
            ),
        })
    }

    /// `percent` of a term of `days` working days, used in working time (the runtime's
    /// `working_share`, with no pause).
    fn working_share(
        &self,
        accepted_on: NaiveDate,
        days: u32,
        counts: u32,
        percent: u8,
    ) -> Result<DateTime<Tz>, Error> {
        let per_day = WorkingTime::MINUTES_PER_DAY;
        let used = days * per_day * u32::from(percent) / 100;
        let (whole, rest) = (used / per_day, used % per_day);
        let day = self
            .calendar
            .add_working_days(accepted_on, whole.saturating_sub(counts))?;
        let end = self.end_of_day(day.result);
        if rest == 0 {
            return Ok(end);
        }
        Ok(self
            .calendar
            .add_working_minutes(&self.settings.office_profile, end, rest)?)
    }

    /// A rung due at `at`: then if the office is open, else at its next opening.
    fn rung(&self, rung: &Rung, at: DateTime<Tz>) -> Result<RungDate, Error> {
        let open = self
            .calendar
            .next_opening(&self.settings.office_profile, at)?;
        Ok(RungDate {
            rung: rung.clone(),
            at: open,
            moved_from: (open != at).then_some(at),
        })
    }

    /// The dates along one path, each step taking all its time.
    fn dates<'a>(
        &self,
        path: &[Node<'a>],
        start: DateTime<Tz>,
        term: Option<&TermDates>,
    ) -> Result<Vec<Entry<'a>>, Error> {
        let mut now = start;
        let mut recorded = Recorded::default();
        let mut out = Vec::with_capacity(path.len());
        for node in path {
            let starts = now;
            let today = now.date_naive();
            let scope = node.scope.as_str();
            let dates = match &node.step.kind {
                StepKind::Task(task) => {
                    let dates = self.task(task, now, term)?;
                    if let Dates::Task {
                        due_at: Some(due), ..
                    } = &dates
                        && !node.step.pauses_term
                    {
                        now = now.max(*due);
                    }
                    for name in task_records(task) {
                        recorded.set(scope, name, now.date_naive());
                    }
                    dates
                }
                StepKind::Receive {
                    message,
                    timeout,
                    counted_from,
                    store,
                    ..
                } => {
                    let field = counted_from.as_ref().map(|e| e.source().trim().to_string());
                    let from = field
                        .as_ref()
                        .and_then(|f| recorded.on(scope, f))
                        .unwrap_or(today);
                    let (until, evidence) = self.due_from(from, now, *timeout)?;
                    // A window that pauses the term moves the term's end with it: the steps
                    // after it are drawn as if the citizen answered at once (as after a
                    // pausing task), so that they compare with the term as drawn.
                    if !node.step.pauses_term {
                        now = now.max(until);
                    }
                    for (name, _) in store {
                        recorded.set(scope, name, now.date_naive());
                    }
                    Dates::Window {
                        message: message.clone(),
                        from,
                        counted_from: field,
                        length: *timeout,
                        until,
                        evidence,
                    }
                }
                StepKind::Wait { until, .. } => {
                    let (end, what, evidence) = match until {
                        WaitFor::Length(l) => {
                            let (end, ev) = self.due_from(today, now, *l)?;
                            (Some(end), describe_length(*l), ev)
                        }
                        WaitFor::WorkingDayAfter { days, after } => {
                            let field = after.source().trim();
                            let from = recorded.on(scope, field).unwrap_or(today);
                            let d = self.calendar.add_working_days(from, *days)?;
                            (
                                Some(self.start_of_day(d.result)),
                                format!("the start of working day {days} after `{field}`"),
                                Some(d),
                            )
                        }
                        WaitFor::Until(e) => (None, format!("`{}`", e.source().trim()), None),
                    };
                    if let Some(end) = end
                        && !node.step.pauses_term
                    {
                        now = now.max(end);
                    }
                    Dates::Timer {
                        until: end,
                        what,
                        evidence,
                    }
                }
                StepKind::Request(r) => {
                    let until = match r.timeout {
                        Some(t) => Some(self.due_from(today, now, times(t, r.retry.attempts))?.0),
                        None => None,
                    };
                    if let Some(u) = until
                        && !node.step.pauses_term
                    {
                        now = now.max(u);
                    }
                    for (name, _) in &r.output {
                        recorded.set(scope, name, now.date_naive());
                    }
                    Dates::Request {
                        connector: r.connector.clone(),
                        attempts: r.retry.attempts,
                        timeout: r.timeout,
                        until,
                    }
                }
                StepKind::Notify {
                    receipt: Some(r), ..
                } => {
                    recorded.set(scope, &r.record, today);
                    Dates::Notice {
                        record: r.record.clone(),
                        on: today,
                    }
                }
                StepKind::End { result } => Dates::End {
                    result: result.clone(),
                },
                _ => Dates::Instant,
            };
            out.push(Entry {
                name: node.name.clone(),
                step: node.step,
                starts,
                dates,
            });
        }
        Ok(out)
    }

    fn task(
        &self,
        task: &Task,
        now: DateTime<Tz>,
        term: Option<&TermDates>,
    ) -> Result<Dates, Error> {
        let (due_at, evidence) = match task.due {
            None => (None, None),
            Some(Due::After(length)) => {
                let (at, ev) = self.due_from(now.date_naive(), now, length)?;
                (Some(at), ev)
            }
            Some(Due::BeforeTermEnd(n)) => match term {
                Some(term) => {
                    let d = self
                        .calendar
                        .subtract_working_days(term.evidence.result, n)?;
                    (Some(self.end_of_day(d.result)), Some(d))
                }
                None => (None, None),
            },
        };
        let mut rungs = Vec::new();
        if let Some(due) = due_at {
            for rung in &task.escalation {
                rungs.push(self.rung(rung, share(now, due, rung.at_percent))?);
            }
        }
        Ok(Dates::Task {
            role: task.role.clone(),
            due: task.due,
            due_at,
            evidence,
            rungs,
        })
    }
}

/// The days a path has recorded so far, by the call a field is kept in (its scope) and the
/// field's name, the latest last. A task records every field of its form and only a window or
/// a wait reads one back, so a list searched from its end costs less than hashing each field
/// into a map.
#[derive(Default)]
struct Recorded<'p>(Vec<(&'p str, &'p str, NaiveDate)>);

impl<'p> Recorded<'p> {
    fn set(&mut self, scope: &'p str, name: &'p str, on: NaiveDate) {
        self.0.push((scope, name.trim(), on));
    }

    /// The day `name` was last recorded in `scope`.
    fn on(&self, scope: &str, name: &str) -> Option<NaiveDate> {
        let name = name.trim();
        self.0
            .iter()
            .rev()
            .find(|(s, n, _)| *s == scope && *n == name)
            .map(|(_, _, on)| *on)
    }
}

/// What a task records: its form's fields and its outcomes' `set`s (a "today" among them is
/// the day it is completed).
fn task_records(task: &Task) -> impl Iterator<Item = &str> {
    task.form.iter().map(|f| f.field.as_str()).chain(
        task.outcomes
            .values()
            .flat_map(|o| o.set.iter().map(|(n, _)| n.as_str())),
    )
}

/// `length` × `n`, for a request's attempts.
fn times(length: Length, n: u32) -> Length {
    match length {
        Length::WorkingDays(d) => Length::WorkingDays(d.saturating_mul(n)),
        Length::CalendarDays(d) => Length::CalendarDays(d.saturating_mul(n)),
        Length::WorkingMinutes(m) => Length::WorkingMinutes(m.saturating_mul(n)),
    }
}

/// A length as the definition's words: `2 working days`, `4 working hours`, `20 minutes`.
pub fn describe_length(length: Length) -> String {
    let plural = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match length {
        Length::WorkingDays(d) => plural(d, "working day", "working days"),
        Length::CalendarDays(d) => plural(d, "calendar day", "calendar days"),
        Length::WorkingMinutes(m) if m.is_multiple_of(60) => {
            plural(m / 60, "working hour", "working hours")
        }
        Length::WorkingMinutes(m) => plural(m, "working minute", "working minutes"),
    }
}

/// The instant `percent`% of the way from `from` to `to` (the runtime's `share`).
fn share(from: DateTime<Tz>, to: DateTime<Tz>, percent: u8) -> DateTime<Tz> {
    let total = (to - from).num_seconds().max(0);
    from + Duration::seconds(total * i64::from(percent) / 100)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::definition::{self, Options};

    /// Every service of the repository, accepted on a Friday evening before a holiday week:
    /// on every path time only moves forward, every path is there once, and each ends.
    #[test]
    fn every_path_moves_forward_and_is_listed_once() {
        let report = definition::load(&[PathBuf::from("workflows")], &Options::default());
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let subs: IndexMap<String, Definition> = report.library.subworkflows();
        let calendar = Calendar::load(&PathBuf::from("calendars"), "kz").expect("kz");
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 11)
            .and_then(|d| d.and_hms_opt(17, 30, 0))
            .expect("a time");
        let mut services = 0;
        for def in report
            .library
            .definitions
            .iter()
            .filter(|d| d.in_force_on(at.date()))
        {
            let t = compute(def, &subs, &calendar, &Settings::default(), at).expect(&def.id);
            assert!(!t.paths.is_empty(), "{}", def.id);
            let mut seen = HashSet::new();
            for path in &t.paths {
                let names: Vec<&str> = path.iter().map(|e| e.name.as_str()).collect();
                assert!(seen.insert(names.clone()), "{}: {names:?} twice", def.id);
                for pair in path.windows(2) {
                    assert!(pair[0].starts <= pair[1].starts, "{}: {names:?}", def.id);
                }
            }
            services += 1;
        }
        assert!(services >= 3, "{services}");
    }
}

//! The term-compliance figures: what share of a period's cases met their statutory term,
//! where the time goes step by step, and which steps and clerks hold the overdue work — what
//! a head of department, a department director or an administrator reads on `/compliance`,
//! in `/compliance.csv` and from `GET /reports/compliance` (`api::reports`).
//!
//! A pure function of the rows `store::compliance` reads and of now: no IO, no clock, so
//! every rule below is tested with rows made by hand as well as through the engine.
//!
//! **Months are Almaty's** (`clock::ZONE`): a case registered at 23:30 on 31 October in
//! Almaty is October's, whatever UTC says.
//!
//! **What counts** (the page's legend says the same):
//! - *registered*: the cases registered in the month (the registration number is issued
//!   then), whatever became of them;
//! - *rendered*: the cases whose service was rendered in the month — counted by the moment
//!   the term stopped for good: the first hold of a living case (`term.met_at`, the payment
//!   assigned), else, for a case that ended while its term was paused (the result waiting for
//!   the citizen at the State Corporation: `pauses_term`), the moment the pause began, else
//!   the moment it ended. It is *in term* when that moment's Almaty date is on or before the
//!   last day of the term the case carries (`term.due_on`, moved by the working days it was
//!   paused), and *late* otherwise. The share in term is of the rendered cases;
//! - a case that ended without a term — its documents refused at acceptance (seeds/004
//!   appendix 3: the receipt of refusal to accept), so the term never started — is *not
//!   accepted*, in the month it ended, and is not in the share: no term was running;
//! - a *withdrawn* case (the citizen withdrew it) is counted in the month it was withdrawn
//!   and is not in the share either: the provider did not fail a term the citizen ended;
//! - *open past term*: of the cases registered in the month, those still open whose term's
//!   last day is before today and whose term is not paused now.
//!
//! **Time per step**: each task completed in the period, from its creation to its
//! completion (calendar time, as the clerk's queue shows it), by step: how many, the median
//! and the 90th percentile. Both by the nearest rank (the value at rank ⌈p·n⌉ of the sorted
//! times), so each figure is the time some task really took.
//!
//! **Overdue work**: a task completed in the period after its due time, or open now past its
//! due time. By step, and by clerk: who completed it late, or who holds it (an open task
//! nobody has claimed is counted for its step only).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::ZONE;
use crate::store::compliance::{CaseRow, TaskRow};

/// The most months one report covers: three years.
pub const MAX_MONTHS: u32 = 36;

/// The months a report shows by default: the last 12 full months and the current one.
pub const DEFAULT_MONTHS: u32 = 13;

/// The steps and clerks the lists of overdue work show.
pub const TOP: usize = 10;

/// A calendar month (`2026-10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl Month {
    /// Reads `YYYY-MM` (years 2000 to 2999: the engine's cases, not a typo of a century).
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
        ((2000..=2999).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// The Almaty month of `at`.
    pub fn of(at: DateTime<Utc>) -> Month {
        let local = at.with_timezone(&ZONE);
        Month {
            year: local.year(),
            month: local.month(),
        }
    }

    /// The month of a date.
    pub fn of_date(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        self.month
    }

    fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a month has a first day")
    }

    /// The month `n` months later (earlier for a negative `n`).
    pub fn plus(self, n: i32) -> Month {
        let day = self.first_day();
        let moved = if n >= 0 {
            day.checked_add_months(Months::new(n as u32))
        } else {
            day.checked_sub_months(Months::new(n.unsigned_abs()))
        };
        Month::of_date(moved.unwrap_or(day))
    }

    /// Midnight of its first day in Almaty, as an instant.
    pub fn start(self) -> DateTime<Utc> {
        let midnight = self.first_day().and_hms_opt(0, 0, 0).expect("midnight");
        ZONE.from_local_datetime(&midnight)
            .earliest()
            .expect("Almaty has no gap at midnight")
            .with_timezone(&Utc)
    }

    /// Months from `self` to `other`, both counted (0 when `other` is earlier).
    pub fn span(self, other: Month) -> u32 {
        let n = (other.year - self.year) * 12 + other.month as i32 - self.month as i32 + 1;
        n.max(0) as u32
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The months a report covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first month.
    pub from: Month,
    /// The last month.
    pub to: Month,
}

impl Period {
    /// The default at `now`: the last 12 full months and the current one.
    pub fn default_at(now: DateTime<Utc>) -> Period {
        let to = Month::of(now);
        Period {
            from: to.plus(1 - DEFAULT_MONTHS as i32),
            to,
        }
    }

    /// Its months, oldest first.
    pub fn months(self) -> Vec<Month> {
        (0..self.from.span(self.to))
            .map(|i| self.from.plus(i as i32))
            .collect()
    }

    /// Its first instant.
    pub fn start(self) -> DateTime<Utc> {
        self.from.start()
    }

    /// The first instant after it.
    pub fn end(self) -> DateTime<Utc> {
        self.to.plus(1).start()
    }

    fn holds(self, at: DateTime<Utc>) -> bool {
        self.start() <= at && at < self.end()
    }
}

/// One month's figures (or the period's, in [`Report::total`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`; `total` for the period's sum.
    pub month: String,
    /// Cases registered.
    pub registered: u64,
    /// Cases whose service was rendered (their term stopped for good): in term plus late.
    pub rendered: u64,
    /// Of the rendered, those on or before the last day of their term.
    pub in_term: u64,
    /// Of the rendered, those after it.
    pub late: u64,
    /// `in_term / rendered` in per cent, to one decimal (`66.7`); `null` when none was
    /// rendered.
    pub share_in_term: Option<f64>,
    /// Cases that ended without a term: the documents refused at acceptance.
    pub not_accepted: u64,
    /// Cases the citizen withdrew.
    pub withdrawn: u64,
    /// Of the cases registered in the month, those still open past the last day of their
    /// term today (a paused term not counted).
    pub open_past_term: u64,
}

impl MonthFigures {
    fn named(month: String) -> MonthFigures {
        MonthFigures {
            month,
            ..MonthFigures::default()
        }
    }

    fn add(&mut self, other: &MonthFigures) {
        self.registered += other.registered;
        self.rendered += other.rendered;
        self.in_term += other.in_term;
        self.late += other.late;
        self.not_accepted += other.not_accepted;
        self.withdrawn += other.withdrawn;
        self.open_past_term += other.open_past_term;
    }

    fn share(&mut self) {
        self.share_in_term = (self.rendered > 0)
            .then(|| (self.in_term as f64 * 1000.0 / self.rendered as f64).round() / 10.0);
    }
}

/// How long a step's tasks took.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StepTime {
    /// The step's path (`review`; `provisional_refusal_hearing/hold_hearing` in a
    /// sub-workflow).
    pub step: String,
    /// Tasks of the step completed in the period.
    pub completed: u64,
    /// The median time from a task's creation to its completion, in seconds.
    pub median_seconds: i64,
    /// The 90th percentile of that time, in seconds.
    pub p90_seconds: i64,
}

/// A step's overdue work.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OverdueStep {
    /// The step's path.
    pub step: String,
    /// Its tasks open now past their due time.
    pub open_overdue: u64,
    /// Its tasks completed in the period after their due time.
    pub completed_late: u64,
}

/// A clerk's overdue work.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OverdueClerk {
    /// The clerk's login.
    pub login: String,
    /// Tasks the clerk holds (claimed) now past their due time.
    pub holding_overdue: u64,
    /// Tasks the clerk completed in the period after their due time.
    pub completed_late: u64,
}

/// The figures of a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Per month, oldest first.
    pub months: Vec<MonthFigures>,
    /// The period's sums (`month` = `total`).
    pub total: MonthFigures,
    /// Per step, in the order of the step's path.
    pub steps: Vec<StepTime>,
    /// The steps with the most overdue tasks, most first (at most 10).
    pub overdue_steps: Vec<OverdueStep>,
    /// The clerks with the most overdue work, most first (at most 10).
    pub overdue_clerks: Vec<OverdueClerk>,
}

/// The figures of `period` from the cases and tasks read for it, at `now`.
pub fn figures(
    period: Period,
    cases: &[CaseRow],
    tasks: &[TaskRow],
    now: DateTime<Utc>,
) -> Figures {
    let months = period.months();
    let mut by_month: BTreeMap<Month, MonthFigures> = months
        .iter()
        .map(|m| (*m, MonthFigures::named(m.to_string())))
        .collect();
    let today = now.with_timezone(&ZONE).date_naive();
    for case in cases {
        if let Some(f) = by_month.get_mut(&Month::of(case.created_at)) {
            f.registered += 1;
            let open = case.status == "active" && case.met_at.is_none();
            if open && case.paused_since.is_none() && case.due_on.is_some_and(|due| due < today) {
                f.open_past_term += 1;
            }
        }
        match (case.status.as_str(), rendered_at(case), case.closed_at) {
            ("withdrawn", _, Some(at)) => {
                if let Some(f) = by_month.get_mut(&Month::of(at)) {
                    f.withdrawn += 1;
                }
            }
            (_, Some(at), _) => {
                let (Some(f), Some(due)) = (by_month.get_mut(&Month::of(at)), case.due_on) else {
                    continue;
                };
                f.rendered += 1;
                if at.with_timezone(&ZONE).date_naive() <= due {
                    f.in_term += 1;
                } else {
                    f.late += 1;
                }
            }
            ("completed", None, Some(at)) => {
                if let Some(f) = by_month.get_mut(&Month::of(at)) {
                    f.not_accepted += 1;
                }
            }
            _ => {}
        }
    }
    let mut total = MonthFigures::named("total".into());
    let months: Vec<MonthFigures> = by_month
        .into_values()
        .map(|mut f| {
            total.add(&f);
            f.share();
            f
        })
        .collect();
    total.share();
    let (steps, overdue_steps, overdue_clerks) = work(period, tasks, now);
    Figures {
        months,
        total,
        steps,
        overdue_steps,
        overdue_clerks,
    }
}

/// When the case's service was rendered — its term stopped for good — for a case with a
/// term: the first hold, else the start of the pause it ended in, else its end.
fn rendered_at(case: &CaseRow) -> Option<DateTime<Utc>> {
    case.due_on?;
    if let Some(at) = case.met_at {
        return Some(at);
    }
    if case.status != "completed" {
        return None;
    }
    case.paused_since.or(case.closed_at)
}

/// Time per step, overdue work by step and by clerk.
fn work(
    period: Period,
    tasks: &[TaskRow],
    now: DateTime<Utc>,
) -> (Vec<StepTime>, Vec<OverdueStep>, Vec<OverdueClerk>) {
    let mut times: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut steps: BTreeMap<&str, OverdueStep> = BTreeMap::new();
    let mut clerks: BTreeMap<&str, OverdueClerk> = BTreeMap::new();
    for t in tasks {
        let step = || OverdueStep {
            step: t.step.clone(),
            open_overdue: 0,
            completed_late: 0,
        };
        let clerk = |login: &str| OverdueClerk {
            login: login.to_string(),
            holding_overdue: 0,
            completed_late: 0,
        };
        if let Some(done) = t.completed_at.filter(|at| period.holds(*at)) {
            times
                .entry(&t.step)
                .or_default()
                .push((done - t.created_at).num_seconds().max(0));
            if t.due_at.is_some_and(|due| done > due) {
                steps.entry(&t.step).or_insert_with(step).completed_late += 1;
                if let Some(by) = &t.completed_by {
                    clerks.entry(by).or_insert_with(|| clerk(by)).completed_late += 1;
                }
            }
        } else if t.open && t.due_at.is_some_and(|due| now > due) {
            steps.entry(&t.step).or_insert_with(step).open_overdue += 1;
            if let Some(by) = &t.assignee {
                clerks
                    .entry(by)
                    .or_insert_with(|| clerk(by))
                    .holding_overdue += 1;
            }
        }
    }
    let times = times
        .into_iter()
        .map(|(step, mut seconds)| {
            seconds.sort_unstable();
            StepTime {
                step: step.to_string(),
                completed: seconds.len() as u64,
                median_seconds: nearest_rank(&seconds, 50),
                p90_seconds: nearest_rank(&seconds, 90),
            }
        })
        .collect();
    let mut steps: Vec<OverdueStep> = steps.into_values().collect();
    steps.sort_by(|a, b| {
        (b.open_overdue + b.completed_late)
            .cmp(&(a.open_overdue + a.completed_late))
            .then_with(|| a.step.cmp(&b.step))
    });
    steps.truncate(TOP);
    let mut clerks: Vec<OverdueClerk> = clerks.into_values().collect();
    clerks.sort_by(|a, b| {
        (b.holding_overdue + b.completed_late)
            .cmp(&(a.holding_overdue + a.completed_late))
            .then_with(|| a.login.cmp(&b.login))
    });
    clerks.truncate(TOP);
    (times, steps, clerks)
}

/// The `p`-th percentile of `sorted` (not empty) by the nearest rank: the value at rank
/// ⌈p·n/100⌉.
pub fn nearest_rank(sorted: &[i64], p: usize) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        ZONE.with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn months_are_almatys_and_parsed_strictly() {
        assert_eq!(Month::parse("2026-10").unwrap().to_string(), "2026-10");
        for bad in [
            "2026-13", "2026-1", "26-10", "2026/10", "", "abcd-ef", "1999-12",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        // 31 October, 23:30 in Almaty is 18:30 UTC: October's.
        let late = ZONE
            .with_ymd_and_hms(2026, 10, 31, 23, 30, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Month::of(late).to_string(), "2026-10");
        assert_eq!(
            Month::of(late + chrono::Duration::hours(1)).to_string(),
            "2026-11"
        );
        let p = Period::default_at(at(2026, 12, 6, 12));
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2025-12".into(), "2026-12".into())
        );
        assert_eq!(p.months().len(), 13);
    }

    #[test]
    fn the_nearest_rank_is_a_time_some_task_took() {
        assert_eq!(nearest_rank(&[10, 20, 30], 50), 20);
        assert_eq!(nearest_rank(&[10, 20, 30], 90), 30);
        assert_eq!(nearest_rank(&[10, 20, 30, 40], 50), 20);
        assert_eq!(nearest_rank(&[7], 90), 7);
        assert_eq!(nearest_rank(&(1..=10).collect::<Vec<_>>(), 90), 9);
    }

    #[test]
    fn a_case_refused_at_acceptance_or_withdrawn_is_not_in_the_share() {
        let period = Period {
            from: Month::parse("2026-10").unwrap(),
            to: Month::parse("2026-10").unwrap(),
        };
        let case =
            |status: &str, due: Option<(i32, u32, u32)>, closed: Option<DateTime<Utc>>| CaseRow {
                status: status.into(),
                created_at: at(2026, 10, 5, 10),
                due_on: due.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
                met_at: None,
                paused_since: None,
                closed_at: closed,
            };
        let rows = [
            case(
                "completed",
                Some((2026, 10, 12)),
                Some(at(2026, 10, 12, 17)),
            ),
            case("completed", Some((2026, 10, 12)), Some(at(2026, 10, 13, 9))),
            case("completed", None, Some(at(2026, 10, 5, 10))),
            case("withdrawn", Some((2026, 10, 12)), Some(at(2026, 10, 7, 10))),
        ];
        let f = figures(period, &rows, &[], at(2026, 11, 1, 10));
        let m = &f.months[0];
        assert_eq!(
            (
                m.registered,
                m.rendered,
                m.in_term,
                m.late,
                m.not_accepted,
                m.withdrawn
            ),
            (4, 2, 1, 1, 1, 1)
        );
        assert_eq!(m.share_in_term, Some(50.0));
    }
}

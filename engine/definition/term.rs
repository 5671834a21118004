//! The statutory-term check: does the worst case fit the term the law sets?
//!
//! A path's length is the sum of what each step on it may take: a task's due time, a
//! timer, a message's timeout, a request's attempts × timeout, and, for a `call`, the path
//! taken through the sub-workflow. A fork takes as long as its longest branch. Steps that
//! pause the term (`pauses_term`: the case waits on the citizen) add nothing. The path
//! starts after the step named by `term.starts_after` (the acceptance: "the day of
//! acceptance does not count", seeds/004 appendix 2 row 5).
//!
//! Every path that does not repeat a step is tried; a loop (asking the citizen again) is
//! counted once. Minutes add up separately and are rounded up to whole days of 8 working
//! hours at the end. A task due "N working days before the end of the term" adds nothing
//! itself; instead, what follows it on every path must fit in those N days.

use indexmap::IndexMap;

use super::model::*;
use super::validate::Problems;
use crate::msg;
use crate::yaml::escape;

/// Enumerating paths is exponential in the number of decisions; real services have a few
/// dozen paths. Past this many, the check gives up rather than hang the validator.
const MAX_PATHS: usize = 20_000;

/// One step on a path, as the check counts it.
#[derive(Debug, Clone)]
struct Item {
    /// `step` or `call_step/sub_step`.
    name: String,
    /// The step in the checked file this item belongs to (the call, for sub-workflow steps).
    owner: String,
    cost: WorkingTime,
    /// The data this step records (scoped by `prefix`), for the waits counted from them.
    sets: Vec<String>,
    /// A wait counted from a date the path recorded earlier: that record's name and how long
    /// after it the wait ends. What the path spent since then is taken off.
    anchored: Option<(String, WorkingTime)>,
    before_end: Option<u32>,
    /// For an end step, its result: where a `call` continues.
    result: Option<String>,
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
    let paths = match (&def.kind, &def.term) {
        (Kind::Service, Some(term)) => {
            let first = def.step(term.starts_after).kind.successors();
            let mut all = Vec::new();
            for (next, _) in first {
                all.extend(walker.paths(def, next, None, "", &mut vec![term.starts_after]));
            }
            all
        }
        _ => walker.paths(def, def.start, None, "", &mut vec![]),
    };
    let Some(worst) = paths.iter().max_by_key(|path| total(path).in_days()) else {
        return WorkingTime::default();
    };
    let worst_time = total(worst);
    if let (Kind::Service, Some(term)) = (&def.kind, &def.term) {
        let limit = match term.length {
            Length::WorkingDays(d) | Length::CalendarDays(d) => d,
            Length::WorkingMinutes(m) => m.div_ceil(WorkingTime::MINUTES_PER_DAY),
        };
        if worst_time.in_days() > limit {
            p.at(
                "/term",
                msg!(
                    "term.exceeded",
                    days = worst_time.in_days(),
                    excess = worst_time.in_days() - limit,
                    term = limit,
                    path = describe(worst),
                ),
            )
            .hint(msg!("hint.term_exceeded"));
        }
        // "No later than N working days before the decision": what follows must fit in N.
        let mut reported = std::collections::HashSet::new();
        let mut sorted: Vec<&Vec<Item>> = paths.iter().collect();
        sorted.sort_by_key(|path| std::cmp::Reverse(total(path).in_days()));
        for path in sorted {
            for (k, item) in path.iter().enumerate() {
                let Some(n) = item.before_end else { continue };
                let after = total(&path[k + 1..]);
                if after.in_days() > n && reported.insert(item.name.clone()) {
                    p.at(
                        format!("/steps/{}", escape(&item.owner)),
                        msg!(
                            "term.before_end",
                            step = item.name,
                            n = n,
                            days = after.in_days(),
                            path = describe(&path[k + 1..]),
                        ),
                    )
                    .hint(msg!("hint.term_exceeded"));
                }
            }
        }
    }
    worst_time
}

fn total(path: &[Item]) -> WorkingTime {
    costs(path)
        .into_iter()
        .fold(WorkingTime::default(), |acc, c| acc.plus(c))
}

/// What each step of a path takes. A wait counted from a date recorded earlier on the same
/// path (the objection window from the day the notice was obtained) takes only what is left
/// of it; counted from a date the path does not record, it takes all of it.
fn costs(path: &[Item]) -> Vec<WorkingTime> {
    let minutes = |t: WorkingTime| {
        u64::from(t.days) * u64::from(WorkingTime::MINUTES_PER_DAY) + u64::from(t.minutes)
    };
    let mut elapsed = 0u64;
    let mut set_at: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(path.len());
    for item in path {
        let cost = match &item.anchored {
            Some((name, length)) => match set_at.get(name.as_str()) {
                Some(at) => {
                    let left = minutes(*length).saturating_sub(elapsed - at);
                    let per_day = u64::from(WorkingTime::MINUTES_PER_DAY);
                    WorkingTime {
                        days: u32::try_from(left / per_day).unwrap_or(u32::MAX),
                        minutes: u32::try_from(left % per_day).unwrap_or(u32::MAX),
                    }
                }
                None => *length,
            },
            None => item.cost,
        };
        elapsed += minutes(cost);
        for name in &item.sets {
            set_at.insert(name, elapsed);
        }
        out.push(cost);
    }
    out
}

/// `review (1 d) → hearing/objection (2 d) → refused`: the steps that take time, and the end.
fn describe(path: &[Item]) -> String {
    let mut parts: Vec<String> = path
        .iter()
        .zip(costs(path))
        .filter(|(_, c)| *c != WorkingTime::default())
        .map(|(i, c)| {
            let mut cost = Vec::new();
            if c.days > 0 {
                cost.push(format!("{} d", c.days));
            }
            if c.minutes > 0 {
                cost.push(format!("{} min", c.minutes));
            }
            format!("{} ({})", i.name, cost.join(" "))
        })
        .collect();
    if let Some(last) = path.last() {
        parts.push(last.name.clone());
    }
    parts.join(" → ")
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
            cost: if step.pauses_term {
                WorkingTime::default()
            } else {
                cost(&step.kind)
            },
            sets: sets(&step.kind)
                .into_iter()
                .map(|n| format!("{prefix}|{n}"))
                .collect(),
            anchored: if step.pauses_term {
                None
            } else {
                anchored(&step.kind).map(|(n, t)| (format!("{prefix}|{n}"), t))
            },
            before_end: match &step.kind {
                StepKind::Task(Task {
                    due: Some(Due::BeforeTermEnd(n)),
                    ..
                }) => Some(*n),
                _ => None,
            },
            result: match &step.kind {
                StepKind::End { result } => Some(result.clone()),
                _ => None,
            },
        };
        on_path.push(from);
        let mut out = Vec::new();
        match &step.kind {
            StepKind::End { .. } => out.push(vec![item.clone()]),
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

/// What one step may take, at worst.
fn cost(kind: &StepKind) -> WorkingTime {
    match kind {
        StepKind::Task(Task {
            due: Some(Due::After(length)),
            ..
        }) => WorkingTime::of(*length),
        StepKind::Wait {
            until: WaitFor::Length(length),
            ..
        } => WorkingTime::of(*length),
        StepKind::Receive { timeout, .. } => WorkingTime::of(*timeout),
        StepKind::Request(r) => match r.timeout {
            Some(t) => {
                let one = WorkingTime::of(t);
                WorkingTime {
                    days: one.days.saturating_mul(r.retry.attempts),
                    minutes: one.minutes.saturating_mul(r.retry.attempts),
                }
            }
            None => WorkingTime::default(),
        },
        _ => WorkingTime::default(),
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

/// A wait counted from a date in the data, when the date is a plain data name: the name and
/// how long after that date the wait ends at most.
fn anchored(kind: &StepKind) -> Option<(&str, WorkingTime)> {
    match kind {
        StepKind::Receive {
            timeout,
            counted_from: Some(from),
            ..
        } => Some((from.source().trim(), WorkingTime::of(*timeout))),
        // The start of the Nth working day after the date is the end of the (N-1)th.
        StepKind::Wait {
            until: WaitFor::WorkingDayAfter { days, after },
            ..
        } => Some((
            after.source().trim(),
            WorkingTime::of(Length::WorkingDays(days.saturating_sub(1))),
        )),
        _ => None,
    }
}

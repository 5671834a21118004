//! Definite assignment: which data names certainly hold a value when a case enters a step.
//!
//! A notice that prints `{{applicant.middle_name}}` fails to render (templates are strict)
//! for every case that reached it along a path where nothing set the name: the clerk took the
//! documents by hand, the answer had no patronymic, the clerk left an optional field empty. The
//! template check asks this module, for each `notify` and `document` step, which names are set
//! on *every* path from `start`, and for a name that is not, for one path that leaves it unset.
//!
//! What sets a name, on the way out of a step (an edge of the graph):
//!
//! - the application, before `start`: its required fields (a service without `application:`
//!   has nothing checked at submission, so nothing counts); a sub-workflow's parameters, which
//!   every call must pass;
//! - a task's outcome: the form's fields required for that outcome, and the outcome's `set`;
//! - a request's answer (not its `on_failure`): its `output`;
//! - a message received (not the timeout): the receive's `store`;
//! - a call's result: the result's `set`;
//! - a decision's branch: what its condition, and the failed conditions above it, show present
//!   with `has()` (`when: "has(blocking.count) && blocking.count > 0"`);
//! - leaving the step the term starts after: `deadline` (a notice that *is* that step cites it
//!   already: the runtime starts the term as the notice is sent).
//!
//! A mapping whose value may be `null` (`has(x) ? x : null`) stores nothing: it unsets its
//! target rather than setting it. Where paths meet, a name is set if it is set on each; after a
//! `join`, which waits for every branch, a name is set if some branch certainly set it on its
//! way there, or every branch arrives with it.
//!
//! **Architecture Invariant:** the analysis reads only the compiled [`Definition`]; it knows
//! nothing of templates or files. It is a forward "must" analysis to the greatest fixpoint,
//! so loops need no special case.

use std::collections::{BTreeSet, VecDeque};

use super::model::{Definition, Kind, StepId, StepKind, Transition};

/// The name the runtime gives templates once the term has started.
pub const DEADLINE: &str = "deadline";

/// The names a task's completion gives templates: who completed it, by name and position
/// (`{{signed.sign_decision.full_name}}`: the three signatures of a decision, seeds/000
/// appendix 2), set on every way out of the task.
pub fn signed_names(step: &str) -> [String; 2] {
    [
        format!("signed.{step}.full_name"),
        format!("signed.{step}.position"),
    ]
}

/// Names known to hold a value.
pub type Names = BTreeSet<String>;

/// One way out of a step, with what taking it records.
#[derive(Debug, Clone)]
struct Edge {
    /// The step it leads to.
    to: StepId,
    /// How a path names it after the step: the outcome, `on_failure`, `on_timeout`.
    label: Option<String>,
    /// Names set on the way.
    sets: Names,
    /// Names a value that may be `null` leaves unset.
    unsets: Names,
}

impl Edge {
    fn new(to: StepId, label: Option<String>) -> Self {
        Edge {
            to,
            label,
            sets: Names::new(),
            unsets: Names::new(),
        }
    }

    /// The names set after taking it, from those set before.
    fn apply(&self, before: &Names) -> Names {
        before
            .iter()
            .filter(|n| !self.unsets.contains(*n))
            .chain(self.sets.iter())
            .cloned()
            .collect()
    }
}

/// One step of a path: the step, and the way out of it the path takes when that is worth
/// saying (`fetch_person(on_failure)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The step's id in the file.
    pub step: String,
    /// The outcome, result, `on_failure` or `on_timeout` taken out of it.
    pub label: Option<String>,
}

/// The analysis of one definition.
#[derive(Debug, Clone)]
pub struct Assigned {
    /// Per step, its ways out.
    edges: Vec<Vec<Edge>>,
    /// Per step, the names certainly set on entering it; `None` when no path reaches it.
    entering: Vec<Option<Names>>,
    /// The step names, for paths.
    names: Vec<String>,
    /// The first step.
    start: StepId,
    /// The step the term starts after, when it is a notice that already cites `deadline`.
    term_notice: Option<StepId>,
    /// Per join, its fork and the steps of each branch before it.
    joins: Vec<Option<(usize, Vec<Vec<bool>>)>>,
}

impl Assigned {
    /// Analyses `def`.
    pub fn of(def: &Definition) -> Assigned {
        let edges = edges(def);
        let term_notice = def.term.as_ref().and_then(|t| {
            matches!(def.step(t.starts_after).kind, StepKind::Notify { .. })
                .then_some(t.starts_after)
        });
        let joins = joins(def, &edges);
        let mut a = Assigned {
            entering: vec![None; def.steps.len()],
            names: def.steps.iter().map(|s| s.name.clone()).collect(),
            start: def.start,
            term_notice,
            joins,
            edges,
        };
        a.solve(def, initial(def));
        a
    }

    /// The names certainly set when a case is at `step` (for a notice, as it is sent); empty
    /// for a step no path reaches.
    pub fn at(&self, step: StepId) -> Names {
        let mut names = self.entering[step.index()].clone().unwrap_or_default();
        if self.term_notice == Some(step) {
            names.insert(DEADLINE.to_string());
        }
        names
    }

    /// Whether some path from `start` reaches `step`.
    pub fn reaches(&self, step: StepId) -> bool {
        self.entering[step.index()].is_some()
    }

    /// Whether `name` (or, for a group such as `applicant`, a name in it) is certainly set at
    /// `step`.
    pub fn is_set(&self, step: StepId, name: &str) -> bool {
        let names = self.at(step);
        let group = format!("{name}.");
        names.contains(name) || names.iter().any(|n| n.starts_with(&group))
    }

    /// A path from `start` to `step` along which `name` is not set, shortest first; `None`
    /// when it is set on every path (or no path reaches the step).
    pub fn path_without(&self, name: &str, step: StepId) -> Option<Vec<Hop>> {
        if self.entering[step.index()].is_none() || self.is_set(step, name) {
            return None;
        }
        // States: (step, whether `name` may be unset here on this path). A path may pass
        // where `name` is set and lose it later to a `null`.
        let n = self.edges.len();
        let index = |s: StepId, unset: bool| s.index() * 2 + usize::from(unset);
        let mut came: Vec<Option<(usize, usize)>> = vec![None; n * 2];
        let mut seen = vec![false; n * 2];
        let first = index(self.start, !self.entered_with(self.start, name));
        seen[first] = true;
        let mut queue = VecDeque::from([first]);
        let goal = index(step, true);
        while let Some(state) = queue.pop_front() {
            if state == goal {
                break;
            }
            let (from, unset) = (state / 2, state % 2 == 1);
            for (e, edge) in self.edges[from].iter().enumerate() {
                let after = if unset {
                    !edge.sets.contains(name)
                } else {
                    edge.unsets.contains(name)
                };
                // A join lets through only what its analysis lets through: a name another
                // branch certainly set is set after it.
                let after = after && !self.entered_with(edge.to, name);
                if after && !self.tells(edge.to, from, name) {
                    continue;
                }
                let next = index(edge.to, after);
                if !seen[next] {
                    seen[next] = true;
                    came[next] = Some((state, e));
                    queue.push_back(next);
                }
            }
        }
        if !seen[goal] {
            return None;
        }
        let mut hops = vec![Hop {
            step: self.names[step.index()].clone(),
            label: None,
        }];
        let mut state = goal;
        while let Some((before, e)) = came[state] {
            let from = before / 2;
            hops.push(Hop {
                step: self.names[from].clone(),
                label: self.edges[from][e].label.clone(),
            });
            state = before;
        }
        hops.reverse();
        Some(hops)
    }

    /// Whether a path that arrives at `step` from `from` without `name` shows why `name` is
    /// unset there. At a join it does only through a branch that could have set it (the
    /// request that failed), when some branch could: another branch that never touches the
    /// name explains nothing.
    fn tells(&self, step: StepId, from: usize, name: &str) -> bool {
        let Some((_, regions)) = &self.joins[step.index()] else {
            return true;
        };
        let touches = |region: &Vec<bool>| {
            region.iter().enumerate().any(|(s, inside)| {
                *inside
                    && self.edges[s]
                        .iter()
                        .any(|e| e.sets.contains(name) || e.unsets.contains(name))
            })
        };
        !regions.iter().any(touches) || regions.iter().any(|r| r[from] && touches(r))
    }

    /// Whether `name` is certainly set on entering `step` (a join's own rule included).
    fn entered_with(&self, step: StepId, name: &str) -> bool {
        self.entering[step.index()]
            .as_ref()
            .is_some_and(|names| names.contains(name))
    }

    /// Iterates to the greatest fixpoint: every reachable step starts at "everything set" and
    /// loses what some path into it does not set.
    fn solve(&mut self, def: &Definition, initial: Names) {
        let n = def.steps.len();
        let reachable = reachable(&self.edges, self.start);
        let everything: Names = universe(def);
        for (i, r) in reachable.iter().enumerate() {
            if *r {
                self.entering[i] = Some(everything.clone());
            }
        }
        // The incoming edges of each step, and each join's branches as the steps of each
        // branch's region (what the branch can reach before the join).
        let mut incoming: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (from, edges) in self.edges.iter().enumerate() {
            if !reachable[from] {
                continue;
            }
            for (e, edge) in edges.iter().enumerate() {
                incoming[edge.to.index()].push((from, e));
            }
        }
        let regions = self.joins.clone();
        let mut changed = true;
        while changed {
            changed = false;
            for s in 0..n {
                if !reachable[s] {
                    continue;
                }
                let new = match &regions[s] {
                    Some((fork, branches)) => self.after_join(s, *fork, branches, &incoming[s]),
                    None => self.meet(&incoming[s]),
                };
                let new = match (s == self.start.index(), new) {
                    (true, Some(new)) => new.intersection(&initial).cloned().collect(),
                    (true, None) => initial.clone(),
                    (false, Some(new)) => new,
                    (false, None) => continue,
                };
                if self.entering[s].as_ref() != Some(&new) {
                    self.entering[s] = Some(new);
                    changed = true;
                }
            }
        }
    }

    /// What every one of `incoming` sets; `None` without any.
    fn meet(&self, incoming: &[(usize, usize)]) -> Option<Names> {
        let mut out: Option<Names> = None;
        for &(from, e) in incoming {
            let Some(before) = &self.entering[from] else {
                continue;
            };
            let after = self.edges[from][e].apply(before);
            out = Some(match out {
                None => after,
                Some(acc) => acc.intersection(&after).cloned().collect(),
            });
        }
        out
    }

    /// A join: every branch has arrived. Set after it is what some branch certainly set on its
    /// way (beyond what the fork had), and what every branch arrives with.
    fn after_join(
        &self,
        join: usize,
        fork: usize,
        branches: &[Vec<bool>],
        incoming: &[(usize, usize)],
    ) -> Option<Names> {
        let at_fork = self.entering[fork].clone().unwrap_or_default();
        let arrivals: Vec<Names> = branches
            .iter()
            .filter_map(|region| {
                let mine: Vec<(usize, usize)> = incoming
                    .iter()
                    .copied()
                    .filter(|(from, _)| region[*from] && *from != join)
                    .collect();
                self.meet(&mine)
            })
            .collect();
        let first = arrivals.first()?;
        let everywhere: Names = arrivals.iter().skip(1).fold(first.clone(), |acc, a| {
            acc.intersection(a).cloned().collect()
        });
        let mut out = everywhere;
        for a in &arrivals {
            out.extend(a.difference(&at_fork).cloned());
        }
        Some(out)
    }
}

/// Per join step, its fork and the region of each of the fork's branches.
fn joins(def: &Definition, edges: &[Vec<Edge>]) -> Vec<Option<(usize, Vec<Vec<bool>>)>> {
    def.steps
        .iter()
        .enumerate()
        .map(|(j, s)| match &s.kind {
            StepKind::Join { fork, .. } => match &def.step(*fork).kind {
                StepKind::Fork { branches, .. } => Some((
                    fork.index(),
                    branches
                        .iter()
                        .map(|b| region(edges, *b, StepId(j as u16)))
                        .collect(),
                )),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The names the analysis tracks: the data, the parameters, and `deadline`.
fn universe(def: &Definition) -> Names {
    def.data
        .keys()
        .chain(def.parameters.keys())
        .cloned()
        .chain([DEADLINE.to_string()])
        .chain(
            def.steps
                .iter()
                .filter(|s| matches!(s.kind, StepKind::Task(_)))
                .flat_map(|s| signed_names(&s.name)),
        )
        .collect()
}

/// What is set as the first step is entered.
fn initial(def: &Definition) -> Names {
    let mut names: Names = def.parameters.keys().cloned().collect();
    names.extend(
        def.application
            .iter()
            .filter(|f| f.required)
            .map(|f| f.field.clone()),
    );
    // A sub-workflow is called once the service is under way: its templates get the term's
    // deadline as the caller's do (a call before the acceptance is not checked here).
    if def.kind == Kind::Subworkflow {
        names.insert(DEADLINE.to_string());
    }
    names
}

/// Every step's ways out, with what each records.
fn edges(def: &Definition) -> Vec<Vec<Edge>> {
    let starts_term = def
        .term
        .as_ref()
        .filter(|_| def.kind == Kind::Service)
        .map(|t| t.starts_after);
    def.steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut out = match &step.kind {
                StepKind::Task(task) => {
                    let several = task.outcomes.len() > 1;
                    task.outcomes
                        .iter()
                        .map(|(outcome, t)| {
                            let mut edge = transition(outcome, t, several);
                            edge.sets.extend(signed_names(&step.name));
                            edge.sets.extend(
                                task.form
                                    .iter()
                                    .filter(|f| {
                                        f.required
                                            && (f.for_outcomes.is_empty()
                                                || f.for_outcomes.contains(outcome))
                                    })
                                    .map(|f| f.field.clone()),
                            );
                            edge
                        })
                        .collect()
                }
                StepKind::Request(r) => {
                    let mut answered = Edge::new(r.next, None);
                    record(&mut answered, &r.output);
                    vec![answered, Edge::new(r.on_failure, Some("on_failure".into()))]
                }
                StepKind::Receive {
                    store,
                    next,
                    on_timeout,
                    ..
                } => {
                    let mut received = Edge::new(*next, None);
                    record(&mut received, store);
                    vec![received, Edge::new(*on_timeout, Some("on_timeout".into()))]
                }
                StepKind::Hold { events, .. } => events
                    .iter()
                    .map(|(name, to)| {
                        let mut edge = Edge::new(*to, Some(name.clone()));
                        if let Some(e) = def.events.get(name) {
                            record(&mut edge, &e.store);
                        }
                        edge
                    })
                    .collect(),
                StepKind::Call { outcomes, .. } => {
                    let several = outcomes.len() > 1;
                    outcomes
                        .iter()
                        .map(|(result, t)| transition(result, t, several))
                        .collect()
                }
                StepKind::Decide {
                    branches,
                    otherwise,
                } => {
                    // A branch is taken when its condition holds and those above it do not:
                    // what they test with `has()` is there on its way.
                    let mut failed = Names::new();
                    let mut out = Vec::new();
                    for (cond, to) in branches {
                        let mut edge = Edge::new(*to, None);
                        edge.sets = failed.union(&cond.shows_present(true)).cloned().collect();
                        out.push(edge);
                        failed.extend(cond.shows_present(false));
                    }
                    let mut edge = Edge::new(*otherwise, Some("otherwise".into()));
                    edge.sets = failed;
                    out.push(edge);
                    out
                }
                kind => kind
                    .successors()
                    .into_iter()
                    .map(|(to, _)| Edge::new(to, None))
                    .collect(),
            };
            if starts_term == Some(StepId(i as u16)) {
                for edge in &mut out {
                    edge.sets.insert(DEADLINE.to_string());
                }
            }
            out
        })
        .collect()
}

/// The edge of a task's outcome or a call's result, with its `set`.
fn transition(name: &str, t: &Transition, several: bool) -> Edge {
    let mut edge = Edge::new(t.next, several.then(|| name.to_string()));
    record(&mut edge, &t.set);
    edge
}

/// A mapping's targets: set, or unset where the value may be `null`.
fn record(edge: &mut Edge, mapping: &[(String, super::expr::Expr)]) {
    for (target, e) in mapping {
        if e.may_be_absent() {
            edge.sets.remove(target);
            edge.unsets.insert(target.clone());
        } else {
            edge.unsets.remove(target);
            edge.sets.insert(target.clone());
        }
    }
}

/// The steps a path from `from` reaches.
fn reachable(edges: &[Vec<Edge>], from: StepId) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut stack = vec![from];
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut seen[s.index()], true) {
            continue;
        }
        stack.extend(edges[s.index()].iter().map(|e| e.to));
    }
    seen
}

/// The steps a branch starting at `from` reaches before `join` (the join itself excluded).
fn region(edges: &[Vec<Edge>], from: StepId, join: StepId) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut stack = vec![from];
    while let Some(s) = stack.pop() {
        if s == join || std::mem::replace(&mut seen[s.index()], true) {
            continue;
        }
        stack.extend(edges[s.index()].iter().map(|e| e.to));
    }
    seen
}

/// A path as a methodologist reads it: `accept → fetch_person(on_failure) → take_documents`.
pub fn describe(path: &[Hop]) -> String {
    path.iter()
        .map(|h| match &h.label {
            Some(label) => format!("{}({label})", h.step),
            None => h.step.clone(),
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use indexmap::IndexMap;

    use super::*;
    use crate::definition::validate::{self, Context};
    use crate::definition::{load_catalog, messages::Lang, raw};

    /// Compiles a service whose `data:` and `steps:` are given, against the fixture catalog
    /// and templates; `head` adds top-level keys (`application:`).
    fn service(head: &str, data: &str, steps: &str) -> Definition {
        let text = format!(
            "service: s\nversion: '1'\neffective_from: 2026-01-01\ntitle: {{ kk: a, ru: a }}\n\
             term: {{ working_days: 30, starts_after: accept }}\nsupport_email: a@b.kz\n{head}\n\
             data:\n{data}\nstart: accept\nsteps:\n{steps}"
        );
        let file = Path::new("assigned.yaml");
        let doc = crate::yaml::parse(file, &text).expect("parses");
        let raw: raw::Workflow = doc.deserialize().expect("has the shape");
        let catalog_file = Path::new("tests/fixtures/definitions/catalog.yaml");
        let catalog = load_catalog(catalog_file, Lang::En).expect("the fixture catalog");
        let ctx = Context {
            catalog: &catalog,
            catalog_file,
            calendars: &["kz".to_string()],
            templates: Path::new("tests/fixtures/templates"),
        };
        let (def, problems) = validate::compile(file, &raw, &ctx, &IndexMap::new());
        def.unwrap_or_else(|| panic!("{text}\n{:#?}", problems.0))
    }

    fn check(def: &Definition, step: &str, name: &str) -> Option<String> {
        let a = Assigned::of(def);
        let id = def.step_named(step).expect("a step");
        a.path_without(name, id).map(|p| describe(&p))
    }

    const DATA: &str = "  applicant.iin: iin\n  applicant.phone: phone\n  person.last_name: string\n  \
                        review.reason: string\n  review.kind: string";

    #[test]
    fn a_request_that_fails_leaves_its_output_unset_on_that_path() {
        let def = service(
            "",
            DATA,
            "  accept: { task: { role: front_office_operator, form: [applicant.iin, { field: applicant.phone, required: false }] }, outcomes: { complete: fetch } }
  fetch:
    request: { connector: gbd_fl.person, input: { iin: applicant.iin }, output: { person.last_name: response.last_name } }
    on_failure: { escalate: [support_email], next: take }
    next: receipt
  take: { task: { role: front_office_operator, form: [{ field: person.last_name, required: false }] }, outcomes: { entered: receipt } }
  receipt: { document: { template: receipt }, next: done }
  done: { end: issued }
",
        );
        // A required form field is set; an optional one is not.
        assert_eq!(check(&def, "receipt", "applicant.iin"), None);
        assert_eq!(
            check(&def, "receipt", "applicant.phone").as_deref(),
            Some("accept → fetch → receipt")
        );
        assert_eq!(
            check(&def, "receipt", "person.last_name").as_deref(),
            Some("accept → fetch(on_failure) → take → receipt")
        );
        // The term starts after `accept`: every later step has its deadline.
        assert_eq!(check(&def, "receipt", DEADLINE), None);
        assert!(!Assigned::of(&def).is_set(def.start, DEADLINE));
    }

    #[test]
    fn an_outcome_sets_its_own_fields_and_a_null_unsets() {
        let def = service(
            "",
            DATA,
            "  accept:
    task: { role: front_office_operator, form: [{ field: review.reason, for_outcomes: [refuse] }] }
    outcomes:
      approve: { next: tell, set: { review.kind: \"'approve'\" } }
      refuse: { next: tell, set: { review.kind: \"'refuse'\" } }
      unclear: { next: again, set: { review.kind: \"'x'\" } }
  again:
    task: { role: front_office_operator }
    outcomes: { done: { next: tell, set: { review.kind: \"has(review.reason) ? review.reason : null\" } } }
  tell: { notify: { to: citizen, template: accepted, channels: [email] }, next: done }
  done: { end: issued }
",
        );
        assert_eq!(
            check(&def, "tell", "review.reason").as_deref(),
            Some("accept(approve) → tell")
        );
        // Set on every outcome, but unset again by a value that may be null.
        assert_eq!(
            check(&def, "tell", "review.kind").as_deref(),
            Some("accept(unclear) → again → tell")
        );
        // A notice that is the step the term starts after already cites the deadline.
        assert_eq!(check(&def, "tell", DEADLINE), None);
    }

    #[test]
    fn after_a_join_a_name_one_branch_certainly_set_is_set() {
        let def = service(
            "application: [applicant.iin]",
            DATA,
            "  accept: { task: { role: front_office_operator }, outcomes: { complete: both } }
  both: { fork: [ask, fetch] }
  ask: { task: { role: provider_specialist, form: [review.reason] }, outcomes: { done: joined } }
  fetch:
    request: { connector: gbd_fl.person, input: { iin: applicant.iin }, output: { person.last_name: response.last_name } }
    on_failure: { next: joined }
    next: joined
  joined: { join: both, next: tell }
  tell: { document: { template: receipt }, next: done }
  done: { end: issued }
",
        );
        // The application's required field is set from the start.
        assert_eq!(check(&def, "tell", "applicant.iin"), None);
        assert_eq!(check(&def, "tell", "review.reason"), None);
        assert_eq!(
            check(&def, "tell", "person.last_name").as_deref(),
            Some("accept → both → fetch(on_failure) → joined → tell")
        );
    }

    #[test]
    fn a_loop_keeps_only_what_every_round_sets() {
        let def = service(
            "",
            DATA,
            "  accept: { task: { role: front_office_operator, form: [applicant.iin] }, outcomes: { complete: review } }
  review:
    task: { role: provider_specialist, form: [{ field: review.reason, for_outcomes: [more] }] }
    outcomes: { more: ask, done: tell }
  ask: { notify: { to: citizen, template: accepted, channels: [email] }, next: review }
  tell: { document: { template: receipt }, next: done }
  done: { end: issued }
",
        );
        assert_eq!(check(&def, "ask", "review.reason"), None);
        assert_eq!(check(&def, "tell", "applicant.iin"), None);
        assert_eq!(
            check(&def, "tell", "review.reason").as_deref(),
            Some("accept → review(done) → tell")
        );
    }
}

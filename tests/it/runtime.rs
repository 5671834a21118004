//! The runtime core, driven directly: no database, no network, no real time.
//!
//! The fixture `all-kinds` has one step of every kind; these tests walk it the way a case
//! would go and check what a clerk and a citizen would see: the tasks and their due times,
//! the messages sent, the term and its evidence, the end.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use indexmap::IndexMap;
use qyzmet::calendar::Calendar;
use qyzmet::definition::{self, Definition, Kind, Options, messages::Lang};
use qyzmet::runtime::{
    self, Actor, Context, Effect, Event, Language, Settings, Status, Submission, TimerPurpose,
    Transition, Work,
};
use serde_json::json;

/// A service fixture with its sub-workflows, the calendar and the settings: what a
/// transition reads besides the case.
pub(crate) struct World {
    pub(crate) def: Definition,
    pub(crate) subs: IndexMap<String, Definition>,
    pub(crate) calendar: Calendar,
    pub(crate) settings: Settings,
}

fn world() -> World {
    world_of("tests/fixtures/definitions/valid/all_kinds.yaml")
}

/// The world of the service fixture `file` (against the fixture catalog and templates).
pub(crate) fn world_of(file: &str) -> World {
    let options = Options {
        catalog: Some(PathBuf::from("tests/fixtures/definitions/catalog.yaml")),
        templates: Some(PathBuf::from("tests/fixtures/templates")),
        calendars: Some(PathBuf::from("calendars")),
        lang: Lang::En,
    };
    let report = definition::load(&[PathBuf::from(file)], &options);
    assert_eq!(report.diagnostics, vec![]);
    let mut subs = IndexMap::new();
    let mut def = None;
    for d in report.library.definitions {
        match d.kind {
            Kind::Service => def = Some(d),
            Kind::Subworkflow => {
                subs.insert(d.id.clone(), d);
            }
        }
    }
    World {
        def: def.unwrap(),
        subs,
        calendar: Calendar::load(&PathBuf::from("calendars"), "kz").unwrap(),
        settings: Settings::default(),
    }
}

/// Almaty local time (UTC+5) as UTC.
pub(crate) fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - chrono::Duration::hours(5)
}

impl World {
    pub(crate) fn ctx(&self, now: DateTime<Utc>) -> Context<'_> {
        Context {
            definition: &self.def,
            subworkflows: &self.subs,
            calendar: &self.calendar,
            settings: &self.settings,
            now,
        }
    }
}

fn submission(consent: bool) -> Submission {
    Submission {
        data: json!({ "applicant.iin": "850315300128", "applicant.account": "KZ123", "applicant.language": "ru" }),
        channel: "state_corporation".into(),
        language: Language::Ru,
        sms_consent: consent,
        region: "almaty".into(),
    }
}

fn task_key(t: &Transition, step: &str) -> String {
    t.effects
        .iter()
        .find_map(|e| match e {
            Effect::CreateTask { key, step: s, .. } if s == step => Some(key.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no task for {step} in {:#?}", t.effects))
}

fn jobs(t: &Transition) -> Vec<&Work> {
    t.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Job(j) => Some(&j.work),
            _ => None,
        })
        .collect()
}

fn request_keys(t: &Transition) -> Vec<(String, String)> {
    t.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Job(j) => match &j.work {
                Work::Request { connector, .. } => Some((connector.clone(), j.key.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn a_case_goes_from_acceptance_through_parallel_requests_to_the_review() {
    let w = world();
    // Monday 23 November 2026, 10:00 in Almaty.
    let t0 = almaty(2026, 11, 23, 10, 0);
    let opened = runtime::start(&w.ctx(t0), 1, "QZ-2026-000001", &submission(true)).unwrap();
    let accept = task_key(&opened, "accept");
    // The front-office norm: 20 minutes of service.
    let task = &opened.state.tasks[&accept];
    assert_eq!(task.role, "front_office_operator");
    assert_eq!(task.due_at, Some(almaty(2026, 11, 23, 10, 20)));
    let t1 = almaty(2026, 11, 23, 10, 15);
    let accepted = runtime::apply(
        &w.ctx(t1),
        &opened.state,
        &Event::TaskCompleted {
            task: accept,
            outcome: "complete".into(),
            form: json!({}),
            by: Actor::Clerk("operator1".into()),
        },
    )
    .unwrap();
    // 5 working days, the day of acceptance not counted (seeds/004 appendix 2 row 5):
    // Tue 24, Wed 25, Thu 26, Fri 27, Mon 30 November.
    let term = accepted.state.term.as_ref().unwrap();
    assert_eq!(
        term.accepted_on,
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    );
    assert_eq!(term.due_on, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    let work = jobs(&accepted);
    assert!(
        work.iter()
            .any(|w| matches!(w, Work::Document { template, .. } if template == "receipt"))
    );
    let notice = work.iter().find_map(|w| match w {
        Work::Notify {
            template,
            channels,
            vars,
            ..
        } if template == "accepted" => Some((channels.clone(), vars.clone())),
        _ => None,
    });
    let (channels, vars) = notice.expect("the citizen is told the application was accepted");
    assert_eq!(channels, vec!["sms", "email"]);
    assert_eq!(vars["registration_number"], "QZ-2026-000001");
    assert_eq!(vars["deadline"], "2026-11-30");
    assert!(
        work.iter()
            .any(|w| matches!(w, Work::Stage { stage, .. } if stage == "data_requested"))
    );
    let requests = request_keys(&accepted);
    assert_eq!(
        requests.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        vec!["gbd_fl.person", "bank.account"]
    );

    // The answers come back in any order; the join waits for both.
    let person = runtime::apply(
        &w.ctx(t1),
        &accepted.state,
        &Event::JobSucceeded {
            job: requests[1].1.clone(),
            output: json!({ "open": true }),
        },
    )
    .unwrap();
    assert!(
        person
            .effects
            .iter()
            .all(|e| !matches!(e, Effect::CreateTask { .. })),
        "the join waits for GBD FL"
    );
    let both = runtime::apply(
        &w.ctx(t1),
        &person.state,
        &Event::JobSucceeded {
            job: requests[0].1.clone(),
            output: json!({ "last_name": "Абенова", "first_name": "Айгүл", "birth_date": "1985-03-15", "address": "Алматы" }),
        },
    )
    .unwrap();
    assert_eq!(both.state.scope("")["person"]["last_name"], "Абенова");
    let review = task_key(&both, "review");
    // Due in 1 working day, at the close of the office: Tuesday 24 November, 18:00.
    assert_eq!(
        both.state.tasks[&review].due_at,
        Some(almaty(2026, 11, 24, 18, 0))
    );

    // Refusing without the reasons is a form error, and nothing changes.
    let err = runtime::apply(
        &w.ctx(t1),
        &both.state,
        &Event::TaskCompleted {
            task: review.clone(),
            outcome: "refuse".into(),
            form: json!({}),
            by: Actor::Clerk("spec1".into()),
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the form has mistakes: review.reason: required"
    );

    // Completing twice is a conflict.
    let approved = runtime::apply(
        &w.ctx(t1),
        &both.state,
        &Event::TaskCompleted {
            task: review.clone(),
            outcome: "approve".into(),
            form: json!({}),
            by: Actor::Clerk("spec1".into()),
        },
    )
    .unwrap();
    let again = runtime::apply(
        &w.ctx(t1),
        &approved.state,
        &Event::TaskCompleted {
            task: review,
            outcome: "approve".into(),
            form: json!({}),
            by: Actor::Clerk("spec1".into()),
        },
    );
    assert!(matches!(again, Err(runtime::Error::TaskNotOpen(_))));

    // The cool-off timer: 1 working day; when it fires, the decision issues the result.
    let (timer, due_at, purpose) = approved
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::SetTimer {
                key,
                due_at,
                purpose: p @ TimerPurpose::Wait { .. },
            } => Some((key.clone(), *due_at, p.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(due_at, almaty(2026, 11, 24, 18, 0));
    let done = runtime::apply(
        &w.ctx(due_at),
        &approved.state,
        &Event::TimerFired {
            timer,
            purpose,
            due_at,
        },
    )
    .unwrap();
    assert_eq!(done.state.status, Status::Completed);
    assert_eq!(done.state.result.as_deref(), Some("issued"));
}

#[test]
fn no_sms_without_consent_and_the_refusal_goes_through_the_hearing() {
    let w = world();
    let t0 = almaty(2026, 11, 23, 10, 0);
    let opened = runtime::start(&w.ctx(t0), 2, "QZ-2026-000002", &submission(false)).unwrap();
    let accept = task_key(&opened, "accept");
    let accepted = runtime::apply(
        &w.ctx(t0),
        &opened.state,
        &Event::TaskCompleted {
            task: accept,
            outcome: "complete".into(),
            form: json!({}),
            by: Actor::Clerk("op".into()),
        },
    )
    .unwrap();
    let channels: Vec<&Vec<String>> = jobs(&accepted)
        .into_iter()
        .filter_map(|w| match w {
            Work::Notify { to, channels, .. } if to == "citizen" => Some(channels),
            _ => None,
        })
        .collect();
    assert_eq!(
        channels,
        vec![&vec!["email".to_string()]],
        "no SMS without consent (seeds/000 appendix 1)"
    );

    // GBD FL fails after its retries: the support address is told, and the case goes on.
    let requests = request_keys(&accepted);
    let failed = runtime::apply(
        &w.ctx(t0),
        &accepted.state,
        &Event::JobFailed {
            job: requests[0].1.clone(),
            error: "timeout".into(),
            attempts: 3,
        },
    )
    .unwrap();
    let support = jobs(&failed)
        .into_iter()
        .find_map(|w| match w {
            Work::Notify { to, vars, .. } if to == "support_email" => Some(vars.clone()),
            _ => None,
        })
        .expect("a technical-failure e-mail (seeds/001 items 13, 14)");
    assert_eq!(support["registration_number"], "QZ-2026-000002");
    assert_eq!(support["applicant"]["iin"], "850315300128");
    assert_eq!(support["error"], "timeout");
    assert_eq!(support["failed_step"], "fetch_person");

    let both = runtime::apply(
        &w.ctx(t0),
        &failed.state,
        &Event::JobSucceeded {
            job: requests[1].1.clone(),
            output: json!({ "open": true }),
        },
    )
    .unwrap();
    let review = task_key(&both, "review");
    let refused = runtime::apply(
        &w.ctx(t0),
        &both.state,
        &Event::TaskCompleted {
            task: review,
            outcome: "refuse".into(),
            form: json!({ "review.reason": "no grounds" }),
            by: Actor::Clerk("spec".into()),
        },
    )
    .unwrap();
    // The reply window pauses the term; the citizen's reply comes two days later.
    assert!(refused.state.term.as_ref().unwrap().paused_since.is_some());
    let t2 = almaty(2026, 11, 25, 12, 0);
    let replied = runtime::apply(
        &w.ctx(t2),
        &refused.state,
        &Event::MessageReceived {
            name: "reply".into(),
            payload: json!({ "text": "I object" }),
            by: Actor::Citizen,
        },
    )
    .unwrap();
    let term = replied.state.term.as_ref().unwrap();
    assert_eq!(term.paused_days, 2, "Tue 24 and Wed 25 paused");
    assert_eq!(
        term.due_on,
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        "30 Nov + 2 working days"
    );
    // Now inside the hearing: the notice task is due 3 working days before the term's end.
    let notice = task_key(&replied, "hearing/notice");
    assert_eq!(
        replied.state.tasks[&notice].due_at,
        Some(almaty(2026, 11, 27, 18, 0))
    );
}

#[test]
fn a_message_before_its_step_is_kept_and_a_withdrawal_ends_the_case() {
    let w = world();
    let t0 = almaty(2026, 11, 23, 10, 0);
    let opened = runtime::start(&w.ctx(t0), 3, "QZ-2026-000003", &submission(true)).unwrap();
    let early = runtime::apply(
        &w.ctx(t0),
        &opened.state,
        &Event::MessageReceived {
            name: "reply".into(),
            payload: json!({ "text": "early" }),
            by: Actor::Citizen,
        },
    )
    .unwrap();
    assert_eq!(early.state.inbox.len(), 1);
    let gone = runtime::apply(
        &w.ctx(t0),
        &early.state,
        &Event::Withdrawn { by: Actor::Citizen },
    )
    .unwrap();
    assert_eq!(gone.state.status, Status::Withdrawn);
    assert!(
        gone.effects
            .iter()
            .any(|e| matches!(e, Effect::CloseTask { .. })),
        "the open task leaves the queue"
    );
    let after = runtime::apply(
        &w.ctx(t0),
        &gone.state,
        &Event::Withdrawn { by: Actor::Citizen },
    );
    assert!(matches!(after, Err(runtime::Error::Closed { .. })));
}

/// Completes the open task of `step` with `outcome` and `form`, at `now`.
fn complete(
    w: &World,
    state: &Transition,
    step: &str,
    outcome: &str,
    form: serde_json::Value,
    now: DateTime<Utc>,
) -> Transition {
    let (key, _) = state
        .state
        .tasks
        .iter()
        .find(|(_, t)| t.step == step)
        .unwrap_or_else(|| panic!("no open task at {step}: {:#?}", state.state.tasks));
    runtime::apply(
        &w.ctx(now),
        &state.state,
        &Event::TaskCompleted {
            task: key.clone(),
            outcome: outcome.into(),
            form,
            by: Actor::Clerk("spec".into()),
        },
    )
    .unwrap()
}

#[test]
fn a_call_outcome_records_its_set_in_the_callers_data_for_a_later_decision() {
    let w = world();
    let t0 = almaty(2026, 11, 23, 10, 0);
    let opened = runtime::start(&w.ctx(t0), 4, "QZ-2026-000004", &submission(true)).unwrap();
    let accepted = complete(&w, &opened, "accept", "complete", json!({}), t0);
    let mut state = accepted.clone();
    for (connector, job) in request_keys(&accepted) {
        let output = match connector.as_str() {
            "gbd_fl.person" => json!({ "last_name": "Ли", "birth_date": "1950-01-01" }),
            _ => json!({ "open": true }),
        };
        state = runtime::apply(
            &w.ctx(t0),
            &state.state,
            &Event::JobSucceeded { job, output },
        )
        .unwrap();
    }
    // The review refuses (`review.approved: false`); the hearing withdraws the refusal.
    let refused = complete(
        &w,
        &state,
        "review",
        "refuse",
        json!({ "review.reason": "no grounds" }),
        t0,
    );
    assert_eq!(refused.state.data[""]["review"]["approved"], json!(false));
    let replied = runtime::apply(
        &w.ctx(t0),
        &refused.state,
        &Event::MessageReceived {
            name: "reply".into(),
            payload: json!({ "text": "I object" }),
            by: Actor::Citizen,
        },
    )
    .unwrap();
    let noticed = complete(&w, &replied, "hearing/notice", "sent", json!({}), t0);
    let objected = runtime::apply(
        &w.ctx(t0),
        &noticed.state,
        &Event::MessageReceived {
            name: "objection".into(),
            payload: json!({ "text": "see the file" }),
            by: Actor::Citizen,
        },
    )
    .unwrap();
    let heard = complete(&w, &objected, "hearing/hear", "withdrawn", json!({}), t0);
    // `withdrawn: { next: decide, set: { review.approved: "true" } }`: the decision reads it.
    assert_eq!(heard.state.data[""]["review"]["approved"], json!(true));
    assert_eq!(heard.state.status, Status::Completed);
    assert_eq!(heard.state.result.as_deref(), Some("issued"));
}

/// The timer set for `key`, with what it is for.
fn timer(t: &Transition, key_ends: &str) -> (String, DateTime<Utc>, TimerPurpose) {
    t.effects
        .iter()
        .find_map(|e| match e {
            Effect::SetTimer {
                key,
                due_at,
                purpose,
            } if key.ends_with(key_ends) => Some((key.clone(), *due_at, purpose.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no timer {key_ends} in {:#?}", t.effects))
}

#[test]
fn staff_reminders_and_escalations_wait_for_office_hours_and_say_so() {
    let w = world();
    // Accepted Monday 23 November 2026, 10:15: the term ends Monday 30 November, 18:00.
    let t0 = almaty(2026, 11, 23, 10, 15);
    let opened = runtime::start(&w.ctx(t0), 5, "QZ-2026-000005", &submission(true)).unwrap();
    let accepted = complete(&w, &opened, "accept", "complete", json!({}), t0);
    // The term's 80%, in working time, is the end of its 4th working day (24, 25, 26, 27.11):
    // Friday 27.11 at the office's close, 18:00; it waits for Monday, 09:00.
    let (term_key, term_due, term_purpose) = timer(&accepted, ":term:0");
    assert_eq!(term_due, almaty(2026, 11, 30, 9, 0));
    assert_eq!(
        term_purpose,
        TimerPurpose::TermRung {
            rung: 0,
            moved_from: Some(almaty(2026, 11, 27, 18, 0)),
        }
    );
    let mut state = accepted.clone();
    for (connector, job) in request_keys(&accepted) {
        let output = match connector.as_str() {
            "gbd_fl.person" => json!({ "last_name": "Ли", "birth_date": "1950-01-01" }),
            _ => json!({ "open": true }),
        };
        state = runtime::apply(
            &w.ctx(t0),
            &state.state,
            &Event::JobSucceeded { job, output },
        )
        .unwrap();
    }
    // The review is due Tuesday 24.11, 18:00. Its 50% point is Tuesday 02:07, in the night:
    // the reminder waits for 09:00. Its 100% point is the close of the office: Wednesday 09:00.
    let (remind_key, remind_due, remind_purpose) = timer(&state, ":rung0");
    assert_eq!(remind_due, almaty(2026, 11, 24, 9, 0));
    assert!(matches!(
        remind_purpose,
        TimerPurpose::TaskRung { moved_from: Some(at), .. }
            if at == almaty(2026, 11, 24, 2, 7) + chrono::Duration::seconds(30)
    ));
    let (_, reassign_due, _) = timer(&state, ":rung1");
    assert_eq!(reassign_due, almaty(2026, 11, 25, 9, 0));

    // Fired at 09:00, the reminder goes, and the history says why it came then.
    let reminded = runtime::apply(
        &w.ctx(remind_due),
        &state.state,
        &Event::TimerFired {
            timer: remind_key,
            purpose: remind_purpose,
            due_at: remind_due,
        },
    )
    .unwrap();
    assert!(jobs(&reminded).iter().any(
        |w| matches!(w, Work::Notify { template, to, .. } if template == "escalation_reminder" && to == "assignee")
    ));
    let line = reminded
        .history
        .iter()
        .find(|h| h.kind == "escalated")
        .expect("an escalation line");
    assert_eq!(
        line.detail["moved"],
        "moved from Tue 24.11 02:07 to Tue 24.11 09:00: outside office hours"
    );

    let escalated = runtime::apply(
        &w.ctx(term_due),
        &reminded.state,
        &Event::TimerFired {
            timer: term_key,
            purpose: term_purpose,
            due_at: term_due,
        },
    )
    .unwrap();
    let line = escalated
        .history
        .iter()
        .find(|h| h.kind == "escalated")
        .expect("the term's escalation line");
    assert_eq!(
        line.detail["moved"],
        "moved from Fri 27.11 18:00 to Mon 30.11 09:00: outside office hours"
    );
    // A rung that falls in office hours is not moved, and its line says nothing of it.
    let t1 = almaty(2026, 11, 24, 11, 0);
    let review_again = complete(&w, &escalated, "review", "approve", json!({}), t1);
    assert!(
        review_again
            .history
            .iter()
            .all(|h| h.detail.get("moved").is_none())
    );
}

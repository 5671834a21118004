//! Life events, driven through the runtime core: a payment assigned, then increased,
//! suspended, resumed and terminated while it holds (the construct `hold` + `events:`;
//! seeds/000 appendices 3-5 are the decisions it carries). No database, no real time.

use chrono::{DateTime, Utc};
use qyzmet::runtime::{
    self, Actor, CaseState, Effect, Error, Event, Language, Submission, TimerPurpose, Transition,
    life,
};
use serde_json::{Value, json};

use crate::runtime::{World, almaty, world_of};

fn world() -> World {
    world_of("tests/fixtures/definitions/living/living.yaml")
}

impl World {
    fn apply(
        &self,
        state: &CaseState,
        now: DateTime<Utc>,
        event: Event,
    ) -> Result<Transition, Error> {
        runtime::apply(&self.ctx(now), state, &event)
    }

    /// A case just opened, its application at the front office on 11.01.2027 10:00.
    fn opened(&self) -> Transition {
        runtime::start(
            &self.ctx(almaty(2027, 1, 11, 10, 0)),
            1,
            "QZ-2027-000001",
            &Submission {
                data: json!({ "applicant.iin": "850315300128" }),
                channel: "state_corporation".into(),
                language: Language::Ru,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .unwrap()
    }

    /// A case accepted with `amount` from `from`, optionally `until`: at the hold.
    fn assigned(&self, until: Option<&str>) -> Transition {
        let now = almaty(2027, 1, 11, 10, 0);
        let start = self.opened();
        let mut form = json!({ "payment.amount": "120000", "payment.from": "2027-01-01" });
        if let Some(until) = until {
            form["payment.until"] = json!(until);
        }
        let task = open_task(&start.state, "accept");
        self.apply(&start.state, now, completed(&task, "complete", form))
            .unwrap()
    }
}

fn open_task(state: &CaseState, step: &str) -> String {
    state
        .tasks
        .iter()
        .find(|(_, t)| t.step == step)
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| panic!("no open task at {step}: {:?}", state.tasks))
}

fn completed(task: &str, outcome: &str, form: Value) -> Event {
    Event::TaskCompleted {
        task: task.into(),
        outcome: outcome.into(),
        form,
        by: Actor::Clerk("spec1".into()),
    }
}

fn message(name: &str, payload: Value) -> Event {
    Event::MessageReceived {
        name: name.into(),
        payload,
        by: Actor::Clerk("spec1".into()),
    }
}

fn amount(state: &CaseState) -> Value {
    state.data[""]["payment"]["amount"].clone()
}

fn history_kinds(t: &Transition) -> Vec<&str> {
    t.history.iter().map(|h| h.kind.as_str()).collect()
}

#[test]
fn an_assigned_payment_holds_its_term_met_and_its_record_kept() {
    let w = world();
    let t = w.assigned(None);
    assert_eq!(t.state.status, runtime::Status::Active);
    assert_eq!(
        life::living_state(&w.def, &t.state).as_deref(),
        Some("active")
    );
    assert!(t.state.term.as_ref().unwrap().met_at.is_some());
    let kinds = history_kinds(&t);
    assert!(kinds.contains(&"term_met"), "{kinds:?}");
    assert!(kinds.contains(&"holding"), "{kinds:?}");
    // The term's escalation is cancelled: a living payment is never "late".
    assert!(
        t.effects
            .iter()
            .any(|e| matches!(e, Effect::CancelTimer { key } if key.contains(":term:")))
    );
    let changed: Vec<&Value> = t
        .history
        .iter()
        .filter(|h| h.kind == "record_changed")
        .map(|h| &h.detail["field"])
        .collect();
    assert_eq!(changed, vec!["payment.amount", "payment.from"]);
    let open: Vec<&str> = life::events_open(&w.def, &t.state)
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(open, vec!["increase", "suspension", "termination"]);
}

#[test]
fn an_increase_is_computed_exactly_taken_once_per_act_and_kept_in_the_amount_history() {
    let w = world();
    let held = w.assigned(None).state;
    let now = almaty(2027, 2, 1, 10, 0);
    let act =
        json!({ "act": "Закон № 12-VIII от 20.01.2027", "from": "2027-02-01", "percent": "8.5" });
    let started = w
        .apply(&held, now, message("increase", act.clone()))
        .unwrap();
    assert!(history_kinds(&started).contains(&"event_started"));
    let task = open_task(&started.state, "review_increase");
    // The same act again, while the first is being decided: refused, nothing kept.
    let again = w.apply(&started.state, now, message("increase", act.clone()));
    assert!(
        matches!(again, Err(Error::Duplicate { ref event, .. }) if event == "increase"),
        "{again:?}"
    );
    let signed = w
        .apply(&started.state, now, completed(&task, "signed", json!({})))
        .unwrap();
    // 120 000,00 × 1.085 = 130 200,00 exactly.
    assert_eq!(amount(&signed.state), json!("130200.00"));
    let change = signed
        .history
        .iter()
        .find(|h| h.kind == "record_changed" && h.detail["field"] == "payment.amount")
        .unwrap();
    assert_eq!(change.detail["from"], json!("120000.00"));
    assert_eq!(change.detail["to"], json!("130200.00"));
    assert_eq!(change.detail["event"], json!("increase"));
    assert_eq!(
        life::living_state(&w.def, &signed.state).as_deref(),
        Some("active")
    );
    // Back at the hold, the act is still taken.
    let later = w.apply(&signed.state, now, message("increase", act));
    assert!(matches!(later, Err(Error::Duplicate { .. })), "{later:?}");
}

#[test]
fn a_suspension_that_comes_during_an_increase_waits_then_starts_and_the_holds_take_only_their_events()
 {
    let w = world();
    let held = w.assigned(None).state;
    let now = almaty(2027, 2, 1, 10, 0);
    let act = json!({ "act": "Закон № 1", "from": "2027-02-01", "percent": "10" });
    let busy = w.apply(&held, now, message("increase", act)).unwrap().state;
    let kept = w
        .apply(
            &busy,
            now,
            message("suspension", json!({ "reason": "Выезд за пределы РК" })),
        )
        .unwrap();
    assert!(history_kinds(&kept).contains(&"message_kept"));
    assert_eq!(kept.state.inbox.len(), 1);
    // Long after the usual retention, the event's message is still there.
    let month_later = almaty(2027, 4, 1, 10, 0);
    let task = open_task(&kept.state, "review_increase");
    let back = w
        .apply(
            &kept.state,
            month_later,
            completed(&task, "signed", json!({})),
        )
        .unwrap();
    assert!(back.state.inbox.is_empty());
    let suspension = open_task(&back.state, "review_suspension");
    assert_eq!(amount(&back.state), json!("132000.00"));
    let suspended = w
        .apply(
            &back.state,
            month_later,
            completed(&suspension, "signed", json!({})),
        )
        .unwrap()
        .state;
    assert_eq!(
        life::living_state(&w.def, &suspended).as_deref(),
        Some("suspended")
    );
    // A suspended payment is not suspended again; it is resumed.
    let refused = w.apply(
        &suspended,
        month_later,
        message("suspension", json!({ "reason": "x" })),
    );
    match refused {
        Err(Error::EventNotNow(text)) => {
            assert!(text.contains("Выплата производится"), "{text}");
            assert!(text.contains("Выплата приостановлена"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    let open: Vec<&str> = life::events_open(&w.def, &suspended)
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(open, vec!["increase", "resumption", "termination"]);
    let resuming = w
        .apply(
            &suspended,
            month_later,
            message("resumption", json!({ "reason": "Вернулся" })),
        )
        .unwrap();
    let task = open_task(&resuming.state, "resume");
    let active = w
        .apply(
            &resuming.state,
            month_later,
            completed(&task, "signed", json!({})),
        )
        .unwrap()
        .state;
    assert_eq!(
        life::living_state(&w.def, &active).as_deref(),
        Some("active")
    );
    let ended = w
        .apply(
            &active,
            month_later,
            message("termination", json!({ "reason": "Смерть получателя" })),
        )
        .unwrap()
        .state;
    assert_eq!(ended.status, runtime::Status::Completed);
    assert_eq!(
        life::living_state(&w.def, &ended).as_deref(),
        Some("terminated")
    );
}

#[test]
fn an_event_before_the_payment_is_assigned_is_refused_saying_so() {
    let w = world();
    let now = almaty(2027, 1, 11, 10, 0);
    let start = w.opened();
    let refused = w.apply(
        &start.state,
        now,
        message(
            "increase",
            json!({ "act": "A", "from": "2027-02-01", "percent": "5" }),
        ),
    );
    match refused {
        Err(Error::EventNotNow(text)) => assert!(text.contains("has not come there yet"), "{text}"),
        other => panic!("{other:?}"),
    }
    // A payload that does not fit the message is refused by field, before anything else.
    let bad = w.apply(
        &start.state,
        now,
        message("increase", json!({ "act": "A", "percent": "x" })),
    );
    assert!(
        matches!(bad, Err(Error::Rejected(ref e)) if e.iter().any(|f| f.field == "payload.percent")),
        "{bad:?}"
    );
}

#[test]
fn a_date_event_starts_on_its_day_and_its_timer_goes_when_another_event_comes_first() {
    let w = world();
    let held = w.assigned(Some("2027-06-30"));
    let (key, due_at) = held
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::SetTimer {
                key,
                due_at,
                purpose: TimerPurpose::LifeEvent { event, .. },
            } if event == "capacity_ends" => Some((key.clone(), *due_at)),
            _ => None,
        })
        .expect("a timer for the date event");
    assert_eq!(due_at, almaty(2027, 6, 30, 0, 0));
    let token = held.state.tokens[0].id;
    let fired = w
        .apply(
            &held.state,
            due_at,
            Event::TimerFired {
                timer: key.clone(),
                purpose: TimerPurpose::LifeEvent {
                    token,
                    event: "capacity_ends".into(),
                },
                due_at,
            },
        )
        .unwrap();
    open_task(&fired.state, "review_suspension");
    // Had an increase come first, the timer would be cancelled and a late firing stale.
    let now = almaty(2027, 3, 1, 10, 0);
    let busy = w
        .apply(
            &held.state,
            now,
            message(
                "increase",
                json!({ "act": "B", "from": "2027-03-01", "percent": "1" }),
            ),
        )
        .unwrap();
    assert!(
        busy.effects
            .iter()
            .any(|e| matches!(e, Effect::CancelTimer { key: k } if *k == key))
    );
    let late = w.apply(
        &busy.state,
        due_at,
        Event::TimerFired {
            timer: key,
            purpose: TimerPurpose::LifeEvent {
                token,
                event: "capacity_ends".into(),
            },
            due_at,
        },
    );
    assert!(matches!(late, Err(Error::Stale(_))), "{late:?}");
}

/// A living case keeps the version it started under for as long as it lives: a payment
/// assigned under one version is increased under that version's rule after a new version
/// (another rule) has taken effect, while a case started under the new one follows the new
/// rule (workflows/README.md, "Versions and effective dates": cases already running keep the
/// version they started under; seeds/000 item 4: an order takes effect on its own date).
#[tokio::test]
async fn a_living_case_keeps_its_own_version_after_a_new_one_takes_effect() {
    use qyzmet::clock::ManualClock;
    use qyzmet::service::{FileConfig, Options, Service};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join("workflows");
    let folder = workflows.join("living-payment");
    std::fs::create_dir_all(&folder).unwrap();
    let first = std::fs::read_to_string("tests/fixtures/definitions/living/living.yaml").unwrap();
    // The next version takes effect on 01.02.2027 and raises by whole tenge, rounding down.
    let next = first
        .replace("version: \"2026-04-13\"", "version: \"2027-02-01\"")
        .replace("effective_from: 2026-04-13", "effective_from: 2027-02-01")
        .replace(
            "payment.amount * (1.0 + increase.percent / 100.0)",
            "payment.amount + money(int(double(payment.amount) * increase.percent / 100.0))",
        );
    assert_ne!(first, next);
    std::fs::write(folder.join("2026-04-13.yaml"), &first).unwrap();
    std::fs::write(folder.join("2027-02-01.yaml"), &next).unwrap();
    // The installation's catalog: its connectors are the ones `serve` configures.
    std::fs::copy("workflows/catalog.yaml", workflows.join("catalog.yaml")).unwrap();
    std::os::unix::fs::symlink(
        std::path::absolute("templates").unwrap(),
        dir.path().join("templates"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        std::path::absolute("calendars").unwrap(),
        dir.path().join("calendars"),
    )
    .unwrap();
    let (smtp_port, _inbox) = crate::notify::mail_server();
    let (_sms, sms_base) = crate::service::aggregator().await;
    let config = crate::service::config_file(dir.path(), smtp_port, &sms_base);
    let clock = Arc::new(ManualClock::new(almaty(2027, 1, 11, 10, 0)));
    let service = Service::start(Options {
        database: crate::backends::database(dir.path()).await,
        data_dir: dir.path().join("data"),
        workflows,
        calendars: "calendars".into(),
        templates: "templates".into(),
        config: FileConfig::load(&config).expect("the configuration file loads"),
        clock: clock.clone(),
        env: Arc::new(|name| (name == "TEST_SMS_KEY").then(|| "k-1".to_string())),
    })
    .await
    .expect("the service starts");
    let engine = &service.engine;
    let assign = |number: String| async move {
        let key = engine
            .store()
            .tasks(None, None, Some(&number))
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.step == "accept")
            .unwrap()
            .key;
        engine
            .complete(
                &key,
                "complete",
                json!({ "payment.amount": "100000.50", "payment.from": "2027-01-01" }),
                "op1",
            )
            .await
            .unwrap();
        engine.drain().await.unwrap();
        number
    };
    let submission = || Submission {
        data: json!({ "applicant.iin": "850315300128" }),
        channel: "state_corporation".into(),
        language: Language::Ru,
        sms_consent: false,
        region: "almaty".into(),
    };
    let old = assign(engine.submit("living-payment", submission()).await.unwrap()).await;
    clock.set(almaty(2027, 2, 3, 10, 0));
    let new = assign(engine.submit("living-payment", submission()).await.unwrap()).await;
    let mut amounts = Vec::new();
    for number in [&old, &new] {
        engine
            .message(
                number,
                "increase",
                json!({ "act": "Закон № 7", "from": "2027-02-01", "percent": "3.3" }),
                Actor::Clerk("spec1".into()),
            )
            .await
            .unwrap();
        engine.drain().await.unwrap();
        let key = engine
            .store()
            .tasks(None, None, Some(number))
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.step == "review_increase")
            .unwrap()
            .key;
        engine
            .complete(&key, "signed", json!({}), "spec1")
            .await
            .unwrap();
        engine.drain().await.unwrap();
        let state = engine
            .store()
            .case_by_number(number)
            .await
            .unwrap()
            .unwrap();
        amounts.push((state.version.clone(), amount(&state)));
    }
    // 100 000,50 × 1,033 = 103 300,5165 → 103 300,52 under its own version's rule; the new
    // version adds whole tenge only: 100 000,50 + 3 300 = 103 300,50.
    assert_eq!(
        amounts,
        vec![
            ("2026-04-13".to_string(), json!("103300.52")),
            ("2027-02-01".to_string(), json!("103300.50")),
        ]
    );
}

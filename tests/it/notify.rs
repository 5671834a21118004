//! Notifications: segment counting, quiet hours, rendering, the load-time template checks,
//! and the performer against a real SMTP server and an HTTP SMS endpoint on loopback.
//! Time is a `ManualClock`; nothing here sleeps.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Form, Router};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Almaty;
use serde_json::{Value, json};

use qyzmet::clock::ManualClock;
use qyzmet::definition::model::Length;
use qyzmet::definition::{self, Definition, Options};
use qyzmet::notify::config::{Localized, Office, RulesChangeRecipients, StaffAddresses};
use qyzmet::notify::email::{FileMailer, Mailer, Security, SmtpConfig, SmtpMailer};
use qyzmet::notify::performer::{NotifyPerformer, Parts};
use qyzmet::notify::segments::{self, Encoding};
use qyzmet::notify::sms::{
    DeliveryStatus, FileSms, HttpSms, HttpSmsConfig, KeyPlace, Sms, SmsProvider,
};
use qyzmet::notify::{Part, Secret, Templates, check, quiet};
use qyzmet::runtime::{Language, Work};
use qyzmet::worker::jobs::{JobError, Performer};

// ── Segments ─────────────────────────────────────────────────────────────────────────────────

#[test]
fn segments_are_counted_as_the_operators_count_them() {
    // (text, encoding, units, segments)
    let cases: Vec<(String, Encoding, usize, usize)> = vec![
        (String::new(), Encoding::Gsm7, 0, 1),
        ("a".repeat(160), Encoding::Gsm7, 160, 1),
        ("a".repeat(161), Encoding::Gsm7, 161, 2),
        ("a".repeat(306), Encoding::Gsm7, 306, 2),
        ("a".repeat(307), Encoding::Gsm7, 307, 3),
        // The extension table counts twice: 80 euros are 160 septets, one more is 162.
        ("€".repeat(80), Encoding::Gsm7, 160, 1),
        ("€".repeat(81), Encoding::Gsm7, 162, 2),
        ("{}[]~|^\\".into(), Encoding::Gsm7, 16, 1),
        // Greek capitals and accented Latin of the basic table stay in GSM-7.
        ("ΔΦΓ èéù ÄÖÑÜ".into(), Encoding::Gsm7, 12, 1),
        // One Kazakh or Russian letter forces UCS-2 for the whole message.
        (format!("{}ә", "a".repeat(69)), Encoding::Ucs2, 70, 1),
        (format!("{}ә", "a".repeat(70)), Encoding::Ucs2, 71, 2),
        ("Ж".repeat(134), Encoding::Ucs2, 134, 2),
        ("Ж".repeat(135), Encoding::Ucs2, 135, 3),
        ("әғқңөұүһі".into(), Encoding::Ucs2, 9, 1),
        // A character outside the BMP is two UTF-16 units.
        ("😀".repeat(35), Encoding::Ucs2, 70, 1),
    ];
    for (text, encoding, units, parts) in cases {
        let c = segments::count(&text);
        assert_eq!(
            (c.encoding, c.units, c.segments),
            (encoding, units, parts),
            "{text:?}"
        );
    }
}

// ── Quiet hours ──────────────────────────────────────────────────────────────────────────────

fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Almaty
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn quiet_hours_run_from_22_to_08_almaty_time() {
    // Kazakhstan is UTC+5 since 1 March 2024: 22:00 in Almaty is 17:00 UTC.
    assert_eq!(
        almaty(2026, 4, 20, 22, 0),
        Utc.with_ymd_and_hms(2026, 4, 20, 17, 0, 0).unwrap()
    );
    let cases = [
        (almaty(2026, 4, 20, 7, 59), Some(almaty(2026, 4, 20, 8, 0))),
        (almaty(2026, 4, 20, 8, 0), None),
        (almaty(2026, 4, 20, 21, 59), None),
        (almaty(2026, 4, 20, 22, 0), Some(almaty(2026, 4, 21, 8, 0))),
        (almaty(2026, 4, 20, 23, 30), Some(almaty(2026, 4, 21, 8, 0))),
        (almaty(2026, 12, 31, 23, 0), Some(almaty(2027, 1, 1, 8, 0))),
        (almaty(2026, 4, 21, 0, 10), Some(almaty(2026, 4, 21, 8, 0))),
    ];
    for (now, expected) in cases {
        assert_eq!(quiet::sms_not_before(now), expected, "at {now}");
    }
}

// ── Rendering ────────────────────────────────────────────────────────────────────────────────

fn templates() -> Templates {
    Templates::load(Path::new("templates")).expect("templates/ compiles")
}

fn case_vars(lang: &str) -> Value {
    json!({
        "registration_number": "QZ-2026-000042",
        "service_title": if lang == "kk" { "Ақталған адамға куәлік беру" } else { "Выдача удостоверения реабилитированному лицу" },
        "service_short_title": if lang == "kk" { "Ақталған адамның куәлігі" } else { "Удостоверение реабилитированного лица" },
        "language": lang,
        "today": "2026-04-14",
        "deadline": "2026-04-21",
        "applicant": {
            "iin": "580412400123",
            "full_name": "Сейітова Әйгерім \"Бақытқызы\" <test>",
            "email": "aigerim@example.kz",
            "phone": "+77001234567",
        },
    })
}

#[test]
fn templates_render_in_the_case_language_with_dates_and_partials() {
    let t = templates();
    let kk = t
        .render(
            "application_accepted",
            Language::Kk,
            Part::Sms,
            &case_vars("kk"),
        )
        .unwrap();
    assert_eq!(
        kk,
        "Өтінішіңіз №QZ-2026-000042 қабылданды. Нәтиже 21.04.2026 дайын болады. Анықтама: 1414"
    );
    let ru = t
        .render(
            "application_accepted",
            Language::Ru,
            Part::Text,
            &case_vars("ru"),
        )
        .unwrap();
    // Partials in the case's language, dates as dd.mm.yyyy, no HTML escaping in plain text.
    assert!(
        ru.contains(
            "Регистрационный номер: №QZ-2026-000042\nДата готовности результата: 21.04.2026\n"
        ),
        "{ru}"
    );
    assert!(ru.contains("Сейітова Әйгерім \"Бақытқызы\" <test>"), "{ru}");
    let subject = t
        .render(
            "application_accepted",
            Language::Kk,
            Part::Subject,
            &case_vars("kk"),
        )
        .unwrap();
    assert_eq!(
        subject,
        "Өтініш №QZ-2026-000042 қабылданды: Ақталған адамның куәлігі"
    );
}

#[test]
fn a_refusal_to_accept_says_why_whether_documents_are_missing_expired_or_both() {
    // Law on state services art. 20(2); seeds/004 appendix 3: either reason alone is a refusal.
    let t = templates();
    let sms = |acceptance: Value, lang: Language| {
        let mut vars = case_vars(if lang == Language::Kk { "kk" } else { "ru" });
        vars["acceptance"] = acceptance;
        t.render("application_not_accepted", lang, Part::Sms, &vars)
            .unwrap()
    };
    let expired = json!({ "expired_documents": "Удостоверение личности" });
    let missing = json!({ "missing_documents": "Справка о реабилитации" });
    let both = json!({ "missing_documents": "Справка", "expired_documents": "Удостоверение" });
    let ru = sms(expired.clone(), Language::Ru);
    assert!(
        ru.contains("истёк срок документов") && !ru.contains("неполный"),
        "{ru}"
    );
    let ru = sms(missing.clone(), Language::Ru);
    assert!(
        ru.contains("пакет неполный") && !ru.contains("истёк"),
        "{ru}"
    );
    let ru = sms(both, Language::Ru);
    assert!(ru.contains("пакет неполный, истёк срок документов"), "{ru}");
    let kk = sms(expired, Language::Kk);
    assert!(
        kk.contains("мерзімі өткен") && !kk.contains("толық емес"),
        "{kk}"
    );
    let kk = sms(missing, Language::Kk);
    assert!(
        kk.contains("толық емес") && !kk.contains("мерзімі өткен"),
        "{kk}"
    );
}

#[test]
fn html_is_escaped_and_a_missing_variable_is_an_error() {
    let t = templates();
    let mut vars = case_vars("ru");
    vars["acceptance"] = json!({ "missing_documents": "<script>x</script>" });
    let html = t
        .render("refusal_to_accept_receipt", Language::Ru, Part::Html, &vars)
        .unwrap_err()
        .to_string();
    // Strict mode: office.* is not in these variables (the performer adds it).
    assert!(html.contains("office"), "{html}");
    vars["office"] = json!({ "name": "ЦОН", "address": "Астана", "phone": "1414" });
    vars["clerk"] = json!({ "full_name": "Иванов", "position": "оператор" });
    let html = t
        .render("refusal_to_accept_receipt", Language::Ru, Part::Html, &vars)
        .unwrap();
    assert!(
        html.contains("&lt;script&gt;x&lt;/script&gt;"),
        "escaped in HTML"
    );
    assert!(!html.contains("<script>"));
    assert!(html.contains("14.04.2026"), "today as dd.mm.yyyy");
}

#[test]
fn the_engines_own_templates_render() {
    let t = templates();
    let mut vars = case_vars("kk");
    vars["failed_step"] = json!("fetch_person");
    vars["connector"] = json!("gbd_fl.person");
    vars["error"] = json!("connection refused");
    vars["attempts"] = json!(5);
    vars["support_email"] = json!("e-maket@enbek.kz");
    vars["steps"] = json!(["fetch_person", "check_register"]);
    let text = t
        .render("technical_failure", Language::Kk, Part::Text, &vars)
        .unwrap();
    for expected in [
        "Ақталған адамға куәлік беру",
        "№QZ-2026-000042",
        "580412400123",
        "- fetch_person\n- check_register\n",
        "connection refused",
        "14.04.2026",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    for (template, step) in [
        ("escalation_reminder", "review"),
        ("escalation_notice", "term"),
        ("escalation_reassigned", "review"),
    ] {
        for lang in [Language::Kk, Language::Ru] {
            let mut vars = case_vars(if lang == Language::Kk { "kk" } else { "ru" });
            vars["step"] = json!(step);
            vars["percent"] = json!(80);
            let text = t.render(template, lang, Part::Text, &vars).unwrap();
            assert!(
                text.contains("80%") && text.contains("21.04.2026"),
                "{text}"
            );
        }
    }
    assert!(
        check::check_engine_templates(&t).is_empty(),
        "{:?}",
        check::check_engine_templates(&t)
    );
}

/// The support e-mail's text, in `lang`, when the certificate's `connector` request fails
/// after its retries: a case driven by the runtime through the shipped definition, its
/// technical-failure variables rendered with the shipped templates.
fn support_email_text(connector: &str, lang: Language) -> String {
    use qyzmet::calendar::Calendar;
    use qyzmet::definition::Kind;
    use qyzmet::runtime::{self, Actor, Context, Effect, Event, Settings, Submission};

    let defs = shipped();
    let def = defs
        .iter()
        .find(|d| d.id == "rehabilitated-person-certificate")
        .unwrap();
    let subworkflows = defs
        .iter()
        .filter(|d| d.kind == Kind::Subworkflow)
        .map(|d| (d.id.clone(), d.clone()))
        .collect();
    let calendar = Calendar::load(Path::new("calendars"), "kz").unwrap();
    let settings = Settings::default();
    let ctx = Context {
        definition: def,
        subworkflows: &subworkflows,
        calendar: &calendar,
        settings: &settings,
        now: almaty(2026, 11, 23, 10, 0),
    };
    let submission = Submission {
        data: json!({ "applicant.iin": crate::service::IIN }),
        channel: "state_corporation".into(),
        language: lang,
        sms_consent: false,
        region: "almaty".into(),
    };
    let opened = runtime::start(&ctx, 7, "QZ-2026-000007", &submission).unwrap();
    let accept = opened
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::CreateTask { key, step, .. } if step == "accept_documents" => Some(key.clone()),
            _ => None,
        })
        .unwrap();
    let accepted = runtime::apply(
        &ctx,
        &opened.state,
        &Event::TaskCompleted {
            task: accept,
            outcome: "complete".into(),
            form: crate::service::acceptance_form(),
            by: Actor::Clerk("operator1".into()),
        },
    )
    .unwrap();
    let job = accepted
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Job(j) => match &j.work {
                Work::Request { connector: c, .. } if c == connector => Some(j.key.clone()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {connector} request"));
    let failed = runtime::apply(
        &ctx,
        &accepted.state,
        &Event::JobFailed {
            job,
            error: "connection refused".into(),
            attempts: 5,
        },
    )
    .unwrap();
    let vars = failed
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Job(j) => match &j.work {
                Work::Notify { to, vars, .. } if to == "support_email" => Some(vars.clone()),
                _ => None,
            },
            _ => None,
        })
        .expect("the support e-mail (seeds/001 items 13, 14, 17)");
    templates()
        .render("technical_failure", lang, Part::Text, &vars)
        .unwrap()
}

#[test]
fn the_support_email_says_what_the_case_does_now_for_each_failed_request() {
    // GBD FL: the `on_failure` step is a task — a front-office operator takes the data from
    // the citizen's documents.
    let gbd = support_email_text("gbd_fl.person", Language::Ru);
    for expected in [
        "заявление не остановлено",
        "Шаг: Внесение сведений из документов, принятых у услугополучателя (цифровая система не ответила)",
        "Кто выполняет: Работник Государственной корпорации (приём документов и выдача результата)",
    ] {
        assert!(gbd.contains(expected), "missing {expected:?} in\n{gbd}");
    }
    let gbd = support_email_text("gbd_fl.person", Language::Kk);
    for expected in [
        "өтініш тоқтатылған жоқ",
        "Қадам: Мәліметтерді көрсетілетін қызметті алушыдан алынған құжаттардан енгізу",
        "Кім орындайды: Мемлекеттік корпорацияның қызметкері (құжаттарды қабылдау және нәтижені беру)",
    ] {
        assert!(gbd.contains(expected), "missing {expected:?} in\n{gbd}");
    }

    // The register check: its failure leads straight to the join, so there is no fallback;
    // the specialist must check by hand at the review.
    let register = support_email_text("provider.register", Language::Ru);
    for expected in [
        "резервного пути нет: заявление идёт дальше без этих сведений, проверить их вручную придётся",
        "Шаг: Рассмотрение документов: выдать удостоверение или отказать",
        "Кто выполняет: Специалист услугодателя",
    ] {
        assert!(
            register.contains(expected),
            "missing {expected:?} in\n{register}"
        );
    }
    assert!(
        !register.contains("документов, принятых у услугополучателя")
            && !register.contains("не остановлено"),
        "no documents path for the register check:\n{register}"
    );
    let register = support_email_text("provider.register", Language::Kk);
    assert!(
        register.contains("резервтік жол жоқ")
            && register.contains("Кім орындайды: Көрсетілетін қызметті берушінің маманы"),
        "{register}"
    );
}

// ── Load-time checks ─────────────────────────────────────────────────────────────────────────

fn shipped() -> Vec<Definition> {
    let report = definition::load(&[PathBuf::from("workflows")], &Options::default());
    assert_eq!(report.diagnostics, vec![]);
    report.library.definitions
}

fn rehabilitated() -> Definition {
    shipped()
        .into_iter()
        .find(|d| d.id == "rehabilitated-person-certificate")
        .expect("the certificate workflow")
}

#[test]
fn every_shipped_workflow_passes_the_template_checks() {
    let t = templates();
    for def in shipped() {
        let problems = check::check_definition(&t, &def);
        assert!(problems.is_empty(), "{}: {problems:#?}", def.id);
    }
}

/// A copy of `templates/` with some files replaced.
fn templates_with(changes: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("templates"), dir.path());
    for (file, text) in changes {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The problems of the certificate workflow against changed templates: pointer and the
/// message's tail after the file name.
fn check_with(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let dir = templates_with(changes);
    check::check_templates(dir.path(), &rehabilitated())
        .into_iter()
        .map(|p| {
            let file = p
                .file
                .unwrap()
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string();
            let message = p.message.to_string();
            let tail = message
                .split_once(": ")
                .map(|(_, t)| t)
                .unwrap_or("")
                .to_string();
            (
                p.pointer,
                format!(
                    "{file}{}: {tail}",
                    p.line.map(|l| format!(":{l}")).unwrap_or_default()
                ),
            )
        })
        .collect()
}

#[test]
fn an_undeclared_variable_is_caught_with_its_file_line_and_a_suggestion() {
    let problems = check_with(&[(
        "result_ready/kk.text.hbs",
        "{{!-- variables: applicant.full_name --~}}\nҚұрметті {{applicant.ful_name}}!\n\n{{office_phone}}\n",
    )]);
    assert_eq!(
        problems,
        vec![
            (
                "/steps/notify_certificate_ready/notify/template".to_string(),
                "result_ready/kk.text.hbs:2: `{{applicant.ful_name}}` is not a variable this step provides; did you mean `applicant.full_name`?".to_string()
            ),
            (
                "/steps/notify_certificate_ready/notify/template".to_string(),
                "result_ready/kk.text.hbs:4: `{{office_phone}}` is not a variable this step provides; did you mean `office.phone`?".to_string()
            ),
        ]
    );
}

#[test]
fn an_sms_that_can_exceed_its_budget_is_an_error() {
    // 100 Cyrillic characters plus a 20-character registration number: 120 UCS-2 units fit
    // in two segments (134); a 40-character name on top makes 160: three.
    let long = format!(
        "{{{{!-- variables: registration_number --~}}}}\n{}{{{{registration_number}}}}",
        "ж".repeat(100)
    );
    let longer = format!(
        "{{{{!-- variables: registration_number --~}}}}\n{}{{{{registration_number}}}}{{{{applicant.first_name}}}}",
        "ж".repeat(100)
    );
    assert_eq!(check_with(&[("result_ready/ru.sms.hbs", &long)]), vec![]);
    assert_eq!(
        check_with(&[("result_ready/ru.sms.hbs", &longer)]),
        vec![(
            "/steps/notify_certificate_ready/notify/template".to_string(),
            "result_ready/ru.sms.hbs: the SMS can take 3 segments (160 characters at worst, UCS-2: 70 a message, 67 a segment), over its budget of 2; shorten it or declare `{{!-- segments: 3 --}}`".to_string()
        )]
    );
    // A declared budget is honoured; free text cannot be bounded at all.
    let declared = format!("{{{{!-- segments: 3 --}}}}\n{longer}");
    assert_eq!(
        check_with(&[("result_ready/ru.sms.hbs", &declared)]),
        vec![]
    );
    let text = "Заявление {{documents.identity}}";
    let problems = check_with(&[("result_ready/ru.sms.hbs", text)]);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .1
            .contains("cites `documents.identity`, whose length has no bound"),
        "{problems:?}"
    );
}

#[test]
fn the_worst_case_takes_the_longer_branch_and_knows_gsm_from_ucs2() {
    let dir = templates_with(&[(
        "result_ready/ru.sms.hbs",
        "{{#if applicant.iin}}Short{{else}}{{registration_number}} is a longer branch{{/if}}",
    )]);
    let t = Templates::load(dir.path()).unwrap();
    let bounds = [
        ("registration_number", Some(20)),
        ("applicant.iin", Some(12)),
    ];
    assert_eq!(
        check::worst_case_segments(&t, "result_ready", Language::Ru, &bounds),
        Ok(1)
    );
    let dir = templates_with(&[("result_ready/ru.sms.hbs", &"a".repeat(150))]);
    let t = Templates::load(dir.path()).unwrap();
    assert_eq!(
        check::worst_case_segments(&t, "result_ready", Language::Ru, &bounds),
        Ok(1)
    );
    let dir = templates_with(&[(
        "result_ready/ru.sms.hbs",
        &format!("{}{{{{registration_number}}}}", "a".repeat(150)),
    )]);
    let t = Templates::load(dir.path()).unwrap();
    // Digits keep GSM-7: 170 septets, two segments.
    assert_eq!(
        check::worst_case_segments(&t, "result_ready", Language::Ru, &bounds),
        Ok(2)
    );
}

#[test]
fn a_template_missing_in_one_language_is_an_error() {
    let dir = templates_with(&[]);
    std::fs::remove_file(dir.path().join("result_ready/ru.sms.hbs")).unwrap();
    let problems = check::check_templates(dir.path(), &rehabilitated());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].pointer,
        "/steps/notify_certificate_ready/notify/template"
    );
    assert!(
        problems[0]
            .message
            .to_string()
            .contains("has no ru.sms.hbs")
    );
}

// ── The performer ────────────────────────────────────────────────────────────────────────────

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    pub(crate) data: Vec<u8>,
}

pub(crate) type Inbox = Arc<Mutex<Vec<Received>>>;

/// A minimal SMTP server on a loopback listener — EHLO/HELO, MAIL, RCPT, DATA (with dot
/// unstuffing), RSET, NOOP, QUIT — that keeps what it receives. Test code, not a product:
/// no crate fitted (the maintained receivers pull a second TLS provider into the build).
/// It stops with the test's runtime.
pub(crate) fn smtp_server(listener: TcpListener) -> Inbox {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let inbox: Inbox = Arc::default();
    let keep = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let inbox = keep.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                let mut current = Received {
                    from: String::new(),
                    to: vec![],
                    data: vec![],
                };
                write.write_all(b"220 sink.test ESMTP\r\n").await.ok()?;
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.ok()? == 0 {
                        return Some(());
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let arg = |l: &str| {
                        l.split_once('<')
                            .and_then(|(_, r)| r.split_once('>'))
                            .map(|(a, _)| a.to_string())
                    };
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink.test\r\n250 8BITMIME\r\n",
                        "HELO" | "NOOP" => b"250 OK\r\n",
                        "RSET" => {
                            current = Received {
                                from: String::new(),
                                to: vec![],
                                data: vec![],
                            };
                            b"250 OK\r\n"
                        }
                        "MAIL" => {
                            current.from = arg(&line).unwrap_or_default();
                            b"250 OK\r\n"
                        }
                        "RCPT" => {
                            current.to.push(arg(&line).unwrap_or_default());
                            b"250 OK\r\n"
                        }
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.ok()?;
                            let mut data = Vec::new();
                            loop {
                                let mut l = String::new();
                                if lines.read_line(&mut l).await.ok()? == 0 {
                                    return Some(());
                                }
                                if l == ".\r\n" {
                                    break;
                                }
                                let l = l.strip_prefix('.').unwrap_or(&l);
                                data.extend_from_slice(l.as_bytes());
                            }
                            current.data = data;
                            // A transaction ends with its data: the next one on this
                            // connection (lettre pools them) starts with no recipients.
                            let done = std::mem::replace(
                                &mut current,
                                Received {
                                    from: String::new(),
                                    to: vec![],
                                    data: vec![],
                                },
                            );
                            inbox.lock().unwrap().push(done);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok()?;
                            return Some(());
                        }
                        _ => b"502 not implemented\r\n",
                    };
                    write.write_all(reply).await.ok()?;
                }
            });
        }
    });
    inbox
}

fn smtp_mailer(port: u16) -> SmtpMailer {
    SmtpMailer::with_password(
        &SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(port),
            security: Security::Plain,
            username: None,
            password_env: None,
            from: "Qyzmet <noreply@qyzmet.enbek.kz>".into(),
            timeout_seconds: 5,
        },
        None,
    )
    .unwrap()
}

struct Setup {
    performer: NotifyPerformer,
    clock: Arc<ManualClock>,
    data: tempfile::TempDir,
}

fn setup(mailer: Arc<dyn Mailer>, sms: Arc<dyn SmsProvider>, now: DateTime<Utc>) -> Setup {
    let data = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let performer = NotifyPerformer::from_parts(Parts {
        offices: Vec::new(),
        templates: Arc::new(templates()),
        mailer,
        sms,
        data_dir: data.path().to_path_buf(),
        staff: StaffAddresses {
            roles: [(
                "head_of_department".to_string(),
                vec!["head@akimat.kz".to_string()],
            )]
            .into_iter()
            .collect(),
            assignee: vec![],
        },
        office: Some(Office {
            name: Localized {
                kk: "Алматы қ. ХҚКО".into(),
                ru: "ЦОН г. Алматы".into(),
            },
            address: Localized {
                kk: "Абай даңғылы, 10".into(),
                ru: "проспект Абая, 10".into(),
            },
            phone: "+7 727 000 00 00".into(),
        }),
        rules_change: RulesChangeRecipients {
            contact_centre: vec!["1414@egov.kz".into()],
            provider: vec!["provider@enbek.kz".into()],
            state_corporation: vec!["gov4c@gov4c.kz".into(), "1414@egov.kz".into()],
            egov_operator: vec!["operator@nitec.kz".into()],
        },
        clock: clock.clone(),
    });
    Setup {
        performer,
        clock,
        data,
    }
}

fn notify(to: &str, template: &str, channels: &[&str], urgent: bool, vars: Value) -> Work {
    Work::Notify {
        to: to.into(),
        template: template.into(),
        channels: channels.iter().map(|c| c.to_string()).collect(),
        urgent,
        credentials: None,
        awaited: false,
        vars,
    }
}

/// A mail server on a port of its own: the port and what it receives. The port is the
/// listener's, bound before it is named: a port found free and bound later may meanwhile be
/// taken by another test's connection (`AddrInUse`).
pub(crate) fn mail_server() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    (listener.local_addr().unwrap().port(), smtp_server(listener))
}

/// A loopback port that refuses every connection, kept from the other tests while it lives:
/// a socket bound to it that does not listen.
pub(crate) struct Refusing(tokio::net::TcpSocket);

impl Refusing {
    pub(crate) fn new() -> (Refusing, u16) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = socket.local_addr().unwrap().port();
        (Refusing(socket), port)
    }

    /// The mail server comes up on the port.
    pub(crate) fn mail_server(self) -> Inbox {
        smtp_server(self.0.listen(128).unwrap().into_std().unwrap())
    }
}

/// A port nothing listens on now, for a server that is down.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn file_sms(dir: &Path) -> Arc<dyn SmsProvider> {
    Arc::new(FileSms {
        dir: dir.to_path_buf(),
    })
}

#[tokio::test]
async fn an_email_arrives_once_with_kazakh_subject_body_and_a_message_id_from_the_key() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = smtp_server(listener);
    let sms_dir = tempfile::tempdir().unwrap();
    let s = setup(
        Arc::new(smtp_mailer(port)),
        file_sms(sms_dir.path()),
        almaty(2026, 4, 14, 10, 0),
    );
    let work = notify(
        "citizen",
        "application_accepted",
        &["email"],
        false,
        case_vars("kk"),
    );

    let first = s.performer.perform("42:7:0", &work).await.unwrap();
    assert_eq!(first["channels"]["email"]["status"], "sent");
    // The job runs again (a crash before it was recorded): nothing is sent twice.
    let again = s.performer.perform("42:7:0", &work).await.unwrap();
    assert_eq!(again["channels"]["email"]["repeat"], true);

    let inbox = inbox.lock().unwrap().clone();
    assert_eq!(inbox.len(), 1, "exactly one message arrived");
    let got = &inbox[0];
    assert_eq!(got.from, "noreply@qyzmet.enbek.kz");
    assert_eq!(got.to, vec!["aigerim@example.kz".to_string()]);
    let raw = String::from_utf8_lossy(&got.data);
    assert!(
        raw.contains("Message-ID: <42_3a_7_3a_0.email@qyzmet.enbek.kz>"),
        "{raw}"
    );
    assert!(
        raw.is_ascii(),
        "headers and body are transfer-encoded: 7-bit on the wire"
    );
    let mail = mail_parser::MessageParser::default()
        .parse(&got.data)
        .unwrap();
    assert_eq!(
        mail.subject(),
        Some("Өтініш №QZ-2026-000042 қабылданды: Ақталған адамның куәлігі")
    );
    assert_eq!(
        mail.message_id(),
        Some("42_3a_7_3a_0.email@qyzmet.enbek.kz")
    );
    let body = mail.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(body.contains("Құрметті Сейітова Әйгерім"), "{body}");
    assert!(
        body.contains("Тіркеу нөмірі: №QZ-2026-000042\nНәтиже дайын болатын күн: 21.04.2026"),
        "{body}"
    );
    assert!(
        raw.contains("Content-Type: text/plain; charset=utf-8"),
        "{raw}"
    );
}

#[tokio::test]
async fn an_smtp_outage_is_retryable_and_loses_nothing() {
    let (refusing, port) = Refusing::new();
    let sms_dir = tempfile::tempdir().unwrap();
    let s = setup(
        Arc::new(smtp_mailer(port)),
        file_sms(sms_dir.path()),
        almaty(2026, 4, 14, 10, 0),
    );
    let work = notify(
        "citizen",
        "result_ready",
        &["sms", "email"],
        false,
        case_vars("ru"),
    );

    // The server is down: the SMS goes, the e-mail waits, the job is retried.
    let down = s.performer.perform("42:9:0", &work).await.unwrap_err();
    assert!(
        matches!(&down, JobError::Retryable(e) if e.starts_with("email: SMTP")),
        "{down:?}"
    );

    // It comes back on the same port; the retry sends the e-mail and not the SMS again.
    let inbox = refusing.mail_server();
    let done = s.performer.perform("42:9:0", &work).await.unwrap();
    assert_eq!(done["channels"]["email"]["status"], "sent");
    assert_eq!(done["channels"]["sms"]["repeat"], true);
    assert_eq!(inbox.lock().unwrap().len(), 1);
    assert_eq!(
        std::fs::read_dir(sms_dir.path()).unwrap().count(),
        1,
        "one SMS file"
    );
}

#[tokio::test]
async fn a_citizen_without_an_email_is_skipped_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(FileMailer::new(dir.path().join("mail"), "noreply@qyzmet.kz").unwrap());
    let s = setup(
        mailer,
        file_sms(&dir.path().join("sms")),
        almaty(2026, 4, 14, 10, 0),
    );
    let mut vars = case_vars("ru");
    vars["applicant"].as_object_mut().unwrap().remove("email");
    let out = s
        .performer
        .perform(
            "1:1:0",
            &notify("citizen", "result_ready", &["email", "sms"], false, vars),
        )
        .await
        .unwrap();
    assert_eq!(out["channels"]["email"]["status"], "skipped");
    assert_eq!(out["channels"]["sms"]["status"], "delivered");
    assert!(!dir.path().join("mail").exists());
}

#[tokio::test]
async fn a_citizen_address_that_does_not_parse_is_skipped_and_the_sms_still_goes() {
    // A case opened before submissions refused such an address still carries it: the e-mail
    // cannot go however often it is tried, and that is no incident for an administrator.
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(FileMailer::new(dir.path().join("mail"), "noreply@qyzmet.kz").unwrap());
    let s = setup(
        mailer,
        file_sms(&dir.path().join("sms")),
        almaty(2026, 4, 14, 10, 0),
    );
    let mut vars = case_vars("ru");
    vars["applicant"]["email"] = json!("aigerim at example.kz");
    let out = s
        .performer
        .perform(
            "1:1:0",
            &notify("citizen", "result_ready", &["email", "sms"], false, vars),
        )
        .await
        .expect("the job is done, not failed");
    assert_eq!(
        out["channels"]["email"],
        json!({ "status": "skipped", "reason": "the address is not valid" })
    );
    assert_eq!(out["channels"]["sms"]["status"], "delivered");
    assert!(!dir.path().join("mail").exists(), "no e-mail written");
    assert_eq!(
        std::fs::read_dir(dir.path().join("sms")).unwrap().count(),
        1,
        "the SMS went"
    );
}

#[tokio::test]
async fn every_email_says_mime_version_1_0_over_smtp_and_in_eml_files() {
    // Over SMTP, a plain-text notice (lettre writes the header only for a multipart body).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = smtp_server(listener);
    let dir = tempfile::tempdir().unwrap();
    let smtp = setup(
        Arc::new(smtp_mailer(port)),
        file_sms(&dir.path().join("sms")),
        almaty(2026, 4, 14, 10, 0),
    );
    smtp.performer
        .perform(
            "42:7:0",
            &notify(
                "citizen",
                "application_accepted",
                &["email"],
                false,
                case_vars("kk"),
            ),
        )
        .await
        .unwrap();
    let sent = inbox.lock().unwrap()[0].data.clone();
    // And in the `.eml` files of the file outbox, plain and with an HTML alternative.
    let file = FileMailer::new(dir.path().join("mail"), "noreply@qyzmet.kz").unwrap();
    for (id, html) in [("1:1:0.email", None), ("1:2:0.email", Some("<p>Сәлем</p>"))] {
        file.send(&qyzmet::notify::email::Email {
            to: vec!["aigerim@example.kz".into()],
            subject: "Өтініш".into(),
            text: "Сәлем".into(),
            html: html.map(str::to_string),
            id: id.into(),
        })
        .await
        .unwrap();
    }
    let mut messages = vec![("smtp".to_string(), sent)];
    for entry in std::fs::read_dir(dir.path().join("mail")).unwrap() {
        let path = entry.unwrap().path();
        messages.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert_eq!(messages.len(), 3);
    for (which, bytes) in messages {
        let text = String::from_utf8_lossy(&bytes);
        let (headers, _) = text.split_once("\r\n\r\n").expect("headers, then the body");
        let versions = headers
            .split("\r\n")
            .filter(|h| h.to_ascii_lowercase().starts_with("mime-version:"))
            .collect::<Vec<_>>();
        assert_eq!(versions, ["MIME-Version: 1.0"], "{which}:\n{headers}");
    }
}

#[tokio::test]
async fn in_quiet_hours_the_sms_waits_for_the_morning_and_the_email_goes() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(FileMailer::new(dir.path().join("mail"), "noreply@qyzmet.kz").unwrap());
    let s = setup(
        mailer,
        file_sms(&dir.path().join("sms")),
        almaty(2026, 4, 14, 23, 15),
    );
    let work = notify(
        "citizen",
        "application_accepted",
        &["sms", "email"],
        false,
        case_vars("kk"),
    );

    // Waiting for the morning is not a failure: the job is put off to 08:00 Almaty time
    // without spending an attempt, and says what already went.
    let night = s.performer.perform("42:3:0", &work).await.unwrap_err();
    let JobError::NotBefore {
        at,
        reason,
        partial,
    } = night
    else {
        panic!("{night:?}")
    };
    assert_eq!(at, almaty(2026, 4, 15, 8, 0));
    assert_eq!(reason, "quiet hours: SMS not before 08:00");
    assert_eq!(partial["email"]["status"], "sent");
    assert_eq!(partial["sms"]["status"], "deferred");
    assert_eq!(
        std::fs::read_dir(dir.path().join("mail")).unwrap().count(),
        1,
        "the e-mail went"
    );
    assert!(!dir.path().join("sms").exists(), "no SMS at night");

    // An urgent message goes at night.
    let urgent = notify("citizen", "provisional_refusal", &["sms"], true, {
        let mut v = case_vars("kk");
        v["next_deadline"] = json!("2026-04-16");
        v
    });
    s.performer.perform("42:4:0", &urgent).await.unwrap();

    s.clock.set(almaty(2026, 4, 15, 8, 0));
    let morning = s.performer.perform("42:3:0", &work).await.unwrap();
    assert_eq!(morning["channels"]["sms"]["status"], "delivered");
    assert_eq!(morning["channels"]["sms"]["encoding"], "ucs2");
    assert_eq!(morning["channels"]["email"]["repeat"], true);
    let sms: Vec<Value> = std::fs::read_dir(dir.path().join("sms"))
        .unwrap()
        .map(|e| {
            serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap()
        })
        .collect();
    assert_eq!(sms.len(), 2);
    assert!(sms.iter().any(|m| m["text"] == "Өтініш №QZ-2026-000042: бас тарту туралы алдын ала шешім. Қарсылықты 16.04.2026 қоса алғанда беріңіз. Анықтама: 1414"));
    let _ = &s.data;
}

#[tokio::test]
async fn documents_are_rendered_once_to_files_named_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(FileMailer::new(dir.path().join("mail"), "noreply@qyzmet.kz").unwrap());
    let s = setup(mailer, file_sms(dir.path()), almaty(2026, 4, 14, 10, 5));
    let mut vars = case_vars("ru");
    vars["acceptance"] = json!({ "missing_documents": "Справка <о реабилитации>" });
    let work = Work::Document {
        template: "refusal_to_accept_receipt".into(),
        kind: Some("receipt".into()),
        vars,
    };
    let first = s.performer.perform("42:2:0", &work).await.unwrap();
    let again = s.performer.perform("42:2:0", &work).await.unwrap();
    assert_eq!(
        (first["repeat"].clone(), again["repeat"].clone()),
        (json!(false), json!(true))
    );
    let html = std::fs::read_to_string(first["file"].as_str().unwrap()).unwrap();
    assert!(html.contains("Справка &lt;о реабилитации&gt;"), "{html}");
    assert!(
        html.contains("ЦОН г. Алматы"),
        "the office from configuration: {html}"
    );
    assert!(
        html.contains("____________"),
        "a blank line for the clerk's name"
    );
    assert!(
        first["file"]
            .as_str()
            .unwrap()
            .ends_with("documents/42_3a_2_3a_0.html")
    );
    let _ = &s.data;

    let stage = Work::Stage {
        stage: "accepted".into(),
        step: "accept".into(),
        at: Utc::now(),
    };
    assert_eq!(
        s.performer.perform("42:2:1", &stage).await,
        Err(JobError::Fatal("not a notification".into()))
    );
}

#[tokio::test]
async fn staff_get_escalations_at_their_configured_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(FileMailer::new(dir.path().join("mail"), "noreply@qyzmet.kz").unwrap());
    let s = setup(mailer, file_sms(dir.path()), almaty(2026, 4, 14, 23, 0));
    let mut vars = case_vars("ru");
    vars["step"] = json!("review");
    vars["percent"] = json!(100);
    let to_head = notify(
        "role:head_of_department",
        "escalation_notice",
        &["email"],
        false,
        vars.clone(),
    );
    let out = s.performer.perform("42:5:0", &to_head).await.unwrap();
    assert_eq!(out["channels"]["email"]["recipients"], 1);
    let eml = std::fs::read_to_string(dir.path().join("mail/42_3a_5_3a_0.email.eml")).unwrap();
    assert!(eml.contains("To: head@akimat.kz"), "{eml}");
    // No address configured: an incident, not a silent loss.
    let to_nobody = notify("assignee", "escalation_reminder", &["email"], false, vars);
    assert!(matches!(
        s.performer.perform("42:5:1", &to_nobody).await,
        Err(JobError::Fatal(e)) if e.contains("no e-mail address is configured for `assignee`")
    ));
}

#[tokio::test]
async fn the_rules_changed_notice_goes_once_to_the_four_recipients_in_both_languages() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = smtp_server(listener);
    let dir = tempfile::tempdir().unwrap();
    let s = setup(
        Arc::new(smtp_mailer(port)),
        file_sms(dir.path()),
        almaty(2026, 4, 14, 10, 0),
    );
    let new = rehabilitated();
    let mut old = new.clone();
    old.version = "2022-03-01".into();
    if let Some(term) = &mut old.term {
        term.length = Length::WorkingDays(10);
    }
    old.steps.retain(|st| st.name != "check_register");
    s.performer
        .send_rules_changed(&new, Some(&old))
        .await
        .unwrap();
    let again = s
        .performer
        .send_rules_changed(&new, Some(&old))
        .await
        .unwrap();
    assert_eq!(again["repeat"], true);

    let inbox = inbox.lock().unwrap().clone();
    assert_eq!(inbox.len(), 1);
    let mut to = inbox[0].to.clone();
    to.sort();
    assert_eq!(
        to,
        [
            "1414@egov.kz",
            "gov4c@gov4c.kz",
            "operator@nitec.kz",
            "provider@enbek.kz"
        ]
    );
    let mail = mail_parser::MessageParser::default()
        .parse(&inbox[0].data)
        .unwrap();
    assert_eq!(
        mail.subject(),
        Some(
            "«Ақталған адамға куәлік беру» мемлекеттік қызметін көрсету тәртібінің 13.04.2026 бастап өзгеруі / Изменение порядка оказания государственной услуги «Выдача удостоверения реабилитированному лицу» с 13.04.2026"
        )
    );
    let body = mail.body_text(0).unwrap().replace("\r\n", "\n");
    for expected in [
        "Мемлекеттік қызмет көрсету мерзімі: 10 жұмыс күні → 5 жұмыс күні",
        "Срок оказания государственной услуги: рабочих дней: 10 → рабочих дней: 5",
        "Новые этапы: Проверка, выдавалось ли удостоверение ранее или было ли отказано",
        "версия 2022-03-01",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in\n{body}");
    }
    assert_eq!(
        mail.message_id(),
        Some("rules_3a_rehabilitated-person-certificate_3a_2026-04-13.email@qyzmet.enbek.kz")
    );
}

// ── The HTTP SMS provider ────────────────────────────────────────────────────────────────────

/// A request the aggregator saw: its path and its form fields (the query under `?`).
type Seen = (String, Vec<(String, String)>);

/// An SMS aggregator on loopback that records every request.
#[derive(Clone, Default)]
struct Aggregator {
    requests: Arc<Mutex<Vec<Seen>>>,
}

async fn record(
    State(a): State<Aggregator>,
    uri: axum::http::Uri,
    Form(fields): Form<Vec<(String, String)>>,
) -> (StatusCode, String) {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let mut fields = fields;
    fields.push(("?".into(), query));
    a.requests.lock().unwrap().push((path.clone(), fields));
    match path.as_str() {
        "/ok" => (
            StatusCode::OK,
            r#"{"code":0,"data":{"messageId":"77","status":"NEW"}}"#.into(),
        ),
        "/refused" => (
            StatusCode::OK,
            r#"{"code":1,"message":"bad sender"}"#.into(),
        ),
        "/unauthorized" => (StatusCode::UNAUTHORIZED, "{}".into()),
        "/slow" => std::future::pending().await,
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "oops".into()),
    }
}

async fn aggregator() -> (Aggregator, String) {
    let a = Aggregator::default();
    let app = Router::new()
        .route("/{path}", post(record))
        .with_state(a.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (a, base)
}

fn http_sms(url: String) -> HttpSms {
    HttpSms::with_key(
        HttpSmsConfig {
            url,
            encoding: Default::default(),
            recipient_field: "recipient".into(),
            text_field: "text".into(),
            sender_field: "from".into(),
            sender: "ENBEK".into(),
            client_id_field: Some("params[id]".into()),
            key_place: KeyPlace::Query("apiKey".into()),
            api_key_env: "UNUSED".into(),
            id_pointer: Some("/data/messageId".into()),
            error_pointer: Some("/code".into()),
            status_url: None,
            status_pointer: Some("/data/status".into()),
            callback_id_pointer: Some("/id".into()),
            statuses: [
                ("NEW".to_string(), DeliveryStatus::Queued),
                ("DELIVRD".to_string(), DeliveryStatus::Delivered),
                ("UNDELIV".to_string(), DeliveryStatus::Failed),
            ]
            .into_iter()
            .collect(),
            timeout_ms: 300,
        },
        Secret::new("k-123"),
    )
    .unwrap()
}

#[tokio::test]
async fn the_http_provider_sends_what_the_aggregator_expects_and_maps_its_answers() {
    let (agg, base) = aggregator().await;
    let sms = Sms {
        id: "42:3:0.sms".into(),
        to: "+77001234567".into(),
        text: "Өтініш №QZ-2026-000042 қабылданды".into(),
    };
    let receipt = http_sms(format!("{base}/ok")).send(&sms).await.unwrap();
    assert_eq!(receipt.provider_id.as_deref(), Some("77"));
    assert_eq!(receipt.status, DeliveryStatus::Queued);
    let (path, fields) = agg.requests.lock().unwrap()[0].clone();
    assert_eq!(path, "/ok");
    let field = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(field("recipient").as_deref(), Some("+77001234567"));
    assert_eq!(
        field("text").as_deref(),
        Some("Өтініш №QZ-2026-000042 қабылданды")
    );
    assert_eq!(field("from").as_deref(), Some("ENBEK"));
    assert_eq!(field("params[id]").as_deref(), Some("42:3:0.sms"));
    assert_eq!(field("?").as_deref(), Some("apiKey=k-123"));

    // (endpoint, the outcome's kind)
    for (endpoint, retryable, says) in [
        ("fail", true, "answered 500"),
        ("slow", true, "did not answer in time"),
        ("refused", false, "refused the message"),
        ("unauthorized", false, "401"),
    ] {
        let err = http_sms(format!("{base}/{endpoint}"))
            .send(&sms)
            .await
            .unwrap_err();
        match (&err, retryable) {
            (JobError::Retryable(e), true) | (JobError::Fatal(e), false) => {
                assert!(e.contains(says), "{endpoint}: {e}")
            }
            _ => panic!("{endpoint}: {err:?}"),
        }
    }
    let down = http_sms(format!("http://127.0.0.1:{}/ok", free_port()))
        .send(&sms)
        .await;
    assert!(matches!(down, Err(JobError::Retryable(_))), "{down:?}");
    assert_eq!(agg.requests.lock().unwrap().len(), 5);

    let callback = json!({ "id": "77", "data": { "status": "DELIVRD" } });
    assert_eq!(
        http_sms(base).parse_callback(&callback),
        Some(("77".to_string(), DeliveryStatus::Delivered))
    );
}

#[test]
fn dates_print_as_day_month_year() {
    assert_eq!(
        qyzmet::notify::render::format_date("2026-04-20").as_deref(),
        Some("20.04.2026")
    );
    // An instant prints its date in Almaty: 20:00 UTC is already the next day there.
    assert_eq!(
        qyzmet::notify::render::format_date("2026-04-20T20:00:00Z").as_deref(),
        Some("21.04.2026")
    );
    assert_eq!(qyzmet::notify::render::format_date("20/04/2026"), None);
    let _ = NaiveDate::from_ymd_opt(2026, 4, 20);
}

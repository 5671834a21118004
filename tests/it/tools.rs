//! The methodologist's tools, run as a methodologist runs them: `qyzmet calendar add` counting
//! back, `qyzmet simulate --dry-run`, `qyzmet iin`, `qyzmet graph --format svg|html`, and the
//! table of the gateway simulator's people in `workflows/README.md`.

use std::path::PathBuf;

use qyzmet::domain::{Iin, Sex};
use qyzmet::gateway::sim;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

use crate::cli::run as qyzmet;

/// "No later than 4 working days before Fri 18.12.2026": Thu 17 (1), Wed 16 is Independence
/// Day (calendars/kz/rules.yaml, 16 December only since 2022), Tue 15 (2), Mon 14 (3),
/// Sat 12 and Sun 13 rest days, Fri 11 (4) → 2026-12-11. Forward from there, the same days.
#[test]
fn calendar_counts_back_across_independence_day() {
    let out = qyzmet(&[
        "calendar",
        "add",
        "--from",
        "2026-12-18",
        "--working-days",
        "-4",
        "--explain",
    ]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "2026-12-11");
    assert!(
        lines.contains(&"rule: 4 working days before 2026-12-18 (Fri), that day not counted"),
        "{}",
        out.stdout
    );
    let days: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("counted") || l.starts_with("skipped"))
        .collect();
    assert_eq!(
        days,
        [
            "counted 2026-12-17 (Thu): working day 1",
            "skipped 2026-12-16 (Wed): public holiday: Independence Day",
            "counted 2026-12-15 (Tue): working day 2",
            "counted 2026-12-14 (Mon): working day 3",
            "skipped 2026-12-13 (Sun): weekly rest day",
            "skipped 2026-12-12 (Sat): weekly rest day",
            "counted 2026-12-11 (Fri): working day 4",
        ]
    );
    let forward = qyzmet(&[
        "calendar",
        "add",
        "--from",
        "2026-12-11",
        "--working-days",
        "4",
    ]);
    assert_eq!(forward.stdout, "2026-12-18\n");
    // A mistake is still one line.
    let bad = qyzmet(&[
        "calendar",
        "add",
        "--from",
        "2026-12-18",
        "--working-days",
        "-four",
    ]);
    assert_eq!(bad.code, 2);
    assert_eq!(
        bad.stderr,
        "error: --working-days: \"-four\" is not a whole number (expected N to count forward, -N to count back)\n"
    );
}

/// The rehabilitated-person certificate accepted Thu 10.12.2026 at 10:00 (seeds/004 appendix 2
/// row 5: 5 working days, the day of acceptance not counted), worked out by hand:
///
/// - term: Fri 11 (1), Sat 12/Sun 13 rest, Mon 14 (2), Tue 15 (3), Wed 16 Independence Day,
///   Thu 17 (4), Fri 18 (5) → due Fri 18.12 18:00; its 80% rung: the end of working day 4,
///   Thu 17 18:00, the office closed → Fri 18.12 09:00;
/// - review: no later than 4 working days before 18.12 → Fri 11.12 18:00 (as above);
/// - at worst the refusal is made at that moment and the notice goes the same day, Fri 11.12:
///   the objection window (2 working days from obtaining it, APPK art. 73(3)) is Mon 14,
///   Tue 15 → until Tue 15.12 18:00; the decision day is the 3rd working day after 11.12:
///   Mon 14, Tue 15, (Wed 16), Thu 17 → from Thu 17.12 00:00;
/// - a notice handed over instead (4 working hours from Fri 18:00 → Mon 14.12 13:00, obtained
///   that day): the window is Tue 15, (Wed 16), Thu 17 → until Thu 17.12 18:00.
#[test]
fn dry_run_prints_the_term_and_the_hearing_windows() {
    let out = qyzmet(&[
        "simulate",
        "--dry-run",
        "rehabilitated-person-certificate",
        "--accepted",
        "2026-12-10T10:00",
    ]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.stdout);
    let text = &out.stdout;
    for expected in [
        "accepted: 2026-12-10 10:00 Thu; counts as accepted on 2026-12-10",
        "term: 5 working days (the day of acceptance not counted): due 2026-12-18 18:00 Fri",
        "    skipped 2026-12-16 (Wed): public holiday: Independence Day",
        "  escalation 80% → notify head_of_department: 2026-12-18 09:00 Fri (the office is closed at 2026-12-17 18:00 Thu)",
        "review: task for provider_specialist, due 2026-12-11 18:00 Fri (4 working days before the end of the term)",
        "provisional_refusal_hearing/await_objection: window for the message `objection`, 2 working days, counted from 2026-12-11 (`notice.received_on`) until 2026-12-15 18:00 Tue",
        "provisional_refusal_hearing/await_decision_day: waits until 2026-12-17 00:00 Thu (the start of working day 3 after `notice.received_on`)",
        "provisional_refusal_hearing/hand_over_notice: task for provider_specialist, due 2026-12-14 13:00 Mon (4 working hours)",
        "provisional_refusal_hearing/await_objection: window for the message `objection`, 2 working days, counted from 2026-12-14 (`notice.received_on`) until 2026-12-17 18:00 Thu",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Every path once: the paths are told apart by their steps.
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("path ")).collect();
    let mut routes: Vec<&str> = headers
        .iter()
        .map(|h| h.split_once(": ").map_or(*h, |(_, r)| r))
        .collect();
    let n = routes.len();
    routes.sort();
    routes.dedup();
    assert!(n > 1 && routes.len() == n, "{headers:#?}");
    assert!(headers[0].starts_with(&format!("path 1 of {n}: ")));

    // In Russian, with the steps' titles.
    let ru = qyzmet(&[
        "simulate",
        "--dry-run",
        "workflows/rehabilitated-person-certificate/2026-04-13.yaml",
        "--accepted",
        "2026-12-10T10:00",
        "--lang",
        "ru",
    ]);
    assert_eq!(ru.code, 0, "{}", ru.stderr);
    assert!(
        ru.stdout.contains(
            "срок: 5 раб. дн. (день приёма не считается): срок исполнения 2026-12-18 18:00 Fri"
        ),
        "{}",
        ru.stdout
    );
    assert!(ru.stdout.contains("«Ожидание возражения"), "{}", ru.stdout);
}

/// A service whose term does not hold is exactly when the dates are needed: the dry run lays
/// them out all the same, marks what falls past the term, prints the validator's problem on
/// stderr, and exits 1 (the definition still has to be mended). The fixture's `review` takes
/// 4 of the 5 working days and the hearing after it 3 more.
#[test]
fn a_service_over_its_term_still_shows_its_dates_and_where_they_overrun() {
    let out = qyzmet(&[
        "simulate",
        "--dry-run",
        "tests/fixtures/definitions/invalid/term_exceeded.yaml",
        "--accepted",
        "2026-12-07T10:00",
        "--catalog",
        "tests/fixtures/definitions/catalog.yaml",
        "--calendars",
        "calendars",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "term: 5 working days (the day of acceptance not counted): due 2026-12-14 18:00 Mon"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("hearing/objection: window for the message `objection`")
            && out.stdout.contains("⚠ AFTER THE END OF THE TERM"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("term_exceeded.yaml:8:1: the longest path takes"),
        "{}",
        out.stderr
    );
}

#[test]
fn dry_run_mistakes_are_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["simulate", "--dry-run", "rehabilitated-person-certificate"],
            "error: --accepted is required with --dry-run (e.g. --accepted 2026-12-07T10:00)\n",
        ),
        (
            &[
                "simulate",
                "--dry-run",
                "rehabilitated-person-certificate",
                "--accepted",
                "2026-12-10",
            ],
            "error: --accepted: \"2026-12-10\" is not a local time (expected YYYY-MM-DDTHH:MM, e.g. 2026-12-07T10:00)\n",
        ),
        (
            &[
                "simulate",
                "--dry-run",
                "rehabilitated-person",
                "--accepted",
                "2026-12-10T10:00",
            ],
            "error: no service `rehabilitated-person` under workflows (give a service id or a definition file)\n",
        ),
        (
            &[
                "simulate",
                "--dry-run",
                "rehabilitated-person-certificate",
                "--accepted",
                "2026-01-10T10:00",
            ],
            "error: no version of `rehabilitated-person-certificate` is in force on 2026-01-10\n",
        ),
    ];
    for (args, message) in cases {
        let out = qyzmet(args);
        assert_eq!((out.code, out.stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(out.stderr, *message, "{args:?}");
    }
}

#[test]
fn iin_makes_valid_fictional_numbers() {
    let args = [
        "iin",
        "--born",
        "1952-03-15",
        "--sex",
        "female",
        "--count",
        "5",
        "--seed",
        "42",
    ];
    let out = qyzmet(&args);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let iins: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(iins.len(), 5, "{}", out.stdout);
    for text in &iins {
        let iin = Iin::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(iin.birth_date().to_string(), "1952-03-15");
        assert_eq!(iin.sex(), Sex::Female);
        assert_eq!(
            &text[..7],
            "5203154",
            "YYMMDD, then 4: a woman born in the 1900s"
        );
        assert!(text[7..11].starts_with('9'), "a test serial: {text}");
    }
    let mut distinct = iins.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5);
    // The same seed, the same numbers.
    assert_eq!(qyzmet(&args).stdout, out.stdout);

    let man = qyzmet(&["iin", "--born", "2005-02-11", "--sex", "male"]);
    let iin = Iin::parse(man.stdout.trim()).expect("valid");
    assert_eq!((iin.sex(), &man.stdout[6..7]), (Sex::Male, "5"));

    for (args, message) in [
        (
            ["iin", "--born", "1952-02-30", "--sex", "female"],
            "error: --born: \"1952-02-30\" is not a date (expected YYYY-MM-DD)\n",
        ),
        (
            ["iin", "--born", "1952-03-15", "--sex", "woman"],
            "error: --sex: \"woman\" is not male or female\n",
        ),
    ] {
        let out = qyzmet(&args);
        assert_eq!((out.code, out.stdout.as_str()), (2, ""));
        assert_eq!(out.stderr, message);
    }
}

/// No address the page would fetch: only the SVG namespace names a URL.
fn assert_offline(text: &str) {
    let without_ns = text
        .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace("url(#", "");
    assert!(!without_ns.contains("http"), "an external reference");
    for tag in ["<script", "<link", "<img", "@import", "url("] {
        assert!(!without_ns.contains(tag), "{tag} in the page");
    }
}

#[test]
fn graph_svg_and_html_show_kazakh_titles_and_details_offline() {
    let file = "workflows/rehabilitated-person-certificate/2026-04-13.yaml";
    let html = qyzmet(&["graph", file, "--format", "html", "--lang", "kk"]);
    assert_eq!((html.code, html.stderr.as_str()), (0, ""));
    let page = &html.stdout;
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<html lang=\"kk\">"));
    assert!(page.contains("<h1>Ақталған адамға куәлік беру</h1>"));
    for expected in [
        // A step of the service, its due time, stage and source.
        ">Құжаттарды қарау: куәлік беру немесе<",
        "◷ мерзім бітуіне 4 жұм. күн қалғанда",
        "◆ under_review",
        "§ appendix 2, rows 3, 7 and 11",
        // The hearing, drawn inside its call.
        "Қарсылықты күту (хабарламаны алған",
        "◷ 2 жұм. күн (notice.received_on)",
        "<svg x=",
        // The legend.
        "мониторинг кезеңінің коды",
    ] {
        assert!(page.contains(expected), "missing {expected:?}");
    }
    assert_offline(page);

    let svg = qyzmet(&["graph", file, "--format", "svg", "--lang", "kk"]);
    assert_eq!(svg.code, 0, "{}", svg.stderr);
    assert!(svg.stdout.starts_with("<svg "), "{}", &svg.stdout[..80]);
    assert!(svg.stdout.contains("Тыңдау өткізу және хаттама жасау"));
    assert_offline(&svg.stdout);
    // Every id once, so that each edge label follows its own edge.
    let mut ids: Vec<&str> = svg
        .stdout
        .split(" id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    let markers = 2; // the arrowheads, the same in the sub-workflow's drawing
    assert_eq!(ids.len(), n - markers, "repeated ids");

    // The plain formats are unchanged.
    let mermaid = qyzmet(&["graph", file, "--format", "mermaid"]);
    assert!(mermaid.stdout.starts_with("flowchart TD\n"));
    let dot = qyzmet(&["graph", file, "--format", "dot"]);
    assert!(
        dot.stdout
            .starts_with("digraph \"rehabilitated-person-certificate\" {")
    );
}

/// The README's row for a person, from what the simulator answers.
fn row(p: &sim::Person) -> String {
    let name = [Some(p.last_name), Some(p.first_name), p.middle_name]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let sex = match Iin::parse(p.iin).expect("valid").sex() {
        Sex::Male => "male",
        Sex::Female => "female",
    };
    let bank = match p.bank {
        Some((iban, _, kind)) => format!("{iban} ({kind})"),
        None => "not found".into(),
    };
    let disability = match p.disability {
        Some((g, from, Some(until))) => format!("group {g} from {from} until {until}"),
        Some((g, from, None)) => format!("group {g} from {from}, indefinite"),
        None => "none".into(),
    };
    let enpf = match p.enpf {
        Some((accruals, true)) => format!("accruals {accruals}, payments established"),
        Some((accruals, false)) => format!("accruals {accruals}, no payments"),
        None => "no account".into(),
    };
    let r = p.register;
    let register: Vec<String> = [
        r.assignment.map(|(d, n)| format!("assigned {d} No. {n}")),
        r.payment.map(|d| format!("paid {d}")),
        r.refusal.map(|d| format!("refused {d}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let register = if register.is_empty() {
        "nothing".to_string()
    } else {
        register.join(", ")
    };
    format!(
        "| {} | {name} | {} | {sex} | {bank} | {disability} | {enpf} | {register} |",
        p.iin, p.birth_date
    )
}

#[test]
fn the_readme_table_of_people_is_the_simulators() {
    let readme = std::fs::read_to_string(root().join("workflows/README.md")).expect("README");
    let section = readme
        .split("### People the gateway simulator knows")
        .nth(1)
        .expect("the section")
        .split("\n#")
        .next()
        .unwrap_or_default();
    let rows: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| ") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    let people = sim::people();
    assert_eq!(rows.len(), people.len(), "one row a person:\n{rows:#?}");
    for (p, line) in people.iter().zip(&rows) {
        let expected = row(p);
        assert!(
            line.starts_with(&expected),
            "README row\n  {line}\ndoes not start with what the simulator answers\n  {expected}"
        );
    }
    assert!(section.contains(&format!("`{}`", sim::UNKNOWN_IIN)));
    Iin::parse(sim::UNKNOWN_IIN).expect("the unknown IIN is valid");
    assert!(people.iter().all(|p| p.iin != sim::UNKNOWN_IIN));
}

//! `qyzmet simulate --dry-run SERVICE --accepted 2026-12-07T10:00`: a service's dates on paper.
//!
//! Prints what [`timeline`] works out — the term with its evidence, then every path with each
//! step's due time, each window and each escalation rung — in the calendar's local time, so a
//! methodologist sees the dates of a service without writing a scenario. `SERVICE` is a
//! service id (the version in force on the day of acceptance, from `workflows/` or the
//! folder of `--catalog`) or a definition file. The headings are in the language of `--lang`;
//! the calendar's evidence lines are English, as `qyzmet calendar --explain` prints them.
//! Exit 0 with the dates; 2 with one line saying what is wrong.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Tz;

use super::validate::Common;
use crate::calendar::{Calendar, Deadline};
use crate::definition::messages::Lang;
use crate::definition::model::{Due, Kind, Length, RungAction};
use crate::definition::timeline::{self, Dates, Entry, RungDate};
use crate::definition::{self, Definition, graph};
use crate::runtime::Settings;

/// The words of the printout, in one language.
struct Words {
    accepted: &'static str,
    counts_as: &'static str,
    term: &'static str,
    not_counted: &'static str,
    counted: &'static str,
    due: &'static str,
    path: &'static str,
    of: &'static str,
    task_for: &'static str,
    no_due: &'static str,
    before_end: &'static str,
    window: &'static str,
    counted_from: &'static str,
    until: &'static str,
    timer: &'static str,
    unknown_date: &'static str,
    request: &'static str,
    attempts: &'static str,
    notice: &'static str,
    recorded: &'static str,
    end: &'static str,
    escalation: &'static str,
    office_closed: &'static str,
    remind: &'static str,
    notify: &'static str,
    reassign: &'static str,
    worst: &'static str,
    late: &'static str,
}

const EN: Words = Words {
    accepted: "accepted",
    counts_as: "counts as accepted on",
    term: "term",
    not_counted: "the day of acceptance not counted",
    counted: "the day of acceptance counted",
    due: "due",
    path: "path",
    of: "of",
    task_for: "task for",
    no_due: "no due time",
    before_end: "working days before the end of the term",
    window: "window for the message",
    counted_from: "counted from",
    until: "until",
    timer: "waits until",
    unknown_date: "a date from the case's data",
    request: "request to",
    attempts: "attempts, at worst until",
    notice: "notice; the day it goes is recorded in",
    recorded: "recorded",
    end: "end, result",
    escalation: "escalation",
    office_closed: "the office is closed at",
    remind: "remind the assignee",
    notify: "notify",
    reassign: "reassign to",
    worst: "Each path at its worst: every step takes all its time.",
    late: "AFTER THE END OF THE TERM",
};

const KK: Words = Words {
    accepted: "қабылданды",
    counts_as: "қабылданған күн болып саналады:",
    term: "мерзім",
    not_counted: "қабылдау күні есептелмейді",
    counted: "қабылдау күні есептеледі",
    due: "орындау мерзімі",
    path: "жол",
    of: "/",
    task_for: "тапсырма, рөл:",
    no_due: "мерзімі жоқ",
    before_end: "жұмыс күні мерзім аяқталғанға дейін",
    window: "хабарды күту терезесі",
    counted_from: "басталуы",
    until: "дейін",
    timer: "күтеді, дейін:",
    unknown_date: "іс деректеріндегі күн",
    request: "сұрау:",
    attempts: "әрекет, ең ұзақ дегенде дейін:",
    notice: "хабарлама; жіберілген күні жазылады:",
    recorded: "жазылды",
    end: "аяқталу, нәтиже",
    escalation: "эскалация",
    office_closed: "кеңсе жабық:",
    remind: "орындаушыға еске салу",
    notify: "хабарлау",
    reassign: "қайта тағайындау",
    worst: "Әр жол ең ұзақ жағдайда: әр қадам берілген уақытын толық алады.",
    late: "МЕРЗІМ АЯҚТАЛҒАННАН КЕЙІН",
};

const RU: Words = Words {
    accepted: "принято",
    counts_as: "считается принятым",
    term: "срок",
    not_counted: "день приёма не считается",
    counted: "день приёма считается",
    due: "срок исполнения",
    path: "путь",
    of: "из",
    task_for: "задача для роли",
    no_due: "без срока",
    before_end: "рабочих дня до окончания срока",
    window: "окно ожидания сообщения",
    counted_from: "считая от",
    until: "до",
    timer: "ожидание до",
    unknown_date: "даты из данных дела",
    request: "запрос в",
    attempts: "попыток, в худшем случае до",
    notice: "уведомление; день отправки записывается в",
    recorded: "записано",
    end: "завершение, результат",
    escalation: "эскалация",
    office_closed: "офис закрыт в",
    remind: "напомнить исполнителю",
    notify: "уведомить",
    reassign: "передать роли",
    worst: "Каждый путь в худшем случае: каждый шаг занимает всё отведённое время.",
    late: "ПОСЛЕ ОКОНЧАНИЯ СРОКА",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Kk => &KK,
        Lang::Ru => &RU,
    }
}

/// Why the dry run cannot print dates: always one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--accepted` is missing or not a local time.
    #[error(
        "--accepted: \"{0}\" is not a local time (expected YYYY-MM-DDTHH:MM, e.g. 2026-12-07T10:00)"
    )]
    Accepted(String),
    /// `--accepted` was not given.
    #[error("--accepted is required with --dry-run (e.g. --accepted 2026-12-07T10:00)")]
    NoAccepted,
    /// The definitions have problems.
    #[error("the definitions have {0} problem(s): fix them first (`qyzmet validate`)")]
    Invalid(usize),
    /// No such service, or no version on that day.
    #[error("{0}")]
    NotFound(String),
    /// The calendar cannot be read or does not cover the dates.
    #[error("calendar `{id}`: {source}")]
    Calendar {
        /// Its id.
        id: String,
        /// What went wrong.
        source: crate::calendar::Error,
    },
    /// The dates cannot be worked out.
    #[error(transparent)]
    Timeline(#[from] timeline::Error),
}

/// Runs the dry run for `service` (an id or a file) and returns the exit status.
pub fn run(service: &Path, accepted: Option<&str>, common: &Common) -> ExitCode {
    match print(service, accepted, common) {
        Ok(Printout { text, draft }) => {
            print!("{text}");
            // The dates are shown, and the definition still has to be mended.
            if draft {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!(
                "error: {}",
                e.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            ExitCode::from(2)
        }
    }
}

/// What a dry run prints, and whether the definition is a draft whose term does not hold
/// (its problems went to stderr; the dates show where, marked `⚠`).
pub struct Printout {
    /// The dates.
    pub text: String,
    /// The definition's only problems are term overruns.
    pub draft: bool,
}

/// The printout, or why there is none.
pub fn print(service: &Path, accepted: Option<&str>, common: &Common) -> Result<Printout, Error> {
    let accepted = accepted.ok_or(Error::NoAccepted)?;
    let at = NaiveDateTime::parse_from_str(accepted, "%Y-%m-%dT%H:%M")
        .map_err(|_| Error::Accepted(accepted.to_string()))?;
    let options = common.options();
    let is_file = service.is_file();
    let root = if is_file {
        service.to_path_buf()
    } else {
        options
            .catalog
            .as_ref()
            .and_then(|c| c.parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("workflows"))
    };
    let report = definition::load(std::slice::from_ref(&root), &options);
    let library = &report.library;
    // A service whose only problems are term overruns (a draft) is laid out all the same:
    // seeing where its dates fall past the term is how the methodologist mends it. Problems
    // in other files do not matter here.
    let candidates = || library.definitions.iter().chain(&report.drafts);
    let found: Option<&Definition> = if is_file {
        candidates().find(|d| d.file == service)
    } else {
        let id = service.to_string_lossy();
        if !candidates().any(|d| d.id == id) && report.diagnostics.is_empty() {
            return Err(Error::NotFound(format!(
                "no service `{id}` under {} (give a service id or a definition file)",
                root.display()
            )));
        }
        let mut versions = candidates().filter(|d| d.kind == Kind::Service && d.id == id);
        let in_force = versions.find(|d| d.in_force_on(at.date()));
        if in_force.is_none() && report.diagnostics.is_empty() {
            return Err(Error::NotFound(format!(
                "no version of `{id}` is in force on {}",
                at.date()
            )));
        }
        in_force
    };
    let Some(def) = found else {
        for d in &report.diagnostics {
            eprintln!("{d}");
        }
        return Err(Error::Invalid(report.diagnostics.len()));
    };
    let draft = report.drafts.iter().any(|d| std::ptr::eq(d, def));
    if draft {
        for d in report.diagnostics.iter().filter(|d| d.file == def.file) {
            eprintln!("{d}");
        }
    }
    let subworkflows = library.subworkflows();
    let calendar_dir = options.calendars.clone().unwrap_or_else(|| {
        definition::find_catalog(&root)
            .and_then(|c| std::path::absolute(c).ok())
            .and_then(|c| {
                c.parent()
                    .and_then(Path::parent)
                    .map(|p| p.join("calendars"))
            })
            .unwrap_or_else(Calendar::default_dir)
    });
    let calendar =
        Calendar::load(&calendar_dir, &def.calendar).map_err(|source| Error::Calendar {
            id: def.calendar.clone(),
            source,
        })?;
    let settings = Settings::default();
    let t = timeline::compute(def, &subworkflows, &calendar, &settings, at)?;
    Ok(Printout {
        text: render(&t, &calendar, options.lang),
        draft,
    })
}

/// `2026-12-07 10:00 Mon`.
fn stamp(t: DateTime<Tz>) -> String {
    t.format("%Y-%m-%d %H:%M %a").to_string()
}

/// The evidence lines of a count that says why: the rule and the days skipped.
fn evidence(out: &mut String, d: &Deadline, indent: &str) {
    for line in d.to_string().lines() {
        if line.starts_with("rule:")
            || line.starts_with("skipped")
            || line.starts_with("provisional")
        {
            out.push_str(&format!("{indent}{line}\n"));
        }
    }
}

fn rung(out: &mut String, r: &RungDate, w: &Words, indent: &str) {
    let action = match &r.rung.action {
        RungAction::RemindAssignee => w.remind.to_string(),
        RungAction::Notify(role) => format!("{} {role}", w.notify),
        RungAction::Reassign(role) => format!("{} {role}", w.reassign),
    };
    out.push_str(&format!(
        "{indent}{} {}% → {action}: {}",
        w.escalation,
        r.rung.at_percent,
        stamp(r.at)
    ));
    if let Some(from) = r.moved_from {
        out.push_str(&format!(" ({} {})", w.office_closed, stamp(from)));
    }
    out.push('\n');
}

/// `⚠ AFTER THE END OF THE TERM` when `at` is past the term's end, else nothing.
fn late(at: DateTime<Tz>, term_end: Option<DateTime<Tz>>, w: &Words) -> String {
    match term_end {
        Some(end) if at > end => format!(" ⚠ {}", w.late),
        _ => String::new(),
    }
}

fn render(t: &timeline::Timeline<'_>, calendar: &Calendar, lang: Lang) -> String {
    let w = words(lang);
    let def = t.definition;
    let mut out = String::new();
    let title = match lang {
        Lang::Kk => format!(" — {}", def.title.kk),
        Lang::Ru => format!(" — {}", def.title.ru),
        Lang::En => String::new(),
    };
    out.push_str(&format!(
        "{} {}{title} (calendar {}, {})\n",
        def.id,
        def.version,
        calendar.id(),
        calendar.time_zone()
    ));
    out.push_str(&format!(
        "{}: {}; {} {}\n",
        w.accepted,
        stamp(t.accepted_at),
        w.counts_as,
        t.accepted_on
    ));
    if let Some(term) = &t.term {
        let counts = if term.acceptance_day_counts {
            w.counted
        } else {
            w.not_counted
        };
        out.push_str(&format!(
            "{}: {} ({counts}): {} {}\n",
            w.term,
            graph::length_text(term.length, lang),
            w.due,
            stamp(term.due_at)
        ));
        for line in term.evidence.to_string().lines() {
            out.push_str(&format!("    {line}\n"));
        }
        for r in &term.rungs {
            rung(&mut out, r, w, "  ");
        }
    }
    out.push_str(&format!("{}\n", w.worst));
    let term_end = t.term.as_ref().map(|t| t.due_at);
    let n = t.paths.len();
    for (i, path) in t.paths.iter().enumerate() {
        let route: Vec<&str> = path
            .iter()
            .filter(|e| {
                !matches!(e.dates, Dates::Instant) || e.name == path.last().map_or("", |l| &l.name)
            })
            .map(|e| e.name.as_str())
            .collect();
        out.push_str(&format!(
            "\n{} {} {} {n}: {}\n",
            w.path,
            i + 1,
            w.of,
            route.join(" → ")
        ));
        for e in path {
            entry(&mut out, e, w, lang, term_end);
        }
    }
    out
}

fn entry(out: &mut String, e: &Entry<'_>, w: &Words, lang: Lang, term_end: Option<DateTime<Tz>>) {
    let length = |l: Length| graph::length_text(l, lang);
    let title = match lang {
        Lang::En => String::new(),
        _ => format!(" «{}»", graph::title(e.step, lang)),
    };
    let head = format!("  {}  {}{title}", stamp(e.starts), e.name);
    match &e.dates {
        Dates::Instant => {
            out.push_str(&format!("{head}: {}\n", e.step.kind.name()));
        }
        Dates::Task {
            role,
            due,
            due_at,
            evidence: ev,
            rungs,
        } => {
            let how = match due {
                Some(Due::After(l)) => length(*l),
                Some(Due::BeforeTermEnd(n)) => format!("{n} {}", w.before_end),
                None => String::new(),
            };
            match due_at {
                Some(at) => out.push_str(&format!(
                    "{head}: {} {role}, {} {} ({how}){}\n",
                    w.task_for,
                    w.due,
                    stamp(*at),
                    late(*at, term_end, w)
                )),
                None => out.push_str(&format!("{head}: {} {role}, {}\n", w.task_for, w.no_due)),
            }
            if let Some(d) = ev {
                evidence(out, d, "      ");
            }
            for r in rungs {
                rung(out, r, w, "      ");
            }
        }
        Dates::Window {
            message,
            from,
            counted_from,
            length: l,
            until,
            evidence: ev,
        } => {
            let from_what = counted_from
                .as_ref()
                .map(|f| format!(" (`{f}`)"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{head}: {} `{message}`, {}, {} {from}{from_what} {} {}{}\n",
                w.window,
                length(*l),
                w.counted_from,
                w.until,
                stamp(*until),
                late(*until, term_end, w)
            ));
            if let Some(d) = ev {
                evidence(out, d, "      ");
            }
        }
        Dates::Timer {
            until,
            what,
            evidence: ev,
        } => {
            let when = until
                .map(stamp)
                .unwrap_or_else(|| w.unknown_date.to_string());
            out.push_str(&format!("{head}: {} {when} ({what})\n", w.timer));
            if let Some(d) = ev {
                evidence(out, d, "      ");
            }
        }
        Dates::Request {
            connector,
            attempts,
            timeout,
            until,
        } => match (timeout, until) {
            (Some(t), Some(u)) => out.push_str(&format!(
                "{head}: {} {connector}, {attempts} × {} {} {}\n",
                w.request,
                length(*t),
                w.attempts,
                stamp(*u)
            )),
            _ => out.push_str(&format!("{head}: {} {connector}\n", w.request)),
        },
        Dates::Notice { record, on } => {
            out.push_str(&format!(
                "{head}: {} `{record}` ({} {on})\n",
                w.notice, w.recorded
            ));
        }
        Dates::End { result } => {
            out.push_str(&format!(
                "{head}: {} {result}{}\n",
                w.end,
                late(e.starts, term_end, w)
            ));
        }
    }
}
